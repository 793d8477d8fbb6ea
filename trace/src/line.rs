//! One trace line as tarslog writes it (framework-next §2.1, §2.2):
//!
//! ```text
//! <nodeName>|<app>|<server>|<YYYY-MM-DD HH:MM:SS>|<trace>|<span>|<parent>|<type>|<master>|<slave>|<function>|<time ms>|<ret>|<data base64>|<ex>
//! ```
//!
//! The log service receives one element per client line (the time prefix, the message and a
//! newline) and prefixes `node|app|server|`; [`parse`] takes such an element, or one record of
//! a trace file found by [`records`]. Everything borrows from the input: no copy, no allocation.
//!
//! Differences from K8SFramework's `LogReader`, on purpose: a record ends at a newline, not at
//! `|\n`, so a non-empty `ex` (which may hold newlines) no longer swallows the next lines;
//! an over-long line is refused instead of truncated; an unknown annotation, an empty trace,
//! span or parent id and a time that is not a non-negative decimal number are refused (the
//! reference's `strtoll` read them as 0).

use std::fmt;

use memchr::memchr;

/// Fields before `ex`: `ex` is everything after the 14th `|`.
const FIELDS_BEFORE_EX: usize = 14;

/// Which half of a call, or which end of a trace, a line records (the `type` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Annotation {
    /// Client send (`cs`): the caller is about to call.
    Cs,
    /// Client receive (`cr`): the caller has the answer.
    Cr,
    /// Server receive (`sr`): the callee has the request.
    Sr,
    /// Server send (`ss`): the callee answers.
    Ss,
    /// Trace start (`ts`): a trace begun without a call.
    Ts,
    /// Trace end (`te`).
    Te,
}

impl Annotation {
    /// The annotation named `text`; `None` for anything but the six names.
    pub fn parse(text: &[u8]) -> Option<Self> {
        Some(match text {
            b"cs" => Self::Cs,
            b"cr" => Self::Cr,
            b"sr" => Self::Sr,
            b"ss" => Self::Ss,
            b"ts" => Self::Ts,
            b"te" => Self::Te,
            _ => return None,
        })
    }

    /// The name as written in lines and documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cs => "cs",
            Self::Cr => "cr",
            Self::Sr => "sr",
            Self::Ss => "ss",
            Self::Ts => "ts",
            Self::Te => "te",
        }
    }
}

/// One trace record, K8SFramework's `internal::IRawLog` (fields 4 to 13 of the line), borrowed
/// from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawLog<'a> {
    /// Trace id (`<hex type>[.<KB>]-<id>`).
    pub trace: &'a str,
    /// Span id.
    pub span: &'a str,
    /// Parent span id: the span itself for a root call, `*` on the server halves.
    pub parent: &'a str,
    /// The annotation (`type`).
    pub kind: Annotation,
    /// The caller (`App.Server`; empty on the server halves).
    pub master: &'a str,
    /// The callee cut to its first two `.` parts (`App.Server.Obj` → `App.Server`).
    pub slave: &'a str,
    /// The method name.
    pub function: &'a str,
    /// Milliseconds since the epoch.
    pub time: i64,
    /// Return code text (`0` in generated code).
    pub ret: &'a str,
    /// Parameters or results, still base64.
    pub data: &'a str,
}

/// A parsed line: the record plus what surrounds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// Field 0: the caller's `node_name` or IP.
    pub node: &'a str,
    /// Field 1: the reporting application.
    pub app: &'a str,
    /// Field 2: the reporting server.
    pub server: &'a str,
    /// Field 3: the client's local time, `YYYY-MM-DD HH:MM:SS`.
    pub stamp: &'a str,
    /// Fields 4 to 13.
    pub raw: RawLog<'a>,
    /// Field 14 and everything after it (may hold `|` and newlines; usually empty).
    pub ex: &'a [u8],
    /// The whole record without its final newline (what log document ids hash).
    pub text: &'a [u8],
}

/// Why a line was refused; [`Refused::label`] is the metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refused {
    /// Longer than `max_line_bytes`.
    TooLong,
    /// Fewer than 14 `|` separators.
    TooFewFields,
    /// A field before `ex` is not UTF-8.
    NotUtf8,
    /// The time is not a non-negative decimal number of milliseconds that fits 63 bits.
    BadTime,
    /// The type is none of cs, cr, sr, ss, ts, te.
    UnknownAnnotation,
    /// The trace, span or parent id is empty.
    EmptyId,
}

impl Refused {
    /// Every reason, in [`Refused::index`] order.
    pub const ALL: [Self; 6] = [
        Self::TooLong,
        Self::TooFewFields,
        Self::NotUtf8,
        Self::BadTime,
        Self::UnknownAnnotation,
        Self::EmptyId,
    ];

    /// The `reason` label of `tars_trace_lines_refused_total`.
    pub fn label(self) -> &'static str {
        match self {
            Self::TooLong => "too_long",
            Self::TooFewFields => "too_few_fields",
            Self::NotUtf8 => "not_utf8",
            Self::BadTime => "bad_time",
            Self::UnknownAnnotation => "unknown_type",
            Self::EmptyId => "empty_id",
        }
    }

    /// Position in [`Refused::ALL`] (for tallies kept in arrays).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl std::error::Error for Refused {}

/// Parses one element (one client line, prefixed `node|app|server|`), or one record from
/// [`records`]. One trailing newline is ignored; `ex` may hold anything.
///
/// Cost: one pass to find the separators and one UTF-8 check of the fields before `ex`; no
/// allocation.
///
/// # Errors
/// The reason the line is refused; nothing in the input can panic.
///
/// # Examples
/// ```
/// let line = tars_trace::parse(
///     b"test-a-0|Test|A|2024-03-28 17:29:45|f-6a1b|0301|0301|cs|Test.A|Test.B.BObj|hello|1711618185123|0|eyJ9|\n",
///     100 * 1024,
/// )?;
/// assert_eq!(line.raw.slave, "Test.B");
/// assert_eq!(line.raw.time, 1_711_618_185_123);
/// # Ok::<(), tars_trace::Refused>(())
/// ```
pub fn parse(element: &[u8], max_line_bytes: usize) -> Result<Line<'_>, Refused> {
    let text = element.strip_suffix(b"\n").unwrap_or(element);
    if text.len() > max_line_bytes {
        return Err(Refused::TooLong);
    }
    // Byte offsets where each of the 14 fields ends (at its `|`).
    let mut ends = [0usize; FIELDS_BEFORE_EX];
    let mut at = 0;
    for end in &mut ends {
        let Some(i) = text.get(at..).and_then(|rest| memchr(b'|', rest)) else {
            return Err(Refused::TooFewFields);
        };
        *end = at + i;
        at += i + 1;
    }
    let (head, ex) = text.split_at(at);
    let head = std::str::from_utf8(head).map_err(|_| Refused::NotUtf8)?;
    // Every boundary is an ASCII `|`, so each `get` succeeds.
    let field = |i: usize| {
        let start = if i == 0 { 0 } else { ends[i - 1] + 1 };
        head.get(start..ends[i]).unwrap_or_default()
    };
    let kind = Annotation::parse(field(7).as_bytes()).ok_or(Refused::UnknownAnnotation)?;
    let time = parse_time(field(11)).ok_or(Refused::BadTime)?;
    let (trace, span, parent) = (field(4), field(5), field(6));
    if trace.is_empty() || span.is_empty() || parent.is_empty() {
        return Err(Refused::EmptyId);
    }
    Ok(Line {
        node: field(0),
        app: field(1),
        server: field(2),
        stamp: field(3),
        raw: RawLog {
            trace,
            span,
            parent,
            kind,
            master: field(8),
            slave: cut_slave(field(9)),
            function: field(10),
            time,
            ret: field(12),
            data: field(13),
        },
        ex,
        text,
    })
}

/// A non-negative decimal number, strictly (no sign, no spaces, no trailing text).
fn parse_time(text: &str) -> Option<i64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0i64, |value, b| {
        if b.is_ascii_digit() {
            value.checked_mul(10)?.checked_add(i64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// The callee up to its second `.` (`App.Server.Obj` → `App.Server`), searching from the
/// second byte as the reference's `find('.', pos + 1)` loop does.
fn cut_slave(slave: &str) -> &str {
    let mut dots = 0;
    for (i, b) in slave.bytes().enumerate().skip(1) {
        if b == b'.' {
            dots += 1;
            if dots == 2 {
                return slave.get(..i).unwrap_or(slave);
            }
        }
    }
    slave
}

/// The records in a trace file's bytes: a record is a line that starts like one (three
/// `|`-terminated fields, then `YYYY-MM-DD HH:MM:SS|`) plus the lines after it that do not
/// (an `ex` field with newlines). See [`Records`].
pub fn records(bytes: &[u8]) -> Records<'_> {
    Records { bytes, pos: 0 }
}

/// Iterator over the records of a buffer of trace file bytes, each with its final newline.
///
/// A final line without a newline is not yielded (a writer may be in the middle of it):
/// [`Records::consumed`] tells where to resume once more bytes arrive. Two limits of the
/// newline rule: a continuation line that itself starts like a record begins a new record,
/// and an `ex` whose continuation lines arrive only after the buffer was read becomes separate
/// (refused) records. Neither happens with records fed one element at a time.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Records<'_> {
    /// Bytes yielded so far (records end at a newline).
    pub fn consumed(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let bytes = self.bytes;
        let start = self.pos;
        let first = memchr(b'\n', bytes.get(start..)?)?;
        let mut end = start + first + 1;
        while let Some(rest) = bytes.get(end..).filter(|rest| !rest.is_empty()) {
            if starts_record(rest) {
                break;
            }
            let Some(n) = memchr(b'\n', rest) else { break };
            end += n + 1;
        }
        self.pos = end;
        bytes.get(start..end)
    }
}

/// Whether `rest` begins with `node|app|server|YYYY-MM-DD HH:MM:SS|` on its first line.
fn starts_record(rest: &[u8]) -> bool {
    const SHAPE: &[u8; 20] = b"0000-00-00 00:00:00|";
    let line = memchr(b'\n', rest).map_or(rest, |n| &rest[..n]);
    let mut after = line;
    for _ in 0..3 {
        match memchr(b'|', after) {
            Some(i) => after = &after[i + 1..],
            None => return false,
        }
    }
    after.len() >= SHAPE.len()
        && SHAPE.iter().zip(after).all(|(&want, &got)| {
            if want == b'0' {
                got.is_ascii_digit()
            } else {
                got == want
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 100 * 1024;
    const ROOT_CS: &[u8] = b"test-a-0.test-a|Test|A|2024-03-28 17:29:45|f-6a1b|0321|0321|cs|Test.A|Test.B.BObj|hello|1711618185123|0|eyJuYW1lIjoieCJ9|\n";

    #[test]
    fn parse_reads_the_spec_example() {
        let line = parse(ROOT_CS, MAX).expect("valid");
        assert_eq!(line.node, "test-a-0.test-a");
        assert_eq!((line.app, line.server), ("Test", "A"));
        assert_eq!(line.stamp, "2024-03-28 17:29:45");
        assert_eq!(
            line.raw,
            RawLog {
                trace: "f-6a1b",
                span: "0321",
                parent: "0321",
                kind: Annotation::Cs,
                master: "Test.A",
                slave: "Test.B",
                function: "hello",
                time: 1_711_618_185_123,
                ret: "0",
                data: "eyJuYW1lIjoieCJ9",
            }
        );
        assert_eq!(line.ex, b"");
        assert_eq!(line.text, &ROOT_CS[..ROOT_CS.len() - 1]);
    }

    #[test]
    fn ex_keeps_separators_and_newlines() {
        let element = b"n|A|B|2024-03-28 17:29:45|t|s|*|ss||A.B|f|5|0||boom|at x\nat y\n";
        let line = parse(element, MAX).expect("valid");
        assert_eq!(line.ex, b"boom|at x\nat y");
        assert_eq!(line.raw.kind, Annotation::Ss);
        assert_eq!(line.raw.master, "");
    }

    #[test]
    fn slave_is_cut_at_the_second_dot_searching_from_the_second_byte() {
        assert_eq!(cut_slave("A.B.Obj"), "A.B");
        assert_eq!(cut_slave("A.B.Obj.x"), "A.B");
        assert_eq!(cut_slave("A.B"), "A.B");
        assert_eq!(cut_slave(""), "");
        assert_eq!(cut_slave(".A.B"), ".A.B");
        assert_eq!(cut_slave(".A.B.C"), ".A.B");
    }

    #[test]
    fn time_is_strictly_decimal() {
        assert_eq!(parse_time("0"), Some(0));
        assert_eq!(parse_time("9223372036854775807"), Some(i64::MAX));
        for bad in ["", "-1", "+1", " 1", "1x", "9223372036854775808"] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn records_join_continuation_lines_and_keep_an_unfinished_line() {
        let file = b"n|A|B|2024-03-28 17:29:45|t|s|*|ss||A.B|f|5|0||boom\n\
at x\n\
n|A|B|2024-03-28 17:29:46|t|s|*|sr||A.B|f|4|0||\n\
n|A|B|2024-03-28 17:29";
        let mut it = records(file);
        let first = it.next().expect("first");
        assert!(first.ends_with(b"boom\nat x\n"));
        let second = it.next().expect("second");
        assert!(second.starts_with(b"n|A|B|2024-03-28 17:29:46|"));
        assert_eq!(it.next(), None);
        assert_eq!(it.consumed(), first.len() + second.len());
        assert_eq!(parse(first, MAX).expect("valid").ex, b"boom\nat x");
    }

    #[test]
    fn records_of_nothing_and_of_a_leading_fragment() {
        assert_eq!(records(b"").next(), None);
        let mut it = records(b"tail of something\nn|A|B|2024-03-28 17:29:45|x\n");
        assert_eq!(it.next(), Some(&b"tail of something\n"[..]));
        assert_eq!(it.next(), Some(&b"n|A|B|2024-03-28 17:29:45|x\n"[..]));
        assert_eq!(it.next(), None);
    }
}
