//! The log service in process, writing real files in a temporary directory: paths and bytes
//! for each `LogInfo` variant, the node-name prefix, rolling at a boundary, many files and many
//! writers at once, unsafe names, and a full disk (`/dev/full`) that costs lines, not the
//! service.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use bytes::Bytes;
use jiff::Timestamp;
use tars_codec::{Protocol, Struct, TarsMap};
use tars_log::{Config, LogServant, Metrics};
use tars_rpc::interfaces::log::{LogInfo, LoggerArgs, LoggerByInfoArgs};
use tars_rpc::{Reply, Request};

const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 244, 3, 9));

fn request(func: &'static str, args: &impl Struct, node: Option<&'static str>) -> Request {
    let mut context = TarsMap::new();
    if let Some(node) = node {
        context.push(
            Bytes::from_static(b"node_name"),
            Bytes::from_static(node.as_bytes()),
        );
    }
    Request {
        protocol: Protocol::Tars,
        request_id: 1,
        servant_name: Bytes::from_static(b"tars.tarslog.LogObj"),
        func_name: Bytes::from_static(func.as_bytes()),
        args: tars_codec::to_bytes(args),
        timeout_ms: 3000,
        context,
        one_way: false,
        peer: SocketAddr::new(PEER, 40000),
        max_depth: 100,
    }
}

fn servant(root: &Path, tweak: impl FnOnce(&mut Config)) -> (LogServant, Metrics) {
    let mut config = Config {
        log_path: root.to_path_buf(),
        time_zone: "UTC".into(),
        ..Config::default()
    };
    tweak(&mut config);
    let metrics = Metrics::default();
    (
        tars_log::start(&config, None, metrics.clone()).expect("log"),
        metrics,
    )
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn info<'a>() -> LogInfo<'a> {
    LogInfo {
        appname: b"Test",
        servername: b"Hello",
        filename: b"",
        format: b"%Y%m%d",
        setdivision: b"",
        has_sufix: true,
        has_app_name_prefix: true,
        has_square_bracket: false,
        concat_str: b"_",
        separ: b"|",
        log_type: b"",
    }
}

fn read(path: impl AsRef<Path>) -> Vec<u8> {
    std::fs::read(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

const T: &str = "2024-03-28T09:59:30Z";

#[tokio::test]
async fn logger_writes_verbatim_lines_with_the_caller_prefix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = servant(dir.path(), |_| {});
    let gbk: &[u8] = b"\xd6\xd0\xce\xc4 gbk\n";
    let args = LoggerArgs {
        app: b"Test",
        server: b"Hello",
        file: b"",
        format: b"%Y%m%d",
        buffer: vec![b"first line\n", gbk, b"no newline"],
    };
    let reply = log
        .call_at(&request("logger", &args, Some("node-7")), at(T))
        .await;
    assert_eq!(reply, Reply::Ok(Bytes::new()));
    let args = LoggerArgs {
        file: b"access",
        ..args
    };
    log.call_at(&request("logger", &args, None), at(T)).await;
    log.flush().await;
    assert_eq!(
        read(dir.path().join("Test/Hello/Test.Hello_20240328.log")),
        b"node-7|first line\nnode-7|\xd6\xd0\xce\xc4 gbk\nnode-7|no newline".to_vec()
    );
    let access = read(dir.path().join("Test/Hello/Test.Hello_access_20240328.log"));
    assert!(
        access.starts_with(b"10.244.3.9|first line\n"),
        "peer IP without node_name"
    );
}

#[tokio::test]
async fn every_log_info_variant_lands_in_its_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = servant(dir.path(), |_| {});
    let cases: Vec<(LogInfo<'_>, &str, &[u8])> = vec![
        (
            info(),
            "Test/Hello/Test.Hello_20240328.log",
            b"10.244.3.9|x\n",
        ),
        (
            LogInfo {
                filename: b"biz",
                ..info()
            },
            "Test/Hello/Test.Hello_biz_20240328.log",
            b"10.244.3.9|x\n",
        ),
        (
            LogInfo {
                filename: b"biz",
                has_app_name_prefix: false,
                separ: b"#",
                ..info()
            },
            "Test/Hello/biz_20240328.log",
            b"10.244.3.9#x\n",
        ),
        (
            LogInfo {
                filename: b"n",
                has_sufix: false,
                concat_str: b"-",
                ..info()
            },
            "Test/Hello/Test.Hello-n-20240328",
            b"10.244.3.9|x\n",
        ),
        (
            LogInfo {
                setdivision: b"gz.sz.1",
                log_type: b"hour",
                ..info()
            },
            "Test/gzsz1/Hello/Test.Hello_2024032809.log",
            b"10.244.3.9|x\n",
        ),
        (
            LogInfo {
                filename: b"m",
                log_type: b"10minute",
                ..info()
            },
            "Test/Hello/Test.Hello_m_202403280950.log",
            b"10.244.3.9|x\n",
        ),
        (
            LogInfo {
                filename: b"_t_trace_",
                appname: b"App",
                servername: b"Srv",
                ..info()
            },
            "_tars_/_trace_/_tars_._trace___t_trace__20240328.log",
            b"10.244.3.9|App|Srv|x\n",
        ),
    ];
    for (info, _, _) in &cases {
        let args = LoggerByInfoArgs {
            info: info.clone(),
            buffer: vec![b"x\n"],
        };
        let reply = log
            .call_at(&request("loggerbyInfo", &args, None), at(T))
            .await;
        assert_eq!(reply, Reply::Ok(Bytes::new()));
    }
    log.flush().await;
    for (_, path, content) in cases {
        assert_eq!(read(dir.path().join(path)), content.to_vec(), "{path}");
    }
}

#[tokio::test]
async fn ipfix_off_writes_bare_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = servant(dir.path(), |c| c.ipfix = false);
    let args = LoggerByInfoArgs {
        info: info(),
        buffer: vec![b"a\n", b"b\n"],
    };
    log.call_at(&request("loggerbyInfo", &args, Some("n")), at(T))
        .await;
    let trace = LoggerByInfoArgs {
        info: LogInfo {
            filename: b"_t_trace_",
            ..info()
        },
        buffer: vec![b"t\n"],
    };
    log.call_at(&request("loggerbyInfo", &trace, Some("n")), at(T))
        .await;
    log.flush().await;
    assert_eq!(
        read(dir.path().join("Test/Hello/Test.Hello_20240328.log")),
        b"a\nb\n"
    );
    assert_eq!(
        read(
            dir.path()
                .join("_tars_/_trace_/_tars_._trace___t_trace__20240328.log")
        ),
        b"Test|Hello|t\n"
    );
}

#[tokio::test]
async fn files_roll_at_the_boundary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = servant(dir.path(), |_| {});
    let hourly = LoggerByInfoArgs {
        info: LogInfo {
            log_type: b"hour",
            ..info()
        },
        buffer: vec![b"x\n"],
    };
    for t in [
        "2024-03-28T09:59:59Z",
        "2024-03-28T10:00:00Z",
        "2024-03-28T10:30:00Z",
    ] {
        log.call_at(&request("loggerbyInfo", &hourly, None), at(t))
            .await;
    }
    let daily = LoggerArgs {
        app: b"Test",
        server: b"Hello",
        file: b"d",
        format: b"%Y%m%d",
        buffer: vec![b"y\n"],
    };
    for t in ["2024-03-28T23:59:59Z", "2024-03-29T00:00:00Z"] {
        log.call_at(&request("logger", &daily, None), at(t)).await;
    }
    log.flush().await;
    let base = dir.path().join("Test/Hello");
    assert_eq!(
        read(base.join("Test.Hello_2024032809.log")),
        b"10.244.3.9|x\n"
    );
    assert_eq!(
        read(base.join("Test.Hello_2024032810.log")),
        b"10.244.3.9|x\n10.244.3.9|x\n"
    );
    let plain = dir.path().join("Test/Hello");
    assert_eq!(
        read(plain.join("Test.Hello_d_20240328.log")),
        b"10.244.3.9|y\n"
    );
    assert_eq!(
        read(plain.join("Test.Hello_d_20240329.log")),
        b"10.244.3.9|y\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_files_and_many_writers_keep_every_line_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Fewer open files than files: the least recently written are closed and reopened.
    let (log, metrics) = servant(dir.path(), |c| {
        c.max_open_files = 16;
        c.writer_threads = 3;
    });
    let files = 100;
    let writers = 8;
    let rounds = 20;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            for r in 0..rounds {
                for f in 0..files {
                    let name = format!("f{f}");
                    let line = format!("w{w} r{r}\n");
                    let args = LoggerArgs {
                        app: b"Many",
                        server: b"Files",
                        file: name.as_bytes(),
                        format: b"%Y%m%d",
                        buffer: vec![line.as_bytes()],
                    };
                    log.call_at(&request("logger", &args, Some("n")), at(T))
                        .await;
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer task");
    }
    log.flush().await;
    for f in 0..files {
        let text = String::from_utf8(read(
            dir.path()
                .join(format!("Many/Files/Many.Files_f{f}_20240328.log")),
        ))
        .expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), writers * rounds, "file {f}");
        for w in 0..writers {
            let mine: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| l.starts_with(&format!("n|w{w} ")))
                .collect();
            let want: Vec<String> = (0..rounds).map(|r| format!("n|w{w} r{r}")).collect();
            assert_eq!(mine, want, "writer {w}'s lines in order in file {f}");
        }
    }
    assert_eq!(metrics.lines_written(), (files * writers * rounds) as u64);
}

#[tokio::test]
async fn names_that_leave_the_log_directory_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = servant(dir.path(), |_| {});
    let args = LoggerArgs {
        app: b"..",
        server: b"..",
        file: b"",
        format: b"%Y",
        buffer: vec![b"x\n"],
    };
    let reply = log.call_at(&request("logger", &args, None), at(T)).await;
    assert!(
        matches!(reply, Reply::Err { ret: -99, ref desc } if desc.contains("not a plain file name")),
        "{reply:?}"
    );
    let evil = LoggerByInfoArgs {
        info: LogInfo {
            filename: b"../../x",
            ..info()
        },
        buffer: vec![b"x\n"],
    };
    assert!(matches!(
        log.call_at(&request("loggerbyInfo", &evil, None), at(T))
            .await,
        Reply::Err { .. }
    ));
}

/// `/dev/full` fails every write with ENOSPC, like a full disk.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_full_disk_costs_lines_not_the_service() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, metrics) = servant(dir.path(), |_| {});
    let full = dir.path().join("Full/Disk");
    std::fs::create_dir_all(&full).expect("mkdir");
    std::os::unix::fs::symlink("/dev/full", full.join("Full.Disk_20240328.log")).expect("symlink");
    let big = vec![b'x'; 100_000];
    let args = LoggerArgs {
        app: b"Full",
        server: b"Disk",
        file: b"",
        format: b"%Y%m%d",
        buffer: vec![&big],
    };
    for _ in 0..3 {
        let reply = log.call_at(&request("logger", &args, None), at(T)).await;
        assert_eq!(
            reply,
            Reply::Ok(Bytes::new()),
            "the caller is answered; the loss is counted"
        );
    }
    log.flush().await;
    assert!(metrics.lines_lost() >= 1, "lost lines are counted");
    let ok = LoggerArgs {
        app: b"Still",
        server: b"Fine",
        file: b"",
        format: b"%Y%m%d",
        buffer: vec![b"ok\n"],
    };
    log.call_at(&request("logger", &ok, None), at(T)).await;
    log.flush().await;
    assert_eq!(
        read(dir.path().join("Still/Fine/Still.Fine_20240328.log")),
        b"10.244.3.9|ok\n"
    );
}

#[tokio::test]
async fn lines_can_also_be_shipped_to_the_sink() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = sink::SqliteSink::open(
        &sink::config::SqliteConfig {
            path: dir.path().join("ship.sqlite"),
            ..sink::config::SqliteConfig::default()
        },
        sink::Metrics::default(),
    )
    .expect("sqlite");
    let config = Config {
        log_path: dir.path().join("logs"),
        time_zone: "UTC".into(),
        ship_to_sink: true,
        ..Config::default()
    };
    let log = tars_log::start(
        &config,
        Some(sink::Sink::Sqlite(db.clone())),
        Metrics::default(),
    )
    .expect("log");
    let args = LoggerByInfoArgs {
        info: LogInfo {
            appname: b"My.App",
            ..info()
        },
        buffer: vec![b"one\n", b"two\n"],
    };
    log.call_at(&request("loggerbyInfo", &args, Some("node-1")), at(T))
        .await;
    log.flush().await;
    db.close().await;
    let docs = db.fetch("tars_log_my_app").await.expect("fetch");
    let mut lines: Vec<(String, String, String)> = docs
        .iter()
        .map(|(_, d)| {
            let s = |f: &str| d[f].as_str().unwrap_or_default().to_owned();
            (s("line"), s("node"), s("file"))
        })
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            (
                "one".into(),
                "node-1".into(),
                "My.App.Hello_20240328.log".into()
            ),
            (
                "two".into(),
                "node-1".into(),
                "My.App.Hello_20240328.log".into()
            )
        ]
    );
    assert_eq!(docs[0].1["@timestamp"], at(T).as_millisecond());
    assert!(
        read(
            dir.path()
                .join("logs/My.App/Hello/My.App.Hello_20240328.log")
        )
        .starts_with(b"node-1|one\n"),
        "the file is written as well"
    );
}
