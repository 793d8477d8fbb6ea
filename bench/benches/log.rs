//! The log service (issue 7): `loggerbyInfo` requests of 1,000 lines of 100 bytes decoded,
//! prefixed and written to files (bar: >= 1 M lines/s or >= 200 MB/s on one core), and notify
//! alarms through the servant and writer into the sink (bar: >= 100 k alarms/s).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

/// The allocator the `tarsplane` binary ships with; benchmarks measure what production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tars_codec::{Protocol, Struct, TarsMap};
use tars_rpc::interfaces::notify::NotifyServerArgs;
use tars_rpc::{Request, Servant};

const LINES: usize = 1000;

fn request(object: &'static str, func: &'static str, args: &impl Struct) -> Request {
    Request {
        protocol: Protocol::Tars,
        request_id: 1,
        servant_name: Bytes::from_static(object.as_bytes()),
        func_name: Bytes::from_static(func.as_bytes()),
        args: tars_codec::to_bytes(args),
        timeout_ms: 3000,
        context: TarsMap::new(),
        one_way: false,
        peer: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)), 40000),
        max_depth: 100,
    }
}

fn log(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = std::env::temp_dir().join(format!("tarsplane-bench-log-{}", std::process::id()));
    let servant = tars_log::start(
        &tars_log::Config {
            log_path: dir.clone(),
            writer_threads: 1,
            ..tars_log::Config::default()
        },
        None,
        tars_log::Metrics::default(),
    )
    .expect("log");
    let line = format!("{}\n", "x".repeat(99));
    let args = tarsplane_bench::log_fixture::logger_by_info(line.as_bytes(), LINES);
    let req = request("tars.tarslog.LogObj", "loggerbyInfo", &args);
    let mut group = c.benchmark_group("log");
    group.throughput(Throughput::Elements(LINES as u64));
    group.bench_function("logger_by_info_1000_lines", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(servant.call(req.clone()).await);
                }
                servant.flush().await;
                start.elapsed()
            })
        });
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

fn notify(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let counter = rt
        .block_on(tars_test::bulk_counter::BulkCounter::start())
        .expect("bulk counter");
    let dir = std::env::temp_dir().join(format!("tarsplane-bench-notify-{}", std::process::id()));
    let (servant, sink) = {
        let _guard = rt.enter();
        let sink = sink::Sink::Elasticsearch(
            sink::EsSink::start(
                &sink::config::EsConfig {
                    nodes: vec![counter.url()],
                    spool: sink::config::SpoolConfig {
                        dir: dir.join("spool"),
                        ..sink::config::SpoolConfig::default()
                    },
                    dead_letter_path: dir.join("dead-letter.ndjson"),
                    ..sink::config::EsConfig::default()
                },
                sink::Metrics::default(),
            )
            .expect("sink"),
        );
        let config = notify::Config {
            // Alarms from many servers: the rate limit is per server.
            rate_limit: "1:4000000000".into(),
            ..notify::Config::default()
        };
        let (servant, writer) =
            notify::start(&config, sink.clone(), notify::Metrics::default()).expect("notify");
        rt.spawn(writer.run());
        (servant, sink)
    };
    let args = NotifyServerArgs {
        server_name: b"Bench.Server",
        level: 2,
        message: b"[error] connection to db-01 refused after 3 retries",
    };
    let req = request("tars.tarsnotify.NotifyObj", "notifyServer", &args);
    let mut group = c.benchmark_group("notify");
    group.throughput(Throughput::Elements(10_000));
    group.sample_size(10);
    group.bench_function("alarms_into_the_sink", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut want = counter.documents();
                let start = Instant::now();
                for _ in 0..iters {
                    // 10k alarms, then until the sink has them all: the queue (100k) never
                    // overflows, so every alarm is counted.
                    for _ in 0..10_000 {
                        black_box(servant.call(req.clone()).await);
                    }
                    want += 10_000;
                    while counter.documents() < want {
                        tokio::time::sleep(Duration::from_micros(200)).await;
                    }
                }
                start.elapsed()
            })
        });
    });
    group.finish();
    drop(sink);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, log, notify);
criterion_main!(benches);
