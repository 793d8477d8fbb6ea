//! `tars.tarslog.LogObj`: `logger` and `loggerbyInfo` (framework facts §1.6, §5.5).

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use tars_codec::packet::ret;
use tars_rpc::interfaces::log::{LOGGER, LOGGER_BY_INFO, LoggerArgs, LoggerByInfoArgs};
use tars_rpc::{Reply, ReplyFuture, Request, Servant};

use crate::metrics::Metrics;
use crate::path::{Layout, MAX_TRACE_ELEMENT, TRACE_FILE, Target};
use crate::writer::{Job, Writers};

/// The Log servant.
#[derive(Debug, Clone)]
pub struct LogServant {
    pub(crate) root: Arc<PathBuf>,
    pub(crate) layout: Arc<Layout>,
    pub(crate) tz: TimeZone,
    pub(crate) ipfix: bool,
    pub(crate) writers: Writers,
    pub(crate) metrics: Metrics,
    /// Where lines are also sent as documents, if shipping is on.
    pub(crate) shipping: Option<Shipping>,
    /// Where trace lines (`_t_trace_`) also go, if the trace pipeline runs.
    pub(crate) trace: Option<tars_trace::Feed>,
}

/// Shipping lines to the sink for search: one document per line in `<prefix><app>`.
#[derive(Debug, Clone)]
pub(crate) struct Shipping {
    pub(crate) sink: sink::Sink,
    pub(crate) index_prefix: String,
    pub(crate) boot_id: [u8; 8],
    pub(crate) seq: Arc<std::sync::atomic::AtomicU64>,
}

impl Shipping {
    /// The index of `app`: the prefix and the app name lowercased, characters an index name
    /// cannot hold replaced by `_`.
    pub(crate) fn index(&self, app: &[u8]) -> String {
        let mut index = self.index_prefix.clone();
        for &b in app {
            let c = char::from(b.to_ascii_lowercase());
            index.push(if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            });
        }
        index
    }

    fn batch(&self, who: &Who<'_>, file: &str, at: Timestamp, lines: &[&[u8]]) -> sink::Batch {
        let index = self.index(who.app);
        let mut batch = sink::Batch::with_capacity(lines.len() * 256, lines.len());
        let first = self
            .seq
            .fetch_add(lines.len() as u64, std::sync::atomic::Ordering::Relaxed);
        for (i, line) in lines.iter().enumerate() {
            let id = sink::doc_id(&[&self.boot_id, &(first + i as u64).to_le_bytes()]);
            let text = line.strip_suffix(b"\n").unwrap_or(line);
            let pushed = batch.push(sink::Op::Index, &index, id.as_str(), |d| {
                d.int("@timestamp", at.as_millisecond())
                    .str("app", who.app)
                    .str("server", who.server)
                    .str("file", file)
                    .str("node", who.node)
                    .str("line", text);
            });
            if pushed.is_err() {
                break;
            }
        }
        batch
    }
}

/// Who wrote a chunk, for shipped documents.
struct Who<'a> {
    app: &'a [u8],
    server: &'a [u8],
    node: &'a str,
}

/// What one request writes: a file and its bytes.
#[derive(Debug)]
pub struct Chunk {
    path: PathBuf,
    data: Bytes,
    count: u64,
    shipped: Option<sink::Batch>,
    /// The trace lines for the trace pipeline.
    traced: Option<tars_trace::Lines>,
}

impl Chunk {
    /// The file the lines go to.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The bytes appended to it.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// How many lines they hold.
    pub fn lines(&self) -> u64 {
        self.count
    }
}

impl LogServant {
    /// Also hands every trace line (`_t_trace_`) to the trace pipeline through `feed`.
    #[must_use]
    pub fn with_trace_feed(mut self, feed: tars_trace::Feed) -> Self {
        self.trace = Some(feed);
        self
    }

    /// Waits until every line accepted so far is in its file (flushed, not fsync'd).
    pub async fn flush(&self) {
        self.writers.flush().await;
    }

    fn node_name(request: &Request) -> String {
        request
            .context
            .entries()
            .iter()
            .find(|(k, v)| &k[..] == b"node_name" && !v.is_empty())
            .map_or_else(
                || peer_text(request.peer.ip()),
                |(_, v)| String::from_utf8_lossy(v).into_owned(),
            )
    }

    /// What `request`, arriving at `at`, writes: the file and the bytes, without writing them
    /// (`call_at` hands the chunk to a writer thread; the instruction-count benchmarks measure
    /// this part alone). `None` for a function the Log object does not have.
    ///
    /// # Errors
    /// The reply for arguments that do not decode or names that are not plain file names.
    pub fn prepare(&self, request: &Request, at: Timestamp) -> Result<Option<Chunk>, Reply> {
        let node = Self::node_name(request);
        let func = &*request.func_name;
        let decode = |e: tars_codec::Error| Reply::decode_error(&e);
        let refuse = |e: crate::path::UnsafeName| Reply::error(ret::UNKNOWN, e.0);
        if func == LOGGER.as_bytes() {
            let args: LoggerArgs<'_> = request.args().map_err(decode)?;
            let target = self
                .layout
                .logger(args.app, args.server, args.file, args.format)
                .map_err(|e| self.refused(e, args.buffer.len()))
                .map_err(refuse)?;
            let prefix = self.prefix(&node, b"|");
            let who = Who {
                app: args.app,
                server: args.server,
                node: &node,
            };
            return Ok(Some(self.join(
                &target,
                at,
                &prefix,
                &args.buffer,
                None,
                &who,
            )));
        }
        if func == LOGGER_BY_INFO.as_bytes() {
            let args: LoggerByInfoArgs<'_> = request.args().map_err(decode)?;
            let info = &args.info;
            if info.filename == TRACE_FILE {
                let target = self
                    .layout
                    .logger(b"_tars_", b"_trace_", TRACE_FILE, info.format)
                    .map_err(refuse)?;
                let mut prefix = self.prefix(&node, b"|");
                prefix.extend_from_slice(info.appname);
                prefix.push(b'|');
                prefix.extend_from_slice(info.servername);
                prefix.push(b'|');
                let who = Who {
                    app: info.appname,
                    server: info.servername,
                    node: &node,
                };
                let mut chunk = self.join(
                    &target,
                    at,
                    &prefix,
                    &args.buffer,
                    Some(MAX_TRACE_ELEMENT),
                    &who,
                );
                if self.trace.is_some() {
                    chunk.traced = Some(traced(&chunk, &node, &who, &args.buffer, at, self.ipfix));
                }
                return Ok(Some(chunk));
            }
            let target = self
                .layout
                .by_info(info)
                .map_err(|e| self.refused(e, args.buffer.len()))
                .map_err(refuse)?;
            let prefix = self.prefix(&node, info.separ);
            let who = Who {
                app: info.appname,
                server: info.servername,
                node: &node,
            };
            return Ok(Some(self.join(
                &target,
                at,
                &prefix,
                &args.buffer,
                None,
                &who,
            )));
        }
        Ok(None)
    }

    fn refused(&self, e: crate::path::UnsafeName, lines: usize) -> crate::path::UnsafeName {
        self.metrics.lines_refused.inc_by(lines as u64);
        tracing::warn!(message = "Log request refused.", reason = %e.0);
        e
    }

    fn prefix(&self, node: &str, separ: &[u8]) -> Vec<u8> {
        let mut prefix = Vec::new();
        if self.ipfix {
            prefix.extend_from_slice(node.as_bytes());
            prefix.extend_from_slice(separ);
        }
        prefix
    }

    /// Every element verbatim (clients add their own newline), each after `prefix`.
    fn join(
        &self,
        target: &Target,
        at: Timestamp,
        prefix: &[u8],
        buffer: &[&[u8]],
        max_element: Option<usize>,
        who: &Who<'_>,
    ) -> Chunk {
        let size: usize = buffer.iter().map(|l| l.len() + prefix.len()).sum();
        let mut data = Vec::with_capacity(size);
        let mut lines = 0;
        for line in buffer {
            if max_element.is_some_and(|max| line.len() > max) {
                self.metrics.lines_refused.inc();
                continue;
            }
            data.extend_from_slice(prefix);
            data.extend_from_slice(line);
            lines += 1;
        }
        let path = target.file(&self.root, at, &self.tz);
        let shipped = self.shipping.as_ref().map(|shipping| {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let kept: Vec<&[u8]> = buffer
                .iter()
                .copied()
                .filter(|l| max_element.is_none_or(|max| l.len() <= max))
                .collect();
            shipping.batch(who, &file, at, &kept)
        });
        Chunk {
            path,
            data: Bytes::from(data),
            count: lines,
            shipped,
            traced: None,
        }
    }
}

/// The trace pipeline's copy of a trace chunk: each kept element with the `node|app|server|`
/// prefix the pipeline parses. With `ipfix` that is the chunk's own bytes; without it (the
/// file lines lack the node) the elements are prefixed again.
fn traced(
    chunk: &Chunk,
    node: &str,
    who: &Who<'_>,
    buffer: &[&[u8]],
    at: Timestamp,
    ipfix: bool,
) -> tars_trace::Lines {
    let kept = buffer.iter().filter(|l| l.len() <= MAX_TRACE_ELEMENT);
    let mut ends = Vec::with_capacity(buffer.len());
    let data = if ipfix {
        let prefix = node.len() + who.app.len() + who.server.len() + 3;
        let mut end = 0;
        for line in kept {
            end += prefix + line.len();
            ends.push(u32::try_from(end).unwrap_or(u32::MAX));
        }
        chunk.data.clone()
    } else {
        let mut data = Vec::with_capacity(chunk.data.len() + buffer.len() * (node.len() + 1));
        for line in kept {
            for part in [node.as_bytes(), b"|", who.app, b"|", who.server, b"|", line] {
                data.extend_from_slice(part);
            }
            ends.push(u32::try_from(data.len()).unwrap_or(u32::MAX));
        }
        Bytes::from(data)
    };
    tars_trace::Lines {
        data,
        ends,
        at_ms: at.as_millisecond(),
    }
}

fn peer_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or_else(|| v6.to_string(), |v4| v4.to_string()),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

impl Servant for LogServant {
    fn call(&self, request: Request) -> ReplyFuture {
        self.call_at(&request, Timestamp::now())
    }
}

impl LogServant {
    /// Handles `request` as if it arrived at `at` (tests drive file rolling with this).
    pub fn call_at(&self, request: &Request, at: Timestamp) -> ReplyFuture {
        let lines = match self.prepare(request, at) {
            Ok(Some(lines)) => lines,
            Ok(None) => {
                let reply = Reply::no_function("Log", &request.func_name);
                return Box::pin(async move { reply });
            }
            Err(reply) => return Box::pin(async move { reply }),
        };
        let shard = self.writers.shard(&lines.path).clone();
        let shipping = self.shipping.clone();
        let metrics = self.metrics.clone();
        let trace = self.trace.clone();
        let mut lines = lines;
        let traced = lines.traced.take();
        Box::pin(async move {
            if let (Some(shipping), Some(batch)) = (shipping, lines.shipped) {
                let docs = batch.len() as u64;
                // Waits while the sink's queue is full; a closed sink only costs the copies.
                if shipping.sink.submit(batch).await.is_err() {
                    metrics.lines_not_shipped.inc_by(docs);
                }
            }
            if lines.data.is_empty() {
                return Reply::Ok(Bytes::new());
            }
            // Waits while the writer's queue is full: callers are slowed, nothing is dropped.
            let job = Job::Write {
                path: lines.path,
                data: lines.data,
                lines: lines.count,
            };
            if shard.send(job).await.is_err() {
                return Reply::error(ret::UNKNOWN, "log writer stopped");
            }
            // The trace file is written (queued) first, whatever the pipeline does; this waits
            // while the pipeline's queue is full, and a stopped pipeline costs only the copies.
            if let (Some(trace), Some(traced)) = (trace, traced) {
                let _ = trace.send(traced).await;
            }
            Reply::Ok(Bytes::new())
        })
    }
}
