//! `tars.tarsnotify.NotifyObj`: the four methods K8SFramework serves (framework facts §1.7).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use parking_lot::RwLock;
use tars_rpc::interfaces::notify::{
    GET_NOTIFY_INFO, GetNotifyInfoResult, NOTIFY_SERVER, NotifyInfo, NotifyServerArgs,
    REPORT_NOTIFY_INFO, REPORT_SERVER, ReportNotifyInfoArgs, ReportServerArgs,
};
use tars_rpc::{Reply, ReplyFuture, Request, Servant};
use tokio::sync::mpsc;

use crate::limit::Limiter;
use crate::metrics::Metrics;
use crate::record::{Record, Source, level_from_enum, level_from_text, split_server_name};

/// Reporter address (pod IP or node name) to `<pod>.<workload>`. Unknown reporters keep their
/// address, as in the reference. Fed from configuration now; a Kubernetes pod watch can
/// `set`/`remove` entries at run time.
#[derive(Debug, Clone, Default)]
pub struct PodNames(Arc<RwLock<HashMap<String, String>>>);

impl PodNames {
    /// Names from a fixed map.
    pub fn from_map(map: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(Arc::new(RwLock::new(map.into_iter().collect())))
    }

    /// Records that `address` is `name`.
    pub fn set(&self, address: String, name: String) {
        self.0.write().insert(address, name);
    }

    /// Replaces every entry (after a relist).
    pub fn replace_all(&self, map: HashMap<String, String>) {
        *self.0.write() = map;
    }

    /// Forgets `address`.
    pub fn remove(&self, address: &str) {
        self.0.write().remove(address);
    }

    /// The name of `address`, or `address` itself.
    pub fn resolve(&self, address: &str) -> String {
        self.0
            .read()
            .get(address)
            .cloned()
            .unwrap_or_else(|| address.to_owned())
    }
}

/// The Notify servant: builds records, applies the rate limit, queues them for the writer.
#[derive(Debug, Clone)]
pub struct NotifyServant {
    intake: mpsc::Sender<Record>,
    limiter: Arc<Limiter>,
    pods: PodNames,
    metrics: Metrics,
    empty_info: Bytes,
}

impl NotifyServant {
    pub(crate) fn new(
        intake: mpsc::Sender<Record>,
        limiter: Arc<Limiter>,
        pods: PodNames,
        metrics: Metrics,
    ) -> Self {
        let empty_info = tars_codec::to_bytes(&GetNotifyInfoResult {
            ret: 0,
            info: NotifyInfo {
                nextpage: 0,
                notify_items: Vec::new(),
            },
        });
        Self {
            intake,
            limiter,
            pods,
            metrics,
            empty_info,
        }
    }

    /// The pod names this servant resolves reporters with (feed them with
    /// [`crate::pods::watch_pods`]).
    pub fn pod_names(&self) -> PodNames {
        self.pods.clone()
    }

    /// Rate-limits and queues one record. Returns whether it was queued.
    pub fn accept(&self, record: Record) -> bool {
        self.metrics.records.inc();
        if !self
            .limiter
            .allow(&record.limit_key(), record.at_ms.div_euclid(1000))
        {
            self.metrics.dropped("rate_limit", 1);
            tracing::debug!(message = "Alarm over its server's rate limit; dropped.", app = %String::from_utf8_lossy(&record.app), server = %String::from_utf8_lossy(&record.server));
            return false;
        }
        match self.intake.try_send(record) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.metrics.dropped("queue_full", 1);
                tracing::warn!(message = "Notify queue full; alarm dropped.");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.metrics.dropped("shutdown", 1);
                false
            }
        }
    }

    fn record(&self, request: &Request) -> Result<Option<Record>, tars_codec::Error> {
        let peer = peer_text(request.peer.ip());
        let at_ms = now_ms();
        let func = &*request.func_name;
        let record = if func == REPORT_SERVER.as_bytes() {
            let args: ReportServerArgs<'_> = request.args()?;
            let (app, server) = split_server_name(args.server_name);
            Record {
                app: app.to_vec(),
                server: server.to_vec(),
                pod_name: self.pods.resolve(&peer),
                thread: args.thread_id.to_vec(),
                level: level_from_text(args.message),
                message: args.message.to_vec(),
                source: Source::Program,
                at_ms,
            }
        } else if func == NOTIFY_SERVER.as_bytes() {
            let args: NotifyServerArgs<'_> = request.args()?;
            let (app, server) = split_server_name(args.server_name);
            Record {
                app: app.to_vec(),
                server: server.to_vec(),
                pod_name: self.pods.resolve(&peer),
                thread: Vec::new(),
                level: level_from_enum(args.level),
                message: args.message.to_vec(),
                source: Source::Program,
                at_ms,
            }
        } else if func == REPORT_NOTIFY_INFO.as_bytes() {
            let ReportNotifyInfoArgs { info } = request.args()?;
            let reporter = if info.node_name.is_empty() {
                peer
            } else {
                String::from_utf8_lossy(info.node_name).into_owned()
            };
            Record {
                app: info.app.to_vec(),
                server: info.server.to_vec(),
                pod_name: self.pods.resolve(&reporter),
                thread: info.thread_id.to_vec(),
                level: level_from_enum(info.level),
                message: info.message.to_vec(),
                source: Source::Server,
                at_ms,
            }
        } else {
            return Ok(None);
        };
        Ok(Some(record))
    }
}

fn peer_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or_else(|| v6.to_string(), |v4| v4.to_string()),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Servant for NotifyServant {
    fn call(&self, request: Request) -> ReplyFuture {
        let reply = if *request.func_name == *GET_NOTIFY_INFO.as_bytes() {
            // K8SFramework answers 0 and an empty page.
            Reply::Ok(self.empty_info.clone())
        } else {
            match self.record(&request) {
                Ok(Some(record)) => {
                    self.accept(record);
                    // void methods: an empty result buffer.
                    Reply::Ok(Bytes::new())
                }
                Ok(None) => Reply::no_function("Notify", &request.func_name),
                Err(error) => Reply::decode_error(&error),
            }
        };
        Box::pin(std::future::ready(reply))
    }
}
