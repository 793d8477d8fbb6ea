//! One connection: read frames, dispatch calls concurrently (pipelining), write replies
//! matched by request id, stop reading while the in-flight cap is reached.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::stream::FuturesUnordered;
use futures::{FutureExt as _, StreamExt};
use tars_codec::frame::write_frame;
use tars_codec::packet::{self, ret};
use tars_codec::tup::{self};
use tars_codec::{
    FrameCodec, Protocol, Reader, RequestPacket, ResponsePacket, SimpleList, Struct, StructDecode,
    TarsMap,
};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;
use tracing::{debug, trace, warn};

use crate::server::Shared;
use crate::{Call, Inline, Reply, ReplyFuture, Request, TARS_PING};

/// What the reply to one request needs from it.
struct Pending {
    version: i16,
    protocol: Option<Protocol>,
    request_id: i32,
    message_type: i32,
    /// Object and function for TUP requests, whose replies echo them; `None` otherwise, and then
    /// the reply is a ResponsePacket.
    names: Option<(Bytes, Bytes)>,
}

/// A call under way; one-way calls resolve to `None` (no reply) but still count against the
/// in-flight cap, so a flood of one-way reports cannot grow without bound.
type InFlight =
    std::pin::Pin<Box<dyn std::future::Future<Output = Option<(Pending, Reply)>> + Send>>;

/// What to do with one frame.
enum Dispatch {
    /// A servant call to wait for.
    Call(InFlight),
    /// A reply known at once (`tars_ping`, unknown object, unsupported version).
    Reply(Pending, Reply),
    /// A success answered inline, its results in the connection's body buffer.
    Written(Pending),
    /// Nothing to wait for.
    Nothing,
    /// The request cannot be decoded: close the connection, as TarsCpp does.
    Close,
}

/// Replies are written once this many bytes are pending, even if more requests are buffered.
const WRITE_BATCH_BYTES: usize = 64 * 1024;

pub(crate) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    let (read, mut write) = stream.into_split();
    let config = &shared.config;
    let codec = FrameCodec::new().with_max_frame_len(config.max_frame_bytes);
    let mut frames = FramedRead::new(read, codec);
    let mut in_flight: FuturesUnordered<InFlight> = FuturesUnordered::new();
    let mut out = BytesMut::new();
    // Where servants answering inline put their results: reused, so such answers allocate nothing.
    let mut body = BytesMut::new();
    let mut reading = true;
    let mut tally = Tally::default();
    // One timer for the connection, re-armed only when it fires early: no timer per request.
    let mut last_activity = Instant::now();
    let idle_timer = tokio::time::sleep(config.idle_timeout());
    tokio::pin!(idle_timer);
    loop {
        if !reading && in_flight.is_empty() {
            break;
        }
        let can_read = reading && in_flight.len() < config.max_in_flight_per_connection;
        tokio::select! {
            biased;
            Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                if let Some((pending, reply)) = done {
                    tally.replied(encode_reply(&mut out, &pending, reply, config.max_frame_bytes), &shared);
                }
                // Batch every reply that is already done into one write.
                while let Some(Some(done)) = in_flight.next().now_or_never() {
                    if let Some((pending, reply)) = done {
                        tally.replied(encode_reply(&mut out, &pending, reply, config.max_frame_bytes), &shared);
                    }
                }
            }
            () = shutdown.cancelled(), if reading => {
                reading = false;
            }
            () = &mut idle_timer, if reading => {
                let deadline = last_activity + config.idle_timeout();
                if Instant::now() >= deadline {
                    debug!(message = "Closing an idle connection.", %peer);
                    shared.metrics.refuse("idle_timeout");
                    reading = false;
                } else {
                    idle_timer.as_mut().reset(deadline);
                }
            }
            frame = frames.next(), if can_read => {
                last_activity = Instant::now();
                // Handle every request already buffered before writing the replies.
                let mut next = Some(frame);
                while let Some(frame) = next.take() {
                    match frame {
                        Some(Ok(frame)) => match dispatch(&shared, &frame, peer, &mut tally, &mut body) {
                            Dispatch::Call(call) => in_flight.push(call),
                            Dispatch::Reply(pending, reply) => {
                                tally.replied(encode_reply(&mut out, &pending, reply, config.max_frame_bytes), &shared);
                            }
                            Dispatch::Written(pending) => {
                                let code = encode_answer(&mut out, &pending, ret::SUCCESS, &body, b"", config.max_frame_bytes);
                                tally.replied(code, &shared);
                            }
                            Dispatch::Nothing => {}
                            Dispatch::Close => {
                                tally.flush(&shared);
                                return;
                            }
                        },
                        Some(Err(error)) => {
                            debug!(message = "Closing a connection on a framing error.", %peer, %error);
                            shared.metrics.refuse(if error.is_frame() { "bad_frame_length" } else { "read_failed" });
                            reading = false;
                            if error.is_frame() {
                                tally.flush(&shared);
                                return;
                            }
                            break;
                        }
                        None => {
                            reading = false;
                            break;
                        }
                    }
                    if in_flight.len() >= config.max_in_flight_per_connection
                        || out.len() >= WRITE_BATCH_BYTES
                    {
                        break;
                    }
                    next = frames.next().now_or_never();
                }
            }
        }
        if !out.is_empty() {
            tally.flush(&shared);
            if let Err(error) = write.write_all(&out).await {
                debug!(message = "Failed to write replies; closing the connection.", %peer, %error);
                shared.metrics.refuse("write_failed");
                return;
            }
            out.clear();
        }
    }
    tally.flush(&shared);
    let _ = write.shutdown().await;
}

/// Counts kept per connection and added to the shared counters once per write, so the hot path
/// touches no shared cache line per request.
#[derive(Default)]
struct Tally {
    requests: u64,
    ok: u64,
}

impl Tally {
    fn replied(&mut self, ret: i32, shared: &Shared) {
        if ret == tars_codec::packet::ret::SUCCESS {
            self.ok += 1;
        } else {
            shared.metrics.reply(ret, 1);
        }
    }

    fn flush(&mut self, shared: &Shared) {
        if self.requests > 0 {
            shared.metrics.requests.inc_by(self.requests);
        }
        shared
            .metrics
            .reply(tars_codec::packet::ret::SUCCESS, self.ok);
        *self = Self::default();
    }
}

/// Decodes one request and answers it inline (into `body` or with a reply) or starts its call.
fn dispatch(
    shared: &Arc<Shared>,
    frame: &Bytes,
    peer: SocketAddr,
    tally: &mut Tally,
    body: &mut BytesMut,
) -> Dispatch {
    let mut reader = Reader::from_bytes(frame).with_max_depth(shared.config.max_nesting_depth);
    let packet: RequestPacket<'_> = match RequestPacket::decode_fields(&mut reader) {
        Ok(p) => p,
        Err(error) => {
            debug!(message = "Closing a connection on an undecodable request.", %peer, %error);
            shared.metrics.refuse("undecodable_request");
            return Dispatch::Close;
        }
    };
    tally.requests += 1;
    let one_way = packet.is_one_way();
    let protocol = Protocol::from_version(packet.version).ok();
    let pending = Pending {
        version: packet.version,
        protocol,
        request_id: packet.request_id,
        message_type: packet.message_type,
        names: (protocol == Some(Protocol::Tup)).then(|| {
            (
                frame.slice_ref(packet.servant_name),
                frame.slice_ref(packet.func_name),
            )
        }),
    };
    trace!(
        message = "Request.",
        %peer,
        request_id = pending.request_id,
        func = %String::from_utf8_lossy(packet.func_name)
    );
    let ready = |pending, reply| {
        if one_way {
            Dispatch::Nothing
        } else {
            Dispatch::Reply(pending, reply)
        }
    };
    let Some(protocol) = pending.protocol else {
        let desc = format!("unsupported packet version {}", pending.version);
        return ready(pending, Reply::error(ret::DECODE_ERROR, desc));
    };
    if packet.func_name == TARS_PING {
        return ready(pending, Reply::Ok(Bytes::new()));
    }
    let Some(servant) = shared.servants.get(packet.servant_name) else {
        let desc = format!(
            "no servant {} on this port",
            String::from_utf8_lossy(packet.servant_name)
        );
        return ready(pending, Reply::error(ret::NO_SERVANT, desc));
    };
    body.clear();
    let call = Call::borrowed(
        protocol,
        packet.request_id,
        (packet.servant_name, packet.func_name),
        packet.buffer.0,
        packet.timeout,
        &packet.context,
        one_way,
        peer,
        shared.config.max_nesting_depth,
    );
    match servant.answer_now(&call, body) {
        Some(Inline::Written) if one_way => return Dispatch::Nothing,
        Some(Inline::Written) => return Dispatch::Written(pending),
        Some(Inline::Reply(reply)) => return ready(pending, reply),
        None => {}
    }
    let request = Request {
        protocol,
        request_id: packet.request_id,
        servant_name: frame.slice_ref(packet.servant_name),
        func_name: frame.slice_ref(packet.func_name),
        args: frame.slice_ref(packet.buffer.0),
        timeout_ms: packet.timeout,
        context: packet
            .context
            .iter()
            .map(|(k, v)| (frame.slice_ref(k), frame.slice_ref(v)))
            .collect(),
        one_way,
        peer,
        max_depth: shared.config.max_nesting_depth,
    };
    start_call(shared, servant.as_ref(), request, pending)
}

/// Starts a servant call that is not answered inline, or answers overload (-9) when the
/// server-wide limit of running calls is reached.
fn start_call(
    shared: &Arc<Shared>,
    servant: &dyn crate::Servant,
    request: Request,
    pending: Pending,
) -> Dispatch {
    let one_way = request.one_way;
    let Some(slot) = CallSlot::take(shared) else {
        shared.metrics.refuse("max_in_flight_total");
        warn!(
            message = "Too many calls running; answering overload.",
            peer = %request.peer,
            max_in_flight_total = shared.config.max_in_flight_total
        );
        if one_way {
            return Dispatch::Nothing;
        }
        return Dispatch::Reply(pending, Reply::error(ret::OVERLOAD, "server overloaded"));
    };
    let limit = u64::try_from(request.timeout_ms)
        .ok()
        .filter(|&ms| ms > 0)
        .map_or(shared.config.default_call_timeout(), Duration::from_millis);
    let call: ReplyFuture = servant.call(request);
    Dispatch::Call(Box::pin(async move {
        let reply = tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
            Reply::error(
                ret::QUEUE_TIMEOUT,
                format!("call did not finish within {} ms", limit.as_millis()),
            )
        });
        drop(slot);
        (!one_way).then_some((pending, reply))
    }))
}

/// One running servant call, counted against `max_in_flight_total` until dropped.
struct CallSlot(Arc<Shared>);

impl CallSlot {
    fn take(shared: &Arc<Shared>) -> Option<Self> {
        let running = shared.calls_running.fetch_add(1, Ordering::Relaxed);
        if running >= shared.config.max_in_flight_total {
            shared.calls_running.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(Self(Arc::clone(shared)))
    }
}

impl Drop for CallSlot {
    fn drop(&mut self) {
        self.0.calls_running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Appends the framed reply to `out` and returns the return code sent. A reply too large for
/// the frame limit is replaced by a -2 (encode error) reply.
fn encode_reply(
    out: &mut BytesMut,
    pending: &Pending,
    reply: Reply,
    max_frame_bytes: usize,
) -> i32 {
    match reply {
        Reply::Ok(buffer) => {
            encode_answer(out, pending, ret::SUCCESS, &buffer, b"", max_frame_bytes)
        }
        Reply::Err { ret, desc } => {
            encode_answer(out, pending, ret, &[], desc.as_bytes(), max_frame_bytes)
        }
    }
}

/// [`encode_reply`] for a reply in parts: return code, results, description.
fn encode_answer(
    out: &mut BytesMut,
    pending: &Pending,
    code: i32,
    buffer: &[u8],
    desc: &[u8],
    max_frame_bytes: usize,
) -> i32 {
    if let Err(error) = write_reply(out, pending, code, buffer, desc, max_frame_bytes) {
        debug!(message = "Reply exceeds the frame limit; answering an encode error.", %error);
        let desc = b"reply larger than the frame limit";
        let _ = write_reply(out, pending, ret::ENCODE_ERROR, &[], desc, max_frame_bytes);
        return ret::ENCODE_ERROR;
    }
    code
}

/// One reply frame in the request's protocol: a ResponsePacket for TARS (and unsupported
/// versions), a RequestPacket-shaped reply for TUP.
fn write_reply(
    out: &mut BytesMut,
    pending: &Pending,
    code: i32,
    buffer: &[u8],
    desc: &[u8],
    max_frame_bytes: usize,
) -> tars_codec::Result<()> {
    if let Some((servant_name, func_name)) = &pending.names {
        let echo = tup::Echo {
            version: pending.version,
            message_type: pending.message_type,
            request_id: pending.request_id,
            servant_name,
            func_name,
        };
        return tup::write_response(out, max_frame_bytes, &echo, buffer, code, desc);
    }
    let reply = ResponsePacket {
        version: pending.version,
        packet_type: packet::NORMAL,
        request_id: pending.request_id,
        message_type: pending.message_type,
        ret: code,
        buffer: SimpleList(buffer),
        status: TarsMap::new(),
        result_desc: desc,
        context: TarsMap::new(),
    };
    write_frame(out, max_frame_bytes, |b| reply.encode_fields(b))
}
