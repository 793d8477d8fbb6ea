//! The fake API server's data, shared by the server and the test that drives it: resource
//! types, objects, the event history watches resume from, and the open watches.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use super::meta::{meta_str, metadata_mut, set_or_remove};
use super::store::EventLog;
use super::watch::{self, Watcher};

/// Kinds served without a `/status` subresource (they have no `status`). Every other kind,
/// custom resources and Pods included, has one: `status` in a write to the main resource is
/// ignored and `/status` writes change only `status`.
const KINDS_WITHOUT_STATUS: &[&str] = &[
    "ConfigMap",
    "Endpoints",
    "Event",
    "Lease",
    "Secret",
    "ServiceAccount",
];

/// A handle to the fake API server's data; clones share it (O(1), an `Arc`).
///
/// It outlives a [`super::FakeKube`]: pass it to [`super::FakeKube::start_on`] to restart a
/// stopped server with the same objects and resource versions.
#[derive(Debug, Clone, Default)]
pub struct FakeKubeState(Arc<Mutex<Inner>>);

impl FakeKubeState {
    /// An empty API server: no resource types, no objects, resource version 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Locks the data; a panic in another holder does not poison it for the test.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a resource type so its URLs are served: `group` (`""` for the core group),
    /// `version`, `plural` (the URL segment, unique across groups here), `kind`, and whether
    /// its objects live in namespaces. Registering a plural again replaces its type.
    ///
    /// # Examples
    ///
    /// ```
    /// use tars_test::fake_kube::FakeKubeState;
    ///
    /// let state = FakeKubeState::new();
    /// state.register("", "v1", "pods", "Pod", true);
    /// state.register("coordination.k8s.io", "v1", "leases", "Lease", true);
    /// state.register("k8s.tars.io", "v1beta3", "tendpoints", "TEndpoint", true);
    /// ```
    pub fn register(&self, group: &str, version: &str, plural: &str, kind: &str, namespaced: bool) {
        let resource = Resource {
            group: group.to_owned(),
            version: version.to_owned(),
            plural: plural.to_owned(),
            kind: kind.to_owned(),
            namespaced,
            has_status: !KINDS_WITHOUT_STATUS.contains(&kind),
        };
        self.lock().resources.insert(plural.to_owned(), resource);
    }

    /// Creates or replaces an object, as a controller outside the test would: `apiVersion`,
    /// `kind`, `metadata.resourceVersion` (the next value of one global counter, as a decimal
    /// string) and `metadata.generation` are set here, `uid` and `creationTimestamp` on create
    /// (unless given) or kept from the stored object; `status` is taken as given. Watches get
    /// `ADDED` or `MODIFIED`; an object equal to the stored one is left alone (no new version,
    /// no event), as the API server does with a no-op update. A namespaced object without
    /// `metadata.namespace` goes to `default`. Returns the stored object.
    ///
    /// # Panics
    /// If `plural` is not registered or the object has no `metadata.name` (bugs in the test).
    pub fn upsert(&self, plural: &str, mut object: Value) -> Value {
        let mut inner = self.lock();
        let Some(resource) = inner.resources.get(plural).cloned() else {
            panic!("fake-kube: resource type `{plural}` is not registered");
        };
        let Some(name) = meta_str(&object, "name").map(str::to_owned) else {
            panic!("fake-kube: upserted {plural} object has no metadata.name");
        };
        let namespace = if resource.namespaced {
            meta_str(&object, "namespace")
                .unwrap_or("default")
                .to_owned()
        } else {
            String::new()
        };
        if let Some(stored) = inner.stored(plural, &namespace, &name) {
            let fields = stored.pointer("/metadata/managedFields").cloned();
            set_or_remove(metadata_mut(&mut object), "managedFields", fields.as_ref());
        }
        inner
            .write(&resource, &namespace, &name, object)
            .into_object()
    }

    /// Deletes an object at once (finalizers are not waited for); watches get `DELETED` with
    /// its last state under a new resource version. Returns whether it existed.
    pub fn delete(&self, plural: &str, namespace: &str, name: &str) -> bool {
        self.lock().remove(plural, namespace, name).is_some()
    }

    /// An object as stored; cluster-scoped objects have the namespace `""`.
    pub fn get(&self, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        self.lock().stored(plural, namespace, name).cloned()
    }

    /// The objects of a type, in one namespace or (`None`) all of them, sorted by namespace
    /// then name.
    pub fn list(&self, plural: &str, namespace: Option<&str>) -> Vec<Value> {
        let inner = self.lock();
        inner
            .objects_of(plural)
            .filter(|object| namespace.is_none_or(|ns| meta_str(object, "namespace") == Some(ns)))
            .cloned()
            .collect()
    }

    /// Makes every resource version up to the current one too old for this type (as etcd
    /// compaction does): open watches of it get an `ERROR` event holding a `Status` with code
    /// 410 (`Expired`) inside their 200 stream and are closed, and a later watch from such a
    /// version gets the same at once. kube's watcher then lists again; the list's version (the
    /// counter moves on by one here) is valid.
    pub fn expire_versions(&self, plural: &str) {
        watch::expire(&mut self.lock(), plural);
    }

    /// Ends every open watch stream cleanly (the chunked body ends, no error): kube's watcher
    /// watches again from the last version it saw and gets what it missed.
    pub fn drop_watches(&self) {
        self.lock().watchers.clear();
    }

    /// Sends a `BOOKMARK` event carrying the current resource version to every open watch of
    /// this type.
    pub fn bookmark(&self, plural: &str) {
        watch::bookmark_all(&mut self.lock(), plural);
    }

    /// The number of open watches of this type (a test can wait for a watcher to connect).
    pub fn open_watches(&self, plural: &str) -> usize {
        watch::open_count(&self.lock(), plural)
    }

    /// The current resource version: the last value of the global counter.
    pub fn resource_version(&self) -> u64 {
        self.lock().revision
    }

    /// Every request received, oldest first, as `"METHOD path?query"` exactly as sent (query
    /// not decoded), e.g. `"GET /api/v1/namespaces/tars/pods?&limit=500"`.
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    /// The field managers that applied (server-side apply) to an object, main resource or
    /// `/status`, in the order they first did; empty if there is no such object.
    pub fn managers(&self, plural: &str, namespace: &str, name: &str) -> Vec<String> {
        let inner = self.lock();
        let Some(entries) = inner
            .stored(plural, namespace, name)
            .and_then(|object| object.pointer("/metadata/managedFields"))
            .and_then(Value::as_array)
        else {
            return Vec::new();
        };
        let applied = entries
            .iter()
            .filter(|entry| entry.get("operation").and_then(Value::as_str) == Some("Apply"))
            .filter_map(|entry| entry.get("manager").and_then(Value::as_str));
        let mut managers: Vec<String> = Vec::new();
        for manager in applied {
            if !managers.iter().any(|known| known == manager) {
                managers.push(manager.to_owned());
            }
        }
        managers
    }
}

/// A registered resource type.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    /// `""` for the core group.
    pub(crate) group: String,
    pub(crate) version: String,
    pub(crate) plural: String,
    pub(crate) kind: String,
    pub(crate) namespaced: bool,
    /// Served with a `/status` subresource.
    pub(crate) has_status: bool,
}

impl Resource {
    /// `v1` for the core group, else `group/version`.
    pub(crate) fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether the type is built into the API server rather than a custom resource: the core
    /// group, a group without a dot (`apps`, `batch`) or one ending in `.k8s.io`
    /// (`coordination.k8s.io`). Lists of built-in types leave `apiVersion` and `kind` out of
    /// their items, strategic merge patch works only on them, and deleting a custom resource at
    /// once answers a `Status` instead of the object.
    pub(crate) fn builtin(&self) -> bool {
        self.group.is_empty() || !self.group.contains('.') || self.group.ends_with(".k8s.io")
    }

    /// `pods` for the core group, else `plural.group` (as error messages name it).
    pub(crate) fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// Everything behind the lock.
#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// Resource types by plural.
    pub(crate) resources: BTreeMap<String, Resource>,
    /// Objects by plural, then `(namespace, name)` (namespace `""` if cluster-scoped).
    pub(crate) objects: BTreeMap<String, BTreeMap<(String, String), Value>>,
    /// The recent events of each plural, for watches that resume from a version.
    pub(crate) logs: HashMap<String, EventLog>,
    /// Open watches (closed ones are pruned on the next event).
    pub(crate) watchers: Vec<Watcher>,
    /// `"METHOD path?query"` of every request.
    pub(crate) requests: Vec<String>,
    /// The global resource version counter: the version of the latest write.
    pub(crate) revision: u64,
    /// The counter behind uids and generated names.
    pub(crate) serial: u64,
}
