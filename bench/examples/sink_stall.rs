//! Memory of the Elasticsearch bulk writer while Elasticsearch stalls (issue 5: "memory bounded
//! under a stalled backend"). The fake Elasticsearch answers every bulk with 503 and the spool
//! is off, so nothing leaves memory; producers submit stat documents as fast as the writer
//! accepts them for `SECONDS` seconds. Prints documents accepted, refused and the process's
//! peak resident memory (`VmHWM`), which stays near `max_queued_bytes` plus a baseline however
//! long it runs.
//!
//! `cargo run --release -p tarsplane-bench --example sink_stall -- [SECONDS] [MAX_QUEUED_MIB]`

use std::time::{Duration, Instant};

use sink::config::{EsConfig, SpoolConfig};
use sink::{Batch, EsSink, Metrics, Op};
use tars_test::fake_es::{FakeEs, Fault};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn batch(k: usize) -> Batch {
    let mut b = Batch::with_capacity(1000 * 300, 1000);
    for i in 0..1000 {
        let id = format!("{k}-{i}");
        b.push(Op::Index, "tars_stat_20240328", &id, |d| {
            d.str("master_name", "Test.HelloClient")
                .str("slave_name", "Test.HelloServer")
                .str("interface_name", "sayHello")
                .int("succ_count", i)
                .str("interv_count", "100|900,200|80,500|20");
        })
        .expect("valid");
    }
    b
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let max_queued_mib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let es = FakeEs::start().await.expect("fake es");
    es.state().set_standing_fault(Some(Fault::Status(503)));
    let dir = std::env::temp_dir().join(format!("sink-stall-{}", std::process::id()));
    let config = EsConfig {
        nodes: vec![es.url()],
        max_queued_bytes: max_queued_mib << 20,
        spool: SpoolConfig {
            enabled: false,
            dir: dir.join("spool"),
            ..SpoolConfig::default()
        },
        dead_letter_path: dir.join("dead-letter.ndjson"),
        ..EsConfig::default()
    };
    let sink = EsSink::start(&config, Metrics::default()).expect("sink");
    let baseline = peak_rss_kib();
    let started = Instant::now();
    let (mut accepted, mut refused, mut k) = (0u64, 0u64, 0usize);
    while started.elapsed() < Duration::from_secs(seconds) {
        if sink.try_submit(batch(k)).is_ok() {
            accepted += 1000;
        } else {
            refused += 1000;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        k += 1;
    }
    println!(
        "stalled {seconds} s, max_queued_bytes {max_queued_mib} MiB: accepted {accepted} docs, \
         refused {refused}; peak RSS {} MiB (baseline before writing {} MiB)",
        peak_rss_kib() / 1024,
        baseline / 1024
    );
    let _ = std::fs::remove_dir_all(dir);
}
