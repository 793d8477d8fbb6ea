//! The registry's configuration (`[registry]` in the tarsplane file).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::routes::RouteEndpoint;

/// Where the registry's resources come from and how it serves them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where TEndpoints, TTemplates and the TFrameworkConfig come from: `kubernetes` (watches
    /// in the configured namespace) or `file` (the YAML file `file`, reloaded when it changes).
    pub source: Source,
    /// The YAML file read when `source = "file"`; `tarsplane up` writes a sample on first run.
    pub file: PathBuf,
    /// How often the file's modification time and size are checked, milliseconds.
    pub file_poll_interval_ms: u64,
    /// Host name of the registry's own entries (`QueryObj` on 17890, `RegistryObj` on 17891);
    /// K8SFramework's Service name by default.
    pub self_host: String,
    /// Answers for objects that are not TEndpoints, by exact object id; these win over the
    /// self entries and over TEndpoints.
    pub routes: BTreeMap<String, Vec<RouteEndpoint>>,
    /// How long the initial list may take before startup fails, seconds (K8SFramework: 30).
    pub initial_sync_timeout_secs: u64,
    /// After this long without contact with the API server (or with the file unreadable), the
    /// registry reports itself not ready; it keeps answering from its last snapshot. Seconds.
    pub stale_after_secs: u64,
    /// While a source is failing, how often the API server is probed, milliseconds.
    pub probe_interval_ms: u64,
    /// The TEndpoint reconciler (Kubernetes only).
    pub reconciler: ReconcilerConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            source: Source::Kubernetes,
            file: PathBuf::from("registry.yaml"),
            file_poll_interval_ms: 1000,
            self_host: "tars-tarsregistry".to_owned(), // K8SFramework's Service name
            routes: BTreeMap::new(),
            initial_sync_timeout_secs: 30, // K8SFramework RegistryServer.cpp
            stale_after_secs: 60,
            probe_interval_ms: 2000,
            reconciler: ReconcilerConfig::default(),
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
            ("registry.file_poll_interval_ms", self.file_poll_interval_ms),
            (
                "registry.initial_sync_timeout_secs",
                self.initial_sync_timeout_secs,
            ),
            ("registry.stale_after_secs", self.stale_after_secs),
            ("registry.probe_interval_ms", self.probe_interval_ms),
            (
                "registry.reconciler.lease_duration_secs",
                self.reconciler.lease_duration_secs,
            ),
            (
                "registry.reconciler.renew_interval_secs",
                self.reconciler.renew_interval_secs,
            ),
            (
                "registry.reconciler.requeue_min_ms",
                self.reconciler.requeue_min_ms,
            ),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(format!("{key} must be greater than 0"));
            }
        }
        if self.reconciler.renew_interval_secs >= self.reconciler.lease_duration_secs {
            return Err(
                "registry.reconciler.renew_interval_secs must be less than lease_duration_secs"
                    .to_owned(),
            );
        }
        if self.reconciler.requeue_max_ms < self.reconciler.requeue_min_ms {
            return Err(
                "registry.reconciler.requeue_max_ms must be at least requeue_min_ms".to_owned(),
            );
        }
        if self.self_host.is_empty() {
            return Err("registry.self_host must not be empty".to_owned());
        }
        for (id, endpoints) in &self.routes {
            if id.split('.').filter(|p| !p.is_empty()).count() != 3 {
                return Err(format!(
                    "registry.routes: {id:?} is not an object id of the form App.Server.Servant"
                ));
            }
            if endpoints.iter().any(|e| e.host.is_empty() || e.port == 0) {
                return Err(format!(
                    "registry.routes.{id:?}: every endpoint needs a host and a port"
                ));
            }
        }
        Ok(())
    }
}

/// Where the registry's resources come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Watches on the Kubernetes API.
    Kubernetes,
    /// A local YAML file.
    File,
}

/// The TEndpoint reconciler: TServer + Pods → TEndpoint, one replica at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReconcilerConfig {
    /// Run it (turn off where K8SFramework's controller already maintains TEndpoints).
    pub enabled: bool,
    /// The Lease (in the watched namespace) that elects the one reconciling replica.
    pub lease_name: String,
    /// How long a lease holder stays leader without renewing, seconds.
    pub lease_duration_secs: u64,
    /// How often the leader renews, seconds.
    pub renew_interval_secs: u64,
    /// First requeue delay after a failed reconcile, milliseconds (K8SFramework: 100).
    pub requeue_min_ms: u64,
    /// Largest requeue delay; failures double the delay up to this, milliseconds.
    pub requeue_max_ms: u64,
    /// Field manager name for server-side apply.
    pub field_manager: String,
}

impl Default for ReconcilerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            lease_name: "tarsplane-registry-reconciler".to_owned(),
            lease_duration_secs: 15, // as client-go's leader election default
            renew_interval_secs: 5,
            requeue_min_ms: 100, // K8SFramework's fixed requeue
            requeue_max_ms: 60_000,
            field_manager: "tarsplane-registry".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().expect("valid");
    }

    #[test]
    fn invalid_values_name_their_key() {
        let mut config = Config::default();
        config.reconciler.renew_interval_secs = 20;
        assert!(
            config
                .validate()
                .expect_err("renew")
                .contains("renew_interval_secs")
        );
        let mut config = Config::default();
        config.routes.insert("A.B".into(), vec![]);
        assert!(config.validate().expect_err("id").contains("A.B"));
        let config = Config {
            stale_after_secs: 0,
            ..Config::default()
        };
        assert!(
            config
                .validate()
                .expect_err("zero")
                .contains("stale_after_secs")
        );
    }
}
