//! The stat service end to end in process: decoded reports → window → documents in the real
//! SQLite store → `MonitorQuery.query` answers, against hand-computed sums.

#![allow(clippy::float_cmp)] // sums and metric values compared here are exact integers

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use aggregate::{Minute, MinuteClock};
use bytes::Bytes;
use sink::config::SqliteConfig;
use sink::{Sink, SqliteSink};
use stat::{Config, Stat};
use tars_codec::{Protocol, TarsMap};
use tars_rpc::interfaces::monitor::{
    Condition, MonitorQueryArgs, MonitorQueryReq, MonitorQueryResult, MonitorQueryRsp, Op,
};
use tars_rpc::interfaces::stat::{ReportMicMsgArgs, StatMicMsgBody, StatMicMsgHead};
use tars_rpc::{Reply, Request, Servant};

const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 9, 8, 7));

struct Rig {
    stat: Stat,
    db: SqliteSink,
    _dir: tempfile::TempDir,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = SqliteSink::open(
        &SqliteConfig {
            path: dir.path().join("stat.sqlite"),
            ..SqliteConfig::default()
        },
        sink::Metrics::default(),
    )
    .expect("sqlite");
    let config = Config {
        time_zone: "UTC".into(),
        source_id: "10.0.0.1".into(),
        ..Config::default()
    };
    let stat = Stat::start(
        &config,
        Sink::Sqlite(db.clone()),
        aggregate::Metrics::default(),
    )
    .expect("stat");
    Rig {
        stat,
        db,
        _dir: dir,
    }
}

fn head<'a>(master: &'a str, slave: &'a str, func: &'a str, ret: i32) -> StatMicMsgHead<'a> {
    StatMicMsgHead {
        master_name: master.as_bytes(),
        slave_name: slave.as_bytes(),
        interface_name: func.as_bytes(),
        master_ip: b"",
        slave_ip: b"10.1.1.1",
        slave_port: 9000,
        return_value: ret,
        slave_set_name: b"",
        slave_set_area: b"",
        slave_set_id: b"",
        tars_version: b"",
    }
}

fn body(
    count: i32,
    timeout: i32,
    exec: i32,
    total: i64,
    max: i32,
    min: i32,
    iv: &[(i32, i32)],
) -> StatMicMsgBody {
    StatMicMsgBody {
        count,
        timeout_count: timeout,
        exec_count: exec,
        interval_count: iv.iter().copied().collect::<TarsMap<_, _>>(),
        total_rsp_time: total,
        max_rsp_time: max,
        min_rsp_time: min,
    }
}

fn report(
    entries: Vec<(StatMicMsgHead<'_>, StatMicMsgBody)>,
    from_client: bool,
) -> ReportMicMsgArgs<'_> {
    ReportMicMsgArgs {
        msg: entries.into_iter().collect(),
        from_client,
    }
}

fn minute(unix: i64) -> Minute {
    MinuteClock::from_name("UTC").expect("utc").minute(unix)
}

/// 2024-03-28 09:59:xx UTC → `f_tflag` 0960.
const T0: i64 = 1_711_619_940;

#[tokio::test]
async fn reports_aggregate_to_hand_computed_documents() {
    let rig = rig();
    let servant = rig.stat.servant();
    let a = || head("Test.Client@3.0.1", "Test.Server", "hello", 0);
    servant.add(
        &report(vec![(a(), body(3, 1, 0, 30, 20, 5, &[(100, 3)]))], true),
        PEER,
    );
    servant.add(
        &report(
            vec![(a(), body(2, 0, 2, 50, 40, 0, &[(100, 1), (200, 1)]))],
            true,
        ),
        PEER,
    );
    servant.add(
        &report(vec![(a(), body(1, 0, 0, 4, 4, 4, &[(5, 1)]))], true),
        PEER,
    );
    let docs = rig.stat.aggregator.flush(&minute(T0)).await;
    assert_eq!(docs, 1);
    rig.db.close().await;
    let stored = rig.db.fetch("tars_stat_20240328").await.expect("fetch");
    assert_eq!(stored.len(), 1);
    let doc = &stored[0].1;
    let fields: Vec<&str> = doc
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "source_id",
            "f_timestamp",
            "f_date",
            "f_tflag",
            "master_name",
            "slave_name",
            "interface_name",
            "tars_version",
            "master_ip",
            "slave_ip",
            "slave_port",
            "return_value",
            "succ_count",
            "timeout_count",
            "exce_count",
            "total_count",
            "total_time",
            "interv_count",
            "ave_time",
            "maxrsp_time",
            "minrsp_time"
        ],
        "K8SFramework's field set, in its order"
    );
    let want = serde_json::json!({
        "source_id": "10.0.0.1", "f_date": "20240328", "f_tflag": "0960",
        "master_name": "Test.Client", "slave_name": "Test.Server", "interface_name": "hello",
        "tars_version": "3.0.1", "master_ip": "10.9.8.7", "slave_ip": "10.1.1.1",
        "slave_port": 9000, "return_value": 0,
        "succ_count": 6, "timeout_count": 1, "exce_count": 2, "total_count": 9,
        "total_time": 84, "interv_count": "5|1,100|4,200|1", "ave_time": 14,
        "maxrsp_time": 40, "minrsp_time": 4
    });
    for (k, v) in want.as_object().expect("object") {
        assert_eq!(&doc[k], v, "{k}");
    }
    assert!(doc["f_timestamp"].as_i64().is_some_and(|t| t > T0));
}

#[tokio::test]
async fn the_framework_rules_filter_split_and_fill_ips() {
    let rig = rig();
    let servant = rig.stat.servant();
    let kept = servant.add(
        &report(
            vec![
                (
                    head("A.B", "tars.tarsstat", "f", 0),
                    body(1, 0, 0, 1, 1, 1, &[]),
                ),
                (
                    head("A.B", "tars.tarsnode", "f", 0),
                    body(1, 0, 0, 1, 1, 1, &[]),
                ),
                (head("A.B", "X.Y", "zero", 0), body(0, 0, 0, 0, 0, 0, &[])),
                (
                    head("tars.tarsnode@1.0", "X.Y", "f", 0),
                    body(1, 0, 0, 1, 1, 1, &[]),
                ),
                (head("elk@1.0", "X.Y", "f", 0), body(1, 0, 0, 1, 1, 1, &[])),
                (
                    head("A.B@2.0", "X.Y", "client", 0),
                    body(1, 0, 0, 1, 1, 1, &[]),
                ),
            ],
            true,
        ),
        PEER,
    );
    assert_eq!(kept, 1);
    servant.add(
        &report(
            vec![(head("A.B", "X.Y", "server", 0), body(0, 1, 0, 1, 1, 1, &[]))],
            false,
        ),
        PEER,
    );
    rig.stat.aggregator.flush(&minute(T0)).await;
    let mut docs = rig.db.fetch("tars_stat_20240328").await.expect("fetch");
    docs.sort_by(|a, b| {
        a.1["interface_name"]
            .as_str()
            .cmp(&b.1["interface_name"].as_str())
    });
    assert_eq!(docs.len(), 2);
    let (client, server) = (&docs[0].1, &docs[1].1);
    assert_eq!(client["master_name"], "A.B");
    assert_eq!(client["tars_version"], "2.0");
    assert_eq!(
        client["master_ip"], "10.9.8.7",
        "client-side reports fill masterIp"
    );
    assert_eq!(
        server["slave_ip"], "10.9.8.7",
        "server-side reports fill slaveIp"
    );
    assert_eq!(server["master_ip"], "");
    assert_eq!(server["ave_time"], 1, "no successful call");
}

#[tokio::test]
async fn a_window_boundary_splits_the_data() {
    let rig = rig();
    let servant = rig.stat.servant();
    let a = || head("A.B", "X.Y", "f", 0);
    servant.add(
        &report(vec![(a(), body(5, 0, 0, 50, 10, 10, &[]))], true),
        PEER,
    );
    rig.stat.aggregator.flush(&minute(T0)).await;
    servant.add(
        &report(vec![(a(), body(7, 0, 0, 70, 10, 10, &[]))], true),
        PEER,
    );
    rig.stat.aggregator.flush(&minute(T0 + 60)).await;
    let docs = rig.db.fetch("tars_stat_20240328").await.expect("fetch");
    let mut by_tflag: Vec<(String, i64)> = docs
        .iter()
        .map(|(_, d)| {
            (
                d["f_tflag"].as_str().unwrap_or("").to_owned(),
                d["succ_count"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    by_tflag.sort();
    assert_eq!(by_tflag, [("0960".to_owned(), 5), ("1001".to_owned(), 7)]);
}

#[tokio::test]
async fn two_closes_of_one_minute_add_up_instead_of_overwriting() {
    let rig = rig();
    let servant = rig.stat.servant();
    let a = || head("A.B", "X.Y", "f", 0);
    servant.add(
        &report(vec![(a(), body(5, 0, 0, 50, 10, 10, &[]))], true),
        PEER,
    );
    rig.stat.aggregator.flush(&minute(T0)).await;
    servant.add(
        &report(vec![(a(), body(7, 0, 0, 70, 10, 10, &[]))], true),
        PEER,
    );
    rig.stat.aggregator.flush(&minute(T0)).await;
    let docs = rig.db.fetch("tars_stat_20240328").await.expect("fetch");
    let total: i64 = docs
        .iter()
        .map(|(_, d)| d["succ_count"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!((docs.len(), total), (2, 12));
}

#[tokio::test]
async fn the_fixture_report_aggregates_every_entry() {
    let rig = rig();
    let servant = rig.stat.servant();
    let bytes = tars_test::fixtures::read("stat-report-1000.bin");
    let args: ReportMicMsgArgs<'_> = tars_codec::from_slice(&bytes).expect("fixture decodes");
    let kept = servant.add(&args, PEER);
    servant.add(&args, PEER);
    let docs = rig.stat.aggregator.flush(&minute(T0)).await;
    assert_eq!(docs, kept, "distinct heads, each merged twice");
    let expected: i64 = args
        .msg
        .entries()
        .iter()
        .filter(|(h, b)| stat::normalise(h, b, args.from_client, b"x").is_some())
        .map(|(_, b)| 2 * i64::from(b.count))
        .sum();
    let stored = rig.db.fetch("tars_stat_20240328").await.expect("fetch");
    let total: i64 = stored
        .iter()
        .map(|(_, d)| d["succ_count"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(total, expected);
}

fn query_request(req: MonitorQueryReq<'_>) -> Request {
    let args = MonitorQueryArgs {
        req,
        rsp: MonitorQueryRsp {
            ret: 0,
            msg: b"",
            last_time: b"",
            active_db: 0,
            total_db: 0,
            ret_threads: Vec::new(),
            result: TarsMap::new(),
        },
    };
    Request {
        protocol: Protocol::Tars,
        request_id: 1,
        servant_name: Bytes::from_static(b"tars.tarsquerystat.QueryObj"),
        func_name: Bytes::from_static(b"query"),
        args: tars_codec::to_bytes(&args),
        timeout_ms: 3000,
        context: TarsMap::new(),
        one_way: false,
        peer: SocketAddr::new(PEER, 40000),
        max_depth: 100,
    }
}

async fn ask(
    servant: &dyn Servant,
    req: MonitorQueryReq<'_>,
) -> (i32, String, Vec<(String, Vec<f64>)>) {
    let Reply::Ok(bytes) = servant.call(query_request(req)).await else {
        panic!("query failed at the framework level");
    };
    let result: MonitorQueryResult<'_> = tars_codec::from_slice(&bytes).expect("result decodes");
    let rows = result
        .rsp
        .result
        .entries()
        .iter()
        .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.clone()))
        .collect();
    (
        result.ret,
        String::from_utf8_lossy(result.rsp.msg).into_owned(),
        rows,
    )
}

fn req<'a>(
    tflags: (&'a str, &'a str),
    conditions: Vec<Condition<'a>>,
    indexs: &[&'a str],
    groupby: &[&'a str],
) -> MonitorQueryReq<'a> {
    MonitorQueryReq {
        uid: b"u",
        method: b"query",
        dataid: b"tars_stat",
        date: b"20240328",
        tflag1: tflags.0.as_bytes(),
        tflag2: tflags.1.as_bytes(),
        conditions,
        indexs: indexs.iter().map(|s| s.as_bytes()).collect(),
        groupby: groupby.iter().map(|s| s.as_bytes()).collect(),
    }
}

#[tokio::test]
async fn monitor_queries_group_and_sum_like_the_reference() {
    let rig = rig();
    let servant = rig.stat.servant();
    for (t, slave, count, time) in [
        (T0, "tars.tarsstatx", 3, 30),
        (T0, "Test.HelloServer", 7, 70),
        (T0 + 60, "Test.HelloServer", 4, 8),
        (T0 + 120, "Test.HelloServer", 50, 500),
    ] {
        servant.add(
            &report(
                vec![(
                    head("A.B", slave, "f", 0),
                    body(count, 0, 0, time, 1, 1, &[]),
                )],
                true,
            ),
            PEER,
        );
        rig.stat.aggregator.flush(&minute(t)).await;
    }
    let query = rig.stat.query_servant();
    let (ret, msg, rows) = ask(
        &query,
        req(
            ("0960", "1001"),
            vec![],
            &["succ_count", "total_time"],
            &["f_tflag"],
        ),
    )
    .await;
    assert_eq!((ret, msg.as_str()), (0, ""));
    assert_eq!(
        rows,
        [
            ("0960".into(), vec![10.0, 100.0]),
            ("1001".into(), vec![4.0, 8.0])
        ]
    );

    let like = Condition {
        field: b"slave_name",
        op: Op::Like,
        val: b"Test.%",
    };
    let (_, _, rows) = ask(
        &query,
        req(
            ("", ""),
            vec![like],
            &["succ_count"],
            &["slave_name", "slave_port"],
        ),
    )
    .await;
    assert_eq!(
        rows,
        [("Test.HelloServer,9000".into(), vec![61.0])],
        "the day's sum, not one minute's"
    );

    let (_, _, rows) = ask(&query, req(("", ""), vec![], &["succ_count"], &[])).await;
    assert_eq!(rows, [(String::new(), vec![64.0])]);

    let bad = Condition {
        field: b"1=1; drop",
        op: Op::Eq,
        val: b"x",
    };
    let (ret, msg, rows) = ask(&query, req(("", ""), vec![bad], &["succ_count"], &[])).await;
    assert_eq!(ret, -1);
    assert!(msg.contains("unknown field") && rows.is_empty(), "{msg}");

    let (ret, msg, _) = ask(
        &query,
        MonitorQueryReq {
            date: b"2024-03-28",
            ..req(("", ""), vec![], &["succ_count"], &[])
        },
    )
    .await;
    assert_eq!(ret, -1);
    assert!(msg.contains("YYYYMMDD"), "{msg}");
}
