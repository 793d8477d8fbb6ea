//! tarskevent: Kubernetes core v1 `Event`s written as documents into the kevent data stream
//! (or SQLite), as K8SFramework's `KEventServer` does, for tarsweb's event pages.
//!
//! - Watches `/api/v1/namespaces/<namespace>/events` (core v1, not `events.k8s.io`) and, when
//!   the namespace is not `default` and `cluster_events` is on, the events of `default` that
//!   have no `involvedObject.namespace` (Node events and other cluster-level ones). Added and
//!   modified events, listed or watched, are written; deletions are ignored.
//! - The document is the event object without `metadata`, with the API server's field names
//!   (`involvedObject{kind,namespace,name,uid,apiVersion,resourceVersion,fieldPath}`,
//!   `reason`, `message`, `source{component,host}`, `firstTimestamp`, `lastTimestamp`,
//!   `count`, `type`, `eventTime`, `reportingComponent`, `reportingInstance`, `kind`,
//!   `apiVersion`, ...), plus `@timestamp`. Its id is `<metadata.uid>:<metadata.resourceVersion>`
//!   and it goes in with `create`: each modification (`count` + 1) is a new document, and a
//!   version written twice is stored once. Events without uid or resource version are skipped.
//! - The data stream is `index` (default `<namespace>_kevent_`, K8SFramework's
//!   `/tars/elk/index<kevent>`), deleted after `delete_after` (`3d`); see [`index_spec`].
//!
//! Differences from the reference, on purpose: `@timestamp` is epoch **milliseconds** (the
//! reference writes Unix seconds, which Elasticsearch reads as milliseconds since 1970, so
//! every event sorted into January 1970); documents are batched (`batch_max_docs`,
//! `batch_max_delay_ms`) rather than one bulk request per event; a relist writes only the
//! event versions not yet written (the ids written are remembered, up to `max_remembered`)
//! instead of sending every event again to be refused; the initial list is retried while the
//! API server is away rather than ending the process after 30 s.

mod config;
pub mod document;
mod metrics;
mod remembered;
mod watch;
mod writer;

use std::time::Duration;

use k8s_openapi::api::core::v1::Event;
use kube::Api;
use serde_json::json;
use sink::{IndexSpec, Sink};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use config::{Config, DEFAULT_NAMESPACE};
pub use metrics::Metrics;

use crate::remembered::Remembered;
use crate::watch::Scope;
use crate::writer::Writer;

/// Events waiting for the writer; past it the watches wait (and the API server's watch
/// buffers, then restarts them, which relists).
const INTAKE: usize = 1024;

/// The data stream's template and lifecycle policy for the service watching `namespace`
/// (K8SFramework's: policy, template and stream all named by the index, `index_patterns`
/// exactly the stream name, `data_stream: {}`). Only `@timestamp` is mapped (epoch
/// milliseconds); every other field is mapped dynamically as in the reference, so tarsweb's
/// `type.keyword`, `involvedObject.name.keyword` and `reason.keyword` exist.
pub fn index_spec(config: &Config, namespace: &str) -> IndexSpec {
    let index = config.index_name(namespace);
    IndexSpec {
        name: index.clone(),
        patterns: vec![index],
        delete_after: config.delete_after.clone(),
        data_stream: true,
        mappings: Some(json!({
            "properties": {
                "@timestamp": { "type": "date", "format": "epoch_millis" }
            }
        })),
    }
}

/// The kevent service of one namespace, checked and ready to [`run`](Self::run).
#[derive(Debug)]
pub struct KEvent {
    namespace: String,
    index: String,
    config: Config,
    sink: Sink,
    metrics: Metrics,
}

impl KEvent {
    /// Checks the configuration and the data stream name for `namespace`.
    ///
    /// # Errors
    /// An invalid configuration (the message names the key).
    pub fn new(
        config: Config,
        namespace: impl Into<String>,
        sink: Sink,
        metrics: Metrics,
    ) -> Result<Self, String> {
        let namespace = namespace.into();
        config.validate()?;
        if namespace.is_empty() {
            return Err("kevent: the Kubernetes namespace must not be empty".into());
        }
        let index = config.index_name(&namespace);
        sink::validate_index_name(&index).map_err(|e| format!("kevent.index: {e}"))?;
        Ok(Self {
            namespace,
            index,
            config,
            sink,
            metrics,
        })
    }

    /// The data stream written.
    pub fn index(&self) -> &str {
        &self.index
    }

    /// The data stream's template and lifecycle policy (register it with the sink).
    pub fn index_spec(&self) -> IndexSpec {
        index_spec(&self.config, &self.namespace)
    }

    /// Whether the `default` namespace is watched too, for cluster-level events.
    pub fn watches_default(&self) -> bool {
        self.config.cluster_events && self.namespace != DEFAULT_NAMESPACE
    }

    /// Watches and writes until `shutdown`; then hands the documents still batched to the
    /// sink and returns (close the sink afterwards to wait for them to be stored).
    pub async fn run(self, client: kube::Client, shutdown: CancellationToken) {
        let (tx, rx) = mpsc::channel(INTAKE);
        let probe = Duration::from_millis(self.config.probe_interval_ms);
        // Boxed: each watch holds a kube watcher and a probe request in flight.
        let own = Box::pin(watch::watch(
            Api::namespaced(client.clone(), &self.namespace),
            Scope::Namespace,
            tx.clone(),
            probe,
            self.metrics.clone(),
            shutdown.clone(),
        ));
        let cluster = self.watches_default().then(|| {
            Box::pin(watch::watch(
                Api::<Event>::namespaced(client, DEFAULT_NAMESPACE),
                Scope::Cluster,
                tx.clone(),
                probe,
                self.metrics.clone(),
                shutdown.clone(),
            ))
        });
        drop(tx);
        let writer = Writer {
            sink: self.sink,
            index: self.index,
            max_docs: self.config.batch_max_docs,
            max_delay: Duration::from_millis(self.config.batch_max_delay_ms),
            remembered: Remembered::new(self.config.max_remembered),
            metrics: self.metrics,
        };
        tracing::info!(
            message = "Writing Kubernetes events.",
            namespace = %self.namespace,
            index = %writer.index,
            cluster_events = cluster.is_some(),
        );
        tokio::join!(
            own,
            async {
                if let Some(cluster) = cluster {
                    cluster.await;
                }
            },
            writer.run(rx),
        );
    }
}

/// Runs the kevent service of `namespace` until `shutdown` (see [`KEvent::run`]).
///
/// # Errors
/// An invalid configuration, before anything runs.
pub async fn run(
    client: kube::Client,
    namespace: String,
    config: Config,
    sink: Sink,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<(), String> {
    KEvent::new(config, namespace, sink, metrics)?
        .run(client, shutdown)
        .await;
    Ok(())
}
