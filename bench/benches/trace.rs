//! The trace pipeline's core on one core (issue 20): trace lines parsed and merged into open
//! traces (the goal: ≥ 1 M lines/s), parse alone, and the whole core path per line (parse,
//! merge, close, both graphs, the day's graph aggregation). Lines are TarsGo-shaped
//! (`tarsplane_bench::trace_fixture`): two-span traces of eight lines, 64 in flight at a time.
//! Memory per open trace: `bench/examples/trace_memory.rs`.

use std::hint::black_box;

/// The allocator the `tarsplane` binary ships with; benchmarks measure what production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tarsplane_bench::trace_fixture::interleaved;

/// Traces per measured batch (8 lines each).
const TRACES: usize = 1_000;
const AT_MS: i64 = 1_796_495_400_000;

fn fresh() -> tars_trace::Traces {
    tars_trace::Traces::new(
        &tars_trace::Config::default(),
        tars_trace::Metrics::default(),
    )
}

fn lines(c: &mut Criterion) {
    let lines = interleaved(TRACES, 64, AT_MS);
    let elements: Vec<&[u8]> = lines.iter().map(String::as_bytes).collect();
    let mut group = c.benchmark_group("trace");
    group.throughput(Throughput::Elements(elements.len() as u64));

    group.bench_function("parse_8000_lines", |b| {
        b.iter(|| {
            for element in &elements {
                black_box(tars_trace::parse(black_box(element), 100 << 10).is_ok());
            }
        });
    });

    // Parse + merge into open traces; the traces are closed outside the measurement.
    group.bench_function("merge_8000_lines", |b| {
        b.iter_batched_ref(
            fresh,
            |traces| {
                let done = tars_trace::merge_lines(traces, black_box(&elements), AT_MS + 10);
                assert_eq!(done.merged, elements.len());
            },
            BatchSize::LargeInput,
        );
    });

    // What the pipeline task does per line besides the store: parse + merge, and the line's
    // tars_call_log document (id and NDJSON) added to a batch.
    group.bench_function("merge_and_log_documents_8000_lines", |b| {
        let index = tars_trace::document::log_index("20261205");
        b.iter_batched_ref(
            || (fresh(), sink::Batch::new()),
            |(traces, batch)| {
                for element in &elements {
                    let Ok(line) = traces.ingest(black_box(element), AT_MS + 10) else {
                        continue;
                    };
                    let id = tars_trace::document::log_doc_id(&index, &line);
                    let pushed = batch.push(sink::Op::Index, &index, id.as_str(), |d| {
                        tars_trace::document::log_document(d, &line.raw);
                    });
                    black_box(pushed.is_ok());
                }
                traces.publish(AT_MS + 10);
            },
            BatchSize::LargeInput,
        );
    });

    // Everything the core does for these lines: merge, close, graphs, the day's aggregation.
    group.bench_function("merge_close_graph_8000_lines", |b| {
        b.iter_batched_ref(
            || {
                let graphs = tars_trace::Graphs::new(50_000, tars_trace::Metrics::default());
                (fresh(), graphs)
            },
            |(traces, graphs)| {
                tars_trace::merge_lines(traces, black_box(&elements), AT_MS + 10);
                for closed in traces.close_all(AT_MS + 20) {
                    black_box(graphs.add("20261205", &closed.graphs.server));
                    black_box(graphs.add("20261205", &closed.graphs.function));
                    black_box(closed.trace);
                }
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, lines);
criterion_main!(benches);
