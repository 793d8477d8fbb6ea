//! Where TConfigs (and, on Kubernetes, the TARS pods) come from: watches in one namespace, or
//! the YAML file of `tarsplane up`. Both go through the shared [`mirror`] sources.

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::DynamicObject;
use kube::runtime::watcher;
use kube::{Api, Client};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::model::{self, InvalidObject, Kind, Object};
use crate::snapshot::Working;

/// Where sources send what they see.
pub type Feed = mirror::Feed<Working>;

/// The API resource of TConfig.
pub fn tconfig_resource() -> kube::api::ApiResource {
    mirror::kubernetes::tars_resource("TConfig", "tconfigs")
}

fn tconfig(value: &Value, max_content_bytes: usize) -> Result<Object, InvalidObject> {
    model::parse_tconfig(value, max_content_bytes).map(Object::Config)
}

/// Watches the TConfigs and the TARS pods of `namespace` until `shutdown`.
pub async fn watch(
    client: Client,
    namespace: String,
    max_content_bytes: usize,
    probe_interval: Duration,
    feed: Feed,
    shutdown: CancellationToken,
) {
    let configs: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &namespace, &tconfig_resource());
    let pods: Api<Pod> = Api::namespaced(client, &namespace);
    let configs = Box::pin(mirror::kubernetes::watch(
        configs,
        watcher::Config::default(),
        Kind::Config,
        move |object: &DynamicObject| {
            let value = serde_json::to_value(object).unwrap_or(Value::Null);
            tconfig(&value, max_content_bytes)
        },
        probe_interval,
        feed.clone(),
        shutdown.clone(),
    ));
    let pods = Box::pin(mirror::kubernetes::watch(
        pods,
        watcher::Config::default().labels(mirror::pods::SELECTOR),
        Kind::Pod,
        model::pod_object,
        probe_interval,
        feed,
        shutdown,
    ));
    futures::future::join(configs, pods).await;
}

/// Feeds the TConfigs of the YAML file `path` until `shutdown`, re-reading it when it
/// changes. Pod documents in the file are read too (so a caller's IP can be given a pod by
/// hand); every other kind is skipped.
pub async fn watch_file(
    path: PathBuf,
    poll: Duration,
    max_content_bytes: usize,
    feed: Feed,
    shutdown: CancellationToken,
) {
    let parse = move |value: &Value| -> Option<(Kind, Result<Object, InvalidObject>)> {
        match value.get("kind").and_then(Value::as_str)? {
            "TConfig" => Some((Kind::Config, tconfig(value, max_content_bytes))),
            "Pod" => {
                let pod =
                    serde_json::from_value::<Pod>(value.clone()).map_err(|error| InvalidObject {
                        kind: "Pod",
                        name: value
                            .pointer("/metadata/name")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_owned(),
                        reason: error.to_string(),
                    });
                Some((Kind::Pod, pod.and_then(|pod| model::pod_object(&pod))))
            }
            _ => None,
        }
    };
    mirror::file::watch("config", path, poll, parse, feed, shutdown).await;
}
