//! `tars.tarsstat.StatObj` (port 17000) and `tars.tarsquerystat.QueryObj` (16000): per-call
//! statistics from every TARS client, aggregated per minute into K8SFramework's stat documents,
//! and the monitor query tarsweb charts them with.
//!
//! [`Stat::start`] builds the window and its flusher; [`StatServant`] takes
//! `reportMicMsg`/`reportSampleMsg`; [`Stat::query_servant`] answers `MonitorQuery.query`.

mod document;
mod report;
mod value;

use aggregate::MinuteService;

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

/// The stat service: its aggregator, index family, `StatObj` ([`MinuteService::servant`])
/// and `tars.tarsquerystat.QueryObj` ([`MinuteService::query_servant`]).
pub type Stat = MinuteService<StatDocuments>;
