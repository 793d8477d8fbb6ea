//! The running pipeline on the real SQLite store: lines fed as the log service feeds them,
//! traces closed on the timer and written, and a trace opened again by a late line joined to
//! its stored document (K8SFramework replaced that document with the late spans alone).

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use sink::config::SqliteConfig;
use sink::{Cond, Find, Sink, SqliteSink};
use tars_trace::document::{trace_document, trace_index};
use tars_trace::{Config, Lines, Metrics, pipeline};
use tokio_util::sync::CancellationToken;

fn lines(elements: &[Vec<u8>], at_ms: i64) -> Lines {
    let mut data = Vec::new();
    let mut ends = Vec::new();
    for element in elements {
        data.extend_from_slice(element);
        ends.push(u32::try_from(data.len()).expect("small"));
    }
    Lines {
        data: Bytes::from(data),
        ends,
        at_ms,
    }
}

/// The stored trace document of `trace` on `day`, once `ready` accepts it.
async fn stored(
    sink: &Sink,
    day: &str,
    trace: &str,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let find = Find {
        index: trace_index(day),
        all: vec![Cond::Text {
            field: "trace".into(),
            value: trace.into(),
        }],
        sort_desc: None,
        fields: Vec::new(),
        limit: 1,
        keyword_subfield: true,
    };
    let mut last = None;
    for _ in 0..200 {
        // A real node answers 503 ("all shards failed") while a new index's shard starts.
        match sink.find(&find).await {
            Ok(docs) => {
                if let Some(doc) = docs.into_iter().next().filter(&ready) {
                    return doc;
                }
            }
            Err(error) => last = Some(error),
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    if let Some(error) = last {
        panic!("no stored trace {trace}; the last search failed: {error}");
    }
    panic!("no stored trace {trace} as expected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_line_joins_the_stored_trace_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = SqliteSink::open(
        &SqliteConfig {
            path: dir.path().join("t.sqlite"),
            ..SqliteConfig::default()
        },
        sink::Metrics::default(),
    )
    .expect("sqlite");
    let sink = Sink::Sqlite(db);
    // The earlier trace kept in memory, then (nothing kept) read back from the store.
    late_line_joins_the_stored_trace(sink.clone(), "f-late", 64 << 20).await;
    late_line_joins_the_stored_trace(sink, "f-late-read", 0).await;
}

/// The same on the real node (`TARS_ES_URL`), with the trace indices' own templates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_line_joins_the_stored_trace_on_the_real_node() {
    let Some(url) = tars_test::real_es::url() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let config = sink::config::EsConfig {
        nodes: vec![url],
        flush_interval_ms: 10,
        spool: sink::config::SpoolConfig {
            dir: dir.path().join("spool"),
            ..sink::config::SpoolConfig::default()
        },
        dead_letter_path: dir.path().join("dead-letter.ndjson"),
        ..sink::config::EsConfig::default()
    };
    let es = sink::EsSink::start(&config, sink::Metrics::default()).expect("sink");
    for spec in tars_trace::document::index_specs("1d") {
        es.register_index(spec).await.expect("index family");
    }
    let unique = format!(
        "f-late-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    );
    // Nothing kept in memory: the earlier trace is read back from the node.
    late_line_joins_the_stored_trace(Sink::Elasticsearch(es), &unique, 0).await;
}

/// Feeds a trace without its root's cr, lets it close, then feeds the cr: the stored document
/// becomes the whole trace. `max_closed_bytes` 0: the earlier trace is read from the store.
async fn late_line_joins_the_stored_trace(sink: Sink, trace: &str, max_closed_bytes: usize) {
    let config = Config {
        poll_ms: 10,
        graph_write_ms: 10,
        quiet_ms: 100,
        incomplete_wait_ms: 100,
        max_open_ms: 1_000,
        max_closed_bytes,
        ..Config::default()
    };
    let metrics = Metrics::default();
    let (feed, pipeline) = pipeline(
        &config,
        sink.clone(),
        jiff::tz::TimeZone::UTC,
        metrics.clone(),
    )
    .expect("valid");
    let stop = CancellationToken::new();
    let task = tokio::spawn(pipeline.run(stop.clone()));
    let all = root_with_two_children(trace);
    let now = jiff::Timestamp::now();
    let day = jiff::fmt::strtime::format("%Y%m%d", &now.to_zoned_datetime(jiff::tz::TimeZone::UTC))
        .expect("day");

    // Everything but the root's cr: the trace closes without its end.
    let (early, late) = all.split_at(all.len() - 1);
    feed.send(lines(early, now.as_millisecond()))
        .await
        .expect("fed");
    let first = stored(&sink, &day, trace, |_| true).await;
    assert_eq!(first["teTime"], 0, "the root's cr had not arrived");

    // The root's cr arrives after the trace closed: it joins the stored trace.
    feed.send(lines(late, now.as_millisecond()))
        .await
        .expect("fed");
    let joined = stored(&sink, &day, trace, |d| d["teTime"] != 0).await;
    let (mut whole, _) = traces(&Config::default());
    feed_all(&mut whole, &all);
    let expected = trace_document(&one(whole.close_all(0)).trace);
    assert_eq!(
        joined, expected,
        "the same document as if no line had been late"
    );
    assert_eq!(metrics.rejoined(), (1, 0));
    // The graphs were counted once, when the trace first closed.
    assert_eq!(metrics.graphs().0 + metrics.graphs().1, 2);
    stop.cancel();
    task.await.expect("the pipeline stops");
}

fn feed_all(traces: &mut tars_trace::Traces, lines: &[Vec<u8>]) {
    feed(traces, lines, 0);
}
