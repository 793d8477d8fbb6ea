//! What the trace tests share: trace lines as tarslog writes them, the example trace of (a)
//! (a root call with two children) and its graphs computed by hand from framework-next §2.3.

#![allow(dead_code, unreachable_pub)] // each test file uses a part

use serde_json::{Value, json};
use tars_trace::{Closed, Config, Metrics, Traces, merge_lines};

/// One trace line as tarslog writes it (prefix, client time, the client's message, newline).
#[allow(clippy::too_many_arguments)]
pub fn line(
    trace: &str,
    ty: &str,
    span: &str,
    parent: &str,
    master: &str,
    slave: &str,
    function: &str,
    time: i64,
    data: &str,
) -> Vec<u8> {
    format!(
        "test-x-0.test-x|Test|X|2024-03-28 17:29:45|{trace}|{span}|{parent}|{ty}|{master}|{slave}|{function}|{time}|0|{data}|\n"
    )
    .into_bytes()
}

/// The four lines of one call `span` (client `master` calling `callee`.`function`), client
/// send at `cs`, server receive `cs + 1`, server send `cr - 1`, client receive `cr`; data
/// fields name the line (`cs-<span>`, ...).
#[allow(clippy::too_many_arguments)]
pub fn call(
    trace: &str,
    span: &str,
    parent: &str,
    master: &str,
    callee: &str,
    function: &str,
    cs: i64,
    cr: i64,
) -> [Vec<u8>; 4] {
    let obj = format!("{callee}.{}Obj", &callee[callee.len() - 1..]);
    [
        line(
            trace,
            "cs",
            span,
            parent,
            master,
            &obj,
            function,
            cs,
            &format!("cs-{span}"),
        ),
        line(
            trace,
            "sr",
            span,
            "*",
            "",
            callee,
            function,
            cs + 1,
            &format!("sr-{span}"),
        ),
        line(
            trace,
            "ss",
            span,
            "*",
            "",
            callee,
            function,
            cr - 1,
            &format!("ss-{span}"),
        ),
        line(
            trace,
            "cr",
            span,
            parent,
            master,
            &obj,
            function,
            cr,
            &format!("cr-{span}"),
        ),
    ]
}

pub fn traces(config: &Config) -> (Traces, Metrics) {
    let metrics = Metrics::default();
    (Traces::new(config, metrics.clone()), metrics)
}

pub fn feed(traces: &mut Traces, lines: &[Vec<u8>], now_ms: i64) {
    let elements: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
    let done = merge_lines(traces, &elements, now_ms);
    assert_eq!(done.refused, 0, "every test line is valid");
}

pub fn one(mut closed: Vec<Closed>) -> Closed {
    assert_eq!(closed.len(), 1, "{closed:?}");
    closed.remove(0)
}

/// The expected span document.
#[allow(clippy::too_many_arguments)]
pub fn span(
    id: &str,
    parent: &str,
    master: &str,
    slave: &str,
    function: &str,
    cs: i64,
    cr: i64,
    children: &[&str],
) -> Value {
    json!({
        "span": id, "parent": parent, "master": master, "slave": slave, "function": function,
        "csTime": cs, "srTime": cs + 1, "ssTime": cr - 1, "crTime": cr,
        "csData": format!("cs-{id}"), "srData": format!("sr-{id}"),
        "ssData": format!("ss-{id}"), "crData": format!("cr-{id}"),
        "ret": "0", "children": children,
    })
}

/// (a) The root call Test.A → Test.B.hello (cs 1000, cr 1020), whose server calls Test.C.c
/// (1003..1007) and Test.D.d (1008..1013): 12 lines, in the order they happen.
pub fn root_with_two_children(trace: &str) -> Vec<Vec<u8>> {
    let [root_send, root_received, root_answered, root_reply] =
        call(trace, "r", "r", "Test.A", "Test.B", "hello", 1000, 1020);
    let c = call(trace, "c1", "r", "Test.B", "Test.C", "c", 1003, 1007);
    let d = call(trace, "c2", "r", "Test.B", "Test.D", "d", 1008, 1013);
    let mut lines = vec![root_send, root_received];
    lines.extend(c);
    lines.extend(d);
    lines.extend([root_answered, root_reply]);
    lines
}

// Server graph of (a): vertices Test.A (te - ts = 20), Test.B (ss - sr = 1019 - 1001 = 18),
// Test.C (1006 - 1004 = 2), Test.D (1012 - 1009 = 3); edges A→B (cr - cs = 20), B→C (4),
// B→D (5), order 0; sorted by name / (order, from, to).
pub fn server_graph_a() -> Value {
    json!({
        "type": "server",
        "vertexes": [
            { "vertex": "Test.A", "callCount": 1, "callTime": 20 },
            { "vertex": "Test.B", "callCount": 1, "callTime": 18 },
            { "vertex": "Test.C", "callCount": 1, "callTime": 2 },
            { "vertex": "Test.D", "callCount": 1, "callTime": 3 },
        ],
        "edges": [
            { "fromVertex": "Test.A", "toVertex": "Test.B", "callCount": 1, "callTime": 20, "order": 0 },
            { "fromVertex": "Test.B", "toVertex": "Test.C", "callCount": 1, "callTime": 4, "order": 0 },
            { "fromVertex": "Test.B", "toVertex": "Test.D", "callCount": 1, "callTime": 5, "order": 0 },
        ],
    })
}

// Function graph of (a): vertices `slave.function`, the root edge from tMaster at order 1, the
// children's edges at order 2.
pub fn function_graph_a() -> Value {
    json!({
        "type": "function",
        "vertexes": [
            { "vertex": "Test.A", "callCount": 1, "callTime": 20 },
            { "vertex": "Test.B.hello", "callCount": 1, "callTime": 18 },
            { "vertex": "Test.C.c", "callCount": 1, "callTime": 2 },
            { "vertex": "Test.D.d", "callCount": 1, "callTime": 3 },
        ],
        "edges": [
            { "fromVertex": "Test.A", "toVertex": "Test.B.hello", "callCount": 1, "callTime": 20, "order": 1 },
            { "fromVertex": "Test.B.hello", "toVertex": "Test.C.c", "callCount": 1, "callTime": 4, "order": 2 },
            { "fromVertex": "Test.B.hello", "toVertex": "Test.D.d", "callCount": 1, "callTime": 5, "order": 2 },
        ],
    })
}

/// The graph ids of (a), pinned: XXH3-64 of the reference's concatenation, shifted right by
/// one, checked with `xxhsum -H3` (`printf 'Test.ATest.B0Test.BTest.C0Test.BTest.D0Test.ATest.BTest.CTest.D'`
/// hashes to 0x83ca804fa0c5eda5, the function graph's string to 0x97e890cb688c0e36). A change
/// here changes every graph document id.
pub const SERVER_ID_A: i64 = 4_748_271_921_876_104_914;
pub const FUNCTION_ID_A: i64 = 5_473_079_048_815_380_251;
