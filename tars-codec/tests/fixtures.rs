//! The canonical payloads encoded by real TARS peers (`tars-test/fixtures/codec`) decode to the
//! values their `.json` lists and re-encode to identical bytes.

use bytes::{Bytes, BytesMut};
use tars_codec::{RequestPacket, SimpleList, Struct, TarsMap};
use tars_test::fixtures::{self, EndpointList, ReportMicMsgArgs};

fn encode<T: Struct>(value: &T) -> Vec<u8> {
    let mut buf = BytesMut::new();
    value.encode_fields(&mut buf);
    buf.to_vec()
}

#[test]
fn stat_report_1000_decodes_to_the_listed_values_and_reencodes_identically() {
    let bytes = fixtures::read("stat-report-1000.bin");
    let json = fixtures::json("stat-report-1000.json");
    let decoded: ReportMicMsgArgs<'_> = fixtures::decode(&bytes).expect("decode stat report");
    let expected = fixtures::stat_report_expected(&json);
    assert_eq!(decoded.msg.len(), 1000);
    assert_eq!(decoded, expected);
    assert_eq!(encode(&decoded), bytes);
    assert_eq!(encode(&expected), bytes);
}

#[test]
fn stat_report_has_131_totals_above_i32_as_longs() {
    let bytes = fixtures::read("stat-report-1000.bin");
    let decoded: ReportMicMsgArgs<'_> = fixtures::decode(&bytes).expect("decode stat report");
    let longs = decoded
        .msg
        .iter()
        .filter(|(_, body)| i32::try_from(body.total_rsp_time).is_err())
        .count();
    assert_eq!(longs, 131);
}

#[test]
fn endpoints_100_decodes_to_the_listed_values_and_reencodes_identically() {
    let bytes = fixtures::read("endpoints-100.bin");
    let json = fixtures::json("endpoints-100.json");
    let decoded: EndpointList<'_> = fixtures::decode(&bytes).expect("decode endpoints");
    assert_eq!(decoded, fixtures::endpoints_expected(&json));
    assert_eq!(encode(&decoded), bytes);
}

#[test]
fn request_small_decodes_to_the_listed_packet_and_reencodes_identically() {
    let bytes = fixtures::read("request-small.bin");
    let json = fixtures::json("request-small.json");
    let p = &json["packet"];
    let packet: RequestPacket<'_> = fixtures::decode(&bytes).expect("decode request");
    let sbuffer = hex::decode(p["sBuffer_hex"].as_str().expect("hex")).expect("valid hex");
    let context: TarsMap<&[u8], &[u8]> = p["context"]
        .as_array()
        .expect("context pairs")
        .iter()
        .map(|kv| {
            let k = kv[0].as_str().expect("key").as_bytes();
            let v = kv[1].as_str().expect("value").as_bytes();
            (k, v)
        })
        .collect();
    let expected = RequestPacket {
        version: 1,
        packet_type: 0,
        message_type: 0,
        request_id: 12_345_678,
        servant_name: fixtures::bytes_of(p, "sServantName"),
        func_name: fixtures::bytes_of(p, "sFuncName"),
        buffer: SimpleList(&sbuffer),
        timeout: 3000,
        context,
        status: TarsMap::new(),
    };
    assert_eq!(packet, expected);
    assert_eq!(encode(&packet), bytes);

    // The argument block: findObjectById's `string id` at tag 1.
    let mut r = tars_codec::Reader::new(packet.buffer.0);
    let id: &[u8] = r.read_required(1, "findObjectById").expect("id");
    assert_eq!(id, b"TestApp.HelloServer.HelloObj");
}

#[test]
fn bytes_fields_decoded_from_bytes_share_the_fixture_allocation() {
    #[derive(Debug, tars_codec::TarsStruct)]
    struct Owned {
        #[tars(tag = 5, require)]
        servant: Bytes,
    }
    let bytes = Bytes::from(fixtures::read("request-small.bin"));
    let owned: Owned = tars_codec::from_bytes(&bytes).expect("decode");
    assert_eq!(&owned.servant[..], b"tars.tarsregistry.QueryObj");
    let range = bytes.as_ptr_range();
    assert!(range.contains(&owned.servant.as_ptr()));
}
