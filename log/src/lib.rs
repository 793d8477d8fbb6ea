//! `tars.tarslog.LogObj` (port 12111): remote log lines (`logger`, `loggerbyInfo`) written
//! byte-exact (GBK stays GBK) into K8SFramework's file layout: `<root>/<app>/<server>/...` with
//! day / hour / N-minute rolling, set directories, the node-name prefix and the trace file.
//!
//! Differences from the reference, on purpose: names that would leave the log directory
//! (`..`, `/`) are refused; a client's invalid time format falls back to `%Y%m%d`; a full disk
//! costs the lines of the failed write (counted), never the service.

mod config;
mod metrics;
pub mod path;
mod servant;
mod writer;

use std::sync::Arc;
use std::time::Duration;

pub use config::Config;
pub use metrics::Metrics;
pub use path::{Layout, Roll, Target};
pub use servant::LogServant;

/// Starts the writer threads and builds the servant.
///
/// # Errors
/// An invalid configuration, or threads that cannot start.
pub fn start(config: &Config, metrics: Metrics) -> Result<LogServant, String> {
    config.validate()?;
    let tz = aggregate::time_zone(&config.time_zone).map_err(|e| format!("log.time_zone: {e}"))?;
    let layout = Layout {
        hourly: config.hourly.clone(),
        log_types: config
            .log_types
            .iter()
            .flat_map(|(roll, names)| names.iter().map(move |n| (n.clone(), roll.clone())))
            .collect(),
    };
    let writers = writer::Writers::start(
        &writer::WriterConfig {
            threads: config.writer_threads,
            max_queued_jobs: config.max_queued_writes,
            max_open_files: config.max_open_files,
            flush_interval: Duration::from_millis(config.flush_interval_ms),
            fsync_interval: (config.fsync_interval_ms > 0)
                .then(|| Duration::from_millis(config.fsync_interval_ms)),
            idle_close: Duration::from_secs(config.idle_close_secs),
        },
        &metrics,
    )
    .map_err(|e| format!("start log writer threads: {e}"))?;
    Ok(LogServant {
        root: Arc::new(config.log_path.clone()),
        layout: Arc::new(layout),
        tz,
        ipfix: config.ipfix,
        writers,
        metrics,
    })
}
