//! The closed-loop ceiling of this machine: a server that decodes nothing and answers every
//! TARS request with a fixed `ResponsePacket` carrying the request's id, one blocking OS thread
//! per connection (`read`, answer every whole frame in the buffer, one `write`).
//!
//! `cargo run --release -p tarsplane-bench --example raw_ping -- 17990`, then
//! `tars-load --addr 127.0.0.1:17990 --connections 16 --depth 1 --server-pid <pid>`.
//! Its p50 next to `tarsplane up`'s shows how much of the closed-loop latency is the kernel's
//! loopback path and the wake-ups rather than the server (bench/RESULTS.md, 2026-12-03).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

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
fn request_id(packet: &[u8]) -> Option<&[u8]> {
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
fn respond(id: &[u8], out: &mut Vec<u8>) {
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

fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut input = vec![0u8; 1 << 16];
    let mut have = 0;
    let mut out = Vec::with_capacity(1 << 16);
    loop {
        let n = stream.read(&mut input[have..])?;
        if n == 0 {
            return Ok(());
        }
        have += n;
        let mut at = 0;
        while have - at >= 4 {
            let b = &input[at..at + 4];
            let len =
                usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).unwrap_or(usize::MAX);
            if len < 4 || len > input.len() {
                return Ok(());
            }
            if have - at < len {
                break;
            }
            match request_id(&input[at + 4..at + len]) {
                Some(id) => respond(id, &mut out),
                None => return Ok(()),
            }
            at += len;
        }
        stream.write_all(&out)?;
        out.clear();
        input.copy_within(at..have, 0);
        have -= at;
    }
}

fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).unwrap_or_else(|| "17990".into());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}"))?;
    eprintln!("raw_ping listening on {}", listener.local_addr()?);
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || serve(stream));
    }
    Ok(())
}
