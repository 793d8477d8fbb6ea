//! `[notify]` in tarsplane's TOML file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The notify service's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The data stream (K8SFramework `/tars/elk/index<notify>`).
    pub index: String,
    /// Age at deletion (K8SFramework `/tars/elk/age<notify>`).
    pub delete_after: String,
    /// Per `app.server`: `interval_secs:count` (K8SFramework `/tars/server<notify_limit>`).
    pub rate_limit: String,
    /// Zone of `notifyTime`: an IANA name, `UTC` or `local`.
    pub time_zone: String,
    /// This replica's identity, part of document ids; empty for the host name.
    pub source_id: String,
    /// Records waiting for the writer; past it new records are dropped and counted in
    /// `tars_notify_dropped_total{reason="queue_full"}`.
    pub max_queued: usize,
    /// Records per batch handed to the sink (the reference's 500).
    pub batch_records: usize,
    /// Pod IP (or node name) to `<pod>.<workload>` names, until a Kubernetes pod watch
    /// provides them; unknown reporters are stored as they are, like the reference.
    pub pod_names: BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            index: "tars_notify_".into(),
            delete_after: "3d".into(),
            // K8SFramework's default: 300 records per 300 s per server.
            rate_limit: "300:300".into(),
            time_zone: "local".into(),
            source_id: String::new(),
            max_queued: 100_000,
            batch_records: 500,
            pod_names: BTreeMap::new(),
        }
    }
}

impl Config {
    /// Checks every value.
    ///
    /// # Errors
    /// A message naming the key.
    pub fn validate(&self) -> Result<(), String> {
        sink::validate_index_name(&self.index).map_err(|e| format!("notify.index: {e}"))?;
        if self.max_queued == 0 || self.batch_records == 0 {
            return Err("notify.max_queued and notify.batch_records must be > 0".into());
        }
        stamp::MinuteClock::from_name(&self.time_zone)
            .map_err(|e| format!("notify.time_zone: {e}"))?;
        Ok(())
    }
}
