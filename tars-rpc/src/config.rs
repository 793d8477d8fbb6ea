//! Server limits.

use std::time::Duration;

use tars_codec::frame::DEFAULT_MAX_FRAME_LEN;

/// Limits and timeouts of one server. Every bound is logged when hit.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest accepted frame, prefix included; a larger one closes the connection.
    /// Default 10 MiB, as TarsGo (TarsCpp allows 100 MiB).
    pub max_frame_bytes: usize,
    /// Connections served at once; further ones are accepted and closed at once.
    /// Default 10 000.
    pub max_connections: usize,
    /// Calls in flight per connection; past it the server stops reading that connection until
    /// calls complete (backpressure). Default 1 024.
    pub max_in_flight_per_connection: usize,
    /// A connection with no request for this long is closed. Default 10 minutes.
    pub idle_timeout: Duration,
    /// On shutdown, how long in-flight calls may take before connections are dropped.
    /// Default 10 s.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_frame_bytes: DEFAULT_MAX_FRAME_LEN,
            max_connections: 10_000,
            max_in_flight_per_connection: 1024,
            idle_timeout: Duration::from_secs(600),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}
