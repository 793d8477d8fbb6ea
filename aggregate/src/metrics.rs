//! A windowed service's metrics, named `tars_<service>_<thing>`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Why entries were dropped.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Reason {
    pub(crate) reason: &'static str,
}

/// Counters of one windowed service. Clones share them.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Report entries received.
    pub entries: Counter,
    /// Report entries filtered out by the reference's rules (framework objects, zero counts).
    pub filtered: Counter,
    pub(crate) dropped: Family<Reason, Counter>,
    pub(crate) documents: Counter,
    pub(crate) flush_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            entries: Counter::default(),
            filtered: Counter::default(),
            dropped: Family::default(),
            documents: Counter::default(),
            flush_seconds: Histogram::new(
                prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 14),
            ),
        }
    }
}

impl Metrics {
    /// Counters registered in `registry` under `prefix` (`tars_stat`, `tars_property`).
    pub fn register(registry: &mut Registry, prefix: &str) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix(prefix);
        r.register("entries", "Report entries received", m.entries.clone());
        r.register(
            "filtered",
            "Report entries ignored by the framework's rules",
            m.filtered.clone(),
        );
        r.register(
            "dropped",
            "Report entries or aggregates lost, by reason (max_keys: the window's key bound)",
            m.dropped.clone(),
        );
        r.register(
            "documents",
            "Documents handed to the sink",
            m.documents.clone(),
        );
        r.register(
            "flush_duration_seconds",
            "Time to close a window and hand it to the sink",
            m.flush_seconds.clone(),
        );
        m
    }

    /// Counts `n` entries lost for `reason`.
    pub fn dropped(&self, reason: &'static str, n: usize) {
        self.dropped
            .get_or_create(&Reason { reason })
            .inc_by(n as u64);
    }
}
