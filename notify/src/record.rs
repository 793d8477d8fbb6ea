//! What one alarm becomes (framework facts §5.4): the record K8SFramework builds from each
//! method, its level, and its document.

use sink::{Batch, Op};

/// `[normal]`, `[warn]`, `[error]` or `[alarm]`: the stored level keeps the brackets.
pub type Level = &'static str;

/// Level of a `reportServer` message: the first of `[alarm]`, `[error]`, `[warn]`, `[fail]`
/// found in the text (checked in that order, case-sensitive); `[fail]` is stored as `[error]`;
/// otherwise `[normal]`.
pub fn level_from_text(message: &[u8]) -> Level {
    let has = |needle: &[u8]| message.windows(needle.len()).any(|w| w == needle);
    if has(b"[alarm]") {
        "[alarm]"
    } else if has(b"[error]") {
        "[error]"
    } else if has(b"[warn]") {
        "[warn]"
    } else if has(b"[fail]") {
        "[error]"
    } else {
        "[normal]"
    }
}

/// Level of a `NOTIFYLEVEL` value: 2 → `[error]`, 1 → `[warn]`, anything else `[normal]`.
pub fn level_from_enum(level: i32) -> Level {
    match level {
        2 => "[error]",
        1 => "[warn]",
        _ => "[normal]",
    }
}

/// `app.server` split on `.` with empty pieces dropped: piece 0 and piece 1 (or empty). The
/// reference indexes an empty vector for an empty name (undefined behaviour); here both are
/// empty.
pub fn split_server_name(name: &[u8]) -> (&[u8], &[u8]) {
    let mut pieces = name.split(|&b| b == b'.').filter(|p| !p.is_empty());
    (pieces.next().unwrap_or(b""), pieces.next().unwrap_or(b""))
}

/// `program` for the old methods, `server` for `reportNotifyInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `reportServer` / `notifyServer`.
    Program,
    /// `reportNotifyInfo`.
    Server,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Self::Program => "program",
            Self::Server => "server",
        }
    }
}

/// One alarm, owned (it outlives the request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The application.
    pub app: Vec<u8>,
    /// The server.
    pub server: Vec<u8>,
    /// The pod name (`<pod>.<workload>`), or the reporter's IP / node name when unknown.
    pub pod_name: String,
    /// The reporting thread.
    pub thread: Vec<u8>,
    /// The level, with brackets.
    pub level: Level,
    /// The message.
    pub message: Vec<u8>,
    /// Which method.
    pub source: Source,
    /// When it arrived, Unix milliseconds.
    pub at_ms: i64,
}

impl Record {
    /// The rate limit key: `app.server`.
    pub fn limit_key(&self) -> Vec<u8> {
        let mut key = Vec::with_capacity(self.app.len() + self.server.len() + 1);
        key.extend_from_slice(&self.app);
        key.push(b'.');
        key.extend_from_slice(&self.server);
        key
    }

    /// Appends the document: K8SFramework's fields (`notifyTime` as `%FT%T%z` in `tz`), and
    /// `@timestamp` in epoch **milliseconds** (the reference writes seconds, which
    /// Elasticsearch reads as milliseconds, so its alarms land in January 1970).
    ///
    /// # Errors
    /// An invalid data stream name or id.
    pub fn write(
        &self,
        index: &str,
        id: &str,
        tz: &jiff::tz::TimeZone,
        batch: &mut Batch,
    ) -> sink::Result<()> {
        let notify_time = jiff::Timestamp::from_millisecond(self.at_ms)
            .ok()
            .and_then(|t| {
                jiff::fmt::strtime::format("%FT%T%z", &t.to_zoned_datetime(tz.clone())).ok()
            })
            .unwrap_or_default();
        batch.push(Op::Create, index, id, |d| {
            d.str("notifyTime", &notify_time)
                .str("app", &self.app)
                .str("server", &self.server)
                .str("podName", &self.pod_name)
                .str("impThread", &self.thread)
                .str("level", self.level)
                .str("message", &self.message)
                .str("source", self.source.as_str())
                .int("@timestamp", self.at_ms);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_come_from_the_text_in_the_reference_order() {
        assert_eq!(level_from_text(b"disk [warn] then [alarm]"), "[alarm]");
        assert_eq!(level_from_text(b"x [error] y [warn]"), "[error]");
        assert_eq!(level_from_text(b"[fail] to connect"), "[error]");
        assert_eq!(level_from_text(b"[warn] slow"), "[warn]");
        assert_eq!(
            level_from_text(b"[fail] after [warn]"),
            "[warn]",
            "[warn] is checked first"
        );
        assert_eq!(
            level_from_text(b"[ERROR] upper case is not a level"),
            "[normal]"
        );
        assert_eq!(level_from_text(b""), "[normal]");
    }

    #[test]
    fn levels_come_from_the_enum_with_unknown_as_normal() {
        assert_eq!(level_from_enum(2), "[error]");
        assert_eq!(level_from_enum(1), "[warn]");
        assert_eq!(level_from_enum(0), "[normal]");
        assert_eq!(level_from_enum(7), "[normal]");
    }

    #[test]
    fn server_names_split_on_dots_dropping_empty_pieces() {
        assert_eq!(
            split_server_name(b"Test.HelloServer"),
            (&b"Test"[..], &b"HelloServer"[..])
        );
        assert_eq!(
            split_server_name(b".Test..Hello.x"),
            (&b"Test"[..], &b"Hello"[..])
        );
        assert_eq!(split_server_name(b"Solo"), (&b"Solo"[..], &b""[..]));
        assert_eq!(split_server_name(b""), (&b""[..], &b""[..]));
    }

    #[test]
    fn documents_carry_every_field_and_a_millisecond_timestamp() {
        let r = Record {
            app: b"Test".to_vec(),
            server: b"Hello".to_vec(),
            pod_name: "hello-0.hello".into(),
            thread: b"42".to_vec(),
            level: "[warn]",
            message: "disk \"full\"\n".into(),
            source: Source::Server,
            at_ms: 1_711_619_940_123,
        };
        let mut batch = Batch::new();
        r.write("tars_notify_", "id-1", &jiff::tz::TimeZone::UTC, &mut batch)
            .expect("valid");
        let doc: serde_json::Value =
            serde_json::from_slice(batch.get(0).expect("one").source).expect("JSON");
        assert_eq!(
            doc,
            serde_json::json!({
                "notifyTime": "2024-03-28T09:59:00+0000", "app": "Test", "server": "Hello",
                "podName": "hello-0.hello", "impThread": "42", "level": "[warn]",
                "message": "disk \"full\"\n", "source": "server", "@timestamp": 1_711_619_940_123_i64
            })
        );
        assert_eq!(batch.get(0).map(|d| d.op), Some(Op::Create));
    }
}
