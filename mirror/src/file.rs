//! The YAML file source: resources (`---` separated, or `kind: List` documents with `items`)
//! as `kubectl get -o yaml` prints them. The file is read at start and whenever its
//! modification time or size changes; each read replaces every kind at once. A file that
//! cannot be read or parsed leaves the last good state in place and marks every kind failing
//! until a later read succeeds.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::mirror::Feed;
use crate::{Kind, View};

/// Why the file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading failed.
    #[error("read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A document is not valid YAML.
    #[error("parse {path}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause, with line and column.
        #[source]
        source: serde_norway::Error,
    },
}

/// Every resource in the file's text, in file order, `List` documents flattened and empty
/// documents left out.
///
/// # Errors
///
/// [`Error::Parse`] when the YAML itself is malformed (`path` is for the message).
pub fn documents(path: &Path, text: &str) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let value = Value::deserialize(document).map_err(|source| Error::Parse {
            path: path.to_owned(),
            source,
        })?;
        flatten(value, &mut out);
    }
    Ok(out)
}

fn flatten(value: Value, out: &mut Vec<Value>) {
    if value.is_null() {
        return;
    }
    if value.get("kind").and_then(Value::as_str) == Some("List") {
        if let Some(Value::Array(items)) = value.get("items") {
            for item in items {
                flatten(item.clone(), out);
            }
        }
        return;
    }
    out.push(value);
}

/// Reads the file and returns its resources.
///
/// # Errors
///
/// [`Error`] when it cannot be read or is not YAML.
pub async fn load(path: &Path) -> Result<Vec<Value>, Error> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
    documents(path, &text)
}

/// Feeds the file's resources until `shutdown`, re-reading it when it changes. `parse` turns
/// a resource into its kind and object, or `None` for a kind this mirror does not hold
/// (counted as skipped in the log line). `what` names the file in log lines ("registry").
pub async fn watch<V, E>(
    what: &'static str,
    path: PathBuf,
    poll: Duration,
    parse: impl Fn(&Value) -> Option<(V::Kind, Result<V::Object, E>)> + Send,
    feed: Feed<V>,
    shutdown: CancellationToken,
) where
    V: View,
    E: Display,
{
    let mut seen: Option<(SystemTime, u64)> = None;
    let mut failing = false;
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.cancelled() => return,
        }
        let stamp = tokio::fs::metadata(&path)
            .await
            .and_then(|m| Ok((m.modified()?, m.len())));
        let stamp = match stamp {
            Ok(stamp) if Some(stamp) == seen && !failing => continue,
            Ok(stamp) => stamp,
            Err(source) => {
                let error = Error::Read {
                    path: path.clone(),
                    source,
                };
                report_failure(what, &feed, &mut failing, &error).await;
                continue;
            }
        };
        match load(&path).await {
            Ok(resources) => {
                seen = Some(stamp);
                failing = false;
                let mut by_kind: Vec<Vec<Result<V::Object, E>>> =
                    V::Kind::ALL.iter().map(|_| Vec::new()).collect();
                let (mut objects, mut skipped) = (0, 0);
                for resource in &resources {
                    match parse(resource) {
                        Some((kind, object)) => {
                            objects += 1;
                            if let Some(list) = by_kind.get_mut(kind.index()) {
                                list.push(object);
                            }
                        }
                        None => skipped += 1,
                    }
                }
                tracing::info!(
                    message = "File loaded.",
                    file = what,
                    path = %path.display(),
                    objects,
                    skipped,
                );
                for (kind, objects) in V::Kind::ALL.iter().zip(by_kind) {
                    feed.listed(*kind, objects).await;
                }
            }
            Err(error) => report_failure(what, &feed, &mut failing, &error).await,
        }
    }
}

async fn report_failure<V: View>(
    what: &'static str,
    feed: &Feed<V>,
    failing: &mut bool,
    error: &Error,
) {
    if !*failing {
        tracing::error!(
            message = "File unusable; answering from the last good contents.",
            file = what,
            error = %error,
            cause = %std::error::Error::source(error).map(ToString::to_string).unwrap_or_default(),
        );
    }
    *failing = true;
    for kind in V::Kind::ALL {
        feed.failed(*kind).await;
    }
}
