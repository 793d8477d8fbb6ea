//! The registry's Kubernetes side driven through the API only — no test-side shortcuts — by
//! the same code against every API server it meets: the in-process fake
//! (`tars_test::fake_kube`) and the real API server `KUBECONFIG` names (`scripts/test` starts a
//! kube-apiserver with etcd and applies the chart's CRDs). A difference between the fake and
//! the real server shows up here as a failing test. Without `KUBECONFIG` the real part is
//! skipped with a printed reason, unless `TARSPLANE_REQUIRE_REAL_BACKENDS=1`, which makes it a
//! failure; a real server without the `k8s.tars.io/v1beta3` CRDs fails with a message to
//! install them. Every run uses a fresh namespace made through the API
//! (`tars_test::kube_target`).
//!
//! Checked on each: lookups following TEndpoints created, given a status through `/status`
//! (server-side apply), changed and deleted; the `tars-framework` upChain and TTemplates; the
//! reconciler deriving TEndpoint spec and `status.pods` from a TServer and its pods (pod status
//! written through `pods/status`, as a kubelet would), holding its Lease, following pod
//! readiness, termination and deletion, and deleting the TEndpoint with its TServer;
//! `updateServerState` patching the pod's `tars.io/active` condition; and the watches staying
//! current while objects churn; and API edge cases where the fake once answered differently
//! (create with server metadata, strategic merge on a custom resource, deletion replies, a
//! missing namespace, graceful pod deletion). The fake-only behaviours (outages, forced 410s, bookmarks on
//! demand, invalid objects) are in `kubernetes.rs`.

use std::fmt::Debug;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use prometheus_client::registry::Registry as Prometheus;
use registry::answer::Address;
use registry::model::{Kind, Template};
use registry::reconcile::controller::tserver_resource;
use registry::source::kubernetes::api_resource;
use registry::{ACTIVE_CONDITION, Config, Kubernetes, Metrics, ReconcilerConfig, Service};
use serde_json::{Value, json};
use tars_codec::{Protocol, TarsMap};
use tars_rpc::interfaces::registry::{UPDATE_SERVER_STATE, UpdateServerStateArgs};
use tars_rpc::{Reply, Request, Servant};
use tars_test::kube_target::{KubeTarget, Needs};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The field manager the test writes with.
const FIELD_MANAGER: &str = "tarsplane-conformance";
/// How long a condition may take to hold.
const TIMEOUT: Duration = Duration::from_secs(30);
/// How often a condition is checked.
const POLL: Duration = Duration::from_millis(25);
/// The object id of the server the tests use (TEndpoint `test-hello`).
const HELLO: &str = "Test.Hello.HelloObj";
/// The reconciler's Lease.
const LEASE: &str = "tarsplane-registry-reconciler";

const PATCHED: &str = r#"tars_registry_state_updates_total{result="patched"}"#;
const PATCH_FAILED: &str = r#"tars_registry_state_updates_total{result="failed"}"#;
const SOURCE_UP: &str = r#"tars_registry_source_up{kind="tendpoint"}"#;

// ---------------------------------------------------------------------------------------------
// Harness

/// Polls `actual` until it equals `expected`, for up to [`TIMEOUT`]; the panic names the
/// target and shows the last value seen.
async fn eventually_eq<T, F, Fut>(target: &KubeTarget, what: &str, expected: &T, mut actual: F)
where
    T: PartialEq + Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let seen = actual().await;
        if seen == *expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "on the {}: timed out after {TIMEOUT:?} waiting until {what}\n  expected: {expected:?}\n  last seen: {seen:?}",
            target.name()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// The registry's configuration with short timers and the reconciler off.
fn config() -> Config {
    let config = Config {
        initial_sync_timeout_secs: 20,
        probe_interval_ms: 100,
        reconciler: ReconcilerConfig {
            enabled: false,
            ..ReconcilerConfig::default()
        },
        ..Config::default()
    };
    config.validate().expect("the test configuration is valid");
    config
}

/// As [`config`], with the reconciler on and a short lease.
fn reconciling_config() -> Config {
    let config = Config {
        reconciler: ReconcilerConfig {
            enabled: true,
            lease_duration_secs: 2,
            renew_interval_secs: 1,
            requeue_min_ms: 50,
            ..ReconcilerConfig::default()
        },
        ..config()
    };
    config.validate().expect("the test configuration is valid");
    config
}

/// Starts the registry on the target's namespace; returns once every kind has been listed.
async fn start(
    target: &KubeTarget,
    config: &Config,
    metrics: Metrics,
    shutdown: &CancellationToken,
) -> Service {
    let kubernetes = Kubernetes {
        client: target.client(),
        namespace: target.namespace().to_owned(),
    };
    registry::start(config, Some(kubernetes), metrics, shutdown.clone())
        .await
        .unwrap_or_else(|error| panic!("on the {}: the registry starts: {error}", target.name()))
}

/// Stops the registry and waits for its tasks.
async fn stop(service: &Service, shutdown: &CancellationToken) {
    shutdown.cancel();
    tokio::time::timeout(TIMEOUT, service.closed())
        .await
        .expect("the registry stops on shutdown");
}

/// The value of one metric series (`name{labels}`), if it has been created.
fn metric(prometheus: &Prometheus, series: &str) -> Option<i64> {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, prometheus).expect("metrics encode");
    text.lines().find_map(|line| {
        line.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// The API of a TARS kind in the target's namespace.
fn tars_api(target: &KubeTarget, resource: &ApiResource) -> Api<DynamicObject> {
    Api::namespaced_with(target.client(), target.namespace(), resource)
}

fn tendpoints(target: &KubeTarget) -> Api<DynamicObject> {
    tars_api(target, &api_resource(Kind::Endpoint))
}

fn pods(target: &KubeTarget) -> Api<Pod> {
    Api::namespaced(target.client(), target.namespace())
}

/// Creates an object given as JSON; returns it as stored, as JSON.
async fn create(api: &Api<DynamicObject>, object: Value) -> Value {
    let object: DynamicObject = serde_json::from_value(object).expect("a dynamic object");
    let created = api
        .create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|error| panic!("create {:?}: {error}", object.metadata.name));
    serde_json::to_value(created).expect("json")
}

/// Server-side apply of `object` (forced, as [`FIELD_MANAGER`]).
async fn apply(api: &Api<DynamicObject>, name: &str, object: Value) {
    api.patch(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(object),
    )
    .await
    .unwrap_or_else(|error| panic!("apply {name}: {error}"));
}

/// Server-side apply of `status` through `/status` (forced, as [`FIELD_MANAGER`]).
async fn apply_status(api: &Api<DynamicObject>, name: &str, object: Value) {
    api.patch_status(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(object),
    )
    .await
    .unwrap_or_else(|error| panic!("apply the status of {name}: {error}"));
}

/// Deletes an object that must exist.
async fn delete(api: &Api<DynamicObject>, name: &str) {
    api.delete(name, &DeleteParams::default())
        .await
        .unwrap_or_else(|error| panic!("delete {name}: {error}"));
}

/// An object read back through the API, as JSON.
async fn read(api: &Api<DynamicObject>, name: &str) -> Option<Value> {
    api.get_opt(name)
        .await
        .unwrap_or_else(|error| panic!("get {name}: {error}"))
        .map(|object| serde_json::to_value(object).expect("json"))
}

/// What `findObjectById4All` answers, as `host:port` strings: (active, inactive).
fn hosts(service: &Service, id: &str) -> (Vec<String>, Vec<String>) {
    let (active, inactive) = service.registry.snapshot().resolve(id);
    let strings = |list: Vec<Address>| {
        list.into_iter()
            .map(|a| format!("{}:{}", a.host, a.port))
            .collect()
    };
    (strings(active), strings(inactive))
}

/// Owned strings.
fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// Objects

/// A TEndpoint of `Conform.Ance` with servant `ConformObj` on `port`, without status.
fn conform_tendpoint(name: &str, port: u16) -> Value {
    json!({
        "apiVersion": "k8s.tars.io/v1beta3",
        "kind": "TEndpoint",
        "metadata": {"name": name},
        "spec": {
            "app": "Conform", "server": "Ance", "subType": "tars", "important": 3,
            "tars": {"template": "tars.cpp", "profile": "", "asyncThread": 3, "servants": [
                {"name": "ConformObj", "port": port, "thread": 3, "capacity": 10000,
                 "connection": 10000, "timeout": 60000, "isTars": true, "isTcp": true}
            ]}
        }
    })
}

/// A TEndpoint status applied through `/status`: `active` pods Active, `inactive` Activating.
fn status_pods(active: &[&str], inactive: &[&str]) -> Value {
    let entry = |name: &&str, present: &str| json!({"name": name, "settingState": "Active", "presentState": present});
    let mut list: Vec<Value> = active.iter().map(|n| entry(n, "Active")).collect();
    list.extend(inactive.iter().map(|n| entry(n, "Activating")));
    json!({"apiVersion": "k8s.tars.io/v1beta3", "kind": "TEndpoint", "status": {"pods": list}})
}

/// A TFrameworkConfig whose `upChain` sends `default` to `host:port` and `Other.App.Obj` to
/// `up-other:2` (UDP, 10 ms).
fn framework_config(name: &str, host: &str, port: i32) -> Value {
    json!({
        "apiVersion": "k8s.tars.io/v1beta3",
        "kind": "TFrameworkConfig",
        "metadata": {"name": name},
        "upChain": {
            "default": [{"host": host, "port": port}],
            "Other.App.Obj": [{"host": "up-other", "port": 2, "timeout": 10, "isTcp": false}],
        },
    })
}

/// A TTemplate.
fn ttemplate(name: &str, parent: &str, content: &str) -> Value {
    json!({
        "apiVersion": "k8s.tars.io/v1beta3",
        "kind": "TTemplate",
        "metadata": {"name": name},
        "spec": {"parent": parent, "content": content},
    })
}

/// TServer `test-hello` (app `Test`, server `Hello`, servant `HelloObj` on 10000).
fn hello_tserver() -> Value {
    json!({
        "apiVersion": "k8s.tars.io/v1beta3",
        "kind": "TServer",
        "metadata": {"name": "test-hello", "labels": {"team": "a"}},
        "spec": {
            "app": "Test",
            "server": "Hello",
            "subType": "tars",
            "important": 5,
            "tars": {
                "template": "tars.cpp",
                "profile": "",
                "asyncThread": 3,
                "servants": [{
                    "name": "HelloObj", "port": 10_000, "thread": 3, "capacity": 10_000,
                    "connection": 10_000, "timeout": 60_000, "isTars": true, "isTcp": true,
                }],
            },
            "k8s": {"replicas": 2},
        },
    })
}

/// A pod of server `Test.Hello` with the `tars.io/active` readiness gate and a finalizer (so
/// a delete through the API only marks it terminating), as a workload controller would create
/// it: no status (the API server starts it `Pending`).
fn hello_pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": "test-hello-",
            "finalizers": ["tars.io/test"],
            "labels": {
                "tars.io/ServerApp": "Test",
                "tars.io/ServerName": "Hello",
                "tars.io/ServerID": "v1",
            },
        },
        "spec": {
            "containers": [{"name": "hello", "image": "test/hello:v1"}],
            "readinessGates": [{"conditionType": ACTIVE_CONDITION}],
        },
    }))
    .expect("a pod")
}

/// What a kubelet would report for a running pod: `podIP`, `hostIP`, scheduled, initialized,
/// containers ready, `Ready` as given, and the `tars.io/active` condition with `gate`
/// (`setting/present/pid`) as its reason; written through `pods/status` with server-side
/// apply.
async fn set_pod_status(api: &Api<Pod>, name: &str, ip: &str, ready: bool, gate: &str) {
    let condition = |kind: &str, holds: bool, reason: &str| {
        json!({
            "type": kind,
            "status": if holds { "True" } else { "False" },
            "reason": reason,
            "message": "",
        })
    };
    let not_ready = if ready { "" } else { "ReadinessGatesNotReady" };
    let status = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "status": {
            "phase": "Running",
            "podIP": ip,
            "hostIP": "192.168.0.1",
            "conditions": [
                condition("PodScheduled", true, ""),
                condition("Initialized", true, ""),
                condition("ContainersReady", true, ""),
                condition("Ready", ready, not_ready),
                condition(ACTIVE_CONDITION, gate.starts_with("Active/Active/"), gate),
            ],
        },
    });
    api.patch_status(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(status),
    )
    .await
    .unwrap_or_else(|error| panic!("set the status of pod {name}: {error}"));
}

/// Creates pod `name` and gives it a status.
async fn start_pod(api: &Api<Pod>, name: &str, ip: &str, ready: bool, gate: &str) -> Pod {
    api.create(&PostParams::default(), &hello_pod(name))
        .await
        .unwrap_or_else(|error| panic!("create pod {name}: {error}"));
    set_pod_status(api, name, ip, ready, gate).await;
    api.get(name).await.expect("the pod reads back")
}

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

// ---------------------------------------------------------------------------------------------
// (a) TEndpoints

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_follow_tendpoints_written_through_the_api() {
    for target in KubeTarget::all(Needs::TarsCrds).await {
        eprintln!("-- on the {}", target.name());
        lookups_follow_tendpoints(&target).await;
    }
}

async fn lookups_follow_tendpoints(target: &KubeTarget) {
    let api = tendpoints(target);
    let name = "conform-ance";
    let shutdown = CancellationToken::new();
    let service = start(target, &config(), Metrics::default(), &shutdown).await;
    let id = "Conform.Ance.ConformObj";

    create(&api, conform_tendpoint(name, 7001)).await;
    eventually_eq(target, "the created TEndpoint is known", &true, || async {
        service.registry.snapshot().server(name).is_some()
    })
    .await;
    assert_eq!(
        hosts(&service, id),
        (vec![], vec![]),
        "without status: a server with no pods"
    );

    apply_status(
        &api,
        name,
        status_pods(&["conform-ance-1"], &["conform-ance-0"]),
    )
    .await;
    let split = (
        owned(&["conform-ance-1.conform-ance:7001"]),
        owned(&["conform-ance-0.conform-ance:7001"]),
    );
    eventually_eq(target, "pods split by state", &split, || async {
        hosts(&service, id)
    })
    .await;

    apply(&api, name, conform_tendpoint(name, 7002)).await;
    apply_status(
        &api,
        name,
        status_pods(&["conform-ance-0", "conform-ance-1"], &[]),
    )
    .await;
    let moved = (
        owned(&[
            "conform-ance-0.conform-ance:7002",
            "conform-ance-1.conform-ance:7002",
        ]),
        vec![],
    );
    eventually_eq(
        target,
        "the new port and both pods active",
        &moved,
        || async { hosts(&service, id) },
    )
    .await;
    let stored = read(&api, name).await.expect("the TEndpoint exists");
    assert_eq!(
        stored.pointer("/spec/tars/servants/0/port"),
        Some(&json!(7002)),
        "the applied spec is stored: {stored:#}"
    );

    delete(&api, name).await;
    eventually_eq(target, "gone", &false, || async {
        service.registry.snapshot().server(name).is_some()
    })
    .await;
    stop(&service, &shutdown).await;
}

// ---------------------------------------------------------------------------------------------
// (b) upChain and templates

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_chain_and_templates_come_from_the_cluster() {
    for target in KubeTarget::all(Needs::TarsCrds).await {
        eprintln!("-- on the {}", target.name());
        up_chain_and_templates(&target).await;
    }
}

/// The `tars.cpp` template's content.
const TEMPLATE: &str = "<tars>\n  <application>\n  </application>\n</tars>\n";

/// Two `TFrameworkConfig` objects, template `tars.cpp` and TEndpoint `test-hello` with one pod.
async fn create_up_chain_objects(target: &KubeTarget) {
    let configs = tars_api(target, &api_resource(Kind::FrameworkConfig));
    let templates = tars_api(target, &api_resource(Kind::Template));
    let tendpoints = tendpoints(target);
    create(
        &configs,
        framework_config("tars-framework", "up-default", 1),
    )
    .await;
    create(
        &configs,
        framework_config("not-tars-framework", "up-ignored", 9),
    )
    .await;
    create(&templates, ttemplate("tars.cpp", "tars.default", TEMPLATE)).await;
    let mut hello = conform_tendpoint("test-hello", 10_000);
    hello["spec"]["app"] = json!("Test");
    hello["spec"]["server"] = json!("Hello");
    hello["spec"]["tars"]["servants"][0]["name"] = json!("HelloObj");
    create(&tendpoints, hello).await;
    apply_status(
        &tendpoints,
        "test-hello",
        status_pods(&["test-hello-0"], &[]),
    )
    .await;
}

async fn up_chain_and_templates(target: &KubeTarget) {
    let configs = tars_api(target, &api_resource(Kind::FrameworkConfig));
    let templates = tars_api(target, &api_resource(Kind::Template));
    create_up_chain_objects(target).await;
    let content = TEMPLATE;

    let shutdown = CancellationToken::new();
    let service = start(target, &config(), Metrics::default(), &shutdown).await;
    let lookup = |id: &str| service.registry.snapshot().resolve(id);
    let up_other = Address {
        host: "up-other".into(),
        port: 2,
        timeout: 10,
        tcp: false,
    };
    let up_default = |host: &str, port: i32| Address {
        host: host.into(),
        port,
        timeout: 6000,
        tcp: true,
    };
    eventually_eq(
        target,
        "the TEndpoint's status is served",
        &(owned(&["test-hello-0.test-hello:10000"]), vec![]),
        || async { hosts(&service, HELLO) },
    )
    .await;
    assert_eq!(
        lookup("Other.App.Obj"),
        (vec![up_other.clone()], Vec::new())
    );
    assert_eq!(
        lookup("No.Such.Obj"),
        (vec![up_default("up-default", 1)], Vec::new()),
        "ids without their own list take `default`, with the CRD's defaults"
    );
    assert_eq!(lookup("NotAnId"), (Vec::new(), Vec::new()));
    let expected = Template {
        name: "tars.cpp".into(),
        parent: "tars.default".into(),
        content: content.into(),
    };
    assert_eq!(
        service.registry.snapshot().template("tars.cpp").cloned(),
        Some(expected)
    );

    // Another TFrameworkConfig changes nothing; `tars-framework` changes the chain.
    apply(
        &configs,
        "not-tars-framework",
        framework_config("not-tars-framework", "up-ignored-2", 8),
    )
    .await;
    apply(
        &configs,
        "tars-framework",
        framework_config("tars-framework", "up-default-2", 3),
    )
    .await;
    eventually_eq(
        target,
        "the changed upChain is served",
        &(vec![up_default("up-default-2", 3)], Vec::new()),
        || async { lookup("No.Such.Obj") },
    )
    .await;
    assert_eq!(lookup("Other.App.Obj"), (vec![up_other], Vec::new()));

    // Templates come and go with their objects.
    create(&templates, ttemplate("tars.go", "tars.default", "<tars/>")).await;
    eventually_eq(target, "an added template is known", &true, || async {
        service.registry.snapshot().template("tars.go").is_some()
    })
    .await;
    delete(&templates, "tars.go").await;
    eventually_eq(target, "a deleted template is forgotten", &true, || async {
        service.registry.snapshot().template("tars.go").is_none()
    })
    .await;
    assert!(service.registry.snapshot().template("tars.cpp").is_some());

    // Without `tars-framework` there is no upChain.
    delete(&configs, "tars-framework").await;
    eventually_eq(
        target,
        "the upChain is gone",
        &(Vec::new(), Vec::new()),
        || async { lookup("No.Such.Obj") },
    )
    .await;

    stop(&service, &shutdown).await;
}

// ---------------------------------------------------------------------------------------------
// (c) the reconciler

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

// ---------------------------------------------------------------------------------------------
// (d) updateServerState

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

// ---------------------------------------------------------------------------------------------
// (e) watches under churn

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_stay_current_while_objects_churn() {
    for target in KubeTarget::all(Needs::TarsCrds).await {
        eprintln!("-- on the {}", target.name());
        watches_stay_current(&target).await;
    }
}

async fn watches_stay_current(target: &KubeTarget) {
    const ROUNDS: u16 = 40;
    let api = tendpoints(target);
    let templates = tars_api(target, &api_resource(Kind::Template));
    create(&api, conform_tendpoint("conform-ance", 7000)).await;
    let mut prometheus = Prometheus::default();
    let metrics = Metrics::register(&mut prometheus);
    let shutdown = CancellationToken::new();
    let service = start(target, &config(), metrics, &shutdown).await;

    // Every round changes the watched object twice, adds one and deletes the one before.
    for round in 0..ROUNDS {
        apply(
            &api,
            "conform-ance",
            conform_tendpoint("conform-ance", 7000 + round),
        )
        .await;
        let pod = format!("conform-ance-{round}");
        apply_status(&api, "conform-ance", status_pods(&[pod.as_str()], &[])).await;
        create(
            &api,
            conform_tendpoint(&format!("churn-{round}"), 8000 + round),
        )
        .await;
        create(
            &templates,
            ttemplate(&format!("churn-{round}"), "tars.default", "<tars/>"),
        )
        .await;
        if round > 0 {
            delete(&api, &format!("churn-{}", round - 1)).await;
            delete(&templates, &format!("churn-{}", round - 1)).await;
        }
    }
    let last = ROUNDS - 1;
    eventually_eq(
        target,
        "the last change is served",
        &(
            vec![format!("conform-ance-{last}.conform-ance:{}", 7000 + last)],
            vec![],
        ),
        || async { hosts(&service, "Conform.Ance.ConformObj") },
    )
    .await;
    eventually_eq(
        target,
        "only the last churned objects are left",
        &(2, true),
        || async {
            let snapshot = service.registry.snapshot();
            (
                snapshot.servers(),
                snapshot.server(&format!("churn-{last}")).is_some()
                    && snapshot.template(&format!("churn-{last}")).is_some()
                    && snapshot.template(&format!("churn-{}", last - 1)).is_none(),
            )
        },
    )
    .await;
    assert_eq!(metric(&prometheus, SOURCE_UP), Some(1), "no watch failed");

    // The watch is still open: a later change arrives too.
    delete(&api, &format!("churn-{last}")).await;
    apply_status(&api, "conform-ance", status_pods(&[], &["conform-ance-x"])).await;
    eventually_eq(
        target,
        "a change after the churn is served",
        &(
            vec![],
            vec![format!("conform-ance-x.conform-ance:{}", 7000 + last)],
        ),
        || async { hosts(&service, "Conform.Ance.ConformObj") },
    )
    .await;
    assert_eq!(service.registry.snapshot().servers(), 1);
    stop(&service, &shutdown).await;
}

// ---------------------------------------------------------------------------------------------
// API server behaviours the fake once differed in

/// A TTemplate object.
fn template_object(name: &str) -> DynamicObject {
    serde_json::from_value(ttemplate(name, "tars.default", "<tars/>")).expect("a dynamic object")
}

/// The HTTP code of an API error.
fn code<T: Debug>(result: Result<T, kube::Error>) -> u16 {
    match result {
        Err(kube::Error::Api(status)) => status.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_cases_answer_as_the_api_server_does() {
    for target in KubeTarget::all(Needs::TarsCrds).await {
        eprintln!("-- on the {}", target.name());
        edge_cases(&target).await;
    }
}

async fn edge_cases(target: &KubeTarget) {
    let templates = tars_api(target, &api_resource(Kind::Template));
    let pods = pods(target);

    // A create carrying a resourceVersion is refused (500); uid and creationTimestamp given
    // by the client are replaced.
    let mut versioned = template_object("versioned");
    versioned.metadata.resource_version = Some("5".to_owned());
    assert_eq!(
        code(templates.create(&PostParams::default(), &versioned).await),
        500
    );
    let mut stamped = template_object("stamped");
    stamped.metadata.uid = Some("11111111-1111-1111-1111-111111111111".to_owned());
    stamped.metadata.creation_timestamp =
        serde_json::from_value(json!("2020-01-01T00:00:00Z")).expect("a time");
    let created = templates
        .create(&PostParams::default(), &stamped)
        .await
        .expect("create");
    assert_ne!(created.metadata.uid, stamped.metadata.uid);
    assert_ne!(
        created.metadata.creation_timestamp,
        stamped.metadata.creation_timestamp
    );

    // Strategic merge patch is for built-in types only.
    assert_eq!(
        code(
            templates
                .patch(
                    "stamped",
                    &PatchParams::default(),
                    &Patch::Strategic(json!({"spec": {"content": "<x/>"}})),
                )
                .await
        ),
        415
    );

    // Deleting a custom resource at once answers a Status, a pod its last state.
    let deleted = templates
        .delete("stamped", &DeleteParams::default())
        .await
        .expect("delete");
    assert!(deleted.is_right(), "a Status: {deleted:?}");

    // Nothing is created in a namespace that does not exist.
    let elsewhere: Api<DynamicObject> = Api::namespaced_with(
        target.client(),
        &format!("{}-missing", target.namespace()),
        &api_resource(Kind::Template),
    );
    assert_eq!(
        code(
            elsewhere
                .create(&PostParams::default(), &template_object("t"))
                .await
        ),
        404
    );

    // An unbound pod goes at once; a pod bound to a node waits for its kubelet.
    let mut unbound = hello_pod("unbound");
    unbound.metadata.finalizers = None;
    pods.create(&PostParams::default(), &unbound)
        .await
        .expect("create");
    let gone = pods
        .delete("unbound", &DeleteParams::default())
        .await
        .expect("delete");
    assert!(gone.is_left(), "the pod: {gone:?}");
    assert!(pods.get_opt("unbound").await.expect("get").is_none());
    let mut bound = hello_pod("bound");
    bound.metadata.finalizers = None;
    if let Some(spec) = bound.spec.as_mut() {
        spec.node_name = Some("node-1".to_owned());
    }
    pods.create(&PostParams::default(), &bound)
        .await
        .expect("create");
    pods.delete("bound", &DeleteParams::default())
        .await
        .expect("delete");
    let terminating = pods.get("bound").await.expect("the pod stays");
    assert!(terminating.metadata.deletion_timestamp.is_some());
    assert_eq!(terminating.metadata.deletion_grace_period_seconds, Some(30));
    pods.delete("bound", &DeleteParams::default().grace_period(0))
        .await
        .expect("delete at once");
    assert!(pods.get_opt("bound").await.expect("get").is_none());
}
