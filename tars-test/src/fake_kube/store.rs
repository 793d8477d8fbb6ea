//! Writes: the metadata the server sets (resource versions, uids, generations), finalizers,
//! and the event history that watches replay.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Map, Value};

use super::meta::{metadata_mut, now_rfc3339, object_mut, rfc3339_in, set_or_remove};
use super::state::{Inner, Resource};
use super::watch;

/// How many events each type keeps for watches that resume from a version; a watch from a
/// version older than the oldest kept gets 410 Expired.
const MAX_EVENTS_PER_TYPE: usize = 10_000;

/// Metadata only the server writes: kept from the stored object on every update.
const SERVER_METADATA: &[&str] = &[
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
];

/// A watch event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    Added,
    Modified,
    Deleted,
}

/// One change, as kept in a type's history.
#[derive(Debug)]
pub(crate) struct Event {
    /// The resource version the change made.
    pub(crate) revision: u64,
    pub(crate) kind: EventType,
    /// The object after the change (for `Deleted`, its last state with the new version).
    pub(crate) object: Value,
    /// The object before a `Modified` (or a deletion that waited for finalizers), so that a
    /// filtered watch can tell an object entering its selection from one leaving it.
    pub(crate) previous: Option<Value>,
}

/// The recent events of one type.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    /// Oldest first; every event after `oldest_valid` is here.
    pub(crate) events: VecDeque<Event>,
    /// The oldest version a watch may resume from; older ones are expired.
    pub(crate) oldest_valid: u64,
}

impl EventLog {
    fn push(&mut self, event: Event) {
        if self.events.len() >= MAX_EVENTS_PER_TYPE {
            let evicted = self
                .events
                .pop_front()
                .map_or(0, |evicted| evicted.revision);
            self.oldest_valid = self.oldest_valid.max(evicted);
        }
        self.events.push_back(event);
    }

    /// Forgets every event: watches may resume from `oldest_valid` on.
    pub(crate) fn expire(&mut self, oldest_valid: u64) {
        self.events.clear();
        self.oldest_valid = oldest_valid;
    }
}

/// What a write did; each carries the object as stored (or, for `Deleted`, as last seen).
#[derive(Debug)]
pub(crate) enum Written {
    Created(Value),
    Updated(Value),
    /// Equal to the stored object: no new version, no event.
    Unchanged(Value),
    /// The update removed the last finalizer of an object being deleted, so it is gone.
    Deleted(Value),
}

impl Written {
    /// The object.
    pub(crate) fn into_object(self) -> Value {
        match self {
            Self::Created(object)
            | Self::Updated(object)
            | Self::Unchanged(object)
            | Self::Deleted(object) => object,
        }
    }

    /// Whether the write created the object.
    pub(crate) fn is_created(&self) -> bool {
        matches!(self, Self::Created(_))
    }
}

impl Inner {
    /// A stored object.
    pub(crate) fn stored(&self, plural: &str, namespace: &str, name: &str) -> Option<&Value> {
        self.objects
            .get(plural)?
            .get(&(namespace.to_owned(), name.to_owned()))
    }

    /// The stored objects of a type, sorted by namespace then name.
    pub(crate) fn objects_of(&self, plural: &str) -> impl Iterator<Item = &Value> {
        self.objects
            .get(plural)
            .into_iter()
            .flat_map(BTreeMap::values)
    }

    /// The next value of the counter behind uids and generated names.
    pub(crate) fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    fn next_revision(&mut self) -> u64 {
        self.revision += 1;
        self.revision
    }

    /// Stores `object` as the new state of `namespace/name`: `apiVersion`, `kind`, name,
    /// namespace and the server's metadata are set here, everything else (`status` and
    /// `metadata.managedFields` included) is taken as given.
    pub(crate) fn write(
        &mut self,
        resource: &Resource,
        namespace: &str,
        name: &str,
        mut object: Value,
    ) -> Written {
        set_identity(&mut object, resource, namespace, name);
        let key = (namespace.to_owned(), name.to_owned());
        let previous = self
            .objects
            .get(&resource.plural)
            .and_then(|objects| objects.get(&key))
            .cloned();
        if let Some(old) = previous {
            let meta = metadata_mut(&mut object);
            for field in SERVER_METADATA {
                set_or_remove(meta, field, old.get("metadata").and_then(|m| m.get(*field)));
            }
            return self.commit(resource, key, old, object);
        }
        let serial = self.next_serial();
        let revision = self.next_revision();
        let meta = metadata_mut(&mut object);
        if !meta.get("uid").is_some_and(Value::is_string) {
            let uid = format!("00000000-0000-4000-8000-{serial:012x}");
            meta.insert("uid".to_owned(), Value::String(uid));
        }
        if !meta.get("creationTimestamp").is_some_and(Value::is_string) {
            meta.insert("creationTimestamp".to_owned(), Value::String(now_rfc3339()));
        }
        meta.insert("generation".to_owned(), Value::from(1));
        meta.remove("deletionTimestamp");
        meta.remove("deletionGracePeriodSeconds");
        meta.insert(
            "resourceVersion".to_owned(),
            Value::String(revision.to_string()),
        );
        self.objects
            .entry(resource.plural.clone())
            .or_default()
            .insert(key, object.clone());
        self.emit(
            &resource.plural,
            Event {
                revision,
                kind: EventType::Added,
                object: object.clone(),
                previous: None,
            },
        );
        Written::Created(object)
    }

    /// Replaces `old` by `object` (server metadata already settled): nothing if they are
    /// equal; else a new version, a new generation if anything but metadata and status
    /// changed, and a removal if an object being deleted has no finalizer left and no grace
    /// period to wait (a gracefully deleted pod waits for a kubelet, which never comes).
    fn commit(
        &mut self,
        resource: &Resource,
        key: (String, String),
        old: Value,
        mut object: Value,
    ) -> Written {
        let old_version = old
            .get("metadata")
            .and_then(|m| m.get("resourceVersion"))
            .cloned();
        set_or_remove(
            metadata_mut(&mut object),
            "resourceVersion",
            old_version.as_ref(),
        );
        if object == old {
            return Written::Unchanged(old);
        }
        let revision = self.next_revision();
        let next_generation = spec_changed(&old, &object);
        let meta = metadata_mut(&mut object);
        if next_generation {
            let generation = meta.get("generation").and_then(Value::as_i64).unwrap_or(0);
            meta.insert("generation".to_owned(), Value::from(generation + 1));
        }
        meta.insert(
            "resourceVersion".to_owned(),
            Value::String(revision.to_string()),
        );
        let terminating = meta.get("deletionTimestamp").is_some_and(Value::is_string)
            && meta
                .get("finalizers")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
            && meta
                .get("deletionGracePeriodSeconds")
                .and_then(Value::as_u64)
                .is_none_or(|grace| grace == 0);
        let plural = resource.plural.as_str();
        let (kind, written) = if terminating {
            if let Some(objects) = self.objects.get_mut(plural) {
                objects.remove(&key);
            }
            (EventType::Deleted, Written::Deleted(object.clone()))
        } else {
            self.objects
                .entry(plural.to_owned())
                .or_default()
                .insert(key, object.clone());
            (EventType::Modified, Written::Updated(object.clone()))
        };
        self.emit(
            plural,
            Event {
                revision,
                kind,
                object,
                previous: Some(old),
            },
        );
        written
    }

    /// Starts deleting an object that has finalizers (or a pod on a node, which its kubelet
    /// would remove after `grace` seconds): sets `deletionTimestamp` `grace` seconds ahead and
    /// `deletionGracePeriodSeconds` (an update, `MODIFIED`); it is removed when the last
    /// finalizer is. `None` if there is no object.
    pub(crate) fn begin_deletion(
        &mut self,
        resource: &Resource,
        namespace: &str,
        name: &str,
        grace: u64,
    ) -> Option<Value> {
        let old = self.stored(&resource.plural, namespace, name)?.clone();
        let pending = old
            .pointer("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_u64);
        if old.pointer("/metadata/deletionTimestamp").is_some()
            && pending.is_none_or(|pending| pending <= grace)
        {
            return Some(old);
        }
        let mut object = old.clone();
        let meta = metadata_mut(&mut object);
        meta.insert(
            "deletionTimestamp".to_owned(),
            Value::String(rfc3339_in(grace)),
        );
        meta.insert("deletionGracePeriodSeconds".to_owned(), Value::from(grace));
        let key = (namespace.to_owned(), name.to_owned());
        Some(self.commit(resource, key, old, object).into_object())
    }

    /// Removes an object at once: `DELETED` with its last state under a new version.
    pub(crate) fn remove(&mut self, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        let mut object = self
            .objects
            .get_mut(plural)?
            .remove(&(namespace.to_owned(), name.to_owned()))?;
        let revision = self.next_revision();
        metadata_mut(&mut object).insert(
            "resourceVersion".to_owned(),
            Value::String(revision.to_string()),
        );
        self.emit(
            plural,
            Event {
                revision,
                kind: EventType::Deleted,
                object: object.clone(),
                previous: None,
            },
        );
        Some(object)
    }

    /// Pushes an event to the open watches of its type and into the type's history.
    fn emit(&mut self, plural: &str, event: Event) {
        self.watchers
            .retain(|watcher| watch::deliver(watcher, plural, &event));
        self.logs.entry(plural.to_owned()).or_default().push(event);
    }
}

/// Sets what the URL and the type decide: `apiVersion`, `kind`, `metadata.name` and
/// `metadata.namespace` (absent for cluster-scoped types).
fn set_identity(object: &mut Value, resource: &Resource, namespace: &str, name: &str) {
    let map = object_mut(object);
    map.insert(
        "apiVersion".to_owned(),
        Value::String(resource.api_version()),
    );
    map.insert("kind".to_owned(), Value::String(resource.kind.clone()));
    let meta = metadata_mut(object);
    meta.insert("name".to_owned(), Value::from(name));
    if resource.namespaced {
        meta.insert("namespace".to_owned(), Value::from(namespace));
    } else {
        meta.remove("namespace");
    }
}

/// Whether anything but `apiVersion`, `kind`, `metadata` and `status` differs: what moves
/// `metadata.generation` on.
fn spec_changed(old: &Value, new: &Value) -> bool {
    fn spec(object: &Value) -> Map<String, Value> {
        object
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(key, _)| {
                !matches!(key.as_str(), "apiVersion" | "kind" | "metadata" | "status")
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    }
    spec(old) != spec(new)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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
    fn writes_bump_versions_and_generations_only_on_change() {
        let mut inner = Inner::default();
        let resource = tendpoints();
        let object = json!({"metadata": {"name": "a"}, "spec": {"x": 1}});
        let created = inner.write(&resource, "ns", "a", object.clone());
        assert!(created.is_created());
        let created = created.into_object();
        assert_eq!(created["apiVersion"], "k8s.tars.io/v1beta3");
        assert_eq!(created["kind"], "TEndpoint");
        assert_eq!(created["metadata"]["namespace"], "ns");
        assert_eq!(created["metadata"]["resourceVersion"], "1");
        assert_eq!(created["metadata"]["generation"], 1);

        let same = inner.write(&resource, "ns", "a", object);
        assert!(matches!(same, Written::Unchanged(_)));
        assert_eq!(inner.revision, 1);

        let status = json!({"metadata": {"name": "a"}, "spec": {"x": 1}, "status": {"y": 2}});
        let updated = inner.write(&resource, "ns", "a", status).into_object();
        assert_eq!(updated["metadata"]["resourceVersion"], "2");
        assert_eq!(updated["metadata"]["generation"], 1);
        assert_eq!(updated["metadata"]["uid"], created["metadata"]["uid"]);

        let spec = json!({"metadata": {"name": "a"}, "spec": {"x": 2}});
        let updated = inner.write(&resource, "ns", "a", spec).into_object();
        assert_eq!(updated["metadata"]["generation"], 2);
        assert_eq!(inner.logs["tendpoints"].events.len(), 3);
    }

    #[test]
    fn an_object_with_finalizers_goes_when_the_last_one_does() {
        let mut inner = Inner::default();
        let resource = tendpoints();
        let object = json!({"metadata": {"name": "a", "finalizers": ["f"]}});
        inner.write(&resource, "ns", "a", object);
        let terminating = inner
            .begin_deletion(&resource, "ns", "a", 0)
            .expect("the object exists");
        assert!(terminating["metadata"]["deletionTimestamp"].is_string());
        let released = json!({"metadata": {"name": "a", "finalizers": []}});
        let gone = inner.write(&resource, "ns", "a", released);
        assert!(matches!(gone, Written::Deleted(_)));
        assert!(inner.stored("tendpoints", "ns", "a").is_none());
        let kinds: Vec<EventType> = inner.logs["tendpoints"]
            .events
            .iter()
            .map(|event| event.kind)
            .collect();
        assert_eq!(
            kinds,
            [EventType::Added, EventType::Modified, EventType::Deleted]
        );
    }
}
