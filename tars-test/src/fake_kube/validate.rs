//! The API server's own checks of a built-in type whose rules a client breaks easily: core v1
//! `Event`s (kube-apiserver `pkg/apis/core/validation/events.go`, `legacyValidateEvent`, the
//! rules a `v1` write gets). Schema validation in general is not implemented.
//!
//! - An old-style event (no `eventTime`): with an `involvedObject.namespace`, it must be the
//!   event's namespace; without one (a cluster-level object such as a Node) the event must be
//!   in `default`.
//! - A new-style event (`eventTime` set): without an `involvedObject.namespace` it must be in
//!   `default` or `kube-system`; `reportingComponent`, `reportingInstance` and `action` are
//!   required.

use serde_json::Value;

use super::reply::StatusError;
use super::state::Resource;

/// Checks `object`, about to be stored as `name` in `namespace`, as the API server would.
pub(crate) fn check(
    resource: &Resource,
    namespace: &str,
    name: &str,
    object: &Value,
) -> Result<(), StatusError> {
    if !(resource.group.is_empty() && resource.kind == "Event") {
        return Ok(());
    }
    let problems = event_problems(namespace, object);
    match problems.as_slice() {
        [] => Ok(()),
        [one] => Err(StatusError::invalid(resource, name, one)),
        many => Err(StatusError::invalid(
            resource,
            name,
            &format!("[{}]", many.join(", ")),
        )),
    }
}

/// What is wrong with an event, in the API server's words.
fn event_problems(namespace: &str, event: &Value) -> Vec<String> {
    let text = |pointer: &str| {
        event
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let involved = text("/involvedObject/namespace");
    let mismatch = || {
        format!(
            "involvedObject.namespace: Invalid value: {involved:?}: does not match event.namespace"
        )
    };
    let mut problems = Vec::new();
    let new_style = event.get("eventTime").is_some_and(|t| !t.is_null());
    if new_style {
        if involved.is_empty() && namespace != "default" && namespace != "kube-system" {
            problems.push(mismatch());
        }
        for field in ["reportingComponent", "reportingInstance", "action"] {
            if text(&format!("/{field}")).is_empty() {
                problems.push(format!("{field}: Required value"));
            }
        }
    } else if involved.is_empty() {
        if !namespace.is_empty() && namespace != "default" {
            problems.push(mismatch());
        }
    } else if involved != namespace {
        problems.push(mismatch());
    }
    problems
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn events() -> Resource {
        Resource {
            group: String::new(),
            version: "v1".into(),
            plural: "events".into(),
            kind: "Event".into(),
            namespaced: true,
            has_status: false,
        }
    }

    #[test]
    fn old_style_events_name_their_own_namespace_or_none_in_default() {
        let pod = json!({"involvedObject": {"kind": "Pod", "namespace": "tars", "name": "a"}});
        let node = json!({"involvedObject": {"kind": "Node", "name": "n"}});
        assert!(check(&events(), "tars", "a.1", &pod).is_ok());
        assert!(check(&events(), "default", "n.1", &node).is_ok());
        let error = check(&events(), "default", "a.1", &pod).expect_err("mismatch");
        let reply = error.into_reply();
        assert_eq!(reply.status, 422);
        assert_eq!(
            reply.body["message"],
            "Event \"a.1\" is invalid: involvedObject.namespace: Invalid value: \"tars\": does not match event.namespace"
        );
        assert!(check(&events(), "tars", "n.1", &node).is_err());
    }

    #[test]
    fn new_style_events_need_their_reporter_and_action() {
        let event = json!({
            "eventTime": "2024-03-28T09:29:45.123456Z",
            "involvedObject": {"kind": "Node", "name": "n"},
            "reportingComponent": "kubelet",
            "reportingInstance": "node-1",
            "action": "Reboot",
        });
        assert!(check(&events(), "kube-system", "n.1", &event).is_ok());
        assert!(check(&events(), "tars", "n.1", &event).is_err());
        let bare = json!({"eventTime": "2024-03-28T09:29:45.123456Z", "involvedObject": {}});
        let reply = check(&events(), "default", "n.1", &bare)
            .expect_err("missing fields")
            .into_reply();
        assert_eq!(
            reply.body["message"],
            "Event \"n.1\" is invalid: [reportingComponent: Required value, reportingInstance: Required value, action: Required value]"
        );
    }

    #[test]
    fn other_kinds_are_not_checked() {
        let pods = Resource {
            plural: "pods".into(),
            kind: "Pod".into(),
            has_status: true,
            ..events()
        };
        assert!(check(&pods, "tars", "a", &json!({})).is_ok());
    }
}
