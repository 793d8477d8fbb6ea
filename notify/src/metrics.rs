//! The notify service's metrics, named `tars_notify_<thing>`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: &'static str,
}

/// Counters of the notify service. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    pub(crate) records: Counter,
    pub(crate) documents: Counter,
    dropped: Family<Reason, Counter>,
}

impl Metrics {
    /// Counters registered in `registry` (prefixed `tars_notify_`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("tars_notify");
        r.register("records", "Alarms received", m.records.clone());
        r.register(
            "documents",
            "Alarm documents handed to the sink",
            m.documents.clone(),
        );
        r.register(
            "dropped",
            "Alarms not stored, by reason (rate_limit, queue_full, sink, shutdown)",
            m.dropped.clone(),
        );
        m
    }

    pub(crate) fn dropped(&self, reason: &'static str, n: u64) {
        self.dropped.get_or_create(&Reason { reason }).inc_by(n);
    }
}
