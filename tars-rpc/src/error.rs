//! Errors of the RPC runtime.

use std::net::SocketAddr;

/// A failure of the server itself (not of a call, which becomes a return code).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listening socket could not be bound.
    #[error("failed to bind {addr}")]
    BindFailed {
        /// The address asked for.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The configuration cannot work.
    #[error(transparent)]
    InvalidConfig(#[from] crate::config::InvalidConfig),
    /// Reading the bound address failed.
    #[error("failed to read the local address")]
    LocalAddrFailed(#[source] std::io::Error),
}

/// `Result` with the runtime's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
