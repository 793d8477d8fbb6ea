//! An in-process fake Kubernetes API server: the parts of the REST API that kube-rs uses for
//! watchers and reflectors, get/list/create/replace/delete and server-side apply, faithful at
//! the protocol level so the same client code runs against it and against a real cluster.
//!
//! [`FakeKube`] serves HTTP/1.1 (keep-alive, no TLS, no authentication) on a local port;
//! [`FakeKubeState`] holds the resource types, the objects, the recent events and the open
//! watches, and outlives the server, so a test can stop it (an outage: open connections and
//! watch streams are cut) and start it again on the same port with everything kept.
//!
//! Only [registered](FakeKubeState::register) types are served, under
//! `/api/v1/...` (core group) or `/apis/<group>/<version>/...`:
//! `namespaces/<ns>/<plural>[/<name>[/status]]`, `<plural>` (every namespace) and, for
//! cluster-scoped types, `<plural>[/<name>[/status]]`. Every reply is `application/json`;
//! failures are `Status` objects (`NotFound`, `AlreadyExists`, `Conflict`, `Invalid`,
//! `BadRequest`, `MethodNotAllowed`, `UnsupportedMediaType`) as the API server writes them.
//! Query strings are parsed leniently (kube's `?&limit=500` included) and percent-decoded.
//!
//! - **List** (`GET` on a collection): `kind` `<Kind>List`, `apiVersion`,
//!   `metadata.resourceVersion` (the current version) and `items` (without `apiVersion` and
//!   `kind` for built-in types, as the API server writes them), everything in one page
//!   (`limit` is ignored, no `continue`). `labelSelector` takes `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
//!   `a notin (x,y)`, `a` and `!a`; `fieldSelector` takes `=`, `==` and `!=` on any dotted
//!   path (`metadata.name`, `metadata.namespace`, `status.phase`, ...).
//! - **Watch** (`watch=true`): a 200 chunked stream of `{"type","object"}` lines. Without a
//!   `resourceVersion` (or with `0`) it starts with a synthetic `ADDED` per object; from a
//!   version N it first replays the remembered events after N, or, if N is expired, sends an
//!   `ERROR` event holding a 410 `Expired` `Status` and ends (kube's watcher then lists
//!   again). `sendInitialEvents=true` sends the `ADDED` events then a `BOOKMARK` annotated
//!   `k8s.io/initial-events-end: "true"`. Selectors apply (an object that stops matching is
//!   `DELETED` for that watch, one that starts is `ADDED`); `timeoutSeconds` ends the stream
//!   cleanly. [`FakeKubeState::bookmark`], [`FakeKubeState::drop_watches`],
//!   [`FakeKubeState::expire_versions`] and [`FakeKube::stop`] act on open watches.
//! - **Get**, **create** (`POST`, 201, `generateName` works; the server sets `uid`,
//!   `creationTimestamp` and `generation` whatever the body says, and a body with a
//!   `resourceVersion` is refused with 500), **replace** (`PUT`: the body's
//!   `metadata.resourceVersion` must be the stored one, 409 `Conflict` if stale, 422 if
//!   missing), **delete** (200 with the last state, or a `Status` `Success` for a custom
//!   resource removed at once; `preconditions` are checked; an object with finalizers gets a
//!   `deletionTimestamp` and goes when its last finalizer does; a pod bound to a node is
//!   deleted gracefully and stays terminating, as no kubelet finishes it, until a delete with
//!   `gracePeriodSeconds: 0`). With the type `namespaces` registered, creating in a namespace
//!   that does not exist is 404, as with the API server's `NamespaceLifecycle` admission.
//! - **Patch**: server-side apply (`application/apply-patch+yaml` with a JSON body, as kube-rs
//!   sends it; `fieldManager` required; creates a missing object), JSON merge patch and
//!   strategic merge patch (built-in types only: 415 on a custom resource; a merge patch whose pod conditions, containers, env and volumes lists merge by key). On types with a status subresource
//!   (every type except `ConfigMap`, `Endpoints`, `Event`, `Lease`, `Secret` and
//!   `ServiceAccount`), writes to the object ignore `status` and writes to `/status` take
//!   only `status`.
//! - Core v1 `Event` writes (create, replace, patch) are checked as the API server checks
//!   them: `involvedObject.namespace` must be the event's namespace, or absent for an event in
//!   `default`; a new-style event (`eventTime`) needs `reportingComponent`,
//!   `reportingInstance` and `action` (422 `Invalid` otherwise).
//! - Every write sets `metadata.resourceVersion` from one global counter (decimal strings),
//!   keeps `uid` and `creationTimestamp`, bumps `metadata.generation` when anything but
//!   metadata and status changes, and is a no-op (same version, no event) when nothing
//!   changes.
//! - Discovery: `/version` (1.31), `/api`, `/apis`, `/apis/<group>`, and resource lists at
//!   `/api/v1` and `/apis/<group>/<version>`.
//!
//! Known differences from a real API server (checked against kube-apiserver 1.37; the same
//! tests run on both in `registry/tests/kube_conformance.rs`, `notify/tests/pods.rs` and
//! `kevent/tests/events.rs`):
//! server-side apply does not track field ownership (no conflicts between managers, so
//! `force` changes nothing, and fields a manager stops applying are kept, not removed) and
//! records only `Apply` entries in `managedFields` (with empty `fieldsV1`), not the `Update`
//! entries other writes make; apply takes JSON only, not YAML; JSON patch
//! (`application/json-patch+json`), `deletecollection`, `dryRun`, paging, `Table` output,
//! protobuf, admission, defaulting (CRD schema defaults, pod spec defaults, a new pod's
//! `Pending` phase, an event's empty `source` and reporting fields), pruning of unknown fields,
//! schema validation (beyond events') and garbage collection by
//! owner references are not implemented; built-in types are told from custom resources by
//! their group (none, no dot, or ending in `.k8s.io`); periodic bookmarks are sent only on
//! demand; generated names end in hex digits; the history kept for resuming watches is the
//! last 10 000 events per type.
//!
//! # Examples
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use serde_json::json;
//! use tars_test::fake_kube::FakeKube;
//!
//! let kube = FakeKube::start().await?;
//! let state = kube.state();
//! state.register("k8s.tars.io", "v1beta3", "tendpoints", "TEndpoint", true);
//! state.upsert(
//!     "tendpoints",
//!     json!({"metadata": {"name": "test-x", "namespace": "tars"}, "spec": {"app": "Test"}}),
//! );
//! // ... point kube at kube.url() (kube::Config::new(url.parse()?), default_namespace
//! // "tars", Client::try_from(config)) and start a watcher ...
//! state.expire_versions("tendpoints"); // the watcher gets a 410 and lists again
//! let (addr, state) = (kube.addr(), kube.state());
//! kube.stop().await; // outage: every watch stream is cut
//! let kube = FakeKube::start_on(addr, state).await?; // recovery, same objects
//! assert_eq!(kube.state().list("tendpoints", Some("tars")).len(), 1);
//! # Ok(())
//! # }
//! ```

mod apply;
mod crud;
mod discovery;
mod meta;
mod reply;
mod router;
mod selector;
mod server;
mod state;
mod store;
mod validate;
mod watch;

pub use server::FakeKube;
pub use state::FakeKubeState;
