//! Wire compatibility with the real Node implementation, npm `@tars/stream` 2.0.3, driven
//! through `interop/node/codec-peer.js`: a value with every wire type (nested structs, maps with
//! struct keys, `vector<byte>`, unsigned types, two-byte tags) encoded by Node decodes in Rust,
//! and the same value encoded by Rust decodes in Node.

use std::collections::BTreeMap;

use bytes::BytesMut;
use tars_codec::{Decode, Encode, Reader, SimpleList, TarsMap, TarsStruct};
use tarsplane_interop::run_node;

#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "interop.Inner")]
struct Inner {
    #[tars(tag = 0, require)]
    a: i32,
    #[tars(tag = 1)]
    b: String,
}

#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "interop.Key", key(name, id))]
struct Key {
    #[tars(tag = 0, require)]
    name: String,
    #[tars(tag = 1, require)]
    id: i32,
}

#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "interop.AllTypes")]
#[allow(
    clippy::struct_field_names,
    reason = "mirrors the Node IDL fBool, fByte, ..."
)]
struct AllTypes {
    #[tars(tag = 0, require)]
    f_bool: bool,
    #[tars(tag = 1, require)]
    f_byte: i8,
    #[tars(tag = 2, require)]
    f_short: i16,
    #[tars(tag = 3, require)]
    f_int: i32,
    #[tars(tag = 4, require)]
    f_long: i64,
    #[tars(tag = 5, require)]
    f_float: f32,
    #[tars(tag = 6, require)]
    f_double: f64,
    #[tars(tag = 7, require)]
    f_string: String,
    #[tars(tag = 8, require)]
    f_long_string: String,
    #[tars(tag = 9, require)]
    f_bytes: SimpleList<Vec<u8>>,
    #[tars(tag = 10, require)]
    f_ints: Vec<i32>,
    #[tars(tag = 11, require)]
    f_map: BTreeMap<String, i32>,
    #[tars(tag = 12, require)]
    f_inner: Inner,
    #[tars(tag = 13, require)]
    f_inners: Vec<Inner>,
    #[tars(tag = 14, require)]
    f_struct_map: TarsMap<Key, Inner>,
    #[tars(tag = 15, require)]
    f_ubyte: u8,
    #[tars(tag = 16, require)]
    f_ushort: u16,
    #[tars(tag = 17, require)]
    f_uint: u32,
    #[tars(tag = 20, default = 7)]
    f_opt: i32,
    #[tars(tag = 200, require)]
    f_nested: BTreeMap<i32, Vec<String>>,
}

fn inner(a: i32, b: &str) -> Inner {
    Inner { a, b: b.to_owned() }
}

/// The canonical value `codec-peer.js` holds.
fn canonical() -> AllTypes {
    AllTypes {
        f_bool: true,
        f_byte: -5,
        f_short: -300,
        f_int: 70000,
        f_long: 1_234_567_890_123,
        f_float: 1.5,
        f_double: -2.25,
        f_string: "hello, tars".to_owned(),
        f_long_string: "x".repeat(300),
        f_bytes: SimpleList((0..=255u8).collect()),
        f_ints: vec![0, 1, -1, 127, 128, -129, 40000, i32::MIN, i32::MAX],
        f_map: [("b", 2), ("a", 1), ("c", -3)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        f_inner: inner(42, "inner"),
        f_inners: vec![inner(1, "one"), inner(0, ""), inner(-7, "seven")],
        f_struct_map: vec![
            (
                Key {
                    name: "k1".to_owned(),
                    id: 1,
                },
                inner(10, "v1"),
            ),
            (
                Key {
                    name: "k0".to_owned(),
                    id: 2,
                },
                inner(20, "v2"),
            ),
        ]
        .into(),
        f_ubyte: 200,
        f_ushort: 60000,
        f_uint: 4_000_000_000,
        f_opt: 9,
        f_nested: [
            (5, vec!["a".to_owned(), "bb".to_owned()]),
            (-1, vec![]),
            (300, vec!["ccc".to_owned()]),
        ]
        .into_iter()
        .collect(),
    }
}

/// Struct-keyed maps compare as sets of entries: their order on the wire carries no meaning.
fn assert_same(decoded: &AllTypes, expected: &AllTypes) {
    let sorted = |m: &TarsMap<Key, Inner>| {
        let mut v = m.entries().to_vec();
        v.sort_by(|a, b| tars_codec::KeyOrd::key_cmp(&a.0, &b.0));
        v
    };
    assert_eq!(
        sorted(&decoded.f_struct_map),
        sorted(&expected.f_struct_map)
    );
    let mut a = decoded.clone();
    let mut b = expected.clone();
    a.f_struct_map = TarsMap::new();
    b.f_struct_map = TarsMap::new();
    assert_eq!(a, b);
}

#[test]
fn values_encoded_by_node_decode_in_rust() {
    let out = run_node("codec-peer.js", &["encode"]);
    assert!(
        out.status.success(),
        "node encode failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hex = String::from_utf8(out.stdout).expect("hex is ASCII");
    let bytes = hex::decode(hex.trim()).expect("node printed hex");

    let mut r = Reader::new(&bytes);
    let decoded: AllTypes = r
        .read_required(0, "codec-peer")
        .expect("decode Node's bytes");
    assert!(
        r.is_empty(),
        "{} bytes left after the struct",
        r.remaining()
    );
    assert_same(&decoded, &canonical());
}

#[test]
fn values_encoded_by_rust_decode_in_node() {
    let mut buf = BytesMut::new();
    canonical().encode(0, &mut buf);
    let hex = hex::encode(&buf);
    let out = run_node("codec-peer.js", &["decode", &hex]);
    assert!(
        out.status.success(),
        "node rejected Rust's bytes (exit {:?}): {}\nhex: {hex}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn node_rejects_a_corrupted_value_so_the_check_has_teeth() {
    let mut buf = BytesMut::new();
    let mut value = canonical();
    value.f_string = "hello, rust".to_owned();
    value.encode(0, &mut buf);
    let out = run_node("codec-peer.js", &["decode", &hex::encode(&buf)]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "node should report the differing field"
    );
}

#[test]
fn rust_writes_struct_keyed_maps_in_key_order_and_reads_them_back() {
    let mut buf = BytesMut::new();
    canonical().encode(0, &mut buf);
    let mut r = Reader::new(&buf);
    let head = r.read_head().expect("head");
    let back = AllTypes::decode(&mut r, head.ty).expect("decode own bytes");
    assert_same(&back, &canonical());
    // Rust writes the struct-keyed map in key order, as TarsCpp does: k0 before k1.
    assert_eq!(back.f_struct_map.entries()[0].0.name, "k0");
}
