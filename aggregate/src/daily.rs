//! How a minute service names what it writes: the daily index `<prefix><YYYYMMDD>` and document
//! ids that keep replicas, restarts and repeated closes apart while a replay of one close
//! rewrites the same ids.

use serde_json::Value;
use sink::{DocId, IndexSpec, doc_id};
use stamp::Minute;

use crate::Flush;

/// The index family and the identity parts of every document id.
#[derive(Debug, Clone)]
pub struct DailyIndex {
    /// Index prefix (`tars_stat_`); the daily index is the prefix and `YYYYMMDD`.
    pub index_prefix: String,
    /// This replica's identity (`source_id`): queries sum across replicas.
    pub source_id: String,
    /// Distinguishes this process's documents from an earlier run's for the same minute, so a
    /// restart within a minute does not overwrite what was written before it.
    pub boot_id: [u8; 8],
}

impl DailyIndex {
    /// The index of `minute`'s documents.
    pub fn index(&self, minute: &Minute) -> String {
        format!("{}{}", self.index_prefix, minute.date)
    }

    /// The id of the document of window key `key` in `flush` (and of one of its parts, such as a
    /// property policy, when a key makes several documents).
    pub fn doc_id(&self, flush: &Flush<'_>, key: &[u8], part: Option<&[u8]>) -> DocId {
        let seq = flush.seq.to_le_bytes();
        let parts: [&[u8]; 7] = [
            self.source_id.as_bytes(),
            &self.boot_id,
            &seq,
            flush.minute.date.as_bytes(),
            flush.minute.tflag.as_bytes(),
            key,
            part.unwrap_or_default(),
        ];
        // Without a part the id is of the first six, as before parts existed.
        doc_id(&parts[..if part.is_some() { 7 } else { 6 }])
    }

    /// The family's index template and lifecycle policy: `<prefix>*`, deleted after
    /// `delete_after`, with `mappings` (`{"properties": ...}`).
    pub fn spec(&self, delete_after: &str, mappings: Value) -> IndexSpec {
        IndexSpec {
            name: self.index_prefix.clone(),
            patterns: vec![format!("{}*", self.index_prefix)],
            delete_after: delete_after.into(),
            data_stream: false,
            mappings: Some(mappings),
        }
    }
}
