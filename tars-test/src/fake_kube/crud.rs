//! List, get, create (POST), replace (PUT) and delete, and the checks they share with PATCH.

use serde_json::{Value, json};

use super::meta::{meta_str, metadata_mut, now_rfc3339, object_mut, set_or_remove};
use super::reply::{Reply, StatusError};
use super::router::Target;
use super::selector::Filter;
use super::state::{Inner, Resource};
use super::validate;
use crate::fake_es::reply::Params;

/// `GET` on a collection without `watch`: every matching object and the current version.
/// `limit` is ignored: everything comes in one page, without `continue`.
pub(crate) fn list(
    inner: &Inner,
    target: &Target<'_>,
    params: &Params,
) -> Result<Reply, StatusError> {
    let resource = &target.resource;
    let filter = Filter::parse(target.namespace, params)?;
    let builtin = resource.builtin();
    let items: Vec<Value> = inner
        .objects_of(&resource.plural)
        .filter(|object| filter.matches(object))
        .map(|object| {
            let mut item = object.clone();
            if builtin {
                let map = object_mut(&mut item);
                map.remove("apiVersion");
                map.remove("kind");
            }
            item
        })
        .collect();
    Ok(Reply::ok(json!({
        "kind": format!("{}List", resource.kind),
        "apiVersion": resource.api_version(),
        "metadata": { "resourceVersion": inner.revision.to_string() },
        "items": items,
    })))
}

/// `GET` on an object (or its `/status`, which answers the whole object too).
pub(crate) fn get(inner: &Inner, target: &Target<'_>, name: &str) -> Result<Reply, StatusError> {
    let resource = &target.resource;
    inner
        .stored(&resource.plural, target.object_namespace(), name)
        .map(|object| Reply::ok(object.clone()))
        .ok_or_else(|| StatusError::not_found(resource, name))
}

/// `POST` on a collection: 201 with the new object; `metadata.generateName` works; `status`
/// is dropped for types with a status subresource; the server's metadata (`uid`,
/// `creationTimestamp`, `generation`, `deletionTimestamp`) is set here whatever the body says,
/// and a body with `metadata.resourceVersion` is refused (500, as the API server does).
pub(crate) fn create(
    inner: &mut Inner,
    target: &Target<'_>,
    body: &[u8],
) -> Result<Reply, StatusError> {
    let resource = &target.resource;
    let namespace = target.object_namespace();
    let mut object = parse_object(body)?;
    check_identity(&object, target, None)?;
    check_namespace(inner, target)?;
    if meta_str(&object, "resourceVersion").is_some() {
        return Err(StatusError::version_on_create());
    }
    let name = match (meta_str(&object, "name"), meta_str(&object, "generateName")) {
        (Some(name), _) => name.to_owned(),
        (None, Some(prefix)) => format!("{prefix}{:05x}", inner.next_serial() & 0xf_ffff),
        (None, None) => {
            return Err(StatusError::invalid(
                resource,
                "",
                "metadata.name: Required value: name or generateName is required",
            ));
        }
    };
    if inner.stored(&resource.plural, namespace, &name).is_some() {
        return Err(StatusError::already_exists(resource, &name));
    }
    validate::check(resource, namespace, &name, &object)?;
    if resource.has_status {
        object_mut(&mut object).remove("status");
    }
    let meta = metadata_mut(&mut object);
    for field in [
        "managedFields",
        "resourceVersion",
        "uid",
        "creationTimestamp",
        "generation",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ] {
        meta.remove(field);
    }
    let stored = inner
        .write(resource, namespace, &name, object)
        .into_object();
    Ok(Reply::created(stored))
}

/// `PUT` on an object or its `/status`: the body's `metadata.resourceVersion` must be the
/// stored one (422 if missing, 409 if stale). On the main resource `status` is kept from the
/// stored object (types with a status subresource); on `/status` only `status` is taken.
pub(crate) fn replace(
    inner: &mut Inner,
    target: &Target<'_>,
    name: &str,
    body: &[u8],
) -> Result<Reply, StatusError> {
    let resource = &target.resource;
    let namespace = target.object_namespace();
    let body = parse_object(body)?;
    check_identity(&body, target, Some(name))?;
    let old = inner
        .stored(&resource.plural, namespace, name)
        .ok_or_else(|| StatusError::not_found(resource, name))?
        .clone();
    check_version(resource, name, &body, &old, true)?;
    let object = if target.status {
        let mut object = old;
        set_or_remove(object_mut(&mut object), "status", body.get("status"));
        object
    } else {
        let mut object = body;
        if resource.has_status {
            set_or_remove(object_mut(&mut object), "status", old.get("status"));
        }
        let fields = old.get("metadata").and_then(|m| m.get("managedFields"));
        set_or_remove(metadata_mut(&mut object), "managedFields", fields);
        object
    };
    validate::check(resource, namespace, name, &object)?;
    let stored = inner.write(resource, namespace, name, object).into_object();
    Ok(Reply::ok(stored))
}

/// `DELETE` on an object: 200 with its last state, or for a custom resource removed at once
/// the `Status` `Success` the API server answers. `preconditions` in the body are checked; an
/// object with finalizers only gets a `deletionTimestamp` and stays until they are gone; a pod
/// bound to a node (`spec.nodeName`) is deleted gracefully — `deletionTimestamp` and
/// `deletionGracePeriodSeconds` from `gracePeriodSeconds` in the body, else the pod's
/// `terminationGracePeriodSeconds`, else 30 — and stays, as no kubelet finishes it (0 deletes
/// at once). An unbound pod goes at once, its reply marked with a `deletionTimestamp`.
pub(crate) fn delete(
    inner: &mut Inner,
    target: &Target<'_>,
    name: &str,
    body: &[u8],
) -> Result<Reply, StatusError> {
    let resource = &target.resource;
    let namespace = target.object_namespace();
    let stored = inner
        .stored(&resource.plural, namespace, name)
        .ok_or_else(|| StatusError::not_found(resource, name))?;
    let options: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    for field in ["resourceVersion", "uid"] {
        let wanted = options
            .get("preconditions")
            .and_then(|p| p.get(field))
            .and_then(Value::as_str);
        if wanted.is_some_and(|wanted| Some(wanted) != meta_str(stored, field)) {
            return Err(StatusError::conflict(resource, name));
        }
    }
    let has_finalizers = stored
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|finalizers| !finalizers.is_empty());
    let pod = resource.builtin() && resource.kind == "Pod";
    let bound = pod
        && stored
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .is_some_and(|node| !node.is_empty());
    let grace = if bound {
        options
            .get("gracePeriodSeconds")
            .or_else(|| stored.pointer("/spec/terminationGracePeriodSeconds"))
            .and_then(Value::as_u64)
            .unwrap_or(30)
    } else {
        0
    };
    let terminating = stored.pointer("/metadata/deletionTimestamp").is_some();
    if has_finalizers || grace > 0 || terminating {
        return inner
            .begin_deletion(resource, namespace, name, grace)
            .map(Reply::ok)
            .ok_or_else(|| StatusError::not_found(resource, name));
    }
    let mut last = inner
        .remove(&resource.plural, namespace, name)
        .ok_or_else(|| StatusError::not_found(resource, name))?;
    if !resource.builtin() {
        return Ok(Reply::deleted(resource, name, meta_str(&last, "uid")));
    }
    if pod {
        let meta = metadata_mut(&mut last);
        meta.insert("deletionTimestamp".to_owned(), Value::String(now_rfc3339()));
        meta.insert("deletionGracePeriodSeconds".to_owned(), Value::from(0));
    }
    Ok(Reply::ok(last))
}

/// A namespaced write must go to a namespace that exists, when the type `namespaces` is
/// registered (the API server's `NamespaceLifecycle` admission); without it any namespace is
/// taken.
pub(crate) fn check_namespace(inner: &Inner, target: &Target<'_>) -> Result<(), StatusError> {
    let Some(namespace) = target.namespace.filter(|_| target.resource.namespaced) else {
        return Ok(());
    };
    let checked = inner
        .resources
        .get("namespaces")
        .is_some_and(|r| r.group.is_empty() && !r.namespaced);
    if checked && inner.stored("namespaces", "", namespace).is_none() {
        return Err(StatusError::namespace_not_found(namespace));
    }
    Ok(())
}

/// A request body that must be a JSON object.
pub(crate) fn parse_object(body: &[u8]) -> Result<Value, StatusError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) if value.is_object() => Ok(value),
        Ok(_) => Err(StatusError::bad_request(
            "the request body must be a JSON object",
        )),
        Err(error) => Err(StatusError::bad_request(format!(
            "the request body is not valid JSON: {error}"
        ))),
    }
}

/// Checks that the body's `kind`, `metadata.name` and `metadata.namespace`, where given, are
/// those of the type and the URL.
pub(crate) fn check_identity(
    object: &Value,
    target: &Target<'_>,
    name: Option<&str>,
) -> Result<(), StatusError> {
    let resource = &target.resource;
    if let Some(kind) = object
        .get("kind")
        .and_then(Value::as_str)
        .filter(|kind| *kind != resource.kind)
    {
        return Err(StatusError::bad_request(format!(
            "the kind of the object ({kind}) does not match the resource ({})",
            resource.kind
        )));
    }
    if let Some((url, given)) = name
        .zip(meta_str(object, "name"))
        .filter(|(url, given)| url != given)
    {
        return Err(StatusError::bad_request(format!(
            "the name of the object ({given}) does not match the name on the URL ({url})"
        )));
    }
    let namespace_differs = target
        .namespace
        .zip(meta_str(object, "namespace"))
        .is_some_and(|(url, given)| url != given);
    if namespace_differs {
        return Err(StatusError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the \
             request",
        ));
    }
    Ok(())
}

/// The optimistic lock: a `metadata.resourceVersion` in the body must be the stored one (409
/// otherwise); a missing one is 422 when `required` (a PUT), else fine.
pub(crate) fn check_version(
    resource: &Resource,
    name: &str,
    body: &Value,
    stored: &Value,
    required: bool,
) -> Result<(), StatusError> {
    let given = meta_str(body, "resourceVersion");
    if given.is_none() && required {
        return Err(StatusError::invalid(
            resource,
            name,
            "metadata.resourceVersion: Invalid value: 0: must be specified for an update",
        ));
    }
    if given.is_some_and(|given| Some(given) != meta_str(stored, "resourceVersion")) {
        return Err(StatusError::conflict(resource, name));
    }
    Ok(())
}
