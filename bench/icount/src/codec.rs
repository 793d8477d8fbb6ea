//! The codec on the three canonical fixtures (`tars-test/fixtures/codec`): decode into native
//! structs, encode into a fresh and into a reused buffer, and a request frame found in a read
//! buffer and decoded as the server's connection does.

use std::hint::black_box;

use bytes::BytesMut;
use tars_codec::frame::write_frame;
use tars_codec::{FrameCodec, RequestPacket, Struct, StructDecode};
use tars_rpc::interfaces::{FindObjectByIdResult, ReportMicMsgArgs};

use crate::{Case, Limit, Op};

/// `stat-report-1000.bin`: the arguments of `StatF.reportMicMsg`, 1000 entries.
pub(crate) const STAT_REPORT: &[u8] =
    include_bytes!("../../../tars-test/fixtures/codec/stat-report-1000.bin");
/// `endpoints-100.bin`: the answer of `QueryF.findObjectById`, 100 endpoints.
const ENDPOINTS: &[u8] = include_bytes!("../../../tars-test/fixtures/codec/endpoints-100.bin");
/// `request-small.bin`: a whole `RequestPacket` calling `findObjectById`.
const REQUEST: &[u8] = include_bytes!("../../../tars-test/fixtures/codec/request-small.bin");

fn decode<'a, T: StructDecode<'a>>(bytes: &'a [u8]) -> T {
    match tars_codec::from_slice(bytes) {
        Ok(value) => value,
        Err(e) => panic!("a canonical fixture does not decode: {e}"),
    }
}

fn decode_op<T: StructDecode<'static>>(bytes: &'static [u8]) -> Op {
    Box::new(move || {
        let value: T = decode(black_box(bytes));
        black_box(value);
    })
}

fn encode_fresh<T: Struct + 'static>(value: T) -> Op {
    Box::new(move || {
        let mut buf = BytesMut::new();
        black_box(&value).encode_fields(&mut buf);
        black_box(buf);
    })
}

fn encode_reused<T: Struct + 'static>(value: T, len: usize) -> Op {
    let mut buf = BytesMut::with_capacity(len);
    Box::new(move || {
        buf.clear();
        black_box(&value).encode_fields(&mut buf);
        black_box(&buf);
    })
}

/// The request fixture behind its 4-byte length, found and decoded in place.
fn frame_and_decode() -> Op {
    let mut framed = BytesMut::new();
    if let Err(e) = write_frame(&mut framed, usize::MAX, |b| b.extend_from_slice(REQUEST)) {
        panic!("frame the request fixture: {e}");
    }
    let framed: &'static [u8] = Vec::leak(framed.to_vec());
    let codec = FrameCodec::new();
    Box::new(move || {
        let buf = black_box(framed);
        let len = match codec.frame_len(buf) {
            Ok(Some(len)) => len,
            other => panic!("the framed fixture is one whole frame: {other:?}"),
        };
        let packet: RequestPacket<'_> = decode(&buf[4..len]);
        black_box(packet.request_id);
    })
}

pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "codec_decode_stat_report_1000",
            what: "decode the 152,594-byte reportMicMsg arguments (1000 entries)",
            ops: 20,
            limit: Limit::Cpu,
            prepare: || decode_op::<ReportMicMsgArgs<'static>>(STAT_REPORT),
        },
        Case {
            name: "codec_decode_endpoints_100",
            what: "decode the 6,181-byte findObjectById answer (100 endpoints)",
            ops: 200,
            limit: Limit::Cpu,
            prepare: || decode_op::<FindObjectByIdResult<'static>>(ENDPOINTS),
        },
        Case {
            name: "codec_decode_request_small",
            what: "decode the 159-byte RequestPacket",
            ops: 5_000,
            limit: Limit::Cpu,
            prepare: || decode_op::<RequestPacket<'static>>(REQUEST),
        },
        Case {
            name: "codec_encode_fresh_stat_report_1000",
            what: "encode the 1000-entry report into a new buffer",
            ops: 20,
            limit: Limit::Cpu,
            prepare: || encode_fresh(decode::<ReportMicMsgArgs<'static>>(STAT_REPORT)),
        },
        Case {
            name: "codec_encode_fresh_endpoints_100",
            what: "encode the 100 endpoints into a new buffer",
            ops: 200,
            limit: Limit::Cpu,
            prepare: || encode_fresh(decode::<FindObjectByIdResult<'static>>(ENDPOINTS)),
        },
        Case {
            name: "codec_encode_fresh_request_small",
            what: "encode the RequestPacket into a new buffer",
            ops: 5_000,
            limit: Limit::Cpu,
            prepare: || encode_fresh(decode::<RequestPacket<'static>>(REQUEST)),
        },
        Case {
            name: "codec_encode_reused_stat_report_1000",
            what: "encode the 1000-entry report into a cleared buffer",
            ops: 20,
            limit: Limit::Cpu,
            prepare: || {
                encode_reused(
                    decode::<ReportMicMsgArgs<'static>>(STAT_REPORT),
                    STAT_REPORT.len(),
                )
            },
        },
        Case {
            name: "codec_encode_reused_endpoints_100",
            what: "encode the 100 endpoints into a cleared buffer",
            ops: 200,
            limit: Limit::Cpu,
            prepare: || {
                encode_reused(
                    decode::<FindObjectByIdResult<'static>>(ENDPOINTS),
                    ENDPOINTS.len(),
                )
            },
        },
        Case {
            name: "codec_encode_reused_request_small",
            what: "encode the RequestPacket into a cleared buffer",
            ops: 5_000,
            limit: Limit::Cpu,
            prepare: || encode_reused(decode::<RequestPacket<'static>>(REQUEST), REQUEST.len()),
        },
        Case {
            name: "codec_frame_and_decode_request_small",
            what: "find the framed request in a read buffer and decode it",
            ops: 5_000,
            limit: Limit::Cpu,
            prepare: frame_and_decode,
        },
    ]
}
