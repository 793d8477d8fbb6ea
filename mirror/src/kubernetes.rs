//! The Kubernetes source: a kube-rs watcher on one kind feeding a [`Feed`].
//!
//! A (re)list replaces the kind at once, watch events change single objects. When the API
//! server is unreachable the watcher retries with backoff and readers go on from the last
//! snapshot; the source is marked failing (metric `source_up`, readiness) until a probe — a
//! one-item list every `probe_interval` — reaches the API server again (a quiet watch gives no
//! other sign of recovery). A 410 (expired resource version) is a relist, not an outage.

use std::fmt::{Debug, Display};
use std::time::Duration;

use futures::StreamExt;
use kube::api::{ApiResource, ListParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use crate::mirror::Feed;
use crate::{Kind, View};

/// The TARS CRDs' group.
pub const GROUP: &str = "k8s.tars.io";
/// The CRD version read.
pub const VERSION: &str = "v1beta3";
/// `apiVersion` of the TARS CRDs.
pub const API_VERSION: &str = "k8s.tars.io/v1beta3";

/// The API resource of the TARS custom resource `kind` (e.g. `TConfig`, plural `tconfigs`).
pub fn tars_resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: GROUP.to_owned(),
        version: VERSION.to_owned(),
        api_version: API_VERSION.to_owned(),
        kind: kind.to_owned(),
        plural: plural.to_owned(),
    }
}

/// Watches `api` (filtered by `config`) as `kind` until `shutdown`, parsing each object with
/// `parse`.
pub async fn watch<V, R, E>(
    api: Api<R>,
    config: watcher::Config,
    kind: V::Kind,
    parse: impl Fn(&R) -> Result<V::Object, E> + Send,
    probe_interval: Duration,
    feed: Feed<V>,
    shutdown: CancellationToken,
) where
    V: View,
    R: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    E: Display,
{
    let mut events = watcher(api.clone(), config).default_backoff().boxed();
    let mut listing: Option<Vec<Result<V::Object, E>>> = None;
    let mut failing = false;
    let mut probe = tokio::time::interval(probe_interval);
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            _ = probe.tick(), if failing => {
                if api.list_metadata(&ListParams::default().limit(1)).await.is_ok() {
                    tracing::info!(message = "Kubernetes API reachable again.", kind = kind.kind());
                    failing = false;
                    feed.contact(kind).await;
                }
                continue;
            }
            () = shutdown.cancelled() => return,
        };
        let Some(event) = event else { return };
        let event = match event {
            Ok(event) => event,
            Err(watcher::Error::WatchError(status)) if status.code == 410 => {
                tracing::debug!(
                    message = "Watch version expired; relisting.",
                    kind = kind.kind()
                );
                continue;
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(
                        message = "Kubernetes watch failed; answering from the last snapshot.",
                        kind = kind.kind(),
                        %error,
                    );
                    failing = true;
                    probe.reset();
                    feed.failed(kind).await;
                }
                continue;
            }
        };
        if failing {
            failing = false;
            feed.contact(kind).await;
        }
        match event {
            watcher::Event::Init => listing = Some(Vec::new()),
            watcher::Event::InitApply(object) => {
                if let Some(list) = listing.as_mut() {
                    list.push(parse(&object));
                }
            }
            watcher::Event::InitDone => {
                let objects = listing.take().unwrap_or_default();
                tracing::debug!(
                    message = "Listed.",
                    kind = kind.kind(),
                    objects = objects.len()
                );
                feed.listed(kind, objects).await;
            }
            watcher::Event::Apply(object) => feed.applied(kind, parse(&object)).await,
            watcher::Event::Delete(object) => {
                if let Some(name) = object.meta().name.clone() {
                    feed.deleted(kind, name).await;
                } else {
                    tracing::warn!(
                        message = "Ignoring a deletion without a name.",
                        kind = kind.kind()
                    );
                }
            }
        }
    }
}
