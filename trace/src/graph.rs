//! The server graph and the function graph of a closed trace (K8SFramework
//! `graphITraceServer`/`graphITraceFunction`, framework-next §2.3), and their ids.
//!
//! Walking from the root span: a vertex per span (its `slave`, or `slave.function`), an edge
//! from the parent's vertex (the root caller `tMaster` for the root span); function edges carry
//! their depth (1 at the root span), server edges 0. A vertex counts one call and the server
//! time `ss - sr` only when both are set and in order; an edge counts `cr - cs` likewise; the
//! root caller's vertex counts `te - ts`. Vertices and edges with the same key are summed and
//! both lists sorted by key. A trace without a root (`tSpan`) has empty graphs.
//!
//! Unlike the reference (which throws `span not exist`, and would recurse forever on a cycle),
//! a child id without a span and a span reached a second time are skipped and counted.

use xxhash_rust::xxh3::Xxh3Default;

use crate::merge::{Span, Trace};

/// Which graph: the `type` field of a graph document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GraphKind {
    /// Vertices are servers (`App.Server`).
    Server,
    /// Vertices are functions (`App.Server.function`).
    Function,
}

impl GraphKind {
    /// `server` or `function`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Function => "function",
        }
    }
}

/// A vertex, K8SFramework's `IVertex` (key: `vertex`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vertex {
    /// Server or function name.
    pub vertex: String,
    /// Calls with a valid time.
    pub call_count: i64,
    /// Sum of those calls' times (ms).
    pub call_time: i64,
}

/// An edge, K8SFramework's `IEdge` (key: `order`, `fromVertex`, `toVertex`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Caller vertex.
    pub from_vertex: String,
    /// Callee vertex.
    pub to_vertex: String,
    /// Calls with a valid time.
    pub call_count: i64,
    /// Sum of those calls' times (ms).
    pub call_time: i64,
    /// Depth of the call (function graphs; 1 at the root span), 0 in server graphs.
    pub order: i32,
}

/// A call graph, K8SFramework's `IGraph`: vertices sorted by name, edges by
/// (order, from, to), each key once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    /// Server or function graph.
    pub kind: GraphKind,
    /// Vertices, sorted by `vertex`.
    pub vertexes: Vec<Vertex>,
    /// Edges, sorted by (`order`, `from_vertex`, `to_vertex`).
    pub edges: Vec<Edge>,
}

impl Graph {
    /// An empty graph.
    pub fn new(kind: GraphKind) -> Self {
        Self {
            kind,
            vertexes: Vec::new(),
            edges: Vec::new(),
        }
    }

    /// Whether the graph has no vertex (the trace had no root).
    pub fn is_empty(&self) -> bool {
        self.vertexes.is_empty() && self.edges.is_empty()
    }

    /// The graph's id, a stable hash of its shape: XXH3-64 of every edge's
    /// `fromVertex + toVertex + order` (decimal) then every vertex name, concatenated as the
    /// reference does (`hashIGraph`), shifted right by one so that it is a non-negative `i64`.
    /// Counts and times do not change it; the same on every platform and build.
    pub fn id(&self) -> i64 {
        let mut hasher = Xxh3Default::new();
        for e in &self.edges {
            hasher.update(e.from_vertex.as_bytes());
            hasher.update(e.to_vertex.as_bytes());
            let mut digits = [0u8; 11];
            hasher.update(decimal(e.order, &mut digits));
        }
        for v in &self.vertexes {
            hasher.update(v.vertex.as_bytes());
        }
        (hasher.digest() >> 1) as i64
    }

    /// Adds `other`'s counts and times to this graph's, key by key (`mergerIGraph`); keys
    /// only in `other` are inserted in order.
    pub fn merge(&mut self, other: &Graph) {
        for v in &other.vertexes {
            match self
                .vertexes
                .binary_search_by(|x| x.vertex.as_str().cmp(&v.vertex))
            {
                Ok(i) => {
                    let x = &mut self.vertexes[i];
                    add(
                        &mut x.call_count,
                        &mut x.call_time,
                        v.call_count,
                        v.call_time,
                    );
                }
                Err(i) => self.vertexes.insert(i, v.clone()),
            }
        }
        for e in &other.edges {
            match self
                .edges
                .binary_search_by(|x| edge_key(x).cmp(&edge_key(e)))
            {
                Ok(i) => {
                    let x = &mut self.edges[i];
                    add(
                        &mut x.call_count,
                        &mut x.call_time,
                        e.call_count,
                        e.call_time,
                    );
                }
                Err(i) => self.edges.insert(i, e.clone()),
            }
        }
    }

    /// Sorts by key and sums repeated keys.
    pub(crate) fn normalize(&mut self) {
        self.vertexes.sort_by(|a, b| a.vertex.cmp(&b.vertex));
        self.vertexes.dedup_by(|later, kept| {
            let same = later.vertex == kept.vertex;
            if same {
                add(
                    &mut kept.call_count,
                    &mut kept.call_time,
                    later.call_count,
                    later.call_time,
                );
            }
            same
        });
        self.edges.sort_by(|a, b| edge_key(a).cmp(&edge_key(b)));
        self.edges.dedup_by(|later, kept| {
            let same = edge_key(later) == edge_key(kept);
            if same {
                add(
                    &mut kept.call_count,
                    &mut kept.call_time,
                    later.call_count,
                    later.call_time,
                );
            }
            same
        });
    }
}

fn edge_key(e: &Edge) -> (i32, &str, &str) {
    (e.order, &e.from_vertex, &e.to_vertex)
}

fn add(count: &mut i64, time: &mut i64, more_count: i64, more_time: i64) {
    *count = count.saturating_add(more_count);
    *time = time.saturating_add(more_time);
}

/// `n` in decimal, as C++'s `ostream << int`.
fn decimal(n: i32, buf: &mut [u8; 11]) -> &[u8] {
    let mut i = buf.len();
    let mut rest = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// A closed trace's two graphs and what the walk skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceGraphs {
    /// The server graph.
    pub server: Graph,
    /// The function graph.
    pub function: Graph,
    /// Child ids without a span (the reference threw `span not exist`), per walk.
    pub missing_spans: u64,
    /// Spans reached a second time (a cycle or a second parent), per walk.
    pub repeated_spans: u64,
}

/// Both graphs of `trace`. Cost: O(spans log spans); iterative, so a deep trace cannot
/// overflow the stack.
pub fn trace_graphs(trace: &Trace) -> TraceGraphs {
    let mut skipped = (0, 0);
    let server = build(trace, GraphKind::Server, &mut skipped);
    let function = build(trace, GraphKind::Function, &mut skipped);
    TraceGraphs {
        server,
        function,
        missing_spans: skipped.0,
        repeated_spans: skipped.1,
    }
}

/// `(1, b - a)` when both times are set and in order, else `(0, 0)`.
pub(crate) fn timed(a: i64, b: i64) -> (i64, i64) {
    if a != 0 && b != 0 && a <= b {
        (1, b.saturating_sub(a))
    } else {
        (0, 0)
    }
}

/// One span reached by [`walk`]: its vertex name, its caller's vertex name and its order.
pub(crate) struct Step<'a> {
    /// The span.
    pub(crate) span: &'a Span,
    /// Its vertex: `slave` (server graph) or `slave.function` (function graph).
    pub(crate) name: String,
    /// The caller's vertex (`tMaster` for the root span).
    pub(crate) parent: String,
    /// 0 in a server graph; the depth (1 at the root span) in a function graph.
    pub(crate) order: i32,
}

/// Walks `trace` from its root span depth-first, children in order, calling `visit` for each
/// span reached (K8SFramework's `graphITraceServer` / `graphITraceFunction` recursion). Child
/// ids without a span are counted in `skipped.0`, spans reached again in `skipped.1`.
pub(crate) fn walk(
    trace: &Trace,
    kind: GraphKind,
    skipped: &mut (u64, u64),
    mut visit: impl FnMut(Step<'_>),
) {
    if trace.t_span().is_empty() {
        return;
    }
    let first_order = match kind {
        GraphKind::Server => 0,
        GraphKind::Function => 1,
    };
    let spans = trace.spans();
    let mut visited = vec![false; spans.len()];
    // (span id, parent's vertex, order); children pushed in reverse to walk them in order.
    let mut stack = vec![(trace.t_span(), trace.t_master().to_owned(), first_order)];
    while let Some((id, parent, order)) = stack.pop() {
        let Some(at) = trace.position(id) else {
            skipped.0 += 1;
            continue;
        };
        if std::mem::replace(&mut visited[at], true) {
            skipped.1 += 1;
            continue;
        }
        let span = &spans[at];
        let name = match kind {
            GraphKind::Server => span.slave.clone(),
            GraphKind::Function => format!("{}.{}", span.slave, span.function),
        };
        let child_order = match kind {
            GraphKind::Server => 0,
            // `short` in the reference and the index mapping: saturate rather than wrap.
            GraphKind::Function => (order + 1).min(i32::from(i16::MAX)),
        };
        for child in span.children.iter().rev() {
            stack.push((child, name.clone(), child_order));
        }
        visit(Step {
            span,
            name,
            parent,
            order,
        });
    }
}

/// The root vertex: `tMaster`, timed by the trace's start and end.
pub(crate) fn root_vertex(trace: &Trace) -> Vertex {
    let (call_count, call_time) = timed(trace.ts_time(), trace.te_time());
    Vertex {
        vertex: trace.t_master().to_owned(),
        call_count,
        call_time,
    }
}

fn build(trace: &Trace, kind: GraphKind, skipped: &mut (u64, u64)) -> Graph {
    let mut graph = Graph::new(kind);
    if trace.t_span().is_empty() {
        return graph;
    }
    graph.vertexes.push(root_vertex(trace));
    walk(trace, kind, skipped, |step| {
        let (call_count, call_time) = timed(step.span.sr_time, step.span.ss_time);
        graph.vertexes.push(Vertex {
            vertex: step.name.clone(),
            call_count,
            call_time,
        });
        let (call_count, call_time) = timed(step.span.cs_time, step.span.cr_time);
        graph.edges.push(Edge {
            from_vertex: step.parent,
            to_vertex: step.name,
            call_count,
            call_time,
            order: step.order,
        });
    });
    graph.normalize();
    graph
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line::{Annotation, RawLog};

    fn raw<'a>(
        kind: Annotation,
        span: &'a str,
        parent: &'a str,
        slave: &'a str,
        time: i64,
    ) -> RawLog<'a> {
        RawLog {
            trace: "t",
            span,
            parent,
            kind,
            master: "A",
            slave,
            function: "f",
            time,
            ret: "0",
            data: "",
        }
    }

    #[test]
    fn f_a_child_id_without_a_span_is_skipped_and_counted() {
        let mut trace = Trace::new("t");
        trace.merge(&raw(Annotation::Cs, "r", "r", "B", 10));
        trace.merge(&raw(Annotation::Cr, "r", "r", "B", 20));
        trace.merge(&raw(Annotation::Cs, "c", "r", "C", 11));
        trace.spans_mut()[0].children.insert(0, "ghost".into());
        let graphs = trace_graphs(&trace);
        assert_eq!(graphs.missing_spans, 2, "once per graph");
        assert_eq!(graphs.repeated_spans, 0);
        let names: Vec<&str> = graphs
            .function
            .vertexes
            .iter()
            .map(|v| v.vertex.as_str())
            .collect();
        assert_eq!(names, ["A", "B.f", "C.f"]);
        // The root edge counts cr - cs; c has no cr: its edge is there with no count.
        assert_eq!(graphs.server.edges[0].call_count, 1);
        assert_eq!(graphs.server.edges[1].call_count, 0);
    }

    #[test]
    fn a_trace_without_a_root_has_empty_graphs() {
        let mut trace = Trace::new("t");
        trace.merge(&raw(Annotation::Sr, "s", "*", "B", 10));
        let graphs = trace_graphs(&trace);
        assert!(graphs.server.is_empty() && graphs.function.is_empty());
        assert_eq!(graphs.server.id(), graphs.function.id());
    }

    #[test]
    fn times_count_only_when_set_and_in_order() {
        assert_eq!(timed(10, 15), (1, 5));
        assert_eq!(timed(10, 10), (1, 0));
        assert_eq!(timed(0, 15), (0, 0));
        assert_eq!(timed(10, 0), (0, 0));
        assert_eq!(timed(15, 10), (0, 0));
    }

    #[test]
    fn decimal_matches_ostream() {
        for n in [0, 7, 10, 32_767, -1, i32::MIN, i32::MAX] {
            let mut buf = [0u8; 11];
            assert_eq!(decimal(n, &mut buf), n.to_string().as_bytes());
        }
    }

    #[test]
    fn merge_sums_keys_and_keeps_key_order() {
        let edge = |from: &str, to: &str, order| Edge {
            from_vertex: from.into(),
            to_vertex: to.into(),
            call_count: 1,
            call_time: 2,
            order,
        };
        let vertex = |name: &str| Vertex {
            vertex: name.into(),
            call_count: 1,
            call_time: 3,
        };
        let mut a = Graph {
            kind: GraphKind::Function,
            vertexes: vec![vertex("A"), vertex("C")],
            edges: vec![edge("A", "C", 1), edge("C", "D", 2)],
        };
        let b = Graph {
            kind: GraphKind::Function,
            vertexes: vec![vertex("B"), vertex("C")],
            edges: vec![edge("A", "B", 1), edge("C", "D", 2)],
        };
        a.merge(&b);
        let names: Vec<&str> = a.vertexes.iter().map(|v| v.vertex.as_str()).collect();
        assert_eq!(names, ["A", "B", "C"]);
        assert_eq!(a.vertexes[2].call_count, 2);
        let keys: Vec<(i32, &str, &str)> = a.edges.iter().map(edge_key).collect();
        assert_eq!(keys, [(1, "A", "B"), (1, "A", "C"), (2, "C", "D")]);
        assert_eq!((a.edges[2].call_count, a.edges[2].call_time), (2, 4));
        let mut sorted = a.clone();
        sorted.normalize();
        assert_eq!(sorted, a);
    }
}
