//! Documents as queries and aggregations see them: field values by dotted path, and how
//! values compare (numbers exactly when integral, keyword text by bytes).

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use super::mapping::{FieldKind, Mapping};

/// One document as queries and aggregations see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocView<'a> {
    /// The `_index` replies show.
    pub(crate) index: &'a str,
    pub(crate) id: &'a str,
    pub(crate) source: &'a Value,
    pub(crate) mapping: &'a Mapping,
}

impl<'a> DocView<'a> {
    /// The non-null values of a field (dotted path), arrays flattened; a multi-field such as
    /// `name.keyword` reads its parent.
    pub(crate) fn values(&self, field: &str) -> Vec<&'a Value> {
        let mut out = Vec::new();
        collect(self.source, self.mapping.source_path(field), &mut out);
        out
    }

    /// The field's mapped type.
    pub(crate) fn kind(&self, field: &str) -> Option<FieldKind> {
        self.mapping.kind(field)
    }

    /// Whether a value of this field compares as a number.
    pub(crate) fn numeric(&self, field: &str, value: &Value) -> bool {
        match self.kind(field) {
            Some(FieldKind::Date | FieldKind::Other) | None => value.is_number(),
            Some(kind) => kind.is_numeric(),
        }
    }
}

fn collect<'v>(value: &'v Value, path: &str, out: &mut Vec<&'v Value>) {
    match value {
        Value::Array(items) => {
            for item in items {
                collect(item, path, out);
            }
        }
        Value::Object(map) => {
            if let Some(found) = map.get(path) {
                push_leaf(found, out);
            }
            for (dot, _) in path.match_indices('.') {
                if let Some(child) = map.get(&path[..dot]) {
                    collect(child, &path[dot + 1..], out);
                }
            }
        }
        _ => {}
    }
}

fn push_leaf<'v>(value: &'v Value, out: &mut Vec<&'v Value>) {
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for item in items {
                push_leaf(item, out);
            }
        }
        other => out.push(other),
    }
}

/// A number kept exact when it is an integer.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    #[allow(
        clippy::cast_precision_loss,
        reason = "mixed integer/float comparisons are approximate in Elasticsearch too"
    )]
    fn as_f64(self) -> f64 {
        match self {
            Self::Int(i) => i as f64,
            Self::Float(f) => f,
        }
    }
}

fn to_num(value: &Value) -> Option<Num> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .map(|i| Num::Int(i.into()))
            .or_else(|| n.as_u64().map(|u| Num::Int(u.into())))
            .or_else(|| n.as_f64().map(Num::Float)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i128>().ok().map(Num::Int).or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Num::Float)
            })
        }
        _ => None,
    }
}

/// Compares two numbers or numeric strings; `None` if either is not numeric.
pub(crate) fn num_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (to_num(a)?, to_num(b)?) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (x, y) => x.as_f64().partial_cmp(&y.as_f64()),
    }
}

/// A number or numeric string as `f64`.
pub(crate) fn as_f64(value: &Value) -> Option<f64> {
    to_num(value).map(Num::as_f64)
}

/// A scalar as keyword text: strings as they are, numbers and booleans as JSON prints them.
pub(crate) fn as_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}
