//! The notify service against the npm alarm client (`@tars/notify` 2.0.0) over loopback TCP:
//! `interop/node/notify-client.js` sends `report` and `notify` (both `reportNotifyInfo`) to
//! `tarsplane up` (in process, SQLite store); as in K8SFramework's own notify end-to-end test,
//! each message must be findable in the store within 2 s, with the right fields.

use std::time::{Duration, Instant};

use sink::Sink;
use tarsplane::up::{Options, start};
use tarsplane_interop::run_node_async;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_alarms_are_findable_in_the_store_within_two_seconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = Options::embedded("127.0.0.1".parse().expect("ip"), dir.path());
    options.ephemeral = true;
    options.notify.time_zone = "UTC".into();
    let plane = start(&options).await.expect("start");
    let notify_addr = plane
        .served
        .iter()
        .find(|s| s.object == "tars.tarsnotify.NotifyObj")
        .map(|s| s.addr)
        .expect("served");
    let Sink::Sqlite(db) = plane.sink().expect("a store").clone() else {
        panic!("the embedded store is SQLite");
    };
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(plane.run(shutdown.clone()));

    let marker = format!("alarm-{}", std::process::id());
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
    let sent = Instant::now();
    let mut docs = Vec::new();
    while sent.elapsed() < Duration::from_secs(2) {
        docs = db.fetch("tars_notify_").await.expect("fetch");
        if docs.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(docs.len(), 2, "both alarms findable within 2 s: {docs:?}");
    let mut docs: Vec<serde_json::Value> = docs.into_iter().map(|(_, d)| d).collect();
    docs.sort_by(|a, b| a["message"].as_str().cmp(&b["message"].as_str()));
    let field = |i: usize, f: &str| docs[i][f].as_str().unwrap_or_default().to_owned();
    assert_eq!(field(0, "message"), format!("{marker} error"));
    assert_eq!(field(0, "level"), "[error]");
    assert_eq!(field(0, "impThread"), "t2");
    assert_eq!(field(1, "message"), format!("{marker} report"));
    assert_eq!(field(1, "level"), "[normal]");
    for i in 0..2 {
        assert_eq!(
            (field(i, "app"), field(i, "server")),
            ("Node".into(), "Alarmer".into())
        );
        assert_eq!(field(i, "source"), "server");
        assert_eq!(
            field(i, "podName"),
            "127.0.0.1",
            "no pod name known: the reporter's IP"
        );
    }
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(15), running)
        .await
        .expect("up stops on shutdown")
        .expect("task");
}
