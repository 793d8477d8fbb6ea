//! Decodes (or encodes) a fixture in a loop, for `valgrind --tool=callgrind` instruction counts,
//! which are repeatable where wall-clock benchmarks on a shared VM are not.
//!
//! `cargo run --release -p tarsplane-bench --example decode_loop -- [decode|encode] [iterations]`

use std::hint::black_box;

use bytes::BytesMut;
use tars_codec::Struct;
use tars_test::fixtures::{self, ReportMicMsgArgs};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "decode".to_owned());
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let bytes = fixtures::read("stat-report-1000.bin");
    let value: ReportMicMsgArgs<'_> = tars_codec::from_slice(&bytes).expect("decode");
    let mut buf = BytesMut::with_capacity(bytes.len());
    for _ in 0..iterations {
        if mode == "encode" {
            buf.clear();
            black_box(&value).encode_fields(&mut buf);
            black_box(&buf);
        } else {
            let v: ReportMicMsgArgs<'_> = tars_codec::from_slice(black_box(&bytes)).expect("decode");
            black_box(v);
        }
    }
}
