//! The server over real loopback TCP, driven by a raw client built from the codec: pings in
//! TARS v1 and TUP v3, dispatch to a servant, pipelining, one-way calls, and the error paths
//! (unknown object, unsupported version, undecodable packets, oversized frames).

use std::sync::atomic::Ordering;
use std::time::Duration;

use tars_codec::packet::{self, ret};
use tars_codec::tup::{UniAttribute, UniAttributeWriter};
use tars_codec::{Reader, RequestPacket};
use tars_rpc::ServerConfig;
use tokio::net::TcpStream;

mod common;

use common::{
    Client, ECHO, echo_args, request, request_with_timeout, response, start, start_with_metrics,
};

#[tokio::test]
async fn tars_ping_is_answered_for_any_object_without_reaching_a_servant() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    c.send(&request(1, 0, 7, "Any.Other.Obj", "tars_ping", &[]))
        .await;
    let frame = c.next().await.expect("reply");
    let r = response(&frame);
    assert_eq!(
        (r.version, r.packet_type, r.request_id, r.ret),
        (1, 0, 7, 0)
    );
    assert!(r.buffer.0.is_empty());
}

#[tokio::test]
async fn a_call_reaches_its_servant_and_the_reply_carries_the_result() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    c.send(&request(1, 0, 42, ECHO, "echo", &echo_args("hello")))
        .await;
    let frame = c.next().await.expect("reply");
    let r = response(&frame);
    assert_eq!((r.request_id, r.ret), (42, 0));
    let mut rd = Reader::new(r.buffer.0);
    assert_eq!(rd.read_required::<&[u8]>(0, "ret").expect("ret"), b"hello");
}

#[tokio::test]
async fn unknown_objects_and_functions_get_minus_4_and_minus_3() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    c.send(&request(1, 0, 1, "No.Such.Obj", "echo", &[])).await;
    let f = c.next().await.expect("reply");
    let r = response(&f);
    assert_eq!(r.ret, ret::NO_SERVANT);
    assert!(String::from_utf8_lossy(r.result_desc).contains("No.Such.Obj"));
    c.send(&request(1, 0, 2, ECHO, "nope", &[])).await;
    let f = c.next().await.expect("reply");
    assert_eq!(response(&f).ret, ret::NO_FUNCTION);
}

#[tokio::test]
async fn tup_v3_calls_get_a_request_packet_shaped_reply() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    let args = UniAttributeWriter::new()
        .put(b"s", &b"tup!".as_slice())
        .finish();
    c.send(&request(3, 0, 9, ECHO, "echo", &args)).await;
    let frame = c.next().await.expect("reply");
    let p: RequestPacket<'_> = tars_codec::from_slice(&frame).expect("TUP reply");
    assert_eq!((p.version, p.request_id, p.func_name), (3, 9, &b"echo"[..]));
    assert!(p.status.is_empty(), "success carries no result code");
    let attrs = UniAttribute::decode(p.buffer.0).expect("attrs");
    assert_eq!(attrs.get::<&[u8]>(b"tars_ret").expect("ret"), b"tup!");

    c.send(&request(3, 0, 10, "No.Such.Obj", "echo", &args))
        .await;
    let frame = c.next().await.expect("reply");
    let p: RequestPacket<'_> = tars_codec::from_slice(&frame).expect("TUP reply");
    assert_eq!(
        p.status.get(&packet::status::RESULT_CODE),
        Some(&&b"-4"[..])
    );
    assert_eq!(p.buffer.0, [0x08, 0x0c], "an empty UniAttribute on errors");
}

#[tokio::test]
async fn unsupported_versions_are_answered_with_minus_1_naming_the_version() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    c.send(&request(5, 0, 3, ECHO, "echo", b"{}")).await;
    let f = c.next().await.expect("reply");
    let r = response(&f);
    assert_eq!((r.version, r.ret), (5, ret::DECODE_ERROR));
    assert_eq!(r.result_desc, b"unsupported packet version 5");
}

#[tokio::test]
async fn one_way_calls_run_and_get_no_reply() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    c.send(&request(
        1,
        packet::ONE_WAY,
        1,
        ECHO,
        "echo",
        &echo_args("x"),
    ))
    .await;
    c.send(&request(1, packet::ONE_WAY, 2, ECHO, "tars_ping", &[]))
        .await;
    c.send(&request(1, 0, 3, ECHO, "tars_ping", &[])).await;
    let f = c.next().await.expect("reply");
    assert_eq!(
        response(&f).request_id,
        3,
        "the first reply is the normal call's"
    );
    assert_eq!(s.one_way_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn pipelined_requests_are_all_answered_and_matched_by_id() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    let mut batch = Vec::new();
    for id in 0..500 {
        let func = if id % 100 == 0 { "slow" } else { "echo" };
        batch.extend(request(1, 0, id, ECHO, func, &echo_args(&id.to_string())));
    }
    c.send(&batch).await;
    s.finish_slow_calls();
    let mut seen = vec![false; 500];
    for _ in 0..500 {
        let f = c.next().await.expect("reply");
        let r = response(&f);
        assert_eq!(r.ret, 0);
        seen[r.request_id as usize] = true;
    }
    assert!(seen.iter().all(|&s| s));
}

#[tokio::test]
async fn frames_split_anywhere_and_frames_larger_than_a_read_are_reassembled() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    c.write.as_ref().set_nodelay(true).expect("nodelay");
    let big = "b".repeat(100_000);
    let texts = ["one".to_owned(), big.clone(), "three".to_owned(), big];
    let mut stream = Vec::new();
    for (id, text) in (1..).zip(&texts) {
        // Both paths: answered inline and through a servant call.
        let func = if id % 2 == 0 { "echo_now" } else { "echo" };
        stream.extend(request(1, 0, id, ECHO, func, &echo_args(text)));
    }
    // Uneven pieces: prefixes and fields cut in the middle, several frames in one write.
    let mut rest = &stream[..];
    for size in [1, 2, 3, 5, 7, 11, 4096, 3, 65_536].into_iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        c.send(piece).await;
        rest = tail;
    }
    let mut replies = Vec::new();
    for _ in &texts {
        let frame = c.next().await.expect("reply");
        let r = response(&frame);
        let text = Reader::new(r.buffer.0)
            .read_required::<&[u8]>(0, "ret")
            .expect("ret")
            .to_vec();
        replies.push((r.request_id, text));
    }
    replies.sort();
    let expected: Vec<_> = (1..)
        .zip(&texts)
        .map(|(id, t)| (id, t.as_bytes().to_vec()))
        .collect();
    assert_eq!(replies, expected);
}

#[tokio::test]
async fn undecodable_packets_and_oversized_frames_close_the_connection() {
    let s = start(ServerConfig {
        max_frame_bytes: 1024,
        ..ServerConfig::default()
    })
    .await;
    let mut c = Client::connect(s.addr).await;
    c.send(&[0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff, 0xff]).await;
    assert!(c.next().await.is_none(), "garbage closes the connection");

    let mut c = Client::connect(s.addr).await;
    c.send(&[0, 0, 0x10, 0, 1, 2, 3]).await;
    assert!(
        c.next().await.is_none(),
        "a frame over the limit closes the connection"
    );

    let mut c = Client::connect(s.addr).await;
    c.send(&[0, 0, 0, 2]).await;
    assert!(
        c.next().await.is_none(),
        "a length below 5 closes the connection"
    );

    // Other connections are unaffected.
    let mut c = Client::connect(s.addr).await;
    c.send(&request(1, 0, 1, ECHO, "tars_ping", &[])).await;
    assert!(c.next().await.is_some());
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_and_others_keep_working() {
    let s = start(ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    })
    .await;
    let mut a = Client::connect(s.addr).await;
    let mut b = Client::connect(s.addr).await;
    a.send(&request(1, 0, 1, ECHO, "tars_ping", &[])).await;
    b.send(&request(1, 0, 1, ECHO, "tars_ping", &[])).await;
    assert!(a.next().await.is_some() && b.next().await.is_some());
    let mut c = Client::connect(s.addr).await;
    assert!(c.next().await.is_none(), "the third connection is closed");
    a.send(&request(1, 0, 2, ECHO, "tars_ping", &[])).await;
    assert!(a.next().await.is_some());
}

#[tokio::test]
async fn shutdown_finishes_in_flight_calls_then_stops() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    c.send(&request(1, 0, 1, ECHO, "slow", &[])).await;
    s.slow_call_running().await;
    s.shutdown.cancel();
    s.finish_slow_calls();
    let f = c.next().await.expect("the in-flight call is answered");
    assert_eq!(response(&f).request_id, 1);
    assert!(c.next().await.is_none(), "then the connection closes");
    tokio::time::timeout(Duration::from_secs(5), s.done)
        .await
        .expect("the server stops after draining")
        .expect("server task");
    assert!(
        TcpStream::connect(s.addr).await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn a_call_running_past_its_timeout_is_answered_with_minus_6() {
    let s = start(ServerConfig::default()).await;
    let mut c = Client::connect(s.addr).await;
    c.send(&request_with_timeout(1, 0, 1, ECHO, "slow", &[], 20))
        .await;
    let f = c.next().await.expect("reply");
    let r = response(&f);
    assert_eq!(r.ret, ret::QUEUE_TIMEOUT);
    assert_eq!(r.result_desc, b"call did not finish within 20 ms");
}

#[tokio::test]
async fn calls_past_the_server_wide_limit_are_answered_with_minus_9() {
    let s = start(ServerConfig {
        max_in_flight_total: 1,
        ..ServerConfig::default()
    })
    .await;
    let mut a = Client::connect(s.addr).await;
    let mut b = Client::connect(s.addr).await;
    a.send(&request(1, 0, 1, ECHO, "slow", &[])).await;
    s.slow_call_running().await;
    b.send(&request(1, 0, 2, ECHO, "echo", &echo_args("x")))
        .await;
    let f = b.next().await.expect("reply");
    assert_eq!(response(&f).ret, ret::OVERLOAD);
    // tars_ping is answered by the framework even when servants are saturated.
    b.send(&request(1, 0, 3, ECHO, "tars_ping", &[])).await;
    let f = b.next().await.expect("reply");
    assert_eq!(response(&f).ret, 0);
    s.finish_slow_calls();
    let f = a.next().await.expect("the slow call still completes");
    assert_eq!(response(&f).ret, 0);
}

#[tokio::test]
async fn metrics_count_connections_requests_replies_and_refusals() {
    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = tars_rpc::Metrics::register(&mut registry);
    let s = start_with_metrics(ServerConfig::default(), metrics).await;
    let mut c = Client::connect(s.addr).await;
    c.send(&request(1, 0, 1, ECHO, "tars_ping", &[])).await;
    c.send(&request(1, 0, 2, "No.Such.Obj", "x", &[])).await;
    c.send(&request(
        1,
        packet::ONE_WAY,
        3,
        ECHO,
        "echo",
        &echo_args("x"),
    ))
    .await;
    c.send(&request(1, 0, 4, ECHO, "echo", &echo_args("y")))
        .await;
    for _ in 0..3 {
        c.next().await.expect("reply");
    }
    let mut bad = Client::connect(s.addr).await;
    bad.send(&[0, 0, 0, 2]).await;
    assert!(bad.next().await.is_none());
    drop(c);
    s.shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), s.done)
        .await
        .expect("stops")
        .expect("task");
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");
    for line in [
        "tars_rpc_connections_opened_total 2",
        "tars_rpc_connections_closed_total 2",
        "tars_rpc_requests_total 4",
        "tars_rpc_replies_total{ret=\"0\"} 2",
        "tars_rpc_replies_total{ret=\"-4\"} 1",
        "tars_rpc_refused_total{reason=\"bad_frame_length\"} 1",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

#[tokio::test]
async fn a_tup_reply_over_the_frame_limit_becomes_a_tup_shaped_minus_2() {
    let s = start(ServerConfig {
        max_frame_bytes: 220,
        ..ServerConfig::default()
    })
    .await;
    let mut c = Client::connect(s.addr).await;
    // The reply carries the 100-byte string twice ("" and "tars_ret"): over 220 bytes.
    let args = UniAttributeWriter::new()
        .put(b"s", &"x".repeat(100).as_bytes())
        .finish();
    let frame = request(3, 0, 5, ECHO, "echo", &args);
    assert!(
        frame.len() <= 220,
        "the request itself fits: {}",
        frame.len()
    );
    c.send(&frame).await;
    let reply = c.next().await.expect("reply");
    let p: RequestPacket<'_> = tars_codec::from_slice(&reply).expect("a TUP-shaped reply");
    assert_eq!((p.version, p.request_id), (3, 5));
    assert_eq!(
        p.status.get(&packet::status::RESULT_CODE),
        Some(&&b"-2"[..])
    );
}

/// Replies carry an empty context whatever the request's: TarsGo copies each answer's
/// context into the context map its framework calls share (from several goroutines); echoing
/// even `node_name` there made TarsGo v1.4.6 clients stop resolving their objects.
#[tokio::test]
async fn replies_carry_an_empty_context() {
    let s = start(ServerConfig::default()).await;
    let client = tars_rpc::Client::connect(s.addr).await.expect("connect");
    let context = [("node_name", "test-hello-1.test-hello"), ("other", "x")];
    let timeout = Duration::from_secs(5);
    for func in ["echo", "tars_ping"] {
        let args = if func == "echo" {
            echo_args("hi")
        } else {
            Vec::new()
        };
        let response = client
            .invoke_with_context(ECHO, func, &args, &context, timeout)
            .await
            .expect("call");
        assert!(
            response.context.is_empty(),
            "{func}: {:?}",
            response.context
        );
    }
}
