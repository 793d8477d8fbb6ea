//! `updateServerState` patching the pod's `tars.io/active` condition.

use std::net::{Ipv4Addr, SocketAddr};

use bytes::Bytes;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use prometheus_client::registry::Registry as Prometheus;
use registry::{ACTIVE_CONDITION, Metrics};
use tars_codec::{Protocol, TarsMap};
use tars_rpc::interfaces::registry::{UPDATE_SERVER_STATE, UpdateServerStateArgs};
use tars_rpc::{Reply, Request, Servant};
use tars_test::kube_target::{KubeTarget, Needs};
use tokio_util::sync::CancellationToken;

use crate::harness::{config, metric, pods, start, stop};
use crate::objects::start_pod;

const PATCHED: &str = r#"tars_registry_state_updates_total{result="patched"}"#;
const PATCH_FAILED: &str = r#"tars_registry_state_updates_total{result="failed"}"#;

/// `(status, reason)` of a pod's `tars.io/active` condition, read through the API.
async fn active_condition(api: &Api<Pod>, pod: &str) -> Option<(String, String)> {
    let pod = api.get_opt(pod).await.expect("get the pod")?;
    let condition = pod
        .status?
        .conditions?
        .into_iter()
        .find(|c| c.type_ == ACTIVE_CONDITION)?;
    Some((condition.status, condition.reason.unwrap_or_default()))
}

/// An `updateServerState` call from pod `pod`, process `pid`.
fn update_server_state(pod: &str, setting: &str, present: &str, pid: &str) -> Request {
    let args = UpdateServerStateArgs {
        pod_name: pod.as_bytes(),
        setting_state: setting.as_bytes(),
        present_state: present.as_bytes(),
    };
    let mut context = TarsMap::new();
    context.push(
        Bytes::from_static(b"PID"),
        Bytes::copy_from_slice(pid.as_bytes()),
    );
    Request {
        protocol: Protocol::Tars,
        request_id: 1,
        servant_name: Bytes::from_static(b"tars.tarsregistry.RegistryObj"),
        func_name: Bytes::from_static(UPDATE_SERVER_STATE.as_bytes()),
        args: tars_codec::to_bytes(&args),
        timeout_ms: 3000,
        context,
        one_way: false,
        peer: SocketAddr::from((Ipv4Addr::LOCALHOST, 40_000)),
        max_depth: 100,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_server_state_patches_the_pod_condition() {
    for target in KubeTarget::all(Needs::TarsCrds).await {
        eprintln!("-- on the {}", target.name());
        update_server_state_patches(&target).await;
    }
}

async fn update_server_state_patches(target: &KubeTarget) {
    let pods = pods(target);
    start_pod(
        &pods,
        "test-hello-0",
        "10.0.0.10",
        false,
        "Active/Activating/1",
    )
    .await;
    let mut prometheus = Prometheus::default();
    let metrics = Metrics::register(&mut prometheus);
    let shutdown = CancellationToken::new();
    let service = start(target, &config(), metrics, &shutdown).await;

    // The reply comes after the patch.
    let call = update_server_state("test-hello-0", "Active", "Active", "1234");
    let reply = service.registry_servant.call(call).await;
    assert_eq!(reply, Reply::Ok(Bytes::new()));
    assert_eq!(
        active_condition(&pods, "test-hello-0").await,
        Some(("True".to_owned(), "Active/Active/1234".to_owned()))
    );

    let call = update_server_state("test-hello-0", "Active", "Deactivating", "1234");
    let reply = service.registry_servant.call(call).await;
    assert_eq!(reply, Reply::Ok(Bytes::new()));
    assert_eq!(
        active_condition(&pods, "test-hello-0").await,
        Some(("False".to_owned(), "Active/Deactivating/1234".to_owned()))
    );
    assert_eq!(metric(&prometheus, PATCHED), Some(2));
    let pod = pods.get("test-hello-0").await.expect("the pod");
    let types: Vec<String> = pod
        .status
        .and_then(|s| s.conditions)
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.type_)
        .collect();
    assert_eq!(
        types,
        [
            "PodScheduled",
            "Initialized",
            "ContainersReady",
            "Ready",
            ACTIVE_CONDITION
        ],
        "the other conditions are kept"
    );

    // A pod that does not exist: the patch fails (after its retries), the call still succeeds.
    let reply = service
        .registry_servant
        .call(update_server_state("no-such-pod", "Active", "Active", "1"))
        .await;
    assert_eq!(reply, Reply::Ok(Bytes::new()));
    assert_eq!(metric(&prometheus, PATCH_FAILED), Some(1));
    assert!(pods.get_opt("no-such-pod").await.expect("get").is_none());

    stop(&service, &shutdown).await;
}
