//! Fake only (a real API server cannot be stopped or compacted on demand here): the kevent
//! service across API server outages and expired versions loses nothing the API server still
//! holds and writes nothing twice; and many events go to the sink in few batches.

mod common;

use common::{Running, client, config, doc, docs, event, node_ref, pod_ref, until};
use serde_json::Value;
use sink::Sink;
use tars_kevent::Config;
use tars_test::fake_kube::{FakeKube, FakeKubeState};

const NS: &str = "tars";

/// The fake with the events type registered.
async fn fake() -> (FakeKube, FakeKubeState) {
    let kube = FakeKube::start().await.expect("the fake starts");
    let state = kube.state();
    state.register("", "v1", "events", "Event", true);
    (kube, state)
}

/// Stores an event as a controller outside the test would; returns its document id.
fn put(
    state: &FakeKubeState,
    namespace: &str,
    object: &k8s_openapi::api::core::v1::Event,
) -> String {
    let mut value = serde_json::to_value(object).expect("JSON");
    value["metadata"]["namespace"] = Value::from(namespace);
    let stored = state.upsert("events", value);
    let meta = &stored["metadata"];
    format!(
        "{}:{}",
        meta["uid"].as_str().expect("uid"),
        meta["resourceVersion"].as_str().expect("version")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_across_api_outages_and_nothing_is_written_twice() {
    let (kube, state) = fake().await;
    let a1 = put(&state, NS, &event("a.1", &pod_ref(NS, "a"), "BackOff", 1));
    let (db, _dir) = common::sqlite();
    let service = Running::start(
        client(&kube.url(), NS),
        NS,
        config(),
        Sink::Sqlite(db.clone()),
    );
    let index = service.index.clone();
    let metrics = service.metrics.clone();
    until("the first event is stored", || async {
        doc(&db, &index, &a1).await.is_some()
    })
    .await;
    assert!(metrics.source_up("namespace") && metrics.source_up("cluster"));

    // The API server goes away; meanwhile an event is modified, one is created and a Node
    // event is recorded in `default`.
    let addr = kube.addr();
    kube.stop().await;
    until("both watches are down", || async {
        !metrics.source_up("namespace") && !metrics.source_up("cluster")
    })
    .await;
    let a2 = put(&state, NS, &event("a.1", &pod_ref(NS, "a"), "BackOff", 2));
    let b1 = put(&state, NS, &event("b.1", &pod_ref(NS, "b"), "Unhealthy", 1));
    let n1 = put(
        &state,
        "default",
        &event("n.1", &node_ref("n"), "NodeNotReady", 1),
    );
    let kube = FakeKube::start_on(addr, state.clone())
        .await
        .expect("the fake restarts on its port");
    until("what happened during the outage is stored", || async {
        let ids: Vec<String> = docs(&db, &index)
            .await
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        [&a1, &a2, &b1, &n1].iter().all(|id| ids.contains(id))
    })
    .await;
    until("both watches are up", || async {
        metrics.source_up("namespace") && metrics.source_up("cluster")
    })
    .await;
    assert_eq!(metrics.documents(), 4);

    // Again, and the versions seen before the outage expire meanwhile: the watches relist
    // and write only the event created while they were away.
    kube.stop().await;
    until("both watches are down again", || async {
        !metrics.source_up("namespace") && !metrics.source_up("cluster")
    })
    .await;
    let c1 = put(&state, NS, &event("c.1", &pod_ref(NS, "c"), "Killing", 1));
    state.expire_versions("events");
    let relists = metrics.relists("namespace");
    let skipped = metrics.skipped("already_written");
    let _kube = FakeKube::start_on(addr, state.clone())
        .await
        .expect("the fake restarts on its port");
    until("the relist's new event is stored", || async {
        doc(&db, &index, &c1).await.is_some()
    })
    .await;
    until("the relists are done", || async {
        metrics.relists("namespace") > relists && metrics.skipped("already_written") >= skipped + 3
    })
    .await;
    assert_eq!(metrics.documents(), 5, "only the new event was written");
    assert_eq!(docs(&db, &index).await.len(), 5);
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_events_go_to_the_sink_in_few_batches() {
    let (kube, state) = fake().await;
    let mut ids = Vec::new();
    for n in 0..50 {
        let name = format!("p-{n}");
        ids.push(put(
            &state,
            NS,
            &event(&format!("{name}.1"), &pod_ref(NS, &name), "Pulled", 1),
        ));
    }
    let (db, _dir) = common::sqlite();
    let config = Config {
        batch_max_docs: 20,
        batch_max_delay_ms: 1000,
        cluster_events: false,
        ..config()
    };
    let service = Running::start(
        client(&kube.url(), NS),
        NS,
        config,
        Sink::Sqlite(db.clone()),
    );
    let index = service.index.clone();
    until("every event is stored", || async {
        docs(&db, &index).await.len() >= 50
    })
    .await;
    let metrics = &service.metrics;
    assert_eq!(metrics.documents(), 50);
    assert_eq!(
        metrics.batches(),
        3,
        "20 + 20 at once, then the other 10 after the delay"
    );
    assert_eq!(
        metrics.relists("cluster"),
        0,
        "cluster_events = false: no watch of default"
    );
    service.stop().await;
    let stored: Vec<String> = docs(&db, &index)
        .await
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert!(ids.iter().all(|id| stored.contains(id)));
}
