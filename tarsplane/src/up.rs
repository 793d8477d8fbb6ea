//! `tarsplane up`: every framework object on its standard port.
//!
//! Each object gets its own listener, as in K8SFramework. Services are added here as they are
//! built (issues 4–7); until then an object answers `tars_ping`, and any other call with
//! `-4` (no such servant) and a description saying the service is not in this build.

use std::net::{IpAddr, SocketAddr};

use tars_rpc::{BoundServer, Server, ServerConfig};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::objects::FRAMEWORK_OBJECTS;

/// One listening object.
#[derive(Debug, Clone)]
pub struct Served {
    /// The object name.
    pub object: &'static str,
    /// The service that implements it.
    pub service: &'static str,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Whether the service is implemented in this build (otherwise only `tars_ping`).
    pub implemented: bool,
}

/// Listeners bound and ready to run.
#[derive(Debug)]
pub struct Plane {
    servers: Vec<BoundServer>,
    /// What is served where.
    pub served: Vec<Served>,
}

/// Binds every framework object on `host`. With `port_offset` 0 the standard ports are used;
/// tests pass ports chosen by the OS by binding port 0 (`ephemeral = true`).
///
/// # Errors
///
/// Fails when a port cannot be bound.
pub async fn bind(host: IpAddr, ephemeral: bool) -> Result<Plane, tars_rpc::Error> {
    let mut servers = Vec::new();
    let mut served = Vec::new();
    for &(object, port, service) in FRAMEWORK_OBJECTS {
        let port = if ephemeral { 0 } else { port };
        let bound = Server::new(ServerConfig::default())
            .bind(SocketAddr::new(host, port))
            .await?;
        served.push(Served {
            object,
            service,
            addr: bound.local_addr(),
            implemented: false,
        });
        servers.push(bound);
    }
    Ok(Plane { servers, served })
}

impl Plane {
    /// Serves until `shutdown` is cancelled, then drains every listener.
    pub async fn run(self, shutdown: CancellationToken) {
        let tracker = TaskTracker::new();
        for server in self.servers {
            tracker.spawn(server.run(shutdown.child_token()));
        }
        tracker.close();
        tracker.wait().await;
    }
}
