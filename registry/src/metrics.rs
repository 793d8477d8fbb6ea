//! The registry's metrics, named `tars_registry_<thing>`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use prometheus_client::encoding::{EncodeLabelSet, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::snapshot::Found;

/// Lookup counters by outcome. Each thread adds to its own cache line (a stripe holding all
/// outcomes), so lookups on different cores never contend for one counter; a scrape sums the
/// stripes. One shared counter cost ~3 % of a lookup over TCP with two workers (perf).
#[derive(Debug, Clone, Default)]
pub(crate) struct LookupCounters(Arc<[Stripe; STRIPES]>);

/// Stripes per counter set: threads beyond this share stripes (still correct, atomic adds).
const STRIPES: usize = 16;

/// Lookup outcomes, the index into a [`Stripe`].
const OUTCOMES: [&str; 6] = [
    "route",
    "server",
    "no_such_servant",
    "up_chain",
    "not_found",
    "bad_id",
];

/// One thread's counts, alone on its cache line (128 bytes: adjacent-line prefetch included).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe([AtomicU64; OUTCOMES.len()]);

/// The stripe of the current thread, assigned round-robin on its first lookup.
fn stripe_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    INDEX.with(|i| *i)
}

impl LookupCounters {
    pub(crate) fn count(&self, found: Found<'_>) {
        let outcome = match found {
            Found::Route(_) => 0,
            Found::Server(_) => 1,
            Found::NoSuchServant => 2,
            Found::UpChain(_) | Found::UpChainDefault(_) => 3,
            Found::NotFound => 4,
            Found::BadId => 5,
        };
        self.0[stripe_index()].0[outcome].fetch_add(1, Ordering::Relaxed);
    }

    /// The count of outcome `index` (into [`OUTCOMES`]) over all threads.
    fn total(&self, index: usize) -> u64 {
        self.0
            .iter()
            .map(|s| s.0[index].load(Ordering::Relaxed))
            .sum()
    }
}

/// The registry's metrics. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    pub(crate) lookups: LookupCounters,
    pub(crate) source: mirror::Metrics,
    pub(crate) servers: Gauge,
    pub(crate) templates: Gauge,
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
        m.source.register(r);
        r.register(
            "servers",
            "TARS servers (TEndpoints) known",
            m.servers.clone(),
        );
        r.register("templates", "TTemplates known", m.templates.clone());
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
        for (index, result) in OUTCOMES.into_iter().enumerate() {
            let labels = ResultLabel { result };
            encoder
                .encode_family(&labels)?
                .encode_counter::<NoLabelSet, _, u64>(&self.0.total(index), None)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> prometheus_client::metrics::MetricType {
        prometheus_client::metrics::MetricType::Counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_from_more_threads_than_stripes_are_all_counted() {
        let mut registry = Registry::default();
        let metrics = Metrics::register(&mut registry);
        let threads = STRIPES + 4;
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    for _ in 0..1000 {
                        metrics.lookups.count(Found::NotFound);
                    }
                    metrics.lookups.count(Found::BadId);
                });
            }
        });
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");
        for line in [
            format!(
                "tars_registry_lookups_total{{result=\"not_found\"}} {}",
                threads * 1000
            ),
            format!("tars_registry_lookups_total{{result=\"bad_id\"}} {threads}"),
            "tars_registry_lookups_total{result=\"server\"} 0".to_owned(),
        ] {
            assert!(text.contains(&line), "missing {line:?} in\n{text}");
        }
    }
}
