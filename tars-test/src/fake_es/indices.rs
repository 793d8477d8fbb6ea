//! The index-level endpoints: data streams, index create/exists/get/delete, refresh and
//! get-by-id.

use serde_json::{Map, Value, json};

use super::admin::select;
use super::reply::{EsError, Params, Reply, json_body, shards};
use super::state::{Inner, validate_index_name};

/// `PUT /_data_stream/<name>`: needs a matching template with `data_stream`.
pub(crate) fn put_data_stream(inner: &mut Inner, name: &str) -> Result<Reply, EsError> {
    validate_index_name(name)?;
    if inner.indices.contains_key(name) {
        return Err(EsError::bad_request(
            "resource_already_exists_exception",
            format!("data_stream [{name}] already exists"),
        ));
    }
    let is_data_stream = inner
        .template_for(name)
        .is_some_and(|(_, body)| body.get("data_stream").is_some_and(Value::is_object));
    if !is_data_stream {
        return Err(EsError::illegal(format!(
            "no matching index template found for data stream [{name}]"
        )));
    }
    inner.ensure_index(name);
    Ok(Reply::acknowledged())
}

/// The data streams an expression selects.
fn select_data_streams(inner: &Inner, names: Option<&str>) -> Result<Vec<String>, EsError> {
    let streams: Vec<&String> = inner
        .indices
        .iter()
        .filter(|(_, index)| index.data_stream.is_some())
        .map(|(name, _)| name)
        .collect();
    select(streams.into_iter(), names).map_err(|missing| EsError::index_not_found(&missing))
}

/// `GET /_data_stream[/<names>]`.
pub(crate) fn get_data_streams(inner: &Inner, names: Option<&str>) -> Result<Reply, EsError> {
    let streams: Vec<Value> = select_data_streams(inner, names)?
        .into_iter()
        .filter_map(|name| {
            let index = inner.indices.get(&name)?;
            let stream = index.data_stream.as_ref()?;
            Some(json!({
                "name": name,
                "timestamp_field": { "name": "@timestamp" },
                "indices": [{ "index_name": stream.backing_index, "index_uuid": "fake-es" }],
                "generation": 1,
                "status": "GREEN",
                "template": stream.template,
                "hidden": false,
                "system": false
            }))
        })
        .collect();
    Ok(Reply::ok(json!({ "data_streams": streams })))
}

/// `DELETE /_data_stream/<names>`.
pub(crate) fn delete_data_streams(inner: &mut Inner, names: &str) -> Result<Reply, EsError> {
    for name in select_data_streams(inner, Some(names))? {
        inner.indices.remove(&name);
    }
    Ok(Reply::acknowledged())
}

/// `PUT /<index>` with optional `mappings` (`settings` and `aliases` are accepted and ignored).
pub(crate) fn create_index(inner: &mut Inner, name: &str, body: &[u8]) -> Result<Reply, EsError> {
    validate_index_name(name)?;
    if inner.indices.contains_key(name) {
        return Err(EsError::bad_request(
            "resource_already_exists_exception",
            format!("index [{name}/fake-es-uuid] already exists"),
        )
        .with("index", name));
    }
    if let Some((template, template_body)) = inner.template_for(name)
        && template_body
            .get("data_stream")
            .is_some_and(Value::is_object)
    {
        return Err(EsError::illegal(format!(
            "cannot create index with name [{name}], because it matches with template \
                 [{template}] that creates data streams only, use create data stream api instead"
        )));
    }
    let mappings = match json_body(body)? {
        None => None,
        Some(Value::Object(object)) => object.get("mappings").cloned(),
        Some(_) => {
            return Err(EsError::parsing(
                "the create index body must be a JSON object",
            ));
        }
    };
    let index = inner.ensure_index(name);
    if let Some(mappings) = mappings {
        index.mapping.declare(&mappings);
    }
    Ok(Reply::ok(json!({
        "acknowledged": true,
        "shards_acknowledged": true,
        "index": name
    })))
}

/// `HEAD /<index>`: 200 or 404, no body.
pub(crate) fn index_exists(inner: &Inner, expr: &str) -> Reply {
    let exists = inner
        .resolve(expr, false)
        .is_ok_and(|names| !names.is_empty());
    Reply::new(if exists { 200 } else { 404 }, json!({}))
}

/// `GET /<index>`: aliases, top-level mappings and settings per index.
pub(crate) fn get_index(inner: &Inner, expr: &str, params: &Params) -> Result<Reply, EsError> {
    let mut out = Map::new();
    for name in inner.resolve(expr, params.flag("ignore_unavailable"))? {
        let Some(index) = inner.indices.get(&name) else {
            continue;
        };
        let mut entry = json!({
            "aliases": {},
            "mappings": index.mapping.to_json(),
            "settings": { "index": {
                "number_of_shards": "1",
                "number_of_replicas": "1",
                "provided_name": name
            } }
        });
        if index.data_stream.is_some() {
            entry["data_stream"] = Value::String(name.clone());
        }
        out.insert(index.display_name(&name).to_owned(), entry);
    }
    Ok(Reply::ok(Value::Object(out)))
}

/// `DELETE /<index>`: comma lists and globs; data streams are removed too.
pub(crate) fn delete_indices(
    inner: &mut Inner,
    expr: &str,
    params: &Params,
) -> Result<Reply, EsError> {
    for name in inner.resolve(expr, params.flag("ignore_unavailable"))? {
        inner.indices.remove(&name);
    }
    Ok(Reply::acknowledged())
}

/// `POST /<index>/_refresh`: writes are visible at once, so this only checks the names.
pub(crate) fn refresh(
    inner: &Inner,
    expr: Option<&str>,
    params: &Params,
) -> Result<Reply, EsError> {
    let names = inner.resolve(expr.unwrap_or("_all"), params.flag("ignore_unavailable"))?;
    let mut counts = shards(names.len());
    if let Value::Object(map) = &mut counts {
        map.remove("skipped");
    }
    Ok(Reply::ok(json!({ "_shards": counts })))
}

/// `GET /<index>/_doc/<id>`.
pub(crate) fn get_doc(inner: &Inner, name: &str, id: &str) -> Result<Reply, EsError> {
    let index = inner
        .indices
        .get(name)
        .ok_or_else(|| EsError::index_not_found(name))?;
    let shown = index.display_name(name);
    Ok(match index.docs.get(id) {
        Some(doc) => Reply::ok(json!({
            "_index": shown,
            "_id": id,
            "_version": doc.version,
            "_seq_no": doc.seq_no,
            "_primary_term": 1,
            "found": true,
            "_source": doc.source
        })),
        None => Reply::new(404, json!({ "_index": shown, "_id": id, "found": false })),
    })
}
