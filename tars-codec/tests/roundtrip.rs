//! Properties: `decode(encode(x)) == x` for generated values of every wire type, and decoding
//! arbitrary bytes returns an error instead of panicking (the fuzz targets in `fuzz/` explore the
//! same with coverage guidance).

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use tars_codec::{
    Decode, Encode, FrameCodec, Reader, RequestPacket, SimpleList, TarsMap, TarsStruct, WireType,
};
use tokio_util::codec::Decoder;

#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "Leaf")]
struct Leaf {
    #[tars(tag = 0, require)]
    id: i64,
    #[tars(tag = 1)]
    name: Bytes,
    #[tars(tag = 2, default = 1)]
    version: i32,
}

#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "Everything")]
struct Everything {
    #[tars(tag = 0, require)]
    b: bool,
    #[tars(tag = 1, require)]
    i8_: i8,
    #[tars(tag = 2)]
    i16_: i16,
    #[tars(tag = 3)]
    i32_: i32,
    #[tars(tag = 4)]
    i64_: i64,
    #[tars(tag = 5)]
    u8_: u8,
    #[tars(tag = 6)]
    u16_: u16,
    #[tars(tag = 7)]
    u32_: u32,
    #[tars(tag = 8)]
    f: f32,
    #[tars(tag = 9)]
    d: f64,
    #[tars(tag = 10)]
    s: Bytes,
    #[tars(tag = 11)]
    raw: SimpleList<Bytes>,
    #[tars(tag = 12)]
    list: Vec<i64>,
    #[tars(tag = 13)]
    map: TarsMap<Bytes, Vec<Leaf>>,
    #[tars(tag = 14)]
    leaf: Leaf,
    #[tars(tag = 99)]
    tree: BTreeMap<i32, Bytes>,
    #[tars(tag = 255)]
    signed_bytes: Vec<i8>,
}

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn leaf() -> impl Strategy<Value = Leaf> {
    (any::<i64>(), bytes(40), any::<i32>()).prop_map(|(id, name, version)| Leaf {
        id,
        name,
        version,
    })
}

prop_compose! {
    fn everything()(
        b in any::<bool>(), i8_ in any::<i8>(), i16_ in any::<i16>(), i32_ in any::<i32>(),
        i64_ in any::<i64>(), u8_ in any::<u8>(), u16_ in any::<u16>(), u32_ in any::<u32>(),
        f in any::<f32>().prop_filter("NaN never equals itself", |v| !v.is_nan()),
        d in any::<f64>().prop_filter("NaN never equals itself", |v| !v.is_nan()),
        s in bytes(600), raw in bytes(300), list in prop::collection::vec(any::<i64>(), 0..20),
        map in prop::collection::btree_map(bytes(8), prop::collection::vec(leaf(), 0..3), 0..5),
        leaf in leaf(),
        tree in prop::collection::btree_map(any::<i32>(), bytes(10), 0..5),
        signed_bytes in prop::collection::vec(any::<i8>(), 0..50),
    ) -> Everything {
        Everything {
            b, i8_, i16_, i32_, i64_, u8_, u16_, u32_, f, d, s,
            raw: SimpleList(raw), list,
            // Key order, as the encoder writes it, so the decoded wire order is the same.
            map: map.into_iter().collect(),
            leaf, tree, signed_bytes,
        }
    }
}

fn canonical_floats(mut v: Everything) -> Everything {
    // -0.0 and 0.0 are equal, and both are omitted as an optional default.
    if v.f == 0.0 {
        v.f = 0.0;
    }
    if v.d == 0.0 {
        v.d = 0.0;
    }
    v
}

proptest! {
    #[test]
    fn decode_of_encode_is_identity_top_level(v in everything()) {
        let v = canonical_floats(v);
        let bytes = tars_codec::to_bytes(&v);
        let back: Everything = tars_codec::from_bytes(&bytes).expect("decode what we encoded");
        prop_assert_eq!(back, v);
    }

    #[test]
    fn decode_of_encode_is_identity_nested_in_a_list(vs in prop::collection::vec(everything(), 0..4)) {
        let vs: Vec<Everything> = vs.into_iter().map(canonical_floats).collect();
        let mut buf = BytesMut::new();
        vs.encode(3, &mut buf);
        let mut r = Reader::new(&buf);
        let back: Vec<Everything> = r.read_required(3, "test").expect("decode");
        prop_assert!(r.is_empty());
        prop_assert_eq!(back, vs);
    }

    #[test]
    fn arbitrary_bytes_decode_to_an_error_or_a_value_never_a_panic(input in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = tars_codec::from_slice::<Everything>(&input);
        let _ = tars_codec::from_slice::<RequestPacket<'_>>(&input);
        let mut r = Reader::new(&input);
        while let Ok(head) = r.read_head() {
            if r.skip_value(head.ty).is_err() {
                break;
            }
        }
        let mut buf = BytesMut::from(&input[..]);
        let mut codec = FrameCodec::new().with_max_frame_len(1 << 16);
        while let Ok(Some(_)) = codec.decode(&mut buf) {}
    }

    #[test]
    fn mutated_valid_encodings_never_panic(v in everything(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = tars_codec::to_bytes(&v).to_vec();
        if !bytes.is_empty() {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let _ = tars_codec::from_slice::<Everything>(&bytes);
        let mut r = Reader::new(&bytes);
        let _ = Everything::decode(&mut r, WireType::StructBegin);
    }
}
