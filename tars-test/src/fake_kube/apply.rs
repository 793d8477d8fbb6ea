//! `PATCH`: server-side apply, JSON merge patch (RFC 7386), and strategic merge patch (a JSON
//! merge patch whose lists in [`MERGE_KEYS`] merge element by element on their key, as the
//! API server does for those core fields; other lists are replaced).

use serde_json::{Value, json};

use super::crud::{check_identity, check_namespace, check_version, parse_object};
use super::meta::{metadata_mut, now_rfc3339, object_mut};
use super::reply::{Reply, StatusError};
use super::router::{Request, Target};
use super::state::Inner;
use super::validate;
use crate::fake_es::reply::Params;

/// The content type kube-rs sends `Patch::Apply` with (the body is JSON all the same).
const APPLY: &str = "application/apply-patch+yaml";
/// `Patch::Merge`.
const MERGE: &str = "application/merge-patch+json";
/// `Patch::Strategic`.
const STRATEGIC: &str = "application/strategic-merge-patch+json";

/// Lists a strategic merge patch merges by key instead of replacing: `(field, key)`. The
/// API server's patch strategy for these core fields (pod conditions by `type`, containers,
/// their statuses, env and volumes by `name`).
const MERGE_KEYS: &[(&str, &str)] = &[
    ("conditions", "type"),
    ("containers", "name"),
    ("initContainers", "name"),
    ("containerStatuses", "name"),
    ("env", "name"),
    ("volumes", "name"),
    ("volumeMounts", "name"),
];

/// Metadata a patch cannot set: the server writes it (`managedFields` through apply only).
const SERVER_METADATA: &[&str] = &[
    "resourceVersion",
    "managedFields",
    "uid",
    "creationTimestamp",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
];

/// `PATCH` on an object or its `/status`, by content type.
pub(crate) fn patch(
    inner: &mut Inner,
    target: &Target<'_>,
    name: &str,
    request: &Request<'_>,
) -> Result<Reply, StatusError> {
    match request.content_type {
        APPLY => apply(inner, target, name, request.params, request.body),
        MERGE => merge(inner, target, name, request.body, false),
        STRATEGIC if !target.resource.builtin() => Err(StatusError::strategic_on_custom_resource()),
        STRATEGIC => merge(inner, target, name, request.body, true),
        other => Err(StatusError::unsupported_media_type(other)),
    }
}

/// Server-side apply: `fieldManager` is required; the object is created if missing (201, not
/// through `/status`), else the applied fields are merged into it (objects key by key, lists
/// and scalars replaced, `null` removes). `status` is taken only through `/status`, which
/// takes nothing else. The manager is recorded in `metadata.managedFields`. Field ownership
/// is not tracked: no conflicts (so `force` changes nothing), and a field a manager stops
/// applying is kept.
fn apply(
    inner: &mut Inner,
    target: &Target<'_>,
    name: &str,
    params: &Params,
    body: &[u8],
) -> Result<Reply, StatusError> {
    let resource = &target.resource;
    let Some(manager) = params.get("fieldManager").filter(|m| !m.is_empty()) else {
        return Err(StatusError::bad_request(
            "fieldManager is required for apply requests",
        ));
    };
    let patch = parse_object(body)?;
    let typed = ["apiVersion", "kind"].into_iter().all(|key| {
        patch
            .get(key)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
    });
    if !typed {
        return Err(StatusError::bad_request(
            "invalid object type: apiVersion and kind must be set in an applied object",
        ));
    }
    check_identity(&patch, target, Some(name))?;
    let namespace = target.object_namespace();
    let stored = inner.stored(&resource.plural, namespace, name).cloned();
    if let Some(old) = &stored {
        check_version(resource, name, &patch, old, false)?;
    }
    let patch = patchable(patch, target);
    let mut object = match stored {
        Some(old) => old,
        None if target.status => return Err(StatusError::not_found(resource, name)),
        None => {
            check_namespace(inner, target)?;
            json!({ "metadata": { "name": name } })
        }
    };
    merge_patch(&mut object, &patch);
    record_manager(&mut object, manager, &resource.api_version(), target.status);
    validate::check(resource, namespace, name, &object)?;
    let written = inner.write(resource, namespace, name, object);
    let created = written.is_created();
    let object = written.into_object();
    Ok(if created {
        Reply::created(object)
    } else {
        Reply::ok(object)
    })
}

/// JSON merge patch, or strategic merge patch (lists in [`MERGE_KEYS`] merged by key): the
/// object must exist; a `metadata.resourceVersion` in the patch is a precondition.
fn merge(
    inner: &mut Inner,
    target: &Target<'_>,
    name: &str,
    body: &[u8],
    strategic: bool,
) -> Result<Reply, StatusError> {
    let resource = &target.resource;
    let namespace = target.object_namespace();
    let patch = parse_object(body)?;
    let mut object = inner
        .stored(&resource.plural, namespace, name)
        .ok_or_else(|| StatusError::not_found(resource, name))?
        .clone();
    check_version(resource, name, &patch, &object, false)?;
    let patch = patchable(patch, target);
    if strategic {
        strategic_merge(&mut object, &patch);
    } else {
        merge_patch(&mut object, &patch);
    }
    validate::check(resource, namespace, name, &object)?;
    let stored = inner.write(resource, namespace, name, object).into_object();
    Ok(Reply::ok(stored))
}

/// The part of a patch that may change the object: on `/status` only `status`; on the main
/// resource everything but `status` (for types with a status subresource) and the server's
/// metadata.
fn patchable(mut patch: Value, target: &Target<'_>) -> Value {
    if target.status {
        return match patch.get_mut("status").map(Value::take) {
            Some(status) => json!({ "status": status }),
            None => json!({}),
        };
    }
    let map = object_mut(&mut patch);
    if target.resource.has_status {
        map.remove("status");
    }
    if let Some(Value::Object(meta)) = map.get_mut("metadata") {
        for field in SERVER_METADATA {
            meta.remove(*field);
        }
    }
    patch
}

/// RFC 7386 JSON merge patch: objects merge key by key, `null` removes a key, anything else
/// replaces.
pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        target.clone_from(patch);
        return;
    };
    let target = object_mut(target);
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// A strategic merge patch: as [`merge_patch`], except that a list under a field named in
/// [`MERGE_KEYS`] merges its elements by key (a patch element updates the element with the same
/// key, or is appended).
fn strategic_merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        target.clone_from(patch);
        return;
    };
    let target = object_mut(target);
    for (key, value) in patch {
        let merge_key = MERGE_KEYS
            .iter()
            .find(|(field, _)| field == key)
            .map(|(_, k)| *k);
        match (value, merge_key, target.get_mut(key)) {
            (Value::Null, _, _) => {
                target.remove(key);
            }
            (Value::Array(items), Some(merge_key), Some(Value::Array(existing))) => {
                for item in items {
                    let id = item.get(merge_key);
                    match existing
                        .iter_mut()
                        .find(|e| id.is_some() && e.get(merge_key) == id)
                    {
                        Some(element) => strategic_merge(element, item),
                        None => existing.push(item.clone()),
                    }
                }
            }
            _ => strategic_merge(target.entry(key.clone()).or_insert(Value::Null), value),
        }
    }
}

/// Adds an `Apply` entry for `manager` (and the subresource) to `metadata.managedFields`
/// unless there is one already.
fn record_manager(object: &mut Value, manager: &str, api_version: &str, status: bool) {
    let subresource = status.then_some("status");
    let entries = metadata_mut(object)
        .entry("managedFields")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !entries.is_array() {
        *entries = Value::Array(Vec::new());
    }
    let Value::Array(entries) = entries else {
        return;
    };
    let field =
        |entry: &Value, key: &str| entry.get(key).and_then(Value::as_str).map(str::to_owned);
    let known = entries.iter().any(|entry| {
        field(entry, "manager").as_deref() == Some(manager)
            && field(entry, "operation").as_deref() == Some("Apply")
            && field(entry, "subresource").as_deref() == subresource
    });
    if known {
        return;
    }
    let mut entry = json!({
        "manager": manager,
        "operation": "Apply",
        "apiVersion": api_version,
        "time": now_rfc3339(),
        "fieldsType": "FieldsV1",
        "fieldsV1": {},
    });
    if let Some(subresource) = subresource {
        entry["subresource"] = Value::from(subresource);
    }
    entries.push(entry);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategic_merge_merges_conditions_by_type() {
        let mut pod = json!({"status": {"conditions": [
            {"type": "Ready", "status": "True"},
            {"type": "tars.io/active", "status": "False", "reason": "a"}
        ], "phase": "Running"}});
        strategic_merge(
            &mut pod,
            &json!({"status": {"conditions": [
                {"type": "tars.io/active", "status": "True", "reason": "b"},
                {"type": "Other", "status": "True"}
            ]}}),
        );
        assert_eq!(
            pod,
            json!({"status": {"conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "tars.io/active", "status": "True", "reason": "b"},
                {"type": "Other", "status": "True"}
            ], "phase": "Running"}})
        );
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]});
        merge_patch(
            &mut target,
            &json!({"a": "z", "c": {"f": null, "h": 1}, "l": [3]}),
        );
        assert_eq!(target, json!({"a": "z", "c": {"d": "e", "h": 1}, "l": [3]}));
        let mut scalar = json!("x");
        merge_patch(&mut scalar, &json!({"a": {"b": null, "c": 1}}));
        assert_eq!(scalar, json!({"a": {"c": 1}}));
    }

    #[test]
    fn managers_are_recorded_once_per_subresource() {
        let mut object = json!({"metadata": {"name": "a"}});
        record_manager(&mut object, "m", "v1", false);
        record_manager(&mut object, "m", "v1", false);
        record_manager(&mut object, "m", "v1", true);
        let entries = object["metadata"]["managedFields"]
            .as_array()
            .expect("managedFields is a list");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1]["subresource"], "status");
        assert_eq!(entries[0]["operation"], "Apply");
    }
}
