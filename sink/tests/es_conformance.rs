//! Conformance with a real Elasticsearch: runs when `TARS_ES_URL` is set (e.g.
//! `http://127.0.0.1:9200`; `TARS_ES_USER`/`TARS_ES_PASSWORD` for basic auth) and is skipped
//! with a printed reason otherwise. The same document and query suite runs against the
//! in-process fake in `es_faults.rs`, so the fake and the real thing are held to one standard.
//! Each run uses fresh index names and deletes them afterwards.

#![allow(clippy::float_cmp)] // sums and metric values compared here are exact integers

mod suite;

use std::time::Duration;

use serde_json::{Value, json};
use sink::config::{EsConfig, Secret, SpoolConfig};
use sink::{Batch, EsSink, IndexSpec, Metrics, Op, Sink};

struct Cluster {
    url: String,
    http: reqwest::Client,
    user: Option<(String, String)>,
}

impl Cluster {
    fn from_env() -> Option<Self> {
        let Ok(url) = std::env::var("TARS_ES_URL") else {
            eprintln!("skipped: TARS_ES_URL is not set (no Elasticsearch to check against)");
            return None;
        };
        let user = std::env::var("TARS_ES_USER")
            .ok()
            .map(|u| (u, std::env::var("TARS_ES_PASSWORD").unwrap_or_default()));
        Some(Self {
            url: url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            user,
        })
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

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
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
        let bytes = response.bytes().await.expect("answer body");
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }

    async fn docs(&self, index: &str) -> Vec<(String, Value)> {
        self.call(reqwest::Method::POST, &format!("/{index}/_refresh"), None)
            .await;
        let answer = self
            .call(
                reqwest::Method::POST,
                &format!("/{index}/_search"),
                Some(json!({"size": 1000, "sort": ["_doc"]})),
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
}

#[tokio::test]
async fn templates_bulk_and_queries_match_a_real_cluster() {
    let Some(cluster) = Cluster::from_env() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let run = std::process::id();
    let prefix = format!("tarsplane_conf_{run}_");
    let index = format!("{prefix}20240328");
    let sink = Sink::Elasticsearch(
        EsSink::start(&cluster.config(dir.path()), Metrics::default()).expect("sink"),
    );
    sink.ensure_index(&suite::spec(&prefix))
        .await
        .expect("policy and template");
    let template = cluster
        .call(
            reqwest::Method::GET,
            &format!("/_index_template/{prefix}"),
            None,
        )
        .await;
    assert_eq!(
        template["index_templates"][0]["index_template"]["template"]["settings"]["index"]["lifecycle"]
            ["name"],
        prefix.as_str()
    );
    suite::documents_round_trip(&sink, &index, |index| {
        let cluster = &cluster;
        async move { cluster.docs(&index).await }
    })
    .await;
    suite::queries_group_and_sum(&sink, &index).await;

    // A data stream takes `create` documents with an epoch-millisecond @timestamp.
    let stream = format!("tarsplane_conf_notify_{run}");
    sink.ensure_index(&IndexSpec {
        name: stream.clone(),
        patterns: vec![stream.clone()],
        delete_after: "1d".into(),
        data_stream: true,
        mappings: None,
    })
    .await
    .expect("data stream template");
    let mut batch = Batch::new();
    batch
        .push(Op::Create, &stream, "alarm-1", |d| {
            d.int("@timestamp", 1_700_000_000_123)
                .str("message", "disk full");
        })
        .expect("valid");
    let outcome = tokio::time::timeout(Duration::from_secs(30), async {
        sink.submit(batch).await.expect("submit").await
    })
    .await
    .expect("settles")
    .expect("outcome");
    assert_eq!(outcome.stored, 1, "{outcome:?}");

    for path in [
        format!("/{index}"),
        format!("/_data_stream/{stream}"),
        format!("/_index_template/{prefix}"),
        format!("/_index_template/{stream}"),
        format!("/_ilm/policy/{prefix}"),
        format!("/_ilm/policy/{stream}"),
    ] {
        cluster.call(reqwest::Method::DELETE, &path, None).await;
    }
}
