//! Server limits: every bound has a key, a default, and a log line and metric when hit.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tars_codec::frame::{DEFAULT_MAX_FRAME_LEN, MIN_FRAME_LEN};

/// Limits and timeouts of one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Largest accepted frame, prefix included; a larger one closes the connection.
    pub max_frame_bytes: usize,
    /// Connections served at once; further ones are accepted and closed at once.
    pub max_connections: usize,
    /// Calls in flight per connection; past it the server stops reading that connection until
    /// calls complete (backpressure).
    pub max_in_flight_per_connection: usize,
    /// Servant calls running at once over all connections; past it calls are answered -9.
    pub max_in_flight_total: usize,
    /// Longest a servant call may run when the request carries no timeout; a call that runs past
    /// its request's `iTimeout` (or this) is answered -6 and its slot freed.
    pub default_call_timeout_ms: u64,
    /// Deepest nesting of structs and containers decoded in a request or its arguments; deeper
    /// input is a decode error (-1 for arguments, connection closed for the packet).
    pub max_nesting_depth: u32,
    /// A connection with no request for this long is closed.
    pub idle_timeout_secs: u64,
    /// On shutdown, how long in-flight calls may take before connections are dropped.
    pub shutdown_grace_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            // TarsGo's default; TarsCpp allows 100 MiB.
            max_frame_bytes: DEFAULT_MAX_FRAME_LEN,
            // Well above a cluster's clients per pod; each costs two small buffers.
            max_connections: 10_000,
            // Deep enough for pipelining clients (tars-load uses 16), small enough to bound
            // memory per connection.
            max_in_flight_per_connection: 1024,
            max_in_flight_total: 65_536,
            // TARS clients default to 3 s; a call still running after 30 s is stuck.
            default_call_timeout_ms: 30_000,
            // prost's limit; framework structs nest at most 4 deep.
            max_nesting_depth: tars_codec::encoding::DEFAULT_MAX_DEPTH,
            // TarsCpp closes idle connections after a few minutes; 10 minutes is lenient.
            idle_timeout_secs: 600,
            // A Kubernetes pod gets 30 s between SIGTERM and SIGKILL by default.
            shutdown_grace_secs: 10,
        }
    }
}

/// A configuration value that cannot work.
#[derive(Debug, thiserror::Error)]
#[error("invalid server config: {field} {problem}")]
pub struct InvalidConfig {
    field: &'static str,
    problem: String,
}

impl ServerConfig {
    /// Checks every bound.
    ///
    /// # Errors
    ///
    /// Names the first field that is zero or out of range.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        let fail = |field, problem: String| Err(InvalidConfig { field, problem });
        if !(MIN_FRAME_LEN..=u32::MAX as usize).contains(&self.max_frame_bytes) {
            return fail(
                "max_frame_bytes",
                format!("must be between {MIN_FRAME_LEN} and {}", u32::MAX),
            );
        }
        for (field, value) in [
            ("max_connections", self.max_connections),
            (
                "max_in_flight_per_connection",
                self.max_in_flight_per_connection,
            ),
            ("max_in_flight_total", self.max_in_flight_total),
        ] {
            if value == 0 {
                return fail(field, "must be at least 1".to_owned());
            }
        }
        if self.max_nesting_depth == 0 {
            return fail("max_nesting_depth", "must be at least 1".to_owned());
        }
        for (field, value) in [
            ("default_call_timeout_ms", self.default_call_timeout_ms),
            ("idle_timeout_secs", self.idle_timeout_secs),
        ] {
            if value == 0 {
                return fail(field, "must be at least 1".to_owned());
            }
        }
        Ok(())
    }

    pub(crate) fn default_call_timeout(&self) -> Duration {
        Duration::from_millis(self.default_call_timeout_ms)
    }

    pub(crate) fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    pub(crate) fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_config_round_trips_through_json_and_is_valid() {
        let json = serde_json::to_string(&ServerConfig::default()).expect("serialize");
        let back: ServerConfig = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, ServerConfig::default());
        assert!(back.validate().is_ok());
        let partial: ServerConfig =
            serde_json::from_str(r#"{"max_connections": 5}"#).expect("partial");
        assert_eq!(partial.max_connections, 5);
        assert_eq!(partial.idle_timeout_secs, 600);
    }

    #[test]
    fn unknown_keys_and_impossible_values_are_rejected() {
        assert!(serde_json::from_str::<ServerConfig>(r#"{"max_conections": 5}"#).is_err());
        for (json, field) in [
            (r#"{"max_frame_bytes": 4}"#, "max_frame_bytes"),
            (r#"{"max_connections": 0}"#, "max_connections"),
            (
                r#"{"max_in_flight_per_connection": 0}"#,
                "max_in_flight_per_connection",
            ),
            (r#"{"max_in_flight_total": 0}"#, "max_in_flight_total"),
            (
                r#"{"default_call_timeout_ms": 0}"#,
                "default_call_timeout_ms",
            ),
            (r#"{"idle_timeout_secs": 0}"#, "idle_timeout_secs"),
            (r#"{"max_nesting_depth": 0}"#, "max_nesting_depth"),
        ] {
            let config: ServerConfig = serde_json::from_str(json).expect("parses");
            let err = config.validate().expect_err(field);
            assert!(err.to_string().contains(field), "{err}");
        }
    }
}
