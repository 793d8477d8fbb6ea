//! Hostile traffic against the server over loopback: thousands of connections opened and
//! dropped, a client that never reads its replies, truncated frames and garbage. The server
//! must keep serving everyone else, and a client that does not read must be throttled by
//! backpressure instead of growing the server's buffers.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use common::{ECHO, start};
use tars_codec::RequestPacket;
use tars_rpc::{Client, ServerConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Notify;

const T: Duration = Duration::from_secs(5);

fn ping_frame(id: i32) -> Vec<u8> {
    let p = RequestPacket::call(id, ECHO.as_bytes(), b"tars_ping", &[], 3000);
    let mut buf = BytesMut::new();
    p.write_frame(&mut buf, usize::MAX).expect("frame");
    buf.to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_connections_opened_and_dropped_leave_the_server_serving() {
    let s = start(ServerConfig::default()).await;
    for batch in 0..20 {
        let conns: Vec<_> = (0..500)
            .map(|i| async move {
                let mut c = TcpStream::connect(s.addr).await.expect("connect");
                // Half send a partial frame before vanishing.
                if i % 2 == 0 {
                    let _ = c.write_all(&[0, 0, 0, 40, 0x10]).await;
                }
            })
            .collect();
        tokio::time::timeout(T, futures::future::join_all(conns))
            .await
            .unwrap_or_else(|_| panic!("batch {batch} of connects stalled"));
    }
    let c = Client::connect(s.addr).await.expect("connect");
    assert_eq!(c.ping(ECHO, T).await.expect("ping").ret, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_throttled_and_others_are_still_served() {
    let s = start(ServerConfig::default()).await;
    let stubborn = TcpStream::connect(s.addr).await.expect("connect");
    let frames: Vec<u8> = (0..1000).flat_map(ping_frame).collect();
    // Write pings for two seconds without ever reading a reply; signal the first time a write
    // cannot make progress for 100 ms (the server stopped reading: backpressure). `write` is
    // cancel-safe, so a timed-out attempt loses no bytes and the frames stay aligned.
    let blocked = Arc::new(Notify::new());
    let writer = tokio::spawn({
        let blocked = Arc::clone(&blocked);
        async move {
            let mut stubborn = stubborn;
            let mut written = 0usize;
            let mut signalled = false;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
            while tokio::time::Instant::now() < deadline {
                let rest = &frames[written % frames.len()..];
                match tokio::time::timeout(Duration::from_millis(100), stubborn.write(rest)).await {
                    Ok(Ok(n)) if n > 0 => written += n,
                    Ok(_) => break,
                    Err(_) if !signalled => {
                        signalled = true;
                        blocked.notify_one();
                    }
                    Err(_) => {}
                }
            }
            (written, stubborn)
        }
    });
    tokio::time::timeout(Duration::from_secs(10), blocked.notified())
        .await
        .expect("the server stops reading a client that never reads (backpressure) within 10 s");
    let c = Client::connect(s.addr).await.expect("connect");
    for _ in 0..100 {
        assert_eq!(
            c.ping(ECHO, T)
                .await
                .expect("ping while another client stalls")
                .ret,
            0
        );
    }
    let (written, _stubborn) = writer.await.expect("writer");
    println!("the non-reading client got {written} bytes in before backpressure");
    // Replies pile up in the socket buffers only; once they are full the server stops reading
    // this connection, so the client cannot push more than the buffers hold.
    assert!(
        written < 64 * 1024 * 1024,
        "wrote {written} bytes without the server pushing back"
    );
}

#[tokio::test]
async fn truncated_frames_and_garbage_never_stop_other_connections() {
    let s = start(ServerConfig::default()).await;
    let inputs: [&[u8]; 5] = [
        &[0, 0, 0],
        &[0, 0, 0, 20, 0x10, 0x01],
        &[0xff; 64],
        &[0, 0, 0, 12, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f],
        &[0, 0, 0, 8, 0x1a, 0x1a, 0x1a, 0x1a],
    ];
    for bad in inputs {
        let mut c = TcpStream::connect(s.addr).await.expect("connect");
        c.write_all(bad).await.expect("write");
        drop(c);
    }
    let c = Client::connect(s.addr).await.expect("connect");
    assert_eq!(c.ping(ECHO, T).await.expect("ping").ret, 0);
}
