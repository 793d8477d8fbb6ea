//! The TEndpoint reconciler (framework facts §4.5): TServer + Pods → TEndpoint spec and
//! `status.pods`, exactly as K8SFramework's controller derives them ([`derive`]), written with
//! server-side apply ([`controller`]) by the one replica holding the Lease ([`lease`]).

pub mod controller;
pub mod derive;
pub mod lease;

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use tokio_util::sync::CancellationToken;

use crate::config::ReconcilerConfig;
use crate::metrics::Metrics;
use crate::service::Kubernetes;

/// The environment variable K8SFramework sets to the pod's name.
pub const ENV_POD_NAME: &str = "PodName";

/// This replica's identity in the Lease: the pod name, else the host name and process id.
pub fn identity() -> String {
    let host = std::env::var(ENV_POD_NAME)
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "tarsplane".to_owned());
    format!("{host}-{}", std::process::id())
}

/// Competes for the Lease and runs the reconcile loop while leading, until `shutdown`; the
/// lease is released on the way out.
pub async fn run(
    kube: Kubernetes,
    config: ReconcilerConfig,
    metrics: Metrics,
    shutdown: CancellationToken,
) {
    let identity = identity();
    let elector = lease::Elector::new(
        Api::<Lease>::namespaced(kube.client.clone(), &kube.namespace),
        &config.lease_name,
        &identity,
        Duration::from_secs(config.lease_duration_secs),
    );
    let lease_duration = Duration::from_secs(config.lease_duration_secs);
    let renew = Duration::from_secs(config.renew_interval_secs);
    let mut leading: Option<Leading> = None;
    loop {
        match elector.try_lead().await {
            Ok(true) => {
                if let Some(lead) = &mut leading {
                    lead.renewed = Instant::now();
                } else {
                    tracing::info!(message = "Reconciler lease acquired.", identity);
                    metrics.leader.set(1);
                    let token = shutdown.child_token();
                    let task = tokio::spawn(controller::run_loop(
                        kube.client.clone(),
                        kube.namespace.clone(),
                        config.clone(),
                        metrics.clone(),
                        token.clone(),
                    ));
                    leading = Some(Leading {
                        token,
                        renewed: Instant::now(),
                        task,
                    });
                }
            }
            Ok(false) => {
                if let Some(lead) = leading.take() {
                    drop(step_down(lead, &metrics, "another replica holds the lease"));
                }
            }
            Err(error) => {
                tracing::warn!(message = "Reconciler lease request failed.", %error);
                if leading
                    .as_ref()
                    .is_some_and(|lead| lead.renewed.elapsed() >= lease_duration)
                    && let Some(lead) = leading.take()
                {
                    drop(step_down(lead, &metrics, "the lease could not be renewed"));
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(renew) => {}
            () = shutdown.cancelled() => break,
        }
    }
    if let Some(lead) = leading.take() {
        let task = step_down(lead, &metrics, "shutting down");
        // The loop stops at its next await point; wait so no write follows the release.
        let _ = task.await;
        if let Err(error) = elector.release().await {
            tracing::warn!(message = "Reconciler lease not released.", %error);
        }
    }
}

/// The reconcile loop this replica runs while it holds the lease.
#[derive(Debug)]
struct Leading {
    token: CancellationToken,
    renewed: Instant,
    task: tokio::task::JoinHandle<()>,
}

fn step_down(lead: Leading, metrics: &Metrics, why: &str) -> tokio::task::JoinHandle<()> {
    tracing::info!(message = "Reconciler stopped.", why);
    lead.token.cancel();
    metrics.leader.set(0);
    lead.task
}
