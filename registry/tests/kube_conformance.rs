//! The registry's Kubernetes source through the API only — no test-side shortcuts — so the
//! same test runs against the in-process fake (`tars_test::fake_kube`) and, when `KUBECONFIG`
//! is set, against a real cluster with the `k8s.tars.io/v1beta3` CRDs installed (objects are
//! written to the namespace `TARSPLANE_TEST_NAMESPACE`, default `tarsplane-test`, which must
//! exist, and deleted afterwards). TEndpoints are created, their status written through the
//! `/status` subresource, changed and deleted; lookups must follow each step.

use std::time::Duration;

use kube::Api;
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use registry::model::Kind;
use registry::source::kubernetes::api_resource;
use serde_json::{Value, json};
use tars_test::fake_kube::FakeKube;
use tokio_util::sync::CancellationToken;

const FIELD_MANAGER: &str = "tarsplane-conformance";

/// The cluster under test: a real one from `KUBECONFIG`, else the fake (kept alive here).
struct Cluster {
    client: kube::Client,
    namespace: String,
    _fake: Option<FakeKube>,
}

async fn cluster() -> Cluster {
    if std::env::var_os("KUBECONFIG").is_some() {
        let namespace = std::env::var("TARSPLANE_TEST_NAMESPACE")
            .unwrap_or_else(|_| "tarsplane-test".to_owned());
        let client = kube::Client::try_default()
            .await
            .expect("KUBECONFIG client");
        return Cluster {
            client,
            namespace,
            _fake: None,
        };
    }
    let fake = FakeKube::start().await.expect("fake kube");
    let state = fake.state();
    for kind in Kind::ALL {
        state.register("k8s.tars.io", "v1beta3", kind.plural(), kind.kind(), true);
    }
    let mut config = kube::Config::new(fake.url().parse().expect("url"));
    config.default_namespace = "tarsplane-test".into();
    Cluster {
        client: kube::Client::try_from(config).expect("client"),
        namespace: "tarsplane-test".to_owned(),
        _fake: Some(fake),
    }
}

fn tendpoint(name: &str, port: u16) -> Value {
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

fn pods(active: &[&str], inactive: &[&str]) -> Value {
    let entry = |name: &&str, present: &str| json!({"name": name, "settingState": "Active", "presentState": present});
    let mut list: Vec<Value> = active.iter().map(|n| entry(n, "Active")).collect();
    list.extend(inactive.iter().map(|n| entry(n, "Activating")));
    json!({"apiVersion": "k8s.tars.io/v1beta3", "kind": "TEndpoint", "status": {"pods": list}})
}

async fn eventually<T: PartialEq + std::fmt::Debug>(what: &str, want: &T, got: impl Fn() -> T) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = got();
        if now == *want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: want {want:?}, last {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn start(cluster: &Cluster, shutdown: CancellationToken) -> registry::Service {
    let config = registry::Config {
        initial_sync_timeout_secs: 20,
        reconciler: registry::ReconcilerConfig {
            enabled: false,
            ..registry::ReconcilerConfig::default()
        },
        ..registry::Config::default()
    };
    registry::start(
        &config,
        Some(registry::Kubernetes {
            client: cluster.client.clone(),
            namespace: cluster.namespace.clone(),
        }),
        registry::Metrics::default(),
        shutdown,
    )
    .await
    .expect("registry starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_follow_tendpoints_written_through_the_api() {
    let cluster = cluster().await;
    let api: Api<DynamicObject> = Api::namespaced_with(
        cluster.client.clone(),
        &cluster.namespace,
        &api_resource(Kind::Endpoint),
    );
    let name = "conform-ance";
    let _ = api.delete(name, &DeleteParams::default()).await;

    let shutdown = CancellationToken::new();
    let service = start(&cluster, shutdown.clone()).await;
    let registry = service.registry.clone();
    let hosts = move || -> (Vec<String>, Vec<String>) {
        let (a, i) = registry.snapshot().resolve("Conform.Ance.ConformObj");
        let h = |l: Vec<registry::answer::Address>| {
            l.into_iter()
                .map(|a| format!("{}:{}", a.host, a.port))
                .collect()
        };
        (h(a), h(i))
    };

    let created: DynamicObject = serde_json::from_value(tendpoint(name, 7001)).expect("object");
    api.create(&PostParams::default(), &created)
        .await
        .expect("create");
    eventually("the created TEndpoint is known", &true, || {
        service.registry.snapshot().server(name).is_some()
    })
    .await;
    assert_eq!(
        hosts(),
        (vec![], vec![]),
        "without status: a server with no pods"
    );

    let status = PatchParams::apply(FIELD_MANAGER).force();
    api.patch_status(
        name,
        &status,
        &Patch::Apply(pods(&["conform-ance-1"], &["conform-ance-0"])),
    )
    .await
    .expect("status");
    eventually(
        "pods split by state",
        &(
            vec!["conform-ance-1.conform-ance:7001".to_owned()],
            vec!["conform-ance-0.conform-ance:7001".to_owned()],
        ),
        &hosts,
    )
    .await;

    let moved = tendpoint(name, 7002);
    api.patch(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(moved),
    )
    .await
    .expect("change the port");
    api.patch_status(
        name,
        &status,
        &Patch::Apply(pods(&["conform-ance-0", "conform-ance-1"], &[])),
    )
    .await
    .expect("status");
    eventually(
        "the new port and both pods active",
        &(
            vec![
                "conform-ance-0.conform-ance:7002".to_owned(),
                "conform-ance-1.conform-ance:7002".to_owned(),
            ],
            vec![],
        ),
        &hosts,
    )
    .await;

    api.delete(name, &DeleteParams::default())
        .await
        .expect("delete");
    eventually("gone", &false, || {
        service.registry.snapshot().server(name).is_some()
    })
    .await;
    shutdown.cancel();
    service.closed().await;
}
