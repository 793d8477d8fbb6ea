//! The registry on its Kubernetes source, against `tars_test::fake_kube`: an in-process fake
//! API server that speaks list and watch like the real one (resource versions, resumed
//! watches, bookmarks, 410 `Expired`, `/status` subresources, server-side apply). The tests
//! cover lookups following list and watch events, the watch surviving bookmarks, expired
//! versions, dropped connections and an outage (lookups keep answering from the last
//! snapshot while readiness reports the staleness), the `upChain` and templates, invalid
//! objects, the `TEndpoint` reconciler, and `updateServerState` patching the pod condition.
//!
//! They run whatever `KUBECONFIG` says: each builds its own client of the fake. What they drive
//! (outages, version expiry, bookmarks on demand, objects written with a chosen `status` or
//! failing validation) has no equivalent on a real API server; the behaviours that do are
//! checked against both in `kube_conformance/`.

use std::fmt::Debug;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::DeleteParams;
use prometheus_client::registry::Registry as Prometheus;
use registry::answer::Address;
use registry::model::Template;
use registry::{ACTIVE_CONDITION, Config, Kubernetes, Metrics, ReconcilerConfig, Service};
use serde_json::{Value, json};
use tars_codec::{Protocol, TarsMap};
use tars_rpc::interfaces::registry::{UPDATE_SERVER_STATE, UpdateServerStateArgs};
use tars_rpc::{Reply, Request, Servant};
use tars_test::fake_kube::{FakeKube, FakeKubeState};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The namespace everything lives in.
const NS: &str = "tars";
/// The object id of the server most tests use (TEndpoint `test-hello`).
const HELLO: &str = "Test.Hello.HelloObj";
/// How long a condition may take to hold.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How often a condition is checked.
const POLL: Duration = Duration::from_millis(20);
/// `creationTimestamp` of the test pods (a TEndpoint status entry's `startTime`).
const START_TIME: &str = "2024-01-02T03:04:05Z";

const RELISTS: &str = r#"tars_registry_relists_total{kind="tendpoint"}"#;
const SOURCE_UP: &str = r#"tars_registry_source_up{kind="tendpoint"}"#;
const INVALID: &str = r#"tars_registry_invalid_objects_total{kind="tendpoint"}"#;
const PATCHED: &str = r#"tars_registry_state_updates_total{result="patched"}"#;
const PATCH_FAILED: &str = r#"tars_registry_state_updates_total{result="failed"}"#;

// ---------------------------------------------------------------------------------------------
// Harness

/// Polls `condition` every 20 ms for up to 10 s; panics naming `what` on timeout.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {TIMEOUT:?} waiting until {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Polls `actual` until it equals `expected` (as [`eventually`]); the panic shows the last
/// value seen.
async fn eventually_eq<T: PartialEq + Debug>(what: &str, expected: &T, actual: impl Fn() -> T) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let seen = actual();
        if seen == *expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {TIMEOUT:?} waiting until {what}\n  expected: {expected:?}\n  last seen: {seen:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// A fake API server with the types the registry and its reconciler use.
async fn fake_cluster() -> (FakeKube, FakeKubeState) {
    let fake = FakeKube::start().await.expect("the fake API server starts");
    let state = fake.state();
    for (group, version, plural, kind) in [
        ("k8s.tars.io", "v1beta3", "tendpoints", "TEndpoint"),
        ("k8s.tars.io", "v1beta3", "ttemplates", "TTemplate"),
        (
            "k8s.tars.io",
            "v1beta3",
            "tframeworkconfigs",
            "TFrameworkConfig",
        ),
        ("k8s.tars.io", "v1beta3", "tservers", "TServer"),
        ("", "v1", "pods", "Pod"),
        ("coordination.k8s.io", "v1", "leases", "Lease"),
    ] {
        state.register(group, version, plural, kind, true);
    }
    (fake, state)
}

/// A client of the fake, defaulting to namespace `tars`.
fn client(fake: &FakeKube) -> kube::Client {
    let mut config = kube::Config::new(fake.url().parse().expect("the fake's URL parses"));
    config.default_namespace = NS.into();
    kube::Client::try_from(config).expect("a client of the fake")
}

/// The registry's configuration with short timers and the reconciler off.
fn config() -> Config {
    let config = Config {
        initial_sync_timeout_secs: 10,
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

/// Starts the registry on the fake; returns once every kind has been listed.
async fn start(
    fake: &FakeKube,
    config: &Config,
    metrics: Metrics,
    shutdown: &CancellationToken,
) -> Service {
    let kubernetes = Kubernetes {
        client: client(fake),
        namespace: NS.into(),
    };
    registry::start(config, Some(kubernetes), metrics, shutdown.clone())
        .await
        .expect("the registry starts and lists every kind")
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

// ---------------------------------------------------------------------------------------------
// Lookups

/// What `findObjectById4All` answers: (active, inactive).
fn lookup(service: &Service, id: &str) -> (Vec<Address>, Vec<Address>) {
    service.registry.snapshot().resolve(id)
}

/// Endpoints of a TEndpoint servant with the CRD defaults (timeout 60 s, TCP).
fn at(hosts: &[&str], port: i32) -> Vec<Address> {
    hosts
        .iter()
        .map(|host| Address {
            host: String::from(*host),
            port,
            timeout: 60_000,
            tcp: true,
        })
        .collect()
}

/// Two empty lists.
fn nothing() -> (Vec<Address>, Vec<Address>) {
    (Vec::new(), Vec::new())
}

// ---------------------------------------------------------------------------------------------
// Objects

/// A TEndpoint of subType `tars` with `servants` (name, port) and `status.pods` (name,
/// `settingState`, `presentState`).
fn tendpoint(
    name: &str,
    app: &str,
    server: &str,
    servants: &[(&str, i32)],
    pods: &[(&str, &str, &str)],
) -> Value {
    let servants: Vec<Value> = servants
        .iter()
        .map(|(servant_name, port)| {
            json!({
                "name": servant_name, "port": port, "thread": 3, "capacity": 10_000,
                "connection": 10_000, "timeout": 60_000, "isTars": true, "isTcp": true,
            })
        })
        .collect();
    let pods: Vec<Value> = pods
        .iter()
        .map(|(pod_name, setting, present)| {
            json!({"name": pod_name, "settingState": setting, "presentState": present})
        })
        .collect();
    json!({
        "apiVersion": "k8s.tars.io/v1beta3",
        "kind": "TEndpoint",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "app": app,
            "server": server,
            "subType": "tars",
            "tars": {"template": "tars.cpp", "profile": "", "asyncThread": 3, "servants": servants},
        },
        "status": {"pods": pods},
    })
}

/// TEndpoint `test-hello` with servant `HelloObj` on `port`.
fn hello(port: i32, pods: &[(&str, &str, &str)]) -> Value {
    tendpoint("test-hello", "Test", "Hello", &[("HelloObj", port)], pods)
}

/// A TFrameworkConfig whose `upChain` sends `default` to `host:port` and `Other.App.Obj` to
/// `up-other:2` (UDP, 10 ms).
fn framework_config(name: &str, host: &str, port: i32) -> Value {
    json!({
        "apiVersion": "k8s.tars.io/v1beta3",
        "kind": "TFrameworkConfig",
        "metadata": {"name": name, "namespace": NS},
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
        "metadata": {"name": name, "namespace": NS},
        "spec": {"parent": parent, "content": content},
    })
}

/// The `HelloObj` servant as the TServer holds it.
fn hello_servant() -> Value {
    json!({
        "name": "HelloObj", "port": 10_000, "thread": 3, "capacity": 10_000,
        "connection": 10_000, "timeout": 60_000, "isTars": true, "isTcp": true,
    })
}

/// TServer `test-hello` (app `Test`, server `Hello`).
fn hello_tserver() -> Value {
    json!({
        "apiVersion": "k8s.tars.io/v1beta3",
        "kind": "TServer",
        "metadata": {"name": "test-hello", "namespace": NS, "labels": {"team": "a"}},
        "spec": {
            "app": "Test",
            "server": "Hello",
            "subType": "tars",
            "important": 5,
            "tars": {
                "template": "tars.cpp",
                "profile": "",
                "asyncThread": 3,
                "servants": [hello_servant()],
            },
            "k8s": {"replicas": 2},
        },
    })
}

/// A pod of server `Test.Hello`: scheduled, initialized, containers ready, `Ready` as given,
/// and the `tars.io/active` readiness gate with `gate` (`setting/present/pid`) as its reason.
/// It carries a finalizer, so a delete through the API only marks it terminating.
fn hello_pod(name: &str, ip: &str, ready: bool, gate: &str) -> Value {
    let condition = |kind: &str, holds: bool, reason: &str| {
        json!({
            "type": kind,
            "status": if holds { "True" } else { "False" },
            "reason": reason,
            "message": "",
        })
    };
    let not_ready = if ready { "" } else { "ReadinessGatesNotReady" };
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": NS,
            "creationTimestamp": START_TIME,
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
    })
}

/// `status.pods` of TEndpoint `test-hello` as (name, `settingState`, `presentState`, pid).
fn endpoint_pods(state: &FakeKubeState) -> Vec<[String; 4]> {
    let Some(endpoint) = state.get("tendpoints", NS, "test-hello") else {
        return Vec::new();
    };
    let Some(pods) = endpoint.pointer("/status/pods").and_then(Value::as_array) else {
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

/// Rows as [`endpoint_pods`] returns them.
fn rows(expected: &[[&str; 4]]) -> Vec<[String; 4]> {
    expected.iter().map(|row| row.map(str::to_owned)).collect()
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_follow_list_and_watch_events() {
    let (fake, state) = fake_cluster().await;
    let three = [
        ("test-hello-2", "Active", "Active"),
        ("test-hello-10", "Active", "Active"),
        ("test-hello-1", "Active", "Activating"),
    ];
    state.upsert("tendpoints", hello(10_000, &three));
    let shutdown = CancellationToken::new();
    let service = start(&fake, &config(), Metrics::default(), &shutdown).await;

    // The initial list is served as soon as `start` returns; hosts are `<pod>.<tendpoint>`,
    // sorted by name as strings.
    let listed = (
        at(
            &["test-hello-10.test-hello", "test-hello-2.test-hello"],
            10_000,
        ),
        at(&["test-hello-1.test-hello"], 10_000),
    );
    assert_eq!(lookup(&service, HELLO), listed);
    assert_eq!(
        lookup(&service, "test.hello.HelloObj"),
        listed,
        "application and server names are case-insensitive"
    );
    assert_eq!(
        lookup(&service, "Test.Hello.NoSuchObj"),
        nothing(),
        "a servant the TEndpoint does not have"
    );

    // ADDED
    let other = tendpoint(
        "test-other",
        "Test",
        "Other",
        &[("OtherObj", 20_000)],
        &[("test-other-0", "Active", "Active")],
    );
    state.upsert("tendpoints", other);
    eventually_eq(
        "an added TEndpoint is served",
        &(at(&["test-other-0.test-other"], 20_000), Vec::new()),
        || lookup(&service, "Test.Other.OtherObj"),
    )
    .await;

    // MODIFIED: a pod becomes active.
    let all_active = [
        ("test-hello-2", "Active", "Active"),
        ("test-hello-10", "Active", "Active"),
        ("test-hello-1", "Active", "Active"),
    ];
    state.upsert("tendpoints", hello(10_000, &all_active));
    let hosts = [
        "test-hello-1.test-hello",
        "test-hello-10.test-hello",
        "test-hello-2.test-hello",
    ];
    eventually_eq(
        "a pod that became active moves to the active list",
        &(at(&hosts, 10_000), Vec::new()),
        || lookup(&service, HELLO),
    )
    .await;

    // MODIFIED: the servant's port changes.
    state.upsert("tendpoints", hello(10_001, &all_active));
    eventually_eq(
        "a changed servant port is served",
        &(at(&hosts, 10_001), Vec::new()),
        || lookup(&service, HELLO),
    )
    .await;

    // DELETED
    assert!(state.delete("tendpoints", NS, "test-other"));
    eventually_eq(
        "a deleted TEndpoint is no longer served",
        &nothing(),
        || lookup(&service, "Test.Other.OtherObj"),
    )
    .await;
    assert_eq!(lookup(&service, HELLO), (at(&hosts, 10_001), Vec::new()));
    assert_eq!(service.registry.snapshot().servers(), 1);

    stop(&service, &shutdown).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_survives_bookmarks_expired_versions_and_dropped_connections() {
    let (fake, state) = fake_cluster().await;
    state.upsert(
        "tendpoints",
        hello(10_000, &[("test-hello-0", "Active", "Active")]),
    );
    let mut prometheus = Prometheus::default();
    let metrics = Metrics::register(&mut prometheus);
    let shutdown = CancellationToken::new();
    let service = start(&fake, &config(), metrics, &shutdown).await;
    assert_eq!(metric(&prometheus, RELISTS), Some(1), "the initial list");
    let watching = || state.open_watches("tendpoints") > 0;

    // A bookmark moves the watch's version on; later events still arrive.
    eventually("the TEndpoint watch is open", watching).await;
    state.bookmark("tendpoints");
    let two = [
        ("test-hello-0", "Active", "Active"),
        ("test-hello-1", "Active", "Active"),
    ];
    state.upsert("tendpoints", hello(10_000, &two));
    let both = ["test-hello-0.test-hello", "test-hello-1.test-hello"];
    eventually_eq(
        "a change after a bookmark is served",
        &(at(&both, 10_000), Vec::new()),
        || lookup(&service, HELLO),
    )
    .await;

    // Expired versions: the watch gets a 410 and the watcher lists again.
    state.expire_versions("tendpoints");
    state.upsert("tendpoints", hello(10_001, &two));
    eventually_eq(
        "a change after the versions expired is served",
        &(at(&both, 10_001), Vec::new()),
        || lookup(&service, HELLO),
    )
    .await;
    assert_eq!(
        metric(&prometheus, RELISTS),
        Some(2),
        "the 410 made the watcher list again"
    );

    // Dropped connections: the watcher resumes from its last version, without a list.
    eventually("the TEndpoint watch is open again", watching).await;
    state.drop_watches();
    let one_inactive = [
        ("test-hello-0", "Active", "Active"),
        ("test-hello-1", "Inactive", "Inactive"),
    ];
    state.upsert("tendpoints", hello(10_001, &one_inactive));
    eventually_eq(
        "a change after the watches were dropped is served",
        &(
            at(&["test-hello-0.test-hello"], 10_001),
            at(&["test-hello-1.test-hello"], 10_001),
        ),
        || lookup(&service, HELLO),
    )
    .await;
    assert_eq!(
        metric(&prometheus, RELISTS),
        Some(2),
        "a dropped watch resumes from its version without listing again"
    );

    stop(&service, &shutdown).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_answer_from_the_last_snapshot_while_the_api_server_is_down() {
    let (fake, state) = fake_cluster().await;
    let before = [("test-hello-0", "Active", "Active")];
    state.upsert("tendpoints", hello(10_000, &before));
    let mut prometheus = Prometheus::default();
    let metrics = Metrics::register(&mut prometheus);
    let shutdown = CancellationToken::new();
    let config = Config {
        stale_after_secs: 1,
        ..config()
    };
    let service = start(&fake, &config, metrics, &shutdown).await;
    let readiness = service.registry.readiness();
    assert!(
        readiness.ready && readiness.synced && readiness.stale_for.is_none(),
        "{readiness:?}"
    );
    assert_eq!(metric(&prometheus, SOURCE_UP), Some(1));
    let old = (at(&["test-hello-0.test-hello"], 10_000), Vec::new());
    assert_eq!(lookup(&service, HELLO), old);

    // The API server goes away.
    let addr = fake.addr();
    fake.stop().await;
    eventually("readiness reports the stale snapshot", || {
        let readiness = service.registry.readiness();
        !readiness.ready && readiness.synced && readiness.stale_for.is_some()
    })
    .await;
    assert_eq!(metric(&prometheus, SOURCE_UP), Some(0));
    assert_eq!(
        lookup(&service, HELLO),
        old,
        "lookups answer from the last snapshot"
    );

    // A change while it is away cannot reach the registry...
    let after = [
        ("test-hello-0", "Active", "Active"),
        ("test-hello-1", "Active", "Active"),
    ];
    state.upsert("tendpoints", hello(10_000, &after));
    assert_eq!(lookup(&service, HELLO), old);

    // ...and arrives once it is back.
    let _fake = FakeKube::start_on(addr, state)
        .await
        .expect("the fake API server restarts on its port");
    eventually_eq(
        "the change made during the outage is served",
        &(
            at(
                &["test-hello-0.test-hello", "test-hello-1.test-hello"],
                10_000,
            ),
            Vec::new(),
        ),
        || lookup(&service, HELLO),
    )
    .await;
    eventually("the registry is ready again", || {
        let readiness = service.registry.readiness();
        readiness.ready && readiness.stale_for.is_none()
    })
    .await;
    eventually_eq("the source is up again", &Some(1), || {
        metric(&prometheus, SOURCE_UP)
    })
    .await;

    stop(&service, &shutdown).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_chain_and_templates_come_from_the_cluster() {
    let (fake, state) = fake_cluster().await;
    state.upsert(
        "tframeworkconfigs",
        framework_config("tars-framework", "up-default", 1),
    );
    let ignored = framework_config("not-tars-framework", "up-ignored", 9);
    state.upsert("tframeworkconfigs", ignored);
    let content = "<tars>\n  <application>\n  </application>\n</tars>\n";
    state.upsert("ttemplates", ttemplate("tars.cpp", "tars.default", content));
    state.upsert(
        "tendpoints",
        hello(10_000, &[("test-hello-0", "Active", "Active")]),
    );
    let shutdown = CancellationToken::new();
    let service = start(&fake, &config(), Metrics::default(), &shutdown).await;

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
    assert_eq!(
        lookup(&service, "Other.App.Obj"),
        (vec![up_other.clone()], Vec::new())
    );
    assert_eq!(
        lookup(&service, "No.Such.Obj"),
        (vec![up_default("up-default", 1)], Vec::new()),
        "ids without their own list take `default`, with the CRD's defaults"
    );
    assert_eq!(
        lookup(&service, HELLO),
        (at(&["test-hello-0.test-hello"], 10_000), Vec::new()),
        "a TEndpoint wins over the upChain"
    );
    assert_eq!(lookup(&service, "NotAnId"), nothing());
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
    let ignored = framework_config("not-tars-framework", "up-ignored-2", 8);
    state.upsert("tframeworkconfigs", ignored);
    let changed = framework_config("tars-framework", "up-default-2", 3);
    state.upsert("tframeworkconfigs", changed);
    eventually_eq(
        "the changed upChain is served",
        &(vec![up_default("up-default-2", 3)], Vec::new()),
        || lookup(&service, "No.Such.Obj"),
    )
    .await;
    assert_eq!(
        lookup(&service, "Other.App.Obj"),
        (vec![up_other], Vec::new())
    );

    // Templates come and go with their objects.
    state.upsert(
        "ttemplates",
        ttemplate("tars.go", "tars.default", "<tars/>"),
    );
    eventually("an added template is known", || {
        service.registry.snapshot().template("tars.go").is_some()
    })
    .await;
    assert!(state.delete("ttemplates", NS, "tars.go"));
    eventually("a deleted template is forgotten", || {
        service.registry.snapshot().template("tars.go").is_none()
    })
    .await;
    assert!(service.registry.snapshot().template("tars.cpp").is_some());

    // Without `tars-framework` there is no upChain.
    assert!(state.delete("tframeworkconfigs", NS, "tars-framework"));
    eventually_eq("the upChain is gone", &nothing(), || {
        lookup(&service, "No.Such.Obj")
    })
    .await;

    stop(&service, &shutdown).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_objects_are_counted_and_the_previous_version_kept() {
    let (fake, state) = fake_cluster().await;
    let pods = [("test-hello-0", "Active", "Active")];
    state.upsert("tendpoints", hello(10_000, &pods));
    let mut broken = tendpoint(
        "test-broken",
        "Test",
        "Broken",
        &[("BrokenObj", 10_000)],
        &[("test-broken-0", "Active", "Active")],
    );
    let no_port = |object: &mut Value| {
        object["spec"]["tars"]["servants"][0]
            .as_object_mut()
            .expect("a servant object")
            .remove("port");
    };
    no_port(&mut broken);
    state.upsert("tendpoints", broken);
    let mut prometheus = Prometheus::default();
    let metrics = Metrics::register(&mut prometheus);
    let shutdown = CancellationToken::new();
    let service = start(&fake, &config(), metrics, &shutdown).await;

    // An invalid object in the initial list is counted and left out.
    assert_eq!(metric(&prometheus, INVALID), Some(1));
    assert_eq!(lookup(&service, "Test.Broken.BrokenObj"), nothing());
    let served = (at(&["test-hello-0.test-hello"], 10_000), Vec::new());
    assert_eq!(lookup(&service, HELLO), served);

    // An invalid modification is counted; the previous version stays.
    let mut invalid = hello(10_001, &[("test-hello-0", "Inactive", "Inactive")]);
    no_port(&mut invalid);
    state.upsert("tendpoints", invalid);
    eventually_eq("the invalid modification is counted", &Some(2), || {
        metric(&prometheus, INVALID)
    })
    .await;
    assert_eq!(
        lookup(&service, HELLO),
        served,
        "the previous version is kept"
    );

    // Fixed objects are served.
    state.upsert("tendpoints", hello(10_002, &pods));
    eventually_eq(
        "the fixed TEndpoint is served",
        &(at(&["test-hello-0.test-hello"], 10_002), Vec::new()),
        || lookup(&service, HELLO),
    )
    .await;
    let fixed = tendpoint(
        "test-broken",
        "Test",
        "Broken",
        &[("BrokenObj", 10_003)],
        &[("test-broken-0", "Active", "Active")],
    );
    state.upsert("tendpoints", fixed);
    eventually_eq(
        "the once invalid TEndpoint is served when fixed",
        &(at(&["test-broken-0.test-broken"], 10_003), Vec::new()),
        || lookup(&service, "Test.Broken.BrokenObj"),
    )
    .await;
    assert_eq!(metric(&prometheus, INVALID), Some(2));

    stop(&service, &shutdown).await;
}

/// Waits for the TEndpoint the reconciler derives from [`hello_tserver`] (stored as `tserver`)
/// and its pods `test-hello-0` (stored as `ready`) and `test-hello-1` (not ready yet), checks
/// it, its Lease and that the registry serves it.
async fn derived_endpoint_converges(
    state: &FakeKubeState,
    service: &Service,
    tserver: &Value,
    ready: &Value,
) {
    eventually_eq(
        "the reconciler writes the pods' states",
        &rows(&[
            ["test-hello-0", "Active", "Active", "42"],
            ["test-hello-1", "Active", "Activating", "43"],
        ]),
        || endpoint_pods(state),
    )
    .await;
    let (tserver_uid, pod_uid) = (&tserver["metadata"]["uid"], &ready["metadata"]["uid"]);
    let endpoint = state
        .get("tendpoints", NS, "test-hello")
        .expect("the reconciler created the TEndpoint");
    assert_eq!(
        endpoint.pointer("/metadata/ownerReferences"),
        Some(&json!([{
            "apiVersion": "k8s.tars.io/v1beta3", "kind": "TServer", "name": "test-hello",
            "uid": tserver_uid, "controller": true, "blockOwnerDeletion": true,
        }])),
        "{endpoint:#}"
    );
    assert_eq!(
        endpoint.pointer("/metadata/labels"),
        Some(&json!({
            "team": "a", "tars.io/ServerApp": "Test", "tars.io/ServerName": "Hello",
        })),
        "{endpoint:#}"
    );
    assert_eq!(
        endpoint.get("spec"),
        Some(&json!({
            "app": "Test", "server": "Hello", "subType": "tars", "important": 5,
            "tars": hello_tserver()["spec"]["tars"],
        })),
        "the spec is copied from the TServer, without `k8s`: {endpoint:#}"
    );
    let first = endpoint
        .pointer("/status/pods/0")
        .expect("a status entry for the first pod");
    assert_eq!(first["uid"], *pod_uid, "{first:#}");
    assert_eq!(first["podIP"], "10.0.0.10", "{first:#}");
    assert_eq!(first["hostIP"], "192.168.0.1", "{first:#}");
    assert_eq!(first["id"], "v1", "{first:#}");
    assert_eq!(first["startTime"], START_TIME, "{first:#}");
    assert_eq!(
        state.managers("tendpoints", NS, "test-hello"),
        ["tarsplane-registry"],
        "the reconciler writes with server-side apply"
    );
    let lease = state
        .get("leases", NS, "tarsplane-registry-reconciler")
        .expect("the reconciler's Lease exists");
    let holder = lease
        .pointer("/spec/holderIdentity")
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert!(!holder.is_empty(), "the Lease has a holder: {lease:#}");
    eventually_eq(
        "the registry serves the derived TEndpoint",
        &(
            at(&["test-hello-0.test-hello"], 10_000),
            at(&["test-hello-1.test-hello"], 10_000),
        ),
        || lookup(service, HELLO),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciler_derives_tendpoints_from_tservers_and_pods() {
    let (fake, state) = fake_cluster().await;
    let tserver = state.upsert("tservers", hello_tserver());
    let ready = state.upsert(
        "pods",
        hello_pod("test-hello-0", "10.0.0.10", true, "Active/Active/42"),
    );
    let starting = hello_pod("test-hello-1", "10.0.0.11", false, "Active/Activating/43");
    state.upsert("pods", starting);
    let shutdown = CancellationToken::new();
    let service = start(&fake, &reconciling_config(), Metrics::default(), &shutdown).await;

    derived_endpoint_converges(&state, &service, &tserver, &ready).await;

    // The second pod becomes ready.
    let now_ready = hello_pod("test-hello-1", "10.0.0.11", true, "Active/Active/43");
    state.upsert("pods", now_ready);
    eventually_eq(
        "a pod that became ready is active",
        &(
            at(
                &["test-hello-0.test-hello", "test-hello-1.test-hello"],
                10_000,
            ),
            Vec::new(),
        ),
        || lookup(&service, HELLO),
    )
    .await;

    // Deleted through the API, the pod waits for its finalizer: it is terminating.
    let pods: Api<Pod> = Api::namespaced(client(&fake), NS);
    pods.delete("test-hello-1", &DeleteParams::default())
        .await
        .expect("the pod is deleted");
    eventually_eq(
        "a terminating pod is reported as such",
        &rows(&[
            ["test-hello-0", "Active", "Active", "42"],
            ["test-hello-1", "Active", "Terminating", ""],
        ]),
        || endpoint_pods(&state),
    )
    .await;
    eventually_eq(
        "a terminating pod is inactive",
        &(
            at(&["test-hello-0.test-hello"], 10_000),
            at(&["test-hello-1.test-hello"], 10_000),
        ),
        || lookup(&service, HELLO),
    )
    .await;

    // Gone for good.
    assert!(state.delete("pods", NS, "test-hello-1"));
    eventually_eq(
        "a deleted pod leaves the status",
        &rows(&[["test-hello-0", "Active", "Active", "42"]]),
        || endpoint_pods(&state),
    )
    .await;
    eventually_eq(
        "a deleted pod is no longer served",
        &(at(&["test-hello-0.test-hello"], 10_000), Vec::new()),
        || lookup(&service, HELLO),
    )
    .await;

    // Without its TServer the TEndpoint goes.
    assert!(state.delete("tservers", NS, "test-hello"));
    eventually("the TEndpoint of a deleted TServer is deleted", || {
        state.get("tendpoints", NS, "test-hello").is_none()
    })
    .await;
    eventually_eq("the deleted server is no longer served", &nothing(), || {
        lookup(&service, HELLO)
    })
    .await;

    // Shutting down gives the lease up.
    stop(&service, &shutdown).await;
    let lease = state
        .get("leases", NS, "tarsplane-registry-reconciler")
        .expect("the Lease is kept");
    assert!(
        lease
            .pointer("/spec/holderIdentity")
            .and_then(Value::as_str)
            .is_none(),
        "the lease is released on shutdown: {lease:#}"
    );
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

/// `(status, reason)` of a pod's `tars.io/active` condition.
fn active_condition(state: &FakeKubeState, pod: &str) -> Option<(String, String)> {
    let pod = state.get("pods", NS, pod)?;
    let condition = pod
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(ACTIVE_CONDITION))?;
    let field = |key: &str| {
        condition
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Some((field("status"), field("reason")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_server_state_patches_the_pod_condition() {
    let (fake, state) = fake_cluster().await;
    state.upsert(
        "pods",
        hello_pod("test-hello-0", "10.0.0.10", false, "Active/Activating/1"),
    );
    let mut prometheus = Prometheus::default();
    let metrics = Metrics::register(&mut prometheus);
    let shutdown = CancellationToken::new();
    let service = start(&fake, &config(), metrics, &shutdown).await;

    // The reply comes after the patch.
    let reply = service
        .registry_servant
        .call(update_server_state(
            "test-hello-0",
            "Active",
            "Active",
            "1234",
        ))
        .await;
    assert_eq!(reply, Reply::Ok(Bytes::new()));
    assert_eq!(
        active_condition(&state, "test-hello-0"),
        Some(("True".to_owned(), "Active/Active/1234".to_owned()))
    );

    let reply = service
        .registry_servant
        .call(update_server_state(
            "test-hello-0",
            "Active",
            "Deactivating",
            "1234",
        ))
        .await;
    assert_eq!(reply, Reply::Ok(Bytes::new()));
    assert_eq!(
        active_condition(&state, "test-hello-0"),
        Some(("False".to_owned(), "Active/Deactivating/1234".to_owned()))
    );
    assert_eq!(metric(&prometheus, PATCHED), Some(2));

    // A pod that does not exist: the patch fails (after its retries), the call still succeeds.
    let reply = service
        .registry_servant
        .call(update_server_state("no-such-pod", "Active", "Active", "1"))
        .await;
    assert_eq!(reply, Reply::Ok(Bytes::new()));
    assert_eq!(metric(&prometheus, PATCH_FAILED), Some(1));
    assert!(state.get("pods", NS, "no-such-pod").is_none());

    stop(&service, &shutdown).await;
}
