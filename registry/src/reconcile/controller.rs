//! The reconcile loop: watches on TServer, TEndpoint and TARS pods turn into TServer names in a
//! work queue; each name is reconciled against the API server (framework facts §4.5) and, on
//! failure, requeued after a delay that doubles per consecutive failure from
//! `requeue_min_ms` up to `requeue_max_ms`.
//!
//! The loop reads the objects it reconciles from the API server (a get per TServer and
//! TEndpoint, a label-selected list of the server's pods) rather than from informer caches:
//! simpler, always current, at the price of three requests per reconcile.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tokio_util::time::DelayQueue;

use super::derive::{
    API_VERSION, LABEL_SERVER_APP, LABEL_SERVER_NAME, TENDPOINT_KIND, controlled_by,
    endpoint_object, endpoint_outdated, pod_endpoint_name, status_pods,
};
use crate::config::ReconcilerConfig;
use crate::metrics::Metrics;
use crate::model::Kind;
use crate::source::kubernetes::{GROUP, VERSION, api_resource};

/// The TServer resource.
pub fn tserver_resource() -> ApiResource {
    ApiResource {
        group: GROUP.to_owned(),
        version: VERSION.to_owned(),
        api_version: API_VERSION.to_owned(),
        kind: "TServer".to_owned(),
        plural: "tservers".to_owned(),
    }
}

/// Why one reconcile failed (it is retried).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An API request failed.
    #[error("kubernetes request")]
    Api(#[from] kube::Error),
    /// A TEndpoint of that name belongs to something else; it was deleted.
    #[error("TEndpoint {0} was not controlled by its TServer and was deleted")]
    ForeignEndpoint(String),
}

/// The APIs a reconcile uses.
#[derive(Clone)]
pub struct Apis {
    tservers: Api<DynamicObject>,
    tendpoints: Api<DynamicObject>,
    pods: Api<Pod>,
    apply: PatchParams,
}

impl std::fmt::Debug for Apis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Apis")
            .field("field_manager", &self.apply.field_manager)
            .finish_non_exhaustive()
    }
}

impl Apis {
    /// The APIs of `namespace`, writing as `field_manager`.
    pub fn new(client: &Client, namespace: &str, field_manager: &str) -> Self {
        Self {
            tservers: Api::namespaced_with(client.clone(), namespace, &tserver_resource()),
            tendpoints: Api::namespaced_with(
                client.clone(),
                namespace,
                &api_resource(Kind::Endpoint),
            ),
            pods: Api::namespaced(client.clone(), namespace),
            apply: PatchParams::apply(field_manager).force(),
        }
    }
}

/// Reconciles the TEndpoint of TServer `name` once (framework facts §4.5).
///
/// # Errors
///
/// [`Error`] when a request fails or a foreign TEndpoint had to be removed: requeue.
pub async fn reconcile(apis: &Apis, name: &str) -> Result<(), Error> {
    let tserver = apis.tservers.get_opt(name).await?;
    let Some(tserver) = tserver.filter(|t| t.metadata.deletion_timestamp.is_none()) else {
        delete_endpoint(apis, name).await?;
        return Ok(());
    };
    let tserver = to_json(&tserver);
    let current = apis.tendpoints.get_opt(name).await?.map(|e| to_json(&e));
    if let Some(current) = &current
        && !controlled_by(current, &tserver)
    {
        delete_endpoint(apis, name).await?;
        return Err(Error::ForeignEndpoint(name.to_owned()));
    }
    let Some(desired) = endpoint_object(&tserver) else {
        tracing::warn!(
            message = "TServer lacks app, server, namespace or uid; skipped.",
            name
        );
        return Ok(());
    };
    if current
        .as_ref()
        .is_none_or(|current| endpoint_outdated(&tserver, current))
    {
        apis.tendpoints
            .patch(name, &apis.apply, &Patch::Apply(&desired))
            .await?;
    }
    let (app, server) = (
        tserver
            .pointer("/spec/app")
            .and_then(Value::as_str)
            .unwrap_or(""),
        tserver
            .pointer("/spec/server")
            .and_then(Value::as_str)
            .unwrap_or(""),
    );
    let pods = if is_label_value(app) && is_label_value(server) {
        let selector = format!("{LABEL_SERVER_APP}={app},{LABEL_SERVER_NAME}={server}");
        apis.pods
            .list(&ListParams::default().labels(&selector))
            .await?
            .items
    } else {
        Vec::new()
    };
    let status = json!({
        "apiVersion": API_VERSION,
        "kind": TENDPOINT_KIND,
        "metadata": {"name": name},
        "status": {"pods": status_pods(&tserver, &pods)},
    });
    apis.tendpoints
        .patch_status(name, &apis.apply, &Patch::Apply(&status))
        .await?;
    Ok(())
}

fn is_label_value(value: &str) -> bool {
    !value.is_empty() && value.len() <= 63 && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

async fn delete_endpoint(apis: &Apis, name: &str) -> Result<(), kube::Error> {
    match apis.tendpoints.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
        Err(error) => Err(error),
    }
}

fn to_json<T: serde::Serialize>(object: &T) -> Value {
    serde_json::to_value(object).unwrap_or(Value::Null)
}

/// Keys waiting to be reconciled, each at most once, and failed keys waiting for their delay.
#[derive(Debug, Default)]
struct Queue {
    ready: VecDeque<String>,
    queued: HashSet<String>,
    delayed: DelayQueue<String>,
    waiting: HashSet<String>,
    failures: HashMap<String, u32>,
}

impl Queue {
    fn push(&mut self, key: String) {
        if !self.waiting.contains(&key) && self.queued.insert(key.clone()) {
            self.ready.push_back(key);
        }
    }

    fn pop(&mut self) -> Option<String> {
        let key = self.ready.pop_front()?;
        self.queued.remove(&key);
        Some(key)
    }

    fn retry_later(&mut self, key: String, config: &ReconcilerConfig) -> Duration {
        let failures = self.failures.entry(key.clone()).or_insert(0);
        *failures = failures.saturating_add(1);
        let delay = config
            .requeue_min_ms
            .saturating_mul(1_u64 << (*failures - 1).min(20))
            .min(config.requeue_max_ms);
        let delay = Duration::from_millis(delay);
        if self.waiting.insert(key.clone()) {
            self.delayed.insert(key, delay);
        }
        delay
    }

    fn succeeded(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

/// Runs the reconcile loop until `shutdown` (called while this replica leads).
pub async fn run_loop(
    client: Client,
    namespace: String,
    config: ReconcilerConfig,
    metrics: Metrics,
    shutdown: CancellationToken,
) {
    let apis = Apis::new(&client, &namespace, &config.field_manager);
    let names = |o: DynamicObject| o.metadata.name;
    let tservers = watcher(apis.tservers.clone(), watcher::Config::default())
        .default_backoff()
        .map(move |e| keys(e, names));
    let tendpoints = watcher(apis.tendpoints.clone(), watcher::Config::default())
        .default_backoff()
        .map(move |e| keys(e, names));
    let pod_config =
        watcher::Config::default().labels(&format!("{LABEL_SERVER_APP},{LABEL_SERVER_NAME}"));
    let pods = watcher(apis.pods.clone(), pod_config)
        .default_backoff()
        .map(|e| keys(e, |pod: Pod| pod_endpoint_name(&pod)));
    let mut triggers =
        futures::stream::select_all([tservers.boxed(), tendpoints.boxed(), pods.boxed()]);
    let mut queue = Queue::default();
    tracing::info!(message = "Reconciling TEndpoints.", namespace);
    loop {
        // Take every trigger already there, then reconcile one key; wait only when idle.
        loop {
            let next = if queue.ready.is_empty() {
                tokio::select! {
                    t = triggers.next() => Some(t),
                    Some(expired) = queue.delayed.next() => {
                        let key = expired.into_inner();
                        queue.waiting.remove(&key);
                        queue.push(key);
                        continue;
                    }
                    () = shutdown.cancelled() => return,
                }
            } else {
                triggers.next().now_or_never()
            };
            match next {
                Some(Some(keys)) => keys.into_iter().for_each(|k| queue.push(k)),
                Some(None) => return,
                None => break,
            }
        }
        while let Some(Some(expired)) = queue.delayed.next().now_or_never() {
            let key = expired.into_inner();
            queue.waiting.remove(&key);
            queue.push(key);
        }
        let Some(key) = queue.pop() else { continue };
        let result = tokio::select! {
            r = reconcile(&apis, &key) => r,
            () = shutdown.cancelled() => return,
        };
        match result {
            Ok(()) => {
                queue.succeeded(&key);
                metrics
                    .reconciles
                    .get_or_create(&Metrics::result("ok"))
                    .inc();
            }
            Err(error) => {
                let delay = queue.retry_later(key.clone(), &config);
                metrics
                    .reconciles
                    .get_or_create(&Metrics::result("error"))
                    .inc();
                tracing::warn!(message = "Reconcile failed; retrying.", key, ?delay, error = %error, cause = ?std::error::Error::source(&error));
            }
        }
    }
}

fn keys<K>(
    event: Result<watcher::Event<K>, watcher::Error>,
    key: impl Fn(K) -> Option<String>,
) -> Vec<String> {
    match event {
        Ok(watcher::Event::Apply(o) | watcher::Event::Delete(o) | watcher::Event::InitApply(o)) => {
            key(o).into_iter().collect()
        }
        Ok(watcher::Event::Init | watcher::Event::InitDone) => Vec::new(),
        Err(error) => {
            tracing::debug!(message = "Reconciler watch error (retrying).", %error);
            Vec::new()
        }
    }
}
