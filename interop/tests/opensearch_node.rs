//! End to end on a real document store: `tarsplane up --elasticsearch $TARS_ES_URL` (in process;
//! `scripts/test` starts a real OpenSearch 2.19 node and sets the variable) fed by the npm
//! clients: `@tars/monitor` call statistics and a property with every policy, `@tars/notify`
//! alarms. The aggregates are read back through `MonitorQuery.query` (the objects tarsweb calls)
//! and, independently, with `_search` on the node itself; the alarms land in the notify data
//! stream. Index names carry the process id so that runs never share an index.
//!
//! Without `TARS_ES_URL` the test is skipped with a printed reason, unless
//! `TARSPLANE_REQUIRE_REAL_BACKENDS=1` (set by `scripts/test`), which makes that a failure.

use std::time::Duration;

use aggregate::MinuteClock;
use serde_json::{Value, json};
use tarsplane::up::{Options, start};
use tarsplane_interop::{monitor_query, run_node_async};
use tokio_util::sync::CancellationToken;

fn node_url() -> Option<String> {
    if let Ok(url) = std::env::var("TARS_ES_URL") {
        return Some(url.trim_end_matches('/').to_owned());
    }
    assert!(
        std::env::var("TARSPLANE_REQUIRE_REAL_BACKENDS").as_deref() != Ok("1"),
        "TARS_ES_URL is not set, but TARSPLANE_REQUIRE_REAL_BACKENDS=1: start a real node (scripts/test does)"
    );
    eprintln!("skipped: TARS_ES_URL is not set (no Elasticsearch or OpenSearch node)");
    None
}

async fn search(url: &str, index: &str, body: Value) -> Value {
    let http = reqwest::Client::new();
    let _ = http.post(format!("{url}/{index}/_refresh")).send().await;
    let answer = http
        .post(format!("{url}/{index}/_search"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("search request");
    let bytes = answer.bytes().await.expect("search answer");
    serde_json::from_slice(&bytes).expect("search answer is JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_reporters_through_tarsplane_up_land_in_the_real_node() {
    let Some(url) = node_url() else {
        return;
    };
    let run = std::process::id();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = Options::embedded("127.0.0.1".parse().expect("ip"), dir.path());
    options.ephemeral = true;
    options.sink.elasticsearch.nodes = vec![url.clone()];
    options.sink.elasticsearch.flush_interval_ms = 10;
    options.stat.time_zone = "UTC".into();
    options.property.time_zone = "UTC".into();
    options.notify.time_zone = "UTC".into();
    options.stat.index_prefix = format!("tarsplane_e2e_{run}_stat_");
    options.property.index_prefix = format!("tarsplane_e2e_{run}_property_");
    options.notify.index = format!("tarsplane_e2e_{run}_notify_");
    let plane = start(&options).await.expect("start");
    let addr = |object: &str| {
        plane
            .served
            .iter()
            .find(|s| s.object == object)
            .map(|s| s.addr)
            .expect("served")
    };
    let (stat_addr, property_addr, notify_addr) = (
        addr("tars.tarsstat.StatObj"),
        addr("tars.tarsproperty.PropertyObj"),
        addr("tars.tarsnotify.NotifyObj"),
    );
    let (query_stat, query_property) = (
        addr("tars.tarsquerystat.QueryObj"),
        addr("tars.tarsqueryproperty.QueryObj"),
    );
    let stat = plane.stat().expect("stat runs").aggregator.clone();
    let property = plane.property().expect("property runs").aggregator.clone();
    let sink = plane.sink().expect("a store").clone();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(plane.run(shutdown.clone()));

    let out = run_node_async(
        "monitor-client.js",
        &[
            "127.0.0.1",
            &stat_addr.port().to_string(),
            "127.0.0.1",
            &property_addr.port().to_string(),
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "monitor-client.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let marker = format!("e2e-{run}");
    let out = run_node_async(
        "notify-client.js",
        &["127.0.0.1", &notify_addr.port().to_string(), &marker],
    )
    .await;
    assert!(
        out.status.success(),
        "notify-client.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let date = read_back(
        &url,
        &options,
        &stat,
        &property,
        (query_stat, query_property),
        deadline,
    )
    .await;

    sums_on_the_node(&url, &format!("{}{date}", options.stat.index_prefix), &date).await;
    alarms_in_the_stream(&url, &options.notify.index, &format!("e2e-{run}"), deadline).await;
    let described = sink.describe().unwrap_or_default();
    eprintln!("store: {described}");
    assert!(!described.is_empty(), "the sink identified the node");

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(15), running)
        .await
        .expect("up stops on shutdown")
        .expect("task");
    let http = reqwest::Client::new();
    for path in [
        format!("{url}/{}*", options.stat.index_prefix),
        format!("{url}/{}*", options.property.index_prefix),
        format!("{url}/_data_stream/{}", options.notify.index),
    ] {
        let _ = http.delete(path).send().await;
    }
}

/// The call statistics straight from the node, summed by the node itself.
async fn sums_on_the_node(url: &str, stat_index: &str, date: &str) {
    // The same numbers straight from the node, summed by OpenSearch itself.
    let sums = search(
        url,
        stat_index,
        json!({
            "size": 0,
            "query": {"term": {"master_name": "Node.Reporter"}},
            "aggs": {
                "succ": {"sum": {"field": "succ_count"}},
                "timeout": {"sum": {"field": "timeout_count"}},
                "exce": {"sum": {"field": "exce_count"}},
                "time": {"sum": {"field": "total_time"}}
            }
        }),
    )
    .await;
    let agg = |name: &str| sums["aggregations"][name]["value"].as_f64();
    assert_eq!(
        (agg("succ"), agg("timeout"), agg("exce"), agg("time")),
        (Some(5.0), Some(2.0), Some(1.0), Some(700.0)),
        "{sums}"
    );
    let one = search(url, stat_index, json!({"size": 1})).await;
    let doc = &one["hits"]["hits"][0]["_source"];
    assert_eq!(doc["interface_name"], "sayHello", "{doc}");
    assert!(
        doc["f_tflag"].as_str().is_some_and(|t| t.len() == 4),
        "{doc}"
    );
    assert_eq!(doc["f_date"], date, "{doc}");
}

/// Both alarms in the notify data stream, written with `create` into its backing index.
async fn alarms_in_the_stream(
    url: &str,
    stream: &str,
    marker: &str,
    deadline: tokio::time::Instant,
) {
    // Alarms: the notify data stream, written with `create`.
    let mut alarms = Value::Null;
    while tokio::time::Instant::now() < deadline {
        alarms = search(
            url,
            stream,
            json!({"size": 10, "sort": [{"@timestamp": "asc"}]}),
        )
        .await;
        if alarms["hits"]["hits"]
            .as_array()
            .is_some_and(|h| h.len() == 2)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut messages: Vec<String> = alarms["hits"]["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .map(|h| h["_source"]["message"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    messages.sort();
    assert_eq!(
        messages,
        [format!("{marker} error"), format!("{marker} report")],
        "{alarms}"
    );
    assert!(
        alarms["hits"]["hits"][0]["_index"]
            .as_str()
            .is_some_and(|i| i.starts_with(&format!(".ds-{stream}"))),
        "a data stream's backing index: {alarms}"
    );
}

/// Closes the windows until `MonitorQuery` answers with what the npm reporters sent (the reports
/// are one-way), checks the numbers and returns the day they are in.
async fn read_back(
    url: &str,
    options: &Options,
    stat: &std::sync::Arc<aggregate::Aggregator<stat::StatDocuments>>,
    property: &std::sync::Arc<aggregate::Aggregator<property::PropertyDocuments>>,
    (query_stat, query_property): (std::net::SocketAddr, std::net::SocketAddr),
    deadline: tokio::time::Instant,
) -> String {
    // The reports are one-way: close the windows until the node answers with them.
    let clock = MinuteClock::from_name("UTC").expect("utc");
    let (mut calls, mut props) = (Vec::new(), Vec::new());
    let mut date = String::new();
    while tokio::time::Instant::now() < deadline {
        let minute = clock.now();
        date.clone_from(&minute.date);
        stat.flush(&minute).await;
        property.flush(&minute).await;
        for index in [&options.stat.index_prefix, &options.property.index_prefix] {
            let _ = reqwest::Client::new()
                .post(format!("{url}/{index}{date}/_refresh"))
                .send()
                .await;
        }
        calls = monitor_query(
            query_stat,
            "tars.tarsquerystat.QueryObj",
            &date,
            "Node.Reporter",
            &["succ_count", "timeout_count", "exce_count", "total_time"],
            &["slave_name", "interface_name"],
        )
        .await;
        props = monitor_query(
            query_property,
            "tars.tarsqueryproperty.QueryObj",
            &date,
            "Node.Reporter",
            &["value"],
            &["property_name", "policy"],
        )
        .await;
        if !calls.is_empty() && props.len() == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        calls,
        [(
            "Test.HelloServer,sayHello".to_owned(),
            vec![5.0, 2.0, 1.0, 700.0]
        )],
        "5 successes (10+20+30+40+600 ms), 2 timeouts, 1 error, through MonitorQuery"
    );
    let want: Vec<(String, Vec<f64>)> = [
        ("queue,Avg", 8.0),
        ("queue,Count", 3.0),
        ("queue,Distr", 0.0),
        ("queue,Max", 12.0),
        ("queue,Min", 4.0),
        ("queue,Sum", 24.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), vec![v]))
    .collect();
    assert_eq!(props, want, "values 4, 8, 12 under every policy");
    date
}
