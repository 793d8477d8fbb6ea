//! What the kevent tests share: events as the API takes them, a SQLite store in a temporary
//! directory, the service running in a task, and polling with a deadline.

#![allow(dead_code, unreachable_pub)] // each test file uses a part

use std::future::Future;
use std::time::Duration;

use k8s_openapi::api::core::v1::Event;
use serde_json::{Value, json};
use sink::config::SqliteConfig;
use sink::{Sink, SqliteSink};
use tars_kevent::{Config, KEvent, Metrics};
use tokio_util::sync::CancellationToken;

/// How long a condition may take to hold.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Polls `done` until it holds, for up to [`TIMEOUT`]; the panic says what was awaited.
pub async fn until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {TIMEOUT:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// An event about `involved` (an `ObjectReference`), as a kubelet or controller records it
/// (core v1, the old style without `eventTime`).
pub fn event(name: &str, involved: &Value, reason: &str, count: i32) -> Event {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name},
        "involvedObject": involved,
        "reason": reason,
        "message": format!("{reason} of {}", involved["name"].as_str().unwrap_or_default()),
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": "2024-03-28T09:29:00Z",
        "lastTimestamp": "2024-03-28T09:29:45Z",
        "count": count,
        "type": "Warning",
    }))
    .expect("an event")
}

/// A pod of `namespace` as an event's `involvedObject`.
pub fn pod_ref(namespace: &str, name: &str) -> Value {
    json!({
        "kind": "Pod",
        "namespace": namespace,
        "name": name,
        "uid": "0d2b3a4c-5d6e-4f7a-9c1e-5b0c7f9e2a4d",
        "apiVersion": "v1",
        "resourceVersion": "98765",
        "fieldPath": "spec.containers{main}",
    })
}

/// A node as an event's `involvedObject`: no namespace, a cluster-level event.
pub fn node_ref(name: &str) -> Value {
    json!({"kind": "Node", "name": name, "uid": name})
}

/// `<uid>:<resourceVersion>` of a stored event.
pub fn id_of(event: &Event) -> String {
    format!(
        "{}:{}",
        event
            .metadata
            .uid
            .as_deref()
            .expect("the server sets a uid"),
        event
            .metadata
            .resource_version
            .as_deref()
            .expect("the server sets a version")
    )
}

/// A SQLite store in a temporary directory (kept while the returned directory lives).
pub fn sqlite() -> (SqliteSink, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = SqliteSink::open(
        &SqliteConfig {
            path: dir.path().join("kevent.sqlite"),
            ..SqliteConfig::default()
        },
        sink::Metrics::default(),
    )
    .expect("sqlite");
    (db, dir)
}

/// Fast settings for tests: short batch delay and probe interval.
pub fn config() -> Config {
    Config {
        batch_max_delay_ms: 100,
        probe_interval_ms: 100,
        ..Config::default()
    }
}

/// The service running in a task; stops on [`Running::stop`].
pub struct Running {
    pub metrics: Metrics,
    pub index: String,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Starts the service of `namespace` on `client`, writing into `sink`.
    pub fn start(client: kube::Client, namespace: &str, config: Config, sink: Sink) -> Self {
        let metrics = Metrics::default();
        let service = KEvent::new(config, namespace, sink, metrics.clone()).expect("valid config");
        let index = service.index().to_owned();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(service.run(client, shutdown.clone()));
        Self {
            metrics,
            index,
            shutdown,
            task,
        }
    }

    /// Stops the service and waits for it to hand its last batch to the sink.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the service stops on shutdown (a watch or the writer is stuck)")
            .expect("the service task does not panic");
    }
}

/// The documents of `index` in the store, by id.
pub async fn docs(db: &SqliteSink, index: &str) -> Vec<(String, Value)> {
    db.fetch(index).await.expect("fetch")
}

/// The document with this id, if stored.
pub async fn doc(db: &SqliteSink, index: &str, id: &str) -> Option<Value> {
    docs(db, index)
        .await
        .into_iter()
        .find_map(|(i, d)| (i == id).then_some(d))
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .expect("after 1970")
}

/// A kube client of the fake at `url` whose default namespace is `namespace`.
pub fn client(url: &str, namespace: &str) -> kube::Client {
    let mut config = kube::Config::new(url.parse().expect("url"));
    config.default_namespace = namespace.into();
    kube::Client::try_from(config).expect("client")
}
