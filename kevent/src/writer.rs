//! The writer: events from the watches → documents → batches → the sink.
//!
//! A batch goes to the sink when it holds `batch_max_docs` documents or when its first
//! document has waited `batch_max_delay`. Event versions already written (remembered by id)
//! are skipped, so a relist writes only what is new. When the sink loses documents (its spool
//! full, or it is shut down) their ids are forgotten, so the next relist offers them again.

use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::Event;
use sink::{Batch, DocId, Outcome, Sink};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::document::{self, document, document_id};
use crate::metrics::Metrics;
use crate::remembered::Remembered;

/// Turns the watches' events into batches of documents.
#[derive(Debug)]
pub(crate) struct Writer {
    pub(crate) sink: Sink,
    pub(crate) index: String,
    pub(crate) max_docs: usize,
    pub(crate) max_delay: Duration,
    pub(crate) remembered: Remembered,
    pub(crate) metrics: Metrics,
}

/// A submitted batch: resolves to its outcome and the keys of its documents.
type Settling = BoxFuture<'static, (Option<Outcome>, Vec<DocId>)>;

/// The batch being filled: its documents, their remembered keys and when it must go.
struct Pending {
    batch: Batch,
    keys: Vec<DocId>,
    due: Option<Instant>,
}

impl Writer {
    /// Writes until `intake` closes (every watch has ended), then hands the last batch to the
    /// sink. Outcomes still outstanding then are not waited for (the sink writes them all the
    /// same).
    pub(crate) async fn run(mut self, mut intake: mpsc::Receiver<Event>) {
        let mut pending = Pending {
            batch: Batch::new(),
            keys: Vec::new(),
            due: None,
        };
        let mut outcomes: FuturesUnordered<Settling> = FuturesUnordered::new();
        loop {
            let due = pending.due;
            tokio::select! {
                Some((outcome, keys)) = outcomes.next(), if !outcomes.is_empty() => {
                    self.settled(outcome, &keys);
                }
                event = intake.recv() => {
                    let Some(event) = event else { break };
                    self.add(&event, &mut pending);
                    if pending.batch.len() >= self.max_docs {
                        outcomes.extend(self.flush(&mut pending).await);
                    }
                }
                () = sleep_until(due), if due.is_some() => {
                    outcomes.extend(self.flush(&mut pending).await);
                }
            }
        }
        self.flush(&mut pending).await;
    }

    /// Adds one event's document to the batch, unless it is already written or unusable.
    fn add(&mut self, event: &Event, pending: &mut Pending) {
        let id = match document_id(event) {
            Ok(id) => id,
            Err(skip) => {
                self.metrics.skip(skip.reason(), 1);
                tracing::trace!(
                    message = "Event without a usable id skipped.",
                    name = event.metadata.name.as_deref().unwrap_or_default(),
                    reason = skip.reason(),
                );
                return;
            }
        };
        let key = Remembered::key(&id);
        if self.remembered.contains(&key) {
            self.metrics.skip("already_written", 1);
            return;
        }
        let doc = document(event, document::now_ms());
        if let Err(error) = document::push(&mut pending.batch, &self.index, &id, &doc) {
            self.metrics.skip("invalid_id", 1);
            tracing::warn!(message = "Event not writable as a document; skipped.", %error, id);
            return;
        }
        let forgotten = self.remembered.insert(key);
        self.metrics.forgotten.inc_by(forgotten as u64);
        self.metrics.remembered.set(self.remembered.len() as i64);
        pending.keys.push(key);
        if pending.due.is_none() {
            pending.due = Some(Instant::now() + self.max_delay);
        }
    }

    /// Hands the batch to the sink; the future resolves to its outcome and keys.
    async fn flush(&mut self, pending: &mut Pending) -> Option<Settling> {
        pending.due = None;
        if pending.batch.is_empty() {
            return None;
        }
        let batch = std::mem::take(&mut pending.batch);
        let keys = std::mem::take(&mut pending.keys);
        let docs = batch.len() as u64;
        self.metrics.documents.inc_by(docs);
        self.metrics.batches.inc();
        match self.sink.submit(batch).await {
            Ok(receipt) => Some(async move { (receipt.await.ok(), keys) }.boxed()),
            Err(error) => {
                tracing::error!(message = "Sink refused event documents.", %error, docs);
                self.settled(None, &keys);
                None
            }
        }
    }

    /// Counts what the sink lost and forgets those ids, so that a relist offers them again;
    /// `None` when the sink is gone (nothing of the batch is known to be stored).
    fn settled(&mut self, outcome: Option<Outcome>, keys: &[DocId]) {
        let lost = match outcome {
            Some(outcome) if outcome.dropped == 0 => {
                // Rejected documents are in the sink's dead-letter file: writing them again
                // would be refused again.
                if outcome.rejected > 0 {
                    self.metrics.dropped("sink", u64::from(outcome.rejected));
                }
                return;
            }
            Some(outcome) => u64::from(outcome.dropped + outcome.rejected),
            None => keys.len() as u64,
        };
        self.metrics.dropped("sink", lost);
        // Which documents of the batch were lost is not known: forget them all (the stored
        // ones written again are kept once by the store, `create` refusing duplicates).
        for key in keys {
            self.remembered.forget(key);
        }
        self.metrics.remembered.set(self.remembered.len() as i64);
    }
}

async fn sleep_until(due: Option<Instant>) {
    if let Some(due) = due {
        tokio::time::sleep_until(due).await;
    }
}
