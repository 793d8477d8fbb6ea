//! Routing: method and path to handler, header checks, and the lock around the handler.

use hyper::HeaderMap;
use hyper::header::{CONTENT_ENCODING, CONTENT_TYPE};
use serde_json::json;

use super::admin;
use super::bulk;
use super::flavour::{self, Flavour};
use super::indices;
use super::reply::{EsError, Outcome, Params, Reply, percent_decode};
use super::search;
use super::state::{FakeEsState, Inner};

/// One request, as the router sees it.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    /// `GET`, `HEAD`, `PUT`, `POST`, `DELETE`, ...
    pub(crate) method: &'a str,
    /// The path without the query string.
    pub(crate) path: &'a str,
    pub(crate) params: &'a Params,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// Answers one request.
pub(crate) fn route(state: &FakeEsState, request: &Request<'_>) -> Outcome {
    if let Some(reply) = check_headers(request.headers, request.body) {
        return Outcome::Reply(reply);
    }
    let segments: Vec<String> = request
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode(s, false))
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let mut inner = state.lock();
    match dispatch(&mut inner, request, &segments) {
        Ok(outcome) => outcome,
        Err(error) => Outcome::Reply(error.into_reply()),
    }
}

/// Rejects bodies a real cluster would not read: compressed ones (the fake cannot inflate) and
/// ones without a JSON content type (406, as Elasticsearch answers).
fn check_headers(headers: &HeaderMap, body: &[u8]) -> Option<Reply> {
    if let Some(encoding) = headers.get(CONTENT_ENCODING) {
        let encoding = encoding.to_str().unwrap_or("?");
        if !encoding.eq_ignore_ascii_case("identity") {
            return Some(
                EsError::illegal(format!(
                    "fake-es cannot decode Content-Encoding [{encoding}]"
                ))
                .into_reply(),
            );
        }
    }
    if body.is_empty() {
        return None;
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.to_ascii_lowercase().contains("json") {
        None
    } else {
        Some(Reply::new(
            406,
            json!({
                "error": format!("Content-Type header [{content_type}] is not supported"),
                "status": 406
            }),
        ))
    }
}

/// 405 in Elasticsearch's own shape (a string `error`).
fn not_allowed(request: &Request<'_>, allowed: &str) -> Outcome {
    Outcome::Reply(Reply::new(
        405,
        json!({
            "error": format!(
                "Incorrect HTTP method for uri [{}] and method [{}], allowed: [{allowed}]",
                request.path, request.method
            ),
            "status": 405
        }),
    ))
}

fn reply(result: Result<Reply, EsError>) -> Result<Outcome, EsError> {
    result.map(Outcome::Reply)
}

fn dispatch(
    inner: &mut Inner,
    request: &Request<'_>,
    segments: &[&str],
) -> Result<Outcome, EsError> {
    let (method, params, body) = (request.method, request.params, request.body);
    let read = matches!(method, "GET" | "HEAD");
    let opensearch = matches!(inner.flavour, Flavour::OpenSearch { .. });
    let ism = inner.flavour == Flavour::OpenSearch { ism: true };
    let no_handler = || Ok(Outcome::Reply(flavour::no_handler(method, request.path)));
    match segments {
        [] => match method {
            "GET" | "HEAD" if opensearch => reply(Ok(flavour::opensearch_root())),
            "GET" | "HEAD" => reply(Ok(admin::root())),
            _ => Ok(not_allowed(request, "GET, HEAD")),
        },
        ["_ilm", ..] if opensearch => no_handler(),
        ["_ilm", "status"] if read => reply(Ok(Reply::ok(json!({ "operation_mode": "RUNNING" })))),
        ["_plugins", "_ism", ..] if !ism => no_handler(),
        ["_plugins", "_ism", "policies"] if read => reply(Ok(flavour::list_policies(inner))),
        ["_plugins", "_ism", "policies", id] => match method {
            "PUT" => reply(flavour::put_policy(inner, id, params, body)),
            "GET" | "HEAD" => reply(Ok(flavour::get_policy(inner, id))),
            _ => Ok(not_allowed(request, "GET, PUT")),
        },
        ["_cluster", "health", ..] if read => reply(Ok(admin::health(inner))),
        ["_ilm", "policy"] if read => reply(admin::get_policies(inner, None)),
        ["_ilm", "policy", name] => match method {
            "PUT" => reply(admin::put_policy(inner, name, body)),
            "GET" | "HEAD" => reply(admin::get_policies(inner, Some(*name))),
            "DELETE" => reply(admin::delete_policy(inner, name)),
            _ => Ok(not_allowed(request, "GET, PUT, DELETE")),
        },
        ["_index_template"] if read => reply(admin::get_templates(inner, None)),
        ["_index_template", name] => match method {
            "PUT" | "POST" => reply(admin::put_template(inner, name, params, body)),
            "GET" | "HEAD" => reply(admin::get_templates(inner, Some(*name))),
            "DELETE" => reply(admin::delete_template(inner, name)),
            _ => Ok(not_allowed(request, "GET, HEAD, PUT, POST, DELETE")),
        },
        ["_data_stream"] if read => reply(indices::get_data_streams(inner, None)),
        ["_data_stream", name] => match method {
            "PUT" => reply(indices::put_data_stream(inner, name)),
            "GET" | "HEAD" => reply(indices::get_data_streams(inner, Some(*name))),
            "DELETE" => reply(indices::delete_data_streams(inner, name)),
            _ => Ok(not_allowed(request, "GET, PUT, DELETE")),
        },
        ["_bulk"] => bulk_route(inner, request, None),
        [index, "_bulk"] => bulk_route(inner, request, Some(*index)),
        ["_search"] => search_route(inner, request, None),
        [index, "_search"] => search_route(inner, request, Some(*index)),
        ["_count"] => count_route(inner, request, None),
        [index, "_count"] => count_route(inner, request, Some(*index)),
        ["_refresh"] => refresh_route(inner, request, None),
        [index, "_refresh"] => refresh_route(inner, request, Some(*index)),
        [index, "_doc", id] if !index.starts_with('_') => match method {
            "GET" | "HEAD" => reply(indices::get_doc(inner, index, id)),
            _ => Ok(not_allowed(request, "GET, HEAD")),
        },
        [index] if !index.starts_with('_') => match method {
            "PUT" => reply(indices::create_index(inner, index, body)),
            "HEAD" => reply(Ok(indices::index_exists(inner, index))),
            "GET" => reply(indices::get_index(inner, index, params)),
            "DELETE" => reply(indices::delete_indices(inner, index, params)),
            _ => Ok(not_allowed(request, "GET, HEAD, PUT, DELETE")),
        },
        // Both servers answer 400 with a plain string `error` (checked on OpenSearch 2.19).
        _ => no_handler(),
    }
}

fn bulk_route(
    inner: &mut Inner,
    request: &Request<'_>,
    index: Option<&str>,
) -> Result<Outcome, EsError> {
    match request.method {
        "POST" | "PUT" => bulk::bulk(inner, index, request.body),
        _ => Ok(not_allowed(request, "POST, PUT")),
    }
}

fn search_route(
    inner: &Inner,
    request: &Request<'_>,
    index: Option<&str>,
) -> Result<Outcome, EsError> {
    match request.method {
        "GET" | "POST" => reply(search::search(inner, index, request.params, request.body)),
        _ => Ok(not_allowed(request, "GET, POST")),
    }
}

fn count_route(
    inner: &Inner,
    request: &Request<'_>,
    index: Option<&str>,
) -> Result<Outcome, EsError> {
    match request.method {
        "GET" | "POST" => reply(search::count(inner, index, request.params, request.body)),
        _ => Ok(not_allowed(request, "GET, POST")),
    }
}

fn refresh_route(
    inner: &Inner,
    request: &Request<'_>,
    index: Option<&str>,
) -> Result<Outcome, EsError> {
    match request.method {
        "GET" | "POST" => reply(indices::refresh(inner, index, request.params)),
        _ => Ok(not_allowed(request, "GET, POST")),
    }
}
