//! The notify service in process: each method's record, levels, the rate limit, and documents
//! in the real SQLite store.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use notify::{Config, Metrics};
use sink::config::SqliteConfig;
use sink::{Sink, SqliteSink};
use tars_codec::{Protocol, Struct, TarsMap};
use tars_rpc::interfaces::notify::{
    GetNotifyInfoArgs, GetNotifyInfoResult, NotifyInfo, NotifyKey, NotifyServerArgs, ReportInfo,
    ReportNotifyInfoArgs, ReportServerArgs,
};
use tars_rpc::{Reply, Request, Servant};

const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 244, 1, 7));

fn request(func: &'static str, args: &impl Struct) -> Request {
    Request {
        protocol: Protocol::Tars,
        request_id: 1,
        servant_name: Bytes::from_static(b"tars.tarsnotify.NotifyObj"),
        func_name: Bytes::from_static(func.as_bytes()),
        args: tars_codec::to_bytes(args),
        timeout_ms: 3000,
        context: TarsMap::new(),
        one_way: false,
        peer: SocketAddr::new(PEER, 40000),
        max_depth: 100,
    }
}

struct Rig {
    servant: notify::NotifyServant,
    db: SqliteSink,
    writer: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

fn rig(config: &Config) -> Rig {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = SqliteSink::open(
        &SqliteConfig {
            path: dir.path().join("n.sqlite"),
            ..SqliteConfig::default()
        },
        sink::Metrics::default(),
    )
    .expect("sqlite");
    let (servant, writer) =
        notify::start(config, Sink::Sqlite(db.clone()), Metrics::default()).expect("notify");
    Rig {
        servant,
        db,
        writer: tokio::spawn(writer.run()),
        _dir: dir,
    }
}

fn config() -> Config {
    let mut c = Config {
        time_zone: "UTC".into(),
        ..Config::default()
    };
    c.pod_names
        .insert("10.244.1.7".into(), "hello-0.hello".into());
    c
}

async fn call(servant: &notify::NotifyServant, req: Request) -> Reply {
    servant.call(req).await
}

/// Drops the servant (closing the queue), waits for the writer, and returns the stored
/// documents ordered by message.
async fn stored(rig: Rig) -> Vec<serde_json::Value> {
    drop(rig.servant);
    tokio::time::timeout(Duration::from_secs(5), rig.writer)
        .await
        .expect("writer ends when the servants are gone")
        .expect("writer task");
    rig.db.close().await;
    let mut docs: Vec<serde_json::Value> = rig
        .db
        .fetch("tars_notify_")
        .await
        .expect("fetch")
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    docs.sort_by(|a, b| a["message"].as_str().cmp(&b["message"].as_str()));
    docs
}

/// One call of each recording method, messages a, b, c and d.
async fn report_every_method(s: &notify::NotifyServant) {
    let ok = Reply::Ok(Bytes::new());
    let r = call(
        s,
        request(
            "reportServer",
            &ReportServerArgs {
                server_name: b"Test.HelloServer",
                thread_id: b"77",
                message: b"a: [warn] slow and [fail] once",
            },
        ),
    )
    .await;
    assert_eq!(r, ok);
    let r = call(
        s,
        request(
            "notifyServer",
            &NotifyServerArgs {
                server_name: b"Test.HelloServer",
                level: 2,
                message: b"b: restarted",
            },
        ),
    )
    .await;
    assert_eq!(r, ok);
    let info = |node: &'static [u8], level, msg: &'static [u8]| ReportNotifyInfoArgs {
        info: ReportInfo {
            e_type: 1,
            app: b"Test",
            set: b"",
            container: b"",
            server: b"Other",
            message: msg,
            thread_id: b"9",
            level,
            node_name: node,
        },
    };
    call(
        s,
        request("reportNotifyInfo", &info(b"", 1, b"c: from the peer")),
    )
    .await;
    call(
        s,
        request(
            "reportNotifyInfo",
            &info(b"node-x", 42, b"d: from a node, unknown level"),
        ),
    )
    .await;
}

#[tokio::test]
async fn get_notify_info_answers_an_empty_page() {
    let rig = rig(&config());
    let s = &rig.servant;
    let Reply::Ok(page) = call(
        s,
        request(
            "getNotifyInfo",
            &GetNotifyInfoArgs {
                key: NotifyKey {
                    name: b"x",
                    ip: b"y",
                    page: 0,
                },
                info: NotifyInfo {
                    nextpage: 0,
                    notify_items: Vec::new(),
                },
            },
        ),
    )
    .await
    else {
        panic!("getNotifyInfo answers");
    };
    let page: GetNotifyInfoResult<'_> = tars_codec::from_slice(&page).expect("decodes");
    assert_eq!((page.ret, page.info.notify_items.len()), (0, 0));
    assert!(stored(rig).await.is_empty());
}

#[tokio::test]
async fn every_method_becomes_the_reference_record() {
    let rig = rig(&config());
    report_every_method(&rig.servant).await;
    let docs = stored(rig).await;
    assert_eq!(docs.len(), 4);
    let pick = |i: usize, f: &str| docs[i][f].clone();
    assert_eq!(
        [
            pick(0, "app"),
            pick(0, "server"),
            pick(0, "podName"),
            pick(0, "impThread"),
            pick(0, "level"),
            pick(0, "source")
        ],
        [
            "Test",
            "HelloServer",
            "hello-0.hello",
            "77",
            "[warn]",
            "program"
        ]
    );
    assert_eq!([pick(1, "level"), pick(1, "impThread")], ["[error]", ""]);
    assert_eq!(
        [
            pick(2, "app"),
            pick(2, "server"),
            pick(2, "podName"),
            pick(2, "level"),
            pick(2, "source")
        ],
        ["Test", "Other", "hello-0.hello", "[warn]", "server"]
    );
    assert_eq!(
        [pick(3, "podName"), pick(3, "level")],
        ["node-x", "[normal]"]
    );
    let ts = docs[0]["@timestamp"].as_i64().expect("a number");
    assert!(
        ts > 1_700_000_000_000,
        "epoch milliseconds, not seconds: {ts}"
    );
    let time = docs[0]["notifyTime"].as_str().expect("text");
    assert!(
        time.len() == 24 && time.ends_with("+0000"),
        "%FT%T%z: {time}"
    );
}

#[tokio::test]
async fn the_rate_limit_drops_and_counts_per_server() {
    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = Metrics::register(&mut registry);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = SqliteSink::open(
        &SqliteConfig {
            path: dir.path().join("n.sqlite"),
            ..SqliteConfig::default()
        },
        sink::Metrics::default(),
    )
    .expect("sqlite");
    let config = Config {
        rate_limit: "300:3".into(),
        ..config()
    };
    let (servant, writer) =
        notify::start(&config, Sink::Sqlite(db.clone()), metrics).expect("notify");
    let writer = tokio::spawn(writer.run());
    for i in 0..5 {
        let msg = format!("m{i}");
        call(
            &servant,
            request(
                "notifyServer",
                &NotifyServerArgs {
                    server_name: b"A.Noisy",
                    level: 0,
                    message: msg.as_bytes(),
                },
            ),
        )
        .await;
    }
    call(
        &servant,
        request(
            "notifyServer",
            &NotifyServerArgs {
                server_name: b"A.Quiet",
                level: 0,
                message: b"q",
            },
        ),
    )
    .await;
    let rig = Rig {
        servant,
        db,
        writer,
        _dir: dir,
    };
    let docs = stored(rig).await;
    let servers: Vec<&str> = docs.iter().filter_map(|d| d["server"].as_str()).collect();
    assert_eq!(servers, ["Noisy", "Noisy", "Noisy", "Quiet"]);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");
    assert!(
        text.contains("tars_notify_dropped_total{reason=\"rate_limit\"} 2"),
        "{text}"
    );
}

#[tokio::test]
async fn garbage_is_a_decode_error_and_unknown_methods_are_refused() {
    let rig = rig(&config());
    let mut req = request(
        "notifyServer",
        &NotifyServerArgs {
            server_name: b"A.B",
            level: 0,
            message: b"x",
        },
    );
    req.args = Bytes::from_static(&[0xff, 0x01]);
    assert!(matches!(
        call(&rig.servant, req).await,
        Reply::Err { ret: -1, .. }
    ));
    let req = request(
        "deleteEverything",
        &NotifyServerArgs {
            server_name: b"A.B",
            level: 0,
            message: b"x",
        },
    );
    assert!(matches!(
        call(&rig.servant, req).await,
        Reply::Err { ret: -3, .. }
    ));
    assert!(stored(rig).await.is_empty());
}
