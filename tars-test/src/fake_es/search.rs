//! `_search` and `_count` over an index expression (comma lists, `*` globs,
//! `ignore_unavailable`).

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::aggs::{self, NamedAgg};
use super::doc::DocView;
use super::query::Query;
use super::reply::{EsError, Params, Reply, json_body, shards};
use super::sort::{self, SortKey};
use super::state::Inner;

/// Elasticsearch's `index.max_result_window`.
const MAX_RESULT_WINDOW: usize = 10_000;

/// How `hits.total` is counted.
#[derive(Debug, Clone, Copy)]
enum TrackTotal {
    Off,
    UpTo(u64),
    Exact,
}

/// A parsed search body (plus the URL parameters that shape it).
#[derive(Debug)]
struct SearchRequest {
    query: Query,
    size: usize,
    from: usize,
    aggs: Option<Vec<NamedAgg>>,
    sort: Vec<SortKey>,
    source: bool,
    track_total: TrackTotal,
}

impl SearchRequest {
    fn parse(body: &[u8], params: &Params) -> Result<Self, EsError> {
        let mut request = Self {
            query: Query::MatchAll,
            size: params.number("size").unwrap_or(10),
            from: params.number("from").unwrap_or(0),
            aggs: None,
            sort: Vec::new(),
            source: true,
            track_total: match params.get("track_total_hits") {
                Some("true") => TrackTotal::Exact,
                Some("false") => TrackTotal::Off,
                Some(n) => n.parse().map_or(TrackTotal::UpTo(10_000), TrackTotal::UpTo),
                None => TrackTotal::UpTo(10_000),
            },
        };
        let object = match json_body(body)? {
            None => return Ok(request),
            Some(Value::Object(object)) => object,
            Some(_) => return Err(EsError::parsing("the search body must be a JSON object")),
        };
        for (key, value) in &object {
            match key.as_str() {
                "query" => request.query = Query::parse(value)?,
                "size" => request.size = non_negative(key, value)?,
                "from" => request.from = non_negative(key, value)?,
                "aggs" | "aggregations" => {
                    if request.aggs.is_some() {
                        return Err(EsError::parsing(
                            "Found two aggregation definitions: [aggs] and [aggregations]",
                        ));
                    }
                    request.aggs = Some(aggs::parse(value)?);
                }
                "sort" => request.sort = sort::parse(value)?,
                "_source" => request.source = value.as_bool().unwrap_or(true),
                "track_total_hits" => {
                    request.track_total = match value {
                        Value::Bool(true) => TrackTotal::Exact,
                        Value::Bool(false) => TrackTotal::Off,
                        other => other.as_u64().map(TrackTotal::UpTo).ok_or_else(|| {
                            EsError::parsing("[track_total_hits] must be a boolean or a number")
                        })?,
                    };
                }
                "timeout" | "stored_fields" | "explain" | "version" | "seq_no_primary_term" => {}
                other => {
                    return Err(EsError::parsing(format!(
                        "Unknown key for a {} in [{other}] (fake-es does not support it)",
                        token_name(value)
                    )));
                }
            }
        }
        if request.from.saturating_add(request.size) > MAX_RESULT_WINDOW {
            return Err(EsError::illegal(format!(
                "Result window is too large, from + size must be less than or equal to: \
                 [{MAX_RESULT_WINDOW}] but was [{}]. See the scroll api for a more efficient way \
                 to request large data sets.",
                request.from.saturating_add(request.size)
            )));
        }
        Ok(request)
    }
}

fn non_negative(key: &str, value: &Value) -> Result<usize, EsError> {
    value
        .as_u64()
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
        .ok_or_else(|| EsError::parsing(format!("[{key}] must be a non-negative integer")))
}

/// The JSON token name Elasticsearch's parser errors use.
fn token_name(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "START_OBJECT",
        Value::Array(_) => "START_ARRAY",
        Value::String(_) => "VALUE_STRING",
        Value::Number(_) => "VALUE_NUMBER",
        Value::Bool(_) => "VALUE_BOOLEAN",
        Value::Null => "VALUE_NULL",
    }
}

/// The matching documents of some indices, sorted by index name then id.
fn matching<'a>(inner: &'a Inner, names: &'a [String], query: &Query) -> Vec<DocView<'a>> {
    let mut out = Vec::new();
    for name in names {
        let Some(index) = inner.indices.get(name) else {
            continue;
        };
        let shown = index.display_name(name);
        for (id, doc) in &index.docs {
            let view = DocView {
                index: shown,
                id,
                source: &doc.source,
                mapping: &index.mapping,
            };
            if query.matches(&view) {
                out.push(view);
            }
        }
    }
    out
}

/// `GET|POST /<index>/_search`.
///
/// # Errors
/// 404 for a missing concrete index (unless `ignore_unavailable`), 400 for a bad body.
pub(crate) fn search(
    inner: &Inner,
    index: Option<&str>,
    params: &Params,
    body: &[u8],
) -> Result<Reply, EsError> {
    let started = Instant::now();
    let request = SearchRequest::parse(body, params)?;
    let names = inner.resolve(index.unwrap_or("_all"), params.flag("ignore_unavailable"))?;
    let docs = matching(inner, &names, &request.query);
    // With no index to search a real cluster sends no `aggregations` at all.
    let aggregations = match &request.aggs {
        Some(requested) if !names.is_empty() => Some(aggs::run(requested, &docs)?),
        _ => None,
    };
    sort::validate(&request.sort, inner, &names)?;
    let matched = u64::try_from(docs.len()).unwrap_or(u64::MAX);
    let sorted = !request.sort.is_empty();
    let hits: Vec<Value> = sort::sort(&request.sort, docs)
        .into_iter()
        .skip(request.from)
        .take(request.size)
        .map(|(doc, sort_values)| {
            let mut hit = Map::new();
            hit.insert("_index".to_owned(), Value::from(doc.index));
            hit.insert("_id".to_owned(), Value::from(doc.id));
            let score = if sorted { Value::Null } else { json!(1.0) };
            hit.insert("_score".to_owned(), score);
            if request.source {
                hit.insert("_source".to_owned(), doc.source.clone());
            }
            if sorted {
                hit.insert("sort".to_owned(), Value::Array(sort_values));
            }
            Value::Object(hit)
        })
        .collect();
    let total = if params.flag("rest_total_hits_as_int") {
        Some(json!(matched))
    } else {
        match request.track_total {
            TrackTotal::Off => None,
            TrackTotal::UpTo(cap) if matched > cap => {
                Some(json!({ "value": cap, "relation": "gte" }))
            }
            TrackTotal::UpTo(_) | TrackTotal::Exact => {
                Some(json!({ "value": matched, "relation": "eq" }))
            }
        }
    };
    let mut hits_object = Map::new();
    if let Some(total) = total {
        hits_object.insert("total".to_owned(), total);
    }
    let max_score = if hits.is_empty() || sorted {
        Value::Null
    } else {
        json!(1.0)
    };
    hits_object.insert("max_score".to_owned(), max_score);
    hits_object.insert("hits".to_owned(), Value::Array(hits));
    let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut out = Map::new();
    out.insert("took".to_owned(), json!(took));
    out.insert("timed_out".to_owned(), Value::Bool(false));
    out.insert("_shards".to_owned(), shards(names.len()));
    out.insert("hits".to_owned(), Value::Object(hits_object));
    if let Some(aggregations) = aggregations {
        out.insert("aggregations".to_owned(), aggregations);
    }
    Ok(Reply::ok(Value::Object(out)))
}

/// `GET|POST /<index>/_count`, with an optional `{"query": ...}` body.
///
/// # Errors
/// As [`search`].
pub(crate) fn count(
    inner: &Inner,
    index: Option<&str>,
    params: &Params,
    body: &[u8],
) -> Result<Reply, EsError> {
    let query = match json_body(body)? {
        None => Query::MatchAll,
        Some(Value::Object(object)) => {
            let mut query = Query::MatchAll;
            for (key, value) in &object {
                match key.as_str() {
                    "query" => query = Query::parse(value)?,
                    other => {
                        return Err(EsError::parsing(format!(
                            "request does not support [{other}]"
                        )));
                    }
                }
            }
            query
        }
        Some(_) => return Err(EsError::parsing("the count body must be a JSON object")),
    };
    let names = inner.resolve(index.unwrap_or("_all"), params.flag("ignore_unavailable"))?;
    let count = matching(inner, &names, &query).len();
    Ok(Reply::ok(
        json!({ "count": count, "_shards": shards(names.len()) }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inner_with_docs() -> Inner {
        let mut inner = Inner::default();
        for (index, id, n) in [("a", "2", 2), ("a", "1", 1), ("b", "1", 3)] {
            let source = json!({ "n": n });
            let index = inner.ensure_index(index);
            if let Value::Object(map) = &source {
                index.mapping.check_and_update(id, map).expect("fits");
            }
            let seq_no = index.next_seq_no();
            index.docs.insert(
                id.to_owned(),
                super::super::state::Doc {
                    source,
                    version: 1,
                    seq_no,
                },
            );
        }
        inner
    }

    #[test]
    fn hits_are_sorted_by_index_then_id_and_sized() {
        let inner = inner_with_docs();
        let reply = search(&inner, Some("a,b"), &Params::default(), b"{\"size\":2}").expect("ok");
        assert_eq!(reply.body["hits"]["total"]["value"], 3);
        let hits = &reply.body["hits"]["hits"];
        assert_eq!(hits[0]["_id"], "1");
        assert_eq!(hits[0]["_index"], "a");
        assert_eq!(hits[1]["_id"], "2");
        assert!(hits.get(2).is_none());
    }

    #[test]
    fn missing_indices_are_404_unless_ignored() {
        let inner = inner_with_docs();
        let err = search(&inner, Some("a,zz"), &Params::default(), b"").expect_err("404");
        assert_eq!(err.status, 404);
        let params = Params::parse(Some("ignore_unavailable=true"));
        let reply = search(&inner, Some("a,zz"), &params, b"").expect("ignored");
        assert_eq!(reply.body["hits"]["total"]["value"], 2);
        let reply = count(
            &inner,
            Some("*"),
            &Params::default(),
            b"{\"query\":{\"range\":{\"n\":{\"gte\":2}}}}",
        )
        .expect("count");
        assert_eq!(reply.body["count"], 2);
    }

    #[test]
    fn sort_orders_hits_and_reports_sort_values() {
        let inner = inner_with_docs();
        let body = br#"{"sort":[{"n":"desc"}],"size":2}"#;
        let reply = search(&inner, None, &Params::default(), body).expect("sorted");
        let hits = &reply.body["hits"]["hits"];
        assert_eq!(hits[0]["_index"], "b");
        assert_eq!(hits[0]["sort"], json!([3]));
        assert_eq!(hits[1]["sort"], json!([2]));
        assert!(search(&inner, None, &Params::default(), br#"{"sort":["zz"]}"#).is_err());
    }

    #[test]
    fn no_index_means_no_aggregations() {
        let inner = inner_with_docs();
        let params = Params::parse(Some("ignore_unavailable=true"));
        let body = br#"{"size":0,"aggs":{"s":{"sum":{"field":"n"}}}}"#;
        let reply = search(&inner, Some("zz"), &params, body).expect("ignored");
        assert!(reply.body.get("aggregations").is_none());
        let reply = search(&inner, Some("a"), &params, body).expect("found");
        assert_eq!(reply.body["aggregations"]["s"]["value"], json!(3.0));
    }

    #[test]
    fn unknown_body_keys_are_rejected() {
        let inner = inner_with_docs();
        assert!(search(&inner, None, &Params::default(), b"{\"highlight\":{}}").is_err());
        assert!(search(&inner, None, &Params::default(), b"{\"size\":-1}").is_err());
    }
}
