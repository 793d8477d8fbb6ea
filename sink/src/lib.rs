//! Documents to Elasticsearch or to an embedded SQLite file, behind one interface, and the
//! aggregation queries the monitor-query objects answer from them.
//!
//! - [`Batch`]: documents written straight into an NDJSON `_bulk` body, with deterministic ids
//!   ([`doc_id`]) so that a replay never counts twice.
//! - [`Sink`]: `submit` a batch, get a [`Receipt`] that resolves to an [`Outcome`] once every
//!   document is stored (per item, not per HTTP status), spooled to disk, rejected for good
//!   (dead-letter file) or, only when the spool is full under `drop_newest`, dropped.
//! - [`EsSink`]: batching by size and age, bounded in-flight requests, per-item retries with
//!   jittered backoff, node failover, a checksummed disk spool replayed in order.
//! - [`SqliteSink`]: the same documents and queries in one file.
//! - [`AggQuery`]: filter, group by and sum; [`Find`]: documents matching conditions (nested
//!   arrays included); both structured, never query text.

mod ack;
mod batch;
pub mod config;
mod dead_letter;
mod error;
mod es;
mod find;
mod index;
mod json;
mod metrics;
mod query;
mod sink;
mod spool;
mod sqlite;

pub use ack::{Outcome, Receipt};
pub use batch::{Batch, DocId, DocRef, MAX_ID_BYTES, Op, doc_id, validate_id, validate_index_name};
pub use config::Config;
pub use error::{Error, Result};
pub use es::EsSink;
pub use es::lifecycle::{Backend, Flavour, Lifecycle};
pub use find::{Cond, Find, MAX_HITS};
pub use index::{IndexSpec, validate_age};
pub use json::DocWriter;
pub use metrics::Metrics;
pub use query::{AggQuery, AggRow, Filter, FilterOp, KeyValue, validate_field};
pub use sink::Sink;
pub use spool::Recovered;
pub use sqlite::SqliteSink;
