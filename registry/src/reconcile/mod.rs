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
    let mut leading: Option<(CancellationToken, Instant)> = None;
    loop {
        match elector.try_lead().await {
            Ok(true) => {
                if let Some((_, renewed)) = &mut leading {
                    *renewed = Instant::now();
                } else {
                    tracing::info!(message = "Reconciler lease acquired.", identity);
                    metrics.leader.set(1);
                    let token = shutdown.child_token();
                    tokio::spawn(controller::run_loop(
                        kube.client.clone(),
                        kube.namespace.clone(),
                        config.clone(),
                        metrics.clone(),
                        token.clone(),
                    ));
                    leading = Some((token, Instant::now()));
                }
            }
            Ok(false) => step_down(&mut leading, &metrics, "another replica holds the lease"),
            Err(error) => {
                tracing::warn!(message = "Reconciler lease request failed.", %error);
                if leading
                    .as_ref()
                    .is_some_and(|(_, renewed)| renewed.elapsed() >= lease_duration)
                {
                    step_down(&mut leading, &metrics, "the lease could not be renewed");
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(renew) => {}
            () = shutdown.cancelled() => break,
        }
    }
    if leading.is_some() {
        step_down(&mut leading, &metrics, "shutting down");
        if let Err(error) = elector.release().await {
            tracing::warn!(message = "Reconciler lease not released.", %error);
        }
    }
}

fn step_down(leading: &mut Option<(CancellationToken, Instant)>, metrics: &Metrics, why: &str) {
    if let Some((token, _)) = leading.take() {
        tracing::info!(message = "Reconciler stopped.", why);
        token.cancel();
        metrics.leader.set(0);
    }
}
