//! The property document (framework facts §5.3): one per policy, K8SFramework's fields in its
//! order.

use aggregate::{DocumentError, Documents, Flush, Minute};
use serde_json::json;
use sink::{Batch, IndexSpec, Op, doc_id};
use tars_rpc::interfaces::property::StatPropMsgHead;

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
    /// Index prefix (`tars_property_`).
    pub index_prefix: String,
    /// This replica's identity: part of the ids, so replicas never overwrite each other.
    pub source_id: String,
    /// Distinguishes this process's documents from an earlier run's for the same minute.
    pub boot_id: [u8; 8],
}

impl PropertyDocuments {
    /// The index template and lifecycle policy.
    pub fn index_spec(&self, delete_after: &str) -> IndexSpec {
        let mut properties = serde_json::Map::new();
        for f in QUERY_FIELDS {
            properties.insert((*f).into(), json!({ "type": "keyword" }));
        }
        properties.insert("f_timestamp".into(), json!({ "type": "long" }));
        properties.insert("value".into(), json!({ "type": "double" }));
        IndexSpec {
            name: self.index_prefix.clone(),
            patterns: vec![format!("{}*", self.index_prefix)],
            delete_after: delete_after.into(),
            data_stream: false,
            mappings: Some(json!({ "properties": properties })),
        }
    }
}

impl Documents for PropertyDocuments {
    type Value = PropertyValue;

    fn index(&self, minute: &Minute) -> String {
        format!("{}{}", self.index_prefix, minute.date)
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
            let id = doc_id(&[
                self.source_id.as_bytes(),
                &self.boot_id,
                &flush.seq.to_le_bytes(),
                minute.date.as_bytes(),
                minute.tflag.as_bytes(),
                key,
                policy,
            ]);
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
