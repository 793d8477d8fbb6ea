//! Fault injection: the Elasticsearch bulk writer against the in-process fake Elasticsearch of
//! `tars-test` (`tars_test::fake_es`), which speaks the bulk, template, ILM and search APIs and
//! injects partial item failures, 429 storms, 5xx, connection resets, slowness and outages.
//! After every scenario each submitted document is stored exactly once: the fake holds one
//! document per id and the ids are checked. The same document and query suite runs against a
//! real cluster in `es_conformance.rs` when `TARS_ES_URL` is set.

#![allow(clippy::float_cmp)] // sums and metric values compared here are exact integers

mod suite;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use prometheus_client::registry::Registry;
use sink::config::{EsConfig, FullPolicy, SpoolConfig};
use sink::{Batch, EsSink, Metrics, Op, Outcome, Sink};
use suite::within;
use tars_test::fake_es::{FakeEs, FakeEsState, Fault};

const INDEX: &str = "tars_stat_20240328";

/// Fast retries so that the scenarios take seconds, not minutes.
fn config(url: &str, dir: &Path) -> EsConfig {
    EsConfig {
        nodes: vec![url.to_owned()],
        request_timeout_secs: 2,
        flush_interval_ms: 10,
        max_bulk_docs: 200,
        retry_initial_backoff_ms: 20,
        retry_max_backoff_ms: 400,
        spool_after_secs: 1,
        spool: SpoolConfig {
            dir: dir.join("spool"),
            fsync: false,
            ..SpoolConfig::default()
        },
        dead_letter_path: dir.join("dead-letter.ndjson"),
        ..EsConfig::default()
    }
}

fn start(config: &EsConfig) -> (EsSink, Registry) {
    let mut registry = Registry::default();
    let metrics = Metrics::register(&mut registry);
    (
        EsSink::start(config, metrics).expect("sink starts"),
        registry,
    )
}

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

fn batch(tag: &str, n: usize) -> Batch {
    let mut b = Batch::new();
    for i in 0..n {
        b.push(Op::Index, INDEX, &format!("{tag}-{i}"), |d| {
            d.str("f_tflag", "0960").int("succ_count", i as i64);
        })
        .expect("valid");
    }
    b
}

fn ids(tag: &str, n: usize) -> BTreeSet<String> {
    (0..n).map(|i| format!("{tag}-{i}")).collect()
}

/// Every id in `want` is stored once, and nothing else.
fn assert_stored_once(state: &FakeEsState, want: &BTreeSet<String>) {
    let docs = state.docs(INDEX);
    let got: BTreeSet<String> = docs.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(docs.len(), got.len(), "one document per id");
    assert_eq!(&got, want, "exactly the submitted ids");
}

async fn submit_all(sink: &EsSink, batches: Vec<Batch>) -> Outcome {
    let mut receipts = Vec::new();
    for b in batches {
        receipts.push(sink.submit(b).await.expect("submit"));
    }
    let mut total = Outcome::default();
    for r in receipts {
        let o = within(60, "every document settles", r)
            .await
            .expect("outcome");
        total.stored += o.stored;
        total.spooled += o.spooled;
        total.rejected += o.rejected;
        total.dropped += o.dropped;
    }
    total
}

async fn wait_until(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    within(secs, what, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn partial_item_failures_are_retried_until_every_document_is_stored() {
    let es = FakeEs::start().await.expect("fake es");
    let dir = tempfile::tempdir().expect("tempdir");
    let (sink, registry) = start(&config(&es.url(), dir.path()));
    es.state().push_fault(Fault::ItemStatus {
        status: 429,
        every: 3,
    });
    es.state().push_fault(Fault::ItemStatus {
        status: 503,
        every: 2,
    });
    let outcome = submit_all(
        &sink,
        (0..5).map(|k| batch(&format!("b{k}"), 200)).collect(),
    )
    .await;
    assert_eq!(outcome.stored, 1000, "{outcome:?}");
    let want: BTreeSet<String> = (0..5).flat_map(|k| ids(&format!("b{k}"), 200)).collect();
    assert_stored_once(&es.state(), &want);
    assert!(metric(&registry, "tars_sink_documents_retried_total") > 0.0);
    assert_eq!(
        metric(&registry, "tars_sink_documents_stored_total"),
        1000.0
    );
}

#[tokio::test]
async fn a_429_storm_then_5xx_then_resets_are_ridden_out() {
    let es = FakeEs::start().await.expect("fake es");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(&es.url(), dir.path());
    cfg.spool_after_secs = 60;
    let (sink, _registry) = start(&cfg);
    for _ in 0..5 {
        es.state().push_fault(Fault::Status(429));
    }
    for status in [500, 502, 503, 504] {
        es.state().push_fault(Fault::Status(status));
    }
    for _ in 0..3 {
        es.state().push_fault(Fault::Reset);
    }
    es.state().push_fault(Fault::StoreThenStatus(503));
    let outcome = submit_all(&sink, vec![batch("s", 150)]).await;
    assert_eq!(outcome.stored, 150, "{outcome:?}");
    assert_stored_once(&es.state(), &ids("s", 150));
    assert!(es.state().bulk_requests() >= 14, "every fault was met");
}

#[tokio::test]
async fn slow_responses_and_timeouts_still_store_once() {
    let es = FakeEs::start().await.expect("fake es");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(&es.url(), dir.path());
    cfg.request_timeout_secs = 1;
    cfg.spool_after_secs = 60;
    let (sink, _registry) = start(&cfg);
    // Slower than the request timeout: the first attempts time out.
    es.state().set_delay(Duration::from_millis(1500));
    let state = es.state();
    let heal = tokio::spawn(async move {
        // Heal once two attempts have timed out.
        wait_until(30, "two slow bulk attempts", || state.bulk_requests() >= 2).await;
        state.set_delay(Duration::from_millis(200));
    });
    let outcome = submit_all(&sink, vec![batch("slow", 100)]).await;
    heal.await.expect("heal task");
    assert_eq!(outcome.stored, 100, "{outcome:?}");
    assert_stored_once(&es.state(), &ids("slow", 100));
}

#[tokio::test]
async fn mapping_errors_are_rejected_into_the_dead_letter_file() {
    let es = FakeEs::start().await.expect("fake es");
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(&es.url(), dir.path());
    let (sink, registry) = start(&cfg);
    let mut b = Batch::new();
    b.push(Op::Index, INDEX, "good-0", |d| {
        d.int("succ_count", 1);
    })
    .expect("valid");
    b.push(Op::Index, INDEX, "bad-0", |d| {
        d.str("succ_count", "not a number");
    })
    .expect("valid");
    b.push(Op::Index, INDEX, "good-1", |d| {
        d.int("succ_count", 2);
    })
    .expect("valid");
    let outcome = submit_all(&sink, vec![b]).await;
    assert_eq!((outcome.stored, outcome.rejected), (2, 1), "{outcome:?}");
    let dead = std::fs::read_to_string(&cfg.dead_letter_path).expect("dead-letter file");
    let line: serde_json::Value = serde_json::from_str(dead.trim()).expect("one JSON line");
    assert_eq!(line["id"], "bad-0");
    assert_eq!(line["status"], 400);
    assert!(
        line["reason"]
            .as_str()
            .is_some_and(|r| r.contains("mapper_parsing_exception"))
    );
    assert_eq!(line["source"]["succ_count"], "not a number");
    assert_eq!(metric(&registry, "tars_sink_documents_rejected_total"), 1.0);
}

#[tokio::test]
async fn create_replays_of_stored_documents_count_as_stored() {
    let es = FakeEs::start().await.expect("fake es");
    let dir = tempfile::tempdir().expect("tempdir");
    let (sink, _registry) = start(&config(&es.url(), dir.path()));
    let mk = || {
        let mut b = Batch::new();
        b.push(Op::Create, "tars_notify_", "n-1", |d| {
            d.str("message", "alarm")
                .int("@timestamp", 1_700_000_000_000);
        })
        .expect("valid");
        b
    };
    assert_eq!(submit_all(&sink, vec![mk()]).await.stored, 1);
    assert_eq!(
        submit_all(&sink, vec![mk()]).await.stored,
        1,
        "409 on create is a replay"
    );
    assert_eq!(es.state().docs("tars_notify_").len(), 1);
}

#[tokio::test]
async fn requests_fail_over_to_the_next_node() {
    let es = FakeEs::start().await.expect("fake es");
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_url = format!("http://{}", dead.local_addr().expect("addr"));
    drop(dead);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(&es.url(), dir.path());
    cfg.nodes = vec![dead_url, es.url()];
    let (sink, _registry) = start(&cfg);
    let outcome = submit_all(&sink, vec![batch("f", 10)]).await;
    assert_eq!(outcome.stored, 10, "{outcome:?}");
    assert_stored_once(&es.state(), &ids("f", 10));
}

/// A full minute without Elasticsearch: documents keep arriving, go to the spool, and are all
/// replayed once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_60_second_outage_is_bridged_by_the_spool() {
    let es = FakeEs::start().await.expect("fake es");
    let addr = es.addr();
    let state = es.state();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(&es.url(), dir.path());
    cfg.retry_max_backoff_ms = 2000;
    let (sink, registry) = start(&cfg);
    es.stop().await;
    let started = std::time::Instant::now();
    let mut want = BTreeSet::new();
    let mut receipts = Vec::new();
    let mut k = 0;
    while started.elapsed() < Duration::from_secs(60) {
        let tag = format!("o{k}");
        want.extend(ids(&tag, 50));
        receipts.push(sink.submit(batch(&tag, 50)).await.expect("submit"));
        k += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut spooled = 0;
    for r in receipts {
        let o = within(30, "outage receipts settle", r)
            .await
            .expect("outcome");
        assert!(o.is_safe(), "{o:?}");
        spooled += o.spooled;
    }
    assert!(spooled > 0, "documents went to the spool during the outage");
    assert!(metric(&registry, "tars_sink_spool_bytes") > 0.0);
    let _es = FakeEs::start_on(addr, state.clone())
        .await
        .expect("restart fake es");
    wait_until(60, "the spool is replayed", || {
        state.docs(INDEX).len() == want.len()
    })
    .await;
    assert_stored_once(&state, &want);
    wait_until(10, "replayed segments are deleted", || {
        metric(&registry, "tars_sink_spool_bytes") == 0.0
    })
    .await;
    assert!(metric(&registry, "tars_sink_documents_replayed_total") >= f64::from(spooled));
}

/// The process stops in the middle of an outage; a new process on the same spool directory
/// writes everything once Elasticsearch is back.
#[tokio::test]
async fn a_restart_mid_outage_replays_the_spool() {
    let es = FakeEs::start().await.expect("fake es");
    let addr = es.addr();
    let state = es.state();
    es.stop().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(&format!("http://{addr}"), dir.path());
    {
        let (sink, _registry) = start(&cfg);
        let outcome = submit_all(
            &sink,
            (0..4).map(|k| batch(&format!("r{k}"), 100)).collect(),
        )
        .await;
        assert_eq!(outcome.spooled, 400, "{outcome:?}");
        sink.close(Duration::from_millis(100)).await;
    }
    let _es = FakeEs::start_on(addr, state.clone())
        .await
        .expect("restart fake es");
    let (sink, _registry) = start(&cfg);
    assert!(
        sink.recovered().bytes > 0,
        "the new process found the spool"
    );
    let want: BTreeSet<String> = (0..4).flat_map(|k| ids(&format!("r{k}"), 100)).collect();
    wait_until(30, "the spool is replayed after restart", || {
        state.docs(INDEX).len() == want.len()
    })
    .await;
    assert_stored_once(&state, &want);
}

#[tokio::test]
async fn shutdown_spools_what_elasticsearch_did_not_take() {
    let es = FakeEs::start().await.expect("fake es");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(&es.url(), dir.path());
    cfg.spool_after_secs = 3600;
    es.state().set_standing_fault(Some(Fault::Status(503)));
    let (sink, _registry) = start(&cfg);
    let receipt = sink.submit(batch("d", 20)).await.expect("submit");
    within(
        10,
        "close within its grace",
        sink.close(Duration::from_millis(300)),
    )
    .await;
    let outcome = within(5, "receipt after close", receipt)
        .await
        .expect("outcome");
    assert_eq!(outcome.spooled, 20, "{outcome:?}");
    assert!(matches!(
        sink.submit(batch("late", 1)).await,
        Err(sink::Error::Closed)
    ));
}

#[tokio::test]
async fn a_full_spool_drops_the_newest_and_counts_them() {
    let es = FakeEs::start().await.expect("fake es");
    let addr = es.addr();
    es.stop().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(&format!("http://{addr}"), dir.path());
    cfg.spool_after_secs = 0;
    cfg.spool.max_bytes = 16 << 10;
    cfg.spool.segment_bytes = 4096;
    cfg.spool.full_policy = FullPolicy::DropNewest;
    cfg.max_bulk_docs = 20;
    let (sink, registry) = start(&cfg);
    let outcome = submit_all(
        &sink,
        (0..20).map(|k| batch(&format!("x{k}"), 20)).collect(),
    )
    .await;
    assert!(outcome.spooled > 0 && outcome.dropped > 0, "{outcome:?}");
    assert_eq!(outcome.spooled + outcome.dropped, 400);
    assert_eq!(
        metric(&registry, "tars_sink_documents_dropped_total"),
        f64::from(outcome.dropped)
    );
}

/// With the backend stalled and no spool, memory stays within `max_queued_bytes`: intake
/// refuses (`try_submit`) or waits (`submit`) instead of growing.
#[tokio::test]
async fn memory_stays_bounded_while_the_backend_stalls() {
    let es = FakeEs::start().await.expect("fake es");
    es.state().set_standing_fault(Some(Fault::Status(503)));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(&es.url(), dir.path());
    cfg.spool.enabled = false;
    cfg.max_bulk_bytes = 16 << 10;
    cfg.max_queued_bytes = 256 << 10;
    let (sink, registry) = start(&cfg);
    let mut accepted = 0usize;
    let mut refused = false;
    for k in 0..1000 {
        match sink.try_submit(batch(&format!("m{k}"), 20)) {
            Ok(_) => accepted += 1,
            Err(sink::Error::QueueFull { max_bytes }) => {
                assert_eq!(max_bytes, 256 << 10);
                refused = true;
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        refused,
        "intake refused once the bound was reached ({accepted} accepted)"
    );
    let queued = metric(&registry, "tars_sink_queued_bytes");
    assert!(
        queued > 0.0 && queued <= f64::from(256u32 << 10),
        "{queued}"
    );
    let blocked =
        tokio::time::timeout(Duration::from_millis(200), sink.submit(batch("w", 20))).await;
    assert!(blocked.is_err(), "submit waits while the bound is taken");
    // Once the backend heals everything accepted is written.
    es.state().set_standing_fault(None);
    wait_until(30, "the queue drains", || {
        metric(&registry, "tars_sink_queued_bytes") == 0.0
    })
    .await;
    assert_eq!(es.state().docs(INDEX).len(), accepted * 20);
}

#[tokio::test]
async fn index_setup_creates_the_policy_and_template() {
    let es = FakeEs::start().await.expect("fake es");
    let dir = tempfile::tempdir().expect("tempdir");
    let (sink, _registry) = start(&config(&es.url(), dir.path()));
    sink.ensure_index(&suite::spec("tars_stat_"))
        .await
        .expect("setup");
    let policies = es.state().ilm_policies();
    assert_eq!(
        policies["tars_stat_"]["policy"]["phases"]["delete"]["min_age"],
        "1d"
    );
    let templates = es.state().index_templates();
    assert_eq!(templates["tars_stat_"]["index_patterns"][0], "tars_stat_*");
}

#[tokio::test]
async fn the_document_and_query_suite_passes_on_the_fake() {
    let es = FakeEs::start().await.expect("fake es");
    let dir = tempfile::tempdir().expect("tempdir");
    let (es_sink, _registry) = start(&config(&es.url(), dir.path()));
    let sink = Sink::Elasticsearch(es_sink);
    sink.ensure_index(&suite::spec("tars_stat_"))
        .await
        .expect("setup");
    let state = es.state();
    suite::documents_round_trip(&sink, INDEX, |index| {
        let state = state.clone();
        async move { state.docs(&index) }
    })
    .await;
    suite::queries_group_and_sum(&sink, INDEX).await;
}
