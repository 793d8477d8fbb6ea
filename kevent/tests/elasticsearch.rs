//! The Elasticsearch path: the kevent data stream's template and lifecycle policy are
//! created, event documents go in with `create` and nested fields, and a restarted service that
//! offers every event again leaves one document per id (each replay is a 409, counted as
//! stored). Against the in-process fakes (`tars_test::fake_kube`, `tars_test::fake_es`).

mod common;

use common::{Running, client, config, event, node_ref, pod_ref, until};
use prometheus_client::registry::Registry;
use serde_json::Value;
use sink::config::{EsConfig, SpoolConfig};
use sink::{EsSink, Sink};
use tars_test::fake_es::FakeEs;
use tars_test::fake_kube::FakeKube;

const NS: &str = "tars";

/// A metric's value from the Prometheus text (sum over label sets).
fn metric(registry: &Registry, name: &str) -> f64 {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).expect("encode");
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The Elasticsearch writer with fast retries, its spool and dead-letter file under `dir`.
fn es_sink(url: &str, dir: &std::path::Path, registry: &mut Registry) -> Sink {
    let es_config = EsConfig {
        nodes: vec![url.to_owned()],
        request_timeout_secs: 2,
        flush_interval_ms: 10,
        spool: SpoolConfig {
            dir: dir.join("spool"),
            fsync: false,
            ..SpoolConfig::default()
        },
        dead_letter_path: dir.join("dead-letter.ndjson"),
        ..EsConfig::default()
    };
    Sink::Elasticsearch(EsSink::start(&es_config, sink::Metrics::register(registry)).expect("sink"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_go_into_the_data_stream_once_per_version() {
    let kube = FakeKube::start().await.expect("the fake API server starts");
    let state = kube.state();
    state.register("", "v1", "events", "Event", true);
    let mut ids = Vec::new();
    for (namespace, object) in [
        (NS, event("a.1", &pod_ref(NS, "a"), "BackOff", 3)),
        ("default", event("n.1", &node_ref("n"), "NodeNotReady", 1)),
    ] {
        let mut value = serde_json::to_value(object).expect("JSON");
        value["metadata"]["namespace"] = Value::from(namespace);
        let stored = state.upsert("events", value);
        let meta = &stored["metadata"];
        ids.push(format!(
            "{}:{}",
            meta["uid"].as_str().expect("uid"),
            meta["resourceVersion"].as_str().expect("version")
        ));
    }

    let es = FakeEs::start()
        .await
        .expect("the fake Elasticsearch starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut registry = Registry::default();
    let sink = es_sink(&es.url(), dir.path(), &mut registry);
    let spec = tars_kevent::index_spec(&config(), NS);
    sink.register_index(spec)
        .await
        .expect("register the stream");

    let service = Running::start(client(&kube.url(), NS), NS, config(), sink.clone());
    let index = service.index.clone();
    assert_eq!(index, "tars_kevent_");
    let fake = es.state();
    until("both events are in the data stream", || async {
        fake.docs(&index).len() == 2
    })
    .await;
    let template = &fake.index_templates()[&index];
    assert_eq!(template["index_patterns"], serde_json::json!([index]));
    assert_eq!(template["data_stream"], serde_json::json!({}));
    assert_eq!(
        template["template"]["mappings"]["properties"]["@timestamp"]["format"],
        "epoch_millis"
    );
    assert_eq!(
        fake.ilm_policies()[&index]["policy"]["phases"]["delete"]["min_age"],
        "3d"
    );
    let docs = fake.docs(&index);
    let stored: Vec<&String> = docs.iter().map(|(id, _)| id).collect();
    for id in &ids {
        assert!(stored.contains(&id), "{id} in {stored:?}");
    }
    let pod = docs
        .iter()
        .map(|(_, d)| d)
        .find(|d| d["involvedObject"]["kind"] == "Pod")
        .expect("the pod event");
    assert_eq!(pod["involvedObject"]["namespace"], NS);
    assert_eq!(pod["source"]["host"], "node-1");
    assert_eq!(pod["count"], 3);
    assert!(
        pod["@timestamp"]
            .as_i64()
            .is_some_and(|t| t > 1_000_000_000_000)
    );
    service.stop().await;

    // A new service offers both again: two 409s, counted as stored; one document per id.
    let stored_before = metric(&registry, "tars_sink_documents_stored_total");
    let service = Running::start(client(&kube.url(), NS), NS, config(), sink.clone());
    until("the replays are acknowledged", || async {
        metric(&registry, "tars_sink_documents_stored_total") >= stored_before + 2.0
    })
    .await;
    assert_eq!(fake.docs(&index).len(), 2);
    for id in &ids {
        assert_eq!(
            fake.write_counts().get(&(index.clone(), id.clone())),
            Some(&1),
            "{id} written once"
        );
    }
    assert!(
        metric(&registry, "tars_sink_documents_rejected_total") < 0.5,
        "none rejected"
    );
    assert_eq!(service.metrics.documents(), 2);
    service.stop().await;
    sink.close(std::time::Duration::from_secs(5)).await;
}
