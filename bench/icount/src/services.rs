//! The services' hot paths, each called the way the server's connection calls it but without a
//! socket or a runtime in the measured operation: a registry lookup answer and a config load
//! (10 k-object snapshots), a stat and a property report merged into the minute window, a
//! batch of stat documents built as NDJSON, and a log request turned into its file and bytes.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tars_codec::{Encode, Protocol, TarsMap};
use tars_rpc::interfaces::config::{ByInfoArgs, ConfigInfo};
use tars_rpc::interfaces::property::{
    ReportPropMsgArgs, StatPropInfo, StatPropMsgBody, StatPropMsgHead,
};
use tars_rpc::interfaces::stat::ReportMicMsgArgs;
use tars_rpc::{Inline, Request, Servant};

use crate::fixtures::{config_fixture, registry_fixture};
use crate::{Case, Limit, Op};

/// Objects in the registry and config snapshots.
const SNAPSHOT_OBJECTS: usize = 10_000;
/// Where reports come from.
const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9));
/// 2024-03-28 09:59:00 UTC: the time log requests arrive at.
const AT_SECOND: i64 = 1_711_619_940;

fn ok<T, E: std::fmt::Display>(what: &str, result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("icount setup: {what}: {e}"),
    }
}

fn request(object: &'static str, func: &'static str, args: Bytes) -> Request {
    Request {
        protocol: Protocol::Tars,
        request_id: 1,
        servant_name: Bytes::from_static(object.as_bytes()),
        func_name: Bytes::from_static(func.as_bytes()),
        args,
        timeout_ms: 3000,
        context: TarsMap::new(),
        one_way: false,
        peer: SocketAddr::new(PEER, 40_000),
        max_depth: 100,
    }
}

/// `findObjectById` answered from a registry of 10 k TEndpoints into a reused body buffer.
fn registry_lookup() -> Op {
    use registry::model::{self, Kind};
    let objects = (0..SNAPSHOT_OBJECTS)
        .map(|i| {
            ok(
                "TEndpoint",
                model::parse(Kind::Endpoint, &registry_fixture::tendpoint(i)),
            )
        })
        .collect();
    let (registry, _feed, mut builder) = registry::Registry::new(
        registry::routes::Routes::default(),
        Duration::from_secs(60),
        registry::Metrics::default(),
    );
    builder.apply_changes([registry::Change::Listed(Kind::Endpoint, objects)]);
    assert_eq!(registry.snapshot().servers(), SNAPSHOT_OBJECTS);
    let servant = registry::QueryServant::new(registry);
    let mut args = BytesMut::new();
    registry_fixture::LOOKUP_ID.as_bytes().encode(1, &mut args);
    let request = request(
        "tars.tarsregistry.QueryObj",
        "findObjectById",
        args.freeze(),
    );
    let mut body = BytesMut::new();
    Box::new(move || {
        body.clear();
        let answered = servant.answer(black_box(&request.as_call()), &mut body);
        assert_eq!(answered, Inline::Written);
    })
}

/// `loadConfigByInfo` of a server-level plus pod-level file from 10 k TConfigs.
fn config_load() -> Op {
    use config_fixture::{FILE, HOST, SERVER};
    use tars_config::model::{Kind, Object, parse_tconfig};
    let metrics = tars_config::Metrics::new();
    let (mirror, _feed, mut builder) = tars_config::mirror(Duration::from_secs(60), &metrics);
    let objects = (0..SNAPSHOT_OBJECTS)
        .map(|i| {
            Object::Config(ok(
                "TConfig",
                parse_tconfig(&config_fixture::tconfig(i), 1 << 20),
            ))
        })
        .collect();
    builder.apply_changes([tars_config::Change::Listed(Kind::Config, objects)]);
    assert_eq!(mirror.load_full().configs(), SNAPSHOT_OBJECTS);
    let servant = tars_config::ConfigServant::new(mirror, metrics);
    let args = ByInfoArgs {
        info: ConfigInfo {
            appname: b"Bench",
            servername: SERVER.as_bytes(),
            filename: FILE.as_bytes(),
            app_only: false,
            host: HOST.as_bytes(),
            setdivision: b"",
        },
    };
    let request = request(
        "tars.tarsconfig.ConfigObj",
        "loadConfigByInfo",
        tars_codec::to_bytes(&args),
    );
    let mut body = BytesMut::new();
    Box::new(move || {
        body.clear();
        let answered = servant.answer_now(black_box(&request.as_call()), &mut body);
        assert_eq!(answered, Some(Inline::Written));
    })
}

/// A scratch directory for a service's files, removed by the caller once they are open.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tarsplane-icount-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    ok("scratch directory", std::fs::create_dir_all(&dir));
    dir
}

/// A SQLite sink in a scratch directory (the reports never reach it: nothing flushes).
fn sqlite(name: &str) -> sink::Sink {
    let dir = scratch(name);
    let db = ok(
        "SQLite sink",
        sink::SqliteSink::open(
            &sink::config::SqliteConfig {
                path: dir.join("icount.sqlite"),
                ..sink::config::SqliteConfig::default()
            },
            sink::Metrics::default(),
        ),
    );
    let _ = std::fs::remove_dir_all(&dir);
    sink::Sink::Sqlite(db)
}

/// The aggregator a minute service builds from its default configuration, but with a window
/// whose hashes do not change between processes (`Window::with_fixed_seed`), so the counts
/// repeat. The sink is never reached: nothing flushes.
fn aggregator<D: aggregate::MinuteDocuments, S: aggregate::Service>(
    config: &aggregate::Config<S>,
) -> std::sync::Arc<aggregate::Aggregator<D>> {
    let rt = ok(
        "runtime",
        tokio::runtime::Builder::new_current_thread().build(),
    );
    let _guard = rt.enter();
    let documents = D::new(aggregate::DailyIndex {
        index_prefix: config.index_prefix.clone(),
        source_id: "icount".into(),
        boot_id: [0; 8],
    });
    let clock = ok("time zone", aggregate::MinuteClock::from_name("UTC"));
    let window = aggregate::Window::with_fixed_seed(config.shards, config.max_keys);
    let sink = sqlite(S::NAME);
    std::sync::Arc::new(aggregate::Aggregator::new(
        window,
        documents,
        clock,
        sink,
        aggregate::Metrics::default(),
    ))
}

/// The 1000-entry stat fixture merged into a window that holds its keys already.
fn stat_add() -> Op {
    let servant = stat::StatServant::new(aggregator(&stat::Config::default()));
    let args: ReportMicMsgArgs<'static> = ok(
        "stat fixture",
        tars_codec::from_slice(crate::codec::STAT_REPORT),
    );
    Box::new(move || {
        black_box(servant.add(black_box(&args), PEER));
    })
}

/// 100 property heads of one module, each with the six policies, as current TarsCpp reports.
fn property_report() -> ReportPropMsgArgs<'static> {
    let names: &'static [String] = Vec::leak((0..100).map(|i| format!("property{i}")).collect());
    let statmsg = names
        .iter()
        .map(|name| {
            let head = StatPropMsgHead {
                module_name: b"Test.HelloServer",
                ip: b"",
                property_name: name.as_bytes(),
                set_name: b"",
                set_area: b"",
                set_id: b"",
                container: b"",
                property_ver: 2,
            };
            let info = [
                (&b"Sum"[..], &b"1234"[..]),
                (b"Avg", b"56.5"),
                (b"Max", b"99"),
                (b"Min", b"1"),
                (b"Count", b"17"),
                (b"Distr", b"0|3,10|5,100|9"),
            ]
            .into_iter()
            .map(|(policy, value)| StatPropInfo { policy, value })
            .collect();
            (head, StatPropMsgBody { info })
        })
        .collect();
    ReportPropMsgArgs { statmsg }
}

/// A 100-head property report merged into a window that holds its keys already.
fn property_add() -> Op {
    let servant = property::PropertyServant::new(aggregator(&property::Config::default()));
    let args = property_report();
    Box::new(move || {
        black_box(servant.add(black_box(&args), PEER));
    })
}

/// Stat documents in a batch: 100 documents as NDJSON with their ids.
fn sink_batch() -> Op {
    const DOCS: usize = 100;
    let mut batch = sink::Batch::with_capacity(DOCS * 600, DOCS);
    Box::new(move || {
        batch.clear();
        for i in 0..DOCS {
            let pushed = crate::fixtures::sink_fixture::push_stat(&mut batch, black_box(i));
            ok("stat document", pushed);
        }
        black_box(batch.byte_len());
    })
}

/// A `loggerbyInfo` request of 100 lines of 100 bytes: decoded, its file path computed and
/// its lines joined into the bytes a writer thread appends.
fn log_prepare() -> Op {
    // Nothing is written (the operation stops before the writer threads), so the root is never
    // created; a fixed name keeps the path's length, and so the counts, the same in every run.
    let servant = ok(
        "log",
        tars_log::start(
            &tars_log::Config {
                log_path: PathBuf::from("/tmp/tarsplane-icount/log"),
                writer_threads: 1,
                time_zone: "UTC".into(),
                ..tars_log::Config::default()
            },
            None,
            tars_log::Metrics::default(),
        ),
    );
    let line: &'static str = String::leak(format!("{}\n", "x".repeat(99)));
    let args = crate::fixtures::log_fixture::logger_by_info(line.as_bytes(), 100);
    let request = request(
        "tars.tarslog.LogObj",
        "loggerbyInfo",
        tars_codec::to_bytes(&args),
    );
    let at = ok("timestamp", jiff::Timestamp::from_second(AT_SECOND));
    Box::new(move || {
        let chunk = servant.prepare(black_box(&request), at);
        match chunk {
            Ok(Some(chunk)) => black_box(chunk.data().len()),
            other => panic!("log request refused: {other:?}"),
        };
    })
}

pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "registry_find_object_by_id_10k",
            what: "answer findObjectById (3 endpoints) from 10 k TEndpoints",
            ops: 5_000,
            limit: Limit::Hashing,
            prepare: registry_lookup,
        },
        Case {
            name: "config_load_config_by_info_10k",
            what: "answer loadConfigByInfo (server + pod file) from 10 k TConfigs",
            ops: 2_000,
            limit: Limit::Hashing,
            prepare: config_load,
        },
        Case {
            name: "stat_add_report_1000",
            what: "merge the decoded 1000-entry reportMicMsg into the window",
            ops: 10,
            limit: Limit::Hashing,
            prepare: stat_add,
        },
        Case {
            name: "property_add_report_100",
            what: "merge a 100-head, 6-policy reportPropMsg into the window",
            ops: 50,
            limit: Limit::Hashing,
            prepare: property_add,
        },
        Case {
            name: "sink_ndjson_stat_100",
            what: "build 100 stat documents (ids, NDJSON) into a cleared batch",
            ops: 50,
            limit: Limit::Cpu,
            prepare: sink_batch,
        },
        Case {
            name: "log_logger_by_info_100_lines",
            what: "decode loggerbyInfo, compute the file, join 100 lines into its bytes",
            ops: 200,
            limit: Limit::Cpu,
            prepare: log_prepare,
        },
    ]
}
