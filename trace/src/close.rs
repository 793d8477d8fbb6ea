//! Open traces keyed by trace id, and when they close (framework-next §2.3 "Completion").
//!
//! A trace closes `quiet_ms` after its **last** line (K8SFramework counted from the first line,
//! so busy traces were cut while their spans still arrived), or `incomplete_wait_ms` after it
//! when the root has ended but some span lacks a time, and at the latest `max_open_ms` after
//! its first line. Past `max_open_traces` or `max_open_bytes` the least recently updated trace
//! closes early (never dropped). A line for a closed trace opens a new one with the same id;
//! its document replaces the first (the id depends only on the trace id).
//!
//! Time is what the caller passes (`now_ms`): nothing here reads a clock. Every operation is
//! O(1) apart from the trace's own work: traces sit in intrusive lists ordered by last line
//! (one for the quiet wait, one for the incomplete wait) and by first line (the cap).

use std::fmt;
use std::hash::BuildHasher;

use foldhash::fast::SeedableRandomState;
use hashbrown::HashTable;

use crate::config::Config;
use crate::graph::{TraceGraphs, trace_graphs};
use crate::line::{Line, RawLog, Refused, parse};
use crate::merge::Trace;
use crate::metrics::{Bound, Metrics};
use crate::open::{ListId, Open, SLOT_BYTES, Slots};

/// Why a trace closed; [`CloseReason::label`] is the metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// `quiet_ms` after its last line.
    Quiet,
    /// `incomplete_wait_ms` after its last line (root ended, some span lacking a time).
    Incomplete,
    /// `max_open_ms` after its first line.
    MaxOpen,
    /// Closed early: `max_open_traces` reached.
    OpenTraces,
    /// Closed early: `max_open_bytes` reached.
    OpenBytes,
    /// [`Traces::close_all`] (shutdown).
    Shutdown,
}

impl CloseReason {
    /// Every reason, in [`CloseReason::index`] order.
    pub const ALL: [Self; 6] = [
        Self::Quiet,
        Self::Incomplete,
        Self::MaxOpen,
        Self::OpenTraces,
        Self::OpenBytes,
        Self::Shutdown,
    ];

    /// The `reason` label of `tars_trace_traces_closed_total`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Quiet => "quiet",
            Self::Incomplete => "incomplete",
            Self::MaxOpen => "max_open_ms",
            Self::OpenTraces => "open_traces",
            Self::OpenBytes => "open_bytes",
            Self::Shutdown => "shutdown",
        }
    }

    /// Position in [`CloseReason::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A closed trace with its graphs; `trace.s_hash()`/`f_hash()` are the graphs' ids.
#[derive(Debug, Clone)]
pub struct Closed {
    /// The trace.
    pub trace: Trace,
    /// Its server and function graphs.
    pub graphs: TraceGraphs,
    /// Why it closed.
    pub reason: CloseReason,
    /// `now_ms` of its first line (the caller may take the document's date from it).
    pub first_ms: i64,
    /// `now_ms` of its last line.
    pub last_ms: i64,
}

/// What [`merge_lines`] did with a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ingested {
    /// Lines parsed and merged.
    pub merged: usize,
    /// Lines refused (counted by reason in the metrics).
    pub refused: usize,
}

/// Parses and merges every element (one client line each, prefixed `node|app|server|`), then
/// publishes the tallies. Traces the bounds close wait for the next [`Traces::poll`].
pub fn merge_lines(traces: &mut Traces, elements: &[&[u8]], now_ms: i64) -> Ingested {
    let mut done = Ingested::default();
    for element in elements {
        match traces.ingest(element, now_ms) {
            Ok(_) => done.merged += 1,
            Err(_) => done.refused += 1,
        }
    }
    traces.publish(now_ms);
    done
}

/// Bytes counted per open trace besides its strings and spans: its slot and id table entry.
const TRACE_OVERHEAD: usize = SLOT_BYTES + 8;

/// At most one bound warning per this many milliseconds.
const WARN_EVERY_MS: i64 = 10_000;

/// Counts since the last [`Traces::publish`].
#[derive(Debug, Default)]
struct Tally {
    lines: u64,
    refused: [u64; Refused::ALL.len()],
    closed: [u64; CloseReason::ALL.len()],
    spans: u64,
    missing: u64,
    repeated: u64,
}

/// The configured times and bounds, as used.
#[derive(Debug, Clone, Copy)]
struct Limits {
    quiet_ms: i64,
    incomplete_wait_ms: i64,
    max_open_ms: i64,
    max_open_traces: usize,
    max_open_bytes: usize,
    max_line_bytes: usize,
}

/// The open traces. Not thread-safe by itself: one owner feeds and polls it.
///
/// # Examples
/// ```
/// use tars_trace::document::{trace_doc_id, trace_document};
/// use tars_trace::{Config, Metrics, Traces, merge_lines};
///
/// let mut traces = Traces::new(&Config::default(), Metrics::default());
/// let lines: [&[u8]; 4] = [
///     b"a-0|Test|A|2024-03-28 17:29:45|f-1|r|r|cs|Test.A|Test.B.BObj|hello|1000|0||\n",
///     b"b-0|Test|B|2024-03-28 17:29:45|f-1|r|*|sr||Test.B|hello|1001|0||\n",
///     b"b-0|Test|B|2024-03-28 17:29:45|f-1|r|*|ss||Test.B|hello|1019|0||\n",
///     b"a-0|Test|A|2024-03-28 17:29:45|f-1|r|r|cr|Test.A|Test.B.BObj|hello|1020|0||\n",
/// ];
/// merge_lines(&mut traces, &lines, 0); // now_ms = 0
/// assert!(traces.poll(4_999).is_empty()); // quiet_ms = 5000 after the last line
/// let closed = traces.poll(5_000);
/// let doc = trace_document(&closed[0].trace);
/// assert_eq!((doc["tsTime"].as_i64(), doc["teTime"].as_i64()), (Some(1000), Some(1020)));
/// assert_eq!(closed[0].graphs.server.edges[0].call_time, 20);
/// let _id = trace_doc_id(&closed[0].trace); // the same for a later trace with this id
/// ```
pub struct Traces {
    limits: Limits,
    state: SeedableRandomState,
    table: HashTable<u32>,
    slots: Slots,
    open_bytes: usize,
    ready: Vec<Closed>,
    tally: Tally,
    last_warn_ms: Option<i64>,
    metrics: Metrics,
}

impl Traces {
    /// No open trace yet. `config` should be validated ([`Config::validate`]).
    pub fn new(config: &Config, metrics: Metrics) -> Self {
        let ms = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        Self {
            limits: Limits {
                quiet_ms: ms(config.quiet_ms),
                incomplete_wait_ms: ms(config.incomplete_wait_ms),
                max_open_ms: ms(config.max_open_ms),
                max_open_traces: config.max_open_traces.max(1),
                max_open_bytes: config.max_open_bytes,
                max_line_bytes: config.max_line_bytes,
            },
            state: SeedableRandomState::random(),
            table: HashTable::new(),
            slots: Slots::new(),
            open_bytes: 0,
            ready: Vec::new(),
            tally: Tally::default(),
            last_warn_ms: None,
            metrics,
        }
    }

    /// The same, hashing trace ids with a fixed seed, so that instruction counts repeat
    /// (benchmarks). Call before the first line.
    #[must_use]
    pub fn with_fixed_seed(mut self) -> Self {
        debug_assert!(self.slots.len() == 0, "reseeded with open traces");
        self.state = SeedableRandomState::fixed();
        self
    }

    /// Open traces.
    pub fn open_traces(&self) -> usize {
        self.slots.len()
    }

    /// Approximate bytes held by open traces.
    pub fn open_bytes(&self) -> usize {
        self.open_bytes
    }

    /// The open trace with id `trace`.
    pub fn get(&self, trace: &str) -> Option<&Trace> {
        let hash = self.state.hash_one(trace);
        let i = *self.table.find(hash, |&i| self.is(i, trace))?;
        self.slots.get(i).map(|o| &o.trace)
    }

    /// Parses one element and merges it at `now_ms`; refusals are tallied by reason. Tallies
    /// reach the metrics at the next [`Traces::publish`] (or poll).
    ///
    /// # Errors
    /// Why the line was refused (nothing was merged).
    pub fn ingest<'a>(&mut self, element: &'a [u8], now_ms: i64) -> Result<Line<'a>, Refused> {
        match parse(element, self.limits.max_line_bytes) {
            Ok(line) => {
                self.merge(&line.raw, now_ms);
                Ok(line)
            }
            Err(reason) => {
                self.tally.refused[reason.index()] += 1;
                Err(reason)
            }
        }
    }

    /// Merges one record at `now_ms` into its trace (opened if needed). May close the least
    /// recently updated traces when a bound is passed; they come out of the next poll.
    pub fn merge(&mut self, raw: &RawLog<'_>, now_ms: i64) {
        let hash = self.state.hash_one(raw.trace);
        let found = self.table.find(hash, |&i| self.is(i, raw.trace)).copied();
        let i = match found {
            Some(i) => {
                self.slots.touch(i, now_ms);
                i
            }
            None => self.open(raw.trace, hash, now_ms),
        };
        if let Some(open) = self.slots.get_mut(i) {
            let added = open.trace.merge(raw);
            open.bytes += added;
            self.open_bytes += added;
        }
        self.tally.lines += 1;
        while self.open_bytes > self.limits.max_open_bytes {
            let Some(oldest) = self.slots.oldest() else {
                break;
            };
            let closed = self.close(oldest, CloseReason::OpenBytes);
            self.ready.extend(closed);
        }
    }

    /// The traces due at `now_ms` (and those the bounds closed since the last poll), with
    /// their graphs; publishes the tallies. Call it about once a second: a trace closes at
    /// the first poll after its time. Cost: O(1) per trace closed or moved, plus its graphs.
    pub fn poll(&mut self, now_ms: i64) -> Vec<Closed> {
        let Limits {
            quiet_ms,
            incomplete_wait_ms,
            max_open_ms,
            ..
        } = self.limits;
        let mut out = std::mem::take(&mut self.ready);
        while let Some((i, open)) = self.slots.head(ListId::Age) {
            if open.first_ms.saturating_add(max_open_ms) > now_ms {
                break;
            }
            out.extend(self.close(i, CloseReason::MaxOpen));
        }
        while let Some((i, open)) = self.slots.head(ListId::Quiet) {
            if open.last_ms.saturating_add(quiet_ms) > now_ms {
                break;
            }
            if !open.trace.is_incomplete() {
                out.extend(self.close(i, CloseReason::Quiet));
            } else if open.last_ms.saturating_add(incomplete_wait_ms) > now_ms {
                self.slots.wait(i);
            } else {
                out.extend(self.close(i, CloseReason::Incomplete));
            }
        }
        while let Some((i, open)) = self.slots.head(ListId::Waiting) {
            if open.last_ms.saturating_add(incomplete_wait_ms) > now_ms {
                break;
            }
            out.extend(self.close(i, CloseReason::Incomplete));
        }
        self.publish(now_ms);
        out
    }

    /// Closes every open trace (shutdown: nothing open is lost), oldest first, after those
    /// the bounds closed.
    pub fn close_all(&mut self, now_ms: i64) -> Vec<Closed> {
        let mut out = std::mem::take(&mut self.ready);
        while let Some((i, _)) = self.slots.head(ListId::Age) {
            out.extend(self.close(i, CloseReason::Shutdown));
        }
        self.publish(now_ms);
        out
    }

    /// Adds the tallies to the metrics and sets the gauges; warns (at most every 10 s) when a
    /// bound closed traces early.
    pub fn publish(&mut self, now_ms: i64) {
        let tally = std::mem::take(&mut self.tally);
        let m = &self.metrics;
        m.lines_add(tally.lines);
        for reason in Refused::ALL {
            m.refused_add(reason, tally.refused[reason.index()]);
        }
        for reason in CloseReason::ALL {
            m.closed_add(reason, tally.closed[reason.index()]);
        }
        if tally.spans > 0 {
            m.spans_add(tally.spans);
        }
        m.skipped_add(tally.missing, tally.repeated);
        let by_traces = tally.closed[CloseReason::OpenTraces.index()];
        let by_bytes = tally.closed[CloseReason::OpenBytes.index()];
        m.bound_hit_add(Bound::OpenTraces, by_traces);
        m.bound_hit_add(Bound::OpenBytes, by_bytes);
        m.set_open(self.slots.len(), self.open_bytes);
        let recently = self
            .last_warn_ms
            .is_some_and(|at| now_ms.saturating_sub(at) < WARN_EVERY_MS);
        if by_traces + by_bytes > 0 && !recently {
            self.last_warn_ms = Some(now_ms);
            tracing::warn!(
                message = "Open trace bound reached; least recently updated traces closed early.",
                by_open_traces = by_traces,
                by_open_bytes = by_bytes,
                max_open_traces = self.limits.max_open_traces,
                max_open_bytes = self.limits.max_open_bytes,
            );
        }
    }

    fn is(&self, i: u32, trace: &str) -> bool {
        self.slots.get(i).is_some_and(|o| o.trace.trace() == trace)
    }

    fn open(&mut self, trace: &str, hash: u64, now_ms: i64) -> u32 {
        while self.slots.len() >= self.limits.max_open_traces {
            let Some(oldest) = self.slots.oldest() else {
                break;
            };
            let closed = self.close(oldest, CloseReason::OpenTraces);
            self.ready.extend(closed);
        }
        let bytes = TRACE_OVERHEAD + trace.len();
        let i = self.slots.insert(Open {
            trace: Trace::new(trace),
            hash,
            first_ms: now_ms,
            last_ms: now_ms,
            bytes,
            waiting: false,
        });
        self.open_bytes += bytes;
        let slots = &self.slots;
        self.table
            .insert_unique(hash, i, |&j| slots.get(j).map_or(0, |o| o.hash));
        i
    }

    fn close(&mut self, i: u32, reason: CloseReason) -> Option<Closed> {
        let open = self.slots.remove(i)?;
        if let Ok(entry) = self.table.find_entry(open.hash, |&j| j == i) {
            entry.remove();
        }
        self.open_bytes -= open.bytes;
        let mut trace = open.trace;
        let graphs = trace_graphs(&trace);
        trace.s_hash = graphs.server.id();
        trace.f_hash = graphs.function.id();
        let t = &mut self.tally;
        t.closed[reason.index()] += 1;
        t.spans += trace.spans().len() as u64;
        t.missing += graphs.missing_spans;
        t.repeated += graphs.repeated_spans;
        Some(Closed {
            trace,
            graphs,
            reason,
            first_ms: open.first_ms,
            last_ms: open.last_ms,
        })
    }
}

impl fmt::Debug for Traces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Traces")
            .field("open_traces", &self.slots.len())
            .field("open_bytes", &self.open_bytes)
            .field("ready", &self.ready.len())
            .finish_non_exhaustive()
    }
}
