//! The Kubernetes source: one kube-rs watcher per kind in the configured namespace
//! (framework facts §3.1), the TFrameworkConfig watch limited to `tars-framework`.
//!
//! A (re)list replaces the kind at once, watch events change single objects. When the API
//! server is unreachable the watcher retries with backoff and the registry answers from its
//! last snapshot; the source is marked failing (metric `tars_registry_source_up`, readiness)
//! until a probe — a one-item list every `probe_interval_ms` — reaches the API server again.

use std::time::Duration;

use futures::StreamExt;
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::cache::Feed;
use crate::model::{self, FRAMEWORK_CONFIG_NAME, InvalidObject, Kind, Object};

/// The TARS CRDs' group.
pub const GROUP: &str = "k8s.tars.io";
/// The CRD version read.
pub const VERSION: &str = "v1beta3";

/// The API resource of `kind`.
pub fn api_resource(kind: Kind) -> ApiResource {
    ApiResource {
        group: GROUP.to_owned(),
        version: VERSION.to_owned(),
        api_version: model::API_VERSION.to_owned(),
        kind: kind.kind().to_owned(),
        plural: kind.plural().to_owned(),
    }
}

/// Watches all three kinds in `namespace` until `shutdown`.
pub async fn watch(
    client: Client,
    namespace: String,
    probe_interval: Duration,
    feed: Feed,
    shutdown: CancellationToken,
) {
    let watches = Kind::ALL.map(|kind| {
        watch_kind(
            client.clone(),
            &namespace,
            kind,
            probe_interval,
            feed.clone(),
            shutdown.clone(),
        )
    });
    futures::future::join_all(watches).await;
}

fn parse(kind: Kind, object: &DynamicObject) -> Result<Object, InvalidObject> {
    let value = serde_json::to_value(object).unwrap_or(Value::Null);
    model::parse(kind, &value)
}

async fn watch_kind(
    client: Client,
    namespace: &str,
    kind: Kind,
    probe_interval: Duration,
    feed: Feed,
    shutdown: CancellationToken,
) {
    let resource = api_resource(kind);
    let api: Api<DynamicObject> = Api::namespaced_with(client, namespace, &resource);
    let mut config = watcher::Config::default();
    if kind == Kind::FrameworkConfig {
        config = config.fields(&format!("metadata.name={FRAMEWORK_CONFIG_NAME}"));
    }
    let mut events = watcher(api.clone(), config).default_backoff().boxed();
    let mut listing: Option<Vec<Result<Object, InvalidObject>>> = None;
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
                // Expired resource version: the watcher lists again; not an outage.
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
                    list.push(parse(kind, &object));
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
            watcher::Event::Apply(object) => feed.applied(kind, parse(kind, &object)).await,
            watcher::Event::Delete(object) => {
                if let Some(name) = object.metadata.name {
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
