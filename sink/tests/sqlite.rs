//! The SQLite store (real, bundled SQLite) against the shared document and query suite.

#![allow(clippy::float_cmp)] // sums and metric values compared here are exact integers

mod suite;

use sink::config::SqliteConfig;
use sink::{Metrics, Op, Sink, SqliteSink};

fn open(dir: &std::path::Path) -> SqliteSink {
    let config = SqliteConfig {
        path: dir.join("store.sqlite"),
        ..SqliteConfig::default()
    };
    SqliteSink::open(&config, Metrics::default()).expect("open sqlite")
}

#[tokio::test]
async fn documents_round_trip_and_queries_group_and_sum() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    let sink = Sink::Sqlite(db.clone());
    let index = "tars_stat_20240328";
    suite::documents_round_trip(&sink, index, |index| {
        let db = db.clone();
        async move { db.fetch(&index).await.expect("fetch") }
    })
    .await;
    suite::queries_group_and_sum(&sink, index).await;
}

#[tokio::test]
async fn finds_match_sort_and_project() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sink = Sink::Sqlite(open(dir.path()));
    suite::finds(&sink, "tars_call_trace_20240328").await;
}

#[tokio::test]
async fn create_keeps_the_first_document_and_index_replaces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    for (op, value) in [
        (Op::Create, 1),
        (Op::Create, 2),
        (Op::Index, 3),
        (Op::Create, 4),
    ] {
        let mut batch = sink::Batch::new();
        let index = if op == Op::Create { "notify" } else { "stat" };
        batch
            .push(op, index, "same-id", |d| {
                d.int("v", value);
            })
            .expect("valid");
        db.submit(batch)
            .await
            .expect("submit")
            .await
            .expect("stored");
    }
    let notify = db.fetch("notify").await.expect("fetch");
    assert_eq!(notify.len(), 1);
    assert_eq!(notify[0].1["v"], 1, "create never overwrites");
    assert_eq!(db.fetch("stat").await.expect("fetch")[0].1["v"], 3);
}

#[tokio::test]
async fn documents_survive_reopening_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = open(dir.path());
        db.submit(suite::rows_batch("keep", suite::ROWS))
            .await
            .expect("submit")
            .await
            .expect("stored");
        db.close().await;
    }
    let db = open(dir.path());
    assert_eq!(
        db.fetch("keep").await.expect("fetch").len(),
        suite::ROWS.len()
    );
}

#[tokio::test]
async fn an_unwritable_path_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let config = SqliteConfig {
        path: file.join("store.sqlite"),
        ..SqliteConfig::default()
    };
    let err = SqliteSink::open(&config, Metrics::default()).expect_err("a file is not a directory");
    assert!(err.to_string().contains("create data directory"), "{err}");
}
