//! The AdminReg servant: each call decoded, forwarded (to a node or to tarsweb) on its own
//! task, and answered with K8SFramework's return values and texts.

use std::sync::Arc;

use tars_rpc::interfaces::IntResult;
use tars_rpc::interfaces::adminreg::{
    CHECK_TICKET, CheckTicketArgs, CheckTicketResult, HAS_ADMIN_AUTH, HAS_DEV_AUTH, HAS_OPE_AUTH,
    HasAdminAuthArgs, HasAdminAuthResult, HasAuthArgs, HasAuthResult, NOTIFY_SERVER,
    NodeNotifyArgs, NodeNotifyResult, NodeServerArgs, NodeServerResult, NotifyServerArgs,
    NotifyServerResult, PING_NODE, PingNodeArgs, PingNodeResult, REGISTER_PLUGIN, RESTART_SERVER,
    RegisterPluginArgs, START_SERVER, STOP_SERVER, ServerArgs, ServerResult,
};
use tars_rpc::{Reply, ReplyFuture, Request, Servant};

use crate::metrics::{Metrics, Outcome};
use crate::node::{NodeError, Nodes, ping_target};
use crate::web::{Need, Web, WebError, allowed};

/// `tars.tarsAdminRegistry.AdminRegObj`.
#[derive(Debug, Clone)]
pub struct AdminRegServant {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    nodes: Nodes,
    web: Web,
    namespace: String,
    metrics: Metrics,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn node_outcome(e: &NodeError) -> Outcome {
    match e {
        NodeError::Failed { .. } => Outcome::Refused,
        e if e.is_timeout() => Outcome::Timeout,
        _ => Outcome::Unreachable,
    }
}

fn web_outcome(e: &WebError) -> Outcome {
    match e {
        WebError::Refused { .. } => Outcome::Refused,
        WebError::Request { source, .. } if source.is_timeout() => Outcome::Timeout,
        WebError::Request { .. } => Outcome::Unreachable,
    }
}

impl AdminRegServant {
    /// A servant forwarding to `nodes` and `web`; `namespace` completes bare pod names in
    /// `pingNode` (empty: names are dialled as given).
    pub fn new(nodes: Nodes, web: Web, namespace: String, metrics: Metrics) -> Self {
        Self {
            inner: Arc::new(Inner {
                nodes,
                web,
                namespace,
                metrics,
            }),
        }
    }
}

impl Inner {
    /// start / stop / restart: Node's `(ret, result)` relayed; a node that cannot be called
    /// gives -1 and `<func> '<app>.<server>_<node>' <kind>:<why>` (K8SFramework's texts:
    /// `TarsException` for start, `Exception` for the others).
    async fn server(&self, func: &'static str, args: ServerArgs<'_>) -> Reply {
        let node = text(args.node_name);
        let forwarded = NodeServerArgs {
            application: args.application,
            server_name: args.server_name,
        };
        let answer = match self.nodes.call(&node, func, &forwarded).await {
            Ok(response) => match response.decode::<NodeServerResult<'_>>() {
                Ok(r) => {
                    let outcome = if r.ret == 0 {
                        Outcome::Ok
                    } else {
                        Outcome::Refused
                    };
                    self.metrics.call(func, outcome);
                    return Reply::encode(&ServerResult {
                        ret: r.ret,
                        result: r.result,
                    });
                }
                Err(e) => format!("undecodable answer from the node: {e}"),
            },
            Err(e) => {
                self.metrics.call(func, node_outcome(&e));
                e.to_string()
            }
        };
        let kind = if func == START_SERVER {
            "TarsException"
        } else {
            "Exception"
        };
        let result = format!(
            "{func} '{}.{}_{node}' {kind}:{answer}",
            text(args.application),
            text(args.server_name)
        );
        tracing::warn!(message = "AdminReg could not reach the node.", %result);
        Reply::encode(&ServerResult {
            ret: -1,
            result: result.as_bytes(),
        })
    }

    async fn notify(&self, args: NotifyServerArgs<'_>) -> Reply {
        let node = text(args.node_name);
        let forwarded = NodeNotifyArgs {
            application: args.application,
            server_name: args.server_name,
            command: args.command,
        };
        let answer = match self.nodes.call(&node, NOTIFY_SERVER, &forwarded).await {
            Ok(response) => match response.decode::<NodeNotifyResult<'_>>() {
                Ok(r) => {
                    let outcome = if r.ret == 0 {
                        Outcome::Ok
                    } else {
                        Outcome::Refused
                    };
                    self.metrics.call(NOTIFY_SERVER, outcome);
                    return Reply::encode(&NotifyServerResult {
                        ret: r.ret,
                        result: r.result,
                    });
                }
                Err(e) => format!("undecodable answer from the node: {e}"),
            },
            Err(e) => {
                self.metrics.call(NOTIFY_SERVER, node_outcome(&e));
                e.to_string()
            }
        };
        let result = format!(
            "{NOTIFY_SERVER} '{}.{}_{node}' Exception:{answer}",
            text(args.application),
            text(args.server_name)
        );
        tracing::warn!(message = "AdminReg could not reach the node.", %result);
        Reply::encode(&NotifyServerResult {
            ret: -1,
            result: result.as_bytes(),
        })
    }

    async fn ping(&self, args: PingNodeArgs<'_>) -> Reply {
        let target = ping_target(&text(args.name), &self.namespace);
        let (ok, result) = match self.nodes.ping(&target).await {
            Ok(()) => (true, "ping succ".to_owned()),
            Err(e) => {
                self.metrics.call(PING_NODE, node_outcome(&e));
                (false, e.to_string())
            }
        };
        if ok {
            self.metrics.call(PING_NODE, Outcome::Ok);
        }
        Reply::encode(&PingNodeResult {
            ret: ok,
            result: result.as_bytes(),
        })
    }

    async fn register_plugin(&self, args: RegisterPluginArgs<'_>) -> Reply {
        let ret = match self.web.register_plugin(&args.conf).await {
            Ok(()) => {
                self.metrics.call(REGISTER_PLUGIN, Outcome::Ok);
                0
            }
            Err(e) => {
                self.metrics.call(REGISTER_PLUGIN, web_outcome(&e));
                tracing::warn!(message = "registerPlugin failed.", error = %e);
                -1
            }
        };
        Reply::encode(&IntResult { ret })
    }

    /// The roles of `uid`, or the failure counted and logged.
    async fn roles(&self, method: &'static str, uid: &[u8]) -> Option<Vec<crate::web::Role>> {
        match self.web.roles(&text(uid)).await {
            Ok(roles) => {
                self.metrics.call(method, Outcome::Ok);
                Some(roles)
            }
            Err(e) => {
                self.metrics.call(method, web_outcome(&e));
                tracing::warn!(message = "tarsweb permission lookup failed.", method, error = %e);
                None
            }
        }
    }

    async fn has_auth(&self, method: &'static str, need: Need, args: HasAuthArgs<'_>) -> Reply {
        let answer = match self.roles(method, args.uid).await {
            Some(roles) => HasAuthResult {
                ret: 0,
                has: allowed(
                    &roles,
                    need,
                    &text(args.application),
                    &text(args.server_name),
                ),
            },
            None => HasAuthResult {
                ret: -1,
                has: false,
            },
        };
        Reply::encode(&answer)
    }

    async fn has_admin(&self, args: HasAdminAuthArgs<'_>) -> Reply {
        let answer = match self.roles(HAS_ADMIN_AUTH, args.uid).await {
            Some(roles) => HasAdminAuthResult {
                ret: 0,
                has: allowed(&roles, Need::Admin, "", ""),
            },
            None => HasAdminAuthResult {
                ret: -1,
                has: false,
            },
        };
        Reply::encode(&answer)
    }

    async fn check_ticket(&self, args: CheckTicketArgs<'_>) -> Reply {
        match self.web.ticket_uid(&text(args.ticket)).await {
            Ok(uid) => {
                self.metrics.call(CHECK_TICKET, Outcome::Ok);
                Reply::encode(&CheckTicketResult {
                    ret: 0,
                    uid: uid.as_bytes(),
                })
            }
            Err(e) => {
                self.metrics.call(CHECK_TICKET, web_outcome(&e));
                tracing::warn!(message = "checkTicket failed.", error = %e);
                Reply::encode(&CheckTicketResult { ret: -1, uid: b"" })
            }
        }
    }

    async fn answer(&self, request: Request) -> Reply {
        let func = request.func_name.clone();
        macro_rules! args {
            () => {
                match request.args() {
                    Ok(args) => args,
                    Err(e) => return Reply::decode_error(&e),
                }
            };
        }
        match &*func {
            f if f == START_SERVER.as_bytes() => self.server(START_SERVER, args!()).await,
            f if f == STOP_SERVER.as_bytes() => self.server(STOP_SERVER, args!()).await,
            f if f == RESTART_SERVER.as_bytes() => self.server(RESTART_SERVER, args!()).await,
            f if f == NOTIFY_SERVER.as_bytes() => self.notify(args!()).await,
            f if f == PING_NODE.as_bytes() => self.ping(args!()).await,
            f if f == REGISTER_PLUGIN.as_bytes() => self.register_plugin(args!()).await,
            f if f == HAS_DEV_AUTH.as_bytes() => {
                self.has_auth(HAS_DEV_AUTH, Need::Dev, args!()).await
            }
            f if f == HAS_OPE_AUTH.as_bytes() => {
                self.has_auth(HAS_OPE_AUTH, Need::Ope, args!()).await
            }
            f if f == HAS_ADMIN_AUTH.as_bytes() => self.has_admin(args!()).await,
            f if f == CHECK_TICKET.as_bytes() => self.check_ticket(args!()).await,
            other => Reply::no_function("AdminReg", other),
        }
    }
}

impl Servant for AdminRegServant {
    fn call(&self, request: Request) -> ReplyFuture {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move { inner.answer(request).await })
    }
}
