//! `tars.tarsproperty.PropertyObj` (port 14000) and `tars.tarsqueryproperty.QueryObj` (15000):
//! business properties (custom metrics) from every TARS server, aggregated per minute with each
//! policy merged exactly, into K8SFramework's property documents, and the monitor query tarsweb
//! charts them with.
//!
//! [`Property::start`] builds the window and its flusher; [`PropertyServant`] takes
//! `reportPropMsg`; [`Property::query_servant`] answers `MonitorQuery.query`.

mod document;
mod report;
mod value;

use aggregate::MinuteService;

pub use document::{NUMBER_FIELDS, PropertyDocuments, QUERY_FIELDS};
pub use report::{IGNORED_MODULES, PropertyServant};
pub use value::{PolicyValue, PropertyValue};

/// Marks the property service's configuration defaults.
#[derive(Debug)]
pub struct PropertyService;

impl aggregate::Service for PropertyService {
    const NAME: &'static str = "property";
    const INDEX_PREFIX: &'static str = "tars_property_";
}

/// `[property]` in tarsplane's TOML file.
pub type Config = aggregate::Config<PropertyService>;

/// The property service: its aggregator, index family, `PropertyObj` ([`MinuteService::servant`])
/// and `tars.tarsqueryproperty.QueryObj` ([`MinuteService::query_servant`]).
pub type Property = MinuteService<PropertyDocuments>;
