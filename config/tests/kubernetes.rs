//! The config service's Kubernetes side driven through the API only, by the same code against
//! every API server it meets: the in-process fake (`tars_test::fake_kube`) and the real API
//! server `KUBECONFIG` names (`scripts/test` starts one and applies the chart's CRDs, TConfig
//! included). Without `KUBECONFIG` the real part is skipped with a printed reason, unless
//! `TARSPLANE_REQUIRE_REAL_BACKENDS=1`, which makes it a failure.
//!
//! Checked on each: TConfigs created through the API are answered (server level, and server +
//! CR LF CR LF + pod level for the caller's pod); the caller found by its IP through the pod
//! watch (a pod whose `status.podIP`, written through `pods/status` as a kubelet would, is the
//! test's own 127.0.0.1) when it sends neither host nor `node_name` (TarsCpp's `loadConfig`);
//! K8SFramework's activation window (a new version created activated, the old one labelled
//! `tars.io/Deactivate`, then deactivated) answers the new content at every step; deletion; a
//! pod deleted; and no API call per answer (the answers go on from the snapshot while the test
//! counts requests on the fake).

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use tars_codec::to_bytes;
use tars_config::identity::Resolved;
use tars_config::{Config, Metrics, Outcome, Source};
use tars_rpc::interfaces::config::{LoadConfigArgs, Text4Result};
use tars_rpc::{Client, Server, ServerConfig};
use tars_test::kube_target::{KubeTarget, Needs, eventually_eq};
use tokio_util::sync::CancellationToken;

const OBJ: &str = "tars.tarsconfig.ConfigObj";
const MANAGER: &str = "tarsplane-conformance";

fn tconfig(name: &str, file: &str, seq: &str, content: &str) -> Value {
    json!({
        "apiVersion": "k8s.tars.io/v1beta3",
        "kind": "TConfig",
        "metadata": {"name": name},
        "app": "Test",
        "server": "Hello",
        "configName": file,
        "podSeq": seq,
        "activated": true,
        "configContent": content,
    })
}

fn hello_pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": "test-hello-",
            "labels": {"tars.io/ServerApp": "Test", "tars.io/ServerName": "Hello"},
        },
        "spec": {"containers": [{"name": "hello", "image": "test/hello:v1"}]},
    }))
    .expect("a pod")
}

/// Creates pod `name` and gives it `ip` through `pods/status`, as a kubelet would.
async fn start_pod(pods: &Api<Pod>, name: &str, ip: &str) {
    pods.create(&PostParams::default(), &hello_pod(name))
        .await
        .expect("create the pod");
    let status = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "status": {"phase": "Running", "podIP": ip, "hostIP": ip},
    });
    pods.patch_status(
        name,
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(status),
    )
    .await
    .expect("set the pod's status");
}

async fn load(client: &Client, file: &str) -> (i32, String) {
    let args = LoadConfigArgs {
        app: b"Test",
        server: b"Hello",
        filename: file.as_bytes(),
    };
    let response = client
        .invoke(OBJ, "loadConfig", &to_bytes(&args), Duration::from_secs(5))
        .await
        .expect("call");
    assert_eq!(response.ret, 0);
    let result: Text4Result<'_> = response.decode().expect("decode");
    (
        result.ret,
        String::from_utf8_lossy(result.text).into_owned(),
    )
}

/// The service on `target`'s namespace, served on loopback, and a client of it.
async fn serve(
    target: &KubeTarget,
    metrics: &Metrics,
    shutdown: &CancellationToken,
) -> (tars_config::Service, Client) {
    let kube = (target.client(), target.namespace().to_owned());
    serve_on(kube, 20, metrics, shutdown).await
}

/// The service watching `kube`'s namespace (stale after `stale_after_secs`), served on
/// loopback, and a client of it.
async fn serve_on(
    kube: (kube::Client, String),
    stale_after_secs: u64,
    metrics: &Metrics,
    shutdown: &CancellationToken,
) -> (tars_config::Service, Client) {
    let config = Config {
        source: Source::Kubernetes,
        initial_sync_timeout_secs: 20,
        probe_interval_ms: 100,
        stale_after_secs,
        ..Config::default()
    };
    let kube = Some(kube);
    let service = tars_config::start(&config, kube, metrics.clone(), shutdown.clone())
        .await
        .expect("start");
    let server = Server::new(ServerConfig::default())
        .servant(OBJ, Arc::new(service.servant.clone()))
        .bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let client = Client::connect(server.local_addr()).await.expect("connect");
    tokio::spawn(server.run(shutdown.clone()));
    (service, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configs_and_pods_written_through_the_api_are_answered() {
    for target in KubeTarget::all(Needs::TarsCrds).await {
        eprintln!("-- on the {}", target.name());
        configs_and_pods(&target).await;
    }
}

async fn configs_and_pods(target: &KubeTarget) {
    let configs: Api<DynamicObject> = Api::namespaced_with(
        target.client(),
        target.namespace(),
        &tars_config::source::tconfig_resource(),
    );
    let pods: Api<Pod> = Api::namespaced(target.client(), target.namespace());
    let create = |object: Value| {
        let configs = configs.clone();
        async move {
            let object: DynamicObject = serde_json::from_value(object).expect("an object");
            configs
                .create(&PostParams::default(), &object)
                .await
                .unwrap_or_else(|error| panic!("create {:?}: {error}", object.metadata.name));
        }
    };
    create(tconfig("hello-a-m-1", "a.conf", "m", "server=1")).await;
    create(tconfig("hello-a-1-1", "a.conf", "1", "pod=1")).await;

    let shutdown = CancellationToken::new();
    let metrics = Metrics::new();
    let (service, client) = serve(target, &metrics, &shutdown).await;

    // No pod has our IP yet: server level only.
    assert_eq!(load(&client, "a.conf").await, (0, "server=1".into()));
    assert_eq!(metrics.loads(Outcome::Server, Resolved::None), 1);

    // A pod of Test.Hello whose IP is this test's: the caller is pod 1.
    start_pod(&pods, "test-hello-1", "127.0.0.1").await;
    let both = (0, "server=1\r\n\r\npod=1".to_owned());
    eventually_eq(target, "pod 1 found by its IP", &both, || {
        load(&client, "a.conf")
    })
    .await;
    assert!(metrics.loads(Outcome::Pod, Resolved::PeerIp) >= 1);

    // K8SFramework's activation window: a new version created activated; the webhook labels
    // the old one Deactivating, then the controller sets activated false. The new content is
    // answered at every step (the newest activated version wins while both are).
    create(tconfig("hello-a-m-2", "a.conf", "m", "server=2")).await;
    let both2 = (0, "server=2\r\n\r\npod=1".to_owned());
    eventually_eq(target, "the new version answered", &both2, || {
        load(&client, "a.conf")
    })
    .await;
    let label = json!({"metadata": {"labels": {"tars.io/Deactivate": "Deactivating"}}});
    configs
        .patch("hello-a-m-1", &PatchParams::default(), &Patch::Merge(label))
        .await
        .expect("label the old version");
    let off = json!({"metadata": {"labels": {"tars.io/Deactivate": null, "tars.io/Activated": "false"}}, "activated": false});
    configs
        .patch("hello-a-m-1", &PatchParams::default(), &Patch::Merge(off))
        .await
        .expect("deactivate the old version");
    tokio::task::yield_now().await;
    assert_eq!(load(&client, "a.conf").await, both2);

    // The old version deleted: nothing changes; the new master deleted: -1.
    configs
        .delete("hello-a-m-1", &DeleteParams::default())
        .await
        .expect("delete");
    configs
        .delete("hello-a-m-2", &DeleteParams::default())
        .await
        .expect("delete");
    eventually_eq(target, "no master, no answer", &(-1, String::new()), || {
        load(&client, "a.conf")
    })
    .await;

    // The pod gone: a new master is answered at server level only.
    create(tconfig("hello-a-m-3", "a.conf", "m", "server=3")).await;
    eventually_eq(
        target,
        "the third version",
        &(0, "server=3\r\n\r\npod=1".to_owned()),
        || load(&client, "a.conf"),
    )
    .await;
    pods.delete("test-hello-1", &DeleteParams::default().grace_period(0))
        .await
        .expect("delete the pod");
    eventually_eq(
        target,
        "the pod forgotten",
        &(0, "server=3".to_owned()),
        || load(&client, "a.conf"),
    )
    .await;
    no_api_call_per_answer(target, &client).await;
    assert!(service.readiness().ready);
    assert_eq!(
        service.snapshot().configs(),
        2,
        "hello-a-1-1 and hello-a-m-3"
    );
    shutdown.cancel();
    service.closed().await;
}

/// Answers never call the API server (K8SFramework made one GET per call): on the fake, where
/// every request is recorded, 200 loads add no request about tconfigs.
async fn no_api_call_per_answer(target: &KubeTarget, client: &Client) {
    let Some(fake) = target.fake_state() else {
        return;
    };
    let tconfig_requests = || {
        fake.requests()
            .iter()
            .filter(|r| r.contains("tconfigs") && !r.contains("watch"))
            .count()
    };
    let before = tconfig_requests();
    for _ in 0..200 {
        assert_eq!(load(client, "a.conf").await.0, 0);
    }
    assert_eq!(tconfig_requests(), before, "no list or get per answer");
}

/// Fake only (a real API server cannot be stopped on demand here): while the API server is
/// away the service answers from its last snapshot, reports itself stale (readiness and
/// `tars_config_stale_seconds`), and catches up when it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_go_on_from_the_last_snapshot_while_the_api_server_is_down() {
    use tars_test::fake_kube::FakeKube;
    let fake = FakeKube::start().await.expect("the fake starts");
    let state = fake.state();
    state.register("k8s.tars.io", "v1beta3", "tconfigs", "TConfig", true);
    state.register("", "v1", "pods", "Pod", true);
    let mut object = tconfig("hello-a-m", "a.conf", "m", "before");
    object["metadata"]["namespace"] = json!("tars");
    state.upsert("tconfigs", object.clone());

    let mut kube = kube::Config::new(fake.url().parse().expect("url"));
    kube.default_namespace = "tars".into();
    let client = kube::Client::try_from(kube).expect("client");
    let shutdown = CancellationToken::new();
    let mut prometheus = prometheus_client::registry::Registry::default();
    let metrics = Metrics::register(&mut prometheus);
    let (service, rpc) = serve_on((client, "tars".into()), 1, &metrics, &shutdown).await;
    assert_eq!(load(&rpc, "a.conf").await, (0, "before".into()));

    let addr = fake.addr();
    fake.stop().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while service.readiness().ready {
        assert!(tokio::time::Instant::now() < deadline, "stale within 30 s");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let readiness = service.readiness();
    assert!(
        readiness.synced && readiness.stale_for.is_some(),
        "{readiness:?}"
    );
    assert!(
        readiness
            .describe()
            .contains("answering from the last snapshot")
    );
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &prometheus).expect("encode");
    assert!(
        text.contains("tars_config_source_up{kind=\"tconfig\"} 0"),
        "{text}"
    );
    assert!(!text.contains("tars_config_stale_seconds 0.0\n"), "{text}");
    assert_eq!(
        load(&rpc, "a.conf").await,
        (0, "before".into()),
        "the last snapshot"
    );

    object["configContent"] = json!("after");
    state.upsert("tconfigs", object);
    let _back = FakeKube::start_on(addr, state)
        .await
        .expect("the fake restarts on its port");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while load(&rpc, "a.conf").await != (0, "after".into()) || !service.readiness().ready {
        assert!(
            tokio::time::Instant::now() < deadline,
            "caught up within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    shutdown.cancel();
    service.closed().await;
}
