//! The kevent service's metrics, named `tars_kevent_<thing>`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: &'static str,
}

/// Which watch: `namespace` (the service's own) or `cluster` (cluster-level events of
/// `default`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabel {
    source: &'static str,
}

/// Counters of the kevent service. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    events: Family<SourceLabel, Counter>,
    pub(crate) documents: Counter,
    pub(crate) batches: Counter,
    skipped: Family<Reason, Counter>,
    dropped: Family<Reason, Counter>,
    watch_errors: Family<SourceLabel, Counter>,
    relists: Family<SourceLabel, Counter>,
    source_up: Family<SourceLabel, Gauge>,
    pub(crate) remembered: Gauge,
    pub(crate) forgotten: Counter,
}

impl Metrics {
    /// Counters registered in `registry` (prefixed `tars_kevent_`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("tars_kevent");
        r.register(
            "events",
            "Events added or modified, listed or watched, by source (namespace, cluster)",
            m.events.clone(),
        );
        r.register(
            "documents",
            "Event documents handed to the sink",
            m.documents.clone(),
        );
        r.register("batches", "Batches handed to the sink", m.batches.clone());
        r.register(
            "skipped",
            "Events not written, by reason (already_written, namespaced_in_default, no_id, invalid_id)",
            m.skipped.clone(),
        );
        r.register(
            "dropped",
            "Event documents the sink did not store, by reason (sink)",
            m.dropped.clone(),
        );
        r.register(
            "watch_errors",
            "Failed lists and watches (not counting expired versions), by source",
            m.watch_errors.clone(),
        );
        r.register(
            "relists",
            "Full (re)lists of the events, by source",
            m.relists.clone(),
        );
        r.register(
            "source_up",
            "1 while the watch of a source reaches the API server, 0 while it is failing",
            m.source_up.clone(),
        );
        r.register(
            "remembered_ids",
            "Ids of written event versions remembered so that relists skip them",
            m.remembered.clone(),
        );
        r.register(
            "forgotten_ids",
            "Remembered ids forgotten to stay within max_remembered",
            m.forgotten.clone(),
        );
        m
    }

    /// Event documents handed to the sink so far.
    pub fn documents(&self) -> u64 {
        self.documents.get()
    }

    /// Batches handed to the sink so far.
    pub fn batches(&self) -> u64 {
        self.batches.get()
    }

    /// Events not written for `reason` so far (see the `skipped` metric's help).
    pub fn skipped(&self, reason: &'static str) -> u64 {
        self.skipped.get_or_create(&Reason { reason }).get()
    }

    /// (Re)lists of `source` (`namespace` or `cluster`) so far.
    pub fn relists(&self, source: &'static str) -> u64 {
        self.relists.get_or_create(&SourceLabel { source }).get()
    }

    /// Whether the watch of `source` (`namespace` or `cluster`) reaches the API server.
    pub fn source_up(&self, source: &'static str) -> bool {
        self.source_up.get_or_create(&SourceLabel { source }).get() == 1
    }

    pub(crate) fn skip(&self, reason: &'static str, n: u64) {
        self.skipped.get_or_create(&Reason { reason }).inc_by(n);
    }

    pub(crate) fn dropped(&self, reason: &'static str, n: u64) {
        self.dropped.get_or_create(&Reason { reason }).inc_by(n);
    }

    pub(crate) fn event(&self, source: &'static str) {
        self.events.get_or_create(&SourceLabel { source }).inc();
    }

    pub(crate) fn watch_error(&self, source: &'static str) {
        self.watch_errors
            .get_or_create(&SourceLabel { source })
            .inc();
    }

    pub(crate) fn relisted(&self, source: &'static str) {
        self.relists.get_or_create(&SourceLabel { source }).inc();
    }

    pub(crate) fn set_up(&self, source: &'static str, up: bool) {
        self.source_up
            .get_or_create(&SourceLabel { source })
            .set(i64::from(up));
    }
}
