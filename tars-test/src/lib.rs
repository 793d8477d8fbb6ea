//! Test helpers shared by tarsplane's crates, tests and benchmarks.
//!
//! - [`bulk_counter`]: a minimal `_bulk` endpoint for throughput benchmarks.
//! - [`fixtures`]: the canonical payloads encoded by real TARS peers (`fixtures/codec/`, copied
//!   from `shared/fixtures/codec`), the structs they hold, and their values from the `.json`.
//! - [`fake_es`]: an in-process fake Elasticsearch 8.x node (bulk, search, aggregations, index
//!   templates, lifecycle policies, data streams) with injectable faults and outages.
//! - [`fake_kube`]: an in-process fake Kubernetes API server (list, watch with resume, 410
//!   expiry and bookmarks, get/create/replace/delete, server-side apply and merge patch,
//!   `/status`) for kube-rs watchers, reflectors and controllers, with outages.
//! - [`real_es`]: the real Elasticsearch / OpenSearch node (`TARS_ES_URL`) or a said skip.
//! - [`kube_target`] (feature `kube-target`): a `kube::Client` and a fresh namespace on the fake
//!   or on the real API server `KUBECONFIG` names, for tests that run against both.

pub mod bulk_counter;
pub mod fake_es;
pub mod fake_kube;
pub mod fixtures;
#[cfg(feature = "kube-target")]
pub mod kube_target;
pub mod real_es;
