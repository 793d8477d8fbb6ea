//! `icount-allocs`: the allocations of every instruction-count case, counted natively by a
//! wrapper around the system allocator (Valgrind's DHAT would do it too, but not faster).
//!
//! For each case: prepare, run once (not counted), then run `ops` operations and print one JSON
//! line with the allocations per operation and the peak bytes one operation holds live above
//! what was live before it. Only the measuring thread is counted: the services' background
//! threads (SQLite and log writers) allocate on their own schedule.
//!
//! `cargo run --profile icount -p tarsplane-icount --bin icount-allocs [NAME...]`

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// The system allocator, counting.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Set on the measuring thread only (const: reading it never allocates).
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    COUNTED.with(Cell::get)
}

fn grew(bytes: usize) {
    if !counted() {
        return;
    }
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    let live = LIVE.fetch_add(bytes as u64, Ordering::Relaxed) + bytes as u64;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    if !counted() {
        return;
    }
    LIVE.fetch_sub(bytes as u64, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds as it does for `System`; the counters only read sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller upholds `alloc`'s contract (non-zero size), passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes there).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A reallocation counts as an allocation: it may move and copy the block.
        grew(new_size);
        shrank(layout.size());
        // SAFETY: `ptr` and `layout` come from `System`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() -> std::process::ExitCode {
    let names: Vec<String> = std::env::args().skip(1).collect();
    let cases: Vec<_> = tarsplane_icount::cases()
        .into_iter()
        .filter(|c| names.is_empty() || names.iter().any(|n| n == c.name))
        .collect();
    if cases.is_empty() {
        eprintln!("icount-allocs: no case named {names:?}");
        return std::process::ExitCode::FAILURE;
    }
    COUNTED.with(|c| c.set(true));
    for case in cases {
        let mut prepared = case.prepare();
        // Peak of one operation above what is live before it.
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        prepared.run_once();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        let start = ALLOCATIONS.load(Ordering::Relaxed);
        prepared.run();
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - start;
        println!(
            "{}",
            serde_json::json!({
                "name": case.name,
                "ops": case.ops,
                "allocations": allocations,
                "peak_bytes": peak,
            })
        );
        drop(prepared);
    }
    std::process::ExitCode::SUCCESS
}
