//! The query DSL subset: parsing into `Query` (so a bad query fails even with no documents)
//! and matching documents.
//!
//! Comparisons follow the field's mapped type when known, else the document value's JSON type:
//! numeric fields compare numerically (numeric strings included), everything else compares as
//! keyword text by bytes. Missing and null fields never match.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::doc::{DocView, as_text, num_cmp};
use super::pattern::wildcard;
use super::reply::EsError;

/// A `range` bound.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Bound {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// A parsed query.
#[derive(Debug)]
pub(crate) enum Query {
    MatchAll,
    MatchNone,
    Bool {
        must: Vec<Query>,
        should: Vec<Query>,
        must_not: Vec<Query>,
        minimum_should_match: usize,
    },
    Term {
        field: String,
        value: Value,
        case_insensitive: bool,
    },
    Terms {
        field: String,
        values: Vec<Value>,
    },
    Range {
        field: String,
        bounds: Vec<(Bound, Value)>,
    },
    Wildcard {
        field: String,
        pattern: String,
        case_insensitive: bool,
    },
    Prefix {
        field: String,
        prefix: String,
        case_insensitive: bool,
    },
    Exists {
        field: String,
    },
    Ids {
        values: Vec<String>,
    },
}

impl Query {
    /// Parses a query object such as `{"bool":{"filter":[...]}}`.
    ///
    /// # Errors
    /// `parsing_exception` (400) for an unknown or malformed query.
    pub(crate) fn parse(value: &Value) -> Result<Self, EsError> {
        let Some((kind, body)) = single_entry(value) else {
            return Err(EsError::parsing(
                "query malformed, must be an object with exactly one query type",
            ));
        };
        match kind {
            "match_all" => Ok(Self::MatchAll),
            "match_none" => Ok(Self::MatchNone),
            "bool" => parse_bool(body),
            "term" => {
                let (field, spec) = field_entry(kind, body)?;
                let (value, options) = value_and_options(kind, spec, &["value"])?;
                if !matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
                    return Err(EsError::parsing(format!(
                        "[term] query on [{field}] needs a string, number or boolean value"
                    )));
                }
                Ok(Self::Term {
                    field: field.to_owned(),
                    value: value.clone(),
                    case_insensitive: case_insensitive(options),
                })
            }
            "terms" => {
                let (field, spec) = field_entry(kind, body)?;
                let Value::Array(values) = spec else {
                    return Err(EsError::parsing(format!(
                        "[terms] query on [{field}] needs an array of values (terms lookup is not \
                         supported by fake-es)"
                    )));
                };
                Ok(Self::Terms {
                    field: field.to_owned(),
                    values: values.clone(),
                })
            }
            "range" => parse_range(body),
            "wildcard" | "prefix" => {
                let (field, spec) = field_entry(kind, body)?;
                let (value, options) = value_and_options(kind, spec, &["value", "wildcard"])?;
                let Some(text) = value.as_str() else {
                    return Err(EsError::parsing(format!(
                        "[{kind}] query needs a string value"
                    )));
                };
                let (field, text, ci) =
                    (field.to_owned(), text.to_owned(), case_insensitive(options));
                Ok(if kind == "wildcard" {
                    Self::Wildcard {
                        field,
                        pattern: text,
                        case_insensitive: ci,
                    }
                } else {
                    Self::Prefix {
                        field,
                        prefix: text,
                        case_insensitive: ci,
                    }
                })
            }
            "exists" => match body.get("field").and_then(Value::as_str) {
                Some(field) => Ok(Self::Exists {
                    field: field.to_owned(),
                }),
                None => Err(EsError::parsing("[exists] must be provided with a [field]")),
            },
            "ids" => {
                let values = body
                    .get("values")
                    .and_then(Value::as_array)
                    .ok_or_else(|| EsError::parsing("[ids] query needs [values]"))?;
                Ok(Self::Ids {
                    values: values
                        .iter()
                        .filter_map(|v| match v {
                            Value::String(s) => Some(s.clone()),
                            Value::Number(n) => Some(n.to_string()),
                            _ => None,
                        })
                        .collect(),
                })
            }
            other => Err(EsError::parsing(format!(
                "unknown query [{other}] (fake-es supports match_all, match_none, bool, term, \
                 terms, range, wildcard, prefix, exists and ids)"
            ))),
        }
    }

    /// Whether a document matches.
    pub(crate) fn matches(&self, doc: &DocView<'_>) -> bool {
        match self {
            Self::MatchAll => true,
            Self::MatchNone => false,
            Self::Bool {
                must,
                should,
                must_not,
                minimum_should_match,
            } => {
                must.iter().all(|q| q.matches(doc))
                    && !must_not.iter().any(|q| q.matches(doc))
                    && should.iter().filter(|q| q.matches(doc)).count() >= *minimum_should_match
            }
            Self::Term {
                field,
                value,
                case_insensitive,
            } => doc
                .values(field)
                .into_iter()
                .any(|v| term_eq(doc.numeric(field, v), v, value, *case_insensitive)),
            Self::Terms { field, values } => doc.values(field).into_iter().any(|v| {
                let numeric = doc.numeric(field, v);
                values.iter().any(|t| term_eq(numeric, v, t, false))
            }),
            Self::Range { field, bounds } => doc.values(field).into_iter().any(|v| {
                let numeric = doc.numeric(field, v);
                bounds
                    .iter()
                    .all(|(bound, limit)| within(numeric, v, *bound, limit))
            }),
            Self::Wildcard {
                field,
                pattern,
                case_insensitive,
            } => doc
                .values(field)
                .into_iter()
                .filter_map(as_text)
                .any(|text| wildcard(pattern, &text, *case_insensitive)),
            Self::Prefix {
                field,
                prefix,
                case_insensitive,
            } => doc
                .values(field)
                .into_iter()
                .filter_map(as_text)
                .any(|text| {
                    if *case_insensitive {
                        text.to_lowercase().starts_with(&prefix.to_lowercase())
                    } else {
                        text.starts_with(prefix.as_str())
                    }
                }),
            Self::Exists { field } => !doc.values(field).is_empty(),
            Self::Ids { values } => values.iter().any(|id| id == doc.id),
        }
    }
}

/// The one `(key, value)` of an object with exactly one entry.
fn single_entry(value: &Value) -> Option<(&str, &Value)> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    object.iter().next().map(|(k, v)| (k.as_str(), v))
}

/// The field entry of a leaf query: its one key other than `boost` and `_name`.
fn field_entry<'a>(kind: &str, body: &'a Value) -> Result<(&'a str, &'a Value), EsError> {
    let object = body.as_object().ok_or_else(|| {
        EsError::parsing(format!(
            "[{kind}] query malformed, no start_object after query name"
        ))
    })?;
    let mut fields = object
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "boost" | "_name"));
    match (fields.next(), fields.next()) {
        (Some((field, spec)), None) => Ok((field.as_str(), spec)),
        (None, _) => Err(EsError::parsing(format!("[{kind}] query needs a field"))),
        (Some((a, _)), Some((b, _))) => Err(EsError::parsing(format!(
            "[{kind}] query doesn't support multiple fields, found [{a}] and [{b}]"
        ))),
    }
}

/// A leaf query's value and its options object.
type ValueAndOptions<'a> = (&'a Value, Option<&'a Map<String, Value>>);

/// A leaf query's value: the spec itself, or its `value` (or another named key) with options.
fn value_and_options<'a>(
    kind: &str,
    spec: &'a Value,
    value_keys: &[&str],
) -> Result<ValueAndOptions<'a>, EsError> {
    let Value::Object(options) = spec else {
        return Ok((spec, None));
    };
    let value = value_keys
        .iter()
        .find_map(|key| options.get(*key))
        .ok_or_else(|| EsError::parsing(format!("[{kind}] query needs a [value]")))?;
    Ok((value, Some(options)))
}

fn case_insensitive(options: Option<&Map<String, Value>>) -> bool {
    options
        .and_then(|o| o.get("case_insensitive"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn parse_bool(body: &Value) -> Result<Query, EsError> {
    let object = body
        .as_object()
        .ok_or_else(|| EsError::parsing("[bool] query malformed, no start_object"))?;
    let (mut must, mut should, mut must_not) = (Vec::new(), Vec::new(), Vec::new());
    let mut minimum = None;
    for (key, value) in object {
        let clauses = match key.as_str() {
            "must" | "filter" => &mut must,
            "should" => &mut should,
            "must_not" => &mut must_not,
            "minimum_should_match" => {
                let parsed = match value {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                };
                let Some(parsed) = parsed else {
                    return Err(EsError::parsing(
                        "[bool] minimum_should_match must be a non-negative integer in fake-es",
                    ));
                };
                minimum = Some(usize::try_from(parsed).unwrap_or(usize::MAX));
                continue;
            }
            "boost" | "_name" | "adjust_pure_negative" => continue,
            other => {
                return Err(EsError::parsing(format!(
                    "[bool] query does not support [{other}]"
                )));
            }
        };
        match value {
            Value::Array(items) => {
                for item in items {
                    clauses.push(Query::parse(item)?);
                }
            }
            single => clauses.push(Query::parse(single)?),
        }
    }
    let default_minimum = usize::from(!should.is_empty() && must.is_empty());
    let minimum_should_match = minimum.unwrap_or(default_minimum);
    Ok(Query::Bool {
        must,
        should,
        must_not,
        minimum_should_match,
    })
}

fn parse_range(body: &Value) -> Result<Query, EsError> {
    let (field, spec) = field_entry("range", body)?;
    let spec = spec
        .as_object()
        .ok_or_else(|| EsError::parsing(format!("[range] query on [{field}] needs an object")))?;
    let mut bounds = Vec::new();
    for (key, limit) in spec {
        let bound = match key.as_str() {
            "gt" => Bound::Gt,
            "gte" => Bound::Gte,
            "lt" => Bound::Lt,
            "lte" => Bound::Lte,
            "format" | "time_zone" | "boost" | "relation" | "_name" => continue,
            other => {
                return Err(EsError::parsing(format!(
                    "[range] query does not support [{other}]"
                )));
            }
        };
        if !limit.is_null() {
            bounds.push((bound, limit.clone()));
        }
    }
    Ok(Query::Range {
        field: field.to_owned(),
        bounds,
    })
}

fn term_eq(numeric: bool, doc: &Value, term: &Value, case_insensitive: bool) -> bool {
    if numeric {
        return num_cmp(doc, term) == Some(Ordering::Equal);
    }
    match (as_text(doc), as_text(term)) {
        (Some(a), Some(b)) if case_insensitive => a.to_lowercase() == b.to_lowercase(),
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn within(numeric: bool, doc: &Value, bound: Bound, limit: &Value) -> bool {
    let order = if numeric {
        num_cmp(doc, limit)
    } else {
        match (as_text(doc), as_text(limit)) {
            (Some(a), Some(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            _ => None,
        }
    };
    order.is_some_and(|order| match bound {
        Bound::Gt => order.is_gt(),
        Bound::Gte => order.is_ge(),
        Bound::Lt => order.is_lt(),
        Bound::Lte => order.is_le(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::mapping::Mapping;
    use super::*;

    fn matches(query: &Value, source: &Value) -> bool {
        let mapping = Mapping::default();
        let doc = DocView {
            index: "i",
            id: "1",
            source,
            mapping: &mapping,
        };
        Query::parse(query).expect("query parses").matches(&doc)
    }

    #[test]
    fn term_and_range_compare_numbers_numerically_and_text_by_bytes() {
        let doc = json!({"n": 10, "s": "b", "tags": ["x", "y"], "o": {"k": "v"}});
        assert!(matches(&json!({"term": {"n": "10"}}), &doc));
        assert!(matches(&json!({"term": {"n": {"value": 10.0}}}), &doc));
        assert!(!matches(&json!({"term": {"s": "B"}}), &doc));
        assert!(matches(
            &json!({"term": {"s": {"value": "B", "case_insensitive": true}}}),
            &doc
        ));
        assert!(matches(&json!({"term": {"tags": "y"}}), &doc));
        assert!(matches(&json!({"term": {"o.k": "v"}}), &doc));
        assert!(matches(
            &json!({"range": {"n": {"gt": 9, "lte": "10"}}}),
            &doc
        ));
        assert!(!matches(&json!({"range": {"n": {"gt": 10}}}), &doc));
        assert!(matches(
            &json!({"range": {"s": {"gte": "a", "lt": "c"}}}),
            &doc
        ));
        assert!(!matches(&json!({"term": {"missing": 1}}), &doc));
        assert!(!matches(&json!({"range": {"missing": {"gte": 0}}}), &doc));
    }

    #[test]
    fn bool_combines_clauses() {
        let doc = json!({"a": 1, "b": "x.Obj"});
        let q = json!({"bool": {
            "filter": [{"term": {"a": 1}}, {"wildcard": {"b": {"value": "*.Obj"}}}],
            "must": {"terms": {"a": [3, 1]}},
            "must_not": {"exists": {"field": "c"}},
        }});
        assert!(matches(&q, &doc));
        assert!(!matches(
            &json!({"bool": {"should": [{"term": {"a": 2}}]}}),
            &doc
        ));
        assert!(matches(
            &json!({"bool": {"should": [{"term": {"a": 2}}, {"prefix": {"b": "x."}}]}}),
            &doc
        ));
    }

    #[test]
    fn unknown_queries_are_parsing_errors() {
        let err = Query::parse(&json!({"match": {"a": 1}})).expect_err("unsupported");
        assert_eq!(err.status, 400);
        assert_eq!(err.cause()["type"], "parsing_exception");
        assert!(Query::parse(&json!({"bool": {"nope": []}})).is_err());
        assert!(Query::parse(&json!({"term": {"a": 1, "b": 2}})).is_err());
    }
}
