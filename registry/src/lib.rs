//! The TARS registry (DESIGN §4; framework facts §3): `tars.tarsregistry.QueryObj` resolves
//! object ids to endpoints, `tars.tarsregistry.RegistryObj` hands out server descriptors and
//! takes pod state reports.
//!
//! ```text
//! source (Kubernetes watches | YAML file) ─► Feed ─► Builder ─► ArcSwap<Snapshot> ◄── lookups
//! reconciler (Kubernetes, one replica by Lease): TServer + Pods ─► TEndpoint spec and status
//! ```
//!
//! Lookups load the current [`Snapshot`] without a lock and copy pre-encoded answers; the
//! builder applies changes copy-on-write to one shard at a time and publishes the result.

pub mod answer;
mod cache;
pub mod config;
pub mod descriptor;
mod metrics;
pub mod model;
mod query;
pub mod reconcile;
pub mod routes;
mod servant;
mod service;
pub mod snapshot;
pub mod source;
pub use tc_config;

pub use cache::{Builder, Feed, Readiness, Registry};
pub use config::{Config, ReconcilerConfig, Source};
pub use metrics::Metrics;
pub use query::QueryServant;
pub use servant::{ACTIVE_CONDITION, PodStates, RegistryServant, active_condition_patch};
pub use service::{Error, Kubernetes, Service, start};
pub use snapshot::{Change, Found, Snapshot};
