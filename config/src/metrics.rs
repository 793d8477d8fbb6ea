//! The config service's metrics, named `tars_config_<thing>`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::identity::Resolved;

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered with the server-level content only.
    Server,
    /// Answered with the server-level and the caller's pod-level content.
    Pod,
    /// No activated server-level content: ret -1.
    NotFound,
    /// `loadConfigByHost`/`checkConfig` with an `appServerName` that is not `App` or
    /// `App.Server`: ret -1.
    BadName,
    /// `check*`: the content is not valid `TC_Config` text: ret -1.
    Unparsable,
}

const OUTCOMES: [Outcome; 5] = [
    Outcome::Server,
    Outcome::Pod,
    Outcome::NotFound,
    Outcome::BadName,
    Outcome::Unparsable,
];

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Server => "server",
            Outcome::Pod => "pod",
            Outcome::NotFound => "not_found",
            Outcome::BadName => "bad_name",
            Outcome::Unparsable => "unparsable",
        }
    }

    fn index(self) -> usize {
        match self {
            Outcome::Server => 0,
            Outcome::Pod => 1,
            Outcome::NotFound => 2,
            Outcome::BadName => 3,
            Outcome::Unparsable => 4,
        }
    }
}

const RESOLVED: [Resolved; 4] = [
    Resolved::Host,
    Resolved::NodeName,
    Resolved::PeerIp,
    Resolved::None,
];

fn resolved_index(resolved: Resolved) -> usize {
    match resolved {
        Resolved::Host => 0,
        Resolved::NodeName => 1,
        Resolved::PeerIp => 2,
        Resolved::None => 3,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LoadLabels {
    result: &'static str,
    identity: &'static str,
}

/// Metrics of the config service. Clones share the values.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// The watch/file source and publishing.
    pub source: mirror::Metrics,
    loads_family: Family<LoadLabels, Counter>,
    /// Pre-resolved `loads` counters by [`Outcome`] and [`Resolved`] (no label lookup per call).
    loads: Vec<Counter>,
    lists: Counter,
    pub(crate) tconfigs: Gauge,
    pub(crate) pods: Gauge,
}

impl Metrics {
    /// Metrics registered in `registry` under `tars_config`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::new();
        let r = registry.sub_registry_with_prefix("tars_config");
        m.source.register(r);
        r.register(
            "loads",
            "Configuration file loads (load* and check* calls) by result (server, pod, not_found, bad_name, unparsable) and by how the caller's pod was found (host, node_name, peer_ip, none)",
            m.loads_family.clone(),
        );
        r.register("lists", "File list calls answered", m.lists.clone());
        r.register(
            "tconfigs",
            "TConfig objects held (every version)",
            m.tconfigs.clone(),
        );
        r.register(
            "pods",
            "TARS pods known for caller identity",
            m.pods.clone(),
        );
        m
    }

    /// Unregistered metrics (tests, benchmarks).
    pub fn new() -> Self {
        let loads_family = Family::<LoadLabels, Counter>::default();
        let mut loads = Vec::with_capacity(OUTCOMES.len() * RESOLVED.len());
        for outcome in OUTCOMES {
            for resolved in RESOLVED {
                loads.push(
                    loads_family
                        .get_or_create(&LoadLabels {
                            result: outcome.label(),
                            identity: resolved.label(),
                        })
                        .clone(),
                );
            }
        }
        Self {
            source: mirror::Metrics::default(),
            loads_family,
            loads,
            lists: Counter::default(),
            tconfigs: Gauge::default(),
            pods: Gauge::default(),
        }
    }

    pub(crate) fn load(&self, outcome: Outcome, resolved: Resolved) {
        let index = outcome.index() * RESOLVED.len() + resolved_index(resolved);
        if let Some(counter) = self.loads.get(index) {
            counter.inc();
        }
    }

    pub(crate) fn list(&self) {
        self.lists.inc();
    }

    /// Loads counted with `outcome` and `resolved` so far (tests).
    pub fn loads(&self, outcome: Outcome, resolved: Resolved) -> u64 {
        let index = outcome.index() * RESOLVED.len() + resolved_index(resolved);
        self.loads.get(index).map_or(0, Counter::get)
    }
}
