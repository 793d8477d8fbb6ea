//! When traces close: the quiet time after the last line, the incomplete wait, the cap, late
//! lines, the bounds (closing early, never dropping), inconsistent spans and refused lines.

mod common;

use common::*;
use tars_trace::document::{graph_document, trace_doc_id};
use tars_trace::{Bound, CloseReason, Config, Refused, merge_lines};

#[test]
fn d_a_late_span_after_the_quiet_time_is_a_new_trace_with_the_same_document_id() {
    let (mut traces, _) = traces(&Config::default());
    let lines = root_with_two_children("f-d");
    // Lines keep arriving for 8 s: the trace stays open until 5 s after the last one
    // (the reference closed it ~6 s after the first).
    feed(&mut traces, &lines[..4], 0);
    feed(&mut traces, &lines[4..8], 4_000);
    assert!(traces.poll(8_000).is_empty());
    feed(&mut traces, &lines[8..11], 8_000);
    assert!(traces.poll(12_999).is_empty());
    let first = one(traces.poll(13_000));
    assert_eq!(first.trace.spans()[0].cr_time, 0, "r's cr has not arrived");

    // r's cr arrives late: a new trace with the same id.
    feed(&mut traces, &lines[11..], 20_000);
    assert_eq!(traces.open_traces(), 1);
    // Alone, the root's cr ends the root while its span lacks cs, sr and ss: the long wait.
    assert!(traces.poll(119_999).is_empty());
    let late = one(traces.poll(120_000));
    assert_eq!(late.reason, CloseReason::Incomplete);
    assert_eq!(trace_doc_id(&late.trace), trace_doc_id(&first.trace));
    assert_eq!(late.trace.trace(), "f-d");
    assert_eq!(late.trace.te_time(), 1020);
    assert_eq!(late.trace.spans().len(), 1);
    assert!(
        !late.graphs.server.is_empty(),
        "the root line alone still makes a graph"
    );
}

#[test]
fn e_the_open_traces_bound_closes_the_least_recently_updated_trace_early() {
    let config = Config {
        max_open_traces: 2,
        ..Config::default()
    };
    let (mut traces, metrics) = traces(&config);
    let t1 = root_with_two_children("t1");
    let t2 = root_with_two_children("t2");
    let t3 = root_with_two_children("t3");
    feed(&mut traces, &t1[..1], 0);
    feed(&mut traces, &t2[..1], 1);
    feed(&mut traces, &t1[1..2], 2); // t1 updated after t2
    feed(&mut traces, &t3[..1], 3);
    assert_eq!(traces.open_traces(), 2);
    let closed = one(traces.poll(4));
    assert_eq!(closed.trace.trace(), "t2");
    assert_eq!(closed.reason, CloseReason::OpenTraces);
    assert_eq!(metrics.bound_hits(Bound::OpenTraces), 1);
    assert_eq!(metrics.closed(CloseReason::OpenTraces), 1);
    let rest = traces.close_all(5);
    let ids: Vec<&str> = rest.iter().map(|c| c.trace.trace()).collect();
    assert_eq!(ids, ["t1", "t3"]);
    assert!(rest.iter().all(|c| c.reason == CloseReason::Shutdown));
}

#[test]
fn e_the_open_bytes_bound_closes_traces_early_never_drops_them() {
    let config = Config {
        max_open_bytes: 3_000,
        ..Config::default()
    };
    let (mut traces, metrics) = traces(&config);
    for i in 0..10 {
        feed(&mut traces, &root_with_two_children(&format!("t{i}")), i);
        assert!(traces.open_bytes() <= 3_000);
    }
    let mut closed = traces.poll(10);
    let early = closed.len();
    assert!(early > 0 && metrics.bound_hits(Bound::OpenBytes) == early as u64);
    closed.extend(traces.close_all(11));
    assert_eq!(closed.len(), 10, "every trace comes out once");
    assert_eq!(closed[0].trace.trace(), "t0");
    assert_eq!(closed[0].reason, CloseReason::OpenBytes);
    // A trace the bound closed while incomplete is still whole up to its last line.
    assert_eq!(metrics.lines(), 120);
}

#[test]
fn f_a_span_cycle_from_inconsistent_lines_neither_hangs_nor_panics() {
    let (mut traces, metrics) = traces(&Config::default());
    // r → a → b, then a line claims a is b's child: a cycle the reference recursed into
    // forever.
    let mut lines = call("f-f", "r", "r", "Test.A", "Test.B", "hello", 1000, 1020).to_vec();
    lines.extend(call("f-f", "a", "r", "Test.B", "Test.C", "c", 1001, 1010));
    lines.extend(call("f-f", "b", "a", "Test.C", "Test.D", "d", 1002, 1009));
    lines.push(line(
        "f-f",
        "cs",
        "a",
        "b",
        "Test.D",
        "Test.C.CObj",
        "c",
        1003,
        "",
    ));
    feed(&mut traces, &lines, 0);
    let closed = one(traces.poll(5_000));
    assert_eq!(closed.trace.span("b").expect("b").children, ["a"]);
    assert_eq!(closed.graphs.repeated_spans, 2, "once per graph");
    assert_eq!(closed.graphs.server.vertexes.len(), 4);
    assert_eq!(metrics.skipped_spans(), (0, 2));
}

#[test]
fn an_ended_root_with_a_span_lacking_a_time_waits_the_incomplete_time() {
    let (mut traces, metrics) = traces(&Config::default());
    let mut lines = root_with_two_children("f-i");
    lines.remove(4); // c1's ss never arrives
    feed(&mut traces, &lines, 0);
    assert!(
        traces.poll(99_999).is_empty(),
        "waits 100 s after the last line"
    );
    let closed = one(traces.poll(100_000));
    assert_eq!(closed.reason, CloseReason::Incomplete);
    // c1's server half is incomplete: its vertex counts nothing; its edge still counts.
    let c = &closed.graphs.server.vertexes[2];
    assert_eq!(
        (c.vertex.as_str(), c.call_count, c.call_time),
        ("Test.C", 0, 0)
    );
    assert_eq!(metrics.closed(CloseReason::Incomplete), 1);
}

#[test]
fn a_root_not_yet_ended_closes_after_the_quiet_time_and_a_busy_trace_at_the_cap() {
    let (mut traces, _) = traces(&Config::default());
    let lines = root_with_two_children("f-q");
    feed(&mut traces, &lines[..5], 0); // no r cr: teTime 0, the normal wait
    assert_eq!(one(traces.poll(5_000)).reason, CloseReason::Quiet);

    let mut at = 0;
    for l in &lines {
        feed(&mut traces, std::slice::from_ref(l), at);
        at += 4_000;
        if at <= 300_000 {
            assert!(traces.poll(at - 1).is_empty());
        }
    }
    let mut busy = Vec::new();
    while at <= 300_000 {
        feed(&mut traces, &lines[..1], at);
        busy.extend(traces.poll(at));
        at += 4_000;
    }
    busy.extend(traces.poll(300_000));
    assert_eq!(one(busy).reason, CloseReason::MaxOpen);
}

#[test]
fn refused_lines_are_counted_by_reason() {
    let (mut traces, metrics) = traces(&Config::default());
    let good = root_with_two_children("f-h").remove(0);
    let elements: [&[u8]; 4] = [&good, b"a|b|c", b"", &good];
    let done = merge_lines(&mut traces, &elements, 0);
    assert_eq!((done.merged, done.refused), (2, 2));
    assert_eq!(metrics.refused(Refused::TooFewFields), 2);
    assert_eq!(metrics.lines(), 2);
}

#[test]
fn a_waiting_trace_whose_missing_half_arrives_closes_the_quiet_time_after_it() {
    let (mut traces, _) = traces(&Config::default());
    let mut lines = root_with_two_children("f-w");
    let missing = lines.remove(4); // c1's ss, late
    feed(&mut traces, &lines, 0);
    assert!(traces.poll(30_000).is_empty(), "waiting for c1's ss");
    feed(&mut traces, &[missing], 30_000);
    assert!(traces.poll(34_999).is_empty());
    let closed = one(traces.poll(35_000));
    assert_eq!(closed.reason, CloseReason::Quiet);
    assert_eq!(graph_document(&closed.graphs.server), server_graph_a());
}
