//! kevent end to end on the real backends `scripts/test` starts: events created through the
//! API server (the real one `KUBECONFIG` names, and the in-process fake) land as documents in
//! the real OpenSearch node at `TARS_ES_URL`, with their ids and field names, and the queries
//! tarsweb's event page sends (framework-next §4: `involvedObject.namespace` present or absent,
//! `type.keyword`, a `involvedObject.name.keyword` prefix, `involvedObject.kind.keyword`,
//! `reason.keyword`, a range and sort on `lastTimestamp`, `hits.total.value`) find them. A
//! restarted service that relists everything leaves the document count unchanged.
//!
//! Without `TARS_ES_URL` (or `KUBECONFIG` for the real API server) the real part is skipped
//! with a printed reason, unless `TARSPLANE_REQUIRE_REAL_BACKENDS=1`, which makes it a failure.

mod common;

use std::time::Duration;

use common::{Running, config, event, id_of, pod_ref, until};
use k8s_openapi::api::core::v1::Event;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use sink::config::{EsConfig, SpoolConfig};
use sink::{EsSink, Sink};
use tars_test::kube_target::{KubeTarget, Needs};

/// A JSON request to the node; the answer's status and body.
async fn es(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The search tarsweb's event page sends for a server's pods (framework-next §4), narrowed by
/// `kind` / `reason` / `kind of event`, newest first, with the total.
fn tarsweb_query(prefix: &str, event_type: &str, reason: Option<&str>) -> Value {
    let mut filter = vec![
        json!({"exists": {"field": "involvedObject.namespace"}}),
        json!({"term": {"type.keyword": event_type}}),
        json!({"prefix": {"involvedObject.name.keyword": prefix}}),
        json!({"term": {"involvedObject.kind.keyword": "Pod"}}),
        json!({"range": {"lastTimestamp": {"gte": "2024-03-28T00:00:00Z", "lte": "2024-03-29T00:00:00Z"}}}),
    ];
    if let Some(reason) = reason {
        filter.push(json!({"term": {"reason.keyword": reason}}));
    }
    json!({
        "query": {"bool": {"filter": filter}},
        "sort": [{"lastTimestamp": {"order": "desc"}}],
        "track_total_hits": true,
        "size": 100,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_land_in_the_real_opensearch_and_tarsweb_queries_find_them() {
    let Some(url) = tars_test::real_es::url() else {
        return;
    };
    for target in KubeTarget::all(Needs::BuiltIn).await {
        eprintln!(
            "-- on the {} and the OpenSearch node at {url}",
            target.name()
        );
        on_opensearch(&target, &url).await;
    }
}

fn es_sink(url: &str, dir: &std::path::Path) -> Sink {
    let config = EsConfig {
        nodes: vec![url.to_owned()],
        flush_interval_ms: 10,
        spool: SpoolConfig {
            dir: dir.join("spool"),
            fsync: false,
            ..SpoolConfig::default()
        },
        dead_letter_path: dir.join("dead-letter.ndjson"),
        ..EsConfig::default()
    };
    Sink::Elasticsearch(EsSink::start(&config, sink::Metrics::default()).expect("sink"))
}

async fn on_opensearch(target: &KubeTarget, url: &str) {
    if let Some(state) = target.fake_state() {
        state.register("", "v1", "events", "Event", true);
    }
    let ns = target.namespace().to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let sink = es_sink(url, dir.path());
    let mut cfg = config();
    cfg.cluster_events = false;
    // One data stream per run and target: `<namespace>_kevent_`, as K8SFramework names it.
    let index = format!("{ns}_kevent_");
    let service = tars_kevent::KEvent::new(
        cfg.clone(),
        ns.as_str(),
        sink.clone(),
        tars_kevent::Metrics::default(),
    )
    .expect("config");
    assert_eq!(service.index(), index);
    sink.register_index(service.index_spec())
        .await
        .expect("template and policy");
    drop(service);

    let events: Api<Event> = Api::namespaced(target.client(), &ns);
    let backoff = events
        .create(
            &PostParams::default(),
            &event("hello-0.1", &pod_ref(&ns, "test-hello-0"), "BackOff", 1),
        )
        .await
        .expect("create");
    let running = Running::start(target.client(), &ns, cfg.clone(), sink.clone());
    // The first version is seen by the initial list only if the list runs before the change.
    until("the service has listed the first event", || async {
        running.metrics.documents() >= 1
    })
    .await;
    let mut scheduled = event("hello-1.1", &pod_ref(&ns, "test-hello-1"), "Scheduled", 1);
    scheduled.type_ = Some("Normal".into());
    let scheduled = events
        .create(&PostParams::default(), &scheduled)
        .await
        .expect("create");
    let other = events
        .create(
            &PostParams::default(),
            &event("other-0.1", &pod_ref(&ns, "test-other-0"), "BackOff", 1),
        )
        .await
        .expect("create");
    let backoff2 = events
        .patch(
            backoff.metadata.name.as_deref().expect("name"),
            &PatchParams::default(),
            &Patch::Merge(json!({"count": 2, "lastTimestamp": "2024-03-28T09:31:00Z"})),
        )
        .await
        .expect("count + 1");

    let http = reqwest::Client::new();
    let expected = [&backoff, &backoff2, &scheduled, &other].map(id_of);
    let index_url = format!("{url}/{index}");
    let count_url = format!("{index_url}/_count");
    until(
        "the four event versions are searchable in OpenSearch",
        || async {
            let _ = es(
                &http,
                reqwest::Method::POST,
                &format!("{index_url}/_refresh"),
                None,
            )
            .await;
            es(&http, reqwest::Method::GET, &count_url, None).await.1["count"] == json!(4)
        },
    )
    .await;

    running.stop().await;
    tarsweb_queries(&http, &index_url, &ns, &expected).await;
    relist_writes_nothing_twice(target, &ns, cfg, &sink, &http, &index_url, url).await;
}

/// The searches tarsweb's event page sends, against the four documents.
async fn tarsweb_queries(
    http: &reqwest::Client,
    index_url: &str,
    ns: &str,
    expected: &[String; 4],
) {
    let http = http.clone();
    // tarsweb: the BackOff warnings of test-hello's pods, newest first.
    let search = format!("{index_url}/_search");
    let (status, found) = es(
        &http,
        reqwest::Method::POST,
        &search,
        Some(&tarsweb_query("test-hello", "Warning", Some("BackOff"))),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["hits"]["total"]["value"], json!(2), "{found}");
    let hits = found["hits"]["hits"].as_array().expect("hits");
    assert_eq!(
        hits[0]["_id"],
        json!(expected[1]),
        "the newer version first"
    );
    assert_eq!(hits[1]["_id"], json!(expected[0]));
    let newest = &hits[0]["_source"];
    assert_eq!(newest["count"], json!(2));
    assert_eq!(newest["reason"], json!("BackOff"));
    assert_eq!(newest["involvedObject"]["name"], json!("test-hello-0"));
    assert_eq!(newest["involvedObject"]["namespace"], json!(ns));
    assert_eq!(newest["source"]["component"], json!("kubelet"));
    assert!(newest.get("metadata").is_none(), "{newest}");
    let at = newest["@timestamp"].as_i64().expect("@timestamp");
    let now_ms = jiff::Timestamp::now().as_millisecond();
    assert!(
        (now_ms - at).abs() < 600_000,
        "@timestamp in epoch ms: {at} vs {now_ms}"
    );

    // tarsweb: every warning of test-hello (no reason filter), and the normal events.
    let (_, warnings) = es(
        &http,
        reqwest::Method::POST,
        &search,
        Some(&tarsweb_query("test-hello", "Warning", None)),
    )
    .await;
    assert_eq!(warnings["hits"]["total"]["value"], json!(2), "{warnings}");
    let (_, normal) = es(
        &http,
        reqwest::Method::POST,
        &search,
        Some(&tarsweb_query("test-hello", "Normal", None)),
    )
    .await;
    assert_eq!(normal["hits"]["total"]["value"], json!(1), "{normal}");
    assert_eq!(normal["hits"]["hits"][0]["_id"], json!(expected[2]));
    // tarsweb's cluster-event page: none of these lack a namespace.
    let cluster = json!({"query": {"bool": {"must_not": [{"exists": {"field": "involvedObject.namespace"}}]}}, "track_total_hits": true});
    let (_, cluster) = es(&http, reqwest::Method::POST, &search, Some(&cluster)).await;
    assert_eq!(cluster["hits"]["total"]["value"], json!(0), "{cluster}");
}

/// A restarted service relists every event and offers it again: nothing is stored twice.
async fn relist_writes_nothing_twice(
    target: &KubeTarget,
    ns: &str,
    cfg: tars_kevent::Config,
    sink: &Sink,
    http: &reqwest::Client,
    index_url: &str,
    url: &str,
) {
    let http = http.clone();
    let index = index_url.rsplit('/').next().unwrap_or_default().to_owned();
    let count_url = format!("{index_url}/_count");
    let again = Running::start(target.client(), ns, cfg, sink.clone());
    until(
        "the restarted service has offered the three current events",
        || async { again.metrics.documents() >= 3 },
    )
    .await;
    again.stop().await;
    sink.close(Duration::from_secs(10)).await;
    let _ = es(
        &http,
        reqwest::Method::POST,
        &format!("{index_url}/_refresh"),
        None,
    )
    .await;
    let (_, count) = es(&http, reqwest::Method::GET, &count_url, None).await;
    assert_eq!(count["count"], json!(4), "{count}");
    let (status, _) = es(
        &http,
        reqwest::Method::DELETE,
        &format!("{url}/_data_stream/{index}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "clean up the test's data stream");
}
