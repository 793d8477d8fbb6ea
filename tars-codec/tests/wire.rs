//! The worked examples of `shared/spec/tars-wire.md` §1.9 and §3, and the tolerance rules of
//! §1.7–1.8: maps in any order, unknown tags, optional fields absent or present with their
//! default, both string forms.

use bytes::BytesMut;
use tars_codec::packet::{self, Protocol};
use tars_codec::tup::{self, UniAttribute, UniAttributeWriter};
use tars_codec::{
    Decode, Encode, Reader, RequestPacket, ResponsePacket, SimpleList, Struct, TarsMap, TarsStruct,
};
use tars_test::fixtures::EndpointF;

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).expect("valid hex")
}

fn fields<T: Struct>(v: &T) -> Vec<u8> {
    let mut buf = BytesMut::new();
    v.encode_fields(&mut buf);
    buf.to_vec()
}

fn framed<T: Struct>(v: &T) -> Vec<u8> {
    let mut buf = BytesMut::new();
    tars_codec::frame::write_frame(&mut buf, usize::MAX, |b| v.encode_fields(b)).expect("frame");
    buf.to_vec()
}

fn field<T: Encode>(v: &T, tag: u8) -> Vec<u8> {
    let mut buf = BytesMut::new();
    v.encode(tag, &mut buf);
    buf.to_vec()
}

#[derive(Debug, PartialEq, TarsStruct)]
struct One {
    #[tars(tag = 0, require)]
    v: i32,
}

#[test]
fn encoding_examples_of_section_1_9() {
    assert_eq!(field(&0i32, 1), unhex("1c"));
    assert_eq!(field(&1i32, 1), unhex("10 01"));
    assert_eq!(field(&3000i32, 8), unhex("81 0b b8"));
    assert_eq!(field(&60000i32, 2), unhex("22 00 00 ea 60"));
    assert_eq!(field(&true, 3), unhex("30 01"));
    assert_eq!(field(&b"ab".as_slice(), 6), unhex("66 02 61 62"));
    assert_eq!(field(&SimpleList(b"".as_slice()), 7), unhex("7d 00 0c"));
    assert_eq!(field(&TarsMap::<i32, i32>::new(), 9), unhex("98 0c"));
    assert_eq!(field(&5i32, 20), unhex("f0 14 05"));
    assert_eq!(field(&One { v: 1 }, 0), unhex("0a 00 01 0b"));
}

const REQUEST_3_1: &str =
    "00 00 00 5c 10 01 2c 3c 40 01 56 1a 74 61 72 73 2e 74 61 72 73 72 65 67 69 73
74 72 79 2e 51 75 65 72 79 4f 62 6a 66 0e 66 69 6e 64 4f 62 6a 65 63 74 42 79
49 64 7d 00 00 1b 16 19 54 65 73 74 2e 48 65 6c 6c 6f 53 65 72 76 65 72 2e 48
65 6c 6c 6f 4f 62 6a 81 0b b8 98 0c a8 0c";

fn find_request(id: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut args = BytesMut::new();
    id.encode(1, &mut args);
    (args.to_vec(), b"tars.tarsregistry.QueryObj".to_vec())
}

#[test]
fn request_of_section_3_1_is_byte_identical() {
    let (args, servant) = find_request(b"Test.HelloServer.HelloObj");
    let packet = RequestPacket {
        version: packet::TARS_VERSION,
        packet_type: packet::NORMAL,
        message_type: 0,
        request_id: 1,
        servant_name: &servant,
        func_name: b"findObjectById",
        buffer: SimpleList(&args),
        timeout: 3000,
        context: TarsMap::new(),
        status: TarsMap::new(),
    };
    let expected = unhex(REQUEST_3_1);
    assert_eq!(framed(&packet), expected);
    let decoded: RequestPacket<'_> = tars_codec::from_slice(&expected[4..]).expect("decode");
    assert_eq!(decoded, packet);
    assert_eq!(
        Protocol::from_version(decoded.version).ok(),
        Some(Protocol::Tars)
    );
}

const RESPONSE_CPP: &str =
    "00 00 00 46 10 01 2c 30 01 4c 5c 6d 00 00 35 09 00 01 0a 06 23 74 65 73 74 2d
68 65 6c 6c 6f 73 65 72 76 65 72 2d 30 2e 74 65 73 74 2d 68 65 6c 6c 6f 73 65
72 76 65 72 11 27 10 22 00 00 ea 60 30 01 4c 0b 78 0c";

const RESPONSE_NODE: &str =
    "00 00 00 52 10 01 2c 30 01 4c 5c 6d 00 00 3d 09 00 01 0a 06 23 74 65 73 74 2d
68 65 6c 6c 6f 73 65 72 76 65 72 2d 30 2e 74 65 73 74 2d 68 65 6c 6c 6f 73 65
72 76 65 72 11 27 10 22 00 00 ea 60 30 01 4c 5c 6c 76 00 8c 9c bc cc 0b 78 0c
86 00 98 0c";

fn expected_endpoint() -> EndpointF<'static> {
    EndpointF {
        host: b"test-helloserver-0.test-helloserver",
        port: 10000,
        timeout: 60000,
        istcp: 1,
        grid: 0,
        ..Default::default()
    }
}

fn endpoints_of(response: &ResponsePacket<'_>) -> Vec<EndpointF<'static>> {
    let mut r = Reader::new(response.buffer.0);
    let eps: Vec<EndpointF<'_>> = r.read_required(0, "findObjectById").expect("endpoints");
    eps.into_iter()
        .map(|e| EndpointF {
            host: Box::leak(e.host.to_vec().into_boxed_slice()),
            set_id: b"",
            node_name: b"",
            ..e
        })
        .collect()
}

#[test]
fn cpp_and_node_responses_of_section_3_2_decode_to_the_same_endpoint() {
    let cpp = unhex(RESPONSE_CPP);
    let node = unhex(RESPONSE_NODE);
    let a: ResponsePacket<'_> = tars_codec::from_slice(&cpp[4..]).expect("cpp-style");
    let b: ResponsePacket<'_> = tars_codec::from_slice(&node[4..]).expect("node-style");
    assert_eq!(endpoints_of(&a), vec![expected_endpoint()]);
    assert_eq!(endpoints_of(&b), vec![expected_endpoint()]);
    assert_eq!((a.request_id, a.ret, b.request_id, b.ret), (1, 0, 1, 0));
}

#[test]
fn our_response_is_byte_identical_with_tarscpp() {
    let mut args = BytesMut::new();
    vec![expected_endpoint()].encode(0, &mut args);
    let response = ResponsePacket {
        version: 1,
        packet_type: 0,
        request_id: 1,
        message_type: 0,
        ret: 0,
        buffer: SimpleList(&args),
        status: TarsMap::new(),
        result_desc: b"",
        context: TarsMap::new(),
    };
    assert_eq!(framed(&response), unhex(RESPONSE_CPP));
}

const TUP_3_3: &str =
    "00 00 00 65 10 03 2c 3c 40 01 56 1a 74 61 72 73 2e 74 61 72 73 72 65 67 69 73
74 72 79 2e 51 75 65 72 79 4f 62 6a 66 0e 66 69 6e 64 4f 62 6a 65 63 74 42 79
49 64 7d 00 00 26 08 00 01 06 02 69 64 1d 00 00 1b 06 19 54 65 73 74 2e 48 65
6c 6c 6f 53 65 72 76 65 72 2e 48 65 6c 6c 6f 4f 62 6a 8c 98 0c a8 0c";

#[test]
fn tup_request_of_section_3_3_decodes_and_reencodes() {
    let bytes = unhex(TUP_3_3);
    let packet: RequestPacket<'_> = tars_codec::from_slice(&bytes[4..]).expect("decode");
    assert_eq!(
        Protocol::from_version(packet.version).ok(),
        Some(Protocol::Tup)
    );
    let attrs = UniAttribute::decode(packet.buffer.0).expect("uniattribute");
    assert_eq!(
        attrs.get::<&[u8]>(b"id").expect("id"),
        b"Test.HelloServer.HelloObj"
    );

    let rebuilt = UniAttributeWriter::new()
        .put(b"id", &b"Test.HelloServer.HelloObj".as_slice())
        .finish();
    assert_eq!(&rebuilt[..], packet.buffer.0);
    assert_eq!(framed(&packet), bytes);
}

#[test]
fn tup_v2_is_recognised_and_rejected() {
    let mut bytes = unhex(TUP_3_3);
    bytes[5] = 2;
    let packet: RequestPacket<'_> = tars_codec::from_slice(&bytes[4..]).expect("decode");
    let err = Protocol::from_version(packet.version).err();
    assert!(err.is_some_and(|e| e.is_unsupported_version()));
}

#[test]
fn tup_response_carries_the_result_in_status_only_on_failure() {
    let bytes = unhex(TUP_3_3);
    let request: RequestPacket<'_> = tars_codec::from_slice(&bytes[4..]).expect("decode");
    let echo = tup::Echo::from(&request);
    let reply = |buffer: &[u8], ret: i32, desc: &[u8]| {
        let mut out = BytesMut::new();
        tup::write_response(&mut out, usize::MAX, &echo, buffer, ret, desc).expect("frame");
        out
    };

    let ok_buf = UniAttributeWriter::new().put_return(&0i32).finish();
    let ok_frame = reply(&ok_buf, 0, b"");
    let ok: RequestPacket<'_> = tars_codec::from_slice(&ok_frame[4..]).expect("decode");
    assert!(ok.status.is_empty());
    assert_eq!((ok.version, ok.packet_type, ok.request_id), (3, 0, 1));
    assert_eq!(
        (ok.servant_name, ok.func_name),
        (request.servant_name, request.func_name)
    );
    assert_eq!(ok.buffer.0, &ok_buf[..]);

    let failed_frame = reply(&[], -3, b"no such function");
    let failed: RequestPacket<'_> = tars_codec::from_slice(&failed_frame[4..]).expect("decode");
    assert_eq!(
        failed.status.get(&packet::status::RESULT_CODE),
        Some(&&b"-3"[..])
    );
    assert_eq!(
        failed.status.get(&packet::status::RESULT_DESC),
        Some(&&b"no such function"[..])
    );
    assert_eq!(
        failed.buffer.0,
        [0x08, 0x0c],
        "an empty UniAttribute on errors"
    );
}

#[derive(Debug, PartialEq, TarsStruct)]
#[tars(name = "StatMicMsgHead")]
struct StatHead {
    #[tars(tag = 0, require)]
    master_name: String,
    #[tars(tag = 1, require)]
    slave_name: String,
    #[tars(tag = 2, require)]
    interface_name: String,
    #[tars(tag = 3, require)]
    master_ip: String,
    #[tars(tag = 4, require)]
    slave_ip: String,
    #[tars(tag = 5, require)]
    slave_port: i32,
    #[tars(tag = 6, require)]
    return_value: i32,
    #[tars(tag = 7)]
    slave_set_name: String,
    #[tars(tag = 8)]
    slave_set_area: String,
    #[tars(tag = 9)]
    slave_set_id: String,
    #[tars(tag = 10)]
    tars_version: String,
}

#[derive(Debug, PartialEq, TarsStruct)]
#[tars(name = "StatMicMsgBody")]
struct StatBody {
    #[tars(tag = 0, require)]
    count: i32,
    #[tars(tag = 1, require)]
    timeout_count: i32,
    #[tars(tag = 2, require)]
    exec_count: i32,
    #[tars(tag = 3, require)]
    interval_count: TarsMap<i32, i32>,
    #[tars(tag = 4, require)]
    total_rsp_time: i64,
    #[tars(tag = 5, require)]
    max_rsp_time: i32,
    #[tars(tag = 6, require)]
    min_rsp_time: i32,
}

#[test]
fn node_generated_report_mic_msg_of_section_3_4_decodes() {
    let args = unhex(
        "18 00 01 0a 06 16 54 65 73 74 2e 48 65 6c 6c 6f 43 6c 69 65 6e 74 40 33 2e 30
2e 30 16 10 54 65 73 74 2e 48 65 6c 6c 6f 53 65 72 76 65 72 26 08 73 61 79 48
65 6c 6c 6f 36 00 46 08 31 30 2e 30 2e 30 2e 37 51 27 10 6c 76 00 86 00 96 00
a6 00 0b 1a 00 03 1c 2c 38 00 01 00 64 10 03 40 0c 50 06 60 02 0b 20 01",
    );
    let mut r = Reader::new(&args);
    let msg: TarsMap<StatHead, StatBody> = r.read_required(1, "reportMicMsg").expect("msg");
    let from_client: bool = r.read_required(2, "reportMicMsg").expect("bFromClient");
    assert!(from_client);
    let (head, body) = &msg.entries()[0];
    assert_eq!(head.master_name, "Test.HelloClient@3.0.0");
    assert_eq!(head.slave_ip, "10.0.0.7");
    assert_eq!((head.slave_port, head.return_value), (10000, 0));
    assert_eq!(head.tars_version, "");
    assert_eq!(body.interval_count.get(&100), Some(&3));
    assert_eq!(
        (body.count, body.total_rsp_time, body.max_rsp_time),
        (3, 12, 6)
    );
    assert_eq!(body.min_rsp_time, 2);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, tars_codec::TarsEnum)]
enum NotifyLevel {
    Normal,
    Warn,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, tars_codec::TarsEnum)]
enum ReportType {
    Report,
    Notify,
}

#[derive(Debug, PartialEq, TarsStruct)]
#[tars(name = "ReportInfo")]
struct ReportInfo<'a> {
    #[tars(tag = 1, require)]
    e_type: ReportType,
    #[tars(tag = 2, require)]
    app: &'a str,
    #[tars(tag = 3, require)]
    set: &'a str,
    #[tars(tag = 4, require)]
    container: &'a str,
    #[tars(tag = 5, require)]
    server: &'a str,
    #[tars(tag = 6, require)]
    message: &'a str,
    #[tars(tag = 7)]
    thread_id: &'a str,
    #[tars(tag = 8)]
    level: NotifyLevel,
    #[tars(tag = 9)]
    node_name: &'a str,
}

#[test]
fn node_generated_report_notify_info_of_section_3_4_decodes_with_enums() {
    let args = unhex(
        "1a 10 01 26 04 54 65 73 74 36 00 46 00 56 0b 48 65 6c 6c 6f 53 65 72 76 65 72
66 0c 5b 61 6c 61 72 6d 5d 20 64 6f 77 6e 76 00 80 02 0b",
    );
    let mut r = Reader::new(&args);
    let info: ReportInfo<'_> = r.read_required(1, "reportNotifyInfo").expect("info");
    assert_eq!(info.e_type, ReportType::Notify);
    assert_eq!(info.level, NotifyLevel::Error);
    assert_eq!(
        (info.app, info.server, info.message),
        ("Test", "HelloServer", "[alarm] down")
    );
    assert_eq!(info.node_name, "");
    // Re-encoded the TarsCpp way: the empty optional sThreadId (`76 00`) is omitted, the enum
    // eLevel is written even though Node's IDL default would allow omitting it.
    let again = field(&info, 1);
    let cpp_style = [&args[..40], &args[42..]].concat();
    assert_eq!(again, cpp_style);
    let bad = unhex("1a 10 07 26 00 36 00 46 00 56 00 66 00 0b");
    let err = ReportInfo::decode_field(&mut Reader::new(&bad), 1).err();
    assert!(err.is_some_and(|e| e.is_invalid_value()));
}

#[derive(Debug, PartialEq, TarsStruct)]
struct Old {
    #[tars(tag = 0, require)]
    a: i32,
    #[tars(tag = 2)]
    c: String,
}

#[derive(Debug, PartialEq, TarsStruct)]
struct New {
    #[tars(tag = 0, require)]
    a: i32,
    #[tars(tag = 1)]
    b: TarsMap<String, Vec<i64>>,
    #[tars(tag = 2)]
    c: String,
    #[tars(tag = 3)]
    d: Vec<Old>,
    #[tars(tag = 200)]
    e: f64,
}

#[test]
fn unknown_tags_between_and_after_known_fields_are_skipped() {
    let new = New {
        a: 7,
        b: vec![("k".to_owned(), vec![1, 1 << 40])].into(),
        c: "kept".to_owned(),
        d: vec![Old {
            a: 1,
            c: "x".to_owned(),
        }],
        e: 2.5,
    };
    let nested = field(&new, 0);
    let mut r = Reader::new(&nested);
    let old: Old = r.read_required(0, "test").expect("decode old from new");
    assert_eq!(
        old,
        Old {
            a: 7,
            c: "kept".to_owned()
        }
    );
    assert!(r.is_empty(), "the reader skipped through the struct end");
}

#[derive(Debug, PartialEq, TarsStruct)]
struct WithDefaults {
    #[tars(tag = 0, require)]
    name: String,
    #[tars(tag = 1, default = 1)]
    version: i32,
    #[tars(tag = 2, default = true)]
    suffix: bool,
    #[tars(tag = 3, default = "_")]
    concat: String,
    #[tars(tag = 4)]
    kind: String,
}

#[test]
fn optional_fields_absent_or_present_with_default_decode_the_same() {
    let absent = unhex("06 01 78");
    let present = unhex("06 01 78 10 01 20 01 36 01 5f 46 00");
    let a: WithDefaults = tars_codec::from_slice(&absent).expect("absent");
    let b: WithDefaults = tars_codec::from_slice(&present).expect("present");
    assert_eq!(a, b);
    assert_eq!((a.version, a.suffix, a.concat.as_str()), (1, true, "_"));
    // Encoding omits defaults except bools, as tars2cpp does.
    assert_eq!(fields(&a), unhex("06 01 78 20 01"));
}

#[test]
fn a_missing_require_field_names_its_struct_and_tag() {
    let err = tars_codec::from_slice::<WithDefaults>(&unhex("10 02")).expect_err("must fail");
    assert!(err.is_missing_field());
    assert_eq!(err.path().collect::<Vec<_>>(), vec![("WithDefaults", 0)]);
}

#[test]
fn nested_errors_carry_the_path_from_the_outside_in() {
    // New.d[0].a holds a string instead of an int.
    let bytes = unhex("00 07 39 00 01 0a 06 01 78 0b");
    let err = tars_codec::from_slice::<New>(&bytes).expect_err("must fail");
    assert!(err.is_type_mismatch());
    assert_eq!(err.path().collect::<Vec<_>>(), vec![("New", 3), ("Old", 0)]);
    assert!(err.to_string().contains("at New[3] > Old[0]"), "{err}");
}

#[test]
fn strings_in_either_form_decode_and_gbk_survives_byte_exact() {
    #[derive(Debug, PartialEq, TarsStruct)]
    struct S<'a> {
        #[tars(tag = 0, require)]
        short: &'a [u8],
        #[tars(tag = 1, require)]
        long: &'a [u8],
    }
    // "中文" in GBK as String4, and a short ASCII string as String4 too.
    let bytes = unhex("07 00 00 00 04 d6 d0 ce c4 17 00 00 00 01 41");
    let s: S<'_> = tars_codec::from_slice(&bytes).expect("decode");
    assert_eq!(s.short, [0xd6, 0xd0, 0xce, 0xc4]);
    assert_eq!(s.long, b"A");
    // Re-encoding picks the short form for both.
    assert_eq!(fields(&s), unhex("06 04 d6 d0 ce c4 16 01 41"));
}

#[test]
fn maps_decode_in_any_entry_order_and_encode_in_key_order() {
    let ordered = unhex("08 00 02 06 01 61 10 01 06 01 62 10 02");
    let reversed = unhex("08 00 02 06 01 62 10 02 06 01 61 10 01");
    let decode = |b: &[u8]| {
        let mut r = Reader::new(b);
        let head = r.read_head().expect("head");
        let m = TarsMap::<String, i32>::decode(&mut r, head.ty).expect("map");
        (
            m.get(&"a".to_owned()).copied(),
            m.get(&"b".to_owned()).copied(),
            field(&m, 0),
        )
    };
    assert_eq!(decode(&ordered), (Some(1), Some(2), ordered.clone()));
    assert_eq!(decode(&reversed), (Some(1), Some(2), ordered));
}

#[test]
fn nesting_beyond_the_depth_limit_is_an_error_not_a_stack_overflow() {
    // Old.a = 1, then an unknown tag-1 field opening 100 000 nested structs, to be skipped.
    let deep = vec![0x0a; 100_000];
    let bytes = [&[0x00, 0x01, 0x1a][..], &deep].concat();
    let err = tars_codec::from_slice::<Old>(&bytes).err();
    assert!(err.is_some_and(|e| e.is_limit()));
    // The same with 50 000 nested one-element lists.
    let lists = [0x09, 0x00, 0x01].repeat(50_000);
    let err =
        tars_codec::from_slice::<Old>(&[&[0x00, 0x01, 0x19, 0x00, 0x01][..], &lists].concat())
            .err();
    assert!(err.is_some_and(|e| e.is_limit()));
    let mut r = Reader::new(&deep).with_max_depth(8);
    let err = r.skip_value(tars_codec::WireType::StructBegin).err();
    assert!(err.is_some_and(|e| e.is_limit()));
}

#[test]
fn invalid_type_ids_are_errors() {
    for b in [0x0e, 0x0f] {
        let err = tars_codec::from_slice::<Old>(&[b]).err();
        assert!(err.is_some_and(|e| e.is_type_mismatch()), "type id {b:#x}");
    }
}

#[test]
fn tiny_optional_floats_are_written_not_rounded_to_the_default() {
    // Found by the round-trip property: TarsCpp's epsilon comparison would omit this value.
    #[derive(Debug, PartialEq, TarsStruct)]
    struct F {
        #[tars(tag = 0)]
        d: f64,
        #[tars(tag = 1)]
        f: f32,
    }
    let v = F {
        d: 1.297_694_648_432_545e-252,
        f: 1e-40,
    };
    let back: F = tars_codec::from_slice(&tars_codec::to_bytes(&v)).expect("decode");
    assert_eq!(back, v);
    assert!(tars_codec::to_bytes(&F { d: 0.0, f: 0.0 }).is_empty());
}
