//! The Elasticsearch backend: index setup, the bulk writer with its spool, and queries.

mod bulk;
pub(crate) mod client;
pub(crate) mod lifecycle;
mod search;
mod writer;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::ack::{Receipt, Tracker};
use crate::config::EsConfig;
use crate::dead_letter::DeadLetter;
use crate::spool::{Recovered, Spool};
use crate::{AggQuery, AggRow, Batch, Error, IndexSpec, Metrics, Result};

use writer::{Job, Shared};

/// The writer's two long-lived tasks.
#[derive(Debug)]
struct Tasks {
    batcher: JoinHandle<()>,
    replayer: JoinHandle<()>,
}

/// Jobs waiting for the batcher; the real bound is the byte semaphore.
const INTAKE_JOBS: usize = 4096;

/// Writes documents to Elasticsearch and answers monitor queries from it. Clones share the
/// writer.
#[derive(Debug, Clone)]
pub struct EsSink {
    shared: Arc<Shared>,
    intake: Arc<Mutex<Option<mpsc::Sender<Job>>>>,
    tasks: Arc<tokio::sync::Mutex<Option<Tasks>>>,
    recovered: Recovered,
}

impl EsSink {
    /// Opens the spool (replaying what a previous run left there) and starts the writer's
    /// tasks on the current tokio runtime.
    ///
    /// # Errors
    /// An invalid configuration or an unusable spool directory.
    pub fn start(config: &EsConfig, metrics: Metrics) -> Result<Self> {
        config.validate()?;
        if config.nodes.is_empty() {
            return Err(Error::InvalidConfig(
                "sink.elasticsearch.nodes is empty".into(),
            ));
        }
        if config.max_queued_bytes > u32::MAX as usize {
            return Err(Error::InvalidConfig(
                "sink.elasticsearch.max_queued_bytes must be below 4 GiB".into(),
            ));
        }
        let (spool, recovered) = if config.spool.enabled {
            let (spool, recovered) = Spool::open(&config.spool)?;
            if recovered.truncated_bytes > 0 {
                tracing::warn!(
                    message = "Spool had torn records; they were cut.",
                    truncated_bytes = recovered.truncated_bytes
                );
            }
            if recovered.bytes > 0 {
                tracing::info!(
                    message = "Spool holds documents from an earlier run; replaying.",
                    bytes = recovered.bytes,
                    segments = recovered.segments
                );
            }
            metrics.spool_bytes.set(spool.bytes() as i64);
            (Some(Arc::new(Mutex::new(spool))), recovered)
        } else {
            (None, Recovered::default())
        };
        let shared = Arc::new(Shared {
            client: client::Client::new(config)?,
            config: config.clone(),
            metrics,
            queue: Arc::new(Semaphore::new(config.max_queued_bytes)),
            spool,
            spooled: Notify::new(),
            dead_letter: Mutex::new(DeadLetter::new(
                config.dead_letter_path.clone(),
                config.max_dead_letter_bytes,
            )),
            give_up: CancellationToken::new(),
            setup: tokio::sync::Mutex::new(Vec::new()),
            backend: tokio::sync::OnceCell::new(),
        });
        let (tx, rx) = mpsc::channel(INTAKE_JOBS);
        let tasks = Tasks {
            batcher: tokio::spawn(writer::run_batcher(shared.clone(), rx)),
            replayer: tokio::spawn(writer::run_replayer(shared.clone())),
        };
        Ok(Self {
            shared,
            intake: Arc::new(Mutex::new(Some(tx))),
            tasks: Arc::new(tokio::sync::Mutex::new(Some(tasks))),
            recovered,
        })
    }

    /// What the spool held at start.
    pub fn recovered(&self) -> Recovered {
        self.recovered
    }

    /// `Ok` while documents can be taken without loss: the spool has room (or, without a
    /// spool, the memory queue does), whether or not Elasticsearch is reachable right now.
    ///
    /// # Errors
    /// Why not, for `/readyz`.
    pub fn readiness(&self) -> std::result::Result<(), String> {
        let shared = &self.shared;
        let spool = &shared.config.spool;
        if spool.enabled {
            let used = u64::try_from(shared.metrics.spool_bytes.get()).unwrap_or(0);
            if used >= spool.max_bytes {
                return Err(format!(
                    "spool full ({used} of {} bytes): Elasticsearch has not taken documents",
                    spool.max_bytes
                ));
            }
        } else if shared.queue.available_permits() == 0 {
            return Err(
                "memory queue full and no spool: Elasticsearch has not taken documents".to_owned(),
            );
        }
        Ok(())
    }

    /// Creates (or updates) the lifecycle policy and index template of `spec`.
    ///
    /// # Errors
    /// The request failed or Elasticsearch refused it.
    pub async fn ensure_index(&self, spec: &IndexSpec) -> Result<()> {
        crate::validate_index_name(&spec.name)?;
        let backend = self.shared.backend().await?;
        lifecycle::put_index(&self.shared.client, &backend, spec).await
    }

    /// What the sink found at the other end (flavour, version, lifecycle), once it has asked:
    /// before the first index setup or [`ensure_index`](Self::ensure_index).
    pub fn backend(&self) -> Option<lifecycle::Backend> {
        self.shared.backend.get().cloned()
    }

    /// Registers an index family whose policy and template the writer creates before it
    /// writes any document, retrying like a failed bulk request while Elasticsearch is away.
    /// Use this at start instead of [`ensure_index`](Self::ensure_index) when the service
    /// must come up without Elasticsearch.
    ///
    /// # Errors
    /// [`Error::InvalidIndexName`] for the spec's name.
    pub async fn register_index(&self, spec: IndexSpec) -> Result<()> {
        crate::validate_index_name(&spec.name)?;
        self.shared.setup.lock().await.push(spec);
        Ok(())
    }

    fn sender(&self) -> Result<mpsc::Sender<Job>> {
        self.intake
            .lock()
            .ok()
            .and_then(|tx| tx.clone())
            .ok_or(Error::Closed)
    }

    fn check_size(&self, bytes: usize) -> Result<u32> {
        let max = self.shared.config.max_queued_bytes;
        if bytes > max {
            return Err(Error::BatchExceedsQueue {
                bytes,
                max_bytes: max,
            });
        }
        Ok(bytes as u32)
    }

    fn enqueue(&self, tx: &mpsc::Sender<Job>, batch: Batch, bytes: usize) -> Result<Receipt> {
        let (tracker, receipt) = Tracker::new(batch.len());
        self.shared.metrics.documents_in.inc_by(batch.len() as u64);
        self.shared.metrics.queued_bytes.inc_by(bytes as i64);
        tx.try_send(Job { batch, tracker })
            .map_err(|_| Error::Closed)?;
        Ok(receipt)
    }

    /// Hands a batch to the writer, waiting while the memory bound is taken. The receipt
    /// resolves when every document is stored, spooled, rejected or dropped.
    ///
    /// # Errors
    /// [`Error::Closed`] after [`close`](Self::close); [`Error::BatchExceedsQueue`].
    pub async fn submit(&self, batch: Batch) -> Result<Receipt> {
        let bytes = batch.byte_len();
        let permits = self.check_size(bytes)?;
        let tx = self.sender()?;
        if bytes > 0 {
            self.shared
                .queue
                .acquire_many(permits)
                .await
                .map_err(|_| Error::Closed)?
                .forget();
        }
        let tx = tx.reserve_owned().await.map_err(|_| Error::Closed)?;
        let (tracker, receipt) = Tracker::new(batch.len());
        self.shared.metrics.documents_in.inc_by(batch.len() as u64);
        self.shared.metrics.queued_bytes.inc_by(bytes as i64);
        tx.send(Job { batch, tracker });
        Ok(receipt)
    }

    /// Like [`submit`](Self::submit) without waiting.
    ///
    /// # Errors
    /// [`Error::QueueFull`] when the memory bound is taken.
    pub fn try_submit(&self, batch: Batch) -> Result<Receipt> {
        let bytes = batch.byte_len();
        let permits = self.check_size(bytes)?;
        let tx = self.sender()?;
        if bytes > 0 {
            self.shared
                .queue
                .try_acquire_many(permits)
                .map_err(|_| Error::QueueFull {
                    max_bytes: self.shared.config.max_queued_bytes,
                })?
                .forget();
        }
        self.enqueue(&tx, batch, bytes)
    }

    /// Answers an aggregation query.
    ///
    /// # Errors
    /// An invalid query, a failed request, or too many groups.
    pub async fn query(&self, query: &AggQuery) -> Result<Vec<AggRow>> {
        search::run(
            &self.shared.client,
            query,
            self.shared.config.max_query_groups,
        )
        .await
    }

    /// Answers a document search.
    ///
    /// # Errors
    /// An invalid search or a failed request.
    pub async fn find(&self, find: &crate::Find) -> Result<Vec<serde_json::Value>> {
        crate::find::es::run(&self.shared.client, find).await
    }

    /// Stops taking documents, writes what is queued, and waits up to `grace` for Elasticsearch
    /// to take it; what it has not taken by then goes to the spool (or is counted as dropped
    /// when there is none).
    pub async fn close(&self, grace: Duration) {
        if let Ok(mut tx) = self.intake.lock() {
            tx.take();
        }
        let Some(tasks) = self.tasks.lock().await.take() else {
            return;
        };
        let mut batcher = tasks.batcher;
        tokio::select! {
            _ = &mut batcher => {}
            () = tokio::time::sleep(grace) => {
                tracing::warn!(message = "Elasticsearch did not take every document within the shutdown grace period; spooling the rest.", grace_secs = grace.as_secs_f64());
                self.shared.give_up.cancel();
                let _ = batcher.await;
            }
        }
        self.shared.give_up.cancel();
        let _ = tasks.replayer.await;
    }
}
