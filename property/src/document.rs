//! The property document (framework facts §5.3): one per policy, K8SFramework's fields in its
//! order.

use std::sync::Arc;

use aggregate::{Aggregator, DailyIndex, DocumentError, Documents, Flush, Minute, MinuteDocuments};
use serde_json::{Value, json};
use sink::{Batch, Op};
use tars_rpc::interfaces::property::StatPropMsgHead;

use crate::report::PropertyServant;
use crate::value::PropertyValue;

/// Every field a monitor query may filter or group on.
pub const QUERY_FIELDS: &[&str] = &[
    "f_timestamp",
    "f_date",
    "f_tflag",
    "master_name",
    "master_ip",
    "property_name",
    "set_name",
    "set_area",
    "set_id",
    "policy",
    "value",
];

/// Numeric fields (summable).
pub const NUMBER_FIELDS: &[&str] = &["f_timestamp", "value"];

/// Writes property documents.
#[derive(Debug, Clone)]
pub struct PropertyDocuments {
    /// The daily index and the identity parts of the ids.
    pub daily: DailyIndex,
}

impl MinuteDocuments for PropertyDocuments {
    type Servant = PropertyServant;
    const QUERY_FIELDS: &'static [&'static str] = QUERY_FIELDS;
    const SUM_FIELDS: &'static [&'static str] = NUMBER_FIELDS;

    fn new(daily: DailyIndex) -> Self {
        Self { daily }
    }

    fn mappings() -> Value {
        let mut properties = serde_json::Map::new();
        for f in QUERY_FIELDS {
            properties.insert((*f).into(), json!({ "type": "keyword" }));
        }
        properties.insert("f_timestamp".into(), json!({ "type": "long" }));
        properties.insert("value".into(), json!({ "type": "double" }));
        json!({ "properties": properties })
    }

    fn servant(aggregator: Arc<Aggregator<Self>>) -> PropertyServant {
        PropertyServant::new(aggregator)
    }
}

impl Documents for PropertyDocuments {
    type Value = PropertyValue;

    fn index(&self, minute: &Minute) -> String {
        self.daily.index(minute)
    }

    fn write(
        &self,
        flush: &Flush<'_>,
        key: &[u8],
        value: &PropertyValue,
        batch: &mut Batch,
    ) -> Result<(), DocumentError> {
        let head: StatPropMsgHead<'_> = tars_codec::from_slice(key)?;
        let minute = flush.minute;
        let index = flush.index;
        for (policy, aggregate) in &value.policies {
            let id = self.daily.doc_id(flush, key, Some(policy));
            batch.push(Op::Index, index, id.as_str(), |d| {
                d.int("f_timestamp", flush.flushed_at)
                    .str("f_date", &minute.date)
                    .str("f_tflag", &minute.tflag)
                    .str("master_name", head.module_name)
                    .str("master_ip", head.ip)
                    .str("property_name", head.property_name)
                    .str("set_name", head.set_name)
                    .str("set_area", head.set_area)
                    .str("set_id", head.set_id)
                    .str("policy", policy)
                    .float("value", aggregate.document_value());
            })?;
        }
        Ok(())
    }
}
