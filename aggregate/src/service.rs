//! A minute service as tarsplane runs it (stat, property): its aggregator, its index family
//! and its two objects. The services differ only in their [`MinuteDocuments`]: the key their
//! servant builds, the merge rule of their value, and their document.

use std::sync::Arc;

use serde_json::Value;
use sink::{IndexSpec, Sink};

use crate::{
    Aggregator, Config, DailyIndex, Documents, Metrics, MonitorQueryServant, QuerySpec, Service,
};

/// What a minute service adds to [`Documents`].
pub trait MinuteDocuments: Documents + Sized {
    /// The report object's servant (`StatObj`, `PropertyObj`).
    type Servant;
    /// Fields a monitor query may filter or group on.
    const QUERY_FIELDS: &'static [&'static str];
    /// Numeric fields a monitor query may sum.
    const SUM_FIELDS: &'static [&'static str];
    /// The documents of a daily index family.
    fn new(daily: DailyIndex) -> Self;
    /// The index template's mappings (`{"properties": ...}`).
    fn mappings() -> Value;
    /// The report servant feeding `aggregator`.
    fn servant(aggregator: Arc<Aggregator<Self>>) -> Self::Servant;
}

/// A running minute service's parts.
pub struct MinuteService<D: MinuteDocuments> {
    /// The window and its flusher: spawn [`Aggregator::run`].
    pub aggregator: Arc<Aggregator<D>>,
    sink: Sink,
    index_spec: IndexSpec,
}

impl<D: MinuteDocuments> std::fmt::Debug for MinuteService<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MinuteService")
            .field("index", &self.index_spec.name)
            .finish_non_exhaustive()
    }
}

impl<D: MinuteDocuments> Clone for MinuteService<D> {
    fn clone(&self) -> Self {
        Self {
            aggregator: self.aggregator.clone(),
            sink: self.sink.clone(),
            index_spec: self.index_spec.clone(),
        }
    }
}

impl<D: MinuteDocuments> MinuteService<D> {
    /// Builds the service on `sink`.
    ///
    /// # Errors
    /// An invalid configuration (the message names the key).
    pub fn start<S: Service>(
        config: &Config<S>,
        sink: Sink,
        metrics: Metrics,
    ) -> Result<Self, String> {
        let daily = DailyIndex {
            index_prefix: config.index_prefix.clone(),
            source_id: config.source_id(),
            boot_id: stamp::boot_id(),
        };
        let index_spec = daily.spec(&config.delete_after, D::mappings());
        let aggregator = Arc::new(config.build(D::new(daily), sink.clone(), metrics)?);
        Ok(Self {
            aggregator,
            sink,
            index_spec,
        })
    }

    /// The index template and lifecycle policy to create at start.
    pub fn index_spec(&self) -> &IndexSpec {
        &self.index_spec
    }

    /// The report object's servant.
    pub fn servant(&self) -> D::Servant {
        D::servant(self.aggregator.clone())
    }

    /// The monitor-query object's servant (`tars.tarsquerystat.QueryObj`, ...).
    pub fn query_servant(&self) -> MonitorQueryServant {
        MonitorQueryServant::new(
            QuerySpec {
                index_prefix: self.index_spec.name.clone(),
                fields: D::QUERY_FIELDS,
                sum_fields: D::SUM_FIELDS,
            },
            self.sink.clone(),
        )
    }
}
