//! An echo servant, a server started on a loopback port and a raw client built from the codec,
//! shared by the integration tests.

#![allow(dead_code, reason = "each test file uses part of this")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures::StreamExt;
use tars_codec::packet::ret;
use tars_codec::tup::{UniAttribute, UniAttributeWriter};
use tars_codec::{Encode, FrameCodec, Protocol, Reader, RequestPacket, ResponsePacket};
use tars_rpc::{Call, Inline, Metrics, Reply, ReplyFuture, Request, Servant, Server, ServerConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::{Notify, watch};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

pub(crate) const ECHO: &str = "Test.EchoServer.EchoObj";

/// Echoes `string s` (tag 1) back as the return value; counts one-way calls; `slow` signals
/// `slow_started` when it begins and answers once the test calls
/// [`Running::finish_slow_calls`] (never, in tests of timeouts).
///
/// Answered inline ([`Servant::answer_now`]): `echo_now` (as `echo`, written into the body; also
/// counts one-way calls), `context_now` (the caller's context value for `k`, or an empty
/// string), `repeat_now` (`int n` at tag 1: a string of `n` bytes `z`) and `fail_now` (a -3
/// failure).
pub(crate) struct Echo {
    pub(crate) one_way_calls: Arc<AtomicUsize>,
    pub(crate) slow_started: Arc<Notify>,
    /// `true` once slow calls may answer.
    pub(crate) slow_may_finish: watch::Receiver<bool>,
}

impl Servant for Echo {
    fn call(&self, request: Request) -> ReplyFuture {
        let counter = Arc::clone(&self.one_way_calls);
        let slow_started = Arc::clone(&self.slow_started);
        let mut slow_may_finish = self.slow_may_finish.clone();
        Box::pin(async move {
            if request.one_way {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            match (&request.func_name[..], request.protocol) {
                (b"echo", Protocol::Tars) => {
                    let mut r = Reader::new(&request.args);
                    match r.read_required::<&[u8]>(1, "echo") {
                        Ok(s) => {
                            let mut out = BytesMut::new();
                            s.encode(0, &mut out);
                            Reply::Ok(out.freeze())
                        }
                        Err(e) => Reply::error(ret::DECODE_ERROR, e.to_string()),
                    }
                }
                (b"echo", Protocol::Tup) => {
                    match UniAttribute::decode(&request.args).and_then(|a| a.get::<&[u8]>(b"s")) {
                        Ok(s) => Reply::Ok(UniAttributeWriter::new().put_return(&s).finish()),
                        Err(e) => Reply::error(ret::DECODE_ERROR, e.to_string()),
                    }
                }
                (b"slow", _) => {
                    slow_started.notify_one();
                    // Err only when the test has dropped its side: answer then too.
                    let _ = slow_may_finish.wait_for(|may| *may).await;
                    Reply::Ok(Bytes::new())
                }
                _ => Reply::error(ret::NO_FUNCTION, "no such function"),
            }
        })
    }

    fn answer_now(&self, call: &Call<'_>, body: &mut BytesMut) -> Option<Inline> {
        match call.func_name {
            b"echo_now" => {
                if call.one_way {
                    self.one_way_calls.fetch_add(1, Ordering::SeqCst);
                }
                Some(
                    match Reader::new(call.args).read_required::<&[u8]>(1, "s") {
                        Ok(s) => {
                            s.encode(0, body);
                            Inline::Written
                        }
                        Err(e) => Inline::Reply(Reply::decode_error(&e)),
                    },
                )
            }
            b"context_now" => {
                // Something in the body first, to show the connection clears it per call.
                body.put_slice(b"\x06\x03old");
                body.clear();
                call.context(b"k").unwrap_or_default().encode(0, body);
                Some(Inline::Written)
            }
            b"repeat_now" => Some(match Reader::new(call.args).read_required::<i32>(1, "n") {
                Ok(n) => {
                    let n = usize::try_from(n).unwrap_or(0);
                    vec![b'z'; n].as_slice().encode(0, body);
                    Inline::Written
                }
                Err(e) => Inline::Reply(Reply::decode_error(&e)),
            }),
            b"fail_now" => Some(Inline::Reply(Reply::error(
                ret::NO_FUNCTION,
                "failed inline",
            ))),
            _ => None,
        }
    }
}

pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) shutdown: CancellationToken,
    pub(crate) done: tokio::task::JoinHandle<()>,
    pub(crate) one_way_calls: Arc<AtomicUsize>,
    slow_started: Arc<Notify>,
    slow_may_finish: watch::Sender<bool>,
}

impl Running {
    /// Waits until a `slow` call is running in the servant (each start is seen once).
    pub(crate) async fn slow_call_running(&self) {
        tokio::time::timeout(Duration::from_secs(5), self.slow_started.notified())
            .await
            .expect("the slow call reaches the servant within 5 s (was it sent?)");
    }

    /// Lets every `slow` call, running or still to come, answer.
    pub(crate) fn finish_slow_calls(&self) {
        self.slow_may_finish.send_replace(true);
    }
}

pub(crate) async fn start(config: ServerConfig) -> Running {
    start_with_metrics(config, Metrics::default()).await
}

pub(crate) async fn start_with_metrics(config: ServerConfig, metrics: Metrics) -> Running {
    let one_way_calls = Arc::new(AtomicUsize::new(0));
    let slow_started = Arc::new(Notify::new());
    let (slow_may_finish, finish_rx) = watch::channel(false);
    let echo = Echo {
        one_way_calls: Arc::clone(&one_way_calls),
        slow_started: Arc::clone(&slow_started),
        slow_may_finish: finish_rx,
    };
    let server = Server::new(config)
        .metrics(metrics)
        .servant(ECHO, Arc::new(echo))
        .bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let addr = server.local_addr();
    let shutdown = CancellationToken::new();
    let done = tokio::spawn(server.run(shutdown.clone()));
    Running {
        addr,
        shutdown,
        done,
        one_way_calls,
        slow_started,
        slow_may_finish,
    }
}

/// Encodes `string s` at tag 1, the argument block of `echo`.
pub(crate) fn echo_args(s: &str) -> Vec<u8> {
    let mut buf = BytesMut::new();
    s.as_bytes().encode(1, &mut buf);
    buf.to_vec()
}

/// A raw TARS v1 or TUP request frame.
pub(crate) fn request(
    version: i16,
    packet_type: i8,
    id: i32,
    servant: &str,
    func: &str,
    args: &[u8],
) -> Vec<u8> {
    request_with_timeout(version, packet_type, id, servant, func, args, 3000)
}

pub(crate) fn request_with_timeout(
    version: i16,
    packet_type: i8,
    id: i32,
    servant: &str,
    func: &str,
    args: &[u8],
    timeout_ms: i32,
) -> Vec<u8> {
    let mut p = RequestPacket::call(id, servant.as_bytes(), func.as_bytes(), args, timeout_ms);
    p.version = version;
    p.packet_type = packet_type;
    let mut buf = BytesMut::new();
    p.write_frame(&mut buf, usize::MAX).expect("frame");
    buf.to_vec()
}

pub(crate) struct Client {
    frames: FramedRead<OwnedReadHalf, FrameCodec>,
    pub(crate) write: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    pub(crate) async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (read, write) = stream.into_split();
        Self {
            frames: FramedRead::new(read, FrameCodec::new()),
            write,
        }
    }

    pub(crate) async fn send(&mut self, bytes: &[u8]) {
        self.write.write_all(bytes).await.expect("write");
    }

    /// The next frame, `None` when the server closed the connection.
    pub(crate) async fn next(&mut self) -> Option<Bytes> {
        tokio::time::timeout(Duration::from_secs(5), self.frames.next())
            .await
            .expect("a reply or a close within 5 s; a hang means the server dropped the request")
            .and_then(Result::ok)
    }
}

pub(crate) fn response(frame: &Bytes) -> ResponsePacket<'_> {
    tars_codec::from_slice(frame).expect("a ResponsePacket")
}
