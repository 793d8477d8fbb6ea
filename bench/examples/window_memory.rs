//! Memory per distinct key of the stat and property windows (issue 6). Counts the bytes the
//! allocator holds before and after adding N distinct heads (realistic names and IPs, a
//! 5-bucket interval map for stat; three policies for property) and prints bytes per key.
//!
//! `cargo run --release -p tarsplane-bench --example window_memory -- [N]`

use std::net::{IpAddr, Ipv4Addr};

use sink::config::SqliteConfig;
use sink::{Sink, SqliteSink};
use tars_codec::TarsMap;
use tars_rpc::interfaces::property::{
    ReportPropMsgArgs, StatPropInfo, StatPropMsgBody, StatPropMsgHead,
};
use tars_rpc::interfaces::stat::{ReportMicMsgArgs, StatMicMsgBody, StatMicMsgHead};

#[global_allocator]
static GLOBAL: dhat::Alloc = dhat::Alloc;

fn live() -> isize {
    dhat::HeapStats::get().curr_bytes as isize
}

const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9));

fn sink(dir: &std::path::Path) -> Sink {
    Sink::Sqlite(
        SqliteSink::open(
            &SqliteConfig {
                path: dir.join("m.sqlite"),
                ..SqliteConfig::default()
            },
            sink::Metrics::default(),
        )
        .expect("sqlite"),
    )
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let _profiler = dhat::Profiler::builder().testing().build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let _guard = rt.enter();
    let dir = std::env::temp_dir().join(format!("window-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let names: Vec<String> = (0..n)
        .map(|i| format!("TestApp.Server{}.queryItems{i}", i % 97))
        .collect();

    let stat = stat::Stat::start(
        &stat::Config::default(),
        sink(&dir),
        aggregate::Metrics::default(),
    )
    .expect("stat");
    let report = ReportMicMsgArgs {
        msg: names
            .iter()
            .map(|name| {
                let head = StatMicMsgHead {
                    master_name: b"TestApp.WebGateway@3.0.22",
                    slave_name: b"TestApp.ItemServer.ItemObj",
                    interface_name: name.as_bytes(),
                    master_ip: b"",
                    slave_ip: b"10.244.17.203",
                    slave_port: 10_805,
                    return_value: 0,
                    slave_set_name: b"",
                    slave_set_area: b"",
                    slave_set_id: b"",
                    tars_version: b"",
                };
                let iv = [(5, 1), (10, 2), (50, 3), (100, 4), (200, 5)];
                let body = StatMicMsgBody {
                    count: 10,
                    timeout_count: 0,
                    exec_count: 0,
                    interval_count: iv.into_iter().collect::<TarsMap<_, _>>(),
                    total_rsp_time: 100,
                    max_rsp_time: 20,
                    min_rsp_time: 1,
                };
                (head, body)
            })
            .collect(),
        from_client: true,
    };
    let before = live();
    stat.servant().add(&report, PEER);
    let stat_bytes = live() - before;
    drop(report);

    let property = property::Property::start(
        &property::Config::default(),
        sink(&dir),
        aggregate::Metrics::default(),
    )
    .expect("property");
    let infos = [("Sum", "12"), ("Avg", "3.5"), ("Max", "99")];
    let report = ReportPropMsgArgs {
        statmsg: names
            .iter()
            .map(|name| {
                let head = StatPropMsgHead {
                    module_name: b"TestApp.ItemServer",
                    ip: b"",
                    property_name: name.as_bytes(),
                    set_name: b"",
                    set_area: b"",
                    set_id: b"",
                    container: b"",
                    property_ver: 2,
                };
                let info = infos
                    .iter()
                    .map(|(p, v)| StatPropInfo {
                        policy: p.as_bytes(),
                        value: v.as_bytes(),
                    })
                    .collect();
                (head, StatPropMsgBody { info })
            })
            .collect(),
    };
    let before = live();
    property.servant().add(&report, PEER);
    let property_bytes = live() - before;
    println!(
        "{n} distinct keys: stat window {} bytes/key, property window (3 policies) {} bytes/key",
        stat_bytes / n as isize,
        property_bytes / n as isize
    );
    let _ = std::fs::remove_dir_all(&dir);
}
