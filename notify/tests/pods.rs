//! The pod-name watch against the in-process fake Kubernetes API of `tars-test`
//! (`tars_test::fake_kube`, which speaks list/watch like the real API server): names appear,
//! change and disappear with the pods, survive a relist after expired versions, and stay in use
//! while the API server is away. When `KUBECONFIG` is set the test is skipped with a printed
//! reason: running it against a real cluster needs pods with chosen IPs, which only the fake can
//! provide (the watch itself is plain kube-rs).

use std::time::Duration;

use notify::PodNames;
use notify::pods::watch_pods;
use serde_json::json;
use tars_test::fake_kube::{FakeKube, FakeKubeState};
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
    tokio::time::timeout(Duration::from_secs(10), async {
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
    if std::env::var_os("KUBECONFIG").is_some() {
        eprintln!("skipped against a real cluster: the test needs pods with chosen IPs");
        return;
    }
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
