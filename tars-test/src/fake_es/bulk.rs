//! `_bulk`: per-item semantics in order (`create`, `index`, `delete`; data streams; dynamic
//! mapping checks) and the injected [`Fault`]s.

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::ndjson::{Action, Op, parse};
use super::reply::{EsError, Outcome, Reply};
use super::state::{Doc, Fault, Inner, validate_index_name};

/// The `reason` Elasticsearch gives a non-`create` write to a data stream.
const DATA_STREAM_CREATE_ONLY: &str =
    "only write ops with an op_type of create are allowed in data streams";

/// Elasticsearch's limit on `_id`.
const MAX_ID_BYTES: usize = 512;

/// Handles one `_bulk` request against the locked state.
///
/// # Errors
/// A whole-request error: an injected status, or a malformed body (400).
pub(crate) fn bulk(
    inner: &mut Inner,
    path_index: Option<&str>,
    body: &[u8],
) -> Result<Outcome, EsError> {
    let started = Instant::now();
    inner.bulk_requests += 1;
    let fault = inner.take_fault();
    match fault {
        Some(Fault::Reset) => return Ok(Outcome::Reset),
        Some(Fault::Status(status)) => return Err(fault_error(status)),
        _ => {}
    }
    let actions = parse(body)?;
    let failing = match fault {
        Some(Fault::ItemStatus { status, every }) => Some((status, every.max(1))),
        _ => None,
    };
    let mut errors = false;
    let mut items = Vec::with_capacity(actions.len());
    for (at, action) in actions.into_iter().enumerate() {
        let injected = failing
            .filter(|&(_, every)| (at + 1) % every == 0)
            .map(|(status, _)| fault_error(status));
        let op = action.op;
        let mut item = Map::new();
        if let Err(error) = apply(inner, path_index, action, injected, &mut item) {
            errors = true;
            put(&mut item, "status", error.status);
            put(&mut item, "error", error.cause());
        }
        let mut wrapper = Map::new();
        wrapper.insert(op.name().to_owned(), Value::Object(item));
        items.push(Value::Object(wrapper));
    }
    if let Some(Fault::StoreThenStatus(status)) = fault {
        return Err(fault_error(status));
    }
    let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(Outcome::Reply(Reply::ok(json!({
        "took": took,
        "errors": errors,
        "items": items,
    }))))
}

/// The error of an injected status: the type a real cluster uses for it.
fn fault_error(status: u16) -> EsError {
    let (kind, reason) = match status {
        429 => (
            "es_rejected_execution_exception",
            "rejected execution of coordinating operation [fake-es injected fault]",
        ),
        400 => (
            "mapper_parsing_exception",
            "failed to parse [fake-es injected fault]",
        ),
        404 => (
            "index_not_found_exception",
            "no such index [fake-es injected fault]",
        ),
        409 => (
            "version_conflict_engine_exception",
            "version conflict [fake-es injected fault]",
        ),
        502..=504 => (
            "unavailable_shards_exception",
            "primary shard is not active [fake-es injected fault]",
        ),
        _ => ("exception", "fake-es injected fault"),
    };
    EsError::new(status, kind, reason)
}

fn put(item: &mut Map<String, Value>, key: &str, value: impl Into<Value>) {
    item.insert(key.to_owned(), value.into());
}

/// Applies one item, filling `item` with `_index`, `_id` and, on success, the result fields.
fn apply(
    inner: &mut Inner,
    path_index: Option<&str>,
    action: Action,
    injected: Option<EsError>,
    item: &mut Map<String, Value>,
) -> Result<(), EsError> {
    let Action {
        op,
        index,
        id,
        source,
    } = action;
    let name = index.or_else(|| path_index.map(str::to_owned));
    if let Some(name) = &name {
        put(item, "_index", name.as_str());
    }
    if let Some(id) = &id {
        put(item, "_id", id.as_str());
    }
    let Some(name) = name else {
        return Err(EsError::validation("index is missing"));
    };
    validate_index_name(&name)?;
    if let Some(id) = &id {
        if id.is_empty() {
            return Err(EsError::validation(
                "if _id is specified it must not be empty",
            ));
        }
        if id.len() > MAX_ID_BYTES {
            return Err(EsError::validation(&format!(
                "id [{id}] is too long, must be no longer than {MAX_ID_BYTES} bytes but was: {}",
                id.len()
            )));
        }
    }
    if let Some(error) = injected {
        return Err(error);
    }
    match op {
        Op::Update => Err(EsError::illegal(
            "fake-es does not support the [update] bulk action",
        )),
        Op::Delete => delete(inner, &name, id.as_deref(), item),
        Op::Index | Op::Create => write(inner, &name, op, id, source, item),
    }
}

fn success(item: &mut Map<String, Value>, result: &str, status: u16, version: u64, seq_no: u64) {
    put(item, "result", result);
    put(item, "status", status);
    put(item, "_version", version);
    put(item, "_seq_no", seq_no);
    put(item, "_primary_term", 1);
    put(
        item,
        "_shards",
        json!({ "total": 2, "successful": 1, "failed": 0 }),
    );
}

fn delete(
    inner: &mut Inner,
    name: &str,
    id: Option<&str>,
    item: &mut Map<String, Value>,
) -> Result<(), EsError> {
    let Some(id) = id else {
        return Err(EsError::validation("id is missing"));
    };
    let Some(index) = inner.indices.get_mut(name) else {
        return Err(EsError::index_not_found(name));
    };
    put(item, "_index", index.display_name(name));
    if index.data_stream.is_some() {
        return Err(EsError::illegal(DATA_STREAM_CREATE_ONLY));
    }
    let seq_no = index.next_seq_no();
    match index.docs.remove(id) {
        Some(doc) => success(item, "deleted", 200, doc.version + 1, seq_no),
        None => success(item, "not_found", 404, 1, seq_no),
    }
    Ok(())
}

fn write(
    inner: &mut Inner,
    name: &str,
    op: Op,
    id: Option<String>,
    source: Result<Map<String, Value>, String>,
    item: &mut Map<String, Value>,
) -> Result<(), EsError> {
    let id = match id {
        Some(id) => id,
        None => inner.next_auto_id(),
    };
    put(item, "_id", id.as_str());
    let index = inner.ensure_index(name);
    put(item, "_index", index.display_name(name));
    let source =
        source.map_err(|reason| EsError::bad_request("mapper_parsing_exception", reason))?;
    if index.data_stream.is_some() {
        if op != Op::Create {
            return Err(EsError::illegal(DATA_STREAM_CREATE_ONLY));
        }
        if source.get("@timestamp").is_none_or(Value::is_null) {
            return Err(EsError::bad_request(
                "mapper_parsing_exception",
                "data stream timestamp field [@timestamp] is missing",
            ));
        }
    }
    index.mapping.check_and_update(&id, &source)?;
    let existing = index.docs.get(&id).map(|doc| doc.version);
    if let (Op::Create, Some(current)) = (op, existing) {
        return Err(EsError::new(
            409,
            "version_conflict_engine_exception",
            format!(
                "[{id}]: version conflict, document already exists (current version [{current}])"
            ),
        )
        .with("index", index.display_name(name))
        .with("shard", "0"));
    }
    let version = existing.map_or(1, |v| v + 1);
    let seq_no = index.next_seq_no();
    index.docs.insert(
        id.clone(),
        Doc {
            source: Value::Object(source),
            version,
            seq_no,
        },
    );
    *inner.write_counts.entry((name.to_owned(), id)).or_insert(0) += 1;
    let (result, status) = if existing.is_some() {
        ("updated", 200)
    } else {
        ("created", 201)
    };
    success(item, result, status, version, seq_no);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(inner: &mut Inner, body: &str) -> Value {
        match bulk(inner, None, body.as_bytes()) {
            Ok(Outcome::Reply(reply)) => reply.body,
            Ok(Outcome::Reset) => Value::String("reset".into()),
            Err(error) => error.into_reply().body,
        }
    }

    #[test]
    fn create_then_replay_conflicts_and_index_overwrites() {
        let mut inner = Inner::default();
        let body = "{\"create\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"n\":1}\n";
        assert_eq!(run(&mut inner, body)["items"][0]["create"]["status"], 201);
        let replay = run(&mut inner, body);
        assert_eq!(replay["errors"], true);
        assert_eq!(replay["items"][0]["create"]["status"], 409);
        let overwrite = run(
            &mut inner,
            "{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"n\":2}\n",
        );
        assert_eq!(overwrite["items"][0]["index"]["result"], "updated");
        assert_eq!(overwrite["items"][0]["index"]["_version"], 2);
        assert_eq!(inner.write_counts[&("a".to_owned(), "1".to_owned())], 2);
    }

    #[test]
    fn malformed_bodies_fail_the_whole_request() {
        let mut inner = Inner::default();
        assert_eq!(run(&mut inner, "")["status"], 400);
        assert_eq!(run(&mut inner, "{\"index\":{}}\n{}")["status"], 400);
        assert_eq!(run(&mut inner, "not json\n{}\n")["status"], 400);
        assert_eq!(run(&mut inner, "{\"upsert\":{}}\n{}\n")["status"], 400);
        assert_eq!(
            run(&mut inner, "{\"index\":{\"_type\":\"doc\"}}\n{}\n")["status"],
            400
        );
        assert_eq!(
            run(&mut inner, "{\"index\":{\"_index\":\"a\"}}\n")["status"],
            400
        );
        assert_eq!(inner.bulk_requests, 6);
        assert_eq!(inner.indices.len(), 0);
    }

    #[test]
    fn item_errors_do_not_stop_the_others() {
        let mut inner = Inner::default();
        let body = "{\"index\":{\"_id\":\"1\"}}\n{}\n\
                    {\"index\":{\"_index\":\"a\",\"_id\":\"2\"}}\n[1]\n\
                    {\"index\":{\"_index\":\"B\"}}\n{}\n\
                    {\"index\":{\"_index\":\"a\"}}\n{\"x\":1}\n";
        let out = run(&mut inner, body);
        assert_eq!(out["errors"], true);
        assert_eq!(
            out["items"][0]["index"]["error"]["type"],
            "action_request_validation_exception"
        );
        assert_eq!(
            out["items"][1]["index"]["error"]["type"],
            "mapper_parsing_exception"
        );
        assert_eq!(
            out["items"][2]["index"]["error"]["type"],
            "invalid_index_name_exception"
        );
        assert_eq!(out["items"][3]["index"]["status"], 201);
        assert!(out["items"][3]["index"]["_id"].is_string());
    }

    #[test]
    fn item_status_fault_fails_every_nth_item() {
        let state = super::super::state::FakeEsState::new();
        state.push_fault(Fault::ItemStatus {
            status: 429,
            every: 2,
        });
        let body = "{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{}\n\
                    {\"index\":{\"_index\":\"a\",\"_id\":\"2\"}}\n{}\n\
                    {\"index\":{\"_index\":\"a\",\"_id\":\"3\"}}\n{}\n";
        let out = run(&mut state.lock(), body);
        assert_eq!(out["errors"], true);
        assert_eq!(out["items"][0]["index"]["status"], 201);
        assert_eq!(out["items"][1]["index"]["status"], 429);
        assert_eq!(
            out["items"][1]["index"]["error"]["type"],
            "es_rejected_execution_exception"
        );
        assert_eq!(out["items"][2]["index"]["status"], 201);
        assert_eq!(state.doc_count(), 2);
    }
}
