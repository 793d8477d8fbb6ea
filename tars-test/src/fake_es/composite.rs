//! The `composite` aggregation: `terms` sources (`order`, `missing_bucket`), buckets sorted by
//! their keys (numbers numerically, strings by bytes), `after` paging and metric
//! sub-aggregations.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::aggs::{Metric, metric_value};
use super::doc::{DocView, num_cmp};
use super::mapping::FieldKind;
use super::reply::EsError;

/// A parsed `composite` aggregation.
#[derive(Debug)]
pub(crate) struct Composite {
    size: usize,
    sources: Vec<Source>,
    after: Option<Vec<Key>>,
    metrics: Vec<(String, Metric)>,
}

/// A `terms` source of a composite aggregation.
#[derive(Debug)]
struct Source {
    name: String,
    field: String,
    descending: bool,
    missing_bucket: bool,
}

/// One value of a composite key. Ordering: null, booleans, numbers, strings.
#[derive(Debug, Clone)]
enum Key {
    Null,
    Bool(bool),
    Num(Value),
    Str(String),
}

impl Key {
    fn rank(&self) -> u8 {
        match self {
            Self::Null => 0,
            Self::Bool(_) => 1,
            Self::Num(_) => 2,
            Self::Str(_) => 3,
        }
    }

    fn compare(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Bool(a), Self::Bool(b)) => a.cmp(b),
            (Self::Num(a), Self::Num(b)) => num_cmp(a, b).unwrap_or(Ordering::Equal),
            (Self::Str(a), Self::Str(b)) => a.as_bytes().cmp(b.as_bytes()),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(*b),
            Self::Num(n) => n.clone(),
            Self::Str(s) => Value::String(s.clone()),
        }
    }

    /// A document value as a key: string fields give strings, numeric fields numbers (numeric
    /// strings parsed), unmapped fields keep the JSON type.
    fn of_doc(value: &Value, kind: Option<FieldKind>) -> Option<Self> {
        let as_string = kind.is_some_and(FieldKind::is_string);
        let numeric = kind.is_some_and(FieldKind::is_numeric);
        match value {
            Value::Bool(b) if as_string => Some(Self::Str(b.to_string())),
            Value::Bool(b) => Some(Self::Bool(*b)),
            Value::Number(n) if as_string => Some(Self::Str(n.to_string())),
            Value::Number(_) => Some(Self::Num(value.clone())),
            Value::String(s) if numeric => {
                Some(parse_number(s).map_or_else(|| Self::Str(s.clone()), Self::Num))
            }
            Value::String(s) => Some(Self::Str(s.clone())),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        }
    }

    /// An `after` value as a key.
    fn of_after(value: &Value) -> Option<Self> {
        match value {
            Value::Null => Some(Self::Null),
            Value::Bool(b) => Some(Self::Bool(*b)),
            Value::Number(_) => Some(Self::Num(value.clone())),
            Value::String(s) => Some(Self::Str(s.clone())),
            Value::Array(_) | Value::Object(_) => None,
        }
    }
}

/// A numeric string as a JSON number: an integer when it is one.
fn parse_number(text: &str) -> Option<Value> {
    let text = text.trim();
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::from(i));
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

/// Parses a `composite` body.
pub(crate) fn parse_composite(
    name: &str,
    body: &Value,
    metrics: Vec<(String, Metric)>,
) -> Result<Composite, EsError> {
    let object = body
        .as_object()
        .ok_or_else(|| EsError::parsing(format!("[composite] malformed in [{name}]")))?;
    let mut size = 10;
    let mut sources = Vec::new();
    let mut after = None;
    for (key, value) in object {
        match key.as_str() {
            "size" => {
                size = value
                    .as_u64()
                    .filter(|&n| n > 0)
                    .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
                    .ok_or_else(|| {
                        EsError::illegal(format!(
                            "[size] must be greater than 0. Found [{value}] in [{name}]"
                        ))
                    })?;
            }
            "sources" => sources = parse_sources(name, value)?,
            "after" => after = Some(value),
            other => {
                return Err(EsError::parsing(format!(
                    "[composite] unknown field [{other}]"
                )));
            }
        }
    }
    if sources.is_empty() {
        return Err(EsError::illegal(format!(
            "Composite [sources] cannot be null or empty in [{name}]"
        )));
    }
    let after = after
        .map(|after| parse_after(&sources, after))
        .transpose()?;
    Ok(Composite {
        size,
        sources,
        after,
        metrics,
    })
}

fn parse_sources(name: &str, value: &Value) -> Result<Vec<Source>, EsError> {
    let items = value
        .as_array()
        .ok_or_else(|| EsError::parsing(format!("[sources] of [{name}] must be an array")))?;
    let mut sources: Vec<Source> = Vec::with_capacity(items.len());
    for item in items {
        let entry = item
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.iter().next());
        let Some((source_name, definition)) = entry else {
            return Err(EsError::parsing(
                "each composite source must be {\"name\": {\"terms\": ...}}",
            ));
        };
        let Some((1, Some(Value::Object(terms)))) =
            definition.as_object().map(|o| (o.len(), o.get("terms")))
        else {
            return Err(EsError::parsing(format!(
                "[{source_name}]: fake-es supports only [terms] composite sources"
            )));
        };
        if terms.contains_key("script") {
            return Err(EsError::parsing(format!(
                "[{source_name}]: scripts are not supported by fake-es"
            )));
        }
        let field = terms.get("field").and_then(Value::as_str).ok_or_else(|| {
            EsError::illegal(format!("Composite source [{source_name}] needs a [field]"))
        })?;
        let descending = match terms.get("order").map(Value::as_str) {
            None | Some(Some("asc")) => false,
            Some(Some("desc")) => true,
            Some(_) => {
                return Err(EsError::parsing(format!(
                    "[{source_name}]: [order] must be asc or desc"
                )));
            }
        };
        if sources.iter().any(|s| s.name == *source_name) {
            return Err(EsError::illegal(format!(
                "Composite source names must be unique, found duplicates: [{source_name}]"
            )));
        }
        sources.push(Source {
            name: source_name.clone(),
            field: field.to_owned(),
            descending,
            missing_bucket: terms
                .get("missing_bucket")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        });
    }
    Ok(sources)
}

fn parse_after(sources: &[Source], after: &Value) -> Result<Vec<Key>, EsError> {
    let object = after
        .as_object()
        .ok_or_else(|| EsError::parsing("[after] must be an object"))?;
    if object.len() != sources.len() {
        return Err(EsError::illegal(format!(
            "[after] has {} value(s) but [sources] has {}",
            object.len(),
            sources.len()
        )));
    }
    sources
        .iter()
        .map(|source| {
            object
                .get(&source.name)
                .and_then(Key::of_after)
                .ok_or_else(|| {
                    EsError::illegal(format!("Invalid value for [after.{}]", source.name))
                })
        })
        .collect()
}

/// Compares composite keys source by source, honouring each source's order.
fn cmp_keys(sources: &[Source], a: &[Key], b: &[Key]) -> Ordering {
    for ((source, x), y) in sources.iter().zip(a).zip(b) {
        let order = x.compare(y);
        let order = if source.descending {
            order.reverse()
        } else {
            order
        };
        if order.is_ne() {
            return order;
        }
    }
    Ordering::Equal
}

/// Every combination of one key per source.
fn combinations(per_source: &[Vec<Key>]) -> Vec<Vec<Key>> {
    let mut out: Vec<Vec<Key>> = vec![Vec::new()];
    for keys in per_source {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                keys.iter().map(move |key| {
                    let mut combo = prefix.clone();
                    combo.push(key.clone());
                    combo
                })
            })
            .collect();
    }
    out
}

/// Runs a composite aggregation: the sorted page of buckets after `after`.
///
/// # Errors
/// 400 when a source is a `text` field or a sub-aggregation's field is not numeric.
pub(crate) fn run_composite(composite: &Composite, docs: &[DocView<'_>]) -> Result<Value, EsError> {
    let sources = &composite.sources;
    let mut rows: Vec<(Vec<Key>, usize)> = Vec::new();
    'docs: for (at, doc) in docs.iter().enumerate() {
        let mut per_source = Vec::with_capacity(sources.len());
        for source in sources {
            let kind = doc.kind(&source.field);
            if matches!(kind, Some(FieldKind::Text | FieldKind::DynamicText)) {
                return Err(EsError::illegal(format!(
                    "Fielddata is disabled on [{}] in [{}]. Text fields are not optimised for \
                     operations that require per-document field data like aggregations and \
                     sorting, so these operations are disabled by default. Please use a keyword \
                     field instead.",
                    source.field, doc.index
                )));
            }
            let mut keys: Vec<Key> = doc
                .values(&source.field)
                .into_iter()
                .filter_map(|value| Key::of_doc(value, kind))
                .collect();
            keys.sort_by(Key::compare);
            keys.dedup_by(|a, b| a.compare(b).is_eq());
            if keys.is_empty() {
                if !source.missing_bucket {
                    continue 'docs;
                }
                keys.push(Key::Null);
            }
            per_source.push(keys);
        }
        rows.extend(combinations(&per_source).into_iter().map(|key| (key, at)));
    }
    rows.sort_by(|a, b| cmp_keys(sources, &a.0, &b.0));
    let mut buckets: Vec<(Vec<Key>, Vec<usize>)> = Vec::new();
    for (key, at) in rows {
        match buckets.last_mut() {
            Some((last, members)) if cmp_keys(sources, last, &key).is_eq() => members.push(at),
            _ => buckets.push((key, vec![at])),
        }
    }
    let start = match &composite.after {
        None => 0,
        Some(after) => {
            let after = align_after(after, &buckets);
            buckets
                .iter()
                .position(|(key, _)| cmp_keys(sources, key, &after).is_gt())
                .unwrap_or(buckets.len())
        }
    };
    let page = &buckets[start..buckets.len().min(start.saturating_add(composite.size))];
    let bucket_json: Vec<Value> = page
        .iter()
        .map(|(key, members)| -> Result<Value, EsError> {
            let mut bucket = Map::new();
            bucket.insert("key".to_owned(), key_json(sources, key));
            bucket.insert("doc_count".to_owned(), Value::from(members.len()));
            let member_docs: Vec<&DocView<'_>> = members.iter().map(|&at| &docs[at]).collect();
            for (name, metric) in &composite.metrics {
                bucket.insert(name.clone(), metric_value(metric, &member_docs)?);
            }
            Ok(Value::Object(bucket))
        })
        .collect::<Result<Vec<Value>, EsError>>()?;
    let mut out = Map::new();
    if let Some((last, _)) = page.last() {
        out.insert("after_key".to_owned(), key_json(sources, last));
    }
    out.insert("buckets".to_owned(), Value::Array(bucket_json));
    Ok(Value::Object(out))
}

/// A bucket key as JSON: source name to value.
fn key_json(sources: &[Source], key: &[Key]) -> Value {
    let map: Map<String, Value> = sources
        .iter()
        .zip(key)
        .map(|(source, value)| (source.name.clone(), value.to_json()))
        .collect();
    Value::Object(map)
}

/// An `after` key with numeric strings turned into numbers where the buckets of that source
/// hold numbers (a client may echo a number back as text).
fn align_after(after: &[Key], buckets: &[(Vec<Key>, Vec<usize>)]) -> Vec<Key> {
    after
        .iter()
        .enumerate()
        .map(|(i, key)| match key {
            Key::Str(text)
                if buckets
                    .iter()
                    .any(|(k, _)| matches!(k.get(i), Some(Key::Num(_)))) =>
            {
                parse_number(text).map_or_else(|| key.clone(), Key::Num)
            }
            _ => key.clone(),
        })
        .collect()
}
