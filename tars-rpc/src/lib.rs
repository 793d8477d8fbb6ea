//! The TARS RPC runtime on tokio: a server that frames, decodes and dispatches requests by
//! object and function, answers `tars_ping` itself, honours one-way calls, speaks TARS v1 and
//! TUP v3, bounds frames, connections and in-flight calls, and shuts down gracefully.
//!
//! Services implement [`Servant`] and register it under its object name with
//! [`Server::servant`].

mod client;
mod config;
mod connection;
mod error;
pub mod interfaces;
mod metrics;
mod servant;
mod server;

pub use client::{CallError, Client, Response};
pub use config::{InvalidConfig, ServerConfig};
pub use error::{Error, Result};
pub use metrics::Metrics;
pub use servant::{Call, Inline, Reply, ReplyFuture, Request, Servant};
pub use server::{BoundServer, Server};

/// The built-in liveness function every object answers without reaching the servant.
pub const TARS_PING: &[u8] = b"tars_ping";
