//! Which server the fake is: Elasticsearch 8 (the default, with ILM) or OpenSearch 2, with or
//! without the index-management (ISM) plugin. What differs is what tarsplane's flavour
//! detection and lifecycle setup see, each checked against a real OpenSearch 2.19 node:
//!
//! - `GET /`: OpenSearch adds `version.distribution: "opensearch"`;
//! - `_ilm/...` on OpenSearch, and `_plugins/_ism/...` without the plugin: 400 with a plain
//!   string `error` (`no handler found for uri [...] and method [...]`);
//! - an index template with `index.lifecycle.name` on OpenSearch: 400
//!   `invalid_index_template_exception` (an unknown setting);
//! - ISM policies: `PUT` creates (201), a `PUT` over an existing policy without
//!   `if_seq_no`/`if_primary_term` is a 409, with the current ones an update; `GET` answers the
//!   policy with `_seq_no` and `_primary_term`, 404 when missing.

use serde_json::{Value, json};

use super::reply::{EsError, Params, Reply, required_object};
use super::state::Inner;

/// The server the fake pretends to be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Flavour {
    /// Elasticsearch 8.15 with ILM.
    #[default]
    Elasticsearch,
    /// OpenSearch 2.19; `ism`: the index-management plugin is installed.
    OpenSearch {
        /// Whether `_plugins/_ism` is there.
        ism: bool,
    },
}

/// A stored ISM policy with its optimistic-concurrency numbers.
#[derive(Debug)]
pub(crate) struct IsmPolicy {
    pub(crate) policy: Value,
    pub(crate) seq_no: u64,
}

/// OpenSearch's answer to a path it has no handler for.
pub(crate) fn no_handler(method: &str, path: &str) -> Reply {
    Reply::new(
        400,
        json!({ "error": format!("no handler found for uri [{path}] and method [{method}]") }),
    )
}

/// `GET /` of an OpenSearch node.
pub(crate) fn opensearch_root() -> Reply {
    Reply::ok(json!({
        "name": "fake-opensearch",
        "cluster_name": "tars-test",
        "cluster_uuid": "fake-es-cluster-uuid",
        "version": {
            "distribution": "opensearch",
            "number": "2.19.6",
            "build_type": "zip",
            "build_snapshot": false,
            "lucene_version": "9.12.3",
            "minimum_wire_compatibility_version": "7.10.0",
            "minimum_index_compatibility_version": "7.0.0"
        },
        "tagline": "The OpenSearch Project: https://opensearch.org/"
    }))
}

/// OpenSearch refuses templates that name an ILM policy.
///
/// # Errors
/// The template sets `index.lifecycle.*`.
pub(crate) fn check_template_settings(name: &str, body: &Value) -> Result<(), EsError> {
    let settings = &body["template"]["settings"];
    let flat =
        settings.get("index.lifecycle.name").is_some() || settings.get("lifecycle.name").is_some();
    let nested = settings["index"]["lifecycle"].is_object() || settings["lifecycle"].is_object();
    if flat || nested {
        return Err(EsError::bad_request(
            "invalid_index_template_exception",
            format!(
                "index_template [{name}] invalid, cause [Validation Failed: 1: unknown setting [index.lifecycle.name] please check that any required plugins are installed, or check the breaking changes documentation for removed settings;]"
            ),
        ));
    }
    Ok(())
}

/// `GET /_plugins/_ism/policies[?size=N]`.
pub(crate) fn list_policies(inner: &Inner) -> Reply {
    let policies: Vec<Value> = inner
        .ism_policies
        .iter()
        .map(|(id, p)| json!({ "_id": id, "_seq_no": p.seq_no, "_primary_term": 1, "policy": p.policy }))
        .collect();
    Reply::ok(json!({ "total_policies": policies.len(), "policies": policies }))
}

/// `GET /_plugins/_ism/policies/<id>`.
pub(crate) fn get_policy(inner: &Inner, id: &str) -> Reply {
    match inner.ism_policies.get(id) {
        Some(p) => Reply::ok(json!({
            "_id": id,
            "_version": p.seq_no + 1,
            "_seq_no": p.seq_no,
            "_primary_term": 1,
            "policy": p.policy,
        })),
        None => Reply::new(
            404,
            json!({
                "error": {
                    "root_cause": [{ "type": "status_exception", "reason": "Policy not found" }],
                    "type": "status_exception",
                    "reason": "Policy not found"
                },
                "status": 404
            }),
        ),
    }
}

/// `PUT /_plugins/_ism/policies/<id>[?if_seq_no=&if_primary_term=]`.
///
/// # Errors
/// A body without `policy`, a create over an existing policy, or stale concurrency numbers.
pub(crate) fn put_policy(
    inner: &mut Inner,
    id: &str,
    params: &Params,
    body: &[u8],
) -> Result<Reply, EsError> {
    let object = required_object(body)?;
    let Some(Value::Object(policy)) = object.get("policy") else {
        return Err(EsError::bad_request(
            "parse_exception",
            "Required [policy] object is missing",
        ));
    };
    let mut policy = policy.clone();
    policy.insert("policy_id".to_owned(), json!(id));
    let conflict = |reason: String| EsError::new(409, "version_conflict_engine_exception", reason);
    let seq_no = match (inner.ism_policies.get(id), params.get("if_seq_no")) {
        (None, None) => 0,
        (None, Some(_)) => {
            return Err(conflict(format!(
                "[{id}]: version conflict, document does not exist"
            )));
        }
        (Some(_), None) => {
            return Err(conflict(format!(
                "[{id}]: version conflict, document already exists (current version [1])"
            )));
        }
        (Some(current), Some(given)) => {
            let fresh = given.parse::<u64>().ok() == Some(current.seq_no)
                && params.get("if_primary_term") == Some("1");
            if !fresh {
                return Err(conflict(format!(
                    "[{id}]: version conflict, required seqNo [{given}], current document has seqNo [{}]",
                    current.seq_no
                )));
            }
            current.seq_no + 1
        }
    };
    inner.ism_policies.insert(
        id.to_owned(),
        IsmPolicy {
            policy: Value::Object(policy.clone()),
            seq_no,
        },
    );
    let status = if seq_no == 0 { 201 } else { 200 };
    Ok(Reply::new(
        status,
        json!({ "_id": id, "_version": seq_no + 1, "_primary_term": 1, "_seq_no": seq_no, "policy": { "policy": policy } }),
    ))
}
