//! The harness: the registry started and stopped on a target, polling until a condition
//! holds, metrics, and writing and reading objects through the API.

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use prometheus_client::registry::Registry as Prometheus;
use registry::answer::Address;
use registry::model::Kind;
use registry::source::kubernetes::api_resource;
use registry::{Config, Kubernetes, Metrics, ReconcilerConfig, Service};
use serde_json::Value;
use tars_test::kube_target::KubeTarget;
use tokio_util::sync::CancellationToken;

/// The field manager the test writes with.
pub(crate) const FIELD_MANAGER: &str = "tarsplane-conformance";
pub(crate) use tars_test::kube_target::{TIMEOUT, eventually_eq};

/// The registry's configuration with short timers and the reconciler off.
pub(crate) fn config() -> Config {
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
pub(crate) fn reconciling_config() -> Config {
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
pub(crate) async fn start(
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
pub(crate) async fn stop(service: &Service, shutdown: &CancellationToken) {
    shutdown.cancel();
    tokio::time::timeout(TIMEOUT, service.closed())
        .await
        .expect("the registry stops on shutdown");
}

/// The value of one metric series (`name{labels}`), if it has been created.
pub(crate) fn metric(prometheus: &Prometheus, series: &str) -> Option<i64> {
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
pub(crate) fn tars_api(target: &KubeTarget, resource: &ApiResource) -> Api<DynamicObject> {
    Api::namespaced_with(target.client(), target.namespace(), resource)
}

pub(crate) fn tendpoints(target: &KubeTarget) -> Api<DynamicObject> {
    tars_api(target, &api_resource(Kind::Endpoint))
}

pub(crate) fn pods(target: &KubeTarget) -> Api<Pod> {
    Api::namespaced(target.client(), target.namespace())
}

/// Creates an object given as JSON; returns it as stored, as JSON.
pub(crate) async fn create(api: &Api<DynamicObject>, object: Value) -> Value {
    let object: DynamicObject = serde_json::from_value(object).expect("a dynamic object");
    let created = api
        .create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|error| panic!("create {:?}: {error}", object.metadata.name));
    serde_json::to_value(created).expect("json")
}

/// Server-side apply of `object` (forced, as [`FIELD_MANAGER`]).
pub(crate) async fn apply(api: &Api<DynamicObject>, name: &str, object: Value) {
    api.patch(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(object),
    )
    .await
    .unwrap_or_else(|error| panic!("apply {name}: {error}"));
}

/// Server-side apply of `status` through `/status` (forced, as [`FIELD_MANAGER`]).
pub(crate) async fn apply_status(api: &Api<DynamicObject>, name: &str, object: Value) {
    api.patch_status(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(object),
    )
    .await
    .unwrap_or_else(|error| panic!("apply the status of {name}: {error}"));
}

/// Deletes an object that must exist.
pub(crate) async fn delete(api: &Api<DynamicObject>, name: &str) {
    api.delete(name, &DeleteParams::default())
        .await
        .unwrap_or_else(|error| panic!("delete {name}: {error}"));
}

/// An object read back through the API, as JSON.
pub(crate) async fn read(api: &Api<DynamicObject>, name: &str) -> Option<Value> {
    api.get_opt(name)
        .await
        .unwrap_or_else(|error| panic!("get {name}: {error}"))
        .map(|object| serde_json::to_value(object).expect("json"))
}

/// What `findObjectById4All` answers, as `host:port` strings: (active, inactive).
pub(crate) fn hosts(service: &Service, id: &str) -> (Vec<String>, Vec<String>) {
    let (active, inactive) = service.registry.snapshot().resolve(id);
    let strings = |list: Vec<Address>| {
        list.into_iter()
            .map(|a| format!("{}:{}", a.host, a.port))
            .collect()
    };
    (strings(active), strings(inactive))
}

/// Owned strings.
pub(crate) fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}
