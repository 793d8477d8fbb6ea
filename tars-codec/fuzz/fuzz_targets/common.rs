//! Shared by the fuzz targets: decode a packet and, when it decodes, check that encoding it and
//! decoding again gives the same value (the round-trip property of the unit tests).

use tars_codec::packet::StringMap;
use tars_codec::{Reader, RequestPacket, ResponsePacket};

/// Map entries in the order the encoder writes them: stably sorted by key.
fn sorted<'a>(m: &StringMap<'a>) -> Vec<(&'a [u8], &'a [u8])> {
    let mut v = m.entries().to_vec();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

/// Decodes `data` as each packet shape and walks it as raw fields; panics only on a broken
/// round trip, which is a bug.
pub fn roundtrip(data: &[u8]) {
    if let Ok(p) = tars_codec::from_slice::<RequestPacket<'_>>(data) {
        let again = tars_codec::to_bytes(&p);
        let back: RequestPacket<'_> = tars_codec::from_slice(&again).expect("re-decode request");
        assert_eq!(sorted(&back.context), sorted(&p.context));
        assert_eq!(sorted(&back.status), sorted(&p.status));
        let strip = |mut q: RequestPacket<'_>| {
            q.context = StringMap::new();
            q.status = StringMap::new();
            format!("{q:?}")
        };
        assert_eq!(strip(back), strip(p));
    }
    if let Ok(p) = tars_codec::from_slice::<ResponsePacket<'_>>(data) {
        let again = tars_codec::to_bytes(&p);
        let back: ResponsePacket<'_> = tars_codec::from_slice(&again).expect("re-decode response");
        assert_eq!(
            (back.request_id, back.ret, back.buffer, back.result_desc),
            (p.request_id, p.ret, p.buffer, p.result_desc)
        );
    }
    let mut r = Reader::new(data);
    while let Ok(head) = r.read_head() {
        if r.skip_value(head.ty).is_err() {
            break;
        }
    }
}
