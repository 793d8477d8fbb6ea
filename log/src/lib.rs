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
pub use servant::{Chunk, LogServant};

/// Starts the writer threads and builds the servant; with `ship_to_sink`, lines also go to
/// `sink` as documents.
///
/// # Errors
/// An invalid configuration, shipping without a sink, or threads that cannot start.
pub fn start(
    config: &Config,
    sink: Option<sink::Sink>,
    metrics: Metrics,
) -> Result<LogServant, String> {
    config.validate()?;
    let tz = stamp::time_zone(&config.time_zone).map_err(|e| format!("log.time_zone: {e}"))?;
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
    let shipping = match (config.ship_to_sink, sink) {
        (false, _) => None,
        (true, None) => return Err("log.ship_to_sink needs a sink".into()),
        (true, Some(sink)) => Some(servant::Shipping {
            sink,
            index_prefix: config.ship_index_prefix.clone(),
            boot_id: stamp::boot_id(),
            seq: Arc::default(),
        }),
    };
    Ok(LogServant {
        shipping,
        trace: None,
        root: Arc::new(config.log_path.clone()),
        layout: Arc::new(layout),
        tz,
        ipfix: config.ipfix,
        writers,
        metrics,
    })
}

/// The index template and lifecycle policy of shipped lines (`<prefix>*`, text fields as
/// keywords except the line itself).
pub fn ship_index_spec(config: &Config) -> sink::IndexSpec {
    let keyword = serde_json::json!({ "type": "keyword" });
    sink::IndexSpec {
        name: config.ship_index_prefix.clone(),
        patterns: vec![format!("{}*", config.ship_index_prefix)],
        delete_after: config.ship_delete_after.clone(),
        data_stream: false,
        mappings: Some(serde_json::json!({ "properties": {
            "@timestamp": { "type": "date", "format": "epoch_millis" },
            "app": keyword, "server": keyword, "file": keyword, "node": keyword,
            "line": { "type": "text" }
        }})),
    }
}
