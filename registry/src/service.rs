//! Starting the registry: the cache, its source, the servants and (on Kubernetes) the
//! reconciler.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::cache::Registry;
use crate::config::{Config, Source};
use crate::metrics::Metrics;
use crate::query::QueryServant;
use crate::routes::Routes;
use crate::servant::{PodStates, RegistryServant};
use crate::source;

/// Why the registry could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `source = "kubernetes"` without a Kubernetes connection.
    #[error(
        "registry.source is \"kubernetes\" but no Kubernetes namespace is configured (or set registry.source = \"file\")"
    )]
    NoKubernetes,
    /// A setting is invalid.
    #[error("{0}")]
    Config(String),
    /// The first list did not finish in time.
    #[error("initial sync not done within {0:?} (is the source reachable?)")]
    InitialSync(Duration),
}

/// The Kubernetes connection the registry uses.
#[derive(Clone)]
pub struct Kubernetes {
    /// The client.
    pub client: kube::Client,
    /// The namespace watched (K8SFramework: the pod's own namespace).
    pub namespace: String,
}

impl std::fmt::Debug for Kubernetes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kubernetes")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// A running registry.
#[derive(Debug)]
pub struct Service {
    /// The cache lookups read.
    pub registry: Registry,
    /// `tars.tarsregistry.QueryObj`.
    pub query: QueryServant,
    /// `tars.tarsregistry.RegistryObj`.
    pub registry_servant: RegistryServant,
    tasks: TaskTracker,
}

impl Service {
    /// Waits for the background tasks after `shutdown` was cancelled.
    pub async fn closed(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }
}

/// Starts the registry on `config`'s source, and waits for the first
/// full list of every kind. Background tasks stop when `shutdown` is cancelled.
///
/// # Errors
///
/// [`Error::Config`] for an invalid setting; [`Error::NoKubernetes`] without a Kubernetes connection for that source; [`Error::InitialSync`] when the first list takes
/// longer than `initial_sync_timeout_secs`.
pub async fn start(
    config: &Config,
    kubernetes: Option<Kubernetes>,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<Service, Error> {
    config.validate().map_err(Error::Config)?;
    let shutdown = shutdown.child_token();
    let routes = Routes::new(&config.self_host, &config.routes);
    let stale_after = Duration::from_secs(config.stale_after_secs);
    let (registry, feed, builder) = Registry::new(routes, stale_after, metrics);
    let tasks = TaskTracker::new();
    tasks.spawn(builder.run(shutdown.clone()));
    let pods = if config.source == Source::File {
        let poll = Duration::from_millis(config.file_poll_interval_ms);
        tasks.spawn(source::file::watch(
            config.file.clone(),
            poll,
            feed,
            shutdown.clone(),
        ));
        PodStates::Local
    } else if let Some(kube) = &kubernetes {
        let probe = Duration::from_millis(config.probe_interval_ms);
        tasks.spawn(source::kubernetes::watch(
            kube.client.clone(),
            kube.namespace.clone(),
            probe,
            feed,
            shutdown.clone(),
        ));
        PodStates::Kubernetes(Box::new(Api::<Pod>::namespaced(
            kube.client.clone(),
            &kube.namespace,
        )))
    } else {
        return Err(Error::NoKubernetes);
    };
    let timeout = Duration::from_secs(config.initial_sync_timeout_secs);
    if registry.wait_synced(timeout).await.is_err() {
        shutdown.cancel();
        return Err(Error::InitialSync(timeout));
    }
    let reconcile = config.source == Source::Kubernetes && config.reconciler.enabled;
    if let (Some(kube), true) = (&kubernetes, reconcile) {
        tasks.spawn(crate::reconcile::run(
            kube.clone(),
            config.reconciler.clone(),
            registry.metrics().clone(),
            shutdown.clone(),
        ));
    }
    Ok(Service {
        query: QueryServant::new(registry.clone()),
        registry_servant: RegistryServant::new(registry.clone(), pods),
        registry,
        tasks,
    })
}
