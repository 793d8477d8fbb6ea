//! `codec-speed`: tarsplane's codec in MB/s on the three canonical fixtures, measured the way
//! `bench/peers/go/cmd/codec-bench` measures TarsGo's, so `scripts/bench-peers` can put the two
//! side by side from one run: for each fixture, `decode` (into native structs), `encode-fresh`
//! (into a new buffer) and `encode-reused` (into a cleared buffer); a warm-up, then 5 timed runs
//! of at least `--millis` each, the median reported as one JSON line. MB = 10^6 bytes.
//!
//! The operations are the instruction-count cases of `tarsplane-icount` (one definition), run
//! here with the allocator the `tarsplane` binary ships with.
//!
//! `cargo run --release -p tarsplane-bench --bin codec-speed -- [--millis 300]`

#![allow(
    clippy::cast_precision_loss,
    reason = "byte and operation counts and rates are reported, not computed with"
)]

use std::time::{Duration, Instant};

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "codec-speed", about = "Codec MB/s on the canonical fixtures")]
struct Args {
    /// Minimum time of each of the 5 timed runs, milliseconds.
    #[arg(long, default_value_t = 300)]
    millis: u64,
}

/// The fixture and its size, from a case name `codec_<op>_<fixture>`.
fn fixture(name: &str) -> Option<(&'static str, u64)> {
    [
        ("stat_report_1000", "stat-report-1000", 152_594),
        ("endpoints_100", "endpoints-100", 6_181),
        ("request_small", "request-small", 159),
    ]
    .into_iter()
    .find(|(suffix, _, _)| name.ends_with(suffix))
    .map(|(_, fixture, bytes)| (fixture, bytes))
}

/// Nanoseconds per operation of one run lasting at least `min`.
fn timed_run(prepared: &mut tarsplane_icount::Prepared, min: Duration) -> f64 {
    let start = Instant::now();
    let mut ops = 0u64;
    while start.elapsed() < min {
        for _ in 0..64 {
            prepared.run_once();
        }
        ops += 64;
    }
    start.elapsed().as_secs_f64() * 1e9 / ops as f64
}

fn main() {
    let args = Args::parse();
    let min = Duration::from_millis(args.millis);
    for case in tarsplane_icount::cases() {
        let op = ["decode", "encode_fresh", "encode_reused"]
            .into_iter()
            .find(|op| case.name.starts_with(&format!("codec_{op}_")));
        let (Some(op), Some((fixture, bytes))) = (op, fixture(case.name)) else {
            continue;
        };
        let mut prepared = case.prepare();
        timed_run(&mut prepared, min / 3);
        let mut runs: Vec<f64> = (0..5).map(|_| timed_run(&mut prepared, min)).collect();
        runs.sort_by(f64::total_cmp);
        let ns_per_op = runs[2];
        println!(
            "{}",
            serde_json::json!({
                "peer": "tarsplane",
                "fixture": fixture,
                "op": op.replace('_', "-"),
                "bytes": bytes,
                "ns_per_op": ns_per_op,
                "mb_per_s": bytes as f64 / ns_per_op * 1e3,
            })
        );
    }
}
