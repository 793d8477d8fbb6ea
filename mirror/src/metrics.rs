//! What every mirror counts, registered by its owner under the owner's prefix (the registry's
//! `tars_registry_source_up{kind}`, the config service's `tars_config_source_up{kind}`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The `kind` label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct KindLabel {
    pub(crate) kind: &'static str,
}

/// Source and publish metrics of one mirror. Clones share the values.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    pub(crate) changes: Family<KindLabel, Counter>,
    pub(crate) invalid: Family<KindLabel, Counter>,
    pub(crate) relists: Family<KindLabel, Counter>,
    pub(crate) source_up: Family<KindLabel, Gauge>,
    pub(crate) synced: Gauge,
    pub(crate) snapshots: Counter,
    pub(crate) snapshot_age: SnapshotAge,
}

impl Metrics {
    /// Registers every metric in `registry` (already prefixed by the owner).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "changes",
            "Resource changes applied, by kind",
            self.changes.clone(),
        );
        registry.register(
            "invalid_objects",
            "Objects ignored because a required field is missing, has the wrong type or breaks a limit, by kind",
            self.invalid.clone(),
        );
        registry.register("relists", "Full (re)lists of a kind", self.relists.clone());
        registry.register(
            "source_up",
            "1 while the source of a kind (Kubernetes watch or file) is reachable, 0 while answers come from a stale snapshot",
            self.source_up.clone(),
        );
        registry.register(
            "synced",
            "1 once every kind has been listed",
            self.synced.clone(),
        );
        registry.register("snapshots", "Snapshots published", self.snapshots.clone());
        registry.register(
            "stale_seconds",
            "How long the longest-failing source has been failing (0 while every source is up)",
            self.snapshot_age.clone(),
        );
    }

    pub(crate) fn kind(label: &'static str) -> KindLabel {
        KindLabel { kind: label }
    }
}

/// A gauge computed when scraped: seconds since the first still-unresolved source failure.
#[derive(Debug, Clone, Default)]
pub(crate) struct SnapshotAge(
    pub(crate) std::sync::Arc<parking_lot::Mutex<Option<std::time::Instant>>>,
);

impl prometheus_client::encoding::EncodeMetric for SnapshotAge {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::MetricEncoder<'_>,
    ) -> Result<(), std::fmt::Error> {
        let since = *self.0.lock();
        let seconds = since.map_or(0.0, |since| since.elapsed().as_secs_f64());
        encoder.encode_gauge(&seconds)
    }

    fn metric_type(&self) -> prometheus_client::metrics::MetricType {
        prometheus_client::metrics::MetricType::Gauge
    }
}
