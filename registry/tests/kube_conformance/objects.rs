//! The objects the tests write: TEndpoints and their status, `TFrameworkConfig`s, TTemplates,
//! TServer `test-hello` and its pods, with the status a kubelet would report.

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use registry::ACTIVE_CONDITION;
use serde_json::{Value, json};

use crate::harness::FIELD_MANAGER;

/// The object id of the server the tests use (TEndpoint `test-hello`).
pub(crate) const HELLO: &str = "Test.Hello.HelloObj";

/// A TEndpoint of `Conform.Ance` with servant `ConformObj` on `port`, without status.
pub(crate) fn conform_tendpoint(name: &str, port: u16) -> Value {
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
pub(crate) fn status_pods(active: &[&str], inactive: &[&str]) -> Value {
    let entry = |name: &&str, present: &str| json!({"name": name, "settingState": "Active", "presentState": present});
    let mut list: Vec<Value> = active.iter().map(|n| entry(n, "Active")).collect();
    list.extend(inactive.iter().map(|n| entry(n, "Activating")));
    json!({"apiVersion": "k8s.tars.io/v1beta3", "kind": "TEndpoint", "status": {"pods": list}})
}

/// A TFrameworkConfig whose `upChain` sends `default` to `host:port` and `Other.App.Obj` to
/// `up-other:2` (UDP, 10 ms).
pub(crate) fn framework_config(name: &str, host: &str, port: i32) -> Value {
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
pub(crate) fn ttemplate(name: &str, parent: &str, content: &str) -> Value {
    json!({
        "apiVersion": "k8s.tars.io/v1beta3",
        "kind": "TTemplate",
        "metadata": {"name": name},
        "spec": {"parent": parent, "content": content},
    })
}

/// TServer `test-hello` (app `Test`, server `Hello`, servant `HelloObj` on 10000).
pub(crate) fn hello_tserver() -> Value {
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
pub(crate) fn hello_pod(name: &str) -> Pod {
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
pub(crate) async fn set_pod_status(api: &Api<Pod>, name: &str, ip: &str, ready: bool, gate: &str) {
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
pub(crate) async fn start_pod(
    api: &Api<Pod>,
    name: &str,
    ip: &str,
    ready: bool,
    gate: &str,
) -> Pod {
    api.create(&PostParams::default(), &hello_pod(name))
        .await
        .unwrap_or_else(|error| panic!("create pod {name}: {error}"));
    set_pod_status(api, name, ip, ready, gate).await;
    api.get(name).await.expect("the pod reads back")
}
