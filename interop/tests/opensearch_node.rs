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

use serde_json::{Value, json};
use tarsplane_interop::monitor::{
    NODE_REPORTER, Rows, node_reporter_calls, queue_properties, run_node_reporter,
};
use tarsplane_interop::plane::{NOTIFY, Up};
use tarsplane_interop::poll::{Patience, poll};
use tarsplane_interop::run_node_ok;

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
    let Some(url) = tars_test::real_es::url() else {
        return;
    };
    let run = std::process::id();
    let up = Up::start(|options| {
        options.sink.elasticsearch.nodes = vec![url.clone()];
        options.sink.elasticsearch.flush_interval_ms = 10;
        options.stat.time_zone = "UTC".into();
        options.property.time_zone = "UTC".into();
        options.notify.time_zone = "UTC".into();
        options.stat.index_prefix = format!("tarsplane_e2e_{run}_stat_");
        options.property.index_prefix = format!("tarsplane_e2e_{run}_property_");
        options.notify.index = format!("tarsplane_e2e_{run}_notify_");
    })
    .await;
    let options = up.options().clone();

    run_node_reporter(&up).await;
    let marker = format!("e2e-{run}");
    run_node_ok(
        "notify-client.js",
        &["127.0.0.1", &up.port(NOTIFY), &marker],
    )
    .await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let date = read_back(&url, &up, deadline).await;

    sums_on_the_node(&url, &format!("{}{date}", options.stat.index_prefix), &date).await;
    alarms_in_the_stream(&url, &options.notify.index, &format!("e2e-{run}"), deadline).await;
    let described = up.sink().describe().unwrap_or_default();
    eprintln!("store: {described}");
    assert!(!described.is_empty(), "the sink identified the node");

    up.stop().await;
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
async fn read_back(url: &str, up: &Up, deadline: tokio::time::Instant) -> String {
    // The reports are one-way: close the windows until the node answers with them.
    let (monitor, options) = (up.monitor(), up.options());
    let mut rows = Rows::default();
    poll(
        Patience::Until(deadline),
        Duration::from_millis(200),
        async || {
            let minute = monitor.flush(&NODE_REPORTER).await;
            let date = &minute.date;
            for index in [&options.stat.index_prefix, &options.property.index_prefix] {
                let _ = reqwest::Client::new()
                    .post(format!("{url}/{index}{date}/_refresh"))
                    .send()
                    .await;
            }
            rows = monitor.query(date, &NODE_REPORTER).await;
            !rows.calls.is_empty() && rows.props.len() == 6
        },
    )
    .await;
    assert_eq!(
        rows.calls,
        node_reporter_calls(),
        "5 successes (10+20+30+40+600 ms), 2 timeouts, 1 error, through MonitorQuery"
    );
    assert_eq!(
        rows.props,
        queue_properties(),
        "values 4, 8, 12 under every policy"
    );
    rows.date
}
