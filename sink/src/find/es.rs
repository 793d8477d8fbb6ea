//! A [`Find`] as Elasticsearch / OpenSearch query DSL: a `bool` filter of `term`, `prefix`,
//! `range` and `nested` clauses, values as JSON values.

use serde_json::{Value, json};

use super::{Cond, Find, project};
use crate::es::client::Client;
use crate::{Error, Result};

fn text_field(name: &str, keyword_subfield: bool) -> String {
    if keyword_subfield {
        format!("{name}.keyword")
    } else {
        name.to_owned()
    }
}

fn clause(cond: &Cond, path: Option<&str>, keyword_subfield: bool) -> Value {
    let full = |field: &str| match path {
        Some(path) => format!("{path}.{field}"),
        None => field.to_owned(),
    };
    match cond {
        Cond::Text { field, value } => {
            json!({ "term": { text_field(&full(field), keyword_subfield): value } })
        }
        Cond::Prefix { field, prefix } => {
            json!({ "prefix": { text_field(&full(field), keyword_subfield): prefix } })
        }
        Cond::Range { field, min, max } => {
            json!({ "range": { full(field): { "gte": min, "lte": max } } })
        }
        Cond::AnyOf { path: array, any } => {
            let should: Vec<Value> = any
                .iter()
                .map(|c| clause(c, Some(array), keyword_subfield))
                .collect();
            json!({ "nested": {
                "path": array,
                "query": { "bool": { "should": should, "minimum_should_match": 1 } },
            } })
        }
    }
}

/// The search body.
pub(crate) fn body(find: &Find) -> Value {
    let filter: Vec<Value> = find
        .all
        .iter()
        .map(|c| clause(c, None, find.keyword_subfield))
        .collect();
    let mut body = json!({
        "size": find.limit,
        "track_total_hits": false,
        "query": { "bool": { "filter": filter } },
    });
    if let Some(field) = &find.sort_desc {
        body["sort"] = json!([{ field: { "order": "desc" } }]);
    }
    if !find.fields.is_empty() {
        body["_source"] = json!(find.fields);
    }
    body
}

/// Runs a search; a missing index has no hits.
pub(crate) async fn run(client: &Client, find: &Find) -> Result<Vec<Value>> {
    find.validate()?;
    let path = format!("/{}/_search?ignore_unavailable=true", find.index);
    let answer = client.post_json(&path, &body(find)).await?;
    let hits = answer
        .get("hits")
        .and_then(|h| h.get("hits"))
        .and_then(Value::as_array)
        .ok_or_else(|| Error::UnexpectedResponse {
            op: format!("POST {path}"),
            reason: "an answer without hits.hits".into(),
        })?;
    Ok(hits
        .iter()
        .filter_map(|hit| hit.get("_source").cloned())
        .map(|doc| project(doc, &find.fields))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_json_values_and_nested_fields_get_their_path() {
        let find = Find {
            index: "tars_call_trace_20240328".into(),
            all: vec![
                Cond::Range {
                    field: "tsTime".into(),
                    min: 5,
                    max: 9,
                },
                Cond::AnyOf {
                    path: "spans".into(),
                    any: vec![
                        Cond::Text {
                            field: "master".into(),
                            value: "A\" OR \"1".into(),
                        },
                        Cond::Prefix {
                            field: "slave".into(),
                            prefix: "B.".into(),
                        },
                    ],
                },
            ],
            sort_desc: Some("tsTime".into()),
            fields: vec!["trace".into()],
            limit: 100,
            keyword_subfield: true,
        };
        let body = body(&find);
        assert_eq!(
            body["query"]["bool"]["filter"][0],
            json!({"range": {"tsTime": {"gte": 5, "lte": 9}}})
        );
        let nested = &body["query"]["bool"]["filter"][1]["nested"];
        assert_eq!(nested["path"], "spans");
        assert_eq!(
            nested["query"]["bool"]["should"][0],
            json!({"term": {"spans.master.keyword": "A\" OR \"1"}})
        );
        assert_eq!(
            nested["query"]["bool"]["should"][1],
            json!({"prefix": {"spans.slave.keyword": "B."}})
        );
        assert_eq!(body["sort"], json!([{"tsTime": {"order": "desc"}}]));
        assert_eq!(body["_source"], json!(["trace"]));
        assert_eq!(body["size"], 100);
    }
}
