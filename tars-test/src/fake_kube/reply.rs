//! Replies: JSON bodies and the `Status` objects the API server answers failures with.

use serde_json::{Value, json};

use super::state::Resource;
use super::watch::WatchBody;

/// What the router answers a request with.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Send this JSON reply.
    Reply(Reply),
    /// Stream watch events.
    Watch(WatchBody),
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Self {
        Self::Reply(reply)
    }
}

/// A JSON reply: HTTP status and body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
}

impl Reply {
    /// A `200 OK` reply.
    pub(crate) fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }

    /// A `201 Created` reply.
    /// `200` with the `Status` the API server answers the immediate deletion of a custom
    /// resource with (built-in types answer the object).
    pub(crate) fn deleted(resource: &Resource, name: &str, uid: Option<&str>) -> Self {
        let mut details = object_details(resource, name);
        if let Some(uid) = uid {
            details["uid"] = Value::from(uid);
        }
        Self::ok(json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": details,
        }))
    }

    pub(crate) fn created(body: Value) -> Self {
        Self { status: 201, body }
    }
}

/// A failed request: a `Status` object with `"status": "Failure"`, its `reason` and `code`.
#[derive(Debug, Clone)]
pub(crate) struct StatusError {
    pub(crate) code: u16,
    /// Boxed so that `Result<_, StatusError>` stays small.
    detail: Box<Detail>,
}

#[derive(Debug, Clone)]
struct Detail {
    reason: &'static str,
    message: String,
    details: Value,
}

impl StatusError {
    /// A failure with this HTTP code, `reason` and `message`.
    pub(crate) fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            detail: Box::new(Detail {
                reason,
                message: message.into(),
                details: Value::Null,
            }),
        }
    }

    /// Sets the `details` object.
    #[must_use]
    fn with_details(mut self, details: Value) -> Self {
        self.detail.details = details;
        self
    }

    /// `404 NotFound` for a missing object: `tendpoints.k8s.tars.io "x" not found`.
    pub(crate) fn not_found(resource: &Resource, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", resource.qualified()),
        )
        .with_details(object_details(resource, name))
    }

    /// `409 AlreadyExists` for a create of an existing name.
    pub(crate) fn already_exists(resource: &Resource, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", resource.qualified()),
        )
        .with_details(object_details(resource, name))
    }

    /// `409 Conflict` for a write whose `resourceVersion` precondition failed.
    pub(crate) fn conflict(resource: &Resource, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                resource.qualified()
            ),
        )
        .with_details(object_details(resource, name))
    }

    /// `422 Invalid` for an object that fails validation (`field: problem`).
    pub(crate) fn invalid(resource: &Resource, name: &str, problem: &str) -> Self {
        let kind = if resource.group.is_empty() {
            resource.kind.clone()
        } else {
            format!("{}.{}", resource.kind, resource.group)
        };
        Self::new(
            422,
            "Invalid",
            format!("{kind} \"{name}\" is invalid: {problem}"),
        )
        .with_details(json!({ "name": name, "group": resource.group, "kind": resource.kind }))
    }

    /// `400 BadRequest`.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// `404 NotFound` for a path the server does not serve.
    pub(crate) fn no_route() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    /// `405 MethodNotAllowed`.
    pub(crate) fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .with_details(json!({}))
    }

    /// `415 UnsupportedMediaType` for a PATCH body type the fake does not take.
    /// A strategic merge patch on a custom resource (the API server's message).
    pub(crate) fn strategic_on_custom_resource() -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: \
             application/json-patch+json, application/merge-patch+json, \
             application/apply-patch+yaml",
        )
    }

    /// `POST` of an object that carries `metadata.resourceVersion` (the API server answers
    /// 500 with this message and no reason).
    pub(crate) fn version_on_create() -> Self {
        Self::new(
            500,
            "",
            "resourceVersion should not be set on objects to be created",
        )
    }

    /// A write into a namespace that does not exist.
    pub(crate) fn namespace_not_found(namespace: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("namespaces \"{namespace}\" not found"),
        )
        .with_details(json!({"name": namespace, "kind": "namespaces"}))
    }

    pub(crate) fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format ({content_type}) - accepted \
                 media types include: application/merge-patch+json, \
                 application/strategic-merge-patch+json, application/apply-patch+yaml"
            ),
        )
    }

    /// `410 Expired`, sent as an `ERROR` event inside a watch stream.
    pub(crate) fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// `413 RequestEntityTooLarge`.
    pub(crate) fn too_large(message: impl Into<String>) -> Self {
        Self::new(413, "RequestEntityTooLarge", message)
    }

    /// The `Status` object.
    pub(crate) fn body(&self) -> Value {
        let mut body = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.detail.message,
            "reason": self.detail.reason,
            "code": self.code,
        });
        if !self.detail.details.is_null() {
            body["details"] = self.detail.details.clone();
        }
        body
    }

    /// The reply: the HTTP code and the `Status` object.
    pub(crate) fn into_reply(self) -> Reply {
        Reply {
            status: self.code,
            body: self.body(),
        }
    }
}

/// `details` naming one object: `{"name", "group", "kind"}` with the plural as `kind`, as the
/// API server writes it.
fn object_details(resource: &Resource, name: &str) -> Value {
    let mut details = json!({ "name": name, "kind": resource.plural });
    if !resource.group.is_empty() {
        details["group"] = Value::from(resource.group.as_str());
    }
    details
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tendpoints() -> Resource {
        Resource {
            group: "k8s.tars.io".to_owned(),
            version: "v1beta3".to_owned(),
            plural: "tendpoints".to_owned(),
            kind: "TEndpoint".to_owned(),
            namespaced: true,
            has_status: true,
        }
    }

    #[test]
    fn not_found_names_the_qualified_resource() {
        let reply = StatusError::not_found(&tendpoints(), "x").into_reply();
        assert_eq!(reply.status, 404);
        assert_eq!(reply.body["kind"], "Status");
        assert_eq!(reply.body["status"], "Failure");
        assert_eq!(reply.body["reason"], "NotFound");
        assert_eq!(reply.body["code"], 404);
        assert_eq!(
            reply.body["message"],
            "tendpoints.k8s.tars.io \"x\" not found"
        );
        assert_eq!(reply.body["details"]["name"], "x");
        assert_eq!(reply.body["details"]["kind"], "tendpoints");
    }

    #[test]
    fn expired_has_no_details() {
        let body = StatusError::expired("too old resource version: 1 (5)").body();
        assert_eq!(body["code"], 410);
        assert_eq!(body["reason"], "Expired");
        assert!(body.get("details").is_none());
    }
}
