//! Routing: path to resource type, namespace, name and subresource; method to handler; and
//! the lock around the handler.

use super::apply;
use super::crud;
use super::discovery;
use super::reply::{Outcome, StatusError};
use super::state::{FakeKubeState, Inner, Resource};
use super::watch;
use crate::fake_es::reply::{Params, percent_decode};

/// One request, as the router sees it.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, ...
    pub(crate) method: &'a str,
    /// The path without the query string.
    pub(crate) path: &'a str,
    /// Path and query as sent, for [`FakeKubeState::requests`].
    pub(crate) target: &'a str,
    pub(crate) params: &'a Params,
    /// The media type of the body, lowercase, without parameters.
    pub(crate) content_type: &'a str,
    /// The `Host` header, for discovery.
    pub(crate) host: &'a str,
    pub(crate) body: &'a [u8],
}

/// What a resource path names.
#[derive(Debug)]
pub(crate) struct Target<'a> {
    pub(crate) resource: Resource,
    /// The namespace in the path; `None` for all namespaces or a cluster-scoped type.
    pub(crate) namespace: Option<&'a str>,
    /// The object, if the path names one.
    pub(crate) name: Option<&'a str>,
    /// Whether the path is the object's `/status`.
    pub(crate) status: bool,
}

impl Target<'_> {
    /// The namespace objects are stored under: the path's, `""` for cluster-scoped types.
    pub(crate) fn object_namespace(&self) -> &str {
        self.namespace.unwrap_or("")
    }
}

/// Answers one request.
pub(crate) fn route(state: &FakeKubeState, request: &Request<'_>) -> Outcome {
    let segments: Vec<String> = request
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode(s, false))
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let mut inner = state.lock();
    inner
        .requests
        .push(format!("{} {}", request.method, request.target));
    match dispatch(&mut inner, request, &segments) {
        Ok(outcome) => outcome,
        Err(error) => Outcome::Reply(error.into_reply()),
    }
}

fn dispatch(
    inner: &mut Inner,
    request: &Request<'_>,
    segments: &[&str],
) -> Result<Outcome, StatusError> {
    let read = request.method == "GET";
    match segments {
        ["version"] if read => Ok(discovery::version().into()),
        ["api"] if read => Ok(discovery::core_versions(request.host).into()),
        ["apis"] if read => Ok(discovery::groups(inner).into()),
        ["api", "v1"] if read => discovery::resources(inner, "", "v1").map(Outcome::from),
        ["apis", group] if read => discovery::group(inner, group).map(Outcome::from),
        ["apis", group, version] if read => {
            discovery::resources(inner, group, version).map(Outcome::from)
        }
        ["version" | "api" | "apis"] | ["api", "v1"] | ["apis", _] | ["apis", _, _] => {
            Err(StatusError::method_not_allowed())
        }
        ["api", "v1", tail @ ..] => resource(inner, request, "", "v1", tail),
        ["apis", group, version, tail @ ..] => resource(inner, request, group, version, tail),
        _ => Err(StatusError::no_route()),
    }
}

/// A request under `/api/v1` or `/apis/<group>/<version>`.
fn resource(
    inner: &mut Inner,
    request: &Request<'_>,
    group: &str,
    version: &str,
    tail: &[&str],
) -> Result<Outcome, StatusError> {
    let target = parse_target(inner, group, version, tail)?;
    let Some(name) = target.name else {
        return collection(inner, request, &target);
    };
    let reply = match request.method {
        "GET" => crud::get(inner, &target, name),
        "PUT" => crud::replace(inner, &target, name, request.body),
        "PATCH" => apply::patch(inner, &target, name, request),
        "DELETE" if !target.status => crud::delete(inner, &target, name, request.body),
        _ => Err(StatusError::method_not_allowed()),
    };
    reply.map(Outcome::from)
}

/// A request on a collection: list, watch or create.
fn collection(
    inner: &mut Inner,
    request: &Request<'_>,
    target: &Target<'_>,
) -> Result<Outcome, StatusError> {
    let params = request.params;
    match request.method {
        "GET" if params.flag("watch") => {
            watch::start(inner, &target.resource, target.namespace, params).map(Outcome::Watch)
        }
        "GET" => crud::list(inner, target, params).map(Outcome::from),
        "POST" if target.namespace.is_some() || !target.resource.namespaced => {
            crud::create(inner, target, request.body).map(Outcome::from)
        }
        _ => Err(StatusError::method_not_allowed()),
    }
}

/// `namespaces/<ns>/<plural>[/<name>[/status]]` (namespaced types) or
/// `<plural>[/<name>[/status]]` (all namespaces, or a cluster-scoped type).
fn parse_target<'a>(
    inner: &Inner,
    group: &str,
    version: &str,
    tail: &[&'a str],
) -> Result<Target<'a>, StatusError> {
    let (namespace, rest) = match tail {
        ["namespaces", namespace, plural, ..]
            if find(inner, group, version, plural).is_some_and(|r| r.namespaced) =>
        {
            (Some(*namespace), &tail[2..])
        }
        _ => (None, tail),
    };
    let (plural, name, subresource) = match rest {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some(*name), None),
        [plural, name, subresource] => (*plural, Some(*name), Some(*subresource)),
        _ => return Err(StatusError::no_route()),
    };
    let resource = find(inner, group, version, plural).ok_or_else(StatusError::no_route)?;
    let status = match subresource {
        None => false,
        Some("status") if resource.has_status => true,
        Some(_) => return Err(StatusError::no_route()),
    };
    if name.is_some() && resource.namespaced && namespace.is_none() {
        return Err(StatusError::no_route());
    }
    Ok(Target {
        resource: resource.clone(),
        namespace,
        name,
        status,
    })
}

/// The registered type with this plural, if it is in this group and version.
fn find<'i>(inner: &'i Inner, group: &str, version: &str, plural: &str) -> Option<&'i Resource> {
    inner
        .resources
        .get(plural)
        .filter(|resource| resource.group == group && resource.version == version)
}
