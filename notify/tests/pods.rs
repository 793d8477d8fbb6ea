//! The pod-name watch. Driven through the API only, by the same code against the in-process
//! fake (`tars_test::fake_kube`) and the real API server `KUBECONFIG` names (each in a fresh
//! namespace, `tars_test::kube_target`): pods are created with the TARS labels and get their IP
//! through `pods/status` as a kubelet would write it; names appear, change and disappear with
//! them. Against the fake only (it runs whatever `KUBECONFIG` says): names survive a relist
//! after expired versions and stay in use while the API server is away. Without `KUBECONFIG`
//! the real part is skipped with a printed reason, unless `TARSPLANE_REQUIRE_REAL_BACKENDS=1`.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use notify::PodNames;
use notify::pods::watch_pods;
use serde_json::json;
use tars_test::fake_kube::{FakeKube, FakeKubeState};
use tars_test::kube_target::{KubeTarget, Needs};
use tokio_util::sync::CancellationToken;

const NS: &str = "tars";

fn pod(name: &str, generate: &str, ip: &str, labelled: bool) -> serde_json::Value {
    let labels = if labelled {
        json!({"tars.io/ServerApp": "tars", "tars.io/ServerName": "tarsstat"})
    } else {
        json!({"app": "other"})
    };
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "generateName": generate, "labels": labels},
        "status": {"podIP": ip}
    })
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(30), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out: {what}"));
}

fn client(url: &str) -> kube::Client {
    let mut config = kube::Config::new(url.parse().expect("url"));
    config.default_namespace = NS.into();
    kube::Client::try_from(config).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_names_follow_the_pods() {
    let kube = FakeKube::start().await.expect("fake kube");
    let state: FakeKubeState = kube.state();
    state.register("", "v1", "pods", "Pod", true);
    state.upsert(
        "pods",
        pod("tars-tarsstat-0", "tars-tarsstat-", "10.0.0.1", true),
    );
    state.upsert("pods", pod("web-1", "web-", "10.0.0.9", false));
    state.upsert("pods", pod("bare", "", "10.0.0.8", true));

    let names = PodNames::default();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn({
        let names = names.clone();
        let client = client(&kube.url());
        let shutdown = shutdown.clone();
        async move { watch_pods(client, NS, names, shutdown).await }
    });
    until("the first pod is listed", || {
        names.resolve("10.0.0.1") == "tars-tarsstat-0.tars-tarsstat"
    })
    .await;
    assert_eq!(
        names.resolve("10.0.0.9"),
        "10.0.0.9",
        "pods without the TARS labels are not watched"
    );
    assert_eq!(
        names.resolve("10.0.0.8"),
        "10.0.0.8",
        "pods without generateName are skipped"
    );

    state.upsert(
        "pods",
        pod("tars-tarsstat-1", "tars-tarsstat-", "10.0.0.2", true),
    );
    until("a new pod appears", || {
        names.resolve("10.0.0.2") == "tars-tarsstat-1.tars-tarsstat"
    })
    .await;
    state.delete("pods", NS, "tars-tarsstat-0");
    until("a deleted pod disappears", || {
        names.resolve("10.0.0.1") == "10.0.0.1"
    })
    .await;

    // Expired versions force a relist; the names come back whole.
    state.upsert(
        "pods",
        pod("tars-tarsstat-2", "tars-tarsstat-", "10.0.0.3", true),
    );
    state.expire_versions("pods");
    until("the relist has every pod", || {
        names.resolve("10.0.0.3") == "tars-tarsstat-2.tars-tarsstat"
            && names.resolve("10.0.0.2") == "tars-tarsstat-1.tars-tarsstat"
    })
    .await;

    // The API server goes away: the last names stay in use.
    let addr = kube.addr();
    kube.stop().await;
    until("the watch has lost its connection", || {
        state.open_watches("pods") == 0
    })
    .await;
    assert_eq!(names.resolve("10.0.0.2"), "tars-tarsstat-1.tars-tarsstat");
    // It comes back with a change made meanwhile.
    state.upsert(
        "pods",
        pod("tars-tarsstat-3", "tars-tarsstat-", "10.0.0.4", true),
    );
    let _kube = FakeKube::start_on(addr, state.clone())
        .await
        .expect("restart");
    until("the watch resumes", || {
        names.resolve("10.0.0.4") == "tars-tarsstat-3.tars-tarsstat"
    })
    .await;

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the watch stops on shutdown")
        .expect("task");
}

/// A pod as a workload controller creates it (no status): with the TARS labels or not, with a
/// `generateName` or not.
fn new_pod(name: &str, generate: &str, labelled: bool) -> Pod {
    let labels = if labelled {
        json!({"tars.io/ServerApp": "tars", "tars.io/ServerName": "tarsstat"})
    } else {
        json!({"app": "other"})
    };
    let mut metadata = json!({"name": name, "labels": labels});
    if !generate.is_empty() {
        metadata["generateName"] = json!(generate);
    }
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": [{"name": "main", "image": "tars/tarsstat:v1"}]},
    }))
    .expect("a pod")
}

/// Creates a pod and gives it `ip` through `pods/status`.
async fn run_pod(api: &Api<Pod>, pod: Pod, ip: &str) {
    let name = pod.metadata.name.clone().unwrap_or_default();
    api.create(&PostParams::default(), &pod)
        .await
        .unwrap_or_else(|error| panic!("create pod {name}: {error}"));
    let status = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "status": {"phase": "Running", "podIP": ip, "hostIP": "192.168.0.1"},
    });
    api.patch_status(
        &name,
        &PatchParams::apply("tarsplane-conformance").force(),
        &Patch::Apply(status),
    )
    .await
    .unwrap_or_else(|error| panic!("set the status of pod {name}: {error}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_names_follow_pods_written_through_the_api() {
    for target in KubeTarget::all(Needs::BuiltIn).await {
        eprintln!("-- on the {}", target.name());
        pod_names_follow(&target).await;
    }
}

async fn pod_names_follow(target: &KubeTarget) {
    let api: Api<Pod> = Api::namespaced(target.client(), target.namespace());
    run_pod(
        &api,
        new_pod("tars-tarsstat-0", "tars-tarsstat-", true),
        "10.0.0.1",
    )
    .await;
    run_pod(&api, new_pod("web-1", "web-", false), "10.0.0.9").await;
    run_pod(&api, new_pod("bare", "", true), "10.0.0.8").await;
    // Labelled, but without an IP yet (not scheduled).
    api.create(
        &PostParams::default(),
        &new_pod("tars-tarsstat-1", "tars-tarsstat-", true),
    )
    .await
    .expect("create a pod without an IP");

    let names = PodNames::default();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn({
        let names = names.clone();
        let client = target.client();
        let namespace = target.namespace().to_owned();
        let shutdown = shutdown.clone();
        async move { watch_pods(client, &namespace, names, shutdown).await }
    });
    until("the first pod is listed", || {
        names.resolve("10.0.0.1") == "tars-tarsstat-0.tars-tarsstat"
    })
    .await;
    assert_eq!(
        names.resolve("10.0.0.9"),
        "10.0.0.9",
        "pods without the TARS labels are not watched"
    );
    assert_eq!(
        names.resolve("10.0.0.8"),
        "10.0.0.8",
        "pods without generateName are skipped"
    );

    // A pod gets its IP: its name appears.
    api.patch_status(
        "tars-tarsstat-1",
        &PatchParams::apply("tarsplane-conformance").force(),
        &Patch::Apply(json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "tars-tarsstat-1"},
            "status": {"phase": "Running", "podIP": "10.0.0.2"},
        })),
    )
    .await
    .expect("set the pod's IP");
    until("a pod that got its IP appears", || {
        names.resolve("10.0.0.2") == "tars-tarsstat-1.tars-tarsstat"
    })
    .await;

    // A deleted pod disappears; its IP given to a new pod takes the new name.
    api.delete("tars-tarsstat-0", &DeleteParams::default())
        .await
        .expect("delete the pod");
    until("a deleted pod disappears", || {
        names.resolve("10.0.0.1") == "10.0.0.1"
    })
    .await;
    run_pod(
        &api,
        new_pod("tars-tarsstat-2", "tars-tarsstat-", true),
        "10.0.0.1",
    )
    .await;
    until("the IP's new pod names it", || {
        names.resolve("10.0.0.1") == "tars-tarsstat-2.tars-tarsstat"
    })
    .await;
    assert_eq!(names.resolve("10.0.0.2"), "tars-tarsstat-1.tars-tarsstat");

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the watch stops on shutdown")
        .expect("task");
}
