//! The sink's configuration: `[sink]` in tarsplane's TOML file.
//!
//! With `elasticsearch.nodes` empty (the default) documents go to the embedded SQLite file.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use crate::es::lifecycle::{FlavourSetting, LifecycleSetting};
use crate::{Error, Result};

/// Which store, and how to reach it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Elasticsearch; used when `nodes` is not empty.
    pub elasticsearch: EsConfig,
    /// The embedded store, used when no Elasticsearch node is configured.
    pub sqlite: SqliteConfig,
}

impl Config {
    /// Checks every bound.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the key.
    pub fn validate(&self) -> Result<()> {
        if self.elasticsearch.nodes.is_empty() {
            Ok(())
        } else {
            self.elasticsearch.validate()
        }
    }
}

/// A secret (password, API key): never printed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// What to do when the spool is full and Elasticsearch still does not take documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FullPolicy {
    /// Drop the documents that do not fit (counted in `tars_sink_documents_dropped_total
    /// {reason="spool_full"}` and logged); intake keeps flowing.
    #[default]
    DropNewest,
    /// Keep retrying the documents in memory; when the memory queue is full too, `submit`
    /// waits, so the services' own bounds apply (they count what they drop).
    Block,
}

/// The Elasticsearch bulk writer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EsConfig {
    /// Node URLs such as `http://es-0:9200`; requests go to one node and fail over to the next.
    pub nodes: Vec<String>,
    /// Basic-auth user (with `password`).
    pub username: Option<String>,
    /// Basic-auth password (prefer the `TARSPLANE_ES_PASSWORD` environment variable).
    pub password: Option<Secret>,
    /// An API key, the base64 `id:key` form Elasticsearch returns (`TARSPLANE_ES_API_KEY`).
    pub api_key: Option<Secret>,
    /// A PEM file with the CA that signed the nodes' certificates.
    pub ca_cert_path: Option<PathBuf>,
    /// Accept any certificate (testing only).
    pub tls_insecure_skip_verify: bool,
    /// Timeout of one HTTP request.
    pub request_timeout_secs: u64,
    /// A bulk request is sent when it reaches this size...
    pub max_bulk_bytes: usize,
    /// ...or this many documents...
    pub max_bulk_docs: usize,
    /// ...or when its first document has waited this long.
    pub flush_interval_ms: u64,
    /// Bulk requests in flight at once (retries included).
    pub max_in_flight_requests: usize,
    /// Bytes of documents held in memory (queued, batching or being retried); `submit` waits
    /// when they are all taken.
    pub max_queued_bytes: usize,
    /// First retry delay; doubled per attempt, with full jitter between half and all of it.
    pub retry_initial_backoff_ms: u64,
    /// Longest retry delay.
    pub retry_max_backoff_ms: u64,
    /// Documents still not stored after retrying this long go to the spool (also at once when
    /// the memory queue is full).
    pub spool_after_secs: u64,
    /// The disk spool.
    pub spool: SpoolConfig,
    /// Where permanently refused documents are written, one JSON line each with the reason.
    pub dead_letter_path: PathBuf,
    /// Size bound of the dead-letter file; past it refused documents are only counted.
    pub max_dead_letter_bytes: u64,
    /// Largest number of groups a monitor query may return.
    pub max_query_groups: usize,
    /// `auto` (ask the server with `GET /`), `elasticsearch` or `opensearch`: decides between
    /// ILM and ISM for deleting old indices.
    pub flavour: FlavourSetting,
    /// `auto`: ILM on Elasticsearch, ISM on OpenSearch, off with a warning where the server has
    /// neither; `off`: create no lifecycle policies (the operator deletes old indices).
    pub lifecycle: LifecycleSetting,
}

impl Default for EsConfig {
    fn default() -> Self {
        Self {
            nodes: Vec::new(),
            username: None,
            password: None,
            api_key: None,
            ca_cert_path: None,
            tls_insecure_skip_verify: false,
            // K8SFramework's calls time out after 3 s; a 5 MiB bulk on a busy cluster can take
            // longer, and a timed-out bulk is retried in full.
            request_timeout_secs: 30,
            // Elastic's sizing guidance: 5–15 MiB per bulk request.
            max_bulk_bytes: 5 << 20,
            max_bulk_docs: 10_000,
            flush_interval_ms: 200,
            max_in_flight_requests: 2,
            max_queued_bytes: 64 << 20,
            retry_initial_backoff_ms: 100,
            retry_max_backoff_ms: 30_000,
            spool_after_secs: 5,
            spool: SpoolConfig::default(),
            dead_letter_path: PathBuf::from("data/sink/dead-letter.ndjson"),
            max_dead_letter_bytes: 256 << 20,
            max_query_groups: 100_000,
            flavour: FlavourSetting::Auto,
            lifecycle: LifecycleSetting::Auto,
        }
    }
}

impl EsConfig {
    /// Checks every bound.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the key.
    pub fn validate(&self) -> Result<()> {
        let fail = |msg: &str| Err(Error::InvalidConfig(msg.into()));
        for node in &self.nodes {
            if !(node.starts_with("http://") || node.starts_with("https://")) {
                return Err(Error::InvalidConfig(format!(
                    "sink.elasticsearch.nodes: {node:?} is not an http:// or https:// URL"
                )));
            }
        }
        if self.username.is_some() != self.password.is_some() {
            return fail("sink.elasticsearch.username and password go together");
        }
        if self.api_key.is_some() && self.username.is_some() {
            return fail("sink.elasticsearch: use either api_key or username/password");
        }
        if !(1024..=(100 << 20)).contains(&self.max_bulk_bytes) {
            return fail(
                "sink.elasticsearch.max_bulk_bytes must be 1 KiB..=100 MiB (ES http.max_content_length)",
            );
        }
        if self.max_bulk_docs == 0 || self.max_in_flight_requests == 0 {
            return fail("sink.elasticsearch.max_bulk_docs and max_in_flight_requests must be > 0");
        }
        if self.max_queued_bytes < self.max_bulk_bytes {
            return fail("sink.elasticsearch.max_queued_bytes must be at least max_bulk_bytes");
        }
        if self.request_timeout_secs == 0 || self.retry_initial_backoff_ms == 0 {
            return fail(
                "sink.elasticsearch.request_timeout_secs and retry_initial_backoff_ms must be > 0",
            );
        }
        if self.retry_max_backoff_ms < self.retry_initial_backoff_ms {
            return fail(
                "sink.elasticsearch.retry_max_backoff_ms must be >= retry_initial_backoff_ms",
            );
        }
        self.spool.validate()
    }
}

/// The on-disk spool of documents Elasticsearch has not taken yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpoolConfig {
    /// Turn the spool off: documents are then retried in memory only (and `full_policy`
    /// applies when memory is full).
    pub enabled: bool,
    /// The spool directory (created if missing).
    pub dir: PathBuf,
    /// Total size bound.
    pub max_bytes: u64,
    /// Size at which a segment file is closed and a new one started.
    pub segment_bytes: u64,
    /// fsync every append before acknowledging it as spooled.
    pub fsync: bool,
    /// What to do when the spool is full.
    pub full_policy: FullPolicy,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            dir: PathBuf::from("data/sink/spool"),
            // A day of a busy cluster's stat documents while Elasticsearch is away.
            max_bytes: 1 << 30,
            segment_bytes: 16 << 20,
            fsync: true,
            full_policy: FullPolicy::DropNewest,
        }
    }
}

impl SpoolConfig {
    fn validate(&self) -> Result<()> {
        if self.enabled && (self.segment_bytes < 4096 || self.max_bytes < self.segment_bytes) {
            return Err(Error::InvalidConfig(
                "sink.elasticsearch.spool: segment_bytes must be >= 4096 and <= max_bytes".into(),
            ));
        }
        Ok(())
    }
}

/// The embedded SQLite store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SqliteConfig {
    /// The database file (created if missing).
    pub path: PathBuf,
    /// Largest number of groups a monitor query may return.
    pub max_query_groups: usize,
    /// Batches waiting for the writer thread; `submit` waits when they are all taken.
    pub max_queued_batches: usize,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("data/tarsplane.sqlite"),
            max_query_groups: 100_000,
            // A minute's flush of every service fits many times over.
            max_queued_batches: 256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let c = Config::default();
        c.validate().expect("valid default");
        let text = serde_json::to_string(&c).expect("serialize");
        assert_eq!(serde_json::from_str::<Config>(&text).expect("parse"), c);
        let mut es = c.clone();
        es.elasticsearch.nodes = vec!["http://127.0.0.1:9200".into()];
        es.validate().expect("valid with a node");
    }

    #[test]
    fn bad_values_are_refused_with_the_key() {
        let mut c = Config::default();
        c.elasticsearch.nodes = vec!["es:9200".into()];
        let err = c.validate().expect_err("no scheme");
        assert!(
            err.to_string().contains("sink.elasticsearch.nodes"),
            "{err}"
        );
        c.elasticsearch.nodes = vec!["http://es:9200".into()];
        c.elasticsearch.max_bulk_bytes = 1 << 30;
        assert!(c.validate().is_err());
        c.elasticsearch.max_bulk_bytes = 5 << 20;
        c.elasticsearch.username = Some("u".into());
        assert!(c.validate().is_err());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = serde_json::from_str::<Config>(r#"{"elasticsearch":{"node":["x"]}}"#)
            .expect_err("typo");
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn secrets_are_redacted() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
