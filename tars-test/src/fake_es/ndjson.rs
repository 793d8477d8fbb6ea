//! The NDJSON body of `_bulk`: action lines (a malformed one fails the whole request, as on a
//! real cluster) and source lines (a bad one fails only its item).

use serde_json::{Map, Value};

use super::reply::EsError;

/// Action metadata keys a real cluster accepts and the fake ignores.
const IGNORED_META: &[&str] = &[
    "routing",
    "version",
    "version_type",
    "if_seq_no",
    "if_primary_term",
    "pipeline",
    "retry_on_conflict",
    "_source",
    "require_alias",
    "require_data_stream",
    "dynamic_templates",
    "list_executed_pipelines",
];

/// A bulk action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Index,
    Create,
    Delete,
    Update,
}

impl Op {
    /// The action's name, also the key of its reply item.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Index => "index",
            Self::Create => "create",
            Self::Delete => "delete",
            Self::Update => "update",
        }
    }
}

/// One parsed item: its action line and, except for `delete`, its source line.
#[derive(Debug)]
pub(crate) struct Action {
    pub(crate) op: Op,
    pub(crate) index: Option<String>,
    pub(crate) id: Option<String>,
    /// The source object, or why it is not one (an item error, not a request error).
    pub(crate) source: Result<Map<String, Value>, String>,
}

/// Splits the body into actions; any malformed action line fails the whole request.
pub(crate) fn parse(body: &[u8]) -> Result<Vec<Action>, EsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(EsError::bad_request(
            "parse_exception",
            "request body is required",
        ));
    }
    if body.last() != Some(&b'\n') {
        return Err(EsError::illegal(
            "The bulk request must be terminated by a newline [\\n]",
        ));
    }
    // The piece after the final newline is empty: drop it.
    let mut lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    lines.pop();
    let mut actions = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let line_no = at + 1;
        let line = trim_cr(lines[at]);
        at += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let (op, index, id) = parse_action(line_no, line)?;
        let source = if op == Op::Delete {
            Ok(Map::new())
        } else {
            let Some(source_line) = lines.get(at) else {
                return Err(EsError::validation(&format!(
                    "no source line after action/metadata line [{line_no}]"
                )));
            };
            at += 1;
            parse_source(trim_cr(source_line))
        };
        actions.push(Action {
            op,
            index,
            id,
            source,
        });
    }
    if actions.is_empty() {
        return Err(EsError::validation("no requests added"));
    }
    Ok(actions)
}

fn trim_cr(line: &[u8]) -> &[u8] {
    match line {
        [rest @ .., b'\r'] => rest,
        _ => line,
    }
}

fn malformed(line_no: usize, detail: &str) -> EsError {
    EsError::illegal(format!(
        "Malformed action/metadata line [{line_no}], {detail}"
    ))
}

/// `(op, _index, _id)` of an action line.
fn parse_action(
    line_no: usize,
    line: &[u8],
) -> Result<(Op, Option<String>, Option<String>), EsError> {
    let value: Value = serde_json::from_slice(line)
        .map_err(|error| malformed(line_no, &format!("expected a JSON object ({error})")))?;
    let Value::Object(object) = value else {
        return Err(malformed(line_no, "expected START_OBJECT"));
    };
    let mut entries = object.into_iter();
    let (Some((op_name, meta)), None) = (entries.next(), entries.next()) else {
        return Err(malformed(line_no, "expected exactly one action"));
    };
    let mut op = match op_name.as_str() {
        "index" => Op::Index,
        "create" => Op::Create,
        "delete" => Op::Delete,
        "update" => Op::Update,
        other => {
            return Err(malformed(
                line_no,
                &format!("expected one of [create, delete, index, update] but found [{other}]"),
            ));
        }
    };
    let Value::Object(meta) = meta else {
        return Err(malformed(
            line_no,
            &format!("expected START_OBJECT after [{op_name}]"),
        ));
    };
    let (mut index, mut id) = (None, None);
    for (key, value) in meta {
        match key.as_str() {
            "_index" => match value {
                Value::String(name) => index = Some(name),
                _ => {
                    return Err(malformed(
                        line_no,
                        "expected a simple value for field [_index]",
                    ));
                }
            },
            "_id" => match value {
                Value::String(text) => id = Some(text),
                Value::Number(n) => id = Some(n.to_string()),
                _ => {
                    return Err(malformed(
                        line_no,
                        "expected a simple value for field [_id]",
                    ));
                }
            },
            "op_type" => match (value.as_str(), op) {
                (Some("create"), Op::Index | Op::Create) => op = Op::Create,
                (Some("index"), Op::Index) => {}
                _ => {
                    return Err(EsError::illegal(format!(
                        "Action/metadata line [{line_no}]: invalid [op_type] {value}"
                    )));
                }
            },
            known if IGNORED_META.contains(&known) => {}
            other => {
                return Err(EsError::illegal(format!(
                    "Action/metadata line [{line_no}] contains an unknown parameter [{other}]"
                )));
            }
        }
    }
    Ok((op, index, id))
}

/// A source line: a JSON object, else the reason the item fails.
fn parse_source(line: &[u8]) -> Result<Map<String, Value>, String> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err("failed to parse, document is empty".to_owned());
    }
    match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("failed to parse: the document source must be a JSON object".to_owned()),
        Err(error) => Err(format!("failed to parse: {error}")),
    }
}
