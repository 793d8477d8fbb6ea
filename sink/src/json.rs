//! Writing JSON text straight into a byte buffer: the document bodies of every service.
//!
//! Strings are TARS strings, i.e. bytes. Valid UTF-8 is escaped as JSON requires; each invalid
//! sequence (GBK text, say) becomes U+FFFD, because Elasticsearch and SQLite's JSON functions
//! accept UTF-8 only. The log files keep the original bytes; documents are for search.

/// Appends one JSON object's fields to a buffer. Made by [`crate::Batch::push`].
///
/// Field names are `&'static str` written as they are: they are the services' constant document
/// field names, which need no escaping.
#[derive(Debug)]
pub struct DocWriter<'a> {
    buf: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> DocWriter<'a> {
    pub(crate) fn begin(buf: &'a mut Vec<u8>) -> Self {
        buf.push(b'{');
        Self { buf, first: true }
    }

    pub(crate) fn end(self) {
        self.buf.push(b'}');
    }

    fn name(&mut self, name: &'static str) {
        debug_assert!(
            !name.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20),
            "field names are constants that need no escaping"
        );
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.buf.push(b'"');
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    /// A string field from bytes (escaped; invalid UTF-8 replaced by U+FFFD).
    pub fn str(&mut self, name: &'static str, value: impl AsRef<[u8]>) -> &mut Self {
        self.name(name);
        write_str(self.buf, value.as_ref());
        self
    }

    /// An integer field.
    pub fn int(&mut self, name: &'static str, value: i64) -> &mut Self {
        self.name(name);
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        self
    }

    /// A floating-point field, shortest round-trip form; NaN and infinities become `null`
    /// (JSON has no spelling for them).
    pub fn float(&mut self, name: &'static str, value: f64) -> &mut Self {
        self.name(name);
        write_f64(self.buf, value);
        self
    }

    /// A field of any JSON value (nested objects and arrays included), its name escaped.
    pub fn json(&mut self, name: &str, value: &serde_json::Value) -> &mut Self {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        write_str(self.buf, name.as_bytes());
        self.buf.push(b':');
        // Writing into a Vec cannot fail, and a Value always serializes.
        let _ = serde_json::to_writer(&mut *self.buf, value);
        self
    }

    /// A boolean field.
    pub fn bool(&mut self, name: &'static str, value: bool) -> &mut Self {
        self.name(name);
        self.buf
            .extend_from_slice(if value { b"true" } else { b"false" });
        self
    }
}

/// Writes `value` as a JSON string (quotes included).
pub(crate) fn write_str(buf: &mut Vec<u8>, value: &[u8]) {
    buf.reserve(value.len() + 2);
    buf.push(b'"');
    // Most fields (names, ids, base64) are ASCII, checked a word at a time; the chunk walk
    // costs a call per chunk.
    if value.is_ascii() {
        write_escaped(buf, value);
    } else {
        for chunk in value.utf8_chunks() {
            write_escaped(buf, chunk.valid().as_bytes());
            if !chunk.invalid().is_empty() {
                buf.extend_from_slice("\u{FFFD}".as_bytes());
            }
        }
    }
    buf.push(b'"');
}

/// Escapes valid UTF-8: quote, backslash and control characters; everything else is copied in
/// runs.
fn write_escaped(buf: &mut Vec<u8>, text: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut run = 0;
    for (i, &b) in text.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        buf.extend_from_slice(&text[run..i]);
        if escape.is_empty() {
            buf.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            buf.extend_from_slice(escape);
        }
        run = i + 1;
    }
    buf.extend_from_slice(&text[run..]);
}

pub(crate) fn write_f64(buf: &mut Vec<u8>, value: f64) {
    if value.is_finite() {
        buf.extend_from_slice(ryu::Buffer::new().format_finite(value).as_bytes());
    } else {
        buf.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(f: impl FnOnce(&mut DocWriter<'_>)) -> String {
        let mut buf = Vec::new();
        let mut w = DocWriter::begin(&mut buf);
        f(&mut w);
        w.end();
        String::from_utf8(buf).expect("the writer emits UTF-8")
    }

    #[test]
    fn fields_are_written_in_order_with_commas() {
        let text = doc(|w| {
            w.str("a", "x").int("b", -5).float("c", 0.5).bool("d", true);
        });
        assert_eq!(text, r#"{"a":"x","b":-5,"c":0.5,"d":true}"#);
    }

    #[test]
    fn strings_are_escaped_and_parse_back() {
        let nasty = "q\"b\\s/\n\r\t\u{1}\u{1f}é中";
        let text = doc(|w| {
            w.str("m", nasty);
        });
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["m"], nasty);
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        // "中文" in GBK.
        let text = doc(|w| {
            w.str("m", b"a\xd6\xd0\xce\xc4z");
        });
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let s = v["m"].as_str().expect("a string");
        assert!(s.starts_with('a') && s.ends_with('z') && s.contains('\u{FFFD}'));
    }

    #[test]
    fn non_finite_floats_become_null() {
        let text = doc(|w| {
            w.float("a", f64::NAN)
                .float("b", f64::INFINITY)
                .float("c", 1e300);
        });
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert!(v["a"].is_null() && v["b"].is_null());
        assert_eq!(v["c"].as_f64(), Some(1e300));
    }
}
