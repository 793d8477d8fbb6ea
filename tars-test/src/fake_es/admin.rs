//! The cluster-level endpoints: info and health, lifecycle policies and index templates.

use serde_json::{Map, Value, json};

use super::pattern::glob;
use super::reply::{EsError, Params, Reply, required_object};
use super::state::{Inner, Policy, patterns};

/// The version the fake reports.
const VERSION: &str = "8.15.0";

/// `GET /`.
pub(crate) fn root() -> Reply {
    Reply::ok(json!({
        "name": "fake-es",
        "cluster_name": "tars-test",
        "cluster_uuid": "fake-es-cluster-uuid",
        "version": {
            "number": VERSION,
            "build_flavor": "default",
            "build_type": "docker",
            "lucene_version": "9.11.1",
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0"
        },
        "tagline": "You Know, for Search"
    }))
}

/// `GET /_cluster/health`: always green.
pub(crate) fn health(inner: &Inner) -> Reply {
    let shards = inner.indices.len();
    Reply::ok(json!({
        "cluster_name": "tars-test",
        "status": "green",
        "timed_out": false,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": shards,
        "active_shards": shards,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0
    }))
}

/// The names an expression selects from `available`: `None`, `*` or `_all` for all, else
/// comma-separated names and globs.
///
/// # Errors
/// The first concrete name that is not available.
#[allow(clippy::needless_pass_by_value)] // a cloneable iterator, cloned once per name
pub(crate) fn select<'a>(
    available: impl Iterator<Item = &'a String> + Clone,
    expr: Option<&str>,
) -> Result<Vec<String>, String> {
    let expr = match expr {
        None | Some("_all") => "*",
        Some(expr) => expr,
    };
    let mut out: Vec<String> = Vec::new();
    for part in expr.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part.contains('*') {
            out.extend(
                available
                    .clone()
                    .filter(|name| glob(part, name.as_str()))
                    .cloned(),
            );
        } else if available.clone().any(|name| name == part) {
            out.push(part.to_owned());
        } else {
            return Err(part.to_owned());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `PUT /_ilm/policy/<name>`.
pub(crate) fn put_policy(inner: &mut Inner, name: &str, body: &[u8]) -> Result<Reply, EsError> {
    let object = required_object(body)?;
    if !object.get("policy").is_some_and(Value::is_object) {
        return Err(EsError::bad_request(
            "x_content_parse_exception",
            "[put_lifecycle_request] Required [policy]",
        ));
    }
    let version = inner.ilm_policies.get(name).map_or(1, |p| p.version + 1);
    inner.ilm_policies.insert(
        name.to_owned(),
        Policy {
            body: Value::Object(object),
            version,
        },
    );
    Ok(Reply::acknowledged())
}

/// `GET /_ilm/policy[/<names>]`.
pub(crate) fn get_policies(inner: &Inner, names: Option<&str>) -> Result<Reply, EsError> {
    let selected = select(inner.ilm_policies.keys(), names).map_err(|missing| {
        EsError::resource_not_found(format!("Lifecycle policy not found: [{missing}]"))
    })?;
    let mut out = Map::new();
    for name in selected {
        if let Some(policy) = inner.ilm_policies.get(&name) {
            let body = policy.body.get("policy").cloned().unwrap_or(Value::Null);
            out.insert(name, json!({ "version": policy.version, "policy": body }));
        }
    }
    Ok(Reply::ok(Value::Object(out)))
}

/// `DELETE /_ilm/policy/<name>`.
pub(crate) fn delete_policy(inner: &mut Inner, name: &str) -> Result<Reply, EsError> {
    match inner.ilm_policies.remove(name) {
        Some(_) => Ok(Reply::acknowledged()),
        None => Err(EsError::resource_not_found(format!(
            "Lifecycle policy not found: [{name}]"
        ))),
    }
}

/// `PUT|POST /_index_template/<name>`: `index_patterns` must be a string or strings.
pub(crate) fn put_template(
    inner: &mut Inner,
    name: &str,
    params: &Params,
    body: &[u8],
) -> Result<Reply, EsError> {
    let object = required_object(body)?;
    let patterns_ok = match object.get("index_patterns") {
        Some(Value::String(pattern)) => !pattern.is_empty(),
        Some(Value::Array(items)) => !items.is_empty() && items.iter().all(Value::is_string),
        _ => false,
    };
    if !patterns_ok {
        return Err(EsError::validation("index patterns are missing"));
    }
    if object.get("data_stream").is_some_and(|ds| !ds.is_object()) {
        return Err(EsError::bad_request(
            "x_content_parse_exception",
            "[index_template] failed to parse field [data_stream]",
        ));
    }
    if matches!(inner.flavour, super::flavour::Flavour::OpenSearch { .. }) {
        super::flavour::check_template_settings(name, &Value::Object(object.clone()))?;
    }
    if params.flag("create") && inner.index_templates.contains_key(name) {
        return Err(EsError::illegal(format!(
            "index template [{name}] already exists"
        )));
    }
    inner
        .index_templates
        .insert(name.to_owned(), Value::Object(object));
    Ok(Reply::acknowledged())
}

/// `GET /_index_template[/<names>]`, `index_patterns` always an array as a real cluster shows.
pub(crate) fn get_templates(inner: &Inner, names: Option<&str>) -> Result<Reply, EsError> {
    let selected = select(inner.index_templates.keys(), names).map_err(|missing| {
        EsError::resource_not_found(format!("index template matching [{missing}] not found"))
    })?;
    let templates: Vec<Value> = selected
        .into_iter()
        .filter_map(|name| {
            let body = inner.index_templates.get(&name)?;
            let mut shown = body.as_object().cloned().unwrap_or_default();
            shown.insert("index_patterns".to_owned(), json!(patterns(body)));
            shown.entry("composed_of").or_insert_with(|| json!([]));
            if let Some(Value::Object(template)) = shown.get_mut("template")
                && let Some(settings) = template.get_mut("settings")
            {
                *settings = normalize_settings(settings);
            }
            Some(json!({ "name": name, "index_template": Value::Object(shown) }))
        })
        .collect();
    Ok(Reply::ok(json!({ "index_templates": templates })))
}

/// Settings as a real cluster shows them: `index.`-prefixed, nested by dots, values as strings
/// (`{"index.lifecycle.name": "p"}` becomes `{"index": {"lifecycle": {"name": "p"}}}`).
fn normalize_settings(settings: &Value) -> Value {
    fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    flatten(&path, child, out);
                }
            }
            Value::Array(items) => {
                let items = items.iter().map(setting_text).collect();
                out.push((prefix.to_owned(), Value::Array(items)));
            }
            scalar => out.push((prefix.to_owned(), setting_text(scalar))),
        }
    }
    fn setting_text(value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(s.clone()),
            Value::Null => Value::Null,
            other => Value::String(other.to_string()),
        }
    }
    let mut flat = Vec::new();
    flatten("", settings, &mut flat);
    let mut root = Map::new();
    for (key, value) in flat {
        if key.is_empty() {
            continue;
        }
        let key = if key.starts_with("index.") {
            key
        } else {
            format!("index.{key}")
        };
        insert_path(&mut root, &key, value);
    }
    Value::Object(root)
}

/// Inserts `value` at a dotted path, creating objects on the way.
fn insert_path(root: &mut Map<String, Value>, path: &str, value: Value) {
    let mut node = root;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node.insert(part.to_owned(), value);
            return;
        }
        let entry = node
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else {
            return;
        };
        node = next;
    }
}

/// `DELETE /_index_template/<names>`.
pub(crate) fn delete_template(inner: &mut Inner, names: &str) -> Result<Reply, EsError> {
    let selected = select(inner.index_templates.keys(), Some(names)).map_err(|missing| {
        EsError::new(
            404,
            "index_template_missing_exception",
            format!("index_template [{missing}] missing"),
        )
    })?;
    for name in selected {
        inner.index_templates.remove(&name);
    }
    Ok(Reply::acknowledged())
}

#[cfg(test)]
mod tests {
    use super::super::indices::create_index;
    use super::super::mapping::FieldKind;
    use super::*;

    fn is_text(inner: &Inner, index: &str, field: &str) -> bool {
        inner
            .indices
            .get(index)
            .is_some_and(|i| i.mapping.kind(field) == Some(FieldKind::Text))
    }

    #[test]
    fn templates_require_patterns_and_seed_mappings() {
        let mut inner = Inner::default();
        let params = Params::default();
        assert!(put_template(&mut inner, "t", &params, b"{}").is_err());
        let body = br#"{"index_patterns":"logs-*","template":{"mappings":{"properties":{"msg":{"type":"text"}}}}}"#;
        put_template(&mut inner, "t", &params, body).expect("stored");
        let got = get_templates(&inner, Some("t")).expect("found");
        assert_eq!(
            got.body["index_templates"][0]["index_template"]["index_patterns"],
            json!(["logs-*"])
        );
        let with_settings = br#"{"index_patterns":["x*"],"template":{"settings":{"index.lifecycle.name":"p","number_of_shards":1}}}"#;
        put_template(&mut inner, "x", &params, with_settings).expect("stored");
        let got = get_templates(&inner, Some("x")).expect("found");
        let settings = &got.body["index_templates"][0]["index_template"]["template"]["settings"];
        assert_eq!(
            settings,
            &json!({"index": {"lifecycle": {"name": "p"}, "number_of_shards": "1"}})
        );
        assert_eq!(
            get_templates(&inner, Some("nope"))
                .map_err(|e| e.status)
                .err(),
            Some(404)
        );
        create_index(&mut inner, "logs-a", b"").expect("created");
        assert!(is_text(&inner, "logs-a", "msg"));
        assert!(create_index(&mut inner, "logs-a", b"").is_err());
    }

    #[test]
    fn policies_round_trip() {
        let mut inner = Inner::default();
        assert!(put_policy(&mut inner, "p", b"{}").is_err());
        put_policy(&mut inner, "p", br#"{"policy":{"phases":{}}}"#).expect("stored");
        let got = get_policies(&inner, Some("p")).expect("found");
        assert_eq!(got.body["p"]["policy"], json!({"phases": {}}));
        assert_eq!(
            get_policies(&inner, Some("q")).map_err(|e| e.status).err(),
            Some(404)
        );
    }
}
