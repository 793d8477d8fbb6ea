//! The YAML file source: TEndpoint, TTemplate and TFrameworkConfig documents (`---`
//! separated, or `kind: List` documents with `items`) as `kubectl get -o yaml` prints them.
//! The file is read at start and whenever its modification time or size changes; each read
//! replaces all three kinds at once. A file that cannot be read or parsed leaves the last good
//! state in place and marks the source failing until a later read succeeds.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::cache::Feed;
use crate::model::{self, InvalidObject, Kind, Object};

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

/// The objects of each kind a file holds.
#[derive(Debug, Default)]
pub struct Contents {
    /// Per kind, in file order: parsed objects or why one is invalid.
    pub objects: Vec<(Kind, Result<Object, InvalidObject>)>,
    /// Documents of other kinds (skipped).
    pub skipped: usize,
}

/// Parses the file's text.
///
/// # Errors
///
/// [`Error::Parse`] when the YAML itself is malformed (`path` is for the message).
pub fn parse(path: &Path, text: &str) -> Result<Contents, Error> {
    let mut contents = Contents::default();
    for document in serde_norway::Deserializer::from_str(text) {
        let value = Value::deserialize(document).map_err(|source| Error::Parse {
            path: path.to_owned(),
            source,
        })?;
        collect(&value, &mut contents);
    }
    Ok(contents)
}

fn collect(value: &Value, contents: &mut Contents) {
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind == "List" {
        if let Some(Value::Array(items)) = value.get("items") {
            for item in items {
                collect(item, contents);
            }
        }
        return;
    }
    if value.is_null() {
        return;
    }
    match Kind::from_kind(kind) {
        Some(kind) => contents.objects.push((kind, model::parse(kind, value))),
        None => contents.skipped += 1,
    }
}

/// Reads and parses the file.
///
/// # Errors
///
/// [`Error`] when it cannot be read or is not YAML.
pub async fn load(path: &Path) -> Result<Contents, Error> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
    parse(path, &text)
}

/// Feeds the file's contents until `shutdown`, re-reading it when it changes.
pub async fn watch(path: PathBuf, poll: Duration, feed: Feed, shutdown: CancellationToken) {
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
                report_failure(
                    &feed,
                    &mut failing,
                    &Error::Read {
                        path: path.clone(),
                        source,
                    },
                )
                .await;
                continue;
            }
        };
        match load(&path).await {
            Ok(contents) => {
                seen = Some(stamp);
                failing = false;
                tracing::info!(
                    message = "Registry file loaded.",
                    path = %path.display(),
                    objects = contents.objects.len(),
                    skipped = contents.skipped,
                );
                let mut by_kind: [Vec<_>; 3] = Default::default();
                for (kind, object) in contents.objects {
                    by_kind[kind.index()].push(object);
                }
                for (kind, objects) in Kind::ALL.into_iter().zip(by_kind) {
                    feed.listed(kind, objects).await;
                }
            }
            Err(error) => report_failure(&feed, &mut failing, &error).await,
        }
    }
}

async fn report_failure(feed: &Feed, failing: &mut bool, error: &Error) {
    if !*failing {
        tracing::error!(
            message = "Registry file unusable; answering from the last good contents.",
            error = %error,
            cause = %std::error::Error::source(error).map(ToString::to_string).unwrap_or_default(),
        );
    }
    *failing = true;
    for kind in Kind::ALL {
        feed.failed(kind).await;
    }
}
