//! The search `sort`: `_doc`, `_score` and field sorts (`order`, `missing`, `unmapped_type`);
//! a multi-valued field sorts by its minimum ascending and its maximum descending, missing
//! values last unless `"missing": "_first"`. Text fields and `_id` are refused as on a real
//! cluster.

use std::cmp::Ordering;

use serde_json::Value;

use super::doc::{DocView, as_text, num_cmp};
use super::mapping::FieldKind;
use super::reply::EsError;
use super::state::Inner;

/// One sort criterion.
#[derive(Debug)]
pub(crate) enum SortKey {
    /// Index order (index name, then id).
    Doc { descending: bool },
    /// Every document scores the same.
    Score,
    Field {
        field: String,
        descending: bool,
        missing_first: bool,
        unmapped_ok: bool,
    },
}

/// Parses the `sort` of a search body: a string, an object or an array of them.
///
/// # Errors
/// 400 for a malformed criterion, an unknown order or `_id`.
pub(crate) fn parse(value: &Value) -> Result<Vec<SortKey>, EsError> {
    match value {
        Value::Array(items) => items.iter().map(parse_one).collect(),
        other => parse_one(other).map(|key| vec![key]),
    }
}

fn parse_one(item: &Value) -> Result<SortKey, EsError> {
    let (name, spec) = match item {
        Value::String(name) => (name.as_str(), None),
        Value::Object(object) if object.len() == 1 => match object.iter().next() {
            Some((name, spec)) => (name.as_str(), Some(spec)),
            None => return Err(EsError::parsing("malformed sort criterion")),
        },
        _ => return Err(EsError::parsing("malformed sort criterion")),
    };
    let (order, missing, unmapped_ok) = match spec {
        None => (None, None, false),
        Some(Value::String(order)) => (Some(order.as_str()), None, false),
        Some(Value::Object(options)) => (
            options.get("order").and_then(Value::as_str),
            options.get("missing").and_then(Value::as_str),
            options.contains_key("unmapped_type"),
        ),
        Some(_) => {
            return Err(EsError::parsing(format!(
                "malformed sort criterion for [{name}]"
            )));
        }
    };
    let descending = match order {
        None => name == "_score",
        Some("asc") => false,
        Some("desc") => true,
        Some(other) => return Err(EsError::illegal(format!("Unknown SortOrder [{other}]"))),
    };
    match name {
        "_doc" => Ok(SortKey::Doc { descending }),
        "_score" => Ok(SortKey::Score),
        "_id" => Err(EsError::illegal(
            "Fielddata access on the _id field is disallowed, you can re-enable it by updating \
             the dynamic cluster setting: indices.id_field_data.enabled",
        )),
        field => Ok(SortKey::Field {
            field: field.to_owned(),
            descending,
            missing_first: missing == Some("_first"),
            unmapped_ok,
        }),
    }
}

/// Checks field sorts against the searched indices' mappings.
///
/// # Errors
/// 400 for a text field, or a field no index maps (without `unmapped_type`).
pub(crate) fn validate(keys: &[SortKey], inner: &Inner, names: &[String]) -> Result<(), EsError> {
    for key in keys {
        let SortKey::Field {
            field, unmapped_ok, ..
        } = key
        else {
            continue;
        };
        let kinds: Vec<FieldKind> = names
            .iter()
            .filter_map(|name| inner.indices.get(name))
            .filter_map(|index| index.mapping.kind(field))
            .collect();
        if kinds
            .iter()
            .any(|kind| matches!(kind, FieldKind::Text | FieldKind::DynamicText))
        {
            return Err(EsError::illegal(format!(
                "Fielddata is disabled on [{field}]. Text fields are not optimised for operations \
                 that require per-document field data like aggregations and sorting. Please use a \
                 keyword field instead."
            )));
        }
        if kinds.is_empty() && !unmapped_ok && !names.is_empty() {
            return Err(EsError::bad_request(
                "query_shard_exception",
                format!("No mapping found for [{field}] in order to sort on"),
            ));
        }
    }
    Ok(())
}

fn compare_values(numeric: bool, a: &Value, b: &Value) -> Ordering {
    if numeric {
        return num_cmp(a, b).unwrap_or(Ordering::Equal);
    }
    match (as_text(a), as_text(b)) {
        (Some(a), Some(b)) => a.as_bytes().cmp(b.as_bytes()),
        _ => Ordering::Equal,
    }
}

/// The value a document sorts by: its smallest ascending, its largest descending.
fn sort_value<'a>(doc: &DocView<'a>, field: &str, descending: bool) -> Option<&'a Value> {
    doc.values(field)
        .into_iter()
        .filter(|value| as_text(value).is_some())
        .reduce(|best, value| {
            let order = compare_values(doc.numeric(field, value), value, best);
            if order.is_lt() != descending && order.is_ne() {
                value
            } else {
                best
            }
        })
}

/// Sorts documents (given in index order) by the keys; stable, so ties keep index order.
pub(crate) fn sort<'a>(keys: &[SortKey], docs: Vec<DocView<'a>>) -> Vec<(DocView<'a>, Vec<Value>)> {
    let mut rows: Vec<(DocView<'a>, Vec<Value>)> = docs
        .into_iter()
        .enumerate()
        .map(|(position, doc)| {
            let values = keys
                .iter()
                .map(|key| match key {
                    SortKey::Doc { .. } => Value::from(position),
                    SortKey::Score => Value::from(1.0),
                    SortKey::Field {
                        field, descending, ..
                    } => sort_value(&doc, field, *descending)
                        .cloned()
                        .unwrap_or(Value::Null),
                })
                .collect();
            (doc, values)
        })
        .collect();
    rows.sort_by(|(a, a_values), (b, b_values)| {
        for ((key, x), y) in keys.iter().zip(a_values).zip(b_values) {
            let order = match key {
                SortKey::Score => Ordering::Equal,
                SortKey::Doc { descending } => {
                    let order = num_cmp(x, y).unwrap_or(Ordering::Equal);
                    if *descending { order.reverse() } else { order }
                }
                SortKey::Field {
                    field,
                    descending,
                    missing_first,
                    ..
                } => match (x.is_null(), y.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) if *missing_first => Ordering::Less,
                    (true, false) => Ordering::Greater,
                    (false, true) if *missing_first => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) => {
                        let numeric = a.numeric(field, x) && b.numeric(field, y);
                        let order = compare_values(numeric, x, y);
                        if *descending { order.reverse() } else { order }
                    }
                },
            };
            if order.is_ne() {
                return order;
            }
        }
        Ordering::Equal
    });
    rows
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::mapping::Mapping;
    use super::*;

    #[test]
    fn field_sorts_order_numbers_and_put_missing_last() {
        let mapping = Mapping::default();
        let sources = [
            json!({"n": 10}),
            json!({"n": 9}),
            json!({}),
            json!({"n": [1, 20]}),
        ];
        let docs: Vec<DocView<'_>> = sources
            .iter()
            .map(|source| DocView {
                index: "i",
                id: "x",
                source,
                mapping: &mapping,
            })
            .collect();
        let keys = parse(&json!([{"n": "desc"}])).expect("parses");
        let sorted = sort(&keys, docs.clone());
        let order: Vec<Value> = sorted.iter().map(|(_, values)| values[0].clone()).collect();
        assert_eq!(order, vec![json!(20), json!(10), json!(9), Value::Null]);
        let keys = parse(&json!({"n": {"order": "asc", "missing": "_first"}})).expect("parses");
        let sorted = sort(&keys, docs);
        let order: Vec<Value> = sorted.iter().map(|(_, values)| values[0].clone()).collect();
        assert_eq!(order, vec![Value::Null, json!(1), json!(9), json!(10)]);
        assert!(parse(&json!(["_id"])).is_err());
        assert!(parse(&json!([{"n": "up"}])).is_err());
    }
}
