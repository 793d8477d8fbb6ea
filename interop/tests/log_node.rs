//! The log service against the npm remote-log transport (`@tars/winston-tars` 2.1.3) over
//! loopback TCP: `interop/node/winston-client.js` logs three lines through `tarsplane up` (in
//! process, log root in a temporary directory) and they land byte-exact in K8SFramework's file
//! for `loggerbyInfo` with daily rolling.

use std::time::{Duration, Instant};

use tarsplane::up::{Options, start};
use tarsplane_interop::run_node_async;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn winston_lines_land_in_the_expected_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = Options::embedded("127.0.0.1".parse().expect("ip"), dir.path());
    options.ephemeral = true;
    options.log.time_zone = "UTC".into();
    let root = options.log.log_path.clone();
    let plane = start(&options).await.expect("start");
    let log_addr = plane
        .served
        .iter()
        .find(|s| s.object == "tars.tarslog.LogObj")
        .map(|s| s.addr)
        .expect("served");
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(plane.run(shutdown.clone()));

    let marker = format!("line-{}", std::process::id());
    let out = run_node_async(
        "winston-client.js",
        &["127.0.0.1", &log_addr.port().to_string(), &marker],
    )
    .await;
    assert!(
        out.status.success(),
        "winston-client.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let today = aggregate::MinuteClock::from_name("UTC")
        .expect("utc")
        .now()
        .date;
    let file = root.join(format!("Node/Logger/Node.Logger_app_{today}.log"));
    let started = Instant::now();
    let mut text = String::new();
    while started.elapsed() < Duration::from_secs(5) {
        text = std::fs::read_to_string(&file).unwrap_or_default();
        if text.lines().count() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(15), running)
        .await
        .expect("up stops on shutdown")
        .expect("task");
}
