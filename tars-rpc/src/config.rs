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
    /// Servant calls running at once over all connections; past it new calls are answered
    /// with -9 (server overload) at once. Default 65 536.
    pub max_in_flight_total: usize,
    /// Longest a servant call may run when the request carries no timeout; a call that runs past
    /// its request's `iTimeout` (or this) is answered with -6 and its slot freed. Default 30 s.
    pub default_call_timeout: Duration,
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
            max_in_flight_total: 65_536,
            default_call_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(600),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}
