//! The stat and property services against the npm reporters (`@tars/monitor` 2.1.4) over
//! loopback TCP: `interop/node/monitor-client.js` reports call statistics and a property with
//! every policy to `tarsplane up` (in process, SQLite store); the aggregates are read back with
//! `MonitorQuery.query` through `tars.tarsquerystat.QueryObj` and
//! `tars.tarsqueryproperty.QueryObj` and must match what was reported. Also the automatic
//! per-call statistics of `@tars/rpc` (`TARS_MONITOR=1`, `interop/node/rpc-stat-client.js`)
//! calling a Rust echo servant.

use tarsplane_interop::monitor::{
    COUNTS, NODE_REPORTER, Read, node_reporter_calls, queue_properties, run_node_reporter,
};
use tarsplane_interop::plane::{STAT, Up};
use tarsplane_interop::poll::Patience;
use tarsplane_interop::run_node_ok;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_reporters_aggregate_and_read_back_through_monitor_query() {
    let up = Up::start(|o| {
        o.stat.time_zone = "UTC".into();
        o.property.time_zone = "UTC".into();
    })
    .await;
    run_node_reporter(&up).await;

    // The reports are one-way: close the windows until both answers show them.
    let rows = up
        .monitor()
        .read_until(&NODE_REPORTER, Patience::Rounds(50), |r| {
            !r.calls.is_empty() && r.props.len() == 6
        })
        .await;
    assert_eq!(
        rows.calls,
        node_reporter_calls(),
        "5 successes (10+20+30+40+600 ms), 2 timeouts, 1 error"
    );
    assert_eq!(
        rows.props,
        queue_properties(),
        "values 4, 8, 12 under every policy"
    );
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_rpc_automatic_call_statistics_reach_the_stat_service() {
    let up = Up::start(|o| o.stat.time_zone = "UTC".into()).await;
    let echo = up.spawn_echo().await;

    let conf_dir = up.dir().to_string_lossy().into_owned();
    let (stat, echo) = (up.port(STAT), echo.port().to_string());
    run_node_ok("rpc-stat-client.js", &[&stat, &echo, &conf_dir]).await;

    let read = Read {
        master: "Node.Caller",
        indexs: COUNTS,
        groupby: &["slave_name", "interface_name", "master_ip"],
        properties: false,
    };
    let rows = up
        .monitor()
        .read_until(&read, Patience::Rounds(50), |r| !r.calls.is_empty())
        .await;
    assert_eq!(
        rows.calls,
        [(
            "Test.EchoServer,echo,127.0.0.1".to_owned(),
            vec![3.0, 0.0, 0.0]
        )],
        "three successful echo calls, counted by the caller and filled with its IP"
    );
    up.stop().await;
}
