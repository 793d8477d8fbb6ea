//! The registry's metrics, named `tars_registry_<thing>`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::model::Kind;
use crate::snapshot::Found;

/// A resource kind label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct KindLabel {
    pub(crate) kind: &'static str,
}

/// Lookup counters by outcome, resolved once so a lookup costs one atomic add.
#[derive(Debug, Clone, Default)]
pub(crate) struct LookupCounters {
    route: Counter,
    server: Counter,
    no_such_servant: Counter,
    up_chain: Counter,
    not_found: Counter,
    bad_id: Counter,
}

impl LookupCounters {
    pub(crate) fn count(&self, found: Found<'_>) {
        match found {
            Found::Route(_) => &self.route,
            Found::Server(_) => &self.server,
            Found::NoSuchServant => &self.no_such_servant,
            Found::UpChain(_) | Found::UpChainDefault(_) => &self.up_chain,
            Found::NotFound => &self.not_found,
            Found::BadId => &self.bad_id,
        }
        .inc();
    }
}

/// The registry's metrics. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    pub(crate) lookups: LookupCounters,
    pub(crate) changes: Family<KindLabel, Counter>,
    pub(crate) invalid: Family<KindLabel, Counter>,
    pub(crate) relists: Family<KindLabel, Counter>,
    pub(crate) source_up: Family<KindLabel, Gauge>,
    pub(crate) synced: Gauge,
    pub(crate) servers: Gauge,
    pub(crate) templates: Gauge,
    pub(crate) snapshots: Counter,
    pub(crate) unsupported_calls: Counter,
    pub(crate) descriptor_failures: Counter,
    pub(crate) state_updates: Family<ResultLabel, Counter>,
    pub(crate) reconciles: Family<ResultLabel, Counter>,
    pub(crate) leader: Gauge,
}

/// An outcome label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ResultLabel {
    pub(crate) result: &'static str,
}

impl Metrics {
    /// Metrics registered in `registry` under `tars_registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("tars_registry");
        r.register(
            "lookups",
            "QueryF lookups by where the answer came from",
            LookupFamily(m.lookups.clone()),
        );
        r.register(
            "changes",
            "Resource changes applied, by kind",
            m.changes.clone(),
        );
        r.register(
            "invalid_objects",
            "Objects ignored because a required field is missing or has the wrong type, by kind",
            m.invalid.clone(),
        );
        r.register("relists", "Full (re)lists of a kind", m.relists.clone());
        r.register(
            "source_up",
            "1 while the source of a kind (Kubernetes watch or file) is reachable, 0 while the registry answers from a stale snapshot",
            m.source_up.clone(),
        );
        r.register(
            "synced",
            "1 once every kind has been listed",
            m.synced.clone(),
        );
        r.register(
            "servers",
            "TARS servers (TEndpoints) known",
            m.servers.clone(),
        );
        r.register("templates", "TTemplates known", m.templates.clone());
        r.register("snapshots", "Snapshots published", m.snapshots.clone());
        r.register(
            "unsupported_calls",
            "Calls to QueryF methods K8SFramework does not implement",
            m.unsupported_calls.clone(),
        );
        r.register(
            "descriptor_failures",
            "getServerDescriptor calls answered -1",
            m.descriptor_failures.clone(),
        );
        r.register(
            "state_updates",
            "updateServerState pod patches, by result",
            m.state_updates.clone(),
        );
        r.register(
            "reconciles",
            "TEndpoint reconciles, by result",
            m.reconciles.clone(),
        );
        r.register(
            "reconciler_leader",
            "1 while this replica holds the reconciler lease",
            m.leader.clone(),
        );
        m
    }

    pub(crate) fn kind(kind: Kind) -> KindLabel {
        KindLabel { kind: kind.label() }
    }

    pub(crate) fn result(result: &'static str) -> ResultLabel {
        ResultLabel { result }
    }
}

/// Exposes the pre-resolved lookup counters as one labelled family.
#[derive(Debug, Clone)]
struct LookupFamily(LookupCounters);

impl prometheus_client::encoding::EncodeMetric for LookupFamily {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::MetricEncoder<'_>,
    ) -> Result<(), std::fmt::Error> {
        let c = &self.0;
        for (result, counter) in [
            ("route", &c.route),
            ("server", &c.server),
            ("no_such_servant", &c.no_such_servant),
            ("up_chain", &c.up_chain),
            ("not_found", &c.not_found),
            ("bad_id", &c.bad_id),
        ] {
            let labels = ResultLabel { result };
            counter.encode(encoder.encode_family(&labels)?)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> prometheus_client::metrics::MetricType {
        prometheus_client::metrics::MetricType::Counter
    }
}
