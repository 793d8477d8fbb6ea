//! Memory per open trace (issue 20): the bytes the allocator holds after merging the lines of
//! N open traces (TarsGo-shaped two-span traces, `tarsplane_bench::trace_fixture`), against
//! the pipeline's own estimate (`open_bytes`, what `trace.max_open_bytes` bounds). Run once
//! with all eight lines per trace and once with only the first four (a trace still waiting
//! for its answers).
//!
//! `cargo run --release -p tarsplane-bench --example trace_memory -- [N]`

use tarsplane_bench::trace_fixture::{LINES_PER_TRACE, trace_lines};

#[global_allocator]
static GLOBAL: dhat::Alloc = dhat::Alloc;

fn live() -> isize {
    dhat::HeapStats::get().curr_bytes as isize
}

const AT_MS: i64 = 1_796_495_400_000;

fn measure(n: usize, lines_per_trace: usize) {
    let lines: Vec<Vec<String>> = (0..n).map(|t| trace_lines(t, AT_MS)).collect();
    let config = tars_trace::Config {
        max_open_traces: n + 1,
        max_open_bytes: usize::MAX / 2,
        ..tars_trace::Config::default()
    };
    let before = live();
    let mut traces = tars_trace::Traces::new(&config, tars_trace::Metrics::default());
    for trace in &lines {
        for line in &trace[..lines_per_trace] {
            traces
                .ingest(line.as_bytes(), AT_MS + 10)
                .expect("a valid line");
        }
    }
    traces.publish(AT_MS + 10);
    let held = live() - before;
    assert_eq!(traces.open_traces(), n);
    let line_bytes: usize = lines
        .iter()
        .flat_map(|t| &t[..lines_per_trace])
        .map(String::len)
        .sum();
    println!(
        "{n} open traces, {lines_per_trace} lines each ({} line bytes per trace): {} bytes held per trace, estimate (open_bytes) {} per trace",
        line_bytes / n,
        held / n as isize,
        traces.open_bytes() / n
    );
    drop(traces);
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let _profiler = dhat::Profiler::builder().testing().build();
    measure(n, LINES_PER_TRACE);
    measure(n, LINES_PER_TRACE / 2);
}
