//! The reconciler deriving TEndpoint spec and `status.pods` from a TServer and its pods (pod
//! status written through `pods/status`, as a kubelet would), holding its Lease, following pod
//! readiness, termination and deletion, and deleting the TEndpoint with its TServer.

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams};
use registry::reconcile::controller::tserver_resource;
use registry::{Metrics, Service};
use serde_json::{Value, json};
use tars_test::kube_target::{KubeTarget, Needs};
use tokio_util::sync::CancellationToken;

use crate::harness::{
    create, delete, eventually_eq, hosts, owned, pods, read, reconciling_config, start, stop,
    tars_api, tendpoints,
};
use crate::objects::{HELLO, hello_tserver, set_pod_status, start_pod};

/// The reconciler's Lease.
const LEASE: &str = "tarsplane-registry-reconciler";

/// `status.pods` of a TEndpoint as (name, `settingState`, `presentState`, pid).
fn endpoint_rows(endpoint: Option<&Value>) -> Vec<[String; 4]> {
    let Some(pods) = endpoint
        .and_then(|e| e.pointer("/status/pods"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    pods.iter()
        .map(|pod| {
            ["name", "settingState", "presentState", "pid"].map(|key| {
                pod.get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            })
        })
        .collect()
}

/// Rows as [`endpoint_rows`] returns them.
fn rows(expected: &[[&str; 4]]) -> Vec<[String; 4]> {
    expected.iter().map(|row| row.map(str::to_owned)).collect()
}

/// The field managers that wrote an object with server-side apply.
fn apply_managers(object: &Value) -> Vec<String> {
    let mut managers: Vec<String> = object
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|entry| entry.get("operation").and_then(Value::as_str) == Some("Apply"))
        .filter_map(|entry| entry.get("manager").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    managers.sort();
    managers.dedup();
    managers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciler_derives_tendpoints_from_tservers_and_pods() {
    for target in KubeTarget::all(Needs::TarsCrds).await {
        eprintln!("-- on the {}", target.name());
        reconciler_derives_tendpoints(&target).await;
    }
}

/// Checks the TEndpoint the reconciler derived from `tserver` and its first pod `ready`.
fn check_derived(derived: &Value, tserver: &Value, ready: &Pod) {
    assert_eq!(
        derived.pointer("/metadata/ownerReferences"),
        Some(&json!([{
            "apiVersion": "k8s.tars.io/v1beta3", "kind": "TServer", "name": "test-hello",
            "uid": tserver["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true,
        }])),
        "{derived:#}"
    );
    assert_eq!(
        derived.pointer("/metadata/labels"),
        Some(&json!({
            "team": "a", "tars.io/ServerApp": "Test", "tars.io/ServerName": "Hello",
        })),
        "{derived:#}"
    );
    assert_eq!(
        derived.get("spec"),
        Some(&json!({
            "app": "Test", "server": "Hello", "subType": "tars", "important": 5,
            "tars": tserver["spec"]["tars"],
        })),
        "the spec is copied from the TServer as stored, without `k8s`: {derived:#}"
    );
    let first = derived
        .pointer("/status/pods/0")
        .expect("a status entry for the first pod");
    let pod_uid = ready.metadata.uid.clone().expect("the pod has a uid");
    let created = serde_json::to_value(&ready.metadata.creation_timestamp).expect("json");
    assert_eq!(first["uid"], json!(pod_uid), "{first:#}");
    assert_eq!(first["podIP"], "10.0.0.10", "{first:#}");
    assert_eq!(first["hostIP"], "192.168.0.1", "{first:#}");
    assert_eq!(first["id"], "v1", "{first:#}");
    assert_eq!(
        first["startTime"], created,
        "the pod's creationTimestamp: {first:#}"
    );
    assert_eq!(
        apply_managers(derived),
        ["tarsplane-registry"],
        "the reconciler writes with server-side apply: {derived:#}"
    );
}

/// Checks that the registry holds the reconciler's Lease.
async fn check_lease_holder(leases: &Api<Lease>) {
    let lease = leases
        .get(LEASE)
        .await
        .expect("the reconciler's Lease exists");
    assert_eq!(
        lease.spec.as_ref().and_then(|s| s.holder_identity.clone()),
        Some(registry::reconcile::identity()),
        "the registry holds the Lease: {lease:?}"
    );
}

/// Removes the finalizer of terminating pod `test-hello-1`: it leaves the TEndpoint.
async fn finalizer_release_removes_the_pod(
    target: &KubeTarget,
    service: &Service,
    pods: &Api<Pod>,
    tendpoints: &Api<DynamicObject>,
) {
    // Its finalizer removed, it is gone for good.
    pods.patch(
        "test-hello-1",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .expect("the finalizer is removed");
    eventually_eq(target, "the pod is gone", &true, || async {
        pods.get_opt("test-hello-1")
            .await
            .expect("get the pod")
            .is_none()
    })
    .await;
    eventually_eq(
        target,
        "a deleted pod leaves the status",
        &rows(&[["test-hello-0", "Active", "Active", "42"]]),
        || async { endpoint_rows(read(tendpoints, "test-hello").await.as_ref()) },
    )
    .await;
    eventually_eq(
        target,
        "a deleted pod is no longer served",
        &(owned(&["test-hello-0.test-hello:10000"]), vec![]),
        || async { hosts(service, HELLO) },
    )
    .await;
}

/// Deletes TServer `test-hello`; its TEndpoint and its lookups go.
async fn tserver_deletion_deletes_the_tendpoint(
    target: &KubeTarget,
    service: &Service,
    tservers: &Api<DynamicObject>,
    tendpoints: &Api<DynamicObject>,
) {
    // Without its TServer the TEndpoint goes (deleted by the reconciler: there is no
    // garbage collector on a bare API server, nor on the fake).
    delete(tservers, "test-hello").await;
    eventually_eq(
        target,
        "the TEndpoint of a deleted TServer is deleted",
        &None,
        || async { read(tendpoints, "test-hello").await },
    )
    .await;
    eventually_eq(
        target,
        "the deleted server is no longer served",
        &(vec![], vec![]),
        || async { hosts(service, HELLO) },
    )
    .await;
}

async fn reconciler_derives_tendpoints(target: &KubeTarget) {
    let tservers = tars_api(target, &tserver_resource());
    let tendpoints = tendpoints(target);
    let pods = pods(target);
    let leases: Api<Lease> = Api::namespaced(target.client(), target.namespace());
    let tserver = create(&tservers, hello_tserver()).await;
    let ready = start_pod(&pods, "test-hello-0", "10.0.0.10", true, "Active/Active/42").await;
    start_pod(
        &pods,
        "test-hello-1",
        "10.0.0.11",
        false,
        "Active/Activating/43",
    )
    .await;
    let shutdown = CancellationToken::new();
    let service = start(target, &reconciling_config(), Metrics::default(), &shutdown).await;
    let endpoint = || async { read(&tendpoints, "test-hello").await };

    eventually_eq(
        target,
        "the reconciler writes the pods' states",
        &rows(&[
            ["test-hello-0", "Active", "Active", "42"],
            ["test-hello-1", "Active", "Activating", "43"],
        ]),
        || async { endpoint_rows(endpoint().await.as_ref()) },
    )
    .await;
    let derived = endpoint()
        .await
        .expect("the reconciler created the TEndpoint");
    check_derived(&derived, &tserver, &ready);
    check_lease_holder(&leases).await;
    eventually_eq(
        target,
        "the registry serves the derived TEndpoint",
        &(
            owned(&["test-hello-0.test-hello:10000"]),
            owned(&["test-hello-1.test-hello:10000"]),
        ),
        || async { hosts(&service, HELLO) },
    )
    .await;

    // The second pod becomes ready.
    set_pod_status(&pods, "test-hello-1", "10.0.0.11", true, "Active/Active/43").await;
    eventually_eq(
        target,
        "a pod that became ready is active",
        &(
            owned(&[
                "test-hello-0.test-hello:10000",
                "test-hello-1.test-hello:10000",
            ]),
            vec![],
        ),
        || async { hosts(&service, HELLO) },
    )
    .await;

    // Deleted through the API, the pod waits for its finalizer: it is terminating.
    pods.delete("test-hello-1", &DeleteParams::default())
        .await
        .expect("the pod is deleted");
    eventually_eq(
        target,
        "a terminating pod is reported as such",
        &rows(&[
            ["test-hello-0", "Active", "Active", "42"],
            ["test-hello-1", "Active", "Terminating", ""],
        ]),
        || async { endpoint_rows(endpoint().await.as_ref()) },
    )
    .await;
    eventually_eq(
        target,
        "a terminating pod is inactive",
        &(
            owned(&["test-hello-0.test-hello:10000"]),
            owned(&["test-hello-1.test-hello:10000"]),
        ),
        || async { hosts(&service, HELLO) },
    )
    .await;

    finalizer_release_removes_the_pod(target, &service, &pods, &tendpoints).await;
    tserver_deletion_deletes_the_tendpoint(target, &service, &tservers, &tendpoints).await;

    // Shutting down gives the lease up.
    stop(&service, &shutdown).await;
    let lease = leases.get(LEASE).await.expect("the Lease is kept");
    assert_eq!(
        lease.spec.and_then(|s| s.holder_identity),
        None,
        "the lease is released on shutdown"
    );
}
