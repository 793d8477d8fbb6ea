//! Closing windows on the minute and handing their documents to the sink.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sink::{Batch, Sink};
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::window::Window;
use stamp::{Minute, MinuteClock};

/// Documents per batch handed to the sink (the sink bounds its queue in bytes; a minute of
/// 100k keys is cut into batches it can take).
pub const DOCS_PER_BATCH: usize = 5_000;

/// One window close: what every document of it is stamped with.
#[derive(Debug, Clone, Copy)]
pub struct Flush<'a> {
    /// The minute the window covered.
    pub minute: &'a Minute,
    /// When it was closed, Unix seconds (`f_timestamp`).
    pub flushed_at: i64,
    /// The daily index of this close's documents ([`Documents::index`]), computed once.
    pub index: &'a str,
    /// The process-wide number of this close. Part of document ids, with the replica identity
    /// and the process's boot id, so that no two closes ever write the same id (a second close
    /// of the same minute adds documents; queries sum them) while a replay of one close's batch
    /// rewrites the same ids.
    pub seq: u64,
}

/// How a service turns one aggregate into documents.
pub trait Documents: Send + Sync + 'static {
    /// The aggregate.
    type Value: Send + 'static;

    /// The index the documents of `minute` go to (e.g. `tars_stat_20240328`).
    fn index(&self, minute: &Minute) -> String;

    /// Appends the documents of `key`'s aggregate, closed by `flush`, to `batch`.
    ///
    /// # Errors
    /// A key that does not decode, or a document the sink refuses to build (an invalid index
    /// name, say).
    fn write(
        &self,
        flush: &Flush<'_>,
        key: &[u8],
        value: &Self::Value,
        batch: &mut Batch,
    ) -> Result<(), DocumentError>;
}

/// Why an aggregate could not become a document.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The window key does not decode as the report head it was encoded from.
    #[error("window key does not decode")]
    Key(#[source] tars_codec::Error),
    /// The sink refused the document.
    #[error("document refused")]
    Sink(#[source] sink::Error),
}

impl From<tars_codec::Error> for DocumentError {
    fn from(e: tars_codec::Error) -> Self {
        Self::Key(e)
    }
}

impl From<sink::Error> for DocumentError {
    fn from(e: sink::Error) -> Self {
        Self::Sink(e)
    }
}

/// A window, its clock, and where its documents go.
#[derive(Debug)]
pub struct Aggregator<D: Documents> {
    window: Window<D::Value>,
    documents: D,
    clock: MinuteClock,
    sink: Sink,
    metrics: Metrics,
    flushes: std::sync::atomic::AtomicU64,
}

impl<D: Documents> Aggregator<D> {
    /// An aggregator with an empty window.
    pub fn new(
        window: Window<D::Value>,
        documents: D,
        clock: MinuteClock,
        sink: Sink,
        metrics: Metrics,
    ) -> Self {
        Self {
            window,
            documents,
            clock,
            sink,
            metrics,
            flushes: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The current window, for the servant to add to.
    pub fn window(&self) -> &Window<D::Value> {
        &self.window
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Closes the window on every minute boundary until `shutdown`, then flushes what the
    /// last (partial) minute holds.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut minute = self.clock.minute(unix_now());
        loop {
            let wait = Duration::from_millis(
                u64::try_from(minute.end() * 1000 - unix_now_ms()).unwrap_or(0),
            );
            let stop = tokio::select! {
                () = tokio::time::sleep(wait) => false,
                () = shutdown.cancelled() => true,
            };
            // Reports that arrive while this runs go to the next window.
            self.flush(&minute).await;
            if stop {
                return;
            }
            minute = self.clock.minute(unix_now().max(minute.end()));
        }
    }

    /// Takes the window and submits its documents stamped with `minute`. Returns the number of
    /// documents submitted.
    pub async fn flush(&self, minute: &Minute) -> usize {
        let started = std::time::Instant::now();
        let entries = self.window.take();
        if entries.is_empty() {
            return 0;
        }
        let index = self.documents.index(minute);
        let flush = Flush {
            minute,
            index: &index,
            flushed_at: unix_now(),
            seq: self
                .flushes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
        let mut docs = 0;
        for chunk in entries.chunks(DOCS_PER_BATCH) {
            let batch = self.build(&flush, chunk);
            docs += batch.len();
            self.submit(batch).await;
        }
        self.metrics.documents.inc_by(docs as u64);
        self.metrics
            .flush_seconds
            .observe(started.elapsed().as_secs_f64());
        tracing::debug!(message = "Window flushed.", date = %minute.date, tflag = %minute.tflag, keys = entries.len(), docs);
        docs
    }

    /// The documents of some entries of a taken window.
    pub fn build(&self, flush: &Flush<'_>, entries: &[(Box<[u8]>, D::Value)]) -> Batch {
        let mut batch = Batch::with_capacity(entries.len() * 512, entries.len());
        for (key, value) in entries {
            if let Err(error) = self.documents.write(flush, key, value, &mut batch) {
                self.metrics.dropped("unwritable", 1);
                tracing::error!(message = "Aggregate not writable as a document; dropped.", %error);
            }
        }
        batch
    }

    async fn submit(&self, batch: Batch) {
        let docs = batch.len();
        match self.sink.submit(batch).await {
            Ok(receipt) => {
                let metrics = self.metrics.clone();
                tokio::spawn(async move {
                    if let Ok(outcome) = receipt.await
                        && !outcome.is_safe()
                    {
                        metrics.dropped("sink", (outcome.dropped + outcome.rejected) as usize);
                    }
                });
            }
            Err(error) => {
                self.metrics.dropped("sink_closed", docs);
                tracing::error!(message = "Sink refused a window's documents.", %error, docs);
            }
        }
    }
}

fn unix_now() -> i64 {
    unix_now_ms().div_euclid(1000)
}

fn unix_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
