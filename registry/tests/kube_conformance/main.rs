//! The registry's Kubernetes side driven through the API only — no test-side shortcuts — by
//! the same code against every API server it meets: the in-process fake
//! (`tars_test::fake_kube`) and the real API server `KUBECONFIG` names (`scripts/test` starts a
//! kube-apiserver with etcd and applies the chart's CRDs). A difference between the fake and
//! the real server shows up here as a failing test. Without `KUBECONFIG` the real part is
//! skipped with a printed reason, unless `TARSPLANE_REQUIRE_REAL_BACKENDS=1`, which makes it a
//! failure; a real server without the `k8s.tars.io/v1beta3` CRDs fails with a message to
//! install them. Every run uses a fresh namespace made through the API
//! (`tars_test::kube_target`).
//!
//! Checked on each: lookups following TEndpoints created, given a status through `/status`
//! (server-side apply), changed and deleted; the `tars-framework` upChain and TTemplates; the
//! reconciler deriving TEndpoint spec and `status.pods` from a TServer and its pods (pod status
//! written through `pods/status`, as a kubelet would), holding its Lease, following pod
//! readiness, termination and deletion, and deleting the TEndpoint with its TServer;
//! `updateServerState` patching the pod's `tars.io/active` condition; and the watches staying
//! current while objects churn; and API edge cases where the fake once answered differently
//! (create with server metadata, strategic merge on a custom resource, deletion replies, a
//! missing namespace, graceful pod deletion). The fake-only behaviours (outages, forced 410s, bookmarks on
//! demand, invalid objects) are in `kubernetes.rs`.

mod churn;
mod edge_cases;
mod endpoints;
mod harness;
mod objects;
mod reconciler;
mod server_state;
mod upchain_templates;
