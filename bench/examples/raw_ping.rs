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

use tarsplane_bench::ceiling::answer_frames;

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
        let Some(at) = answer_frames(&input[..have], input.len(), &mut out) else {
            return Ok(());
        };
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
