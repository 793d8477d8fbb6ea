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

use std::sync::Arc;

use aggregate::{Aggregator, MonitorQueryServant, QuerySpec};
use sink::Sink;

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

/// The property service's parts.
#[derive(Debug, Clone)]
pub struct Property {
    /// The window and its flusher: spawn [`Aggregator::run`].
    pub aggregator: Arc<Aggregator<PropertyDocuments>>,
    sink: Sink,
    index_spec: sink::IndexSpec,
    index_prefix: String,
}

impl Property {
    /// Builds the service on `sink`.
    ///
    /// # Errors
    /// An invalid configuration (the message names the key).
    pub fn start(config: &Config, sink: Sink, metrics: aggregate::Metrics) -> Result<Self, String> {
        let documents = PropertyDocuments {
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

    /// The `PropertyObj` servant.
    pub fn servant(&self) -> PropertyServant {
        PropertyServant::new(self.aggregator.clone())
    }

    /// The `tars.tarsqueryproperty.QueryObj` servant.
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
