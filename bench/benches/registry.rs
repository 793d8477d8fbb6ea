//! Registry lookups and updates (issue 4): `findObjectById` answered in process from 10 k
//! TEndpoints (bar: >= 10 M lookups/s on one core), the snapshot lookup alone, and applying one
//! watch event to a registry of 100 k TEndpoints and publishing the new snapshot (the builder's
//! share of "a watch event is visible within 10 ms"). Over TCP: `tars-load --call find-object`
//! (see RESULTS.md); memory per TEndpoint: `bench/examples/registry_memory.rs`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// The allocator the `tarsplane` binary ships with; benchmarks measure what production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use registry::model::{self, Kind, Object};
use registry::routes::Routes;
use registry::{Change, QueryServant, Registry, Snapshot};
use tars_codec::{Encode, Protocol, TarsMap};
use tars_rpc::{Inline, Request};
use tarsplane_bench::registry_fixture::{LOOKUP_ID, tendpoint};

fn objects(n: usize) -> Vec<Object> {
    (0..n)
        .map(|i| model::parse(Kind::Endpoint, &tendpoint(i)).expect("valid"))
        .collect()
}

fn snapshot(n: usize) -> Snapshot {
    let mut snapshot = Snapshot::new(Routes::default());
    snapshot.apply(Change::Listed(Kind::Endpoint, objects(n)));
    snapshot
}

fn request() -> Request {
    let mut args = BytesMut::new();
    LOOKUP_ID.as_bytes().encode(1, &mut args);
    Request {
        protocol: Protocol::Tars,
        request_id: 1,
        servant_name: Bytes::from_static(b"tars.tarsregistry.QueryObj"),
        func_name: Bytes::from_static(b"findObjectById"),
        args: args.freeze(),
        timeout_ms: 3000,
        context: TarsMap::new(),
        one_way: false,
        peer: "127.0.0.1:1".parse().expect("addr"),
        max_depth: 100,
    }
}

fn servant(n: usize) -> QueryServant {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (registry, feed, builder) = Registry::new(
        Routes::default(),
        Duration::from_secs(60),
        registry::Metrics::default(),
    );
    let shutdown = tokio_util::sync::CancellationToken::new();
    rt.block_on(async {
        let building = tokio::spawn(builder.run(shutdown.clone()));
        feed.listed(
            Kind::Endpoint,
            objects(n)
                .into_iter()
                .map(Ok::<_, registry::model::InvalidObject>),
        )
        .await;
        while registry.snapshot().servers() < n {
            tokio::task::yield_now().await;
        }
        shutdown.cancel();
        building.await.expect("builder");
    });
    QueryServant::new(registry)
}

fn lookups(c: &mut Criterion) {
    let mut group = c.benchmark_group("registry/lookup");
    group.throughput(Throughput::Elements(1));
    let snapshot = snapshot(10_000);
    assert_eq!(snapshot.resolve(LOOKUP_ID).0.len(), 3);
    group.bench_function("snapshot_find_10k", |b| {
        b.iter(|| black_box(snapshot.find(black_box(LOOKUP_ID.as_bytes()))));
    });
    let servant = servant(10_000);
    let request = request();
    // As the connection answers inline: results appended to a reused body buffer.
    let mut body = BytesMut::new();
    assert_eq!(
        servant.answer(&request.as_call(), &mut body),
        Inline::Written
    );
    group.bench_function("find_object_by_id_10k", |b| {
        b.iter(|| {
            body.clear();
            black_box(servant.answer(black_box(&request.as_call()), &mut body))
        });
    });
    group.finish();
}

fn updates(c: &mut Criterion) {
    let mut group = c.benchmark_group("registry/update");
    group.throughput(Throughput::Elements(1));
    let base = snapshot(100_000);
    let changed = objects(1).remove(0);
    group.bench_function("apply_and_publish_one_event_100k", |b| {
        b.iter(|| {
            let mut next = base.clone();
            next.apply(Change::Applied(changed.clone()));
            black_box(Arc::new(next))
        });
    });
    group.finish();
}

criterion_group!(benches, lookups, updates);
criterion_main!(benches);
