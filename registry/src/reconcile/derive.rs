//! The `TEndpoint` reconciler's derivations (framework facts §4.5), as pure functions.
//!
//! The K8SFramework controller keeps one `TEndpoint` per `TServer`: same name and namespace, a
//! controller owner reference to the `TServer`, a copy of the parts of its `spec` that the
//! registry and the node agents need, and a `status.pods[]` entry per pod of the server. This
//! module computes all of that; fetching and writing the objects is the caller's business.
//!
//! `TServer` and `TEndpoint` objects are whole API objects as `serde_json::Value`, so fields this
//! module does not model travel verbatim. Pods are the typed `k8s-openapi` [`Pod`].
//!
//! Where this departs from the Go controller on purpose:
//! - [`endpoint_outdated`] compares every field the `TEndpoint` schema stores (so a changed
//!   servant `capacity` or port number is propagated, which the Go comparison misses), treats
//!   `null`, absent and empty lists alike, and ignores fields the `TEndpoint` schema would prune.
//! - [`endpoint_object`] and [`synced_endpoint`] label the `TEndpoint` with the `TServer`'s
//!   labels plus `tars.io/ServerApp` and `tars.io/ServerName` (Go uses only the two labels on
//!   create and only the `TServer`'s labels on update).
//! - [`status_pods`] returns the entries sorted by pod name (Go keeps informer-cache order).

use k8s_openapi::api::core::v1::{Pod, PodCondition};
use serde_json::{Map, Value, json};

/// Pod (and `TServer`/`TEndpoint`) label holding the server's application name, as written.
pub const LABEL_SERVER_APP: &str = "tars.io/ServerApp";
/// Pod (and `TServer`/`TEndpoint`) label holding the server's name, as written.
pub const LABEL_SERVER_NAME: &str = "tars.io/ServerName";
/// Pod label holding the release id the pod runs; copied into the status entry's `id`.
pub const LABEL_SERVER_ID: &str = "tars.io/ServerID";
/// The readiness-gate pod condition the registry sets; its reason is `setting/present/pid`.
pub const ACTIVE_CONDITION: &str = "tars.io/active";
/// API group and version of `TServer` and `TEndpoint`.
pub const API_VERSION: &str = "k8s.tars.io/v1beta3";
/// Kind of the owning object.
pub const TSERVER_KIND: &str = "TServer";
/// Kind of the derived object.
pub const TENDPOINT_KIND: &str = "TEndpoint";

/// The state a running, ready server reports.
const ACTIVE: &str = "Active";
/// A pod condition's status when it holds.
const CONDITION_TRUE: &str = "True";

/// The `TEndpoint` (and `TServer`) name of a server: `lower(app)-lower(server)`, ASCII
/// lower-casing (the CRD patterns allow only ASCII letters and digits).
pub fn endpoint_name(app: &str, server: &str) -> String {
    let (app, server) = (app.to_ascii_lowercase(), server.to_ascii_lowercase());
    format!("{app}-{server}")
}

/// The reconcile key (the `TEndpoint`/`TServer` name, in the pod's namespace) a pod event maps
/// to, from its labels `tars.io/ServerApp` and `tars.io/ServerName`.
///
/// `None` when either label is missing or empty (the Go controller ignores such pods).
pub fn pod_endpoint_name(pod: &Pod) -> Option<String> {
    let app = pod_label(pod, LABEL_SERVER_APP).filter(|app| !app.is_empty())?;
    let server = pod_label(pod, LABEL_SERVER_NAME).filter(|server| !server.is_empty())?;
    Some(endpoint_name(app, server))
}

/// The shape of a spec field as the `TEndpoint` CRD schema stores it, for comparisons that
/// must ignore what the API server would prune.
#[derive(Debug)]
enum Shape {
    /// A scalar (string, integer, boolean), compared as is.
    Leaf,
    /// An object with these known properties; others are pruned by the API server.
    Object(&'static [(&'static str, Shape)]),
    /// A list of items of this shape.
    List(&'static Shape),
}

/// `tars.ports[]`, `normal.ports[]`.
const PORT_SHAPE: Shape = Shape::Object(&[
    ("name", Shape::Leaf),
    ("port", Shape::Leaf),
    ("isTcp", Shape::Leaf),
]);
/// `tars.servants[]`.
const SERVANT_SHAPE: Shape = Shape::Object(&[
    ("name", Shape::Leaf),
    ("port", Shape::Leaf),
    ("thread", Shape::Leaf),
    ("capacity", Shape::Leaf),
    ("connection", Shape::Leaf),
    ("isTars", Shape::Leaf),
    ("isTcp", Shape::Leaf),
    ("timeout", Shape::Leaf),
]);
/// `spec.tars`.
const TARS_SHAPE: Shape = Shape::Object(&[
    ("profile", Shape::Leaf),
    ("servants", Shape::List(&SERVANT_SHAPE)),
    ("ports", Shape::List(&PORT_SHAPE)),
    ("asyncThread", Shape::Leaf),
    ("template", Shape::Leaf),
]);
/// `spec.normal`.
const NORMAL_SHAPE: Shape = Shape::Object(&[("ports", Shape::List(&PORT_SHAPE))]);
/// `spec.hostPorts[]`.
const HOST_PORT_SHAPE: Shape = Shape::Object(&[("nameRef", Shape::Leaf), ("port", Shape::Leaf)]);
/// `spec.release`.
const RELEASE_SHAPE: Shape = Shape::Object(&[
    ("id", Shape::Leaf),
    ("image", Shape::Leaf),
    ("secret", Shape::Leaf),
    ("time", Shape::Leaf),
    ("nodeImage", Shape::Leaf),
    ("nodeSecret", Shape::Leaf),
]);

/// The `TEndpoint` spec in the order of the Go type `TEndpointSpec`: its key, the JSON pointer
/// to where the `TServer` holds it, and how the `TEndpoint` schema stores it.
static SPEC_FIELDS: [(&str, &str, Shape); 8] = [
    ("app", "/spec/app", Shape::Leaf),
    ("server", "/spec/server", Shape::Leaf),
    ("subType", "/spec/subType", Shape::Leaf),
    ("important", "/spec/important", Shape::Leaf),
    ("tars", "/spec/tars", TARS_SHAPE),
    ("normal", "/spec/normal", NORMAL_SHAPE),
    (
        "hostPorts",
        "/spec/k8s/hostPorts",
        Shape::List(&HOST_PORT_SHAPE),
    ),
    ("release", "/spec/release", RELEASE_SHAPE),
];

/// The `TEndpoint` `spec` a `TServer` implies: `app`, `server`, `subType`, `important`, `tars`,
/// `normal`, `hostPorts` (from `spec.k8s.hostPorts`) and `release`, copied verbatim.
///
/// Source fields that are absent or `null` are left out rather than written as `null`.
pub fn endpoint_spec(tserver: &Value) -> Value {
    let mut spec = Map::new();
    for (key, source, _) in &SPEC_FIELDS {
        if let Some(value) = tserver.pointer(source).filter(|value| !value.is_null()) {
            spec.insert((*key).to_owned(), value.clone());
        }
    }
    Value::Object(spec)
}

/// Whether the `TEndpoint`'s spec differs from what the `TServer` implies (reconcile step 4),
/// so the `TEndpoint` must be updated with [`synced_endpoint`].
///
/// Every field of [`endpoint_spec`] is compared as the `TEndpoint` schema stores it: properties
/// the schema does not know are ignored (the API server prunes them, so comparing them would
/// never settle), and `null`, absent and empty lists count as the same. This is a superset of
/// the Go comparison, which skips `subType`, the section of the other sub-type, servant
/// `capacity` and the `port` of `tars.ports[]`/`normal.ports[]`.
pub fn endpoint_outdated(tserver: &Value, tendpoint: &Value) -> bool {
    let current = tendpoint.get("spec");
    SPEC_FIELDS.iter().any(|(key, source, shape)| {
        let desired = project(tserver.pointer(source), shape);
        let present = project(current.and_then(|spec| spec.get(*key)), shape);
        desired != present
    })
}

/// `value` reduced to what `shape` keeps: unknown properties dropped, `null` and empty lists
/// turned into `Null` (and left out of objects). A value whose JSON type does not match the
/// shape is kept as is, so a wrong type still compares unequal.
fn project(value: Option<&Value>, shape: &Shape) -> Value {
    let Some(value) = value.filter(|value| !value.is_null()) else {
        return Value::Null;
    };
    match (shape, value) {
        (Shape::Object(fields), Value::Object(map)) => {
            let mut kept = Map::new();
            for (key, field_shape) in *fields {
                let projected = project(map.get(*key), field_shape);
                if !projected.is_null() {
                    kept.insert((*key).to_owned(), projected);
                }
            }
            Value::Object(kept)
        }
        (Shape::List(_), Value::Array(items)) if items.is_empty() => Value::Null,
        (Shape::List(item_shape), Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|item| project(Some(item), item_shape))
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// The controller owner reference a `TEndpoint` carries to its `TServer` (Go
/// `NewControllerRef`): `apiVersion`, kind `TServer`, `name`, `uid`, `controller` and
/// `blockOwnerDeletion` true.
///
/// `None` when the `TServer` has no name or uid.
pub fn owner_reference(tserver: &Value) -> Option<Value> {
    let name = non_empty_str(tserver, "/metadata/name")?;
    let uid = non_empty_str(tserver, "/metadata/uid")?;
    Some(json!({
        "apiVersion": API_VERSION,
        "kind": TSERVER_KIND,
        "name": name,
        "uid": uid,
        "controller": true,
        "blockOwnerDeletion": true,
    }))
}

/// The labels of the `TEndpoint`: the `TServer`'s labels, then `tars.io/ServerApp` = `spec.app`
/// and `tars.io/ServerName` = `spec.server` (overriding). `None` without `spec.app`/`spec.server`.
fn endpoint_labels(tserver: &Value) -> Option<Map<String, Value>> {
    let app = non_empty_str(tserver, "/spec/app")?;
    let server = non_empty_str(tserver, "/spec/server")?;
    let mut labels = tserver
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.insert(LABEL_SERVER_APP.to_owned(), Value::from(app));
    labels.insert(LABEL_SERVER_NAME.to_owned(), Value::from(server));
    Some(labels)
}

/// The whole `TEndpoint` to create (or apply) for a `TServer` (reconcile step 2).
///
/// `apiVersion` `k8s.tars.io/v1beta3`, kind `TEndpoint`, `metadata` with the `TServer`'s name
/// and namespace, labels = the `TServer`'s labels plus `tars.io/ServerApp` and
/// `tars.io/ServerName`, and `ownerReferences` holding just [`owner_reference`]; `spec` =
/// [`endpoint_spec`]; no `status`.
///
/// `None` when the `TServer` lacks a name, namespace, uid, `spec.app` or `spec.server`.
pub fn endpoint_object(tserver: &Value) -> Option<Value> {
    let name = non_empty_str(tserver, "/metadata/name")?;
    let namespace = non_empty_str(tserver, "/metadata/namespace")?;
    let owner = owner_reference(tserver)?;
    let labels = endpoint_labels(tserver)?;
    Some(json!({
        "apiVersion": API_VERSION,
        "kind": TENDPOINT_KIND,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": Value::Object(labels),
            "ownerReferences": [owner],
        },
        "spec": endpoint_spec(tserver),
    }))
}

/// The existing `tendpoint` brought in line with its `TServer` for an update (reconcile step 4,
/// Go `syncTEndpoint`): labels, owner references and spec replaced as [`endpoint_object`] builds
/// them; everything else (`resourceVersion`, annotations, `status`, ...) kept.
///
/// `None` when [`endpoint_object`] would be `None` or `tendpoint` is not a JSON object.
pub fn synced_endpoint(tserver: &Value, tendpoint: &Value) -> Option<Value> {
    let desired = endpoint_object(tserver)?;
    let mut synced = tendpoint.as_object()?.clone();
    let mut metadata = synced
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for key in ["labels", "ownerReferences"] {
        if let Some(value) = desired.pointer(&format!("/metadata/{key}")) {
            metadata.insert(key.to_owned(), value.clone());
        }
    }
    synced.insert("metadata".to_owned(), Value::Object(metadata));
    synced.insert("spec".to_owned(), endpoint_spec(tserver));
    Some(Value::Object(synced))
}

/// Whether `tendpoint` is controlled by `tserver` (Go `IsControlledBy`): its first owner
/// reference with `controller` true carries the `TServer`'s uid.
pub fn controlled_by(tendpoint: &Value, tserver: &Value) -> bool {
    let Some(uid) = non_empty_str(tserver, "/metadata/uid") else {
        return false;
    };
    tendpoint
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .and_then(|references| {
            references.iter().find(|reference| {
                reference.get("controller").and_then(Value::as_bool) == Some(true)
            })
        })
        .and_then(|reference| reference.get("uid"))
        .and_then(Value::as_str)
        == Some(uid)
}

/// What a pod's `TEndpoint` status entry says about it (framework facts §4.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodState {
    /// The state the server is meant to be in (`settingState`); `Active` unless the
    /// readiness-gate reason says otherwise.
    pub setting_state: String,
    /// The state it is in (`presentState`): `Active`, `Terminating`, a pending condition's
    /// reason, the last holding condition's type, or what the readiness gate reports.
    pub present_state: String,
    /// A human-readable detail (`presentMessage`), from the deciding pod condition.
    pub present_message: String,
    /// The server process id, third part of the readiness-gate reason, or empty.
    pub pid: String,
}

/// The pod state derivation of framework facts §4.5 (Go `buildPodStatus`).
///
/// 1. A pod being deleted is `Active`/`Terminating` with message `pod/<name> is terminating`.
/// 2. A `Ready` condition that is `True` makes it `Active`/`Active`; only when the
///    `tars.io/active` gate condition exists are the message (`Ready`'s message) and the pid
///    (third part of the gate's reason) filled.
/// 3. Otherwise the conditions are walked in the order `PodScheduled`, `Initialized`,
///    `ContainersReady`, then any others in pod order (`Ready` and the gate are not walked): the
///    first one not `True` gives the present state (its reason) and message, and ends the
///    derivation; each `True` one sets the present state to its type and the message to its
///    message.
/// 4. If none was pending and the gate exists, its reason split by [`split_gate_reason`] sets
///    setting state, present state and pid (the message stays that of the last walked
///    condition). A pod without conditions and gate is `Active` with everything else empty.
pub fn pod_state(pod: &Pod) -> PodState {
    let mut state = PodState {
        setting_state: ACTIVE.to_owned(),
        ..PodState::default()
    };
    if pod.metadata.deletion_timestamp.is_some() {
        state.present_state = String::from("Terminating");
        state.present_message = format!(
            "pod/{} is terminating",
            pod.metadata.name.as_deref().unwrap_or_default()
        );
        return state;
    }

    let conditions: &[PodCondition] = pod
        .status
        .as_ref()
        .and_then(|status| status.conditions.as_deref())
        .unwrap_or_default();
    let mut slots: [Option<&PodCondition>; 3] = [None; 3];
    let mut others = Vec::new();
    let mut ready = None;
    let mut gate = None;
    for condition in conditions {
        match condition.type_.as_str() {
            "PodScheduled" => slots[0] = Some(condition),
            "Initialized" => slots[1] = Some(condition),
            "ContainersReady" => slots[2] = Some(condition),
            "Ready" => ready = Some(condition),
            ACTIVE_CONDITION => gate = Some(condition),
            _ => others.push(condition),
        }
    }

    if let Some(ready) = ready.filter(|ready| ready.status == CONDITION_TRUE) {
        state.present_state = String::from(ACTIVE);
        if let Some(gate) = gate {
            state.present_message = ready.message.clone().unwrap_or_default();
            state.pid =
                String::from(split_gate_reason(gate.reason.as_deref().unwrap_or_default()).2);
        }
        return state;
    }

    for condition in slots.into_iter().flatten().chain(others) {
        state.present_message = condition.message.clone().unwrap_or_default();
        if condition.status != CONDITION_TRUE {
            state.present_state = condition.reason.clone().unwrap_or_default();
            return state;
        }
        state.present_state.clone_from(&condition.type_);
    }

    if let Some(gate) = gate {
        let (setting, present, pid) = split_gate_reason(gate.reason.as_deref().unwrap_or_default());
        state.setting_state = String::from(setting);
        state.present_state = String::from(present);
        state.pid = String::from(pid);
    }
    state
}

/// Splits a readiness-gate reason `setting/present/pid` on `/` (Go
/// `SplitReadinessConditionReason`): one part → (setting, "", ""), two → (setting, present, ""),
/// three → (setting, present, pid), more → (`Unknown`, `Unknown`, ""). An empty reason is one
/// empty part.
pub fn split_gate_reason(reason: &str) -> (&str, &str, &str) {
    let mut parts = reason.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(setting), None, _, _) => (setting, "", ""),
        (Some(setting), Some(present), None, _) => (setting, present, ""),
        (Some(setting), Some(present), Some(pid), None) => (setting, present, pid),
        _ => ("Unknown", "Unknown", ""),
    }
}

/// One `status.pods[]` entry of a `TEndpoint` (the Go type `TEndpointPodStatus`).
///
/// Fields: `uid`, `pid`, `name`, `podIP`, `hostIP`, `startTime` (the pod's creation timestamp,
/// RFC 3339 in whole seconds as Kubernetes writes it), `containerStatuses` (the pod's, as the
/// API returns them), `settingState`, `presentState`, `presentMessage` (see [`pod_state`]) and
/// `id` (label `tars.io/ServerID`). The string fields are always present, empty when the pod
/// lacks them; `startTime` and `containerStatuses` are left out when the pod has none (Go
/// `omitempty`; Go writes a zero `startTime` as `null`, which the API server prunes).
pub fn pod_status_entry(pod: &Pod) -> Value {
    let state = pod_state(pod);
    let meta = &pod.metadata;
    let status = pod.status.as_ref();
    let mut entry = Map::new();
    let mut put = |key: &str, value: Value| {
        entry.insert(key.to_owned(), value);
    };
    put("uid", text(meta.uid.as_deref()));
    put("pid", Value::String(state.pid));
    put("name", text(meta.name.as_deref()));
    put(
        "podIP",
        text(status.and_then(|status| status.pod_ip.as_deref())),
    );
    put(
        "hostIP",
        text(status.and_then(|status| status.host_ip.as_deref())),
    );
    let start_time = meta.creation_timestamp.as_ref();
    if let Some(time) = start_time.and_then(|time| serde_json::to_value(time).ok()) {
        put("startTime", time);
    }
    if let Some(statuses) = status
        .and_then(|status| status.container_statuses.as_ref())
        .filter(|statuses| !statuses.is_empty())
        .and_then(|statuses| serde_json::to_value(statuses).ok())
    {
        put("containerStatuses", statuses);
    }
    put("settingState", Value::String(state.setting_state));
    put("presentState", Value::String(state.present_state));
    put("presentMessage", Value::String(state.present_message));
    put("id", text(pod_label(pod, LABEL_SERVER_ID)));
    Value::Object(entry)
}

/// The `status.pods` of a server (reconcile step 5): the pods labelled `tars.io/ServerApp` =
/// `spec.app` and `tars.io/ServerName` = `spec.server` exactly (case-sensitive), as
/// [`pod_status_entry`] values sorted by pod name.
///
/// `server` may be the `TServer` or the `TEndpoint` (both have `spec.app` and `spec.server`;
/// Go reads the `TEndpoint`'s). Pods whose namespace is set and differs from the object's are
/// skipped. Without `spec.app` or `spec.server` no pod matches.
pub fn status_pods<'a>(server: &Value, pods: impl IntoIterator<Item = &'a Pod>) -> Vec<Value> {
    let (Some(app), Some(name)) = (
        non_empty_str(server, "/spec/app"),
        non_empty_str(server, "/spec/server"),
    ) else {
        return Vec::new();
    };
    let namespace = non_empty_str(server, "/metadata/namespace");
    let mut matched: Vec<&Pod> = pods
        .into_iter()
        .filter(|pod| {
            pod_label(pod, LABEL_SERVER_APP) == Some(app)
                && pod_label(pod, LABEL_SERVER_NAME) == Some(name)
                && match (namespace, pod.metadata.namespace.as_deref()) {
                    (Some(expected), Some(actual)) => expected == actual,
                    _ => true,
                }
        })
        .collect();
    matched.sort_by(|left, right| pod_name(left).cmp(pod_name(right)));
    matched.into_iter().map(pod_status_entry).collect()
}

/// A pod's label value.
fn pod_label<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    pod.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

/// A pod's name, empty when it has none.
fn pod_name(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or_default()
}

/// The non-empty string at a JSON pointer.
fn non_empty_str<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
}

/// A JSON string, empty for `None`.
fn text(value: Option<&str>) -> Value {
    Value::from(value.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(value: Value) -> Pod {
        serde_json::from_value(value).expect("test pod JSON is a valid Pod")
    }

    fn condition(kind: &str, status: &str, reason: &str, message: &str) -> Value {
        json!({"type": kind, "status": status, "reason": reason, "message": message})
    }

    fn pod_with_conditions(conditions: &[Value]) -> Pod {
        pod(json!({"metadata": {"name": "test-x-0"}, "status": {"conditions": conditions}}))
    }

    fn state(setting: &str, present: &str, message: &str, pid: &str) -> PodState {
        PodState {
            setting_state: setting.to_owned(),
            present_state: present.to_owned(),
            present_message: message.to_owned(),
            pid: pid.to_owned(),
        }
    }

    fn scheduled_initialized() -> [Value; 2] {
        [
            condition("PodScheduled", "True", "", ""),
            condition("Initialized", "True", "", "init done"),
        ]
    }

    fn tserver() -> Value {
        json!({
            "apiVersion": API_VERSION,
            "kind": "TServer",
            "metadata": {
                "name": "test-hello", "namespace": "tars", "uid": "uid-1",
                "labels": {"team": "a", "tars.io/ServerApp": "stale"},
            },
            "spec": {
                "app": "Test", "server": "Hello", "subType": "tars", "important": 3,
                "tars": {
                    "template": "tars.cpp", "profile": "", "asyncThread": 3,
                    "servants": [{"name": "HelloObj", "port": 10000, "thread": 3, "capacity": 10000,
                                  "connection": 10000, "timeout": 60000, "isTars": true, "isTcp": true}],
                    "ports": [],
                },
                "k8s": {"replicas": 2, "hostPorts": [{"nameRef": "HelloObj", "port": 30000}]},
                "release": {"id": "v1", "image": "img:1"},
            },
        })
    }

    #[test]
    fn ready_pod_with_gate_is_active_with_pid() {
        let [scheduled, initialized] = scheduled_initialized();
        let ready_pod = pod_with_conditions(&[
            scheduled,
            initialized,
            condition("ContainersReady", "True", "", ""),
            condition("Ready", "True", "", "all good"),
            condition(
                ACTIVE_CONDITION,
                "True",
                "Active/Active/1234",
                "gate message",
            ),
        ]);
        assert_eq!(
            pod_state(&ready_pod),
            state("Active", "Active", "all good", "1234")
        );
    }

    #[test]
    fn ready_pod_without_gate_has_no_message() {
        let ready_pod = pod_with_conditions(&[condition("Ready", "True", "", "all good")]);
        assert_eq!(pod_state(&ready_pod), state("Active", "Active", "", ""));
    }

    #[test]
    fn unscheduled_pod_reports_the_reason() {
        let unscheduled = pod_with_conditions(&[
            condition("ContainersReady", "False", "ContainersNotReady", "later"),
            condition(
                "PodScheduled",
                "False",
                "Unschedulable",
                "0/3 nodes are available",
            ),
            condition(ACTIVE_CONDITION, "True", "Active/Active/1", ""),
        ]);
        assert_eq!(
            pod_state(&unscheduled),
            state("Active", "Unschedulable", "0/3 nodes are available", "")
        );
    }

    #[test]
    fn containers_not_ready_ignores_the_gate() {
        let [scheduled, initialized] = scheduled_initialized();
        let starting = pod_with_conditions(&[
            scheduled,
            initialized,
            condition(
                "ContainersReady",
                "False",
                "ContainersNotReady",
                "containers with unready status: [x]",
            ),
            condition("Ready", "False", "ContainersNotReady", "not ready"),
            condition(ACTIVE_CONDITION, "False", "Active/Activating/99", ""),
        ]);
        assert_eq!(
            pod_state(&starting),
            state(
                "Active",
                "ContainersNotReady",
                "containers with unready status: [x]",
                ""
            )
        );
    }

    #[test]
    fn all_true_without_ready_takes_the_gate_reason() {
        let [scheduled, initialized] = scheduled_initialized();
        let conditions = [
            condition("example.com/custom", "True", "", "custom message"),
            scheduled,
            initialized,
            condition("ContainersReady", "True", "", ""),
            condition(ACTIVE_CONDITION, "False", "Active/Activating", "ignored"),
        ];
        // The custom condition is walked last, so its message stays.
        assert_eq!(
            pod_state(&pod_with_conditions(&conditions)),
            state("Active", "Activating", "custom message", "")
        );

        let one_part = [condition(ACTIVE_CONDITION, "False", "Inactive", "")];
        assert_eq!(
            pod_state(&pod_with_conditions(&one_part)),
            state("Inactive", "", "", "")
        );

        let no_gate = [
            condition("PodScheduled", "True", "", "m"),
            condition("Ready", "False", "r", ""),
        ];
        assert_eq!(
            pod_state(&pod_with_conditions(&no_gate)),
            state("Active", "PodScheduled", "m", "")
        );
    }

    #[test]
    fn gate_reason_with_four_parts_is_unknown() {
        let odd = pod_with_conditions(&[condition(ACTIVE_CONDITION, "True", "a/b/c/d", "")]);
        assert_eq!(pod_state(&odd), state("Unknown", "Unknown", "", ""));
        assert_eq!(split_gate_reason(""), ("", "", ""));
        assert_eq!(
            split_gate_reason("Active/Active/"),
            ("Active", "Active", "")
        );
    }

    #[test]
    fn pod_without_conditions_is_active_and_empty() {
        assert_eq!(
            pod_state(&pod(json!({"metadata": {"name": "p"}}))),
            state("Active", "", "", "")
        );
        assert_eq!(
            pod_state(&pod_with_conditions(&[])),
            state("Active", "", "", "")
        );
    }

    #[test]
    fn terminating_pod_wins_over_ready() {
        let terminating = pod(json!({
            "metadata": {"name": "test-x-0", "deletionTimestamp": "2024-01-02T03:04:05Z"},
            "status": {"conditions": [condition("Ready", "True", "", "")]},
        }));
        assert_eq!(
            pod_state(&terminating),
            state("Active", "Terminating", "pod/test-x-0 is terminating", "")
        );
    }

    #[test]
    fn status_entry_has_the_go_field_names() {
        let running = pod(json!({
            "metadata": {
                "name": "test-hello-0", "uid": "pod-uid",
                "creationTimestamp": "2024-01-02T03:04:05Z",
                "labels": {LABEL_SERVER_ID: "v7"},
            },
            "status": {
                "podIP": "10.0.0.5", "hostIP": "192.168.1.2", "startTime": "2025-05-05T00:00:00Z",
                "containerStatuses": [{"name": "hello", "ready": true, "restartCount": 2,
                                       "image": "img:1", "imageID": "sha256:abc"}],
                "conditions": [condition("Ready", "True", "", ""),
                               condition(ACTIVE_CONDITION, "True", "Active/Active/42", "")],
            },
        }));
        assert_eq!(
            pod_status_entry(&running),
            json!({
                "uid": "pod-uid", "pid": "42", "name": "test-hello-0",
                "podIP": "10.0.0.5", "hostIP": "192.168.1.2",
                "startTime": "2024-01-02T03:04:05Z",
                "containerStatuses": [{"name": "hello", "ready": true, "restartCount": 2,
                                       "image": "img:1", "imageID": "sha256:abc"}],
                "settingState": "Active", "presentState": "Active", "presentMessage": "", "id": "v7",
            })
        );
    }

    #[test]
    fn status_entry_without_times_or_containers() {
        let bare = pod(json!({"status": {"containerStatuses": []}}));
        assert_eq!(
            pod_status_entry(&bare),
            json!({
                "uid": "", "pid": "", "name": "", "podIP": "", "hostIP": "",
                "settingState": "Active", "presentState": "", "presentMessage": "", "id": "",
            })
        );
        let fractional =
            pod(json!({"metadata": {"creationTimestamp": "2024-01-02T03:04:05.678Z"}}));
        assert_eq!(
            pod_status_entry(&fractional)["startTime"],
            json!("2024-01-02T03:04:05Z")
        );
    }

    #[test]
    fn endpoint_spec_copies_and_omits() {
        let spec = endpoint_spec(&tserver());
        assert_eq!(spec["app"], json!("Test"));
        assert_eq!(spec["important"], json!(3));
        assert_eq!(spec["tars"], tserver()["spec"]["tars"]);
        assert_eq!(
            spec["hostPorts"],
            json!([{"nameRef": "HelloObj", "port": 30000}])
        );
        assert_eq!(spec["release"], json!({"id": "v1", "image": "img:1"}));
        assert!(spec.get("normal").is_none());
        assert!(spec.get("k8s").is_none());

        let sparse = json!({"spec": {"app": "A", "server": "B", "normal": null, "k8s": {}}});
        assert_eq!(endpoint_spec(&sparse), json!({"app": "A", "server": "B"}));
    }

    #[test]
    fn endpoint_outdated_detects_spec_changes() {
        let server = tserver();
        let current = endpoint_object(&server).expect("complete TServer");
        assert!(!endpoint_outdated(&server, &current));

        let mut changed = server.clone();
        changed["spec"]["important"] = json!(5);
        assert!(endpoint_outdated(&changed, &current));

        let mut changed = server.clone();
        changed["spec"]["tars"]["servants"][0]["capacity"] = json!(20000);
        assert!(endpoint_outdated(&changed, &current));

        let mut changed = server.clone();
        changed["spec"]["release"]["image"] = json!("img:2");
        assert!(endpoint_outdated(&changed, &current));

        let mut changed = server.clone();
        changed["spec"]["k8s"]["hostPorts"] = json!([]);
        assert!(endpoint_outdated(&changed, &current));

        // Pruned fields, empty lists and nulls do not count.
        let mut pruned = current.clone();
        pruned["spec"]["tars"]["ports"] = Value::Null;
        let mut extra = server.clone();
        extra["spec"]["tars"]["notInSchema"] = json!(1);
        extra["spec"]["k8s"]["replicas"] = json!(9);
        assert!(!endpoint_outdated(&extra, &pruned));

        let mut no_spec = current;
        no_spec["spec"] = Value::Null;
        assert!(endpoint_outdated(&server, &no_spec));
    }

    #[test]
    fn endpoint_object_has_owner_and_labels() {
        let object = endpoint_object(&tserver()).expect("complete TServer");
        assert_eq!(object["apiVersion"], json!("k8s.tars.io/v1beta3"));
        assert_eq!(object["kind"], json!("TEndpoint"));
        assert_eq!(object["metadata"]["name"], json!("test-hello"));
        assert_eq!(object["metadata"]["namespace"], json!("tars"));
        assert_eq!(
            object["metadata"]["labels"],
            json!({"team": "a", LABEL_SERVER_APP: "Test", LABEL_SERVER_NAME: "Hello"})
        );
        assert_eq!(
            object["metadata"]["ownerReferences"],
            json!([{"apiVersion": "k8s.tars.io/v1beta3", "kind": "TServer", "name": "test-hello",
                    "uid": "uid-1", "controller": true, "blockOwnerDeletion": true}])
        );
        assert_eq!(object["spec"], endpoint_spec(&tserver()));
        assert!(object.get("status").is_none());

        let mut no_uid = tserver();
        no_uid["metadata"]["uid"] = Value::Null;
        assert!(endpoint_object(&no_uid).is_none());
    }

    #[test]
    fn synced_endpoint_keeps_status_and_version() {
        let mut stale = endpoint_object(&tserver()).expect("complete TServer");
        stale["metadata"]["resourceVersion"] = json!("17");
        stale["metadata"]["labels"] = json!({"old": "x"});
        stale["spec"]["important"] = json!(1);
        stale["status"] = json!({"pods": []});
        let synced = synced_endpoint(&tserver(), &stale).expect("complete TServer");
        assert_eq!(synced["metadata"]["resourceVersion"], json!("17"));
        assert_eq!(synced["status"], json!({"pods": []}));
        assert!(synced["metadata"]["labels"].get("old").is_none());
        assert!(!endpoint_outdated(&tserver(), &synced));
    }

    #[test]
    fn controlled_by_checks_the_controller_uid() {
        let server = tserver();
        let owned = endpoint_object(&server).expect("complete TServer");
        assert!(controlled_by(&owned, &server));

        let mut other = server.clone();
        other["metadata"]["uid"] = json!("uid-2");
        assert!(!controlled_by(&owned, &other));

        let mut not_controller = owned.clone();
        not_controller["metadata"]["ownerReferences"][0]["controller"] = json!(false);
        assert!(!controlled_by(&not_controller, &server));

        let mut first_wins = owned;
        first_wins["metadata"]["ownerReferences"] =
            json!([{"uid": "uid-9", "controller": true}, {"uid": "uid-1", "controller": true}]);
        assert!(!controlled_by(&first_wins, &server));
    }

    #[test]
    fn status_pods_match_labels_exactly_and_sort() {
        let labelled = |name: &str, app: &str, server: &str, namespace: &str| {
            pod(json!({"metadata": {"name": name, "namespace": namespace,
                                    "labels": {LABEL_SERVER_APP: app, LABEL_SERVER_NAME: server}}}))
        };
        let pods = [
            labelled("test-hello-2", "Test", "Hello", "tars"),
            labelled("test-hello-10", "Test", "Hello", "tars"),
            labelled("test-hello-3", "test", "hello", "tars"),
            labelled("test-hello-4", "Test", "Hello", "elsewhere"),
            pod(
                json!({"metadata": {"name": "test-hello-5", "labels": {LABEL_SERVER_APP: "Test"}}}),
            ),
        ];
        let names: Vec<Value> = status_pods(&tserver(), &pods)
            .into_iter()
            .map(|entry| entry["name"].clone())
            .collect();
        assert_eq!(names, [json!("test-hello-10"), json!("test-hello-2")]);
        assert!(status_pods(&json!({"spec": {"app": "Test"}}), &pods).is_empty());
    }

    #[test]
    fn names_are_lower_cased() {
        assert_eq!(
            endpoint_name("TestApp", "HelloServer"),
            "testapp-helloserver"
        );
        let labelled = pod(
            json!({"metadata": {"labels": {LABEL_SERVER_APP: "TestApp", LABEL_SERVER_NAME: "Hi"}}}),
        );
        assert_eq!(pod_endpoint_name(&labelled).as_deref(), Some("testapp-hi"));
        let empty = pod(
            json!({"metadata": {"labels": {LABEL_SERVER_APP: "TestApp", LABEL_SERVER_NAME: ""}}}),
        );
        assert_eq!(pod_endpoint_name(&empty), None);
        assert_eq!(pod_endpoint_name(&pod(json!({}))), None);
    }
}
