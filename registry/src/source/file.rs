//! The YAML file source: TEndpoint, TTemplate and TFrameworkConfig documents (`---`
//! separated, or `kind: List` documents with `items`) as `kubectl get -o yaml` prints them,
//! read by the shared [`mirror::file::watch`]: at start and whenever the file's modification
//! time or size changes, each read replacing all three kinds at once; a file that cannot be
//! read or parsed leaves the last good state in place and marks the source failing.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::cache::Feed;
use crate::model::{self, InvalidObject, Kind, Object};

pub use mirror::file::Error;

/// The kind and object of one resource of the file, `None` for other kinds (skipped).
pub fn parse(value: &Value) -> Option<(Kind, Result<Object, InvalidObject>)> {
    let kind = Kind::from_kind(value.get("kind").and_then(Value::as_str)?)?;
    Some((kind, model::parse(kind, value)))
}

/// Feeds the file's contents until `shutdown`, re-reading it when it changes.
pub async fn watch(path: PathBuf, poll: Duration, feed: Feed, shutdown: CancellationToken) {
    mirror::file::watch("registry", path, poll, parse, feed, shutdown).await;
}
