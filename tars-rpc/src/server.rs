//! Accepting connections and shutting down.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use bytes::Bytes;
use foldhash::fast::RandomState;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::connection;
use crate::{Error, Metrics, Result, Servant, ServerConfig};

/// A TARS server under construction: limits plus the servants it dispatches to.
#[derive(Clone)]
pub struct Server {
    config: ServerConfig,
    servants: HashMap<Bytes, Arc<dyn Servant>, RandomState>,
    metrics: Metrics,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self
            .servants
            .keys()
            .map(|k| String::from_utf8_lossy(k))
            .collect();
        f.debug_struct("Server")
            .field("config", &self.config)
            .field("servants", &names)
            .field("metrics", &self.metrics)
            .finish()
    }
}

/// State shared by the accept loop and every connection.
pub(crate) struct Shared {
    pub(crate) config: ServerConfig,
    pub(crate) servants: HashMap<Bytes, Arc<dyn Servant>, RandomState>,
    /// Servant calls running now, over all connections.
    pub(crate) calls_running: AtomicUsize,
    pub(crate) metrics: Metrics,
}

impl Server {
    /// A server with `config` and no servants yet.
    pub fn new(config: ServerConfig) -> Self {
        Self {
            config,
            servants: HashMap::default(),
            metrics: Metrics::default(),
        }
    }

    /// Counts into `metrics` (see [`Metrics::register`]); by default the counters are kept but
    /// not exported.
    #[must_use]
    pub fn metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Registers `servant` under the object name `name` (e.g. `tars.tarsstat.StatObj`).
    #[must_use]
    pub fn servant(mut self, name: &str, servant: Arc<dyn Servant>) -> Self {
        self.servants
            .insert(Bytes::copy_from_slice(name.as_bytes()), servant);
        self
    }

    /// Binds the listening socket.
    ///
    /// # Errors
    ///
    /// Fails when the configuration is invalid or the address cannot be bound (in use, no
    /// permission).
    pub async fn bind(self, addr: SocketAddr) -> Result<BoundServer> {
        self.config.validate()?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::BindFailed { addr, source })?;
        self.listen(listener)
    }

    /// Serves a socket bound beforehand (for example to learn an OS-chosen port before the
    /// servants exist).
    ///
    /// # Errors
    ///
    /// Fails when the configuration is invalid or the socket has no local address.
    pub fn listen(self, listener: TcpListener) -> Result<BoundServer> {
        self.config.validate()?;
        let local_addr = listener.local_addr().map_err(Error::LocalAddrFailed)?;
        Ok(BoundServer {
            listener,
            local_addr,
            shared: Arc::new(Shared {
                config: self.config,
                servants: self.servants,
                calls_running: AtomicUsize::new(0),
                metrics: self.metrics,
            }),
        })
    }
}

/// A server whose socket is bound; [`BoundServer::run`] serves it.
pub struct BoundServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for BoundServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl BoundServer {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` is cancelled, then stops accepting, lets in-flight calls finish
    /// within the grace period, and returns.
    pub async fn run(self, shutdown: CancellationToken) {
        let permits = Arc::new(Semaphore::new(self.shared.config.max_connections));
        let tracker = TaskTracker::new();
        let connections = shutdown.child_token();
        loop {
            let accepted = tokio::select! {
                () = shutdown.cancelled() => break,
                accepted = self.listener.accept() => accepted,
            };
            let (stream, peer) = match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    warn!(message = "Failed to accept a connection.", %error);
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                self.shared.metrics.refuse("max_connections");
                warn!(
                    message = "Connection limit reached; closing the new connection.",
                    %peer,
                    max_connections = self.shared.config.max_connections
                );
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let shared = Arc::clone(&self.shared);
            let token = connections.clone();
            shared.metrics.connections_opened.inc();
            tracker.spawn(async move {
                connection::serve(stream, peer, Arc::clone(&shared), token).await;
                shared.metrics.connections_closed.inc();
                drop(permit);
            });
        }
        tracker.close();
        debug!(message = "Stopped accepting; draining connections.", addr = %self.local_addr);
        if tokio::time::timeout(self.shared.config.shutdown_grace(), tracker.wait())
            .await
            .is_err()
        {
            warn!(
                message = "Connections did not drain within the grace period.",
                addr = %self.local_addr,
                remaining = tracker.len()
            );
        } else {
            info!(message = "Server stopped.", addr = %self.local_addr);
        }
    }
}
