//! One watch of core v1 events (K8SFramework `KEventServer.cpp`: list + watch, no selectors):
//! added and modified events, listed or watched, go to the writer; deletions are ignored.
//!
//! kube-rs's watcher with its default backoff does the listing and watching: an expired
//! version (410) is a relist, not an outage; while the API server is away it retries, and the
//! source is marked down (`tars_kevent_source_up`) until an event arrives or a probe (a one-item
//! list every `probe_interval`) reaches the API server again. After an outage the watcher
//! resumes from its last version or relists, so every event the API server still holds is
//! offered again; the writer skips those already written.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Event;
use kube::Api;
use kube::api::ListParams;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::document::is_cluster_level;
use crate::metrics::Metrics;

/// Which events of a namespace a watch keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every event (the service's own namespace).
    Namespace,
    /// Only events without `involvedObject.namespace` (the `default` namespace, watched for
    /// cluster-level events).
    Cluster,
}

impl Scope {
    /// The `source` label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Namespace => "namespace",
            Self::Cluster => "cluster",
        }
    }
}

/// Watches `api` until `shutdown` (or the writer is gone), sending the kept events to `out`.
pub(crate) async fn watch(
    api: Api<Event>,
    scope: Scope,
    out: mpsc::Sender<Event>,
    probe_interval: Duration,
    metrics: Metrics,
    shutdown: CancellationToken,
) {
    let source = scope.label();
    let mut events = watcher(api.clone(), watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut failing = false;
    metrics.set_up(source, false);
    let mut probe = tokio::time::interval(probe_interval);
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            _ = probe.tick(), if failing => {
                if api.list_metadata(&ListParams::default().limit(1)).await.is_ok() {
                    tracing::info!(message = "Kubernetes API reachable again.", source);
                    failing = false;
                    metrics.set_up(source, true);
                }
                continue;
            }
            () = shutdown.cancelled() => return,
        };
        let Some(event) = event else { return };
        let event = match event {
            Ok(event) => event,
            Err(watcher::Error::WatchError(status)) if status.code == 410 => {
                tracing::debug!(message = "Event watch version expired; relisting.", source);
                continue;
            }
            Err(error) => {
                metrics.watch_error(source);
                if !failing {
                    tracing::warn!(
                        message = "Kubernetes event watch failed; retrying.",
                        source,
                        %error,
                    );
                    failing = true;
                    probe.reset();
                    metrics.set_up(source, false);
                }
                continue;
            }
        };
        if failing {
            failing = false;
            tracing::info!(message = "Kubernetes event watch resumed.", source);
        }
        metrics.set_up(source, true);
        let object = match event {
            watcher::Event::Init => {
                metrics.relisted(source);
                continue;
            }
            watcher::Event::InitDone | watcher::Event::Delete(_) => continue,
            watcher::Event::InitApply(object) | watcher::Event::Apply(object) => object,
        };
        metrics.event(source);
        if scope == Scope::Cluster && !is_cluster_level(&object) {
            metrics.skip("namespaced_in_default", 1);
            continue;
        }
        tokio::select! {
            sent = out.send(object) => if sent.is_err() { return },
            () = shutdown.cancelled() => return,
        }
    }
}
