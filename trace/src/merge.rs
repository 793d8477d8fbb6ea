//! Spans merged into traces, exactly as K8SFramework's `updateITrace` and `updateISpan`
//! (`LogAggregation.cpp`, framework-next §2.3). "Set if empty" means the first non-empty value
//! wins; times are overwritten by the latest line.

use std::fmt;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::line::{Annotation, RawLog};

/// Traces with more spans than this find spans through a hash table instead of a scan.
const INDEX_FROM_SPANS: usize = 16;

/// No span (for [`Span`]'s first parent link).
const NONE: u32 = u32::MAX;

/// Bytes counted for each span besides its strings and the growth of the span vectors (counted
/// by capacity, since a vector holds room for more spans than it has): its index slot.
pub(crate) const SPAN_OVERHEAD: usize = 8;

/// One call in a trace, K8SFramework's `internal::ISpan`: the client half (`cs`/`cr`) and the
/// server half (`sr`/`ss`) of a call share it, since the callee logs the caller's span id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Span {
    /// Span id.
    pub span: String,
    /// Parent span id (from the client half).
    pub parent: String,
    /// Caller, `App.Server`.
    pub master: String,
    /// Callee, `App.Server`.
    pub slave: String,
    /// Method name.
    pub function: String,
    /// Client send time (ms), 0 if not seen.
    pub cs_time: i64,
    /// Client receive time (ms), 0 if not seen.
    pub cr_time: i64,
    /// Server send time (ms), 0 if not seen.
    pub ss_time: i64,
    /// Server receive time (ms), 0 if not seen.
    pub sr_time: i64,
    /// Client send data (base64).
    pub cs_data: String,
    /// Server receive data (base64).
    pub sr_data: String,
    /// Server send data (base64).
    pub ss_data: String,
    /// Client receive data (base64).
    pub cr_data: String,
    /// Return code text.
    pub ret: String,
    /// Child span ids in order of first appearance, without repeats.
    pub children: Vec<String>,
}

impl Span {
    fn new(id: &str) -> Self {
        Self {
            span: id.to_owned(),
            ..Self::default()
        }
    }

    /// Whether the client or server half is missing a time (cs, sr, ss or cr is 0).
    pub fn is_incomplete(&self) -> bool {
        self.cs_time == 0 || self.sr_time == 0 || self.ss_time == 0 || self.cr_time == 0
    }
}

/// One trace, K8SFramework's `internal::ITrace`, built line by line with [`Trace::merge`].
#[derive(Clone)]
pub struct Trace {
    id: String,
    t_span: String,
    t_master: String,
    ts_time: i64,
    te_time: i64,
    spans: Vec<Span>,
    /// Per span: the span it was first listed as a child of (`NONE` if never), which makes
    /// the repeat check O(1) for the usual single parent.
    first_parents: Vec<u32>,
    pub(crate) s_hash: i64,
    pub(crate) f_hash: i64,
    index: Option<Box<SpanIndex>>,
}

/// Span id → position in `spans`, for large traces.
#[derive(Clone, Default)]
struct SpanIndex {
    table: HashTable<u32>,
    state: foldhash::fast::RandomState,
}

impl Trace {
    /// An empty trace with id `trace`.
    pub fn new(trace: &str) -> Self {
        Self {
            id: trace.to_owned(),
            t_span: String::new(),
            t_master: String::new(),
            ts_time: 0,
            te_time: 0,
            spans: Vec::new(),
            first_parents: Vec::new(),
            s_hash: 0,
            f_hash: 0,
            index: None,
        }
    }

    /// A trace as stored (its document read back): root fields, spans in their stored order,
    /// graph ids. Spans with an id seen before are dropped.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn restore(
        trace: &str,
        t_span: String,
        t_master: String,
        (start, end): (i64, i64),
        spans: Vec<Span>,
        (s_hash, f_hash): (i64, i64),
    ) -> Self {
        let mut restored = Self::new(trace);
        restored.t_span = t_span;
        restored.t_master = t_master;
        restored.ts_time = start;
        restored.te_time = end;
        restored.s_hash = s_hash;
        restored.f_hash = f_hash;
        for span in spans {
            let (i, created) = restored.find_or_create(&span.span);
            if created > 0 {
                restored.spans[i] = span;
            }
        }
        restored
    }

    /// Trace id.
    pub fn trace(&self) -> &str {
        &self.id
    }

    /// The root span id (from a root `cs`/`cr` or a `ts`/`te`); empty if no root line was seen.
    pub fn t_span(&self) -> &str {
        &self.t_span
    }

    /// The root caller.
    pub fn t_master(&self) -> &str {
        &self.t_master
    }

    /// Trace start (ms): the root `cs` or `ts` time, 0 if not seen.
    pub fn ts_time(&self) -> i64 {
        self.ts_time
    }

    /// Trace end (ms): the root `cr` or `te` time, 0 if not seen.
    pub fn te_time(&self) -> i64 {
        self.te_time
    }

    /// Spans in order of first appearance (a parent listed by a child may come first, empty).
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Id of the server graph ([`crate::Graph::id`]); set when the trace is closed.
    pub fn s_hash(&self) -> i64 {
        self.s_hash
    }

    /// Id of the function graph; set when the trace is closed.
    pub fn f_hash(&self) -> i64 {
        self.f_hash
    }

    /// The span with id `span`. O(1) for large traces, a scan of at most 16 spans otherwise.
    pub fn span(&self, span: &str) -> Option<&Span> {
        self.position(span).map(|i| &self.spans[i])
    }

    /// Whether the reference's longer wait applies: the root has ended (`teTime` set) but some
    /// span lacks one of its four times.
    pub fn is_incomplete(&self) -> bool {
        self.te_time != 0 && self.spans.iter().any(Span::is_incomplete)
    }

    /// Merges one line (`updateITrace`): root and trace-level times, the parent's child list,
    /// then the span's own fields. Returns the bytes this added (strings copied, spans and
    /// child entries created), for the open-bytes bound.
    pub fn merge(&mut self, raw: &RawLog<'_>) -> usize {
        use Annotation::{Cr, Cs, Sr, Ss, Te, Ts};
        let mut added = set_if_empty(&mut self.id, raw.trace);
        let root = raw.parent == raw.span && matches!(raw.kind, Cs | Cr);
        match raw.kind {
            Cs | Ts if root || raw.kind == Ts => {
                self.ts_time = raw.time;
                added += self.set_root(raw);
            }
            Cr | Te if root || raw.kind == Te => {
                self.te_time = raw.time;
                added += self.set_root(raw);
            }
            Cs | Cr => added += self.link_child(raw.parent, raw.span),
            Sr | Ss | Ts | Te => {}
        }
        let (i, created) = self.find_or_create(raw.span);
        added += created + update_span(&mut self.spans[i], raw);
        added
    }

    /// Approximate bytes this trace holds (strings, spans, child entries), for bounds on
    /// traces kept after closing.
    pub(crate) fn approx_bytes(&self) -> usize {
        let spans: usize = self
            .spans
            .iter()
            .map(|s| {
                std::mem::size_of::<Span>()
                    + 4
                    + [
                        &s.span,
                        &s.parent,
                        &s.master,
                        &s.slave,
                        &s.function,
                        &s.cs_data,
                        &s.sr_data,
                        &s.ss_data,
                        &s.cr_data,
                        &s.ret,
                    ]
                    .iter()
                    .map(|t| t.len())
                    .sum::<usize>()
                    + s.children
                        .iter()
                        .map(|c| std::mem::size_of::<String>() + c.len())
                        .sum::<usize>()
            })
            .sum();
        std::mem::size_of::<Self>()
            + self.id.len()
            + self.t_span.len()
            + self.t_master.len()
            + spans
    }

    /// Joins `late` (the same trace id, opened again by lines that came after this trace
    /// closed) into this trace as its lines would have merged: root times and span times from
    /// `late` where it has them, every other field set if empty, child lists united.
    pub fn absorb(&mut self, late: &Trace) {
        if late.ts_time != 0 {
            self.ts_time = late.ts_time;
        }
        if late.te_time != 0 {
            self.te_time = late.te_time;
        }
        set_if_empty(&mut self.t_span, &late.t_span);
        set_if_empty(&mut self.t_master, &late.t_master);
        for span in &late.spans {
            let (i, _) = self.find_or_create(&span.span);
            absorb_span(&mut self.spans[i], span);
            for child in &span.children {
                self.link_child(&span.span, child);
            }
        }
    }

    fn set_root(&mut self, raw: &RawLog<'_>) -> usize {
        set_if_empty(&mut self.t_span, raw.span) + set_if_empty(&mut self.t_master, raw.master)
    }

    /// Lists `child` under `parent` (created if missing), unless it is already listed there.
    fn link_child(&mut self, parent: &str, child: &str) -> usize {
        let (p, mut added) = self.find_or_create(parent);
        let existing = self.position(child);
        let listed = match existing {
            // Every listed child has an entry (created below), so a new id is not listed.
            None => false,
            Some(c) if self.first_parents[c] == p as u32 => true,
            Some(c) if self.first_parents[c] == NONE => {
                self.first_parents[c] = p as u32;
                false
            }
            // A second parent: rare (only from inconsistent lines), so a scan.
            Some(_) => self.spans[p].children.iter().any(|c| c == child),
        };
        if !listed {
            self.spans[p].children.push(child.to_owned());
            added += std::mem::size_of::<String>() + child.len();
        }
        if existing.is_none() {
            // `merge` would create it next anyway: create it here to remember the link.
            let (c, created) = self.find_or_create(child);
            self.first_parents[c] = p as u32;
            added += created;
        }
        added
    }

    /// The position of `span` in [`Trace::spans`].
    pub(crate) fn position(&self, span: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index
                .table
                .find(index.state.hash_one(span), |&i| {
                    self.spans[i as usize].span == span
                })
                .map(|&i| i as usize),
            None => self.spans.iter().position(|s| s.span == span),
        }
    }

    /// The position of `span`, created at the end if missing, and the bytes a creation added.
    fn find_or_create(&mut self, span: &str) -> (usize, usize) {
        if let Some(i) = self.position(span) {
            return (i, 0);
        }
        let i = self.spans.len();
        let capacity = (self.spans.capacity(), self.first_parents.capacity());
        self.spans.push(Span::new(span));
        self.first_parents.push(NONE);
        let grown = (self.spans.capacity() - capacity.0) * std::mem::size_of::<Span>()
            + (self.first_parents.capacity() - capacity.1) * std::mem::size_of::<u32>();
        let spans = &self.spans;
        match &mut self.index {
            Some(index) => {
                let hash = index.state.hash_one(span);
                let state = &index.state;
                index
                    .table
                    .insert_unique(hash, i as u32, |&j| state.hash_one(&spans[j as usize].span));
            }
            None if spans.len() > INDEX_FROM_SPANS => {
                let mut index = Box::<SpanIndex>::default();
                for (j, s) in spans.iter().enumerate() {
                    let hash = index.state.hash_one(&s.span);
                    let state = &index.state;
                    index.table.insert_unique(hash, j as u32, |&k| {
                        state.hash_one(&spans[k as usize].span)
                    });
                }
                self.index = Some(index);
            }
            None => {}
        }
        (i, grown + SPAN_OVERHEAD + span.len())
    }
}

#[cfg(test)]
impl Trace {
    /// The spans, for tests that need shapes lines cannot make (a dangling child id).
    pub(crate) fn spans_mut(&mut self) -> &mut [Span] {
        &mut self.spans
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("trace", &self.id)
            .field("t_span", &self.t_span)
            .field("t_master", &self.t_master)
            .field("ts_time", &self.ts_time)
            .field("te_time", &self.te_time)
            .field("spans", &self.spans)
            .field("s_hash", &self.s_hash)
            .field("f_hash", &self.f_hash)
            .finish_non_exhaustive()
    }
}

/// `updateISpan`: the fields each annotation sets.
fn update_span(span: &mut Span, raw: &RawLog<'_>) -> usize {
    use Annotation::{Cr, Cs, Sr, Ss, Te, Ts};
    let mut added = 0;
    if matches!(raw.kind, Cs | Ts | Cr | Te) {
        added +=
            set_if_empty(&mut span.parent, raw.parent) + set_if_empty(&mut span.master, raw.master);
    }
    added +=
        set_if_empty(&mut span.slave, raw.slave) + set_if_empty(&mut span.function, raw.function);
    if matches!(raw.kind, Cr | Te | Ss) {
        added += set_if_empty(&mut span.ret, raw.ret);
    }
    let (data, time) = match raw.kind {
        Cs | Ts => (&mut span.cs_data, &mut span.cs_time),
        Cr | Te => (&mut span.cr_data, &mut span.cr_time),
        Sr => (&mut span.sr_data, &mut span.sr_time),
        Ss => (&mut span.ss_data, &mut span.ss_time),
    };
    *time = raw.time;
    added + set_if_empty(data, raw.data)
}

/// [`update_span`] for a whole span: its times where `late` has them, text set if empty.
fn absorb_span(span: &mut Span, late: &Span) {
    for (field, value) in [
        (&mut span.parent, &late.parent),
        (&mut span.master, &late.master),
        (&mut span.slave, &late.slave),
        (&mut span.function, &late.function),
        (&mut span.ret, &late.ret),
        (&mut span.cs_data, &late.cs_data),
        (&mut span.sr_data, &late.sr_data),
        (&mut span.ss_data, &late.ss_data),
        (&mut span.cr_data, &late.cr_data),
    ] {
        set_if_empty(field, value);
    }
    for (time, value) in [
        (&mut span.cs_time, late.cs_time),
        (&mut span.sr_time, late.sr_time),
        (&mut span.ss_time, late.ss_time),
        (&mut span.cr_time, late.cr_time),
    ] {
        if value != 0 {
            *time = value;
        }
    }
}

/// `ASSIGN_IF_EMPTY`: copies `value` into an empty `field`; the bytes copied.
fn set_if_empty(field: &mut String, value: &str) -> usize {
    if field.is_empty() && !value.is_empty() {
        value.clone_into(field);
        value.len()
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(kind: Annotation, span: &'a str, parent: &'a str, time: i64) -> RawLog<'a> {
        RawLog {
            trace: "t",
            span,
            parent,
            kind,
            master: "A.A",
            slave: "B.B",
            function: "f",
            time,
            ret: "0",
            data: "d",
        }
    }

    #[test]
    fn a_root_client_half_sets_the_trace_and_skips_the_child_list() {
        let mut trace = Trace::new("t");
        trace.merge(&raw(Annotation::Cs, "r", "r", 10));
        trace.merge(&raw(Annotation::Cr, "r", "r", 20));
        assert_eq!((trace.t_span(), trace.t_master()), ("r", "A.A"));
        assert_eq!((trace.ts_time(), trace.te_time()), (10, 20));
        assert_eq!(trace.spans().len(), 1);
        let span = &trace.spans()[0];
        assert_eq!((span.cs_time, span.cr_time), (10, 20));
        assert!(span.children.is_empty());
    }

    #[test]
    fn children_are_listed_once_per_parent() {
        let mut trace = Trace::new("t");
        trace.merge(&raw(Annotation::Cs, "c", "p", 1));
        trace.merge(&raw(Annotation::Cr, "c", "p", 2));
        trace.merge(&raw(Annotation::Cs, "c", "q", 3));
        trace.merge(&raw(Annotation::Cr, "c", "q", 4));
        let ids: Vec<&str> = trace.spans().iter().map(|s| s.span.as_str()).collect();
        assert_eq!(ids, ["p", "c", "q"]);
        assert_eq!(trace.span("p").expect("p").children, ["c"]);
        assert_eq!(trace.span("q").expect("q").children, ["c"]);
        assert_eq!(trace.span("c").expect("c").parent, "p");
    }

    #[test]
    fn a_large_trace_indexes_its_spans() {
        let mut trace = Trace::new("t");
        let ids: Vec<String> = (0..100).map(|i| format!("s{i}")).collect();
        for id in &ids {
            trace.merge(&raw(Annotation::Cs, id, "root", 1));
        }
        for id in &ids {
            trace.merge(&raw(Annotation::Sr, id, "*", 2));
        }
        assert!(trace.index.is_some());
        assert_eq!(trace.spans().len(), 101);
        assert_eq!(trace.span("root").expect("root").children.len(), 100);
        assert_eq!(trace.span("s57").expect("s57").sr_time, 2);
    }

    #[test]
    fn merge_counts_the_bytes_it_copies() {
        let mut trace = Trace::new("t");
        let added = trace.merge(&raw(Annotation::Sr, "s", "*", 1));
        // Room for the first spans (vectors start at four), the span's index slot and id, and
        // its slave, function and data.
        let room = 4 * (std::mem::size_of::<Span>() + std::mem::size_of::<u32>());
        assert_eq!(added, room + SPAN_OVERHEAD + 1 + 3 + 1 + 1);
        assert_eq!(trace.merge(&raw(Annotation::Sr, "s", "*", 2)), 0);
        // A second span fits in the room already counted.
        assert_eq!(
            trace.merge(&raw(Annotation::Sr, "t", "*", 1)),
            SPAN_OVERHEAD + 1 + 3 + 1 + 1
        );
    }
}
