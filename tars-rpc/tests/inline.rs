//! Calls a servant answers inline ([`tars_rpc::Servant::answer_now`]) over real loopback TCP:
//! results written into the connection's reused body buffer reach the right caller, failures
//! and one-way calls behave as for ordinary calls, the context is visible, and an inline answer
//! over the frame limit becomes a -2 reply.

mod common;

use std::sync::atomic::Ordering;

use bytes::BytesMut;
use tars_codec::packet::{self, ret};
use tars_codec::{Encode, Reader, RequestPacket};
use tars_rpc::ServerConfig;

use common::{Client, ECHO, echo_args, request, response, start};

fn echoed(frame: &bytes::Bytes) -> (i32, i32, Vec<u8>) {
    let r = response(frame);
    let s = Reader::new(r.buffer.0)
        .read_required::<&[u8]>(0, "ret")
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    (r.request_id, r.ret, s)
}

#[tokio::test]
async fn pipelined_inline_answers_each_carry_their_own_result() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    // Long, short, empty, long again: a body not cleared between calls would show.
    let texts = [
        "a".repeat(300),
        "bc".to_owned(),
        String::new(),
        "d".repeat(40),
    ];
    let mut burst = Vec::new();
    for (id, text) in (1..).zip(&texts) {
        burst.extend(request(1, 0, id, ECHO, "echo_now", &echo_args(text)));
    }
    c.send(&burst).await;
    for (id, text) in (1..).zip(&texts) {
        let frame = c.next().await.expect("reply");
        assert_eq!(echoed(&frame), (id, 0, text.as_bytes().to_vec()));
    }
}

#[tokio::test]
async fn inline_failures_and_bad_arguments_get_their_codes() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    c.send(&request(1, 0, 1, ECHO, "fail_now", &[])).await;
    let frame = c.next().await.expect("reply");
    let r = response(&frame);
    assert_eq!((r.request_id, r.ret), (1, ret::NO_FUNCTION));
    assert_eq!(r.result_desc, b"failed inline");
    c.send(&request(1, 0, 2, ECHO, "echo_now", &[])).await;
    let frame = c.next().await.expect("reply");
    let r = response(&frame);
    assert_eq!((r.request_id, r.ret), (2, ret::DECODE_ERROR));
    assert!(
        String::from_utf8_lossy(r.result_desc).contains("require field 1 not present"),
        "names the missing field: {:?}",
        String::from_utf8_lossy(r.result_desc)
    );
}

#[tokio::test]
async fn one_way_inline_calls_run_and_get_no_reply() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    let mut burst = request(1, packet::ONE_WAY, 1, ECHO, "echo_now", &echo_args("x"));
    burst.extend(request(1, 0, 2, ECHO, "tars_ping", &[]));
    c.send(&burst).await;
    let frame = c.next().await.expect("reply");
    assert_eq!(
        response(&frame).request_id,
        2,
        "the one-way call got no reply"
    );
    assert_eq!(s.one_way_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn inline_calls_see_the_callers_context() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    let mut p = RequestPacket::call(9, ECHO.as_bytes(), b"context_now", &[], 3000);
    p.context.push(b"other", b"1");
    p.context.push(b"k", b"from the caller");
    let mut frame = BytesMut::new();
    p.write_frame(&mut frame, usize::MAX).expect("frame");
    c.send(&frame).await;
    let reply = c.next().await.expect("reply");
    assert_eq!(echoed(&reply), (9, 0, b"from the caller".to_vec()));
}

#[tokio::test]
async fn an_inline_answer_over_the_frame_limit_becomes_minus_2() {
    let s = start(ServerConfig {
        max_frame_bytes: 200,
        ..ServerConfig::default()
    })
    .await;
    let mut c = Client::connect(s.addr).await;
    let mut args = BytesMut::new();
    300_i32.encode(1, &mut args);
    let frame = request(1, 0, 4, ECHO, "repeat_now", &args);
    assert!(
        frame.len() <= 200,
        "the request itself fits: {}",
        frame.len()
    );
    c.send(&frame).await;
    let reply = c.next().await.expect("reply");
    let r = response(&reply);
    assert_eq!((r.request_id, r.ret), (4, ret::ENCODE_ERROR));
    assert!(r.buffer.0.is_empty());
    // The connection stays usable and the next inline answer is whole.
    let mut args = BytesMut::new();
    100_i32.encode(1, &mut args);
    c.send(&request(1, 0, 5, ECHO, "repeat_now", &args)).await;
    let reply = c.next().await.expect("reply");
    assert_eq!(echoed(&reply), (5, 0, vec![b'z'; 100]));
}
