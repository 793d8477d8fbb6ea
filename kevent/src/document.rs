//! One core v1 `Event` as one document (K8SFramework `K8SWatchCallback.cpp`): the event object
//! without `metadata`, field names as the API server writes them (tarsweb queries them), plus
//! `@timestamp`; id `<metadata.uid>:<metadata.resourceVersion>`, so each version of an event
//! is its own document and a version written twice is one.

use k8s_openapi::api::core::v1::Event;
use serde_json::{Map, Value};
use sink::{Batch, Op};

/// The time field every data stream document has: when the event was written, epoch
/// milliseconds.
pub const TIMESTAMP: &str = "@timestamp";

/// Why an event is not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// It has no `metadata.uid` or no `metadata.resourceVersion` (the reference skips these).
    NoId,
    /// Its id has characters a document id may not have (see [`sink::validate_id`]).
    InvalidId,
}

impl Skip {
    /// The `reason` label of `tars_kevent_skipped_total`.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NoId => "no_id",
            Self::InvalidId => "invalid_id",
        }
    }
}

/// The document id of an event: `<metadata.uid>:<metadata.resourceVersion>`.
///
/// # Errors
/// The event lacks either part, or the id is not a valid document id.
pub fn document_id(event: &Event) -> Result<String, Skip> {
    let meta = &event.metadata;
    let (Some(uid), Some(version)) = (meta.uid.as_deref(), meta.resource_version.as_deref()) else {
        return Err(Skip::NoId);
    };
    if uid.is_empty() || version.is_empty() {
        return Err(Skip::NoId);
    }
    let id = format!("{uid}:{version}");
    sink::validate_id(&id).map_err(|_| Skip::InvalidId)?;
    Ok(id)
}

/// Whether an event is about a cluster-level object: it has no `involvedObject.namespace`
/// (K8SFramework keeps only these from the `default` namespace).
pub fn is_cluster_level(event: &Event) -> bool {
    event.involved_object.namespace.is_none()
}

/// The document of an event: every field of the object but `metadata`, and `@timestamp` =
/// `now_ms` (epoch milliseconds).
pub fn document(event: &Event, now_ms: i64) -> Value {
    // Serializing a k8s-openapi object into a `Value` cannot fail: every field is a string,
    // number, bool, map or list.
    let mut value = serde_json::to_value(event).unwrap_or_else(|_| Value::Object(Map::default()));
    if let Value::Object(fields) = &mut value {
        fields.remove("metadata");
        fields.insert(TIMESTAMP.into(), Value::from(now_ms));
    }
    value
}

/// Appends `doc` (nested: `involvedObject`, `source`) to `batch` as a `create` of `id` into
/// `index`.
///
/// # Errors
/// An invalid index name or id, or a document that is not an object.
pub fn push(batch: &mut Batch, index: &str, id: &str, doc: &Value) -> sink::Result<()> {
    batch.push_json(Op::Create, index, id, doc)
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A Pod event as kube-apiserver 1.37 lists it (items without `apiVersion` and `kind`).
    fn pod_event() -> Event {
        serde_json::from_value(json!({
            "metadata": {
                "name": "test-a-0.17c0f0a1b2c3d4e5",
                "namespace": "tars",
                "uid": "5b0c7f9e-2a4d-4f7a-9c1e-0d2b3a4c5d6e",
                "resourceVersion": "123456",
                "creationTimestamp": "2024-03-28T09:29:00Z",
                "managedFields": [{"manager": "kubelet", "operation": "Update"}]
            },
            "involvedObject": {
                "kind": "Pod",
                "namespace": "tars",
                "name": "test-a-0",
                "uid": "0d2b3a4c-5d6e-4f7a-9c1e-5b0c7f9e2a4d",
                "apiVersion": "v1",
                "resourceVersion": "98765",
                "fieldPath": "spec.containers{a}"
            },
            "reason": "BackOff",
            "message": "Back-off restarting failed container a in pod test-a-0_tars",
            "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": "2024-03-28T09:29:00Z",
            "lastTimestamp": "2024-03-28T09:29:45Z",
            "count": 3,
            "type": "Warning",
            "eventTime": null,
            "reportingComponent": "kubelet",
            "reportingInstance": "node-1"
        }))
        .expect("an event")
    }

    #[test]
    fn the_document_is_the_event_without_metadata_with_a_millisecond_timestamp() {
        let doc = document(&pod_event(), 1_711_618_185_123);
        assert_eq!(
            doc,
            json!({
                "kind": "Event",
                "apiVersion": "v1",
                "involvedObject": {
                    "kind": "Pod",
                    "namespace": "tars",
                    "name": "test-a-0",
                    "uid": "0d2b3a4c-5d6e-4f7a-9c1e-5b0c7f9e2a4d",
                    "apiVersion": "v1",
                    "resourceVersion": "98765",
                    "fieldPath": "spec.containers{a}"
                },
                "reason": "BackOff",
                "message": "Back-off restarting failed container a in pod test-a-0_tars",
                "source": {"component": "kubelet", "host": "node-1"},
                "firstTimestamp": "2024-03-28T09:29:00Z",
                "lastTimestamp": "2024-03-28T09:29:45Z",
                "count": 3,
                "type": "Warning",
                "reportingComponent": "kubelet",
                "reportingInstance": "node-1",
                "@timestamp": 1_711_618_185_123_i64
            })
        );
    }

    #[test]
    fn a_new_style_event_keeps_its_micro_time_and_series() {
        let mut event = pod_event();
        event.event_time =
            Some(serde_json::from_value(json!("2024-03-28T09:29:45.123456Z")).expect("micro time"));
        event.series = Some(
            serde_json::from_value(
                json!({"count": 2, "lastObservedTime": "2024-03-28T09:30:00.000001Z"}),
            )
            .expect("series"),
        );
        event.action = Some("Pulling".into());
        let doc = document(&event, 0);
        assert_eq!(doc["eventTime"], "2024-03-28T09:29:45.123456Z");
        assert_eq!(doc["series"]["count"], 2);
        assert_eq!(doc["action"], "Pulling");
    }

    #[test]
    fn the_id_is_uid_and_resource_version() {
        assert_eq!(
            document_id(&pod_event()),
            Ok("5b0c7f9e-2a4d-4f7a-9c1e-0d2b3a4c5d6e:123456".to_owned())
        );
        let mut event = pod_event();
        event.metadata.uid = None;
        assert_eq!(document_id(&event), Err(Skip::NoId));
        let mut event = pod_event();
        event.metadata.resource_version = Some(String::new());
        assert_eq!(document_id(&event), Err(Skip::NoId));
        let mut event = pod_event();
        event.metadata.uid = Some("a b".into());
        assert_eq!(document_id(&event), Err(Skip::InvalidId));
    }

    #[test]
    fn cluster_level_events_have_no_involved_namespace() {
        let mut event = pod_event();
        assert!(!is_cluster_level(&event));
        event.involved_object.namespace = None;
        event.involved_object.kind = Some("Node".into());
        assert!(is_cluster_level(&event));
    }

    #[test]
    fn push_writes_a_create_the_sink_reads_back() {
        let event = pod_event();
        let id = document_id(&event).expect("id");
        let doc = document(&event, 1_711_618_185_123);
        let mut batch = Batch::new();
        push(&mut batch, "tars_kevent_", &id, &doc).expect("push");
        push(
            &mut batch,
            "tars_kevent_",
            "x:1",
            &json!({"message": "two\nlines"}),
        )
        .expect("push");
        assert_eq!(batch.len(), 2);
        let first = batch.get(0).expect("first");
        assert_eq!(first.op, Op::Create);
        assert_eq!(first.index, "tars_kevent_");
        assert_eq!(first.id, id);
        let back: Value = serde_json::from_slice(first.source).expect("JSON");
        assert_eq!(back, doc);
        let second = batch.get(1).expect("second");
        let back: Value = serde_json::from_slice(second.source).expect("JSON");
        assert_eq!(back["message"], "two\nlines");
        assert!(push(&mut batch, "Bad", "x:1", &doc).is_err());
        assert!(push(&mut batch, "tars_kevent_", "a b", &doc).is_err());
        assert_eq!(
            batch.len(),
            2,
            "a refused document leaves the batch as it was"
        );
    }
}
