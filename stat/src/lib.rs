//! `tars.tarsstat.StatObj` (port 17000) and `tars.tarsquerystat.QueryObj` (16000): per-call
//! statistics from every TARS client, aggregated per minute into K8SFramework's stat documents,
//! and the monitor query tarsweb charts them with.
//!
//! [`Stat::start`] builds the window and its flusher; [`StatServant`] takes
//! `reportMicMsg`/`reportSampleMsg`; [`Stat::query_servant`] answers `MonitorQuery.query`.

mod document;
mod report;
mod value;

use std::sync::Arc;

use aggregate::{Aggregator, MonitorQueryServant, QuerySpec};
use sink::Sink;

pub use document::{NUMBER_FIELDS, QUERY_FIELDS, StatDocuments, TEXT_FIELDS};
pub use report::{IGNORED_MASTERS, IGNORED_SLAVES, StatServant, normalise};
pub use value::StatValue;

/// Marks the stat service's configuration defaults.
#[derive(Debug)]
pub struct StatService;

impl aggregate::Service for StatService {
    const NAME: &'static str = "stat";
    const INDEX_PREFIX: &'static str = "tars_stat_";
}

/// `[stat]` in tarsplane's TOML file.
pub type Config = aggregate::Config<StatService>;

/// The stat service's parts.
#[derive(Debug, Clone)]
pub struct Stat {
    /// The window and its flusher: spawn [`Aggregator::run`].
    pub aggregator: Arc<Aggregator<StatDocuments>>,
    sink: Sink,
    index_spec: sink::IndexSpec,
    index_prefix: String,
}

impl Stat {
    /// Builds the service on `sink`.
    ///
    /// # Errors
    /// An invalid configuration (the message names the key).
    pub fn start(config: &Config, sink: Sink, metrics: aggregate::Metrics) -> Result<Self, String> {
        let documents = StatDocuments {
            index_prefix: config.index_prefix.clone(),
            source_id: config.source_id(),
            boot_id: aggregate::boot_id(),
        };
        let index_spec = documents.index_spec(&config.delete_after);
        let aggregator = Arc::new(config.build(documents, sink.clone(), metrics)?);
        Ok(Self {
            aggregator,
            sink,
            index_spec,
            index_prefix: config.index_prefix.clone(),
        })
    }

    /// The index template and lifecycle policy to create at start.
    pub fn index_spec(&self) -> &sink::IndexSpec {
        &self.index_spec
    }

    /// The `StatObj` servant.
    pub fn servant(&self) -> StatServant {
        StatServant::new(self.aggregator.clone())
    }

    /// The `tars.tarsquerystat.QueryObj` servant.
    pub fn query_servant(&self) -> MonitorQueryServant {
        MonitorQueryServant::new(
            QuerySpec {
                index_prefix: self.index_prefix.clone(),
                fields: QUERY_FIELDS,
                sum_fields: NUMBER_FIELDS,
            },
            self.sink.clone(),
        )
    }
}
