//! What each `TopologyObj` method asks the store ([`sink::Find`], structured) and how documents
//! become its answers (K8SFramework `ESReader.cpp`, `TopologyImp.cpp`; framework-next §2.5).

use std::collections::BTreeSet;

use serde_json::Value;
use sink::{Cond, Find, MAX_HITS};
use tars_rpc::interfaces::topology::{Edge, Graph, Summary, Vertex};

use crate::document::{graph_index, trace_from_document, trace_index};
use crate::graph::{GraphKind, root_vertex, timed, walk};
use crate::merge::Trace;

fn find(index: String, all: Vec<Cond>) -> Find {
    Find {
        index,
        all,
        sort_desc: None,
        fields: Vec::new(),
        limit: MAX_HITS,
        keyword_subfield: true,
    }
}

fn text(field: &str, value: &str) -> Cond {
    Cond::Text {
        field: field.into(),
        value: value.into(),
    }
}

/// `graphServer` / `graphFunction`: the day's graphs of `kind` with a vertex named `vertex`.
pub(crate) fn graphs_with_vertex(day: &str, kind: GraphKind, vertex: &str) -> Find {
    find(
        graph_index(day),
        vec![
            text("type", kind.as_str()),
            Cond::AnyOf {
                path: "vertexes".into(),
                any: vec![text("vertex", vertex)],
            },
        ],
    )
}

/// `listFunction`: the day's function graphs with a vertex `server.<function>`.
pub(crate) fn functions_of(day: &str, server: &str) -> Find {
    find(
        graph_index(day),
        vec![
            text("type", GraphKind::Function.as_str()),
            Cond::AnyOf {
                path: "vertexes".into(),
                any: vec![Cond::Prefix {
                    field: "vertex".into(),
                    prefix: format!("{server}."),
                }],
            },
        ],
    )
}

/// `graphTrace`: the trace's document.
pub(crate) fn trace_by_id(day: &str, trace: &str) -> Find {
    let mut f = find(trace_index(day), vec![text("trace", trace)]);
    f.limit = 1;
    f
}

/// `listTrace` / `listTraceSummary`: traces started within `begin..=end` with a span whose
/// master or slave is `server` (any server when empty), newest first.
pub(crate) fn traces_of(day: &str, server: &str, begin: i64, end: i64) -> Find {
    let mut all = vec![Cond::Range {
        field: "tsTime".into(),
        min: begin,
        max: end,
    }];
    if !server.is_empty() {
        all.push(Cond::AnyOf {
            path: "spans".into(),
            any: vec![text("master", server), text("slave", server)],
        });
    }
    let mut f = find(trace_index(day), all);
    f.sort_desc = Some("tsTime".into());
    f.fields = vec!["trace".into(), "tsTime".into(), "teTime".into()];
    f
}

fn str_of(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_owned()
}

fn int_of(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap_or(0)
}

/// A graph document as `Graph`: vertices and edges with their counts (the span fields and
/// `order` left at their defaults, as the reference's `transformGraph`).
pub(crate) fn graph_answer(doc: &Value) -> Graph {
    let list = |k: &str| {
        doc.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    Graph {
        vs: list("vertexes")
            .iter()
            .map(|v| Vertex {
                vertex: str_of(v, "vertex"),
                call_count: int_of(v, "callCount"),
                call_time: int_of(v, "callTime"),
            })
            .collect(),
        es: list("edges")
            .iter()
            .map(|e| Edge {
                from_vertex: str_of(e, "fromVertex"),
                to_vertex: str_of(e, "toVertex"),
                call_count: int_of(e, "callCount"),
                call_time: int_of(e, "callTime"),
                ..Edge::default()
            })
            .collect(),
    }
}

/// The distinct vertex names starting with `server.` in function graph documents, sorted.
pub(crate) fn function_names(docs: &[Value], server: &str) -> Vec<String> {
    let prefix = format!("{server}.");
    let mut names = BTreeSet::new();
    for doc in docs {
        let vertexes = doc.get("vertexes").and_then(Value::as_array);
        for v in vertexes.into_iter().flatten() {
            let name = str_of(v, "vertex");
            if name.starts_with(&prefix) {
                names.insert(name);
            }
        }
    }
    names.into_iter().collect()
}

/// Trace documents (projected) as summaries.
pub(crate) fn summaries(docs: &[Value]) -> Vec<Summary> {
    docs.iter()
        .map(|d| Summary {
            name: str_of(d, "trace"),
            start_time: int_of(d, "tsTime"),
            end_time: int_of(d, "teTime"),
        })
        .collect()
}

/// `graphTrace`'s answer from a trace document: its function graph with each call's span id,
/// four times, four data fields, `ret` and depth (`graphTraceFunction`). Vertices and edges
/// with the same key add their counts; an edge keeps the span fields of its first call.
pub(crate) fn trace_answer(doc: &Value) -> Graph {
    trace_from_document(doc).map_or_else(Graph::default, |trace| trace_graph(&trace))
}

/// See [`trace_answer`].
pub fn trace_graph(trace: &Trace) -> Graph {
    let mut graph = Graph::default();
    if trace.t_span().is_empty() {
        return graph;
    }
    let root = root_vertex(trace);
    add_vertex(&mut graph.vs, root.vertex, root.call_count, root.call_time);
    walk(trace, GraphKind::Function, &mut (0, 0), |step| {
        let span = step.span;
        let (count, time) = timed(span.sr_time, span.ss_time);
        add_vertex(&mut graph.vs, step.name.clone(), count, time);
        let (call_count, call_time) = timed(span.cs_time, span.cr_time);
        let existing = graph.es.iter_mut().find(|e| {
            e.from_vertex == step.parent && e.to_vertex == step.name && e.order == step.order
        });
        match existing {
            Some(e) => {
                e.call_count = e.call_count.saturating_add(call_count);
                e.call_time = e.call_time.saturating_add(call_time);
            }
            None => graph.es.push(Edge {
                from_vertex: step.parent,
                to_vertex: step.name,
                call_count,
                call_time,
                span_id: span.span.clone(),
                cs_time: span.cs_time,
                sr_time: span.sr_time,
                ss_time: span.ss_time,
                cr_time: span.cr_time,
                cs_data: span.cs_data.clone(),
                sr_data: span.sr_data.clone(),
                ss_data: span.ss_data.clone(),
                cr_data: span.cr_data.clone(),
                ret: span.ret.clone(),
                order: step.order,
            }),
        }
    });
    graph.vs.sort_by(|a, b| a.vertex.cmp(&b.vertex));
    graph.es.sort_by(|a, b| {
        (a.order, &a.from_vertex, &a.to_vertex).cmp(&(b.order, &b.from_vertex, &b.to_vertex))
    });
    graph
}

fn add_vertex(vs: &mut Vec<Vertex>, vertex: String, count: i64, time: i64) {
    match vs.iter_mut().find(|v| v.vertex == vertex) {
        Some(v) => {
            v.call_count = v.call_count.saturating_add(count);
            v.call_time = v.call_time.saturating_add(time);
        }
        None => vs.push(Vertex {
            vertex,
            call_count: count,
            call_time: time,
        }),
    }
}
