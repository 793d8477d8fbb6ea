//! The lock-free mirror: sources feed changes to one builder task, which applies them to its
//! working [`View`] and publishes what readers see with `arc-swap`. Readers load the current
//! snapshot (no lock, no wait for the builder) and keep answering from it while sources fail.

use std::fmt::Display;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, Guard};
use parking_lot::Mutex;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::{Change, Kind, View};

/// Changes queued between the sources and the builder; a full queue slows the sources down.
const FEED_CAPACITY: usize = 4096;

/// Changes applied before one publish, at most: bounds the time a burst delays readers.
const MAX_BATCH: usize = 1024;

/// What a source tells the builder.
enum Event<V: View> {
    Change(Change<V::Kind, V::Object>),
    Synced(V::Kind),
    Failed(V::Kind),
    Contact(V::Kind),
}

/// Where sources send what they see. Clones share the queue.
pub struct Feed<V: View> {
    events: mpsc::Sender<Event<V>>,
    metrics: Metrics,
}

impl<V: View> Clone for Feed<V> {
    fn clone(&self) -> Self {
        Self {
            events: self.events.clone(),
            metrics: self.metrics.clone(),
        }
    }
}

impl<V: View> std::fmt::Debug for Feed<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed").finish_non_exhaustive()
    }
}

impl<V: View> Feed<V> {
    /// An object of `kind` was added or modified (`Err`: invalid, logged and counted, the
    /// previous version stays).
    pub async fn applied<E: Display>(&self, kind: V::Kind, object: Result<V::Object, E>) {
        match object {
            Ok(object) => self.send(Event::Change(Change::Applied(object))).await,
            Err(error) => self.invalid(kind, &error),
        }
    }

    /// The object `name` of `kind` was deleted.
    pub async fn deleted(&self, kind: V::Kind, name: String) {
        self.send(Event::Change(Change::Deleted(kind, name))).await;
    }

    /// Every object of `kind`, after a list: replaces the kind and marks it synced. Invalid
    /// objects are logged, counted and left out.
    pub async fn listed<E: Display>(
        &self,
        kind: V::Kind,
        objects: impl IntoIterator<Item = Result<V::Object, E>>,
    ) {
        let mut valid = Vec::new();
        for object in objects {
            match object {
                Ok(object) => valid.push(object),
                Err(error) => self.invalid(kind, &error),
            }
        }
        self.metrics
            .relists
            .get_or_create(&Metrics::kind(kind.label()))
            .inc();
        self.send(Event::Change(Change::Listed(kind, valid))).await;
        self.send(Event::Synced(kind)).await;
    }

    /// The source of `kind` failed (API server unreachable, file unreadable): readers go on
    /// from the last snapshot, which now ages.
    pub async fn failed(&self, kind: V::Kind) {
        self.send(Event::Failed(kind)).await;
    }

    /// The source of `kind` is reachable again.
    pub async fn contact(&self, kind: V::Kind) {
        self.send(Event::Contact(kind)).await;
    }

    fn invalid(&self, kind: V::Kind, error: &impl Display) {
        tracing::warn!(message = "Ignoring an invalid object.", %error);
        self.metrics
            .invalid
            .get_or_create(&Metrics::kind(kind.label()))
            .inc();
    }

    async fn send(&self, event: Event<V>) {
        // The builder only stops at shutdown, when nobody reads the mirror any more.
        let _ = self.events.send(event).await;
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct SourceHealth {
    synced: bool,
    failing_since: Option<Instant>,
}

struct Shared<V: View> {
    /// In its own `Arc` so thread-local caches can hold it (the registry's `with_snapshot`).
    published: Arc<ArcSwap<V::Published>>,
    health: Mutex<Vec<SourceHealth>>,
    synced: watch::Sender<bool>,
    stale_after: Duration,
    metrics: Metrics,
}

/// Whether the mirror can be trusted: every kind listed, and no source failing for longer
/// than the configured `stale_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    /// Every kind has been listed at least once.
    pub synced: bool,
    /// How long the longest-failing source has been failing.
    pub stale_for: Option<Duration>,
    /// `synced` and not stale for longer than the configured limit.
    pub ready: bool,
}

impl Readiness {
    /// The `/readyz` line: `ok`, `not synced yet`, or how long the snapshot has been stale.
    pub fn describe(&self) -> String {
        match (self.synced, self.stale_for) {
            (false, _) => "not synced yet".to_owned(),
            (true, None) => "ok".to_owned(),
            (true, Some(stale)) => format!(
                "source failing for {} s, answering from the last snapshot",
                stale.as_secs()
            ),
        }
    }
}

/// The read side: cheap to clone, loads never block.
pub struct Mirror<V: View> {
    shared: Arc<Shared<V>>,
}

impl<V: View> Clone for Mirror<V> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<V: View> std::fmt::Debug for Mirror<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror")
            .field("readiness", &self.readiness())
            .finish_non_exhaustive()
    }
}

type OnPublish<V> = Box<dyn Fn(&V) + Send + Sync>;

impl<V: View> Mirror<V> {
    /// A mirror publishing `view` (usually empty), its feed, and the builder to run.
    /// `on_publish` runs in the builder after each publish (gauges of the owner).
    pub fn new(
        view: V,
        stale_after: Duration,
        metrics: Metrics,
        on_publish: impl Fn(&V) + Send + Sync + 'static,
    ) -> (Self, Feed<V>, Builder<V>) {
        let (events, inbox) = mpsc::channel(FEED_CAPACITY);
        let shared = Arc::new(Shared {
            published: Arc::new(ArcSwap::from_pointee(view.publish())),
            health: Mutex::new(vec![SourceHealth::default(); V::Kind::ALL.len()]),
            synced: watch::Sender::new(false),
            stale_after,
            metrics: metrics.clone(),
        });
        let builder = Builder {
            shared: shared.clone(),
            inbox,
            working: view,
            on_publish: Box::new(on_publish),
        };
        (Self { shared }, Feed { events, metrics }, builder)
    }

    /// The current snapshot. Hold it only briefly (it pins that version's memory).
    pub fn load(&self) -> Guard<Arc<V::Published>> {
        self.shared.published.load()
    }

    /// The current snapshot as an owned `Arc` (one more reference count than [`Mirror::load`]).
    pub fn load_full(&self) -> Arc<V::Published> {
        self.shared.published.load_full()
    }

    /// The swap cell itself, for readers that keep a per-thread `arc_swap::Cache` of it.
    pub fn cell(&self) -> &Arc<ArcSwap<V::Published>> {
        &self.shared.published
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// Readiness as `/readyz` reports it.
    pub fn readiness(&self) -> Readiness {
        let health = self.shared.health.lock();
        let synced = health.iter().all(|h| h.synced);
        let stale_for = health
            .iter()
            .filter_map(|h| h.failing_since)
            .min()
            .map(|since| since.elapsed());
        Readiness {
            synced,
            stale_for,
            ready: synced && stale_for.is_none_or(|d| d < self.shared.stale_after),
        }
    }

    /// Waits until every kind has been listed once.
    ///
    /// # Errors
    ///
    /// `Err(())` after `timeout`.
    pub async fn wait_synced(&self, timeout: Duration) -> Result<(), ()> {
        let mut synced = self.shared.synced.subscribe();
        match tokio::time::timeout(timeout, synced.wait_for(|s| *s)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(()),
        }
    }
}

/// The one task that turns source events into published snapshots.
pub struct Builder<V: View> {
    shared: Arc<Shared<V>>,
    inbox: mpsc::Receiver<Event<V>>,
    working: V,
    on_publish: OnPublish<V>,
}

impl<V: View> std::fmt::Debug for Builder<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder").finish_non_exhaustive()
    }
}

impl<V: View> Builder<V> {
    /// Applies events until `shutdown` or until every feed is dropped. A burst of events is
    /// applied together and published once.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            let received = tokio::select! {
                n = self.inbox.recv_many(&mut batch, MAX_BATCH) => n,
                () = shutdown.cancelled() => return,
            };
            if received == 0 {
                return;
            }
            self.apply(batch.drain(..));
        }
    }

    /// Applies `changes` at once and publishes (for tests and benchmarks that drive a mirror
    /// without sources).
    pub fn apply_changes(&mut self, changes: impl IntoIterator<Item = Change<V::Kind, V::Object>>) {
        self.apply(changes.into_iter().map(Event::Change));
    }

    /// Marks `kind` listed without changing it (tests).
    pub fn mark_synced(&mut self, kind: V::Kind) {
        self.apply(std::iter::once(Event::Synced(kind)));
    }

    fn apply(&mut self, events: impl Iterator<Item = Event<V>>) {
        let mut changed = false;
        let metrics = &self.shared.metrics;
        for event in events {
            match event {
                Event::Change(change) => {
                    let kind = match &change {
                        Change::Applied(o) => V::kind_of(o),
                        Change::Deleted(k, _) | Change::Listed(k, _) => *k,
                    };
                    metrics
                        .changes
                        .get_or_create(&Metrics::kind(kind.label()))
                        .inc();
                    self.working.apply(change);
                    changed = true;
                }
                Event::Synced(kind) => self.health(kind, |h| {
                    h.synced = true;
                    h.failing_since = None;
                }),
                Event::Contact(kind) => self.health(kind, |h| h.failing_since = None),
                Event::Failed(kind) => self.health(kind, |h| {
                    h.failing_since.get_or_insert_with(Instant::now);
                }),
            }
        }
        if changed {
            self.shared
                .published
                .store(Arc::new(self.working.publish()));
            metrics.snapshots.inc();
            (self.on_publish)(&self.working);
        }
        let synced = self.shared.health.lock().iter().all(|h| h.synced);
        if synced && !*self.shared.synced.borrow() {
            metrics.synced.set(1);
            self.shared.synced.send_replace(true);
        }
    }

    fn health(&self, kind: V::Kind, update: impl FnOnce(&mut SourceHealth)) {
        let mut health = self.shared.health.lock();
        let Some(entry) = health.get_mut(kind.index()) else {
            return;
        };
        update(entry);
        let up = i64::from(entry.failing_since.is_none());
        self.shared
            .metrics
            .source_up
            .get_or_create(&Metrics::kind(kind.label()))
            .set(up);
        *self.shared.metrics.snapshot_age.0.lock() =
            health.iter().filter_map(|h| h.failing_since).min();
    }
}
