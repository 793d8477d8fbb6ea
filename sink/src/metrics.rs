//! The sink's metrics, named `tars_sink_<thing>`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Why documents were dropped.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Reason {
    pub(crate) reason: &'static str,
}

/// The outcome of one bulk request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct BulkResult {
    pub(crate) result: &'static str,
}

/// The server the sink writes to.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct BackendLabels {
    pub(crate) flavour: &'static str,
    pub(crate) version: String,
    pub(crate) lifecycle: &'static str,
}

/// Counters of one sink. Clones share them.
#[derive(Debug, Clone)]
pub struct Metrics {
    pub(crate) documents_in: Counter,
    pub(crate) documents_stored: Counter,
    pub(crate) documents_retried: Counter,
    pub(crate) documents_spooled: Counter,
    pub(crate) documents_replayed: Counter,
    pub(crate) documents_rejected: Counter,
    pub(crate) documents_dropped: Family<Reason, Counter>,
    pub(crate) queued_bytes: Gauge,
    pub(crate) spool_bytes: Gauge,
    pub(crate) bulk_requests: Family<BulkResult, Counter>,
    pub(crate) bulk_seconds: Histogram,
    pub(crate) backend: Family<BackendLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            documents_in: Counter::default(),
            documents_stored: Counter::default(),
            documents_retried: Counter::default(),
            documents_spooled: Counter::default(),
            documents_replayed: Counter::default(),
            documents_rejected: Counter::default(),
            documents_dropped: Family::default(),
            queued_bytes: Gauge::default(),
            spool_bytes: Gauge::default(),
            bulk_requests: Family::default(),
            // 1 ms .. ~33 s.
            bulk_seconds: Histogram::new(
                prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 16),
            ),
            backend: Family::default(),
        }
    }
}

impl Metrics {
    /// Counters registered in `registry` (prefixed `tars_sink_`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("tars_sink");
        r.register(
            "documents_in",
            "Documents submitted",
            m.documents_in.clone(),
        );
        r.register(
            "documents_stored",
            "Documents acknowledged by the store",
            m.documents_stored.clone(),
        );
        r.register(
            "documents_retried",
            "Document write attempts repeated after a retriable failure",
            m.documents_retried.clone(),
        );
        r.register(
            "documents_spooled",
            "Documents written to the disk spool",
            m.documents_spooled.clone(),
        );
        r.register(
            "documents_replayed",
            "Spooled documents written to the store",
            m.documents_replayed.clone(),
        );
        r.register(
            "documents_rejected",
            "Documents refused permanently by the store (sent to the dead-letter file)",
            m.documents_rejected.clone(),
        );
        r.register(
            "documents_dropped",
            "Documents lost, by reason",
            m.documents_dropped.clone(),
        );
        r.register(
            "queued_bytes",
            "Bytes of documents accepted and not yet stored or spooled",
            m.queued_bytes.clone(),
        );
        r.register(
            "spool_bytes",
            "Bytes held in the disk spool",
            m.spool_bytes.clone(),
        );
        r.register(
            "bulk_requests",
            "Bulk requests by result",
            m.bulk_requests.clone(),
        );
        r.register(
            "bulk_duration_seconds",
            "Bulk request latency",
            m.bulk_seconds.clone(),
        );
        r.register(
            "backend_info",
            "1 for the server found (flavour, version) and how old indices are deleted (lifecycle: ilm, ism or off)",
            m.backend.clone(),
        );
        m
    }

    pub(crate) fn backend_found(&self, backend: &crate::es::lifecycle::Backend) {
        self.backend.clear();
        self.backend
            .get_or_create(&BackendLabels {
                flavour: backend.flavour.as_str(),
                version: backend.version.clone(),
                lifecycle: backend.lifecycle.as_str(),
            })
            .set(1);
    }

    pub(crate) fn dropped(&self, reason: &'static str, docs: usize) {
        self.documents_dropped
            .get_or_create(&Reason { reason })
            .inc_by(docs as u64);
    }

    pub(crate) fn bulk(&self, result: &'static str) {
        self.bulk_requests
            .get_or_create(&BulkResult { result })
            .inc();
    }
}
