//! Watches: the streamed body, the initial events, resuming from a version, and pushing each
//! write to the open watches of its type.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio::time::Sleep;

use super::reply::StatusError;
use super::selector::Filter;
use super::state::{Inner, Resource};
use super::store::{Event, EventType};
use crate::fake_es::reply::Params;

/// Events queued per watch before the server gives up on a slow reader and ends its stream
/// (it then resumes from its last version and gets the rest from the history).
const QUEUE_EVENTS: usize = 1024;

/// The annotation on the `BOOKMARK` that ends the initial events of `sendInitialEvents=true`.
const INITIAL_EVENTS_END: &str = "k8s.io/initial-events-end";

/// The longest `timeoutSeconds` honoured (a day); longer ones are cut to it.
const MAX_TIMEOUT_SECS: u64 = 86_400;

/// An open watch: its type and filter, and where its events go.
#[derive(Debug)]
pub(crate) struct Watcher {
    plural: String,
    filter: Filter,
    events: mpsc::Sender<Bytes>,
}

/// The body of a watch response: one JSON event per line (each a chunk), first the initial
/// ones, then those pushed while it is open; it ends when the server drops the watch or at
/// `timeoutSeconds`.
#[derive(Debug)]
pub(crate) struct WatchBody {
    initial: VecDeque<Bytes>,
    events: Option<mpsc::Receiver<Bytes>>,
    deadline: Option<Pin<Box<Sleep>>>,
}

impl Body for WatchBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(line) = this.initial.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(line))));
        }
        let Some(events) = this.events.as_mut() else {
            return Poll::Ready(None);
        };
        match events.poll_recv(cx) {
            Poll::Ready(Some(line)) => return Poll::Ready(Some(Ok(Frame::data(line)))),
            Poll::Ready(None) => {
                this.events = None;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        let timed_out = this
            .deadline
            .as_mut()
            .is_some_and(|deadline| deadline.as_mut().poll(cx).is_ready());
        if timed_out {
            this.events = None;
            this.deadline = None;
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}

/// Opens a watch on a type (in one namespace, or all): the initial events its parameters ask
/// for, then every matching change until it ends.
pub(crate) fn start(
    inner: &mut Inner,
    resource: &Resource,
    namespace: Option<&str>,
    params: &Params,
) -> Result<WatchBody, StatusError> {
    let filter = Filter::parse(namespace, params)?;
    let from =
        match params.get("resourceVersion").map(str::trim) {
            None | Some("" | "0") => None,
            Some(text) => Some(text.parse::<u64>().map_err(|_| {
                StatusError::bad_request(format!("invalid resource version: {text}"))
            })?),
        };
    let initial_events = params.flag("sendInitialEvents");
    let deadline = params
        .get("timeoutSeconds")
        .and_then(|secs| secs.trim().parse::<u64>().ok())
        .filter(|secs| *secs > 0)
        .map(|secs| {
            Box::pin(tokio::time::sleep(Duration::from_secs(
                secs.min(MAX_TIMEOUT_SECS),
            )))
        });
    let plural = resource.plural.as_str();
    let mut initial = VecDeque::new();
    if initial_events || from.is_none() {
        initial.extend(
            inner
                .objects_of(plural)
                .filter(|object| filter.matches(object))
                .map(|object| line("ADDED", object)),
        );
    }
    if initial_events {
        initial.push_back(bookmark(resource, inner.revision, true));
    } else if let Some(from) = from {
        let log = inner.logs.get(plural);
        let oldest_valid = log.map_or(0, |log| log.oldest_valid);
        if from < oldest_valid {
            initial.push_back(expired(from, oldest_valid));
            return Ok(WatchBody {
                initial,
                events: None,
                deadline: None,
            });
        }
        initial.extend(
            log.into_iter()
                .flat_map(|log| log.events.iter())
                .filter(|event| event.revision > from)
                .filter_map(|event| visible(event, &filter))
                .map(|(kind, object)| line(kind, object)),
        );
    }
    let (sender, receiver) = mpsc::channel(QUEUE_EVENTS);
    inner.watchers.push(Watcher {
        plural: plural.to_owned(),
        filter,
        events: sender,
    });
    Ok(WatchBody {
        initial,
        events: Some(receiver),
        deadline,
    })
}

/// Offers an event of `plural` to a watch; `false` if the watch is closed or too far behind
/// (it is then dropped, which ends its stream).
pub(crate) fn deliver(watcher: &Watcher, plural: &str, event: &Event) -> bool {
    if watcher.plural != plural {
        return !watcher.events.is_closed();
    }
    match visible(event, &watcher.filter) {
        Some((kind, object)) => watcher.events.try_send(line(kind, object)).is_ok(),
        None => !watcher.events.is_closed(),
    }
}

/// Expires every version up to the current one for `plural` and ends its watches with a 410
/// `ERROR` event; the counter moves on so the next list's version is valid.
pub(crate) fn expire(inner: &mut Inner, plural: &str) {
    let stale = inner.revision;
    inner.revision += 1;
    let oldest_valid = inner.revision;
    inner
        .logs
        .entry(plural.to_owned())
        .or_default()
        .expire(oldest_valid);
    let error = expired(stale, oldest_valid);
    inner.watchers.retain(|watcher| {
        if watcher.plural == plural {
            // A watch too far behind to take it ends without it and gets the 410 when it
            // resumes from its (expired) version.
            let _ = watcher.events.try_send(error.clone());
            false
        } else {
            !watcher.events.is_closed()
        }
    });
}

/// Sends a `BOOKMARK` with the current version to every open watch of `plural`.
pub(crate) fn bookmark_all(inner: &mut Inner, plural: &str) {
    let Some(resource) = inner.resources.get(plural) else {
        return;
    };
    let event = bookmark(resource, inner.revision, false);
    inner.watchers.retain(|watcher| {
        if watcher.plural == plural {
            watcher.events.try_send(event.clone()).is_ok()
        } else {
            !watcher.events.is_closed()
        }
    });
}

/// The number of open watches of `plural`.
pub(crate) fn open_count(inner: &Inner, plural: &str) -> usize {
    inner
        .watchers
        .iter()
        .filter(|watcher| watcher.plural == plural && !watcher.events.is_closed())
        .count()
}

/// How an event looks to a filtered watch: an object entering the selection is `ADDED`, one
/// leaving it `DELETED` (as the API server's watch cache does); `None` if it never matched.
fn visible<'a>(event: &'a Event, filter: &Filter) -> Option<(&'static str, &'a Value)> {
    let now = filter.matches(&event.object);
    let before = event
        .previous
        .as_ref()
        .is_some_and(|previous| filter.matches(previous));
    let kind = match event.kind {
        EventType::Modified if before && now => "MODIFIED",
        // Created, or modified into the selector: new to this watcher.
        EventType::Added | EventType::Modified if now => "ADDED",
        EventType::Modified | EventType::Deleted if before || now => "DELETED",
        _ => return None,
    };
    Some((kind, &event.object))
}

/// One event line: `{"type":..,"object":..}` and a newline.
fn line(kind: &str, object: &Value) -> Bytes {
    let mut bytes =
        serde_json::to_vec(&json!({ "type": kind, "object": object })).unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}

/// A `BOOKMARK` carrying `revision`; `initial_end` adds the annotation that ends the initial
/// events.
fn bookmark(resource: &Resource, revision: u64, initial_end: bool) -> Bytes {
    let mut metadata = Map::new();
    metadata.insert(
        "resourceVersion".to_owned(),
        Value::String(revision.to_string()),
    );
    if initial_end {
        let mut annotations = Map::new();
        annotations.insert(INITIAL_EVENTS_END.to_owned(), Value::from("true"));
        metadata.insert("annotations".to_owned(), Value::Object(annotations));
    }
    let object = json!({
        "kind": resource.kind,
        "apiVersion": resource.api_version(),
        "metadata": Value::Object(metadata),
    });
    line("BOOKMARK", &object)
}

/// The `ERROR` event of a watch from an expired version.
fn expired(from: u64, oldest_valid: u64) -> Bytes {
    let status = StatusError::expired(format!("too old resource version: {from} ({oldest_valid})"));
    line("ERROR", &status.body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_leaving_a_filter_is_deleted_for_it() {
        let params = Params::parse(Some("labelSelector=app%3Dx"));
        let filter = Filter::parse(None, &params).expect("a valid selector");
        let inside = json!({"metadata": {"name": "a", "labels": {"app": "x"}}});
        let outside = json!({"metadata": {"name": "a", "labels": {"app": "y"}}});
        let event = |previous: &Value, object: &Value| Event {
            revision: 2,
            kind: EventType::Modified,
            object: object.clone(),
            previous: Some(previous.clone()),
        };
        let kind = |event: &Event| visible(event, &filter).map(|(kind, _)| kind);
        assert_eq!(kind(&event(&inside, &inside)), Some("MODIFIED"));
        assert_eq!(kind(&event(&outside, &inside)), Some("ADDED"));
        assert_eq!(kind(&event(&inside, &outside)), Some("DELETED"));
        assert_eq!(kind(&event(&outside, &outside)), None);
    }

    #[test]
    fn event_lines_are_one_json_object_each() {
        let bytes = line("ADDED", &json!({"metadata": {"name": "a"}}));
        assert!(bytes.ends_with(b"\n"));
        let value: Value = serde_json::from_slice(&bytes).expect("valid JSON");
        assert_eq!(value["type"], "ADDED");
        assert_eq!(value["object"]["metadata"]["name"], "a");
    }
}
