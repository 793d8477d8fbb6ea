//! tarslog's trace pipeline (K8SFramework `src/LogServer`, framework-next §2): a pure core
//! (no I/O, no clock), the task that runs it ([`pipeline`], fed by the log service) and
//! `tars.tarslog.TopologyObj` ([`TopologyServant`]).
//!
//! ```text
//! element (node|app|server|time|trace|span|parent|type|master|slave|function|ms|ret|data|ex)
//!   ─► parse (borrowed Line / RawLog) ─► Traces::merge (one owned copy per span field)
//!   ─► Traces::poll(now_ms): traces quiet since their last line, over the cap, or closed
//!      early by a bound ─► Closed { trace, server + function graphs }
//!   ─► documents: tars_call_log_<date>, tars_call_trace_<date>, tars_call_graph_<date>
//!      (graphs summed per day and shape in Graphs)
//! ```
//!
//! - [`parse`] reads one line (an element as the log service receives it, prefixed), [`records`]
//!   splits a trace file's bytes into records (an `ex` field may span lines).
//! - [`Trace::merge`] is K8SFramework's `updateITrace`/`updateISpan` exactly.
//! - [`Traces`] holds the open traces with their bounds and closes them; [`merge_lines`] is
//!   parse + merge over a batch (the benchmark entry point).
//! - [`trace_graphs`] builds both graphs of a closed trace; [`Graphs`] aggregates them per day.
//! - [`document`] builds the documents, their ids and the index templates.
//!
//! Differences from the reference, on purpose: a trace closes a quiet time after its last
//! line, not a fixed time after its first; lines end at a newline so a non-empty `ex` is
//! harmless; bad lines are refused and counted instead of read as zeros; a child id without a
//! span is skipped and counted instead of aborting the graph; ids are stable hashes (XXH3)
//! instead of libstdc++'s `std::hash`; open traces, line length and graphs per day are bounded.

mod close;
mod config;
pub mod document;
mod graph;
mod graphs;
mod line;
mod merge;
mod metrics;
mod open;
mod recent;
mod service;
pub mod topology;

pub use close::{CloseReason, Closed, Ingested, Traces, merge_lines};
pub use config::Config;
pub use graph::{Edge, Graph, GraphKind, TraceGraphs, Vertex, trace_graphs};
pub use graphs::{Added, Changed, Graphs};
pub use line::{Annotation, Line, RawLog, Records, Refused, parse, records};
pub use merge::{Span, Trace};
pub use metrics::{Bound, Metrics};
pub use service::{Feed, Lines, Pipeline, pipeline};
pub use topology::TopologyServant;
