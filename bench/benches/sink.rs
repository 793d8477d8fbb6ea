//! The sink's speed (issue 5): NDJSON encoding of stat-shaped documents (bar: >= 1 M
//! documents/s); end to end through the Elasticsearch bulk writer into a local test server
//! (bar: >= 200 k documents/s) — `bulk_counter`, a minimal `_bulk` endpoint that measures the
//! writer's own cost, and `elasticsearch_fake`, the faithful fake whose JSON parsing and
//! mapping checks share the same two cores; and the SQLite store for comparison. The memory bound under a stalled backend is `max_queued_bytes` by construction
//! and is checked in `sink/tests/es_faults.rs`.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// The allocator the `tarsplane` binary ships with; benchmarks measure what production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sink::config::{EsConfig, SpoolConfig, SqliteConfig};
use sink::{Batch, EsSink, Metrics, SqliteSink};
use tars_test::bulk_counter::BulkCounter;
use tars_test::fake_es::FakeEs;

const DOCS: usize = 10_000;

fn push_stat(batch: &mut Batch, i: usize) {
    tarsplane_bench::sink_fixture::push_stat(batch, i).expect("valid document");
}

fn stat_batch(offset: usize) -> Batch {
    let mut batch = Batch::with_capacity(DOCS * 560, DOCS);
    for i in 0..DOCS {
        push_stat(&mut batch, offset + i);
    }
    batch
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("sink/encode");
    group.throughput(Throughput::Elements(DOCS as u64));
    let mut batch = Batch::with_capacity(DOCS * 560, DOCS);
    group.bench_function("stat_documents", |b| {
        b.iter(|| {
            batch.clear();
            for i in 0..DOCS {
                push_stat(&mut batch, black_box(i));
            }
            black_box(batch.byte_len());
        });
    });
    group.finish();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn end_to_end(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile_dir("tarsplane-bench-sink");
    let es = rt.block_on(FakeEs::start()).expect("fake es");
    let counter = rt.block_on(BulkCounter::start()).expect("bulk counter");
    let config = EsConfig {
        nodes: vec![es.url()],
        spool: SpoolConfig {
            dir: dir.join("spool"),
            ..SpoolConfig::default()
        },
        dead_letter_path: dir.join("dead-letter.ndjson"),
        ..EsConfig::default()
    };
    let (sink, lean) = {
        let _guard = rt.enter();
        let lean = EsConfig {
            nodes: vec![counter.url()],
            ..config.clone()
        };
        (
            EsSink::start(&config, Metrics::default()).expect("sink"),
            EsSink::start(&lean, Metrics::default()).expect("sink"),
        )
    };
    let db = SqliteSink::open(
        &SqliteConfig {
            path: dir.join("bench.sqlite"),
            ..SqliteConfig::default()
        },
        Metrics::default(),
    )
    .expect("sqlite");

    let mut group = c.benchmark_group("sink/end_to_end");
    group.throughput(Throughput::Elements(DOCS as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for (name, sink) in [("bulk_counter", &lean), ("elasticsearch_fake", &sink)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let batches: Vec<Batch> =
                    (0..iters as usize).map(|k| stat_batch(k * DOCS)).collect();
                rt.block_on(async {
                    let start = Instant::now();
                    let mut receipts = Vec::with_capacity(batches.len());
                    for batch in batches {
                        receipts.push(sink.submit(batch).await.expect("submit"));
                    }
                    for r in receipts {
                        let outcome = r.await.expect("outcome");
                        assert_eq!(outcome.stored as usize, DOCS, "{outcome:?}");
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.bench_function("sqlite", |b| {
        b.iter_custom(|iters| {
            let batches: Vec<Batch> = (0..iters as usize).map(|k| stat_batch(k * DOCS)).collect();
            rt.block_on(async {
                let start = Instant::now();
                let mut receipts = Vec::with_capacity(batches.len());
                for batch in batches {
                    receipts.push(db.submit(batch).await.expect("submit"));
                }
                for r in receipts {
                    r.await.expect("outcome");
                }
                start.elapsed()
            })
        });
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench directory");
    dir
}

criterion_group!(benches, encode, end_to_end);
criterion_main!(benches);
