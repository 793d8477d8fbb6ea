//! A TARS client over one TCP connection: requests are multiplexed by request id, so many calls
//! can be in flight at once; one-way calls get no reply; every call has a timeout.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use tars_codec::frame::DEFAULT_MAX_FRAME_LEN;
use tars_codec::packet;
use tars_codec::{FrameCodec, RequestPacket, ResponsePacket, Struct, StructDecode};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::FramedRead;
use tracing::debug;

/// Frames queued for the writer task before callers wait.
const WRITE_QUEUE: usize = 1024;

/// A client call's failure.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The connection could not be opened.
    #[error("failed to connect to {addr}")]
    ConnectFailed {
        /// The server.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// No reply within the timeout (TARS code -7).
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// The connection closed before the reply arrived.
    #[error("connection closed")]
    Disconnected,
    /// The request is larger than the frame limit.
    #[error("request cannot be framed")]
    EncodeFailed(#[source] tars_codec::Error),
}

/// A reply to a normal call.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// `iRet`: the framework code, 0 on success.
    pub ret: i32,
    /// `sBuffer`: the return value at tag 0, then out-parameters.
    pub buffer: Bytes,
    /// `sResultDesc`.
    pub desc: Bytes,
    /// `context`: what the server put in the reply's context.
    pub context: Vec<(Bytes, Bytes)>,
}

impl Response {
    /// Decodes the reply's buffer as an interface's `*Result` struct, borrowing from it.
    ///
    /// # Errors
    ///
    /// The decode error; check [`Response::ret`] first, a failed call carries no result.
    pub fn decode<'a, T: StructDecode<'a>>(&'a self) -> Result<T, tars_codec::Error> {
        tars_codec::from_bytes(&self.buffer)
    }
}

type Waiters = Arc<Mutex<HashMap<i32, oneshot::Sender<Response>>>>;

/// One multiplexed connection to a TARS server. Cheap to clone; clones share the connection.
#[derive(Debug, Clone)]
pub struct Client {
    frames: mpsc::Sender<Bytes>,
    waiters: Waiters,
    next_id: Arc<AtomicI32>,
}

impl Client {
    /// Connects to `addr` and starts the connection's reader and writer tasks.
    ///
    /// # Errors
    ///
    /// Fails when the TCP connection cannot be opened.
    pub async fn connect(addr: SocketAddr) -> Result<Self, CallError> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|source| CallError::ConnectFailed { addr, source })?;
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let (frames, queue) = mpsc::channel(WRITE_QUEUE);
        let waiters: Waiters = Arc::default();
        tokio::spawn(write_loop(write, queue));
        tokio::spawn(read_loop(read, Arc::clone(&waiters)));
        Ok(Self {
            frames,
            waiters,
            next_id: Arc::new(AtomicI32::new(1)),
        })
    }

    fn request(
        servant: &str,
        func: &str,
        args: &[u8],
        packet_type: i8,
        id: i32,
        timeout: Duration,
        context: &[(&str, &str)],
    ) -> Result<Bytes, CallError> {
        let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        let mut p = RequestPacket::call(id, servant.as_bytes(), func.as_bytes(), args, timeout_ms);
        p.packet_type = packet_type;
        for (key, value) in context {
            p.context.insert(key.as_bytes(), value.as_bytes());
        }
        let mut buf = BytesMut::new();
        p.write_frame(&mut buf, DEFAULT_MAX_FRAME_LEN)
            .map_err(CallError::EncodeFailed)?;
        Ok(buf.freeze())
    }

    /// Calls `func` on `servant` with the encoded `args` and waits for the reply.
    ///
    /// # Errors
    ///
    /// Times out, or fails when the connection closes or the request cannot be framed. A
    /// framework failure on the server is a [`Response`] with a non-zero `ret`.
    pub async fn invoke(
        &self,
        servant: &str,
        func: &str,
        args: &[u8],
        timeout: Duration,
    ) -> Result<Response, CallError> {
        self.invoke_with_context(servant, func, args, &[], timeout)
            .await
    }

    /// As [`Client::invoke`], with `context` entries in the request packet's context (what
    /// TARS clients send there, e.g. `node_name`).
    ///
    /// # Errors
    ///
    /// As [`Client::invoke`].
    pub async fn invoke_with_context(
        &self,
        servant: &str,
        func: &str,
        args: &[u8],
        context: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<Response, CallError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let frame = Self::request(servant, func, args, packet::NORMAL, id, timeout, context)?;
        let (tx, rx) = oneshot::channel();
        self.waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, tx);
        let outcome = tokio::time::timeout(timeout, async {
            self.frames
                .send(frame)
                .await
                .map_err(|_| CallError::Disconnected)?;
            rx.await.map_err(|_| CallError::Disconnected)
        })
        .await;
        if let Ok(result) = outcome {
            result
        } else {
            self.waiters
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
            Err(CallError::Timeout(timeout))
        }
    }

    /// Sends a one-way call: the server runs it and sends nothing back.
    ///
    /// # Errors
    ///
    /// Fails when the connection is closed or the request cannot be framed.
    pub async fn invoke_one_way(
        &self,
        servant: &str,
        func: &str,
        args: &[u8],
    ) -> Result<(), CallError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let frame = Self::request(
            servant,
            func,
            args,
            packet::ONE_WAY,
            id,
            Duration::ZERO,
            &[],
        )?;
        self.frames
            .send(frame)
            .await
            .map_err(|_| CallError::Disconnected)
    }

    /// Calls `func` with an interface's `*Args` struct; decode the reply with
    /// [`Response::decode`].
    ///
    /// # Errors
    ///
    /// As [`Client::invoke`].
    pub async fn call<A: Struct>(
        &self,
        servant: &str,
        func: &str,
        args: &A,
        timeout: Duration,
    ) -> Result<Response, CallError> {
        self.invoke(servant, func, &tars_codec::to_bytes(args), timeout)
            .await
    }

    /// Calls the built-in `tars_ping`.
    ///
    /// # Errors
    ///
    /// As [`Client::invoke`].
    pub async fn ping(&self, servant: &str, timeout: Duration) -> Result<Response, CallError> {
        self.invoke(servant, "tars_ping", &[], timeout).await
    }
}

/// Writes queued frames, batching whatever is already queued into one write.
async fn write_loop(mut write: OwnedWriteHalf, mut queue: mpsc::Receiver<Bytes>) {
    let mut batch = BytesMut::new();
    while let Some(frame) = queue.recv().await {
        batch.extend_from_slice(&frame);
        while batch.len() < 64 * 1024 {
            match queue.try_recv() {
                Ok(frame) => batch.extend_from_slice(&frame),
                Err(_) => break,
            }
        }
        if let Err(error) = write.write_all(&batch).await {
            debug!(message = "Client write failed; closing.", %error);
            return;
        }
        batch.clear();
    }
}

/// Hands each reply to the caller waiting for its request id; on close, wakes every waiter.
async fn read_loop(read: OwnedReadHalf, waiters: Waiters) {
    let mut frames = FramedRead::new(read, FrameCodec::new());
    while let Some(Ok(frame)) = frames.next().await {
        let Ok(reply) = tars_codec::from_bytes::<ResponsePacket<'_>>(&frame) else {
            debug!(message = "Client got an undecodable reply; closing.");
            break;
        };
        let waiter = waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&reply.request_id);
        if let Some(waiter) = waiter {
            let _ = waiter.send(Response {
                ret: reply.ret,
                buffer: frame.slice_ref(reply.buffer.0),
                desc: frame.slice_ref(reply.result_desc),
                context: reply
                    .context
                    .iter()
                    .map(|(k, v)| (frame.slice_ref(k), frame.slice_ref(v)))
                    .collect(),
            });
        }
    }
    waiters
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
}
