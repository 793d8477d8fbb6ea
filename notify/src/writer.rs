//! The writer: queued records → batches of documents → the sink.

use sink::{Batch, Sink, doc_id};
use tokio::sync::mpsc;

use crate::metrics::Metrics;
use crate::record::Record;

/// Takes records from the servant and writes them as documents. Ends when every servant is
/// gone and the queue is empty.
#[derive(Debug)]
pub struct NotifyWriter {
    pub(crate) intake: mpsc::Receiver<Record>,
    pub(crate) sink: Sink,
    pub(crate) index: String,
    pub(crate) tz: jiff::tz::TimeZone,
    pub(crate) source_id: String,
    pub(crate) boot_id: [u8; 8],
    pub(crate) batch_records: usize,
    pub(crate) metrics: Metrics,
}

impl NotifyWriter {
    /// Writes until the intake closes.
    pub async fn run(mut self) {
        let mut seq = 0u64;
        let mut records = Vec::with_capacity(self.batch_records);
        while self
            .intake
            .recv_many(&mut records, self.batch_records)
            .await
            > 0
        {
            let mut batch = Batch::with_capacity(records.len() * 400, records.len());
            for record in records.drain(..) {
                let id = doc_id(&[self.source_id.as_bytes(), &self.boot_id, &seq.to_le_bytes()]);
                seq += 1;
                if let Err(error) = record.write(&self.index, id.as_str(), &self.tz, &mut batch) {
                    self.metrics.dropped("unwritable", 1);
                    tracing::error!(message = "Alarm not writable as a document; dropped.", %error);
                }
            }
            self.submit(batch).await;
        }
    }

    async fn submit(&self, batch: Batch) {
        let docs = batch.len() as u64;
        self.metrics.documents.inc_by(docs);
        match self.sink.submit(batch).await {
            Ok(receipt) => {
                let metrics = self.metrics.clone();
                tokio::spawn(async move {
                    if let Ok(outcome) = receipt.await {
                        let lost = u64::from(outcome.dropped + outcome.rejected);
                        if lost > 0 {
                            metrics.dropped("sink", lost);
                        }
                    }
                });
            }
            Err(error) => {
                self.metrics.dropped("sink", docs);
                tracing::error!(message = "Sink refused alarm documents.", %error, docs);
            }
        }
    }
}
