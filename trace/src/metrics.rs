//! The trace pipeline's metrics, named `tars_trace_<thing>`. Hot paths tally locally and add
//! once per call ([`crate::Traces`] publishes per batch and per poll).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::close::CloseReason;
use crate::line::Refused;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FamilyLabel {
    family: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Query {
    method: &'static str,
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BoundLabel {
    bound: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    result: &'static str,
}

/// A configured bound that was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bound {
    /// `max_open_traces`: the least recently updated trace was closed early.
    OpenTraces,
    /// `max_open_bytes`: the least recently updated traces were closed early.
    OpenBytes,
    /// `max_graphs_per_day`: a new graph shape was not kept.
    GraphsPerDay,
}

impl Bound {
    /// The `bound` label.
    pub fn label(self) -> &'static str {
        match self {
            Self::OpenTraces => "open_traces",
            Self::OpenBytes => "open_bytes",
            Self::GraphsPerDay => "graphs_per_day",
        }
    }
}

/// Counters and gauges of the trace pipeline. Clones share them; `Metrics::default()` is an
/// unregistered set (tests, benchmarks).
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    lines: Counter,
    refused: Family<Reason, Counter>,
    open_traces: Gauge,
    open_bytes: Gauge,
    closed: Family<Reason, Counter>,
    spans: Counter,
    graphs: Family<Outcome, Counter>,
    skipped: Family<Reason, Counter>,
    bound_hits: Family<BoundLabel, Counter>,
    documents: Family<FamilyLabel, Counter>,
    documents_lost: Family<FamilyLabel, Counter>,
    queries: Family<Query, Counter>,
    rejoined: Family<Outcome, Counter>,
}

impl Metrics {
    /// The metrics registered in `registry` (prefixed `tars_trace_`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("tars_trace");
        r.register("lines", "Trace lines parsed and merged", m.lines.clone());
        r.register(
            "lines_refused",
            "Trace lines refused, by reason (too_long, too_few_fields, not_utf8, bad_time, unknown_type, empty_id)",
            m.refused.clone(),
        );
        r.register(
            "open_traces",
            "Traces waiting to close",
            m.open_traces.clone(),
        );
        r.register(
            "open_bytes",
            "Approximate bytes held by open traces",
            m.open_bytes.clone(),
        );
        r.register(
            "traces_closed",
            "Traces closed, by reason (quiet, incomplete, max_open_ms, open_traces, open_bytes, shutdown)",
            m.closed.clone(),
        );
        r.register("spans", "Spans in closed traces", m.spans.clone());
        r.register(
            "graphs",
            "Graphs of closed traces aggregated, by result (new, merged)",
            m.graphs.clone(),
        );
        r.register(
            "graph_spans_skipped",
            "Spans a graph walk skipped, by reason (missing: a child id without a span; repeated: reached twice)",
            m.skipped.clone(),
        );
        r.register(
            "bound_hits",
            "Bounds reached, by bound (open_traces, open_bytes: a trace closed early; graphs_per_day: a graph not kept)",
            m.bound_hits.clone(),
        );
        r.register(
            "documents",
            "Documents handed to the store, by family (log, trace, graph)",
            m.documents.clone(),
        );
        r.register(
            "documents_lost",
            "Documents the store did not take (closed, or a batch past its limits), by family",
            m.documents_lost.clone(),
        );
        r.register(
            "topology_queries",
            "tars.tarslog.TopologyObj calls, by method and result (ok, bad_date, error)",
            m.queries.clone(),
        );
        r.register(
            "rejoined",
            "Traces opened again by late lines, by result (joined: merged into the stored trace; not_found: the stored trace could not be read, the late spans replace it)",
            m.rejoined.clone(),
        );
        m
    }

    pub(crate) fn rejoin(&self, joined: bool) {
        let result = if joined { "joined" } else { "not_found" };
        self.rejoined.get_or_create(&Outcome { result }).inc();
    }

    /// Traces opened again by late lines so far: (joined, not found).
    pub fn rejoined(&self) -> (u64, u64) {
        let get = |result| self.rejoined.get_or_create(&Outcome { result }).get();
        (get("joined"), get("not_found"))
    }

    pub(crate) fn documents_add(&self, family: &'static str, n: u64) {
        self.documents
            .get_or_create(&FamilyLabel { family })
            .inc_by(n);
    }

    pub(crate) fn documents_lost_add(&self, family: &'static str, n: u64) {
        self.documents_lost
            .get_or_create(&FamilyLabel { family })
            .inc_by(n);
    }

    pub(crate) fn query(&self, method: &'static str, result: &'static str) {
        self.queries.get_or_create(&Query { method, result }).inc();
    }

    /// Documents of `family` (`log`, `trace`, `graph`) handed to the store so far.
    pub fn documents(&self, family: &'static str) -> u64 {
        self.documents.get_or_create(&FamilyLabel { family }).get()
    }

    /// `TopologyObj` calls of `method` with `result` so far.
    pub fn queries(&self, method: &'static str, result: &'static str) -> u64 {
        self.queries.get_or_create(&Query { method, result }).get()
    }

    pub(crate) fn lines_add(&self, n: u64) {
        if n > 0 {
            self.lines.inc_by(n);
        }
    }

    pub(crate) fn refused_add(&self, reason: Refused, n: u64) {
        if n > 0 {
            let reason = reason.label();
            self.refused.get_or_create(&Reason { reason }).inc_by(n);
        }
    }

    pub(crate) fn closed_add(&self, reason: CloseReason, n: u64) {
        if n > 0 {
            let reason = reason.label();
            self.closed.get_or_create(&Reason { reason }).inc_by(n);
        }
    }

    pub(crate) fn spans_add(&self, n: u64) {
        self.spans.inc_by(n);
    }

    pub(crate) fn skipped_add(&self, missing: u64, repeated: u64) {
        for (reason, n) in [("missing", missing), ("repeated", repeated)] {
            if n > 0 {
                self.skipped.get_or_create(&Reason { reason }).inc_by(n);
            }
        }
    }

    pub(crate) fn graph(&self, new: bool) {
        let result = if new { "new" } else { "merged" };
        self.graphs.get_or_create(&Outcome { result }).inc();
    }

    pub(crate) fn bound_hit_add(&self, bound: Bound, n: u64) {
        if n > 0 {
            let bound = bound.label();
            self.bound_hits
                .get_or_create(&BoundLabel { bound })
                .inc_by(n);
        }
    }

    pub(crate) fn bound_hit(&self, bound: Bound) {
        self.bound_hit_add(bound, 1);
    }

    pub(crate) fn set_open(&self, traces: usize, bytes: usize) {
        self.open_traces.set(traces as i64);
        self.open_bytes.set(bytes as i64);
    }

    /// Lines parsed and merged so far.
    pub fn lines(&self) -> u64 {
        self.lines.get()
    }

    /// Lines refused for `reason` so far.
    pub fn refused(&self, reason: Refused) -> u64 {
        let reason = reason.label();
        self.refused.get_or_create(&Reason { reason }).get()
    }

    /// Traces closed for `reason` so far.
    pub fn closed(&self, reason: CloseReason) -> u64 {
        let reason = reason.label();
        self.closed.get_or_create(&Reason { reason }).get()
    }

    /// Spans in closed traces so far.
    pub fn spans(&self) -> u64 {
        self.spans.get()
    }

    /// Graph walks' skipped spans so far: (missing, repeated).
    pub fn skipped_spans(&self) -> (u64, u64) {
        let get = |reason| self.skipped.get_or_create(&Reason { reason }).get();
        (get("missing"), get("repeated"))
    }

    /// Graphs aggregated so far: (new, merged).
    pub fn graphs(&self) -> (u64, u64) {
        let get = |result| self.graphs.get_or_create(&Outcome { result }).get();
        (get("new"), get("merged"))
    }

    /// Times `bound` was reached so far.
    pub fn bound_hits(&self, bound: Bound) -> u64 {
        let bound = bound.label();
        self.bound_hits.get_or_create(&BoundLabel { bound }).get()
    }

    /// The open traces and their approximate bytes, as last published.
    pub fn open(&self) -> (i64, i64) {
        (self.open_traces.get(), self.open_bytes.get())
    }
}
