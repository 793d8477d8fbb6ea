//! Monitor queries as Elasticsearch query DSL: a `bool` filter and a composite aggregation
//! with one `sum` per summed field, paged with `after_key`.

use serde_json::{Map, Value, json};

use super::client::Client;
use crate::query::{AggQuery, AggRow, FilterOp, KeyValue, sort_rows};
use crate::{Error, Result};

/// Groups fetched per page.
const PAGE: usize = 1000;

/// Translates a SQL `LIKE` pattern to an Elasticsearch `wildcard` pattern: `%` → `*`,
/// `_` → `?`, and the wildcard's own metacharacters escaped.
pub(crate) fn like_to_wildcard(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    for c in pattern.chars() {
        match c {
            '%' => out.push('*'),
            '_' => out.push('?'),
            '*' | '?' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn filter_clause(field: &str, op: FilterOp, value: &str) -> Value {
    let range = |name: &str| json!({ "range": { field: { name: value } } });
    match op {
        FilterOp::Eq => json!({ "term": { field: value } }),
        FilterOp::Gt => range("gt"),
        FilterOp::Gte => range("gte"),
        FilterOp::Lt => range("lt"),
        FilterOp::Lte => range("lte"),
        FilterOp::Like => json!({ "wildcard": { field: { "value": like_to_wildcard(value) } } }),
    }
}

/// The search body for one page.
pub(crate) fn search_body(query: &AggQuery, after: Option<&Value>) -> Value {
    let filters: Vec<Value> = query
        .filters
        .iter()
        .map(|f| filter_clause(&f.field, f.op, &f.value))
        .collect();
    let mut sums = Map::new();
    for (i, field) in query.sums.iter().enumerate() {
        sums.insert(format!("s{i}"), json!({ "sum": { "field": field } }));
    }
    let aggs = if query.group_by.is_empty() {
        Value::Object(sums)
    } else {
        let sources: Vec<Value> = query
            .group_by
            .iter()
            .enumerate()
            .map(|(i, field)| json!({ format!("g{i}"): { "terms": { "field": field } } }))
            .collect();
        let mut composite = json!({ "size": PAGE, "sources": sources });
        if let Some(after) = after {
            composite["after"] = after.clone();
        }
        json!({ "groups": { "composite": composite, "aggs": sums } })
    };
    json!({
        "size": 0,
        "track_total_hits": false,
        "query": { "bool": { "filter": filters } },
        "aggs": aggs,
    })
}

fn sums_of(bucket: &Value, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            bucket
                .get(format!("s{i}"))
                .and_then(|s| s.get("value"))
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
        })
        .collect()
}

fn key_value(v: &Value) -> KeyValue {
    match v {
        Value::Number(n) => KeyValue::Number(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => KeyValue::Text(s.clone()),
        other => KeyValue::Text(other.to_string()),
    }
}

/// Runs a query, following `after_key` pages, at most `max_groups` groups.
pub(crate) async fn run(
    client: &Client,
    query: &AggQuery,
    max_groups: usize,
) -> Result<Vec<AggRow>> {
    query.validate()?;
    let path = format!("/{}/_search?ignore_unavailable=true", query.index);
    let unexpected = |reason: &str| Error::UnexpectedResponse {
        op: format!("POST {path}"),
        reason: reason.into(),
    };
    if query.group_by.is_empty() {
        let answer = client.post_json(&path, &search_body(query, None)).await?;
        let Some(aggs) = answer.get("aggregations") else {
            // No index for that day: no documents.
            return Ok(Vec::new());
        };
        return Ok(vec![AggRow {
            keys: Vec::new(),
            sums: sums_of(aggs, query.sums.len()),
        }]);
    }
    let mut rows = Vec::new();
    let mut after: Option<Value> = None;
    loop {
        let answer = client
            .post_json(&path, &search_body(query, after.as_ref()))
            .await?;
        let Some(groups) = answer.get("aggregations").and_then(|a| a.get("groups")) else {
            break;
        };
        let buckets = groups
            .get("buckets")
            .and_then(Value::as_array)
            .ok_or_else(|| unexpected("composite aggregation without buckets"))?;
        for bucket in buckets {
            let key = bucket
                .get("key")
                .ok_or_else(|| unexpected("bucket without key"))?;
            let keys = (0..query.group_by.len())
                .map(|i| {
                    key.get(format!("g{i}"))
                        .map_or(KeyValue::Text(String::new()), key_value)
                })
                .collect();
            rows.push(AggRow {
                keys,
                sums: sums_of(bucket, query.sums.len()),
            });
            if rows.len() > max_groups {
                return Err(Error::TooManyGroups { max: max_groups });
            }
        }
        match groups.get("after_key") {
            Some(key) if !buckets.is_empty() => after = Some(key.clone()),
            _ => break,
        }
    }
    sort_rows(&mut rows);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Filter;

    #[test]
    fn like_patterns_become_wildcards() {
        assert_eq!(like_to_wildcard("tars.%stat_"), "tars.*stat?");
        assert_eq!(like_to_wildcard("a*b?c\\"), "a\\*b\\?c\\\\");
    }

    #[test]
    fn the_body_filters_groups_and_sums_without_text_splicing() {
        let q = AggQuery {
            index: "tars_stat_20240328".into(),
            filters: vec![
                Filter {
                    field: "f_tflag".into(),
                    op: FilterOp::Gte,
                    value: "0000".into(),
                },
                Filter {
                    field: "slave_name".into(),
                    op: FilterOp::Like,
                    value: "x' OR '1".into(),
                },
            ],
            group_by: vec!["f_tflag".into()],
            sums: vec!["succ_count".into()],
        };
        let body = search_body(&q, Some(&json!({"g0": "0959"})));
        assert_eq!(
            body["query"]["bool"]["filter"][0],
            json!({"range": {"f_tflag": {"gte": "0000"}}})
        );
        assert_eq!(
            body["query"]["bool"]["filter"][1]["wildcard"]["slave_name"]["value"],
            "x' OR '1"
        );
        assert_eq!(
            body["aggs"]["groups"]["composite"]["sources"][0],
            json!({"g0": {"terms": {"field": "f_tflag"}}})
        );
        assert_eq!(
            body["aggs"]["groups"]["composite"]["after"],
            json!({"g0": "0959"})
        );
        assert_eq!(
            body["aggs"]["groups"]["aggs"]["s0"],
            json!({"sum": {"field": "succ_count"}})
        );
    }
}
