//! Memory per TEndpoint in the registry snapshot (issue 4): heap bytes the snapshot holds after
//! loading N TEndpoints with two servants and three pods each (parsed values and encoded
//! answers), divided by N; and what one change copies after a publish.
//!
//! `cargo run --release -p tarsplane-bench --example registry_memory -- [N]`

use registry::model::{self, Kind};
use registry::routes::Routes;
use registry::{Change, Snapshot};
use tarsplane_bench::registry_fixture::tendpoint;

#[global_allocator]
static GLOBAL: dhat::Alloc = dhat::Alloc;

fn live() -> usize {
    dhat::HeapStats::get().curr_bytes
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let _profiler = dhat::Profiler::builder().testing().build();
    let start = live();
    let mut snapshot = Snapshot::new(Routes::default());
    let objects = (0..n).map(|i| model::parse(Kind::Endpoint, &tendpoint(i)).expect("valid"));
    snapshot.apply(Change::Listed(Kind::Endpoint, objects.collect()));
    let bytes = live() - start;
    println!(
        "{n} TEndpoints (2 servants, 3 pods each): {} KiB, {} bytes per TEndpoint",
        bytes / 1024,
        bytes / n
    );
    let published = snapshot.clone();
    let change = model::parse(Kind::Endpoint, &tendpoint(1)).expect("valid");
    let before = live();
    snapshot.apply(Change::Applied(change));
    println!(
        "one change after a publish copies {} bytes (one of {} shards)",
        live() - before,
        registry::snapshot::SHARDS
    );
    drop(published);
}
