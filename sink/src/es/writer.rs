//! The bulk writer: intake queue → batcher → bulk requests with per-item retries → spool.
//!
//! ```text
//! submit ─(byte-bounded queue)─► batcher ─► deliver (≤ max_in_flight at once)
//!                                               │ per item: stored | retry | rejected → dead letter
//!                                               │ still failing after spool_after (or memory full)
//!                                               ▼
//!                                             spool ─► replayer (oldest first, when the store answers)
//! ```
//! Memory is bounded by `max_queued_bytes`: bytes are taken when a batch is submitted and
//! given back as its documents are stored, rejected, spooled or dropped.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::bulk::{ItemFate, classify, is_retriable};
use super::client::Client;
use super::lifecycle::{self, Backend};
use crate::ack::{Settled, Tracker};
use crate::config::{EsConfig, FullPolicy};
use crate::dead_letter::DeadLetter;
use crate::spool::{AppendError, Position, Spool};
use crate::{Batch, Metrics};

/// A submitted batch on its way to the batcher.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) batch: Batch,
    pub(crate) tracker: Arc<Tracker>,
}

/// One bulk request's documents and whom to tell about each.
#[derive(Debug, Default)]
struct Bulk {
    batch: Batch,
    /// Per document: index into `trackers` (empty for replays, which nobody waits for).
    owners: Vec<u32>,
    trackers: Vec<Arc<Tracker>>,
}

impl Bulk {
    fn push_from(&mut self, job: &Job, i: usize) {
        let same = self
            .trackers
            .last()
            .is_some_and(|t| Arc::ptr_eq(t, &job.tracker));
        if !same {
            self.trackers.push(job.tracker.clone());
        }
        self.owners.push((self.trackers.len() - 1) as u32);
        self.batch.push_from(&job.batch, i);
    }

    fn settle(&self, i: usize, how: Settled) {
        if let Some(&owner) = self.owners.get(i) {
            self.trackers[owner as usize].settle(how, 1);
        }
    }

    fn settle_all(&self, how: Settled) {
        for i in 0..self.batch.len() {
            self.settle(i, how);
        }
    }

    /// The documents at `keep`, copied into a new bulk.
    fn subset(&self, keep: &[usize]) -> Self {
        let mut next = Self {
            batch: Batch::with_capacity(self.batch.byte_len(), keep.len()),
            owners: Vec::with_capacity(if self.owners.is_empty() {
                0
            } else {
                keep.len()
            }),
            trackers: self.trackers.clone(),
        };
        for &i in keep {
            next.batch.push_from(&self.batch, i);
            if let Some(&owner) = self.owners.get(i) {
                next.owners.push(owner);
            }
        }
        next
    }
}

/// Everything the writer's tasks share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: EsConfig,
    pub(crate) client: Client,
    pub(crate) metrics: Metrics,
    /// Free bytes of the memory bound.
    pub(crate) queue: Arc<Semaphore>,
    pub(crate) spool: Option<Arc<Mutex<Spool>>>,
    pub(crate) spooled: Notify,
    pub(crate) dead_letter: Mutex<DeadLetter>,
    /// Fired when the grace period of a shutdown is over: deliveries stop retrying and spool.
    pub(crate) give_up: CancellationToken,
    /// Index templates to create before any document is written (see `EsSink::register_index`).
    pub(crate) setup: tokio::sync::Mutex<Vec<crate::IndexSpec>>,
    /// What `GET /` and the lifecycle probe found; asked once, before the first index setup.
    pub(crate) backend: tokio::sync::OnceCell<Backend>,
}

impl Shared {
    /// The server's flavour and lifecycle, asked for on first use (and again after a failed
    /// attempt).
    pub(crate) async fn backend(&self) -> crate::Result<Backend> {
        self.backend
            .get_or_try_init(|| lifecycle::identify(&self.client, &self.config, &self.metrics))
            .await
            .cloned()
    }

    fn release(&self, bytes: usize) {
        self.queue.add_permits(bytes);
        self.metrics.queued_bytes.dec_by(bytes as i64);
    }

    fn under_pressure(&self) -> bool {
        self.queue.available_permits() < self.config.max_bulk_bytes
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.config.retry_initial_backoff_ms;
        let max = self.config.retry_max_backoff_ms;
        let full = base
            .saturating_mul(1 << attempt.clamp(1, 30).saturating_sub(1))
            .min(max);
        // Jitter between half and all of the delay, so that writers do not retry in lockstep.
        Duration::from_millis(full / 2 + fastrand::u64(0..=full / 2))
    }
}

/// Collects jobs into bulks and starts a delivery per bulk, at most `max_in_flight_requests`
/// at once. Ends when the intake closes, after every delivery has ended.
pub(crate) async fn run_batcher(shared: Arc<Shared>, mut intake: mpsc::Receiver<Job>) {
    let in_flight = Arc::new(Semaphore::new(shared.config.max_in_flight_requests));
    let mut deliveries = JoinSet::new();
    let flush_after = Duration::from_millis(shared.config.flush_interval_ms);
    let mut bulk = Bulk::default();
    let mut deadline = None;
    loop {
        let job = match deadline {
            Some(at) => tokio::select! {
                job = intake.recv() => job,
                () = tokio::time::sleep_until(at) => {
                    dispatch(&shared, &in_flight, &mut deliveries, std::mem::take(&mut bulk)).await;
                    deadline = None;
                    continue;
                }
            },
            None => intake.recv().await,
        };
        let Some(job) = job else { break };
        for i in 0..job.batch.len() {
            if bulk.batch.is_empty() {
                deadline = Some(tokio::time::Instant::now() + flush_after);
            }
            bulk.push_from(&job, i);
            if bulk.batch.byte_len() >= shared.config.max_bulk_bytes
                || bulk.batch.len() >= shared.config.max_bulk_docs
            {
                dispatch(
                    &shared,
                    &in_flight,
                    &mut deliveries,
                    std::mem::take(&mut bulk),
                )
                .await;
                deadline = None;
            }
        }
        // Reap finished deliveries so the set does not grow.
        while deliveries.try_join_next().is_some() {}
    }
    if !bulk.batch.is_empty() {
        dispatch(&shared, &in_flight, &mut deliveries, bulk).await;
    }
    while deliveries.join_next().await.is_some() {}
}

async fn dispatch(
    shared: &Arc<Shared>,
    in_flight: &Arc<Semaphore>,
    deliveries: &mut JoinSet<()>,
    bulk: Bulk,
) {
    let Ok(permit) = in_flight.clone().acquire_owned().await else {
        return;
    };
    let shared = shared.clone();
    deliveries.spawn(async move {
        deliver(&shared, bulk, false).await;
        drop(permit);
    });
}

/// Sends a bulk until every document is stored or rejected. Live bulks (`replay == false`) go
/// to the spool when they keep failing; replays keep retrying. Returns whether every document
/// was settled (a replay returns `false` when told to give up).
async fn deliver(shared: &Shared, mut bulk: Bulk, replay: bool) -> bool {
    let started = Instant::now();
    let spool_after = Duration::from_secs(shared.config.spool_after_secs);
    let mut attempt = 0u32;
    loop {
        let retry = attempt_bulk(shared, &bulk, replay).await;
        if !replay {
            let settled = bulk.batch.byte_len() - retry_bytes(&bulk, &retry);
            shared.release(settled);
        }
        if retry.is_empty() {
            return true;
        }
        bulk = if retry.len() == bulk.batch.len() {
            bulk
        } else {
            bulk.subset(&retry)
        };
        attempt += 1;
        shared.metrics.documents_retried.inc_by(retry.len() as u64);
        if shared.give_up.is_cancelled() && replay {
            return false;
        }
        let long_enough = started.elapsed() >= spool_after || shared.under_pressure();
        if !replay && (long_enough || shared.give_up.is_cancelled()) {
            match spool_or_drop(shared, bulk).await {
                None => return true,
                Some(back) => bulk = back,
            }
        }
        tokio::select! {
            () = tokio::time::sleep(shared.backoff(attempt)) => {}
            () = shared.give_up.cancelled() => {}
        }
    }
}

fn retry_bytes(bulk: &Bulk, retry: &[usize]) -> usize {
    retry
        .iter()
        .filter_map(|&i| bulk.batch.get(i))
        .map(|d| d.ndjson.len())
        .sum()
}

/// Creates the registered index templates that do not exist yet. Documents are written only
/// after this succeeds, so that no index is created by dynamic mapping before its template.
async fn set_up(shared: &Shared) -> bool {
    let mut pending = shared.setup.lock().await;
    if pending.is_empty() {
        return true;
    }
    let backend = match shared.backend().await {
        Ok(backend) => backend,
        Err(error) => {
            shared.metrics.bulk("setup_error");
            tracing::warn!(message = "Document store not identified yet (GET /); documents wait.", %error);
            return false;
        }
    };
    while let Some(spec) = pending.last() {
        if let Err(error) = lifecycle::put_index(&shared.client, &backend, spec).await {
            shared.metrics.bulk("setup_error");
            tracing::warn!(message = "Index template not created yet; documents wait.", name = %spec.name, %error);
            return false;
        }
        tracing::info!(message = "Index template and lifecycle policy created.", name = %spec.name, lifecycle = backend.lifecycle.as_str());
        pending.pop();
    }
    true
}

/// One bulk request. Settles what was stored or rejected; returns the positions to retry.
async fn attempt_bulk(shared: &Shared, bulk: &Bulk, replay: bool) -> Vec<usize> {
    let all = || (0..bulk.batch.len()).collect::<Vec<_>>();
    if !set_up(shared).await {
        return all();
    }
    let body = Bytes::copy_from_slice(bulk.batch.ndjson());
    let started = Instant::now();
    let answer = shared
        .client
        .send(
            reqwest::Method::POST,
            "/_bulk",
            "application/x-ndjson",
            Some(body),
        )
        .await;
    shared
        .metrics
        .bulk_seconds
        .observe(started.elapsed().as_secs_f64());
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            shared.metrics.bulk("transport_error");
            tracing::warn!(message = "Bulk request failed; will retry.", %error, docs = bulk.batch.len());
            return all();
        }
    };
    if !answer.is_ok() {
        shared.metrics.bulk("error_status");
        tracing::warn!(
            message = "Bulk request refused; will retry.",
            status = answer.status,
            body = %answer.body_text(),
            docs = bulk.batch.len()
        );
        if is_retriable(answer.status) || matches!(answer.status, 401 | 403 | 404) {
            // 401/403/404: credentials or an index being set up; an operator can fix these, so
            // the documents are kept (retried, then spooled) rather than refused.
            return all();
        }
        for i in 0..bulk.batch.len() {
            reject(shared, bulk, i, answer.status, &answer.body_text());
        }
        return Vec::new();
    }
    let Some(fates) = classify(&answer.body, bulk.batch.len()) else {
        shared.metrics.bulk("unreadable");
        tracing::warn!(message = "Bulk answer unreadable; will retry.", body = %answer.body_text());
        return all();
    };
    shared.metrics.bulk("ok");
    let mut retry = Vec::new();
    let mut stored = 0u64;
    for (i, fate) in fates.into_iter().enumerate() {
        match fate {
            ItemFate::Stored => {
                stored += 1;
                bulk.settle(i, Settled::Stored);
            }
            ItemFate::Retry => retry.push(i),
            ItemFate::Reject { status, reason } => reject(shared, bulk, i, status, &reason),
        }
    }
    shared.metrics.documents_stored.inc_by(stored);
    if replay {
        shared.metrics.documents_replayed.inc_by(stored);
    }
    retry
}

fn reject(shared: &Shared, bulk: &Bulk, i: usize, status: u16, reason: &str) {
    let Some(doc) = bulk.batch.get(i) else { return };
    let kept = shared
        .dead_letter
        .lock()
        .map_err(|_| ())
        .and_then(|mut dl| {
            dl.write(&doc, status, reason).map_err(|error| {
                tracing::error!(message = "Dead-letter file not writable.", %error);
            })
        });
    if kept == Ok(true) {
        shared.metrics.documents_rejected.inc();
        tracing::warn!(
            message = "Document refused by Elasticsearch; kept in the dead-letter file.",
            index = doc.index,
            id = doc.id,
            status,
            reason
        );
        bulk.settle(i, Settled::Rejected);
    } else {
        shared.metrics.dropped("rejected_dead_letter_full", 1);
        tracing::error!(
            message = "Document refused by Elasticsearch and the dead-letter file is full or failing; dropped.",
            index = doc.index,
            id = doc.id,
            status,
            reason
        );
        bulk.settle(i, Settled::Dropped);
    }
}

/// Spools the bulk, or drops it when the spool is full under `drop_newest` (or there is no
/// spool and the writer is giving up). Returns the bulk when it must stay in memory.
async fn spool_or_drop(shared: &Shared, bulk: Bulk) -> Option<Bulk> {
    let docs = bulk.batch.len();
    let bytes = bulk.batch.byte_len();
    let Some(spool) = shared.spool.clone() else {
        if shared.give_up.is_cancelled() {
            shared.metrics.dropped("shutdown", docs);
            tracing::error!(
                message = "Shutting down with documents Elasticsearch did not take and no spool; dropped.",
                docs
            );
            bulk.settle_all(Settled::Dropped);
            shared.release(bytes);
            return None;
        }
        return Some(bulk);
    };
    let (bulk, result) = tokio::task::spawn_blocking(move || {
        let result = match spool.lock() {
            Ok(mut spool) => spool.append(&bulk.batch).map(|()| spool.bytes()),
            Err(_) => Err(AppendError::Io(crate::Error::Closed)),
        };
        (bulk, result)
    })
    .await
    .ok()?;
    match result {
        Ok(spool_bytes) => {
            shared.metrics.documents_spooled.inc_by(docs as u64);
            shared.metrics.spool_bytes.set(spool_bytes as i64);
            tracing::info!(
                message = "Documents spooled while Elasticsearch does not take them.",
                docs
            );
            bulk.settle_all(Settled::Spooled);
            shared.release(bytes);
            shared.spooled.notify_one();
            None
        }
        Err(AppendError::Full)
            if shared.config.spool.full_policy == FullPolicy::DropNewest
                || shared.give_up.is_cancelled() =>
        {
            shared.metrics.dropped("spool_full", docs);
            tracing::error!(message = "Spool full; documents dropped.", docs, policy = ?shared.config.spool.full_policy);
            bulk.settle_all(Settled::Dropped);
            shared.release(bytes);
            None
        }
        Err(AppendError::Full) => Some(bulk),
        Err(AppendError::Io(error)) => {
            tracing::error!(message = "Spool not writable; keeping documents in memory.", %error);
            if shared.give_up.is_cancelled() {
                shared.metrics.dropped("spool_error", docs);
                bulk.settle_all(Settled::Dropped);
                shared.release(bytes);
                return None;
            }
            Some(bulk)
        }
    }
}

/// Replays the spool, oldest record first, whenever it holds something. Ends when told to give
/// up; what is not replayed stays on disk for the next start.
pub(crate) async fn run_replayer(shared: Arc<Shared>) {
    let Some(spool) = shared.spool.clone() else {
        return;
    };
    loop {
        if shared.give_up.is_cancelled() {
            return;
        }
        let next = {
            let spool = spool.clone();
            tokio::task::spawn_blocking(move || {
                spool.lock().ok().map(|mut s| (s.peek(), s.bytes()))
            })
            .await
        };
        let (position, batch) = match next {
            Ok(Some((Ok(Some(record)), _))) => record,
            Ok(Some((Ok(None), bytes))) => {
                shared.metrics.spool_bytes.set(bytes as i64);
                tokio::select! {
                    () = shared.spooled.notified() => {}
                    () = shared.give_up.cancelled() => return,
                }
                continue;
            }
            Ok(Some((Err(error), _))) => {
                shared.metrics.dropped("spool_unreadable", 1);
                tracing::error!(message = "Spool record unreadable; skipped.", %error);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Ok(None) | Err(_) => return,
        };
        let bulk = Bulk {
            batch,
            ..Bulk::default()
        };
        if !deliver(&shared, bulk, true).await {
            return;
        }
        commit(&spool, position, &shared.metrics).await;
    }
}

async fn commit(spool: &Arc<Mutex<Spool>>, position: Position, metrics: &Metrics) {
    let spool = spool.clone();
    let result = tokio::task::spawn_blocking(move || {
        spool
            .lock()
            .ok()
            .map(|mut s| (s.commit(position), s.bytes()))
    })
    .await;
    if let Ok(Some((result, bytes))) = result {
        metrics.spool_bytes.set(bytes as i64);
        if let Err(error) = result {
            tracing::error!(message = "Replayed spool segment not removable.", %error);
        }
    }
}
