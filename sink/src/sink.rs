//! The one interface the services use, whichever store is configured.

use std::time::Duration;

use crate::config::Config;
use crate::{AggQuery, AggRow, Batch, EsSink, IndexSpec, Metrics, Receipt, Result, SqliteSink};

/// Where documents go: Elasticsearch or the embedded SQLite file. Clones share the store.
#[derive(Debug, Clone)]
pub enum Sink {
    /// Elasticsearch, through the bulk writer and its spool.
    Elasticsearch(EsSink),
    /// The embedded SQLite file.
    Sqlite(SqliteSink),
}

impl Sink {
    /// Starts the configured store: Elasticsearch when `elasticsearch.nodes` is set, otherwise
    /// the SQLite file. Needs a tokio runtime.
    ///
    /// # Errors
    /// An invalid configuration or a store that cannot be opened.
    pub fn start(config: &Config, metrics: Metrics) -> Result<Self> {
        config.validate()?;
        if config.elasticsearch.nodes.is_empty() {
            SqliteSink::open(&config.sqlite, metrics).map(Self::Sqlite)
        } else {
            EsSink::start(&config.elasticsearch, metrics).map(Self::Elasticsearch)
        }
    }

    /// Whether documents can be taken without loss: SQLite while its writer runs;
    /// Elasticsearch while the spool (or, without one, the memory queue) has room, whether or
    /// not Elasticsearch itself is reachable right now.
    ///
    /// # Errors
    /// Why not, for `/readyz`.
    pub fn readiness(&self) -> std::result::Result<(), String> {
        match self {
            Self::Elasticsearch(es) => es.readiness(),
            Self::Sqlite(db) => db.readiness(),
        }
    }

    /// What the store is, for `/readyz`: `OpenSearch 2.19.6, index lifecycle ISM` once the
    /// Elasticsearch writer has asked the server (`None` before that, and for SQLite).
    pub fn describe(&self) -> Option<String> {
        match self {
            Self::Elasticsearch(es) => es.backend().map(|b| b.to_string()),
            Self::Sqlite(_) => None,
        }
    }

    /// Creates the lifecycle policy and template of an index family (Elasticsearch only;
    /// the SQLite store needs none).
    ///
    /// # Errors
    /// Elasticsearch refused or could not be reached.
    pub async fn ensure_index(&self, spec: &IndexSpec) -> Result<()> {
        match self {
            Self::Elasticsearch(es) => es.ensure_index(spec).await,
            Self::Sqlite(_) => Ok(()),
        }
    }

    /// Registers an index family to be set up before the first document is written, retried
    /// while Elasticsearch is away (Elasticsearch only).
    ///
    /// # Errors
    /// An invalid index family name.
    pub async fn register_index(&self, spec: IndexSpec) -> Result<()> {
        match self {
            Self::Elasticsearch(es) => es.register_index(spec).await,
            Self::Sqlite(_) => crate::validate_index_name(&spec.name),
        }
    }

    /// Hands a batch to the store, waiting while its queue is full.
    ///
    /// # Errors
    /// The sink is closed, or the batch is larger than the whole queue.
    pub async fn submit(&self, batch: Batch) -> Result<Receipt> {
        match self {
            Self::Elasticsearch(es) => es.submit(batch).await,
            Self::Sqlite(db) => db.submit(batch).await,
        }
    }

    /// Hands a batch to the store without waiting.
    ///
    /// # Errors
    /// [`crate::Error::QueueFull`] when the queue is full; as [`submit`](Self::submit).
    pub fn try_submit(&self, batch: Batch) -> Result<Receipt> {
        match self {
            Self::Elasticsearch(es) => es.try_submit(batch),
            Self::Sqlite(db) => db.try_submit(batch),
        }
    }

    /// Answers an aggregation query.
    ///
    /// # Errors
    /// An invalid query or a store error.
    pub async fn query(&self, query: &AggQuery) -> Result<Vec<AggRow>> {
        match self {
            Self::Elasticsearch(es) => es.query(query).await,
            Self::Sqlite(db) => db.query(query).await,
        }
    }

    /// Answers a document search.
    ///
    /// # Errors
    /// An invalid search or a store error.
    pub async fn find(&self, find: &crate::Find) -> Result<Vec<serde_json::Value>> {
        match self {
            Self::Elasticsearch(es) => es.find(find).await,
            Self::Sqlite(db) => db.find(find).await,
        }
    }

    /// Writes what is queued, waiting up to `grace` for Elasticsearch (then spooling).
    pub async fn close(&self, grace: Duration) {
        match self {
            Self::Elasticsearch(es) => es.close(grace).await,
            Self::Sqlite(db) => db.close().await,
        }
    }
}
