//! The machinery stat and property share (DESIGN §4, "one windowing machine"): a sharded
//! per-minute [`Window`], the [`MinuteClock`] with K8SFramework's `f_date`/`f_tflag` stamps,
//! the [`Aggregator`] that closes windows on the minute and hands documents to the sink, and
//! the [`MonitorQueryServant`] tarsweb reads the aggregates back with. Each service supplies
//! its key, its merge rule ([`Merge`]) and its document shape ([`Documents`]).

pub mod clock;
mod config;
mod flush;
mod metrics;
pub mod monitor;
mod window;

pub use clock::{Minute, MinuteClock, time_zone};
pub use config::{Config, Service, boot_id, host_name};
pub use flush::{Aggregator, DOCS_PER_BATCH, DocumentError, Documents, Flush};
pub use metrics::Metrics;
pub use monitor::{MonitorQueryServant, QuerySpec};
pub use window::{Added, Merge, Window};
