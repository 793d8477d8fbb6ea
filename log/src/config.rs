//! `[log]` in tarsplane's TOML file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The log service's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Root of the log tree (K8SFramework `/tars/log<logpath>`).
    pub log_path: PathBuf,
    /// Prefix each line with the caller's node name (K8SFramework `/tars/log<ipfix>`).
    pub ipfix: bool,
    /// `app.server` names whose logs roll hourly (K8SFramework `/tars/log/format<hour>`).
    pub hourly: Vec<String>,
    /// Roll type (`day`, `2hour`, `10minute`, ...) to the `app.server.file` names it applies to
    /// (K8SFramework `/tars/log/logtype`).
    pub log_types: BTreeMap<String, Vec<String>>,
    /// Zone the file names' times are in: an IANA name, `UTC` or `local`.
    pub time_zone: String,
    /// Writer threads (files are spread over them by path; K8SFramework `logthread`).
    pub writer_threads: usize,
    /// Write requests waiting per writer thread; callers wait when it is full.
    pub max_queued_writes: usize,
    /// Open files per writer thread; past it the least recently written is closed.
    pub max_open_files: usize,
    /// Longest time a written line stays in a buffer (lines are flushed at once when a writer
    /// is idle).
    pub flush_interval_ms: u64,
    /// fsync written files at most this often; 0 never (the page cache decides, as in the
    /// reference).
    pub fsync_interval_ms: u64,
    /// Files not written for this long are closed (the reference reopens every 10 s).
    pub idle_close_secs: u64,
    /// Also send every line to the sink as a document, for search (index per app).
    pub ship_to_sink: bool,
    /// Index prefix of shipped lines; the app name (lowercased) completes it.
    pub ship_index_prefix: String,
    /// Age at which shipped-line indices are deleted.
    pub ship_delete_after: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            // K8SFramework's path; `tarsplane up` puts it under its data directory.
            log_path: PathBuf::from("/usr/local/app/tars/remote_app_log"),
            ipfix: true,
            hourly: Vec::new(),
            log_types: BTreeMap::new(),
            time_zone: "local".into(),
            writer_threads: 2,
            max_queued_writes: 1024,
            max_open_files: 1024,
            flush_interval_ms: 1000,
            fsync_interval_ms: 0,
            idle_close_secs: 10,
            ship_to_sink: false,
            ship_index_prefix: "tars_log_".into(),
            ship_delete_after: "3d".into(),
        }
    }
}

impl Config {
    /// Checks every value.
    ///
    /// # Errors
    /// A message naming the key.
    pub fn validate(&self) -> Result<(), String> {
        if self.writer_threads == 0 || self.max_queued_writes == 0 || self.max_open_files == 0 {
            return Err(
                "log.writer_threads, log.max_queued_writes and log.max_open_files must be > 0"
                    .into(),
            );
        }
        for roll in self.log_types.keys() {
            if crate::path::Roll::parse_type(roll).is_none() {
                return Err(format!(
                    "log.log_types: {roll:?} is not a roll type ([N]day, [N]hour, [N]minute)"
                ));
            }
        }
        stamp::time_zone(&self.time_zone).map_err(|e| format!("log.time_zone: {e}"))?;
        sink::validate_index_name(&format!("{}app", self.ship_index_prefix))
            .map_err(|e| format!("log.ship_index_prefix: {e}"))?;
        Ok(())
    }
}
