//! The three document families with K8SFramework's field names (framework-next §2.4), their
//! ids, and their index templates.
//!
//! | index | document | id |
//! |---|---|---|
//! | `tars_call_log_<date>` | `IRawLog`: trace, span, parent, type, master, slave, function, time, ret, data | [`log_doc_id`]: XXH3-128 of the index and the line |
//! | `tars_call_trace_<date>` | `ITrace`: trace, tSpan, tMaster, tsTime, teTime, spans\[…\], sHash, fHash | [`trace_doc_id`]: XXH3-128 of the trace id |
//! | `tars_call_graph_<date>` | `IGraph`: type, vertexes\[…\], edges\[…\] | [`Graph::id`] in decimal |
//!
//! The date (`YYYYMMDD`) is the caller's: the reference used the trace file's day. Ids are
//! stable across processes and versions (the reference's `std::hash` ids were not), so a
//! re-closed trace and a re-written graph replace their documents.

use serde_json::{Map, Value, json};
use sink::{DocId, DocWriter, IndexSpec, doc_id};

use crate::graph::{Edge, Graph, GraphKind, Vertex};
use crate::line::{Line, RawLog};
use crate::merge::{Span, Trace};

/// Prefix of the raw log indices.
pub const LOG_INDEX_PREFIX: &str = "tars_call_log_";
/// Prefix of the trace indices.
pub const TRACE_INDEX_PREFIX: &str = "tars_call_trace_";
/// Prefix of the graph indices.
pub const GRAPH_INDEX_PREFIX: &str = "tars_call_graph_";

/// `tars_call_log_<date>`.
pub fn log_index(date: &str) -> String {
    format!("{LOG_INDEX_PREFIX}{date}")
}

/// `tars_call_trace_<date>`.
pub fn trace_index(date: &str) -> String {
    format!("{TRACE_INDEX_PREFIX}{date}")
}

/// `tars_call_graph_<date>`.
pub fn graph_index(date: &str) -> String {
    format!("{GRAPH_INDEX_PREFIX}{date}")
}

/// Writes the raw log document (`IRawLog`; `time` a number, `data` still base64), one per
/// line, straight into the batch's NDJSON.
pub fn log_document(d: &mut DocWriter<'_>, raw: &RawLog<'_>) {
    d.str("trace", raw.trace)
        .str("span", raw.span)
        .str("parent", raw.parent)
        .str("type", raw.kind.as_str())
        .str("master", raw.master)
        .str("slave", raw.slave)
        .str("function", raw.function)
        .int("time", raw.time)
        .str("ret", raw.ret)
        .str("data", raw.data);
}

/// The raw log document's id in `index`: a hash of the index name and the whole line, so the
/// same line written twice (a replay) is one document.
pub fn log_doc_id(index: &str, line: &Line<'_>) -> DocId {
    doc_id(&[index.as_bytes(), line.text])
}

/// The trace document (`ITrace`, every `ISpan` field of every span).
pub fn trace_document(trace: &Trace) -> Value {
    json!({
        "trace": trace.trace(),
        "tSpan": trace.t_span(),
        "tMaster": trace.t_master(),
        "tsTime": trace.ts_time(),
        "teTime": trace.te_time(),
        "spans": trace.spans().iter().map(span_document).collect::<Vec<_>>(),
        "sHash": trace.s_hash(),
        "fHash": trace.f_hash(),
    })
}

fn span_document(span: &Span) -> Value {
    json!({
        "span": span.span,
        "parent": span.parent,
        "master": span.master,
        "slave": span.slave,
        "function": span.function,
        "csTime": span.cs_time,
        "crTime": span.cr_time,
        "ssTime": span.ss_time,
        "srTime": span.sr_time,
        "csData": span.cs_data,
        "srData": span.sr_data,
        "ssData": span.ss_data,
        "crData": span.cr_data,
        "ret": span.ret,
        "children": span.children,
    })
}

/// The trace a trace document holds ([`trace_document`] read back); `None` when it is not
/// one (no `trace` text). Missing fields read as empty or 0, as the reference's structs.
pub fn trace_from_document(doc: &Value) -> Option<Trace> {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let int = |v: &Value, k: &str| v.get(k).and_then(Value::as_i64).unwrap_or(0);
    let id = doc.get("trace")?.as_str()?;
    let spans = doc
        .get("spans")
        .and_then(Value::as_array)
        .map(|spans| {
            spans
                .iter()
                .map(|s| Span {
                    span: text(s, "span"),
                    parent: text(s, "parent"),
                    master: text(s, "master"),
                    slave: text(s, "slave"),
                    function: text(s, "function"),
                    cs_time: int(s, "csTime"),
                    cr_time: int(s, "crTime"),
                    ss_time: int(s, "ssTime"),
                    sr_time: int(s, "srTime"),
                    cs_data: text(s, "csData"),
                    sr_data: text(s, "srData"),
                    ss_data: text(s, "ssData"),
                    cr_data: text(s, "crData"),
                    ret: text(s, "ret"),
                    children: s
                        .get("children")
                        .and_then(Value::as_array)
                        .map(|c| {
                            c.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Trace::restore(
        id,
        text(doc, "tSpan"),
        text(doc, "tMaster"),
        (int(doc, "tsTime"), int(doc, "teTime")),
        spans,
        (int(doc, "sHash"), int(doc, "fHash")),
    ))
}

/// The trace document's id: a hash of the trace id alone, so a trace closed again (a late
/// line) replaces its document in the same day's index.
pub fn trace_doc_id(trace: &Trace) -> DocId {
    doc_id(&[TRACE_INDEX_PREFIX.as_bytes(), trace.trace().as_bytes()])
}

/// The graph document (`IGraph`).
pub fn graph_document(graph: &Graph) -> Value {
    let vertexes: Vec<Value> = graph
        .vertexes
        .iter()
        .map(|v| json!({ "vertex": v.vertex, "callCount": v.call_count, "callTime": v.call_time }))
        .collect();
    let edges: Vec<Value> = graph
        .edges
        .iter()
        .map(|e| {
            json!({
                "fromVertex": e.from_vertex,
                "toVertex": e.to_vertex,
                "callCount": e.call_count,
                "callTime": e.call_time,
                "order": e.order,
            })
        })
        .collect();
    json!({ "type": graph.kind.as_str(), "vertexes": vertexes, "edges": edges })
}

/// The graph a graph document holds ([`graph_document`] read back), normalized; `None` when
/// it is not one (no `type` of `server` or `function`).
pub fn graph_from_document(doc: &Value) -> Option<Graph> {
    let kind = match doc.get("type")?.as_str()? {
        "server" => GraphKind::Server,
        "function" => GraphKind::Function,
        _ => return None,
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let int = |v: &Value, k: &str| v.get(k).and_then(Value::as_i64).unwrap_or(0);
    let list = |k: &str| {
        doc.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut graph = Graph::new(kind);
    graph.vertexes = list("vertexes")
        .iter()
        .map(|v| Vertex {
            vertex: text(v, "vertex"),
            call_count: int(v, "callCount"),
            call_time: int(v, "callTime"),
        })
        .collect();
    graph.edges = list("edges")
        .iter()
        .map(|e| Edge {
            from_vertex: text(e, "fromVertex"),
            to_vertex: text(e, "toVertex"),
            call_count: int(e, "callCount"),
            call_time: int(e, "callTime"),
            order: i32::try_from(int(e, "order")).unwrap_or(0),
        })
        .collect();
    graph.normalize();
    Some(graph)
}

/// The graph document's id: [`Graph::id`] in decimal, as the reference.
pub fn graph_doc_id(graph: &Graph) -> String {
    graph.id().to_string()
}

/// The three index families (`tars_call_log_*`, `tars_call_trace_*`, `tars_call_graph_*`),
/// deleted after `delete_after`, with K8SFramework's mappings: names and ids `text` with a
/// `keyword` sub-field (`ignore_above` 256), `type`/`ret`/`data`/`*Data` plain `text` (the graph
/// `type` has its keyword), times and counts `long`, `order` `short`, and `spans`, `vertexes`,
/// `edges` `nested` (`TopologyObj`'s queries need it).
pub fn index_specs(delete_after: &str) -> [IndexSpec; 3] {
    let spec = |prefix: &str, properties: Value| IndexSpec {
        name: prefix.to_owned(),
        patterns: vec![format!("{prefix}*")],
        delete_after: delete_after.to_owned(),
        data_stream: false,
        mappings: Some(json!({ "properties": properties })),
    };
    [
        spec(LOG_INDEX_PREFIX, log_properties()),
        spec(TRACE_INDEX_PREFIX, trace_properties()),
        spec(GRAPH_INDEX_PREFIX, graph_properties()),
    ]
}

/// `text` with a `.keyword` sub-field.
fn named() -> Value {
    json!({ "type": "text", "fields": { "keyword": { "type": "keyword", "ignore_above": 256 } } })
}

fn properties(named_fields: &[&str], text: &[&str], long: &[&str]) -> Map<String, Value> {
    let mut map = Map::new();
    for &f in named_fields {
        map.insert(f.into(), named());
    }
    for &f in text {
        map.insert(f.into(), json!({ "type": "text" }));
    }
    for &f in long {
        map.insert(f.into(), json!({ "type": "long" }));
    }
    map
}

fn log_properties() -> Value {
    Value::Object(properties(
        &["trace", "span", "parent", "master", "slave", "function"],
        &["type", "ret", "data"],
        &["time"],
    ))
}

fn trace_properties() -> Value {
    let spans = properties(
        &["span", "parent", "master", "slave", "function", "children"],
        &["csData", "srData", "ssData", "crData", "ret"],
        &["csTime", "crTime", "ssTime", "srTime"],
    );
    // sHash/fHash: numbers in the document, text + keyword in K8SFramework's template.
    let mut map = properties(
        &["trace", "tSpan", "tMaster", "sHash", "fHash"],
        &[],
        &["tsTime", "teTime"],
    );
    map.insert(
        "spans".into(),
        json!({ "type": "nested", "properties": spans }),
    );
    Value::Object(map)
}

fn graph_properties() -> Value {
    let vertexes = properties(&["vertex"], &[], &["callCount", "callTime"]);
    let mut edges = properties(&["fromVertex", "toVertex"], &[], &["callCount", "callTime"]);
    edges.insert("order".into(), json!({ "type": "short" }));
    let mut map = properties(&["type"], &[], &[]);
    map.insert(
        "vertexes".into(),
        json!({ "type": "nested", "properties": vertexes }),
    );
    map.insert(
        "edges".into(),
        json!({ "type": "nested", "properties": edges }),
    );
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_specs_have_the_nested_mappings_and_patterns() {
        let [log, trace, graph] = index_specs("7d");
        assert_eq!(log.patterns, ["tars_call_log_*"]);
        assert_eq!(trace.name, "tars_call_trace_");
        assert_eq!(graph.delete_after, "7d");
        assert!(!graph.data_stream);
        let props = |s: &IndexSpec| s.mappings.clone().expect("mappings")["properties"].clone();
        assert_eq!(props(&log)["time"], json!({ "type": "long" }));
        assert_eq!(props(&log)["data"], json!({ "type": "text" }));
        assert_eq!(
            props(&log)["trace"]["fields"]["keyword"]["ignore_above"],
            256
        );
        assert_eq!(props(&trace)["spans"]["type"], "nested");
        assert_eq!(
            props(&trace)["spans"]["properties"]["csData"],
            json!({ "type": "text" })
        );
        assert_eq!(props(&trace)["spans"]["properties"]["children"], named());
        assert_eq!(props(&graph)["vertexes"]["type"], "nested");
        assert_eq!(
            props(&graph)["edges"]["properties"]["order"],
            json!({ "type": "short" })
        );
        assert_eq!(props(&graph)["type"], named());
        for spec in [&log, &trace, &graph] {
            sink::validate_index_name(&format!("{}20240328", spec.name)).expect("valid name");
            let body = spec.template_body(true);
            assert_eq!(body["index_patterns"], json!(spec.patterns));
        }
    }
}
