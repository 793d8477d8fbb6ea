//! One connection: read frames, dispatch calls concurrently (pipelining), write replies
//! matched by request id, stop reading while the in-flight cap is reached.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use std::ops::Range;

use bytes::{Buf, Bytes, BytesMut};
use futures::stream::FuturesUnordered;
use futures::{FutureExt as _, StreamExt};
use tars_codec::frame::{PREFIX_LEN, write_frame};
use tars_codec::packet::{self, ret};
use tars_codec::tup::{self};
use tars_codec::{
    FrameCodec, Protocol, Reader, RequestPacket, ResponsePacket, SimpleList, Struct, StructDecode,
    TarsMap,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, trace, warn};

use crate::servant::Context;
use crate::server::Shared;
use crate::{Call, Inline, Reply, ReplyFuture, Request, TARS_PING};

/// What the reply to one request needs from it.
struct Pending {
    version: i16,
    protocol: Option<Protocol>,
    request_id: i32,
    message_type: i32,
    /// Object and function for TUP requests, whose replies echo them; `None` otherwise, and then
    /// the reply is a ResponsePacket. Boxed: this travels with every request, TUP is rare.
    names: Option<Box<(Bytes, Bytes)>>,
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

/// Read buffer: grown to this much free space before each read, and to a whole frame once its
/// prefix has arrived.
const READ_CHUNK_BYTES: usize = 8 * 1024;

/// Why [`handle_buffered`] stopped.
enum Buffered {
    /// No whole frame left, or a cap reached: read (or wait) for more.
    Continue,
    /// A framing error or an undecodable request: close now.
    Close,
}

pub(crate) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    let (mut read, mut write) = stream.into_split();
    let config = &shared.config;
    let codec = FrameCodec::new().with_max_frame_len(config.max_frame_bytes);
    let mut input = BytesMut::new();
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
        if reading {
            let mut batch = Batch {
                shared: &shared,
                codec: &codec,
                peer,
                in_flight: &mut in_flight,
                out: &mut out,
                body: &mut body,
                tally: &mut tally,
            };
            if let Buffered::Close = batch.handle_buffered(&mut input) {
                tally.flush(&shared);
                return;
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
        if !reading && in_flight.is_empty() {
            break;
        }
        let can_read = reading && in_flight.len() < config.max_in_flight_per_connection;
        if can_read {
            reserve_for_read(&codec, &mut input);
        }
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
            read_result = read.read_buf(&mut input), if can_read => {
                last_activity = Instant::now();
                match read_result {
                    Ok(0) => reading = false,
                    Ok(_) => {}
                    Err(error) => {
                        debug!(message = "Closing a connection on a read error.", %peer, %error);
                        shared.metrics.refuse("read_failed");
                        reading = false;
                    }
                }
            }
        }
    }
    tally.flush(&shared);
    let _ = write.shutdown().await;
}

/// Makes room for the next read: the rest of a frame whose prefix has arrived, else at least
/// [`READ_CHUNK_BYTES`] (reusing the space of consumed frames when nothing else holds it).
fn reserve_for_read(codec: &FrameCodec, input: &mut BytesMut) {
    let missing = match codec.frame_len(input) {
        Ok(Some(len)) => len.saturating_sub(input.len()),
        // A bad prefix is reported by the next `handle_buffered`; no frame means a new one.
        _ => 0,
    };
    let want = missing.max(READ_CHUNK_BYTES / 2);
    if input.capacity() - input.len() < want {
        input.reserve(missing.max(READ_CHUNK_BYTES));
    }
}

/// What handling buffered frames needs from its connection.
struct Batch<'c> {
    shared: &'c Arc<Shared>,
    codec: &'c FrameCodec,
    peer: SocketAddr,
    in_flight: &'c mut FuturesUnordered<InFlight>,
    out: &'c mut BytesMut,
    body: &'c mut BytesMut,
    tally: &'c mut Tally,
}

impl Batch<'_> {
    /// Handles every whole frame in `input` before the replies are written, up to the in-flight
    /// cap and [`WRITE_BATCH_BYTES`] of pending replies.
    fn handle_buffered(&mut self, input: &mut BytesMut) -> Buffered {
        let config = &self.shared.config;
        while self.in_flight.len() < config.max_in_flight_per_connection
            && self.out.len() < WRITE_BATCH_BYTES
        {
            let len = match self.codec.frame_len(input) {
                Ok(Some(len)) if len <= input.len() => len,
                Ok(_) => break,
                Err(error) => {
                    debug!(message = "Closing a connection on a framing error.", peer = %self.peer, %error);
                    self.shared.metrics.refuse("bad_frame_length");
                    return Buffered::Close;
                }
            };
            let max = config.max_frame_bytes;
            match dispatch(self.shared, input, len, self.peer, self.tally, self.body) {
                Dispatch::Call(call) => self.in_flight.push(call),
                Dispatch::Reply(pending, reply) => {
                    let code = encode_reply(self.out, &pending, reply, max);
                    self.tally.replied(code, self.shared);
                }
                Dispatch::Written(pending) => {
                    let code = encode_answer(self.out, &pending, ret::SUCCESS, self.body, b"", max);
                    self.tally.replied(code, self.shared);
                }
                Dispatch::Nothing => {}
                Dispatch::Close => return Buffered::Close,
            }
        }
        Buffered::Continue
    }
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

/// Handles the request in the first `len` bytes of `input` (a whole frame, prefix included) and
/// consumes them: answered inline (into `body` or with a reply) from the bytes in place, or split
/// off as shared `Bytes` only when a servant call must outlive the read buffer.
fn dispatch(
    shared: &Arc<Shared>,
    input: &mut BytesMut,
    len: usize,
    peer: SocketAddr,
    tally: &mut Tally,
    body: &mut BytesMut,
) -> Dispatch {
    match decide(shared, &input[..len], peer, tally, body) {
        Decided::Done(dispatch) => {
            input.advance(len);
            dispatch
        }
        Decided::Call(servant, parts) => {
            let frame = input.split_to(len).freeze();
            let (request, pending) = parts.into_request(&frame, peer, shared);
            start_call(shared, servant.as_ref(), request, pending)
        }
    }
}

/// What [`decide`] concluded about one frame.
enum Decided<'s> {
    /// Handled; nothing borrows the frame any more.
    Done(Dispatch),
    /// Needs `servant`'s [`crate::Servant::call`], with the request as ranges of the frame.
    Call(&'s Arc<dyn crate::Servant>, Box<RequestParts>),
}

/// A request that goes to a servant call, located in its frame (prefix included).
struct RequestParts {
    pending: Pending,
    protocol: Protocol,
    timeout_ms: i32,
    one_way: bool,
    servant_name: Part,
    func_name: Part,
    args: Part,
    context: Vec<(Part, Part)>,
}

/// Where one field of a request is.
enum Part {
    /// These bytes of the frame.
    In(Range<usize>),
    /// Not in the frame (a field's static default): a copy.
    Outside(Bytes),
}

impl Part {
    /// Locates `field` in `frame`.
    fn of(field: &[u8], frame: &[u8]) -> Self {
        let start = field.as_ptr().addr().wrapping_sub(frame.as_ptr().addr());
        if start <= frame.len() && field.len() <= frame.len() - start {
            Self::In(start..start + field.len())
        } else {
            Self::Outside(Bytes::copy_from_slice(field))
        }
    }

    fn bytes(self, frame: &Bytes) -> Bytes {
        match self {
            Self::In(range) => frame.slice(range),
            Self::Outside(bytes) => bytes,
        }
    }
}

impl RequestParts {
    fn into_request(self, frame: &Bytes, peer: SocketAddr, shared: &Shared) -> (Request, Pending) {
        let request = Request {
            protocol: self.protocol,
            request_id: self.pending.request_id,
            servant_name: self.servant_name.bytes(frame),
            func_name: self.func_name.bytes(frame),
            args: self.args.bytes(frame),
            timeout_ms: self.timeout_ms,
            context: self
                .context
                .into_iter()
                .map(|(k, v)| (k.bytes(frame), v.bytes(frame)))
                .collect(),
            one_way: self.one_way,
            peer,
            max_depth: shared.config.max_nesting_depth,
        };
        (request, self.pending)
    }
}

/// Decodes one frame and answers it inline if it can.
fn decide<'s>(
    shared: &'s Shared,
    frame: &[u8],
    peer: SocketAddr,
    tally: &mut Tally,
    body: &mut BytesMut,
) -> Decided<'s> {
    let packet_bytes = &frame[PREFIX_LEN..];
    let mut reader = Reader::new(packet_bytes).with_max_depth(shared.config.max_nesting_depth);
    let packet: RequestPacket<'_> = match RequestPacket::decode_fields(&mut reader) {
        Ok(p) => p,
        Err(error) => {
            debug!(message = "Closing a connection on an undecodable request.", %peer, %error);
            shared.metrics.refuse("undecodable_request");
            return Decided::Done(Dispatch::Close);
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
            Box::new((
                Bytes::copy_from_slice(packet.servant_name),
                Bytes::copy_from_slice(packet.func_name),
            ))
        }),
    };
    trace!(
        message = "Request.",
        %peer,
        request_id = pending.request_id,
        func = %String::from_utf8_lossy(packet.func_name)
    );
    let ready = |pending, reply| {
        Decided::Done(if one_way {
            Dispatch::Nothing
        } else {
            Dispatch::Reply(pending, reply)
        })
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
    let call = Call {
        protocol,
        request_id: packet.request_id,
        servant_name: packet.servant_name,
        func_name: packet.func_name,
        args: packet.buffer.0,
        timeout_ms: packet.timeout,
        context: Context::Borrowed(&packet.context),
        one_way,
        peer,
        max_depth: shared.config.max_nesting_depth,
    };
    match servant.answer_now(&call, body) {
        Some(Inline::Written) if one_way => return Decided::Done(Dispatch::Nothing),
        Some(Inline::Written) => return Decided::Done(Dispatch::Written(pending)),
        Some(Inline::Reply(reply)) => return ready(pending, reply),
        None => {}
    }
    let at = |field: &[u8]| Part::of(field, frame);
    Decided::Call(
        servant,
        Box::new(RequestParts {
            pending,
            protocol,
            timeout_ms: packet.timeout,
            one_way,
            servant_name: at(packet.servant_name),
            func_name: at(packet.func_name),
            args: at(packet.buffer.0),
            context: packet.context.iter().map(|(k, v)| (at(k), at(v))).collect(),
        }),
    )
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
    if let Some(names) = &pending.names {
        let (servant_name, func_name) = &**names;
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
        // Always empty, as TarsCpp's: TarsGo copies each answer's context into the context map
        // all its framework calls share (deleting its keys first), from several goroutines; a
        // non-empty answer context (tried: echoing `node_name`) made TarsGo v1.4.6 clients
        // stop resolving their objects.
        context: TarsMap::new(),
    };
    write_frame(out, max_frame_bytes, |b| reply.encode_fields(b))
}
