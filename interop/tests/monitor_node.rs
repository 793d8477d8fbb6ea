//! The stat and property services against the npm reporters (`@tars/monitor` 2.1.4) over
//! loopback TCP: `interop/node/monitor-client.js` reports call statistics and a property with
//! every policy to `tarsplane up` (in process, SQLite store); the aggregates are read back with
//! `MonitorQuery.query` through `tars.tarsquerystat.QueryObj` and
//! `tars.tarsqueryproperty.QueryObj` and must match what was reported. Also the automatic
//! per-call statistics of `@tars/rpc` (`TARS_MONITOR=1`, `interop/node/rpc-stat-client.js`)
//! calling a Rust echo servant.

use std::sync::Arc;
use std::time::Duration;

use aggregate::MinuteClock;
use tars_rpc::{Server, ServerConfig};
use tarsplane::up::{Options, start};
use tarsplane_interop::{Echo, monitor_query, run_node_async};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_reporters_aggregate_and_read_back_through_monitor_query() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = Options::embedded("127.0.0.1".parse().expect("ip"), dir.path());
    options.ephemeral = true;
    options.stat.time_zone = "UTC".into();
    options.property.time_zone = "UTC".into();
    let plane = start(&options).await.expect("start");
    let addr = |object: &str| {
        plane
            .served
            .iter()
            .find(|s| s.object == object)
            .map(|s| s.addr)
            .expect("served")
    };
    let (stat_addr, property_addr) = (
        addr("tars.tarsstat.StatObj"),
        addr("tars.tarsproperty.PropertyObj"),
    );
    let (query_stat, query_property) = (
        addr("tars.tarsquerystat.QueryObj"),
        addr("tars.tarsqueryproperty.QueryObj"),
    );
    let stat = plane.stat().expect("stat runs").aggregator.clone();
    let property = plane.property().expect("property runs").aggregator.clone();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(plane.run(shutdown.clone()));

    let out = run_node_async(
        "monitor-client.js",
        &[
            "127.0.0.1",
            &stat_addr.port().to_string(),
            "127.0.0.1",
            &property_addr.port().to_string(),
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "monitor-client.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The reports are one-way: close the windows until both answers show them.
    let clock = MinuteClock::from_name("UTC").expect("utc");
    let (mut calls, mut props) = (Vec::new(), Vec::new());
    for _ in 0..50 {
        let minute = clock.now();
        stat.flush(&minute).await;
        property.flush(&minute).await;
        calls = monitor_query(
            query_stat,
            "tars.tarsquerystat.QueryObj",
            &minute.date,
            "Node.Reporter",
            &["succ_count", "timeout_count", "exce_count", "total_time"],
            &["slave_name", "interface_name"],
        )
        .await;
        props = monitor_query(
            query_property,
            "tars.tarsqueryproperty.QueryObj",
            &minute.date,
            "Node.Reporter",
            &["value"],
            &["property_name", "policy"],
        )
        .await;
        if !calls.is_empty() && props.len() == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        calls,
        [(
            "Test.HelloServer,sayHello".to_owned(),
            vec![5.0, 2.0, 1.0, 700.0]
        )],
        "5 successes (10+20+30+40+600 ms), 2 timeouts, 1 error"
    );
    let want: Vec<(String, Vec<f64>)> = [
        ("queue,Avg", 8.0),
        ("queue,Count", 3.0),
        ("queue,Distr", 0.0),
        ("queue,Max", 12.0),
        ("queue,Min", 4.0),
        ("queue,Sum", 24.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), vec![v]))
    .collect();
    assert_eq!(props, want, "values 4, 8, 12 under every policy");

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(15), running)
        .await
        .expect("up stops on shutdown")
        .expect("task");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_rpc_automatic_call_statistics_reach_the_stat_service() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = Options::embedded("127.0.0.1".parse().expect("ip"), dir.path());
    options.ephemeral = true;
    options.stat.time_zone = "UTC".into();
    let plane = start(&options).await.expect("start");
    let addr = |object: &str| {
        plane
            .served
            .iter()
            .find(|s| s.object == object)
            .map(|s| s.addr)
            .expect("served")
    };
    let (stat_addr, query_stat) = (
        addr("tars.tarsstat.StatObj"),
        addr("tars.tarsquerystat.QueryObj"),
    );
    let stat = plane.stat().expect("stat runs").aggregator.clone();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(plane.run(shutdown.clone()));
    let echo = Server::new(ServerConfig::default())
        .servant("Test.EchoServer.EchoObj", Arc::new(Echo))
        .bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind echo");
    let echo_port = echo.local_addr().port();
    tokio::spawn(echo.run(shutdown.child_token()));

    let conf_dir = dir.path().to_string_lossy().into_owned();
    let out = run_node_async(
        "rpc-stat-client.js",
        &[
            &stat_addr.port().to_string(),
            &echo_port.to_string(),
            &conf_dir,
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "rpc-stat-client.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let clock = MinuteClock::from_name("UTC").expect("utc");
    let mut calls = Vec::new();
    for _ in 0..50 {
        let minute = clock.now();
        stat.flush(&minute).await;
        calls = monitor_query(
            query_stat,
            "tars.tarsquerystat.QueryObj",
            &minute.date,
            "Node.Caller",
            &["succ_count", "timeout_count", "exce_count"],
            &["slave_name", "interface_name", "master_ip"],
        )
        .await;
        if !calls.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        calls,
        [(
            "Test.EchoServer,echo,127.0.0.1".to_owned(),
            vec![3.0, 0.0, 0.0]
        )],
        "three successful echo calls, counted by the caller and filled with its IP"
    );
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(15), running)
        .await
        .expect("up stops on shutdown")
        .expect("task");
}
