//! Stat aggregation (issue 6): merging decoded `stat-report-1000` reports into the window on
//! one core (bar: >= 5 M entries/s), and closing a window of 100 k distinct heads into sink
//! documents (bar: < 200 ms). Memory per distinct key: `bench/examples/window_memory.rs`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

/// The allocator the `tarsplane` binary ships with; benchmarks measure what production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use aggregate::MinuteClock;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sink::config::SqliteConfig;
use sink::{Sink, SqliteSink};
use stat::{Config, Stat};
use tars_codec::TarsMap;
use tars_rpc::interfaces::stat::{ReportMicMsgArgs, StatMicMsgBody, StatMicMsgHead};
use tars_test::fixtures;

const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9));

fn service(rt: &tokio::runtime::Runtime, dir: &std::path::Path) -> Stat {
    let _guard = rt.enter();
    let db = SqliteSink::open(
        &SqliteConfig {
            path: dir.join("bench.sqlite"),
            ..SqliteConfig::default()
        },
        sink::Metrics::default(),
    )
    .expect("sqlite");
    let config = Config {
        time_zone: "UTC".into(),
        source_id: "bench".into(),
        ..Config::default()
    };
    Stat::start(&config, Sink::Sqlite(db), aggregate::Metrics::default()).expect("stat")
}

fn heads(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("method{i}")).collect()
}

fn aggregate(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = std::env::temp_dir().join(format!("tarsplane-bench-agg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench directory");
    let stat = service(&rt, &dir);
    let servant = stat.servant();

    let bytes = fixtures::read("stat-report-1000.bin");
    let args: ReportMicMsgArgs<'_> = tars_codec::from_slice(&bytes).expect("fixture");
    let mut group = c.benchmark_group("stat/aggregate");
    group.throughput(Throughput::Elements(args.msg.len() as u64));
    group.bench_function("stat_report_1000", |b| {
        b.iter(|| black_box(servant.add(black_box(&args), PEER)));
    });
    group.bench_function("decode_and_aggregate", |b| {
        b.iter(|| {
            let args: ReportMicMsgArgs<'_> =
                tars_codec::from_slice(black_box(&bytes)).expect("fixture");
            black_box(servant.add(&args, PEER))
        });
    });
    group.finish();
    stat.aggregator.window().take();

    let names = heads(100_000);
    let report = ReportMicMsgArgs {
        msg: names
            .iter()
            .map(|name| {
                let head = StatMicMsgHead {
                    master_name: b"Test.HelloClient@3.0.1",
                    slave_name: b"Test.HelloServer",
                    interface_name: name.as_bytes(),
                    master_ip: b"",
                    slave_ip: b"10.1.2.3",
                    slave_port: 10_000,
                    return_value: 0,
                    slave_set_name: b"",
                    slave_set_area: b"",
                    slave_set_id: b"",
                    tars_version: b"",
                };
                let body = StatMicMsgBody {
                    count: 100,
                    timeout_count: 1,
                    exec_count: 2,
                    interval_count: [(100, 90), (200, 10)]
                        .into_iter()
                        .collect::<TarsMap<_, _>>(),
                    total_rsp_time: 5000,
                    max_rsp_time: 300,
                    min_rsp_time: 2,
                };
                (head, body)
            })
            .collect(),
        from_client: true,
    };
    let minute = MinuteClock::from_name("UTC")
        .expect("utc")
        .minute(1_711_619_940);
    let mut group = c.benchmark_group("stat/flush");
    group.throughput(Throughput::Elements(100_000));
    group.sample_size(10);
    group.bench_function("100k_keys_to_documents", |b| {
        b.iter_batched(
            || {
                servant.add(&report, PEER);
            },
            |()| {
                let entries = stat.aggregator.window().take();
                let flush = aggregate::Flush {
                    minute: &minute,
                    index: "tars_stat_20240328",
                    flushed_at: 1_711_620_000,
                    seq: 0,
                };
                let batch = stat.aggregator.build(&flush, &entries);
                black_box(batch.len())
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, aggregate);
criterion_main!(benches);
