//! The sink's errors.

use std::path::PathBuf;

/// What went wrong in the sink.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An index or data stream name breaks Elasticsearch's naming rules.
    #[error("invalid index name {0:?}: lowercase ASCII without \\ / * ? \" < > | , # : or spaces")]
    InvalidIndexName(Box<str>),
    /// A document id has characters other than ASCII letters, digits, `-_.:` or is too long.
    #[error("invalid document id {0:?}")]
    InvalidDocId(Box<str>),
    /// A batch grew past 4 GiB.
    #[error("batch larger than 4 GiB")]
    BatchTooLarge,
    /// NDJSON text (a spool record) is not what this crate writes.
    #[error("malformed batch text at byte {offset}: {reason}")]
    MalformedBatch {
        /// Where in the text.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The sink has shut down and takes no more documents.
    #[error("sink is shut down")]
    Closed,
    /// The intake queue is full (only from `try_submit`).
    #[error("sink queue is full ({max_bytes} bytes queued)")]
    QueueFull {
        /// The configured bound.
        max_bytes: usize,
    },
    /// A batch is larger than the whole intake queue.
    #[error("batch of {bytes} bytes exceeds the queue bound of {max_bytes} bytes")]
    BatchExceedsQueue {
        /// The batch size.
        bytes: usize,
        /// The configured bound.
        max_bytes: usize,
    },
    /// The configuration is invalid.
    #[error("invalid sink configuration: {0}")]
    InvalidConfig(String),
    /// A query names a field that is not a plain field name.
    #[error("invalid field name {0:?} in query")]
    InvalidField(Box<str>),
    /// A document search is malformed (a limit or range out of bounds, nesting too deep).
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A query asks for more groups than the configured bound.
    #[error("query produced more than {max} groups")]
    TooManyGroups {
        /// The configured bound.
        max: usize,
    },
    /// A file of the spool or dead-letter store could not be used.
    #[error("{op} {path}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// Which file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The SQLite store failed.
    #[error("sqlite {op}")]
    Sqlite {
        /// What was being done.
        op: &'static str,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// An Elasticsearch request could not be sent or its answer not read.
    #[error("elasticsearch request {op} failed")]
    Http {
        /// The request.
        op: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// Elasticsearch answered with an error status.
    #[error("elasticsearch {op} answered {status}: {body}")]
    Status {
        /// The request.
        op: String,
        /// The HTTP status.
        status: u16,
        /// The start of the answer body.
        body: String,
    },
    /// Elasticsearch's answer is not the JSON expected.
    #[error("elasticsearch {op} answered unexpected JSON: {reason}")]
    UnexpectedResponse {
        /// The request.
        op: String,
        /// What was wrong.
        reason: String,
    },
}

impl Error {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn sqlite(op: &'static str) -> impl FnOnce(rusqlite::Error) -> Self {
        move |source| Self::Sqlite { op, source }
    }
}

/// The sink's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
