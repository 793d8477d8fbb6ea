//! The config service's configuration (`[config]` in the tarsplane file).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where TConfigs come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Watches of TConfigs and TARS pods in the configured namespace.
    Kubernetes,
    /// The YAML file `file`, reloaded when it changes (`tarsplane up`).
    File,
}

/// Where the configuration files come from and the limits on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `kubernetes` (watches in the configured namespace) or `file` (the YAML file `file`).
    pub source: Source,
    /// The YAML file of TConfig resources read when `source = "file"`; `tarsplane up` writes
    /// a sample on first run.
    pub file: PathBuf,
    /// How often the file's modification time and size are checked, milliseconds.
    pub file_poll_interval_ms: u64,
    /// How long the initial list may take before startup fails, seconds.
    pub initial_sync_timeout_secs: u64,
    /// After this long without contact with the API server (or with the file unreadable), the
    /// service reports itself not ready; it keeps answering from its last snapshot. Seconds.
    pub stale_after_secs: u64,
    /// While a source is failing, how often the API server is probed, milliseconds.
    pub probe_interval_ms: u64,
    /// The largest `configContent` accepted, bytes (the TConfig CRD allows 1,560,000). A
    /// larger TConfig is ignored, logged and counted (`tars_config_invalid_objects_total`);
    /// its previous version stays.
    pub max_content_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            source: Source::Kubernetes,
            file: PathBuf::from("config.yaml"),
            file_poll_interval_ms: 1000,
            initial_sync_timeout_secs: 30,
            stale_after_secs: 60,
            probe_interval_ms: 2000,
            max_content_bytes: 1_560_000, // TConfig CRD: configContent maxLength
        }
    }
}

impl Config {
    /// Checks every value; the error names the key.
    ///
    /// # Errors
    ///
    /// A message naming the invalid key.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("config.file_poll_interval_ms", self.file_poll_interval_ms),
            (
                "config.initial_sync_timeout_secs",
                self.initial_sync_timeout_secs,
            ),
            ("config.stale_after_secs", self.stale_after_secs),
            ("config.probe_interval_ms", self.probe_interval_ms),
            ("config.max_content_bytes", self.max_content_bytes as u64),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(format!("{key} must be greater than 0"));
            }
        }
        // A reply frame holds the content (twice for a pod-level file: server + pod) and must
        // stay under the RPC frame limit of the clients (TarsCpp: 10 MiB by default).
        if self.max_content_bytes > 4 * 1024 * 1024 {
            return Err(format!(
                "config.max_content_bytes must be at most {} (a reply carries up to two files and must fit a 10 MiB frame)",
                4 * 1024 * 1024
            ));
        }
        if self.source == Source::File && self.file.as_os_str().is_empty() {
            return Err("config.file must name a file when config.source = \"file\"".to_owned());
        }
        Ok(())
    }
}
