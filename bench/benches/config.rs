//! Config answers and updates (issue 19): `loadConfigByInfo` answered in process from 10 k
//! TConfigs (decode, find the caller's pod, concatenate server and pod level, encode), the
//! snapshot lookup alone, and one watch event applied and published. Over TCP:
//! `tars-load --call load-config --object tars.tarsconfig.ConfigObj`; watch event to answer:
//! `bench/examples/config_watch.rs` (see RESULTS.md).

use std::hint::black_box;
use std::time::Duration;

/// The allocator the `tarsplane` binary ships with; benchmarks measure what production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tars_codec::{Protocol, TarsMap};
use tars_config::identity::Caller;
use tars_config::model::{Kind, Object, parse_tconfig};
use tars_config::{Change, ConfigServant, Metrics};
use tars_rpc::interfaces::config::{ByInfoArgs, ConfigInfo};
use tars_rpc::{Inline, Request, Servant};
use tarsplane_bench::config_fixture::{FILE, HOST, SERVER, tconfig};

const N: usize = 10_000;

fn objects(n: usize) -> Vec<Object> {
    (0..n)
        .map(|i| Object::Config(parse_tconfig(&tconfig(i), 1_560_000).expect("valid")))
        .collect()
}

fn request() -> Request {
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
    Request {
        protocol: Protocol::Tars,
        request_id: 1,
        servant_name: Bytes::from_static(b"tars.tarsconfig.ConfigObj"),
        func_name: Bytes::from_static(b"loadConfigByInfo"),
        args: tars_codec::to_bytes(&args),
        timeout_ms: 3000,
        context: TarsMap::new(),
        one_way: false,
        peer: "127.0.0.1:1".parse().expect("addr"),
        max_depth: 100,
    }
}

fn loads(c: &mut Criterion) {
    let metrics = Metrics::new();
    let (mirror, _feed, mut builder) = tars_config::mirror(Duration::from_secs(60), &metrics);
    builder.apply_changes([Change::Listed(Kind::Config, objects(N))]);
    let snapshot = mirror.load_full();
    assert_eq!(snapshot.configs(), N);
    let caller = Caller {
        host: HOST.as_bytes(),
        ..Caller::default()
    };
    let (loaded, _) = snapshot.load(b"Bench", SERVER.as_bytes(), FILE.as_bytes(), caller);
    assert!(loaded.and_then(|l| l.pod).is_some(), "the pod-level file");
    let mut group = c.benchmark_group("config/load");
    group.throughput(Throughput::Elements(1));
    group.bench_function("snapshot_load_10k", |b| {
        b.iter(|| {
            black_box(snapshot.load(
                black_box(b"Bench"),
                SERVER.as_bytes(),
                FILE.as_bytes(),
                caller,
            ))
        });
    });
    let servant = ConfigServant::new(mirror, metrics);
    let request = request();
    let mut body = BytesMut::new();
    assert_eq!(
        servant.answer_now(&request.as_call(), &mut body),
        Some(Inline::Written)
    );
    group.bench_function("load_config_by_info_10k", |b| {
        b.iter(|| {
            body.clear();
            black_box(servant.answer_now(black_box(&request.as_call()), &mut body))
        });
    });
    group.finish();
}

fn updates(c: &mut Criterion) {
    let metrics = Metrics::new();
    let (_mirror, _feed, mut builder) = tars_config::mirror(Duration::from_secs(60), &metrics);
    builder.apply_changes([Change::Listed(Kind::Config, objects(N))]);
    let changed = objects(1).remove(0);
    let mut group = c.benchmark_group("config/update");
    group.throughput(Throughput::Elements(1));
    group.bench_function("apply_and_publish_one_event_10k", |b| {
        b.iter(|| builder.apply_changes([Change::Applied(black_box(changed.clone()))]));
    });
    group.finish();
}

criterion_group!(benches, loads, updates);
criterion_main!(benches);
