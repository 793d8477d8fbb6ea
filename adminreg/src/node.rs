//! Calls to a pod's `tars.tarsnode.NodeObj`: the node name resolved (a pod IP, as tarsweb
//! sends, or a DNS name), a fresh connection within the connect timeout, one call within the
//! call timeout. Admin calls are rare, so nothing is pooled and nothing lingers.

use std::net::SocketAddr;
use std::time::Duration;

use tars_codec::Struct;
use tars_rpc::{CallError, Client, Response};

use crate::Config;

/// The object every pod's tarsnode serves.
pub const NODE_OBJ: &str = "tars.tarsnode.NodeObj";

/// Why a node could not be called; the text goes into the reply's `result`.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The node name is empty or does not resolve.
    #[error("cannot resolve node {node:?}: {reason}")]
    Resolve {
        /// The node name as given.
        node: String,
        /// Why.
        reason: String,
    },
    /// No connection within the connect timeout, or refused.
    #[error("cannot connect to {NODE_OBJ} at {addr}: {reason}")]
    Connect {
        /// The node's address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The call failed or timed out.
    #[error("{NODE_OBJ}.{func} at {addr}: {source}")]
    Call {
        /// The function called.
        func: &'static str,
        /// The node's address.
        addr: SocketAddr,
        /// The failure.
        #[source]
        source: CallError,
    },
    /// The node answered with a framework error (no such function, decode error, ...).
    #[error("{NODE_OBJ}.{func} at {addr} answered iRet {ret}: {desc}")]
    Failed {
        /// The function called.
        func: &'static str,
        /// The node's address.
        addr: SocketAddr,
        /// `iRet`.
        ret: i32,
        /// `sResultDesc`.
        desc: String,
    },
}

impl NodeError {
    /// Whether the node did not answer in time (as opposed to refusing or failing).
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Call { source, .. } => matches!(source, CallError::Timeout(_)),
            Self::Connect { reason, .. } => reason.starts_with("no connection within"),
            _ => false,
        }
    }
}

/// Calls pods' NodeObj.
#[derive(Debug, Clone)]
pub struct Nodes {
    port: u16,
    connect_timeout: Duration,
    call_timeout: Duration,
}

impl Nodes {
    /// Nodes at `config.node_port` with the configured timeouts.
    pub fn new(config: &Config) -> Self {
        Self {
            port: config.node_port,
            connect_timeout: Duration::from_millis(config.node_connect_timeout_ms),
            call_timeout: Duration::from_millis(config.node_call_timeout_ms),
        }
    }

    async fn connect(&self, node: &str) -> Result<(Client, SocketAddr), NodeError> {
        let resolve = |reason: String| NodeError::Resolve {
            node: node.to_owned(),
            reason,
        };
        if node.is_empty() {
            return Err(resolve("the node name is empty".into()));
        }
        let lookup = tokio::net::lookup_host((node, self.port));
        let addr = match tokio::time::timeout(self.connect_timeout, lookup).await {
            Err(_) => {
                return Err(resolve(format!(
                    "no answer within {:?}",
                    self.connect_timeout
                )));
            }
            Ok(Err(e)) => return Err(resolve(e.to_string())),
            Ok(Ok(mut addrs)) => addrs.next().ok_or_else(|| resolve("no address".into()))?,
        };
        match tokio::time::timeout(self.connect_timeout, Client::connect(addr)).await {
            Err(_) => Err(NodeError::Connect {
                addr,
                reason: format!("no connection within {:?}", self.connect_timeout),
            }),
            Ok(Err(e)) => Err(NodeError::Connect {
                addr,
                reason: std::error::Error::source(&e)
                    .map_or_else(|| e.to_string(), ToString::to_string),
            }),
            Ok(Ok(client)) => Ok((client, addr)),
        }
    }

    /// Calls `func` on `node`'s NodeObj with `args`; the reply's buffer holds the result.
    ///
    /// # Errors
    /// The node cannot be resolved, reached or does not answer in time, or answers with a
    /// framework error.
    pub async fn call<A: Struct>(
        &self,
        node: &str,
        func: &'static str,
        args: &A,
    ) -> Result<Response, NodeError> {
        let (client, addr) = self.connect(node).await?;
        let response = client
            .call(NODE_OBJ, func, args, self.call_timeout)
            .await
            .map_err(|source| NodeError::Call { func, addr, source })?;
        if response.ret != 0 {
            return Err(NodeError::Failed {
                func,
                addr,
                ret: response.ret,
                desc: String::from_utf8_lossy(&response.desc).into_owned(),
            });
        }
        Ok(response)
    }

    /// `tars_ping` to `node`'s NodeObj.
    ///
    /// # Errors
    /// As [`Nodes::call`].
    pub async fn ping(&self, node: &str) -> Result<(), NodeError> {
        let (client, addr) = self.connect(node).await?;
        let response = client
            .ping(NODE_OBJ, self.call_timeout)
            .await
            .map_err(|source| NodeError::Call {
                func: "tars_ping",
                addr,
                source,
            })?;
        if response.ret != 0 {
            return Err(NodeError::Failed {
                func: "tars_ping",
                addr,
                ret: response.ret,
                desc: String::from_utf8_lossy(&response.desc).into_owned(),
            });
        }
        Ok(())
    }
}

/// The name `pingNode` dials for a pod name: a name with a `.` as it is, else K8SFramework's
/// `<pod>.<pod up to its last '-'>.<namespace>` (the pod's headless-service name).
pub fn ping_target(name: &str, namespace: &str) -> String {
    if name.contains('.') || namespace.is_empty() {
        return name.to_owned();
    }
    let service = name.rsplit_once('-').map_or(name, |(service, _)| service);
    format!("{name}.{service}.{namespace}")
}

#[cfg(test)]
mod tests {
    use super::ping_target;

    #[test]
    fn ping_targets_follow_the_reference() {
        assert_eq!(
            ping_target("test-hello-1", "tars"),
            "test-hello-1.test-hello.tars"
        );
        assert_eq!(ping_target("10.0.0.5", "tars"), "10.0.0.5");
        assert_eq!(ping_target("a.b", "tars"), "a.b");
        assert_eq!(ping_target("test-hello-1", ""), "test-hello-1");
        assert_eq!(ping_target("nodash", "tars"), "nodash.nodash.tars");
    }
}
