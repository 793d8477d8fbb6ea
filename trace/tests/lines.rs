//! Bad lines are refused with a reason, and no input panics (proptest).

use proptest::prelude::*;
use tars_trace::{
    CloseReason, Config, Metrics, Refused, Traces, merge_lines, parse, records, trace_graphs,
};

const MAX: usize = 100 << 10;

fn with(fields: [&str; 15]) -> Vec<u8> {
    let mut line = fields.join("|").into_bytes();
    line.push(b'\n');
    line
}

const GOOD: [&str; 15] = [
    "n",
    "App",
    "Srv",
    "2024-03-28 17:29:45",
    "t",
    "s",
    "s",
    "cs",
    "App.Srv",
    "B.C.Obj",
    "f",
    "17",
    "0",
    "ZA==",
    "",
];

#[test]
fn h_each_bad_line_is_refused_with_its_reason() {
    assert!(parse(&with(GOOD), MAX).is_ok());
    let mut time = GOOD;
    time[11] = "17ms";
    let mut negative = GOOD;
    negative[11] = "-17";
    let mut kind = GOOD;
    kind[7] = "xx";
    let mut upper = GOOD;
    upper[7] = "CS";
    let mut span = GOOD;
    span[5] = "";
    let cases: Vec<(Vec<u8>, Refused)> = vec![
        (
            b"n|App|Srv|2024-03-28 17:29:45|t|s|s|cs|A|B|f|17|0|ZA==".to_vec(),
            Refused::TooFewFields,
        ),
        (b"".to_vec(), Refused::TooFewFields),
        (b"\n".to_vec(), Refused::TooFewFields),
        (with(time), Refused::BadTime),
        (with(negative), Refused::BadTime),
        (with(kind), Refused::UnknownAnnotation),
        (with(upper), Refused::UnknownAnnotation),
        (with(span), Refused::EmptyId),
        (
            b"n|App|\xff|2024-03-28 17:29:45|t|s|s|cs|A|B|f|17|0|ZA==|\n".to_vec(),
            Refused::NotUtf8,
        ),
    ];
    for (line, reason) in &cases {
        assert_eq!(
            parse(line, MAX),
            Err(*reason),
            "{}",
            String::from_utf8_lossy(line)
        );
    }
    // Over-long: the limit counts the line without its newline.
    let good = with(GOOD);
    assert!(parse(&good, good.len() - 1).is_ok());
    assert_eq!(parse(&good, good.len() - 2), Err(Refused::TooLong));
    // Non-UTF-8 in `ex` is kept as bytes.
    let mut ex = good[..good.len() - 1].to_vec();
    ex.extend_from_slice(b"\xff\xfe\n");
    assert_eq!(parse(&ex, MAX).expect("valid").ex, b"\xff\xfe");

    let metrics = Metrics::default();
    let mut traces = Traces::new(&Config::default(), metrics.clone());
    let elements: Vec<&[u8]> = cases.iter().map(|(l, _)| l.as_slice()).collect();
    let done = merge_lines(&mut traces, &elements, 0);
    assert_eq!((done.merged, done.refused), (0, cases.len()));
    assert_eq!(metrics.refused(Refused::TooFewFields), 3);
    assert_eq!(metrics.refused(Refused::BadTime), 2);
    assert_eq!(metrics.refused(Refused::UnknownAnnotation), 2);
    assert_eq!(metrics.refused(Refused::EmptyId), 1);
    assert_eq!(metrics.refused(Refused::NotUtf8), 1);
    assert_eq!(traces.open_traces(), 0);
}

/// A line whose fields come from small alphabets, so that traces, spans and parents collide
/// often (cycles, second parents, missing roots) and every annotation occurs.
fn field_line() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec!["t1", "t2", "t3"]),
        prop::sample::select(vec!["a", "b", "c", "d"]),
        prop::sample::select(vec!["a", "b", "c", "d", "*"]),
        prop::sample::select(vec!["cs", "cr", "sr", "ss", "ts", "te", "zz"]),
        prop::sample::select(vec!["", "A.A", "B.B.Obj", ".x.y.z"]),
        0i64..3_000,
        prop::collection::vec(any::<u8>(), 0..8),
    )
        .prop_map(|(trace, span, parent, ty, slave, time, ex)| {
            let mut line = format!(
                "n|A|B|2024-03-28 17:29:45|{trace}|{span}|{parent}|{ty}|A.A|{slave}|f|{time}|0|ZA==|"
            )
            .into_bytes();
            line.extend(ex);
            line.push(b'\n');
            line
        })
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), max in 0usize..500) {
        let _ = parse(&bytes, max);
        let mut consumed = 0;
        let mut it = records(&bytes);
        for record in it.by_ref() {
            consumed += record.len();
            let _ = parse(record, max);
        }
        prop_assert_eq!(it.consumed(), consumed);
        let mut traces = Traces::new(&Config::default(), Metrics::default());
        let elements: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        merge_lines(&mut traces, &elements, 0);
        let _ = traces.close_all(1);
    }

    #[test]
    fn random_traces_close_once_and_release_their_bytes(
        steps in prop::collection::vec((field_line(), 0i64..4_000, any::<bool>()), 1..200),
        max_open_traces in 1usize..4,
        max_open_bytes in 500usize..5_000,
    ) {
        let config = Config { max_open_traces, max_open_bytes, ..Config::default() };
        let metrics = Metrics::default();
        let mut traces = Traces::new(&config, metrics.clone());
        let mut now = 0;
        let mut closed = Vec::new();
        for (line, advance, poll) in &steps {
            now += advance;
            merge_lines(&mut traces, &[line], now);
            prop_assert!(traces.open_traces() <= max_open_traces);
            if *poll {
                closed.extend(traces.poll(now));
            }
        }
        closed.extend(traces.close_all(now));
        prop_assert_eq!(traces.open_traces(), 0);
        prop_assert_eq!(traces.open_bytes(), 0);
        let total: u64 = CloseReason::ALL.iter().map(|&r| metrics.closed(r)).sum();
        prop_assert_eq!(total, closed.len() as u64);
        for c in &closed {
            // Graphs are rebuilt the same from the closed trace, ids included.
            let again = trace_graphs(&c.trace);
            prop_assert_eq!(c.trace.s_hash(), again.server.id());
            prop_assert_eq!(&again, &c.graphs);
        }
    }
}
