//! An echo servant and a server started on a loopback port, shared by the integration tests.

#![allow(dead_code, reason = "each test file uses part of this")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tars_codec::packet::ret;
use tars_codec::tup::{UniAttribute, UniAttributeWriter};
use tars_codec::{Encode, Protocol, Reader};
use tars_rpc::{Metrics, Reply, ReplyFuture, Request, Servant, Server, ServerConfig};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub(crate) const ECHO: &str = "Test.EchoServer.EchoObj";

/// Echoes `string s` (tag 1) back as the return value; counts one-way calls; `slow` answers
/// after 200 ms and signals `slow_started` when it begins.
pub(crate) struct Echo {
    pub(crate) one_way_calls: Arc<AtomicUsize>,
    pub(crate) slow_started: Arc<Notify>,
}

impl Servant for Echo {
    fn call(&self, request: Request) -> ReplyFuture {
        let counter = Arc::clone(&self.one_way_calls);
        let slow_started = Arc::clone(&self.slow_started);
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
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Reply::Ok(Bytes::new())
                }
                _ => Reply::error(ret::NO_FUNCTION, "no such function"),
            }
        })
    }
}

pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) shutdown: CancellationToken,
    pub(crate) done: tokio::task::JoinHandle<()>,
    pub(crate) one_way_calls: Arc<AtomicUsize>,
    slow_started: Arc<Notify>,
}

impl Running {
    /// Waits until a `slow` call is running in the servant (each start is seen once).
    pub(crate) async fn slow_call_running(&self) {
        tokio::time::timeout(Duration::from_secs(5), self.slow_started.notified())
            .await
            .expect("the slow call reaches the servant within 5 s (was it sent?)");
    }
}

pub(crate) async fn start(config: ServerConfig) -> Running {
    start_with_metrics(config, Metrics::default()).await
}

pub(crate) async fn start_with_metrics(config: ServerConfig, metrics: Metrics) -> Running {
    let one_way_calls = Arc::new(AtomicUsize::new(0));
    let slow_started = Arc::new(Notify::new());
    let echo = Echo {
        one_way_calls: Arc::clone(&one_way_calls),
        slow_started: Arc::clone(&slow_started),
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
    }
}

/// Encodes `string s` at tag 1, the argument block of `echo`.
pub(crate) fn echo_args(s: &str) -> Vec<u8> {
    let mut buf = BytesMut::new();
    s.as_bytes().encode(1, &mut buf);
    buf.to_vec()
}
