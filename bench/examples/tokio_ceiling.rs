//! The ceiling of a tokio server on this machine: answers every TARS request with a fixed
//! `ResponsePacket` carrying the request's id and decodes nothing else, reading whatever has
//! arrived and writing all its answers with one `write` (batched, as tarsplane's connections
//! do). A multi-thread runtime with one worker per core, like `tarsplane up`.
//!
//! `cargo run --release -p tarsplane-bench --example tokio_ceiling -- 17991`, then
//! `tars-load --addr 127.0.0.1:17991 --server-pid <pid>`; `scripts/bench-peers` runs it beside
//! tarsplane and TarsGo.

use tarsplane_bench::ceiling::answer_frames;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Reads and answers until the peer closes or sends something that is not TARS.
async fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut input = vec![0u8; 1 << 16];
    let mut have = 0;
    let mut out = Vec::with_capacity(1 << 16);
    loop {
        let n = stream.read(&mut input[have..]).await?;
        if n == 0 {
            return Ok(());
        }
        have += n;
        let Some(at) = answer_frames(&input[..have], input.len(), &mut out) else {
            return Ok(());
        };
        stream.write_all(&out).await?;
        out.clear();
        input.copy_within(at..have, 0);
        have -= at;
    }
}

fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).unwrap_or_else(|| "17991".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(format!("127.0.0.1:{port}")).await?;
        println!("tokio_ceiling listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(serve(stream));
        }
    })
}
