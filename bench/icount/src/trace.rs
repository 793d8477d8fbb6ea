//! The trace pipeline's core: one call chain's eight client lines (a root call `Test.A` →
//! `Test.B.hello` and its child `Test.B` → `Test.C.world`, each with its cs, sr, ss and cr
//! halves) parsed, merged into a trace, closed and turned into its server and function graphs.

use std::hint::black_box;

use crate::{Case, Limit, Op};

/// The lines as the log service hands them over: `node|app|server|` then the client's line.
const LINES: [&str; 8] = [
    "test-a-0|Test|A|2024-03-28 17:29:45|f-6a1b|0300aa01|0300aa01|cs|Test.A|Test.B.BObj|hello|1711618185100|0|eyJuYW1lIjoieCJ9|\n",
    "test-b-0|Test|B|2024-03-28 17:29:45|f-6a1b|0300aa01|*|sr||Test.B|hello|1711618185102|0|eyJuYW1lIjoieCJ9|\n",
    "test-b-0|Test|B|2024-03-28 17:29:45|f-6a1b|0300bb02|0300aa01|cs|Test.B|Test.C.CObj|world|1711618185103|0|e30=|\n",
    "test-c-0|Test|C|2024-03-28 17:29:45|f-6a1b|0300bb02|*|sr||Test.C|world|1711618185104|0|e30=|\n",
    "test-c-0|Test|C|2024-03-28 17:29:45|f-6a1b|0300bb02|*|ss||Test.C|world|1711618185106|0|eyIiOjB9|\n",
    "test-b-0|Test|B|2024-03-28 17:29:45|f-6a1b|0300bb02|0300aa01|cr|Test.B|Test.C.CObj|world|1711618185107|0|eyIiOjB9|\n",
    "test-b-0|Test|B|2024-03-28 17:29:45|f-6a1b|0300aa01|*|ss||Test.B|hello|1711618185108|0|eyIiOjB9|\n",
    "test-a-0|Test|A|2024-03-28 17:29:45|f-6a1b|0300aa01|0300aa01|cr|Test.A|Test.B.BObj|hello|1711618185110|0|eyIiOjB9|\n",
];

/// Parse + merge of the eight lines, then the trace closed with its graphs.
fn merge_and_close() -> Op {
    let mut traces = tars_trace::Traces::new(
        &tars_trace::Config::default(),
        tars_trace::Metrics::default(),
    )
    .with_fixed_seed();
    let elements: Vec<&'static [u8]> = LINES.iter().map(|l| l.as_bytes()).collect();
    Box::new(move || {
        let done = tars_trace::merge_lines(&mut traces, black_box(&elements), 1_711_618_185_200);
        assert_eq!(done.merged, LINES.len(), "every line merges");
        let closed = traces.close_all(1_711_618_185_300);
        assert_eq!(closed.len(), 1, "one trace");
        black_box(closed);
    })
}

pub(crate) fn cases() -> Vec<Case> {
    vec![Case {
        name: "trace_merge_and_close_8_lines",
        what: "parse and merge a two-call trace's 8 lines, close it, build both graphs",
        ops: 500,
        limit: Limit::Hashing,
        prepare: merge_and_close,
    }]
}
