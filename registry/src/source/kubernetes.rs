//! The Kubernetes source: one watcher per kind in the configured namespace (framework facts
//! §3.1), the TFrameworkConfig watch limited to `tars-framework`, through the shared
//! [`mirror::kubernetes::watch`] (relists, outages, probes).

use std::time::Duration;

use kube::api::{ApiResource, DynamicObject};
use kube::runtime::watcher;
use kube::{Api, Client};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::cache::Feed;
use crate::model::{self, FRAMEWORK_CONFIG_NAME, InvalidObject, Kind, Object};

pub use mirror::kubernetes::{GROUP, VERSION};

/// The API resource of `kind`.
pub fn api_resource(kind: Kind) -> ApiResource {
    mirror::kubernetes::tars_resource(kind.kind(), kind.plural())
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
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), &namespace, &api_resource(kind));
        let mut config = watcher::Config::default();
        if kind == Kind::FrameworkConfig {
            config = config.fields(&format!("metadata.name={FRAMEWORK_CONFIG_NAME}"));
        }
        mirror::kubernetes::watch(
            api,
            config,
            kind,
            move |object| parse(kind, object),
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
