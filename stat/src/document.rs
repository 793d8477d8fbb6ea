//! The stat document (framework facts §5.2): K8SFramework's fields, in its order, with proper
//! JSON escaping and a deterministic id.

use std::sync::Arc;

use aggregate::{Aggregator, DailyIndex, DocumentError, Documents, Flush, Minute, MinuteDocuments};
use serde_json::{Value, json};
use sink::{Batch, Op};
use tars_rpc::interfaces::stat::StatMicMsgHead;

use crate::report::StatServant;
use crate::value::StatValue;

/// Text fields of the document (keywords in the index template; usable in monitor queries).
pub const TEXT_FIELDS: &[&str] = &[
    "source_id",
    "f_date",
    "f_tflag",
    "master_name",
    "slave_name",
    "interface_name",
    "tars_version",
    "master_ip",
    "slave_ip",
    "interv_count",
];

/// Numeric fields of the document.
pub const NUMBER_FIELDS: &[&str] = &[
    "f_timestamp",
    "slave_port",
    "return_value",
    "succ_count",
    "timeout_count",
    "exce_count",
    "total_count",
    "total_time",
    "ave_time",
    "maxrsp_time",
    "minrsp_time",
];

/// Every field a monitor query may filter or group on.
pub const QUERY_FIELDS: &[&str] = &[
    "source_id",
    "f_timestamp",
    "f_date",
    "f_tflag",
    "master_name",
    "slave_name",
    "interface_name",
    "tars_version",
    "master_ip",
    "slave_ip",
    "slave_port",
    "return_value",
    "succ_count",
    "timeout_count",
    "exce_count",
    "total_count",
    "total_time",
    "interv_count",
    "ave_time",
    "maxrsp_time",
    "minrsp_time",
];

/// Writes stat documents.
#[derive(Debug, Clone)]
pub struct StatDocuments {
    /// The daily index and the identity parts of the ids.
    pub daily: DailyIndex,
}

impl MinuteDocuments for StatDocuments {
    type Servant = StatServant;
    const QUERY_FIELDS: &'static [&'static str] = QUERY_FIELDS;
    const SUM_FIELDS: &'static [&'static str] = NUMBER_FIELDS;

    fn new(daily: DailyIndex) -> Self {
        Self { daily }
    }

    /// K8SFramework's template plus mappings, so that text fields are keywords and counters
    /// numbers.
    fn mappings() -> Value {
        let mut properties = serde_json::Map::new();
        for f in TEXT_FIELDS {
            properties.insert((*f).into(), json!({ "type": "keyword" }));
        }
        for f in NUMBER_FIELDS {
            properties.insert((*f).into(), json!({ "type": "long" }));
        }
        json!({ "properties": properties })
    }

    fn servant(aggregator: Arc<Aggregator<Self>>) -> StatServant {
        StatServant::new(aggregator)
    }
}

impl Documents for StatDocuments {
    type Value = StatValue;

    fn index(&self, minute: &Minute) -> String {
        self.daily.index(minute)
    }

    fn write(
        &self,
        flush: &Flush<'_>,
        key: &[u8],
        v: &StatValue,
        batch: &mut Batch,
    ) -> Result<(), DocumentError> {
        let head: StatMicMsgHead<'_> = tars_codec::from_slice(key)?;
        let minute = flush.minute;
        let index = flush.index;
        let id = self.daily.doc_id(flush, key, None);
        batch.push(Op::Index, index, id.as_str(), |d| {
            d.str("source_id", &self.daily.source_id)
                .int("f_timestamp", flush.flushed_at)
                .str("f_date", &minute.date)
                .str("f_tflag", &minute.tflag)
                .str("master_name", head.master_name)
                .str("slave_name", head.slave_name)
                .str("interface_name", head.interface_name)
                .str("tars_version", head.tars_version)
                .str("master_ip", head.master_ip)
                .str("slave_ip", head.slave_ip)
                .int("slave_port", i64::from(head.slave_port))
                .int("return_value", i64::from(head.return_value))
                .int("succ_count", v.count)
                .int("timeout_count", v.timeout_count)
                .int("exce_count", v.exec_count)
                .int("total_count", v.count + v.timeout_count + v.exec_count)
                .int("total_time", v.total_rsp_time)
                .str("interv_count", v.interv_count())
                .int("ave_time", v.ave_time())
                .int("maxrsp_time", i64::from(v.max_rsp_time))
                .int("minrsp_time", i64::from(v.min_rsp_time));
        })?;
        Ok(())
    }
}
