//! The running pipeline: trace lines fed by the log service, merged as they come, open traces
//! polled every `poll_ms`, closed traces and changed graphs written through the sink.
//!
//! ```text
//! LogServant ─► Feed (bounded queue of element batches) ─► one task:
//!   each batch: parse + merge, one tars_call_log_<day> document per line
//!   every poll_ms: Traces::poll ─► tars_call_trace_<day> (id per trace id) + Graphs::add
//!   every graph_write_ms: changed graphs ─► tars_call_graph_<day> (id per shape)
//!   on shutdown: the queue drained, every open trace closed and written, graphs written
//! ```
//!
//! A trace opened again by lines that came after it closed (within the last
//! `max_closed_remembered` closed traces) is joined to its stored document: the document is
//! read back, the late spans merged into it, and it is written again whole under the same id.
//! Its graphs were counted when it first closed and are not counted again.
//!
//! The day of a document is the local day (the log service's time zone) when its trace's
//! first line arrived, as the reference took it from the trace file's name. At start, today's
//! and yesterday's graphs are read back from the store so that a restart adds to their counts.

use bytes::Bytes;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use sink::{Batch, Op, Sink};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::close::{Closed, Traces};
use crate::config::Config;
use crate::document::{
    graph_doc_id, graph_document, graph_from_document, graph_index, log_doc_id, log_document,
    log_index, trace_doc_id, trace_document, trace_from_document, trace_index,
};
use crate::graphs::Graphs;
use crate::merge::Trace;
use crate::metrics::Metrics;
use crate::recent::Recent;

/// Log documents gathered before they are handed to the sink, at most.
const LOG_DOCS_PER_BATCH: usize = 2_000;

/// Bytes of NDJSON gathered before a batch is handed to the sink, at most (well inside the
/// sink's `max_queued_bytes` and `max_bulk_bytes` defaults; a single larger document still
/// goes alone).
const MAX_BATCH_BYTES: usize = 4 << 20;

/// Trace lines for the pipeline: whole elements (`node|app|server|` + one client line, its
/// newline included), back to back in `data`, element `i` ending at `ends[i]`.
#[derive(Debug, Clone)]
pub struct Lines {
    /// The elements.
    pub data: Bytes,
    /// Where each element ends in `data`.
    pub ends: Vec<u32>,
    /// When they arrived, ms since 1970.
    pub at_ms: i64,
}

/// Where the log service sends trace lines. Clones share the queue.
#[derive(Debug, Clone)]
pub struct Feed {
    tx: mpsc::Sender<Lines>,
}

impl Feed {
    /// Queues `lines`, waiting while the queue is full.
    ///
    /// # Errors
    /// The pipeline has stopped (the lines are still in the trace file).
    pub async fn send(&self, lines: Lines) -> Result<(), Lines> {
        self.tx.send(lines).await.map_err(|e| e.0)
    }
}

/// The pipeline's task, to be run with [`Pipeline::run`].
#[derive(Debug)]
pub struct Pipeline {
    config: Config,
    rx: mpsc::Receiver<Lines>,
    sink: Sink,
    tz: TimeZone,
    metrics: Metrics,
}

/// Builds the pipeline and its feed.
///
/// # Errors
/// An invalid configuration.
pub fn pipeline(
    config: &Config,
    sink: Sink,
    tz: TimeZone,
    metrics: Metrics,
) -> Result<(Feed, Pipeline), String> {
    config.validate()?;
    let (tx, rx) = mpsc::channel(config.max_queued_batches);
    Ok((
        Feed { tx },
        Pipeline {
            config: config.clone(),
            rx,
            sink,
            tz,
            metrics,
        },
    ))
}

/// What the task holds between batches.
struct State {
    traces: Traces,
    graphs: Graphs,
    recent: Recent,
    logs: Batch,
    sink: Sink,
    tz: TimeZone,
    metrics: Metrics,
}

impl Pipeline {
    /// Runs until `stop` is cancelled and every queued batch is merged (or the feed's last
    /// clone is dropped), then closes every open trace and writes it and the changed graphs.
    pub async fn run(mut self, stop: CancellationToken) {
        let mut state = State {
            traces: Traces::new(&self.config, self.metrics.clone()),
            graphs: Graphs::new(self.config.max_graphs_per_day, self.metrics.clone()),
            recent: Recent::new(
                self.config.max_closed_remembered,
                self.config.max_closed_bytes,
            ),
            logs: Batch::new(),
            sink: self.sink.clone(),
            tz: self.tz.clone(),
            metrics: self.metrics.clone(),
        };
        state.seed_graphs(Timestamp::now()).await;
        let period = |ms: u64| std::time::Duration::from_millis(ms);
        let mut poll = tokio::time::interval(period(self.config.poll_ms));
        let mut graph_write = tokio::time::interval(period(self.config.graph_write_ms));
        for timer in [&mut poll, &mut graph_write] {
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        }
        loop {
            tokio::select! {
                lines = self.rx.recv() => match lines {
                    Some(lines) => state.ingest(&lines).await,
                    None => break,
                },
                _ = poll.tick() => {
                    state.flush_logs().await;
                    let closed = state.traces.poll(now_ms());
                    state.write_traces(closed).await;
                }
                _ = graph_write.tick() => state.write_graphs().await,
                () = stop.cancelled() => {
                    self.rx.close();
                    while let Some(lines) = self.rx.recv().await {
                        state.ingest(&lines).await;
                    }
                    break;
                }
            }
        }
        state.flush_logs().await;
        let closed = state.traces.close_all(now_ms());
        state.write_traces(closed).await;
        state.write_graphs().await;
    }
}

fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

impl State {
    fn day(&self, ms: i64) -> String {
        let at = Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH);
        let zoned = at.to_zoned_datetime(self.tz.clone());
        jiff::fmt::strtime::format("%Y%m%d", &zoned).unwrap_or_default()
    }

    /// The local calendar day before the day of `ms` (not 24 hours earlier: days around a
    /// daylight-saving change last 23 or 25 hours).
    fn day_before(&self, ms: i64) -> String {
        let at = Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH);
        let date = at.to_zoned_datetime(self.tz.clone()).date();
        let before = date.yesterday().unwrap_or(date);
        jiff::fmt::strtime::format("%Y%m%d", before).unwrap_or_default()
    }

    /// Reads back yesterday's and today's graphs.
    async fn seed_graphs(&mut self, now: Timestamp) {
        let today = now.as_millisecond();
        for day in [self.day_before(today), self.day(today)] {
            let find = sink::Find {
                index: graph_index(&day),
                all: Vec::new(),
                sort_desc: None,
                fields: Vec::new(),
                limit: sink::MAX_HITS,
                keyword_subfield: true,
            };
            match self.sink.find(&find).await {
                Ok(docs) => {
                    for graph in docs.iter().filter_map(graph_from_document) {
                        self.graphs.seed(&day, graph);
                    }
                }
                Err(error) => tracing::warn!(
                    message = "Could not read back the day's call graphs; their counts restart from this process's traces.",
                    day = %day,
                    %error
                ),
            }
        }
    }

    async fn ingest(&mut self, lines: &Lines) {
        let day = self.day(lines.at_ms);
        let index = log_index(&day);
        let mut start = 0;
        for &end in &lines.ends {
            let Some(element) = lines.data.get(start..end as usize) else {
                break;
            };
            start = end as usize;
            let Ok(line) = self.traces.ingest(element, lines.at_ms) else {
                continue;
            };
            let id = log_doc_id(&index, &line);
            let pushed = self.logs.push(Op::Index, &index, id.as_str(), |d| {
                log_document(d, &line.raw);
            });
            if pushed.is_err() {
                self.metrics.documents_lost_add("log", 1);
            }
        }
        self.traces.publish(lines.at_ms);
        if self.logs.len() >= LOG_DOCS_PER_BATCH || self.logs.byte_len() >= MAX_BATCH_BYTES {
            self.flush_logs().await;
        }
    }

    async fn flush_logs(&mut self) {
        if !self.logs.is_empty() {
            let batch = std::mem::take(&mut self.logs);
            self.submit("log", batch).await;
        }
    }

    async fn write_traces(&mut self, closed: Vec<Closed>) {
        if closed.is_empty() {
            return;
        }
        let mut batch = Batch::new();
        for c in closed {
            let id = trace_doc_id(&c.trace);
            let (day, trace) = if let Some(day) = self.recent.day_of(c.trace.trace()) {
                let day = day.to_owned();
                let joined = self.rejoin(&day, c.trace).await;
                (day, joined)
            } else {
                let day = self.day(c.first_ms);
                for graph in [&c.graphs.server, &c.graphs.function] {
                    self.graphs.add(&day, graph);
                }
                (day, c.trace)
            };
            if batch
                .push_json(
                    Op::Index,
                    &trace_index(&day),
                    id.as_str(),
                    &trace_document(&trace),
                )
                .is_err()
            {
                self.metrics.documents_lost_add("trace", 1);
            }
            self.recent.insert(&day, trace);
            if batch.byte_len() >= MAX_BATCH_BYTES {
                self.submit("trace", std::mem::take(&mut batch)).await;
            }
        }
        self.submit("trace", batch).await;
    }

    /// `late` joined to the trace of the same id that closed before: the one kept in memory,
    /// else its stored document of `day`. Graph ids stay those of the first close (the graphs
    /// counted). Neither found (counted, logged): `late` alone, which then replaces the
    /// stored document.
    async fn rejoin(&mut self, day: &str, late: Trace) -> Trace {
        let earlier = match self.recent.take(late.trace()) {
            Some(kept) => Some(kept),
            None => self.stored(day, &late).await,
        };
        self.metrics.rejoin(earlier.is_some());
        match earlier {
            Some(mut trace) => {
                trace.absorb(&late);
                trace
            }
            None => late,
        }
    }

    /// The stored trace `late.trace()` of `day`, if it can be read back.
    async fn stored(&self, day: &str, late: &Trace) -> Option<Trace> {
        let find = sink::Find {
            index: trace_index(day),
            all: vec![sink::Cond::Text {
                field: "trace".into(),
                value: late.trace().to_owned(),
            }],
            sort_desc: None,
            fields: Vec::new(),
            limit: 1,
            keyword_subfield: true,
        };
        match self.sink.find(&find).await {
            Ok(docs) => docs.first().and_then(trace_from_document),
            Err(error) => {
                tracing::warn!(message = "Could not read back a trace to join its late lines to; the late spans replace it.", trace = late.trace(), %error);
                None
            }
        }
    }

    async fn write_graphs(&mut self) {
        let changed = self.graphs.take_changed();
        if changed.is_empty() {
            return;
        }
        // In batches of at most MAX_BATCH_BYTES; a batch the store did not take is marked
        // changed again, to be written next time.
        let mut batch = Batch::new();
        let mut first = 0;
        for (i, c) in changed.iter().enumerate() {
            let doc = graph_document(&c.graph);
            let id = graph_doc_id(&c.graph);
            if batch
                .push_json(Op::Index, &graph_index(&c.day), &id, &doc)
                .is_err()
            {
                self.metrics.documents_lost_add("graph", 1);
            }
            if batch.byte_len() >= MAX_BATCH_BYTES || i + 1 == changed.len() {
                if !self.submit("graph", std::mem::take(&mut batch)).await {
                    for c in &changed[first..=i] {
                        self.graphs.mark_changed(&c.day, c.id);
                    }
                }
                first = i + 1;
            }
        }
        // Graphs of days before yesterday are final.
        let yesterday = self.day_before(now_ms());
        self.graphs.retain_days(|day| day >= yesterday.as_str());
    }

    /// Hands `batch` to the sink (which retries, spools and counts from there on); whether it
    /// took it.
    async fn submit(&self, family: &'static str, batch: Batch) -> bool {
        let docs = batch.len() as u64;
        match self.sink.submit(batch).await {
            Ok(_receipt) => {
                self.metrics.documents_add(family, docs);
                true
            }
            Err(error) => {
                self.metrics.documents_lost_add(family, docs);
                tracing::warn!(message = "The store did not take trace documents.", family, docs, %error);
                false
            }
        }
    }
}
