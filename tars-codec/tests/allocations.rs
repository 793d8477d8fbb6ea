//! Decoding allocates per container, never per string: every string and byte vector borrows
//! from the input. Counted with dhat's heap profiler in testing mode (this file's only test, as
//! dhat allows one profiler per process).

use tars_codec::RequestPacket;
use tars_test::fixtures::{self, EndpointList, ReportMicMsgArgs};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

fn blocks_during(f: impl FnOnce()) -> u64 {
    let before = dhat::HeapStats::get().total_blocks;
    f();
    dhat::HeapStats::get().total_blocks - before
}

#[test]
fn decoding_the_fixtures_makes_no_per_string_allocation() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let stat = fixtures::read("stat-report-1000.bin");
    let endpoints = fixtures::read("endpoints-100.bin");
    let request = fixtures::read("request-small.bin");

    // 1000 entries of 9 strings and one map<int,int> each: one block for the entry vector and
    // one per intervalCount map; 9000 strings would add 9000.
    let n = blocks_during(|| {
        let v: ReportMicMsgArgs<'_> = tars_codec::from_slice(&stat).expect("decode");
        assert_eq!(v.msg.len(), 1000);
    });
    println!("stat-report-1000: {n} allocations for 1000 entries (9000 strings)");
    assert_eq!(n, 1 + 1000);

    // 100 endpoints with 2 strings each: the vector only.
    let n = blocks_during(|| {
        let v: EndpointList<'_> = tars_codec::from_slice(&endpoints).expect("decode");
        assert_eq!(v.endpoints.len(), 100);
    });
    println!("endpoints-100: {n} allocation(s)");
    assert_eq!(n, 1);

    // A request: the two-entry context map only; the empty status map allocates nothing.
    let n = blocks_during(|| {
        let p: RequestPacket<'_> = tars_codec::from_slice(&request).expect("decode");
        assert_eq!(p.context.len(), 2);
    });
    println!("request-small: {n} allocation(s)");
    assert_eq!(n, 1);
}
