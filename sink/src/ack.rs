//! Acknowledgements: what became of a submitted batch.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use crate::{Error, Result};

/// What became of every document of one batch.
///
/// `stored + spooled + rejected + dropped` is the batch length. Stored and spooled documents are
/// safe (spooled ones are on disk and will be written when the store is back); rejected ones
/// were refused by the store for good (a mapping error, say) and are in the dead-letter file;
/// dropped ones are lost, which happens only when the spool is full under the `drop_newest`
/// policy. Every category is also counted in the sink's metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Acknowledged by the store.
    pub stored: u32,
    /// Written to the disk spool, to be replayed.
    pub spooled: u32,
    /// Refused by the store permanently; kept in the dead-letter file.
    pub rejected: u32,
    /// Lost (spool full, or the dead-letter file full).
    pub dropped: u32,
}

impl Outcome {
    /// Whether every document is stored or safely spooled.
    pub fn is_safe(&self) -> bool {
        self.rejected == 0 && self.dropped == 0
    }
}

/// Resolves to the [`Outcome`] of a submitted batch once every document has one.
///
/// Dropping a receipt does not cancel anything: the documents are written all the same.
#[derive(Debug)]
pub struct Receipt(oneshot::Receiver<Outcome>);

impl Future for Receipt {
    type Output = Result<Outcome>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.map_err(|_| Error::Closed))
    }
}

/// How one document ended.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Settled {
    Stored,
    Spooled,
    Rejected,
    Dropped,
}

/// Counts settled documents of one batch and sends the outcome when the last one settles.
#[derive(Debug)]
pub(crate) struct Tracker {
    remaining: AtomicUsize,
    counts: [AtomicU32; 4],
    tx: Mutex<Option<oneshot::Sender<Outcome>>>,
}

impl Tracker {
    pub(crate) fn new(docs: usize) -> (std::sync::Arc<Self>, Receipt) {
        let (tx, rx) = oneshot::channel();
        let tracker = std::sync::Arc::new(Self {
            remaining: AtomicUsize::new(docs),
            counts: Default::default(),
            tx: Mutex::new(Some(tx)),
        });
        if docs == 0 {
            tracker.finish();
        }
        (tracker, Receipt(rx))
    }

    pub(crate) fn settle(&self, how: Settled, docs: usize) {
        if docs == 0 {
            return;
        }
        self.counts[how as usize].fetch_add(docs as u32, Ordering::Relaxed);
        if self.remaining.fetch_sub(docs, Ordering::AcqRel) == docs {
            self.finish();
        }
    }

    fn finish(&self) {
        let count = |i: usize| self.counts[i].load(Ordering::Relaxed);
        let outcome = Outcome {
            stored: count(Settled::Stored as usize),
            spooled: count(Settled::Spooled as usize),
            rejected: count(Settled::Rejected as usize),
            dropped: count(Settled::Dropped as usize),
        };
        let tx = self.tx.lock().map(|mut tx| tx.take()).unwrap_or_default();
        if let Some(tx) = tx {
            // The submitter may have dropped its receipt; that is allowed.
            let _ = tx.send(outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_outcome_arrives_when_the_last_document_settles() {
        let (t, receipt) = Tracker::new(5);
        t.settle(Settled::Stored, 2);
        t.settle(Settled::Spooled, 2);
        t.settle(Settled::Rejected, 1);
        let outcome = receipt.await.expect("settled");
        assert_eq!(
            outcome,
            Outcome {
                stored: 2,
                spooled: 2,
                rejected: 1,
                dropped: 0
            }
        );
        assert!(!outcome.is_safe());
    }

    #[tokio::test]
    async fn an_empty_batch_settles_at_once() {
        let (_t, receipt) = Tracker::new(0);
        assert_eq!(receipt.await.expect("settled"), Outcome::default());
    }
}
