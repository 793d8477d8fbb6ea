//! From hand-written trace lines to the exact trace, graph and log documents (framework-next
//! §2.3, §2.4). Expected documents are computed by hand from the spec; the comments show the
//! arithmetic.

mod common;

use common::*;
use serde_json::json;
use tars_trace::document::{
    graph_doc_id, graph_document, graph_from_document, log_doc_id, log_document, log_index,
    trace_document, trace_from_document,
};
use tars_trace::topology::trace_detail_graph;
use tars_trace::{Added, CloseReason, Config, Graph, GraphKind, Graphs, parse, records};

#[test]
fn a_root_call_with_two_children_gives_the_exact_trace_and_graphs() {
    let (mut traces, metrics) = traces(&Config::default());
    feed(&mut traces, &root_with_two_children("f-a"), 0);
    assert!(traces.poll(4_999).is_empty(), "quiet for 4.999 s only");
    let closed = one(traces.poll(5_000));
    assert_eq!(closed.reason, CloseReason::Quiet);
    assert_eq!(
        trace_document(&closed.trace),
        json!({
            "trace": "f-a", "tSpan": "r", "tMaster": "Test.A", "tsTime": 1000, "teTime": 1020,
            "spans": [
                span("r", "r", "Test.A", "Test.B", "hello", 1000, 1020, &["c1", "c2"]),
                span("c1", "r", "Test.B", "Test.C", "c", 1003, 1007, &[]),
                span("c2", "r", "Test.B", "Test.D", "d", 1008, 1013, &[]),
            ],
            "sHash": SERVER_ID_A, "fHash": FUNCTION_ID_A,
        })
    );
    assert_eq!(graph_document(&closed.graphs.server), server_graph_a());
    assert_eq!(graph_document(&closed.graphs.function), function_graph_a());
    assert_eq!(graph_doc_id(&closed.graphs.server), SERVER_ID_A.to_string());
    assert_eq!(metrics.lines(), 12);
    assert_eq!(metrics.spans(), 3);
    assert_eq!(metrics.closed(CloseReason::Quiet), 1);
    assert_eq!(metrics.open(), (0, 0));
}

#[test]
fn b_a_server_half_before_its_client_half_shares_the_span() {
    let (mut traces, _) = traces(&Config::default());
    let root = call("f-b", "r", "r", "Test.A", "Test.B", "hello", 1000, 1020);
    let child = call("f-b", "c1", "r", "Test.B", "Test.C", "c", 1003, 1007);
    // The callee's lines first (a server flushes its log before its caller does).
    // (A call's lines are its cs, sr, ss, cr, in that order.)
    let order = [
        &child[1], &child[2], &root[1], &root[2], &root[0], &child[0], &child[3], &root[3],
    ];
    feed(&mut traces, &order.map(Clone::clone), 0);
    let closed = one(traces.poll(5_000));
    // c1 was created by its sr line (slave, function, srData, srTime), then cs/cr added the
    // parent, master and client fields and listed it under r; r's entry came with its sr.
    assert_eq!(
        trace_document(&closed.trace)["spans"],
        json!([
            span("c1", "r", "Test.B", "Test.C", "c", 1003, 1007, &[]),
            span("r", "r", "Test.A", "Test.B", "hello", 1000, 1020, &["c1"]),
        ])
    );
    assert_eq!(closed.trace.t_span(), "r");
    assert_eq!(closed.graphs.server.edges.len(), 2);
    assert_eq!(closed.graphs.server.edges[1].call_time, 4);
}

#[test]
fn c_an_ex_field_with_newlines_is_one_record_fed_or_read_from_a_file() {
    let mut lines = root_with_two_children("f-c");
    let mut with_ex = lines[4].clone(); // c1's ss
    with_ex.truncate(with_ex.len() - 1);
    with_ex.extend_from_slice(b"java.lang.Exception: boom\n\tat B.c(B.java:3)\n\tat B.run|x\n");
    lines[4] = with_ex.clone();

    // Fed element by element (the log service).
    let (mut fed, _) = traces(&Config::default());
    feed(&mut fed, &lines, 0);
    let fed = one(fed.poll(5_000));

    // Read back from a file written with those elements.
    let file: Vec<u8> = lines.concat();
    let read_lines: Vec<Vec<u8>> = records(&file).map(<[u8]>::to_vec).collect();
    assert_eq!(read_lines.len(), 12);
    assert_eq!(read_lines[4], with_ex);
    let parsed = parse(&with_ex, 100 << 10).expect("valid");
    assert_eq!(
        parsed.ex,
        b"java.lang.Exception: boom\n\tat B.c(B.java:3)\n\tat B.run|x"
    );
    let (mut read, _) = traces(&Config::default());
    feed(&mut read, &read_lines, 0);
    let read = one(read.poll(5_000));

    // The same document as without `ex`.
    let expected = {
        let (mut plain, _) = traces(&Config::default());
        feed(&mut plain, &root_with_two_children("f-c"), 0);
        trace_document(&one(plain.poll(5_000)).trace)
    };
    assert_eq!(trace_document(&fed.trace), expected);
    assert_eq!(trace_document(&read.trace), expected);
}

#[test]
fn g_graph_ids_are_stable_and_same_shaped_traces_aggregate() {
    // XXH3-64 of "" is 0x2D06800538D394C2 (the algorithm's published test vector).
    assert_eq!(
        Graph::new(GraphKind::Server).id(),
        0x2D06_8005_38D3_94C2 >> 1
    );

    let (mut traces, metrics) = traces(&Config::default());
    feed(&mut traces, &root_with_two_children("g1"), 0);
    // The same shape, other times: every time 100 ms later and the root 10 ms longer.
    let mut g2 = root_with_two_children("g2");
    g2[11] = line(
        "g2",
        "cr",
        "r",
        "r",
        "Test.A",
        "Test.B.BObj",
        "hello",
        1030,
        "cr-r",
    );
    feed(&mut traces, &g2, 0);
    let closed = traces.poll(5_000);
    assert_eq!(closed.len(), 2);
    assert_eq!(closed[0].graphs.server.id(), SERVER_ID_A);
    assert_eq!(closed[1].graphs.server.id(), SERVER_ID_A);
    assert_eq!(closed[1].graphs.function.id(), FUNCTION_ID_A);

    let mut graphs = Graphs::new(10, metrics.clone());
    for c in &closed {
        graphs.add("20240328", &c.graphs.server);
        graphs.add("20240328", &c.graphs.function);
    }
    assert_eq!(metrics.graphs(), (2, 2));
    let changed = graphs.take_changed();
    assert_eq!(changed.len(), 2);
    let server = graphs.get("20240328", SERVER_ID_A).expect("server graph");
    // Counts doubled; A's and the A→B edge's times 20 + 30; the rest doubled.
    assert_eq!(
        graph_document(server),
        json!({
            "type": "server",
            "vertexes": [
                { "vertex": "Test.A", "callCount": 2, "callTime": 50 },
                { "vertex": "Test.B", "callCount": 2, "callTime": 36 },
                { "vertex": "Test.C", "callCount": 2, "callTime": 4 },
                { "vertex": "Test.D", "callCount": 2, "callTime": 6 },
            ],
            "edges": [
                { "fromVertex": "Test.A", "toVertex": "Test.B", "callCount": 2, "callTime": 50, "order": 0 },
                { "fromVertex": "Test.B", "toVertex": "Test.C", "callCount": 2, "callTime": 8, "order": 0 },
                { "fromVertex": "Test.B", "toVertex": "Test.D", "callCount": 2, "callTime": 10, "order": 0 },
            ],
        })
    );
    assert_eq!(
        graphs.add("20240328", &Graph::new(GraphKind::Server)),
        Added::Empty
    );
}

#[test]
fn log_documents_keep_the_raw_fields_and_ids_are_per_line() {
    let lines = root_with_two_children("f-l");
    let cs = parse(&lines[0], 1 << 20).expect("valid");
    let mut batch = sink::Batch::new();
    batch
        .push(sink::Op::Index, "tars_call_log_20240328", "id", |d| {
            log_document(d, &cs.raw);
        })
        .expect("pushed");
    let ndjson = std::str::from_utf8(batch.ndjson()).expect("utf-8");
    let document: serde_json::Value =
        serde_json::from_str(ndjson.lines().nth(1).expect("document line")).expect("json");
    assert_eq!(
        document,
        json!({
            "trace": "f-l", "span": "r", "parent": "r", "type": "cs", "master": "Test.A",
            "slave": "Test.B", "function": "hello", "time": 1000, "ret": "0", "data": "cs-r",
        })
    );
    let index = log_index("20240328");
    assert_eq!(index, "tars_call_log_20240328");
    let sr = parse(&lines[1], 1 << 20).expect("valid");
    assert_ne!(log_doc_id(&index, &cs), log_doc_id(&index, &sr));
    let again = parse(&lines[0][..lines[0].len() - 1], 1 << 20).expect("without newline");
    assert_eq!(log_doc_id(&index, &cs), log_doc_id(&index, &again));
}

#[test]
fn documents_read_back_to_the_same_trace_and_graphs() {
    let (mut traces, _) = traces(&Config::default());
    feed(&mut traces, &root_with_two_children("f-r"), 0);
    let closed = one(traces.poll(5_000));
    let doc = trace_document(&closed.trace);
    let back = trace_from_document(&doc).expect("a trace document");
    assert_eq!(trace_document(&back), doc);
    for graph in [&closed.graphs.server, &closed.graphs.function] {
        let doc = graph_document(graph);
        let back = graph_from_document(&doc).expect("a graph document");
        assert_eq!(graph_document(&back), doc);
        assert_eq!(
            graph_doc_id(&back),
            graph_doc_id(graph),
            "the id is the shape's"
        );
    }
    assert!(trace_from_document(&json!({"trace": 1})).is_none());
    assert!(graph_from_document(&json!({"type": "trace", "vertexes": []})).is_none());
    assert!(graph_from_document(&json!({"vertexes": []})).is_none());
}

/// An edge of `graphTrace`'s answer: (from, to, order, count, time, span, cs, sr, ss, cr,
/// ret) and the four data fields.
fn edge_of(e: &tars_rpc::interfaces::topology::Edge) -> (String, String, i32, i64, i64, String) {
    (
        e.from_vertex.clone(),
        e.to_vertex.clone(),
        e.order,
        e.call_count,
        e.call_time,
        format!(
            "{} {} {} {} {} {} {} {} {} {}",
            e.span_id,
            e.cs_time,
            e.sr_time,
            e.ss_time,
            e.cr_time,
            e.cs_data,
            e.sr_data,
            e.ss_data,
            e.cr_data,
            e.ret
        ),
    )
}

#[test]
fn graph_trace_answers_the_chain_with_each_calls_span_fields() {
    let (mut traces, _) = traces(&Config::default());
    feed(&mut traces, &root_with_two_children("f-g"), 0);
    let doc = trace_document(&one(traces.poll(5_000)).trace);
    let graph = trace_detail_graph(&trace_from_document(&doc).expect("trace"));
    let vertices: Vec<(&str, i64, i64)> = graph
        .vs
        .iter()
        .map(|v| (v.vertex.as_str(), v.call_count, v.call_time))
        .collect();
    // As the function graph: root te - ts = 20, each callee ss - sr.
    assert_eq!(
        vertices,
        [
            ("Test.A", 1, 20),
            ("Test.B.hello", 1, 18),
            ("Test.C.c", 1, 2),
            ("Test.D.d", 1, 3)
        ]
    );
    let s = |text: &str| text.to_owned();
    assert_eq!(
        graph.es.iter().map(edge_of).collect::<Vec<_>>(),
        [
            (
                s("Test.A"),
                s("Test.B.hello"),
                1,
                1,
                20,
                s("r 1000 1001 1019 1020 cs-r sr-r ss-r cr-r 0")
            ),
            (
                s("Test.B.hello"),
                s("Test.C.c"),
                2,
                1,
                4,
                s("c1 1003 1004 1006 1007 cs-c1 sr-c1 ss-c1 cr-c1 0")
            ),
            (
                s("Test.B.hello"),
                s("Test.D.d"),
                2,
                1,
                5,
                s("c2 1008 1009 1012 1013 cs-c2 sr-c2 ss-c2 cr-c2 0")
            ),
        ]
    );
}

#[test]
fn graph_trace_adds_repeated_calls_into_one_edge_that_keeps_the_first_calls_fields() {
    let (mut traces, _) = traces(&Config::default());
    let mut lines = call("f-h", "r", "r", "Test.A", "Test.B", "hello", 1000, 1020).to_vec();
    let root_end = lines.split_off(2);
    lines.extend(call("f-h", "c1", "r", "Test.B", "Test.C", "c", 1003, 1007));
    lines.extend(call("f-h", "c2", "r", "Test.B", "Test.C", "c", 1008, 1018));
    lines.extend(root_end);
    feed(&mut traces, &lines, 0);
    let doc = trace_document(&one(traces.poll(5_000)).trace);
    let graph = trace_detail_graph(&trace_from_document(&doc).expect("trace"));
    let callee = graph
        .vs
        .iter()
        .find(|v| v.vertex == "Test.C.c")
        .expect("Test.C.c");
    // Two calls: (1006 - 1004) + (1017 - 1009) = 10.
    assert_eq!((callee.call_count, callee.call_time), (2, 10));
    let (_, _, order, count, time, fields) = edge_of(&graph.es[1]);
    // cr - cs: 4 + 10 = 14; the span fields of c1, the first call.
    assert_eq!((order, count, time), (2, 2, 14));
    assert_eq!(fields, "c1 1003 1004 1006 1007 cs-c1 sr-c1 ss-c1 cr-c1 0");
    assert_eq!(graph.es.len(), 2);
}
