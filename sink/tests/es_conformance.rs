//! One suite of Elasticsearch behaviours, run by the same code against every server the sink
//! meets: the in-process fake as Elasticsearch 8 (ILM), as OpenSearch 2 with the ISM plugin and
//! as OpenSearch 2 without it, and the real node at `TARS_ES_URL` (`scripts/test` starts a real
//! OpenSearch 2.19 and sets it). A difference between the fake and the real server shows up
//! here as a failing test. Without `TARS_ES_URL` the real part is skipped with a printed reason,
//! unless `TARSPLANE_REQUIRE_REAL_BACKENDS=1` (set by `scripts/test`), which makes it a failure.
//!
//! Checked on each: flavour and version detection from `GET /`, the lifecycle mode (ILM, ISM,
//! or off with the reason) and the template that goes with it (OpenSearch refuses
//! `index.lifecycle.name`), ISM policy create / unchanged / update with `if_seq_no`, documents
//! round-tripping field for field, ids replacing instead of duplicating, per-item results (a
//! mapping conflict rejected into the dead-letter file while its neighbours are stored), 409 on
//! a `create` replay into a data stream counted as stored, composite aggregations paged past
//! one page, and the monitor queries' filters and sums. Each run uses fresh names and deletes
//! what it made.

#![allow(clippy::float_cmp)] // sums compared here are exact integers

mod suite;

use std::time::Duration;

use serde_json::{Value, json};
use sink::config::{EsConfig, FlavourSetting, LifecycleSetting, Secret, SpoolConfig};
use sink::{
    AggQuery, Batch, EsSink, Flavour, IndexSpec, KeyValue, Lifecycle, Metrics, Op, Outcome, Sink,
};
use tars_test::fake_es::{FakeEs, Flavour as FakeFlavour};

/// A server under test, reached over HTTP either way.
struct Cluster {
    name: String,
    url: String,
    http: reqwest::Client,
    user: Option<(String, String)>,
    _fake: Option<FakeEs>,
}

impl Cluster {
    /// The real node from `TARS_ES_URL` (`TARS_ES_USER`/`TARS_ES_PASSWORD` for basic auth).
    fn real() -> Option<Self> {
        let url = tars_test::real_es::url()?;
        let user = std::env::var("TARS_ES_USER")
            .ok()
            .map(|u| (u, std::env::var("TARS_ES_PASSWORD").unwrap_or_default()));
        Some(Self {
            name: format!("real node at {url}"),
            url,
            http: reqwest::Client::new(),
            user,
            _fake: None,
        })
    }

    async fn fake(flavour: FakeFlavour) -> Self {
        let fake = FakeEs::start().await.expect("fake es");
        fake.state().set_flavour(flavour);
        Self {
            name: format!("fake {flavour:?}"),
            url: fake.url(),
            http: reqwest::Client::new(),
            user: None,
            _fake: Some(fake),
        }
    }

    /// Every server: the three fakes, then the real one when there is one.
    async fn all() -> Vec<Self> {
        let mut all = vec![
            Self::fake(FakeFlavour::Elasticsearch).await,
            Self::fake(FakeFlavour::OpenSearch { ism: true }).await,
            Self::fake(FakeFlavour::OpenSearch { ism: false }).await,
        ];
        all.extend(Self::real());
        all
    }

    fn config(&self, dir: &std::path::Path) -> EsConfig {
        EsConfig {
            nodes: vec![self.url.clone()],
            username: self.user.as_ref().map(|(u, _)| u.clone()),
            password: self.user.as_ref().map(|(_, p)| Secret::new(p.clone())),
            flush_interval_ms: 10,
            spool: SpoolConfig {
                dir: dir.join("spool"),
                ..SpoolConfig::default()
            },
            dead_letter_path: dir.join("dead-letter.ndjson"),
            ..EsConfig::default()
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some((u, p)) = &self.user {
            request = request.basic_auth(u, Some(p));
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body).expect("json"));
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("answer body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn docs(&self, index: &str) -> Vec<(String, Value)> {
        self.call(reqwest::Method::POST, &format!("/{index}/_refresh"), None)
            .await;
        let (_, answer) = self
            .call(
                reqwest::Method::POST,
                &format!("/{index}/_search"),
                Some(json!({"size": 10000, "sort": ["_doc"]})),
            )
            .await;
        let mut docs: Vec<(String, Value)> = answer["hits"]["hits"]
            .as_array()
            .map(|hits| {
                hits.iter()
                    .map(|h| {
                        (
                            h["_id"].as_str().unwrap_or("").to_owned(),
                            h["_source"].clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        docs.sort_by(|a, b| a.0.cmp(&b.0));
        docs
    }

    async fn delete(&self, paths: &[String]) {
        for path in paths {
            self.call(reqwest::Method::DELETE, path, None).await;
        }
    }
}

fn names(tag: &str) -> (String, String) {
    let prefix = format!("tarsplane_conf_{tag}_{}_", std::process::id());
    let index = format!("{prefix}20240328");
    (prefix, index)
}

async fn settle(sink: &Sink, batch: Batch) -> Outcome {
    suite::within(60, "submit and settle", async {
        sink.submit(batch).await.expect("submit").await
    })
    .await
    .expect("outcome")
}

fn start(config: &EsConfig) -> (Sink, EsSink) {
    let es = EsSink::start(config, Metrics::default()).expect("sink");
    (Sink::Elasticsearch(es.clone()), es)
}

/// What the server says it is, read by the test itself.
async fn expected_backend(cluster: &Cluster) -> (Flavour, String, &'static str) {
    let (_, root) = cluster.get("/").await;
    let version = root["version"]["number"]
        .as_str()
        .expect("version.number")
        .to_owned();
    if root["version"]["distribution"] == "opensearch" {
        let (status, _) = cluster.get("/_plugins/_ism/policies").await;
        let lifecycle = if status == 200 { "ism" } else { "off" };
        (Flavour::OpenSearch, version, lifecycle)
    } else {
        let (status, _) = cluster.get("/_ilm/status").await;
        let lifecycle = if status == 200 { "ilm" } else { "off" };
        (Flavour::Elasticsearch, version, lifecycle)
    }
}

#[tokio::test]
async fn flavour_lifecycle_and_templates_match_each_server() {
    for cluster in Cluster::all().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let (prefix, _) = names("lc");
        let (sink, es) = start(&cluster.config(dir.path()));
        let spec = suite::spec(&prefix);
        sink.ensure_index(&spec).await.expect("policy and template");

        let backend = es.backend().expect("asked before the setup");
        let (flavour, version, lifecycle) = expected_backend(&cluster).await;
        eprintln!("{}: {backend}", cluster.name);
        assert_eq!(backend.flavour, flavour, "{}", cluster.name);
        assert_eq!(backend.version, version, "{}", cluster.name);
        assert_eq!(backend.lifecycle.as_str(), lifecycle, "{}", cluster.name);
        assert!(sink.describe().is_some_and(|d| d == backend.to_string()));
        if let Lifecycle::Off(why) = &backend.lifecycle {
            assert!(why.contains("(ISM) plugin is not installed"), "{why}");
        }

        let (status, template) = cluster.get(&format!("/_index_template/{prefix}")).await;
        assert_eq!(status, 200, "{}: {template}", cluster.name);
        let settings = &template["index_templates"][0]["index_template"]["template"]["settings"];
        let named = &settings["index"]["lifecycle"]["name"];
        if backend.lifecycle == Lifecycle::Ilm {
            assert_eq!(named, prefix.as_str(), "{}", cluster.name);
        } else {
            assert!(named.is_null(), "{}: {settings}", cluster.name);
        }

        let mut cleanup = vec![format!("/_index_template/{prefix}")];
        match backend.lifecycle {
            Lifecycle::Ilm => {
                let (_, policy) = cluster.get(&format!("/_ilm/policy/{prefix}")).await;
                assert_eq!(
                    policy[&prefix]["policy"]["phases"]["delete"]["min_age"],
                    "1d"
                );
                cleanup.push(format!("/_ilm/policy/{prefix}"));
            }
            Lifecycle::Ism => {
                let path = format!("/_plugins/_ism/policies/{prefix}");
                let (_, first) = cluster.get(&path).await;
                let age =
                    &first["policy"]["states"][0]["transitions"][0]["conditions"]["min_index_age"];
                assert_eq!(age, "1d", "{first}");
                // Unchanged: not written again.
                sink.ensure_index(&spec).await.expect("again");
                let (_, same) = cluster.get(&path).await;
                assert_eq!(same["_seq_no"], first["_seq_no"]);
                // Changed: updated in place with the stored version's numbers.
                let longer = IndexSpec {
                    delete_after: "2d".into(),
                    ..spec.clone()
                };
                sink.ensure_index(&longer).await.expect("update");
                let (_, updated) = cluster.get(&path).await;
                assert_ne!(updated["_seq_no"], first["_seq_no"]);
                assert_eq!(
                    updated["policy"]["states"][0]["transitions"][0]["conditions"]["min_index_age"],
                    "2d"
                );
                cleanup.push(path);
            }
            Lifecycle::Off(_) => {}
        }
        cluster.delete(&cleanup).await;
    }
}

#[tokio::test]
async fn a_forced_flavour_and_lifecycle_off_are_obeyed() {
    for cluster in Cluster::all().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let (prefix, index) = names("off");
        let config = EsConfig {
            lifecycle: LifecycleSetting::Off,
            flavour: FlavourSetting::Opensearch,
            ..cluster.config(dir.path())
        };
        let (sink, es) = start(&config);
        sink.register_index(suite::spec(&prefix))
            .await
            .expect("registered");
        let mut batch = Batch::new();
        batch
            .push(Op::Index, &index, "one", |d| {
                d.int("succ_count", 1);
            })
            .expect("valid");
        assert_eq!(settle(&sink, batch).await.stored, 1, "{}", cluster.name);
        let backend = es.backend().expect("asked");
        assert_eq!(backend.flavour, Flavour::OpenSearch);
        assert!(
            matches!(backend.lifecycle, Lifecycle::Off(ref why) if why.contains("lifecycle = \"off\""))
        );
        let (_, template) = cluster.get(&format!("/_index_template/{prefix}")).await;
        assert!(
            template["index_templates"][0]["index_template"]["template"]["settings"]["index"]
                ["lifecycle"]
                .is_null()
        );
        cluster
            .delete(&[format!("/{index}"), format!("/_index_template/{prefix}")])
            .await;
    }
}

/// Document searches on the real node only: the fake implements no `nested` query (the trace
/// service's searches are checked on SQLite and here).
#[tokio::test]
async fn finds_on_the_real_node() {
    let Some(cluster) = Cluster::real() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (prefix, index) = names("find");
    let (sink, _es) = start(&cluster.config(dir.path()));
    sink.ensure_index(&suite::find_spec(&prefix))
        .await
        .expect("setup");
    suite::finds(&sink, &index).await;
    cluster
        .delete(&[format!("/{index}"), format!("/_index_template/{prefix}")])
        .await;
}

#[tokio::test]
async fn documents_items_data_streams_and_queries_behave_alike() {
    for cluster in Cluster::all().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let (prefix, index) = names("docs");
        let config = cluster.config(dir.path());
        let (sink, _es) = start(&config);
        sink.ensure_index(&suite::spec(&prefix))
            .await
            .expect("setup");
        suite::documents_round_trip(&sink, &index, |index| {
            let cluster = &cluster;
            async move { cluster.docs(&index).await }
        })
        .await;
        suite::queries_group_and_sum(&sink, &index).await;

        // Per-item results: a mapping conflict is rejected, its neighbours stored.
        let mut batch = Batch::new();
        for (id, good) in [("good-0", true), ("bad-0", false), ("good-1", true)] {
            batch
                .push(Op::Index, &index, id, |d| {
                    if good {
                        d.int("succ_count", 1);
                    } else {
                        d.str("succ_count", "not a number");
                    }
                })
                .expect("valid");
        }
        let outcome = settle(&sink, batch).await;
        assert_eq!(
            (outcome.stored, outcome.rejected),
            (2, 1),
            "{}: {outcome:?}",
            cluster.name
        );
        let dead = std::fs::read_to_string(&config.dead_letter_path).expect("dead-letter file");
        let line: Value = serde_json::from_str(dead.trim()).expect("one JSON line");
        assert_eq!(line["id"], "bad-0");
        assert_eq!(line["status"], 400);
        assert!(
            line["reason"]
                .as_str()
                .is_some_and(|r| r.contains("mapper_parsing_exception")),
            "{}: {line}",
            cluster.name
        );

        // A data stream takes `create` with an epoch-millisecond @timestamp; a replay is a
        // 409 per item, counted as stored, and the stream keeps one document.
        let stream = format!("tarsplane_conf_notify_{}", std::process::id());
        sink.ensure_index(&IndexSpec {
            name: stream.clone(),
            patterns: vec![stream.clone()],
            delete_after: "1d".into(),
            data_stream: true,
            mappings: None,
        })
        .await
        .expect("data stream template");
        let alarm = || {
            let mut batch = Batch::new();
            batch
                .push(Op::Create, &stream, "alarm-1", |d| {
                    d.int("@timestamp", 1_700_000_000_123)
                        .str("message", "disk full");
                })
                .expect("valid");
            batch
        };
        assert_eq!(settle(&sink, alarm()).await.stored, 1, "{}", cluster.name);
        assert_eq!(
            settle(&sink, alarm()).await.stored,
            1,
            "{}: 409 on create is a replay",
            cluster.name
        );
        let docs = cluster.docs(&stream).await;
        assert_eq!(docs.len(), 1, "{}: {docs:?}", cluster.name);
        assert_eq!(docs[0].1["message"], "disk full");
        let (_, ds) = cluster.get(&format!("/_data_stream/{stream}")).await;
        assert_eq!(ds["data_streams"][0]["name"], stream.as_str(), "{ds}");

        cluster
            .delete(&[
                format!("/{index}"),
                format!("/_data_stream/{stream}"),
                format!("/_index_template/{prefix}"),
                format!("/_index_template/{stream}"),
                format!("/_ilm/policy/{prefix}"),
                format!("/_ilm/policy/{stream}"),
                format!("/_plugins/_ism/policies/{prefix}"),
                format!("/_plugins/_ism/policies/{stream}"),
            ])
            .await;
    }
}

#[tokio::test]
async fn composite_aggregations_page_past_one_page() {
    const GROUPS: usize = 2_345; // more than two pages of 1,000
    for cluster in Cluster::all().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let (prefix, index) = names("page");
        let (sink, _es) = start(&cluster.config(dir.path()));
        sink.ensure_index(&suite::spec(&prefix))
            .await
            .expect("setup");
        let mut batch = Batch::new();
        for i in 0..GROUPS {
            for copy in 0..2 {
                batch
                    .push(Op::Index, &index, &format!("d-{i}-{copy}"), |d| {
                        d.str("slave_name", format!("server-{i:05}"))
                            .int("succ_count", i as i64)
                            .int("total_time", 1);
                    })
                    .expect("valid");
            }
        }
        assert_eq!(settle(&sink, batch).await.stored as usize, GROUPS * 2);
        cluster
            .call(reqwest::Method::POST, &format!("/{index}/_refresh"), None)
            .await;
        let rows = sink
            .query(&AggQuery {
                index: index.clone(),
                filters: vec![],
                group_by: vec!["slave_name".into()],
                sums: vec!["succ_count".into(), "total_time".into()],
            })
            .await
            .expect("query");
        assert_eq!(rows.len(), GROUPS, "{}", cluster.name);
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.keys, vec![KeyValue::Text(format!("server-{i:05}"))]);
            assert_eq!(
                row.sums,
                vec![f64::from(2 * i as u32), 2.0],
                "{}",
                cluster.name
            );
        }
        cluster
            .delete(&[
                format!("/{index}"),
                format!("/_index_template/{prefix}"),
                format!("/_ilm/policy/{prefix}"),
                format!("/_plugins/_ism/policies/{prefix}"),
            ])
            .await;
    }
}

#[tokio::test]
async fn an_unreachable_server_delays_setup_without_losing_documents() {
    // Detection retries like a bulk: documents wait (and spool), they are not refused.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", dead.local_addr().expect("addr"));
    drop(dead);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = EsConfig {
        nodes: vec![url],
        flush_interval_ms: 10,
        spool_after_secs: 1,
        spool: SpoolConfig {
            dir: dir.path().join("spool"),
            ..SpoolConfig::default()
        },
        dead_letter_path: dir.path().join("dead.ndjson"),
        ..EsConfig::default()
    };
    let es = EsSink::start(&config, Metrics::default()).expect("sink");
    es.register_index(suite::spec("tarsplane_conf_dead_"))
        .await
        .expect("registered");
    let mut batch = Batch::new();
    batch
        .push(Op::Index, "tarsplane_conf_dead_20240328", "one", |d| {
            d.int("succ_count", 1);
        })
        .expect("valid");
    let outcome = suite::within(30, "spooled", async {
        es.submit(batch).await.expect("submit").await
    })
    .await
    .expect("outcome");
    assert_eq!(outcome.spooled, 1, "{outcome:?}");
    assert!(es.backend().is_none(), "nothing answered GET /");
    es.close(Duration::from_millis(100)).await;
}
