//! The notify service against the npm alarm client (`@tars/notify` 2.0.0) over loopback TCP:
//! `interop/node/notify-client.js` sends `report` and `notify` (both `reportNotifyInfo`) to
//! `tarsplane up` (in process, SQLite store); as in K8SFramework's own notify end-to-end test,
//! each message must be findable in the store within 2 s, with the right fields.

use std::time::Duration;

use tarsplane_interop::plane::{NOTIFY, Up};
use tarsplane_interop::run_node_ok;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_alarms_are_findable_in_the_store_within_two_seconds() {
    let up = Up::start(|o| o.notify.time_zone = "UTC".into()).await;

    let marker = format!("alarm-{}", std::process::id());
    run_node_ok(
        "notify-client.js",
        &["127.0.0.1", &up.port(NOTIFY), &marker],
    )
    .await;
    let docs = up.alarms(2, Duration::from_secs(2)).await;
    assert_eq!(docs.len(), 2, "both alarms findable within 2 s: {docs:?}");
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
    up.stop().await;
}
