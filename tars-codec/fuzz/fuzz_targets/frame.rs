//! The frame decoder over arbitrary bytes arriving in arbitrary chunks; each frame is then
//! decoded as a packet.
#![no_main]

mod common;

use bytes::BytesMut;
use tars_codec::FrameCodec;
use tokio_util::codec::Decoder;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk.max(1));
    let mut codec = FrameCodec::new().with_max_frame_len(1 << 20);
    let mut buf = BytesMut::new();
    for piece in rest.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => common::roundtrip(&frame),
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
