//! The kevent service driven through the Kubernetes API only, by the same code against the
//! in-process fake (`tars_test::fake_kube`) and the real API server `KUBECONFIG` names (each in
//! a fresh namespace, `tars_test::kube_target`), documents read back from a SQLite store.
//! Without `KUBECONFIG` the real part is skipped with a printed reason, unless
//! `TARSPLANE_REQUIRE_REAL_BACKENDS=1`, which makes it a failure.
//!
//! Checked on each: events created before and after the start become documents with the id
//! `<uid>:<resourceVersion>`, the API's field names, no `metadata` and `@timestamp` in epoch
//! milliseconds; a modification (count + 1) is a second document; cluster-level events of
//! `default` (no `involvedObject.namespace`) are written and namespaced ones there are not; a
//! restarted service offers everything again and the store keeps the first document of each
//! id. On the fake only (versions cannot be expired on demand on a real server): a relist after
//! a 410 writes nothing.

mod common;

use common::{Running, config, doc, docs, event, id_of, node_ref, pod_ref, until};
use k8s_openapi::api::core::v1::{Event, Namespace};
use kube::Api;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use sink::{Sink, SqliteSink};
use tars_test::kube_target::{KubeTarget, Needs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_written_through_the_api_become_documents() {
    for target in KubeTarget::all(Needs::BuiltIn).await {
        eprintln!("-- on the {}", target.name());
        events_become_documents(&target).await;
    }
}

/// Creates the `default` namespace where it is missing (on the fake; a real server has it).
async fn ensure_default_namespace(target: &KubeTarget) {
    let namespaces: Api<Namespace> = Api::all(target.client());
    let default = Namespace {
        metadata: ObjectMeta {
            name: Some("default".into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    match namespaces.create(&PostParams::default(), &default).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(error) => panic!("create namespace default on the {}: {error}", target.name()),
    }
}

async fn create(api: &Api<Event>, event: &Event) -> Event {
    api.create(&PostParams::default(), event)
        .await
        .unwrap_or_else(|error| panic!("create event {:?}: {error}", event.metadata.name))
}

/// The documents about objects whose name ends with `tag` (other tests and runs write into
/// `default` too), as (id, document).
async fn tagged(db: &SqliteSink, index: &str, tag: &str) -> Vec<(String, Value)> {
    docs(db, index)
        .await
        .into_iter()
        .filter(|(_, d)| {
            d["involvedObject"]["name"]
                .as_str()
                .is_some_and(|n| n.ends_with(tag))
        })
        .collect()
}

/// One target's namespace, its `default`, and the store the service writes into.
struct Scene<'a> {
    target: &'a KubeTarget,
    /// The test's namespace; unique per run, so it also tags the test's objects in `default`.
    ns: String,
    events: Api<Event>,
    default: Api<Event>,
    db: SqliteSink,
    index: String,
}

impl Scene<'_> {
    fn start(&self) -> Running {
        let service = Running::start(
            self.target.client(),
            &self.ns,
            config(),
            Sink::Sqlite(self.db.clone()),
        );
        assert_eq!(service.index, self.index);
        service
    }

    /// A pod event in the test's namespace.
    async fn pod_event(&self, pod: &str, reason: &str) -> Event {
        let name = format!("{pod}-{}", self.ns);
        create(
            &self.events,
            &event(&format!("{pod}.1"), &pod_ref(&self.ns, &name), reason, 1),
        )
        .await
    }

    /// A cluster-level (node) event in `default`.
    async fn node_event(&self, n: u32, reason: &str) -> Event {
        let node = format!("node-{}", self.ns);
        create(
            &self.default,
            &event(&format!("{node}.{n}"), &node_ref(&node), reason, 1),
        )
        .await
    }

    async fn doc(&self, event: &Event) -> Option<Value> {
        doc(&self.db, &self.index, &id_of(event)).await
    }
}

async fn events_become_documents(target: &KubeTarget) {
    if let Some(fake) = target.fake_state() {
        fake.register("", "v1", "events", "Event", true);
    }
    ensure_default_namespace(target).await;
    let (db, _dir) = common::sqlite();
    let ns = target.namespace().to_owned();
    let scene = Scene {
        target,
        events: Api::namespaced(target.client(), &ns),
        default: Api::namespaced(target.client(), "default"),
        db,
        index: format!("{ns}_kevent_"),
        ns,
    };
    invalid_events_are_refused(&scene).await;
    let service = scene.start();
    let (first, written) = listed_and_watched(&scene, &service).await;
    if let Some(fake) = target.fake_state() {
        relist_writes_nothing(&fake, &service).await;
    }
    service.stop().await;
    restart_keeps_the_first_documents(&scene, &first, &written).await;
}

/// The API server refuses an event whose `involvedObject.namespace` is not its own, and a
/// cluster-level event outside `default` (the fake checks the same).
async fn invalid_events_are_refused(scene: &Scene<'_>) {
    for involved in [pod_ref("default", "elsewhere"), node_ref("node-x")] {
        let refused = scene
            .events
            .create(&PostParams::default(), &event("bad.1", &involved, "Bad", 1))
            .await;
        match refused {
            Err(kube::Error::Api(status)) => {
                assert_eq!(
                    (status.code, status.reason.as_str()),
                    (422, "Invalid"),
                    "on the {}: {status:?}",
                    scene.target.name()
                );
                assert!(
                    status.message.contains("involvedObject.namespace"),
                    "{status:?}"
                );
            }
            other => panic!("on the {}: {other:?}", scene.target.name()),
        }
    }
}

/// Events listed at the start and watched after it become documents; returns the first event
/// and every document written about the test's objects.
async fn listed_and_watched(scene: &Scene<'_>, service: &Running) -> (Event, Vec<(String, Value)>) {
    let ns = &scene.ns;
    let before_ms = common::now_ms();
    let first = scene.pod_event("a-0", "BackOff").await;
    // In `default`: a namespaced event (not kept), then a cluster-level one (kept). Both go
    // through the same watch in this order, so once the second is stored the first was seen.
    let pod_in_default = format!("pod-in-default-{ns}");
    let involved = pod_ref("default", &pod_in_default);
    create(
        &scene.default,
        &event(&format!("{pod_in_default}.1"), &involved, "Pulled", 1),
    )
    .await;
    let node = scene.node_event(1, "NodeNotReady").await;
    until("the first events are stored", || async {
        scene.doc(&first).await.is_some() && scene.doc(&node).await.is_some()
    })
    .await;
    let after_ms = common::now_ms();

    let stored = scene.doc(&first).await.expect("stored");
    let timestamp = stored["@timestamp"]
        .as_i64()
        .expect("an integer @timestamp");
    assert!(
        (before_ms..=after_ms).contains(&timestamp),
        "@timestamp {timestamp} is epoch milliseconds of the write ({before_ms}..={after_ms})"
    );
    let mut expected = json!({
        "kind": "Event",
        "apiVersion": "v1",
        "involvedObject": pod_ref(ns, &format!("a-0-{ns}")),
        "reason": "BackOff",
        "message": format!("BackOff of a-0-{ns}"),
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": "2024-03-28T09:29:00Z",
        "lastTimestamp": "2024-03-28T09:29:45Z",
        "count": 1,
        "type": "Warning",
        "@timestamp": timestamp,
    });
    // A real API server adds the empty reporting fields of an old-style event.
    for field in ["reportingComponent", "reportingInstance"] {
        if let Some(value) = stored.get(field) {
            assert_eq!(value, "", "{field} on the {}", scene.target.name());
            expected[field] = value.clone();
        }
    }
    assert_eq!(stored, expected, "on the {}", scene.target.name());
    let node_doc = scene.doc(&node).await.expect("stored");
    assert_eq!(node_doc["involvedObject"]["kind"], "Node");
    assert!(node_doc["involvedObject"].get("namespace").is_none());
    assert!(
        tagged(&scene.db, &scene.index, &pod_in_default)
            .await
            .is_empty(),
        "namespaced events of default are not written"
    );
    assert!(service.metrics.skipped("namespaced_in_default") >= 1);

    // Watched: a new event, and a modification (count + 1) as a second document.
    let second = scene.pod_event("b-0", "Unhealthy").await;
    let change = json!({"count": 2, "lastTimestamp": "2024-03-28T09:31:00Z"});
    let modified = scene
        .events
        .patch("a-0.1", &PatchParams::default(), &Patch::Merge(change))
        .await
        .expect("modify the event");
    assert_ne!(id_of(&modified), id_of(&first), "a new version");
    until("the new event and the new version are stored", || async {
        scene.doc(&second).await.is_some() && scene.doc(&modified).await.is_some()
    })
    .await;
    let new_version = scene.doc(&modified).await.expect("stored");
    assert_eq!(new_version["count"], 2);
    assert_eq!(new_version["lastTimestamp"], "2024-03-28T09:31:00Z");
    let old_version = scene.doc(&first).await.expect("kept");
    assert_eq!(old_version["count"], 1, "the first version stays as it was");
    let written = tagged(&scene.db, &scene.index, ns).await;
    assert_eq!(written.len(), 4, "{written:#?}");
    (first, written)
}

/// A new service knows nothing written: it offers every event the API holds again; the store
/// keeps the first document of each id.
async fn restart_keeps_the_first_documents(
    scene: &Scene<'_>,
    first: &Event,
    written: &[(String, Value)],
) {
    let service = scene.start();
    let third = scene.pod_event("c-0", "Killing").await;
    let node2 = scene.node_event(2, "NodeReady").await;
    // Each watch lists before it watches: once these are stored, the relists were handed over.
    until(
        "the events created after the restart are stored",
        || async { scene.doc(&third).await.is_some() && scene.doc(&node2).await.is_some() },
    )
    .await;
    assert!(service.metrics.documents() >= 5, "everything offered again");
    let again = tagged(&scene.db, &scene.index, &scene.ns).await;
    assert_eq!(again.len(), 6, "one document per id: {again:#?}");
    for (id, first_write) in written {
        let now = again.iter().find(|(i, _)| i == id).map(|(_, d)| d);
        assert_eq!(now, Some(first_write), "{id}: the first document is kept");
    }
    assert!(scene.doc(first).await.is_some());
    service.stop().await;
}

/// Fake only: expired versions make both watches relist; every listed event is already
/// written, so nothing is written.
async fn relist_writes_nothing(fake: &tars_test::fake_kube::FakeKubeState, service: &Running) {
    let metrics = &service.metrics;
    let written = metrics.documents();
    let skipped = metrics.skipped("already_written");
    let relists = (metrics.relists("namespace"), metrics.relists("cluster"));
    fake.expire_versions("events");
    // Own namespace: two events; default: the node event (the namespaced one is filtered out
    // before the writer).
    until("both watches relisted", || async {
        metrics.relists("namespace") > relists.0
            && metrics.relists("cluster") > relists.1
            && metrics.skipped("already_written") >= skipped + 3
    })
    .await;
    assert_eq!(
        metrics.documents(),
        written,
        "a relist writes nothing twice"
    );
}
