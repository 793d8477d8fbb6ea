//! The machinery stat and property share (DESIGN §4, "one windowing machine"): a sharded
//! per-minute [`Window`], the [`MinuteClock`] with K8SFramework's `f_date`/`f_tflag` stamps,
//! the [`Aggregator`] that closes windows on the minute and hands documents to the sink, and
//! the [`MonitorQueryServant`] tarsweb reads the aggregates back with. Each service supplies
//! its key, its merge rule ([`Merge`]) and its document shape ([`Documents`]).

mod config;
mod daily;
mod flush;
mod metrics;
pub mod monitor;
mod service;
mod window;

pub use config::{Config, Service};
pub use daily::DailyIndex;
pub use flush::{Aggregator, DOCS_PER_BATCH, DocumentError, Documents, Flush};
pub use metrics::Metrics;
pub use monitor::{MonitorQueryServant, QuerySpec};
pub use service::{MinuteDocuments, MinuteService};
/// The clock and identity live in `stamp` (log and notify use them without the aggregation
/// machinery); re-exported for stat and property.
pub use stamp::{Minute, MinuteClock, boot_id, clock, host_name, time_zone};
pub use window::{Added, Merge, Window};
