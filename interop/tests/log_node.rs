//! The log service against the npm remote-log transport (`@tars/winston-tars` 2.1.3) over
//! loopback TCP: `interop/node/winston-client.js` logs three lines through `tarsplane up` (in
//! process, log root in a temporary directory) and they land byte-exact in K8SFramework's file
//! for `loggerbyInfo` with daily rolling.

use std::time::Duration;

use tarsplane_interop::plane::{LOG, Up};
use tarsplane_interop::poll::{Patience, poll};
use tarsplane_interop::run_node_ok;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn winston_lines_land_in_the_expected_file() {
    let up = Up::start(|o| o.log.time_zone = "UTC".into()).await;

    let marker = format!("line-{}", std::process::id());
    run_node_ok("winston-client.js", &["127.0.0.1", &up.port(LOG), &marker]).await;
    let today = aggregate::MinuteClock::from_name("UTC")
        .expect("utc")
        .now()
        .date;
    let root = &up.options().log.log_path;
    let file = root.join(format!("Node/Logger/Node.Logger_app_{today}.log"));
    let mut text = String::new();
    let patience = Patience::within(Duration::from_secs(5));
    poll(patience, Duration::from_millis(50), async || {
        text = std::fs::read_to_string(&file).unwrap_or_default();
        text.lines().count() == 3
    })
    .await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{}: {text:?}", file.display());
    let node = lines[0].split('|').next().unwrap_or_default();
    assert!(
        !node.is_empty(),
        "each line starts with the caller's node name"
    );
    let want: Vec<String> = ["one", "two", "中文"]
        .iter()
        .map(|m| format!("{node}|{marker} {m}"))
        .collect();
    assert_eq!(lines, want);
    up.stop().await;
}
