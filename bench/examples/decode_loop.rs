//! Decodes (or encodes) a fixture in a loop, for `valgrind --tool=callgrind` instruction counts,
//! which are repeatable where wall-clock benchmarks on a shared VM are not.
//!
//! `cargo run --release -p tarsplane-bench --example decode_loop -- [decode|encode] [iterations]
//! [stat|endpoints|request]`
//!
//! `OFFSET=n` starts each encode `n` bytes into the output buffer, to see how much of the time
//! is 4K aliasing (the fixture and the buffer are both page-aligned, so by default every byte is
//! written at the page offset it was read from).

use std::hint::black_box;

/// The allocator the `tarsplane` binary ships with; benchmarks measure what production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bytes::BytesMut;
use tars_codec::{RequestPacket, Struct};
use tars_test::fixtures::{self, EndpointList, ReportMicMsgArgs};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "decode".to_owned());
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let fixture = args.next().unwrap_or_else(|| "stat".to_owned());
    match fixture.as_str() {
        "endpoints" => run::<EndpointList<'_>>("endpoints-100.bin", &mode, iterations),
        "request" => run::<RequestPacket<'_>>("request-small.bin", &mode, iterations),
        _ => run::<ReportMicMsgArgs<'_>>("stat-report-1000.bin", &mode, iterations),
    }
}

fn run<T>(file: &str, mode: &str, iterations: usize)
where
    T: for<'a> Fixture<'a>,
{
    let bytes = fixtures::read(file);
    let value = T::decode(&bytes);
    let offset: usize = std::env::var("OFFSET")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut buf = BytesMut::with_capacity(bytes.len() + offset);
    for _ in 0..iterations {
        if mode == "encode" {
            buf.clear();
            buf.resize(offset, 0);
            T::encode(black_box(&value), &mut buf);
            black_box(&buf);
        } else {
            black_box(T::decode(black_box(&bytes)));
        }
    }
}

/// A fixture type, decoded with any lifetime.
trait Fixture<'a> {
    type Value;
    fn decode(bytes: &'a [u8]) -> Self::Value;
    fn encode(value: &Self::Value, buf: &mut BytesMut);
}

macro_rules! fixture {
    ($ty:ident) => {
        impl<'a> Fixture<'a> for $ty<'_> {
            type Value = $ty<'a>;
            fn decode(bytes: &'a [u8]) -> $ty<'a> {
                tars_codec::from_slice(bytes).expect("decode")
            }
            fn encode(value: &$ty<'a>, buf: &mut BytesMut) {
                value.encode_fields(buf);
            }
        }
    };
}

fixture!(ReportMicMsgArgs);
fixture!(EndpointList);
fixture!(RequestPacket);
