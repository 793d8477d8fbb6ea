//! Starting the config service: the mirror, its source and the servant.

use std::time::Duration;

use mirror::{Mirror, Readiness};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, Source};
use crate::metrics::Metrics;
use crate::servant::ConfigServant;
use crate::snapshot::{Snapshot, Working};
use crate::source;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `source = "kubernetes"` without a Kubernetes connection.
    #[error(
        "config.source is \"kubernetes\" but no Kubernetes namespace is configured (or set config.source = \"file\")"
    )]
    NoKubernetes,
    /// A setting is invalid.
    #[error("{0}")]
    Config(String),
    /// The first list did not finish in time.
    #[error("config: initial sync not done within {0:?} (is the source reachable?)")]
    InitialSync(Duration),
}

/// A running config service.
#[derive(Debug)]
pub struct Service {
    /// `tars.tarsconfig.ConfigObj`.
    pub servant: ConfigServant,
    mirror: Mirror<Working>,
    tasks: TaskTracker,
}

/// A handle on the running service's readiness and snapshot (for the admin port).
#[derive(Debug, Clone)]
pub struct Handle {
    mirror: Mirror<Working>,
}

impl Handle {
    /// Readiness as `/readyz` reports it.
    pub fn readiness(&self) -> Readiness {
        self.mirror.readiness()
    }
}

impl Service {
    /// A handle for readiness checks.
    pub fn clone_handle(&self) -> Handle {
        Handle {
            mirror: self.mirror.clone(),
        }
    }

    /// Readiness as `/readyz` reports it.
    pub fn readiness(&self) -> Readiness {
        self.mirror.readiness()
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> arc_swap::Guard<std::sync::Arc<Snapshot>> {
        self.mirror.load()
    }

    /// Waits for the background tasks after `shutdown` was cancelled.
    pub async fn closed(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }
}

/// A mirror for the config service with its gauges wired, its feed and builder (tests and
/// benchmarks drive these directly).
pub fn mirror(
    stale_after: Duration,
    metrics: &Metrics,
) -> (Mirror<Working>, source::Feed, mirror::Builder<Working>) {
    let gauges = metrics.clone();
    Mirror::new(
        Working::default(),
        stale_after,
        metrics.source.clone(),
        move |working: &Working| {
            let published = mirror::View::publish(working);
            gauges.tconfigs.set(published.configs() as i64);
            gauges.pods.set(published.pods() as i64);
        },
    )
}

/// Starts the service on `config`'s source and waits for the first full list. Background
/// tasks stop when `shutdown` is cancelled.
///
/// # Errors
///
/// [`Error::Config`] for an invalid setting; [`Error::NoKubernetes`] without a Kubernetes
/// connection for that source; [`Error::InitialSync`] when the first list takes longer than
/// `initial_sync_timeout_secs`.
pub async fn start(
    config: &Config,
    kubernetes: Option<(kube::Client, String)>,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<Service, Error> {
    config.validate().map_err(Error::Config)?;
    let shutdown = shutdown.child_token();
    let (mirror, feed, builder) = mirror(Duration::from_secs(config.stale_after_secs), &metrics);
    let tasks = TaskTracker::new();
    tasks.spawn(builder.run(shutdown.clone()));
    match (config.source, kubernetes) {
        (Source::File, _) => {
            tasks.spawn(source::watch_file(
                config.file.clone(),
                Duration::from_millis(config.file_poll_interval_ms),
                config.max_content_bytes,
                feed,
                shutdown.clone(),
            ));
        }
        (Source::Kubernetes, Some((client, namespace))) => {
            tasks.spawn(source::watch(
                client,
                namespace,
                config.max_content_bytes,
                Duration::from_millis(config.probe_interval_ms),
                feed,
                shutdown.clone(),
            ));
        }
        (Source::Kubernetes, None) => return Err(Error::NoKubernetes),
    }
    let timeout = Duration::from_secs(config.initial_sync_timeout_secs);
    if mirror.wait_synced(timeout).await.is_err() {
        shutdown.cancel();
        return Err(Error::InitialSync(timeout));
    }
    Ok(Service {
        servant: ConfigServant::new(mirror.clone(), metrics),
        mirror,
        tasks,
    })
}
