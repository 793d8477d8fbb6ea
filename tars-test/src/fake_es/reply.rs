//! Replies: JSON bodies, Elasticsearch-shaped errors and query-string parameters.

use serde_json::{Map, Value, json};

/// What the router answers a request with.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Send this reply.
    Reply(Reply),
    /// Close the connection without answering ([`super::Fault::Reset`]).
    Reset,
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Self {
        Self::Reply(reply)
    }
}

/// A JSON reply: HTTP status and body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
}

impl Reply {
    /// A `200 OK` reply.
    pub(crate) fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }

    /// A reply with any status.
    pub(crate) fn new(status: u16, body: Value) -> Self {
        Self { status, body }
    }

    /// `{"acknowledged":true}`.
    pub(crate) fn acknowledged() -> Self {
        Self::ok(json!({ "acknowledged": true }))
    }
}

/// An Elasticsearch error: HTTP status, `type`, `reason` and any extra fields.
#[derive(Debug, Clone)]
pub(crate) struct EsError {
    pub(crate) status: u16,
    /// Boxed so that `Result<_, EsError>` stays small.
    detail: Box<Detail>,
}

#[derive(Debug, Clone)]
struct Detail {
    kind: String,
    reason: String,
    extra: Map<String, Value>,
}

impl EsError {
    /// An error with this status, `type` and `reason`.
    pub(crate) fn new(status: u16, kind: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            status,
            detail: Box::new(Detail {
                kind: kind.into(),
                reason: reason.into(),
                extra: Map::new(),
            }),
        }
    }

    /// A `400 Bad Request` error.
    pub(crate) fn bad_request(kind: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(400, kind, reason)
    }

    /// `illegal_argument_exception` (400).
    pub(crate) fn illegal(reason: impl Into<String>) -> Self {
        Self::bad_request("illegal_argument_exception", reason)
    }

    /// `parsing_exception` (400), what a malformed search body gets.
    pub(crate) fn parsing(reason: impl Into<String>) -> Self {
        Self::bad_request("parsing_exception", reason)
    }

    /// `action_request_validation_exception` (400) for one failed check.
    pub(crate) fn validation(what: &str) -> Self {
        Self::bad_request(
            "action_request_validation_exception",
            format!("Validation Failed: 1: {what};"),
        )
    }

    /// `index_not_found_exception` (404) for a concrete index name.
    pub(crate) fn index_not_found(name: &str) -> Self {
        Self::new(
            404,
            "index_not_found_exception",
            format!("no such index [{name}]"),
        )
        .with("index", name)
        .with("index_uuid", "_na_")
        .with("resource.id", name)
        .with("resource.type", "index_or_alias")
    }

    /// `resource_not_found_exception` (404).
    pub(crate) fn resource_not_found(reason: impl Into<String>) -> Self {
        Self::new(404, "resource_not_found_exception", reason)
    }

    /// Adds a field to the error object.
    #[must_use]
    pub(crate) fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.detail.extra.insert(key.to_owned(), value.into());
        self
    }

    /// The error object: `{"type":..,"reason":..}` plus extra fields, as in a bulk item.
    pub(crate) fn cause(&self) -> Value {
        let d = &self.detail;
        let mut cause = d.extra.clone();
        cause.insert("type".to_owned(), Value::from(d.kind.as_str()));
        cause.insert("reason".to_owned(), Value::from(d.reason.as_str()));
        Value::Object(cause)
    }

    /// The whole reply: `{"error":{"root_cause":[..],"type":..,"reason":..},"status":..}`.
    pub(crate) fn into_reply(self) -> Reply {
        let cause = self.cause();
        let Detail {
            kind,
            reason,
            extra: mut error,
        } = *self.detail;
        error.insert("type".to_owned(), Value::String(kind));
        error.insert("reason".to_owned(), Value::String(reason));
        error.insert("root_cause".to_owned(), Value::Array(vec![cause]));
        Reply::new(
            self.status,
            json!({ "error": Value::Object(error), "status": self.status }),
        )
    }
}

impl From<EsError> for Reply {
    fn from(error: EsError) -> Self {
        error.into_reply()
    }
}

/// Query-string parameters, percent-decoded; the last of repeated keys wins.
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Parses `a=1&b&c=x%2Cy` leniently: anything undecodable is kept as text.
    pub(crate) fn parse(query: Option<&str>) -> Self {
        let pairs = query
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(key, true), percent_decode(value, true))
            })
            .collect();
        Self(pairs)
    }

    /// A parameter's value.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter: present without a value, or `true`.
    pub(crate) fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("" | "true"))
    }

    /// A non-negative integer parameter (`None` when absent or not a number).
    pub(crate) fn number(&self, key: &str) -> Option<usize> {
        self.get(key).and_then(|v| v.trim().parse().ok())
    }
}

/// Decodes `%XX` escapes (and `+` as a space in query strings); invalid escapes stay as text.
pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((high << 4) | low);
            i += 3;
            continue;
        }
        out.push(if byte == b'+' && plus_is_space {
            b' '
        } else {
            byte
        });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).map(|d| d as u8)
}

/// Parses a JSON request body; a missing or blank body is `None`.
pub(crate) fn json_body(body: &[u8]) -> Result<Option<Value>, EsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body).map(Some).map_err(|error| {
        EsError::bad_request(
            "x_content_parse_exception",
            format!("failed to parse the request body: {error}"),
        )
    })
}

/// A JSON request body that must be present and be an object.
pub(crate) fn required_object(body: &[u8]) -> Result<Map<String, Value>, EsError> {
    match json_body(body)? {
        None => Err(EsError::bad_request(
            "parse_exception",
            "request body is required",
        )),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(EsError::bad_request(
            "parse_exception",
            "request body must be a JSON object",
        )),
    }
}

/// The `_shards` header of search, count and refresh replies.
pub(crate) fn shards(total: usize) -> Value {
    json!({ "total": total, "successful": total, "skipped": 0, "failed": 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_handles_escapes_plus_and_garbage() {
        assert_eq!(percent_decode("a%2Cb%2a", false), "a,b*");
        assert_eq!(percent_decode("a+b", true), "a b");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("100%", true), "100%");
        assert_eq!(percent_decode("%zz%4", true), "%zz%4");
    }

    #[test]
    fn params_read_flags_and_numbers() {
        let p = Params::parse(Some("ignore_unavailable=true&size=5&x&filter_path=a.b%2Cc"));
        assert!(p.flag("ignore_unavailable"));
        assert!(p.flag("x"));
        assert!(!p.flag("missing"));
        assert_eq!(p.number("size"), Some(5));
        assert_eq!(p.get("filter_path"), Some("a.b,c"));
    }

    #[test]
    fn error_reply_has_root_cause_type_reason_and_status() {
        let reply = EsError::index_not_found("x").into_reply();
        assert_eq!(reply.status, 404);
        assert_eq!(reply.body["status"], 404);
        assert_eq!(reply.body["error"]["type"], "index_not_found_exception");
        assert_eq!(reply.body["error"]["reason"], "no such index [x]");
        assert_eq!(
            reply.body["error"]["root_cause"][0]["type"],
            "index_not_found_exception"
        );
    }
}
