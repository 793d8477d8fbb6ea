//! Pod names from a Kubernetes pod watch (framework facts §5.4): pods labelled
//! `tars.io/ServerApp` and `tars.io/ServerName` in the namespace, by pod IP, named
//! `<pod name>.<generateName without its last character>` (for a `StatefulSet` pod:
//! `tars-tarsstat-0.tars-tarsstat`). Pods without a name, `generateName` or IP are skipped, as in
//! the reference. While the API server is away the last names stay in use.

use std::collections::HashMap;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};
use tokio_util::sync::CancellationToken;

use crate::servant::PodNames;

/// The Kubernetes client's error.
pub use kube::Error as KubeError;

/// The label selector of TARS server pods.
pub const POD_SELECTOR: &str = mirror::pods::SELECTOR;

/// `(pod IP, <pod>.<workload>)` of a TARS server pod, when it has a name, a `generateName`
/// and an IP.
pub fn pod_entry(pod: &Pod) -> Option<(String, String)> {
    let identity = mirror::pods::PodIdentity::of(pod)?;
    let domain = identity.domain();
    Some((identity.ip?, domain))
}

/// Keeps `pods` in step with the TARS pods of `namespace` until `shutdown`. A relist (after the
/// API server was away or its versions expired) replaces the whole map at once.
pub async fn watch_pods(
    client: kube::Client,
    namespace: &str,
    pods: PodNames,
    shutdown: CancellationToken,
) {
    let api: Api<Pod> = Api::namespaced(client, namespace);
    let config = watcher::Config::default().labels(POD_SELECTOR);
    let mut events = watcher(api, config).default_backoff().boxed();
    let mut relist: Option<HashMap<String, String>> = None;
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            () = shutdown.cancelled() => return,
        };
        match event {
            Some(Ok(watcher::Event::Apply(pod))) => {
                if let Some((ip, name)) = pod_entry(&pod) {
                    pods.set(ip, name);
                }
            }
            Some(Ok(watcher::Event::Delete(pod))) => {
                if let Some((ip, _)) = pod_entry(&pod) {
                    pods.remove(&ip);
                }
            }
            Some(Ok(watcher::Event::Init)) => relist = Some(HashMap::new()),
            Some(Ok(watcher::Event::InitApply(pod))) => {
                if let (Some(map), Some((ip, name))) = (relist.as_mut(), pod_entry(&pod)) {
                    map.insert(ip, name);
                }
            }
            Some(Ok(watcher::Event::InitDone)) => {
                if let Some(map) = relist.take() {
                    tracing::debug!(message = "Pod names listed.", pods = map.len());
                    pods.replace_all(map);
                }
            }
            Some(Err(error)) => {
                tracing::warn!(message = "Pod watch failed; keeping the last names and retrying.", %error);
            }
            None => return,
        }
    }
}

/// Connects with the ambient Kubernetes configuration (in-cluster service account, else
/// `KUBECONFIG`) and watches the TARS pods of `namespace` until `shutdown`.
///
/// # Errors
/// No usable Kubernetes configuration.
pub async fn watch_pods_in_cluster(
    namespace: String,
    pods: PodNames,
    shutdown: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, kube::Error> {
    let client = kube::Client::try_default().await?;
    Ok(tokio::spawn(async move {
        watch_pods(client, &namespace, pods, shutdown).await;
    }))
}
