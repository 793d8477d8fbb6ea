//! Discovery: `/version`, `/api`, `/apis`, `/apis/<group>` and the resource lists of
//! `/api/v1` and `/apis/<group>/<version>`, built from the registered types.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::reply::{Reply, StatusError};
use super::state::{Inner, Resource};

/// Verbs served on every type's main resource.
const VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];
/// Verbs served on `/status`.
const STATUS_VERBS: &[&str] = &["get", "patch", "update"];

/// `GET /version`: a Kubernetes 1.31 server (every field of `version.Info`).
pub(crate) fn version() -> Reply {
    Reply::ok(json!({
        "major": "1",
        "minor": "31",
        "gitVersion": "v1.31.0",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-08-13T00:00:00Z",
        "goVersion": "go1.22.5",
        "compiler": "gc",
        "platform": "linux/amd64",
    }))
}

/// `GET /api`: the core group's versions.
pub(crate) fn core_versions(host: &str) -> Reply {
    Reply::ok(json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": host }],
    }))
}

/// `GET /apis`: every registered group but the core one.
pub(crate) fn groups(inner: &Inner) -> Reply {
    let groups: Vec<Value> = versions_by_group(inner)
        .iter()
        .map(|(group, versions)| group_json(group, versions))
        .collect();
    Reply::ok(json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups }))
}

/// `GET /apis/<group>`.
pub(crate) fn group(inner: &Inner, name: &str) -> Result<Reply, StatusError> {
    let by_group = versions_by_group(inner);
    let versions = by_group.get(name).ok_or_else(StatusError::no_route)?;
    let mut body = group_json(name, versions);
    body["kind"] = Value::from("APIGroup");
    body["apiVersion"] = Value::from("v1");
    Ok(Reply::ok(body))
}

/// `GET /api/v1` or `/apis/<group>/<version>`: the types served there, each with its
/// `/status` subresource if it has one. 404 for a group version with no types (the core
/// `v1` is always served).
pub(crate) fn resources(inner: &Inner, group: &str, version: &str) -> Result<Reply, StatusError> {
    let served: Vec<&Resource> = inner
        .resources
        .values()
        .filter(|resource| resource.group == group && resource.version == version)
        .collect();
    if served.is_empty() && !group.is_empty() {
        return Err(StatusError::no_route());
    }
    let mut list = Vec::new();
    for resource in served {
        list.push(json!({
            "name": resource.plural,
            "singularName": resource.kind.to_ascii_lowercase(),
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": VERBS,
        }));
        if resource.has_status {
            list.push(json!({
                "name": format!("{}/status", resource.plural),
                "singularName": "",
                "namespaced": resource.namespaced,
                "kind": resource.kind,
                "verbs": STATUS_VERBS,
            }));
        }
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Ok(Reply::ok(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": list,
    })))
}

/// The versions of each registered group but the core one.
fn versions_by_group(inner: &Inner) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut groups: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for resource in inner.resources.values().filter(|r| !r.group.is_empty()) {
        groups
            .entry(resource.group.as_str())
            .or_default()
            .insert(resource.version.as_str());
    }
    groups
}

/// An `APIGroup` body without `kind` and `apiVersion`; the preferred version is the last in
/// string order.
fn group_json(name: &str, versions: &BTreeSet<&str>) -> Value {
    let entries: Vec<Value> = versions
        .iter()
        .map(|version| json!({ "groupVersion": format!("{name}/{version}"), "version": version }))
        .collect();
    let preferred = versions
        .last()
        .map(|version| json!({ "groupVersion": format!("{name}/{version}"), "version": version }));
    json!({ "name": name, "versions": entries, "preferredVersion": preferred })
}
