//! `tars.tarsnotify.NotifyObj` (port 13111): alarms from TARS servers (`reportServer`,
//! `notifyServer`, `getNotifyInfo`, `reportNotifyInfo`), with K8SFramework's levels, per-server
//! rate limit and pod names, written as documents into the notify data stream (or SQLite).
//!
//! Differences from the reference, on purpose: `@timestamp` is epoch milliseconds (the
//! reference writes seconds, which Elasticsearch reads as milliseconds); an empty server name
//! gives empty app and server instead of undefined behaviour; unknown level values are
//! `[normal]` rather than a decode failure.

mod config;
mod limit;
mod metrics;
pub mod pods;
mod record;
mod servant;
mod writer;

use std::sync::Arc;

use sink::{IndexSpec, Sink};
use tokio::sync::mpsc;

pub use config::Config;
pub use limit::{Limiter, RateLimit};
pub use metrics::Metrics;
pub use record::{Level, Record, Source, level_from_enum, level_from_text, split_server_name};
pub use servant::{NotifyServant, PodNames};
pub use writer::NotifyWriter;

/// Builds the servant and its writer (spawn [`NotifyWriter::run`]).
///
/// # Errors
/// An invalid configuration (the message names the key).
pub fn start(
    config: &Config,
    sink: Sink,
    metrics: Metrics,
) -> Result<(NotifyServant, NotifyWriter), String> {
    config.validate()?;
    let tz = stamp::time_zone(&config.time_zone).map_err(|e| format!("notify.time_zone: {e}"))?;
    let (tx, rx) = mpsc::channel(config.max_queued);
    let limiter = Arc::new(Limiter::new(RateLimit::parse(&config.rate_limit)));
    let pods = PodNames::from_map(config.pod_names.clone());
    let servant = NotifyServant::new(tx, limiter, pods, metrics.clone());
    let writer = NotifyWriter {
        intake: rx,
        sink,
        index: config.index.clone(),
        tz,
        source_id: if config.source_id.is_empty() {
            stamp::host_name()
        } else {
            config.source_id.clone()
        },
        boot_id: stamp::boot_id(),
        batch_records: config.batch_records,
        metrics,
    };
    Ok((servant, writer))
}

/// The data stream's template and lifecycle policy (K8SFramework's: `index_patterns` is
/// exactly the stream name, `data_stream: {}`), with mappings for the text fields.
pub fn index_spec(config: &Config) -> IndexSpec {
    let mut properties = serde_json::Map::new();
    for field in [
        "notifyTime",
        "app",
        "server",
        "podName",
        "impThread",
        "level",
        "source",
    ] {
        properties.insert(field.into(), serde_json::json!({ "type": "keyword" }));
    }
    properties.insert("message".into(), serde_json::json!({ "type": "text" }));
    properties.insert(
        "@timestamp".into(),
        serde_json::json!({ "type": "date", "format": "epoch_millis" }),
    );
    IndexSpec {
        name: config.index.clone(),
        patterns: vec![config.index.clone()],
        delete_after: config.delete_after.clone(),
        data_stream: true,
        mappings: Some(serde_json::json!({ "properties": properties })),
    }
}
