//! The closed-loop ceiling servers' shared part (`examples/raw_ping.rs`, one blocking thread per
//! connection, and `examples/tokio_ceiling.rs`, tokio with batched writes): every TARS request
//! is answered with a fixed `ResponsePacket` that carries the request's id, without decoding
//! anything else.

use tars_codec::WireType;

/// Payload bytes after a head of this wire type, for the integer types a request id can have.
fn int_payload(head: u8) -> Option<usize> {
    match WireType::from_id(head)? {
        WireType::Byte => Some(1),
        WireType::Short => Some(2),
        WireType::Int => Some(4),
        WireType::Long => Some(8),
        WireType::ZeroTag => Some(0),
        _ => None,
    }
}

/// The request id field (head and payload) of a request packet: fields 1..=3 are integers,
/// field 4 is `iRequestId`.
pub fn request_id(packet: &[u8]) -> Option<&[u8]> {
    let mut at = 0;
    loop {
        let head = *packet.get(at)?;
        let size = int_payload(head)?;
        if head >> 4 == 4 {
            return packet.get(at..at + 1 + size);
        }
        at += 1 + size;
    }
}

/// Appends the framed response for a request whose id field is `id`.
pub fn respond(id: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0, 0, 0, 0, 0x10, 0x01, 0x2c, 0x30 | (id[0] & 0x0f)]);
    out.extend_from_slice(&id[1..]);
    // iMessageType 0, iRet 0, empty sBuffer, empty status, empty sResultDesc, empty context.
    out.extend_from_slice(&[
        0x4c, 0x5c, 0x6d, 0x00, 0x0c, 0x78, 0x0c, 0x86, 0x00, 0x98, 0x0c,
    ]);
    let len = u32::try_from(out.len() - start).unwrap_or(u32::MAX);
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

/// Answers every whole frame at the start of `input` into `out`; returns how many bytes of
/// `input` were consumed, or `None` when the stream is not TARS (the connection is dropped).
pub fn answer_frames(input: &[u8], max_frame: usize, out: &mut Vec<u8>) -> Option<usize> {
    let mut at = 0;
    while let Some(b) = input.get(at..at + 4) {
        let len = usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok()?;
        if len < 4 || len > max_frame {
            return None;
        }
        let Some(packet) = input.get(at + 4..at + len) else {
            break;
        };
        respond(request_id(packet)?, out);
        at += len;
    }
    Some(at)
}
