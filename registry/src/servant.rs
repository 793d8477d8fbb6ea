//! `tars.tarsregistry.RegistryObj`: `getServerDescriptor` (see [`crate::descriptor`]) and
//! `updateServerState`, which sets the reporting pod's `tars.io/active` readiness-gate
//! condition (framework facts §3.4).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{Patch, PatchParams};
use tars_rpc::interfaces::registry::{
    GET_SERVER_DESCRIPTOR, GetServerDescriptorArgs, UPDATE_SERVER_STATE, UpdateServerStateArgs,
};
use tars_rpc::{Call, Inline, Reply, ReplyFuture, Request, Servant};

use crate::cache::Registry;
use crate::descriptor;
use crate::metrics::Metrics;

/// The readiness-gate condition type.
pub const ACTIVE_CONDITION: &str = "tars.io/active";
/// Patch attempts before giving up (K8SFramework: 5).
const PATCH_ATTEMPTS: usize = 5;
/// Time allowed per attempt (K8SFramework: 1.5 s).
const PATCH_TIMEOUT: Duration = Duration::from_millis(1500);

/// Where pod states go.
#[derive(Debug, Clone)]
pub enum PodStates {
    /// Patch the pod's status in this namespace.
    Kubernetes(Box<Api<Pod>>),
    /// No Kubernetes (the file source): states are logged, not stored.
    Local,
}

/// The Registry servant.
#[derive(Debug, Clone)]
pub struct RegistryServant {
    registry: Registry,
    pods: PodStates,
}

impl RegistryServant {
    /// A servant describing servers from `registry` and sending pod states to `pods`.
    pub fn new(registry: Registry, pods: PodStates) -> Self {
        Self { registry, pods }
    }

    fn describe(&self, call: &Call<'_>) -> Reply {
        let args: GetServerDescriptorArgs<'_> = match call.args() {
            Ok(args) => args,
            Err(error) => return Reply::decode_error(&error),
        };
        let snapshot = self.registry.snapshot();
        let (reply, error) = descriptor::describe(&snapshot, args.server_app, args.server_name);
        if let Some(error) = error {
            self.registry.metrics().descriptor_failures.inc();
            tracing::warn!(message = "getServerDescriptor failed.", error = %error);
        }
        Reply::Ok(reply)
    }

    fn update_state(&self, request: &Request) -> Result<impl Future<Output = ()> + use<>, Reply> {
        let args: UpdateServerStateArgs<'_> =
            request.args().map_err(|e| Reply::decode_error(&e))?;
        let pod = String::from_utf8_lossy(args.pod_name).into_owned();
        let setting = String::from_utf8_lossy(args.setting_state).into_owned();
        let present = String::from_utf8_lossy(args.present_state).into_owned();
        let pid = request
            .context
            .get(&Bytes::from_static(b"PID"))
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
        let pods = self.pods.clone();
        let metrics = self.registry.metrics().clone();
        Ok(async move {
            let result = match pods {
                PodStates::Kubernetes(api) => {
                    patch_active(&api, &pod, &setting, &present, &pid).await
                }
                PodStates::Local => {
                    tracing::info!(
                        message = "Server state (not stored: no Kubernetes).",
                        pod,
                        setting,
                        present,
                        pid
                    );
                    "local"
                }
            };
            metrics
                .state_updates
                .get_or_create(&Metrics::result(result))
                .inc();
        })
    }
}

/// The strategic-merge patch K8SFramework sends for a state report.
pub fn active_condition_patch(setting: &str, present: &str, pid: &str) -> serde_json::Value {
    let active = setting == "Active" && present == "Active";
    serde_json::json!({
        "status": {
            "conditions": [{
                "type": ACTIVE_CONDITION,
                "status": if active { "True" } else { "False" },
                "reason": format!("{setting}/{present}/{pid}"),
            }]
        }
    })
}

async fn patch_active(
    api: &Api<Pod>,
    pod: &str,
    setting: &str,
    present: &str,
    pid: &str,
) -> &'static str {
    let patch = Patch::Strategic(active_condition_patch(setting, present, pid));
    let params = PatchParams::default();
    for attempt in 1..=PATCH_ATTEMPTS {
        let call = api.patch_status(pod, &params, &patch);
        match tokio::time::timeout(PATCH_TIMEOUT, call).await {
            Ok(Ok(_)) => {
                tracing::debug!(message = "Pod state set.", pod, setting, present, pid);
                return "patched";
            }
            Ok(Err(error)) => {
                tracing::warn!(message = "Pod state patch failed.", pod, attempt, %error);
            }
            Err(_) => tracing::warn!(message = "Pod state patch timed out.", pod, attempt),
        }
    }
    "failed"
}

impl Servant for RegistryServant {
    /// `getServerDescriptor` reads the snapshot: answered inline; `updateServerState` waits
    /// for the API server and goes through [`Servant::call`].
    fn answer_now(&self, call: &Call<'_>, _body: &mut BytesMut) -> Option<Inline> {
        (call.func_name == GET_SERVER_DESCRIPTOR.as_bytes())
            .then(|| Inline::Reply(self.describe(call)))
    }

    fn call(&self, request: Request) -> ReplyFuture {
        if *request.func_name == *GET_SERVER_DESCRIPTOR.as_bytes() {
            return Box::pin(std::future::ready(self.describe(&request.as_call())));
        }
        if *request.func_name == *UPDATE_SERVER_STATE.as_bytes() {
            return match self.update_state(&request) {
                Ok(update) => Box::pin(async move {
                    update.await;
                    Reply::Ok(Bytes::new())
                }),
                Err(reply) => Box::pin(std::future::ready(reply)),
            };
        }
        let reply = Reply::no_function("Registry", &request.func_name);
        Box::pin(std::future::ready(reply))
    }
}
