//! The TARS config service (`shared/spec/framework-next.md` §1): `tars.tarsconfig.ConfigObj`
//! hands TARS servers their configuration files, from TConfig resources.
//!
//! ```text
//! source (TConfig + pod watches | YAML file) ─► mirror::Feed ─► Builder ─► Snapshot ◄── calls
//! ```
//!
//! Every answer comes from the current [`Snapshot`]: per file the winning activated
//! server-level and pod-level contents, per server the file list, and the pods by IP and
//! name. A call never waits for the API server (K8SFramework made one quorum GET per call).
//! The caller's pod is found from the explicit host, the request context's `node_name` or the
//! peer IP ([`identity`]), so pod-level files reach C++, Go, Java and Node clients alike.

pub mod config;
pub mod identity;
mod metrics;
pub mod model;
mod servant;
mod service;
pub mod snapshot;
pub mod source;

pub use config::{Config, Source};
pub use metrics::{Metrics, Outcome};
pub use servant::{ConfigServant, NODE_NAME};
pub use service::{Error, Handle, Service, mirror, start};
pub use snapshot::{Change, Loaded, NOT_FOUND, POD_SEPARATOR, Snapshot, Working};
