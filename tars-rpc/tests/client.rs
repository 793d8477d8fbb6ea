//! The client against the server over loopback TCP: calls, pings, many concurrent calls on one
//! connection, one-way sends, timeouts and a closed connection.

mod common;

use std::time::Duration;

use common::{ECHO, echo_args, start};
use tars_codec::Reader;
use tars_rpc::{CallError, Client, ServerConfig};

const T: Duration = Duration::from_secs(5);

#[tokio::test]
async fn calls_and_pings_get_their_replies() {
    let s = start(ServerConfig::default()).await;
    let c = Client::connect(s.addr).await.expect("connect");
    assert_eq!(c.ping(ECHO, T).await.expect("ping").ret, 0);
    let r = c
        .invoke(ECHO, "echo", &echo_args("hi"), T)
        .await
        .expect("echo");
    assert_eq!(r.ret, 0);
    let s: &[u8] = Reader::new(&r.buffer).read_required(0, "ret").expect("ret");
    assert_eq!(s, b"hi");
    let r = c.invoke("No.Such.Obj", "x", &[], T).await.expect("reply");
    assert_eq!(r.ret, -4);
}

#[tokio::test]
async fn many_concurrent_calls_share_one_connection() {
    let s = start(ServerConfig::default()).await;
    let c = Client::connect(s.addr).await.expect("connect");
    let calls = (0..2000).map(|i| {
        let c = c.clone();
        tokio::spawn(async move {
            let text = i.to_string();
            let r = c
                .invoke(ECHO, "echo", &echo_args(&text), T)
                .await
                .expect("echo");
            let got: &[u8] = Reader::new(&r.buffer).read_required(0, "ret").expect("ret");
            assert_eq!(got, text.as_bytes());
        })
    });
    for call in calls {
        call.await.expect("call task");
    }
}

#[tokio::test]
async fn one_way_calls_are_sent_without_waiting() {
    let s = start(ServerConfig::default()).await;
    let c = Client::connect(s.addr).await.expect("connect");
    for _ in 0..10 {
        c.invoke_one_way(ECHO, "echo", &echo_args("x"))
            .await
            .expect("send");
    }
    // A normal call after them is answered after they were read.
    c.ping(ECHO, T).await.expect("ping");
    let deadline = tokio::time::Instant::now() + T;
    while s.one_way_calls.load(std::sync::atomic::Ordering::SeqCst) < 10 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "one-way calls did not all run"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_slow_reply_times_out_and_the_connection_stays_usable() {
    let s = start(ServerConfig::default()).await;
    let c = Client::connect(s.addr).await.expect("connect");
    let err = c
        .invoke(ECHO, "slow", &[], Duration::from_millis(20))
        .await
        .expect_err("times out");
    assert!(matches!(err, CallError::Timeout(_)));
    assert_eq!(c.ping(ECHO, T).await.expect("ping").ret, 0);
}

#[tokio::test]
async fn calls_fail_once_the_server_is_gone() {
    let s = start(ServerConfig::default()).await;
    let c = Client::connect(s.addr).await.expect("connect");
    c.ping(ECHO, T).await.expect("ping");
    s.shutdown.cancel();
    tokio::time::timeout(T, s.done)
        .await
        .expect("stops")
        .expect("task");
    let err = c.ping(ECHO, T).await.expect_err("disconnected");
    assert!(matches!(err, CallError::Disconnected), "{err:?}");
}
