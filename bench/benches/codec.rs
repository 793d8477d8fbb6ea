//! Codec throughput on the three canonical fixtures (`tars-test/fixtures/codec`), the yardsticks
//! the peers were measured on: decode into native structs, encode into a fresh buffer and into a
//! reused one. Bars (issue 2): stat-report-1000 decode >= 1,000 MB/s, endpoints-100 decode
//! >= 1,500 MB/s, request-small decode >= 10 M ops/s, stat-report-1000 reused encode >= 1,600 MB/s.

use std::hint::black_box;

/// The allocator the `tarsplane` binary ships with; benchmarks measure what production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tars_codec::frame::write_frame;
use tars_codec::{FrameCodec, RequestPacket, Struct};
use tars_test::fixtures::{self, EndpointList, ReportMicMsgArgs};
use tokio_util::codec::Decoder;

/// `decode`, `encode_fresh` and `encode_reused` for one fixture decoded as `$ty`.
macro_rules! bench_fixture {
    ($c:expr, $name:literal, $file:literal, $ty:ident) => {{
        let bytes = fixtures::read($file);
        let mut group = $c.benchmark_group(concat!("codec/", $name));
        group.throughput(Throughput::Bytes(bytes.len() as u64));

        group.bench_function("decode", |b| {
            b.iter(|| {
                let value: $ty<'_> = tars_codec::from_slice(black_box(&bytes)).expect("decode");
                black_box(value);
            });
        });

        let value: $ty<'_> = tars_codec::from_slice(&bytes).expect("decode");
        group.bench_function("encode_fresh", |b| {
            b.iter(|| {
                let mut buf = BytesMut::new();
                black_box(&value).encode_fields(&mut buf);
                black_box(buf);
            });
        });

        let mut buf = BytesMut::with_capacity(bytes.len());
        group.bench_function("encode_reused", |b| {
            b.iter(|| {
                buf.clear();
                black_box(&value).encode_fields(&mut buf);
                black_box(&buf);
            });
        });
        group.finish();
    }};
}

fn codec(c: &mut Criterion) {
    bench_fixture!(
        c,
        "stat-report-1000",
        "stat-report-1000.bin",
        ReportMicMsgArgs
    );
    bench_fixture!(c, "endpoints-100", "endpoints-100.bin", EndpointList);
    bench_fixture!(c, "request-small", "request-small.bin", RequestPacket);
}

/// request-small counted in operations: one op = frame split + packet decode.
fn request_ops(c: &mut Criterion) {
    let packet = fixtures::read("request-small.bin");
    let mut framed = BytesMut::new();
    write_frame(&mut framed, usize::MAX, |b| b.extend_from_slice(&packet)).expect("frame");
    let framed = framed.freeze();
    let mut group = c.benchmark_group("codec/request-small-ops");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode", |b| {
        b.iter(|| {
            let p: RequestPacket<'_> = tars_codec::from_slice(black_box(&packet)).expect("decode");
            black_box(p);
        });
    });
    let mut codec = FrameCodec::new();
    group.bench_function("frame_and_decode", |b| {
        b.iter(|| {
            let mut src = BytesMut::from(black_box(&framed[..]));
            let frame: Bytes = codec.decode(&mut src).expect("frame").expect("whole");
            let p: RequestPacket<'_> = tars_codec::from_bytes(&frame).expect("decode");
            black_box(p.request_id);
        });
    });
    group.finish();
}

criterion_group!(benches, codec, request_ops);
criterion_main!(benches);
