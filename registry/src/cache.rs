//! The lock-free cache: sources feed changes to one builder task, which applies them to its
//! working [`Snapshot`] and publishes it with `arc-swap`. Lookups load the current snapshot
//! (no lock, no wait for the builder) and keep answering from it while sources fail.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, Cache, Guard};
use parking_lot::Mutex;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::model::{Kind, Object};
use crate::routes::Routes;
use crate::snapshot::{Change, Snapshot};

/// Changes queued between the sources and the builder; a full queue slows the sources down.
const FEED_CAPACITY: usize = 4096;

/// Changes applied before one publish, at most: bounds the time a burst delays lookups.
const MAX_BATCH: usize = 1024;

/// What a source tells the builder.
#[derive(Debug)]
enum Event {
    Change(Change),
    Synced(Kind),
    Failed(Kind),
    Contact(Kind),
}

/// Where sources send what they see. Clones share the queue.
#[derive(Debug, Clone)]
pub struct Feed {
    events: mpsc::Sender<Event>,
    metrics: Metrics,
}

impl Feed {
    /// An object of `kind` was added or modified (`Err`: invalid, logged and counted, the
    /// previous version stays).
    pub async fn applied(&self, kind: Kind, object: Result<Object, crate::model::InvalidObject>) {
        match object {
            Ok(object) => self.send(Event::Change(Change::Applied(object))).await,
            Err(error) => self.invalid(kind, &error),
        }
    }

    /// The object `name` of `kind` was deleted.
    pub async fn deleted(&self, kind: Kind, name: String) {
        self.send(Event::Change(Change::Deleted(kind, name))).await;
    }

    /// Every object of `kind`, after a list: replaces the kind and marks it synced. Invalid
    /// objects are logged, counted and left out.
    pub async fn listed(
        &self,
        kind: Kind,
        objects: impl IntoIterator<Item = Result<Object, crate::model::InvalidObject>>,
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
            .get_or_create(&Metrics::kind(kind))
            .inc();
        self.send(Event::Change(Change::Listed(kind, valid))).await;
        self.send(Event::Synced(kind)).await;
    }

    /// The source of `kind` failed (API server unreachable, file unreadable): lookups go on
    /// from the last snapshot, which now ages.
    pub async fn failed(&self, kind: Kind) {
        self.send(Event::Failed(kind)).await;
    }

    /// The source of `kind` is reachable again.
    pub async fn contact(&self, kind: Kind) {
        self.send(Event::Contact(kind)).await;
    }

    fn invalid(&self, kind: Kind, error: &crate::model::InvalidObject) {
        tracing::warn!(message = "Ignoring an invalid object.", %error);
        self.metrics
            .invalid
            .get_or_create(&Metrics::kind(kind))
            .inc();
    }

    async fn send(&self, event: Event) {
        // The builder only stops at shutdown, when nobody reads the registry any more.
        let _ = self.events.send(event).await;
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct SourceHealth {
    synced: bool,
    failing_since: Option<Instant>,
}

#[derive(Debug)]
struct Shared {
    /// In its own `Arc` so thread-local caches ([`Registry::with_snapshot`]) can hold it.
    snapshot: Arc<ArcSwap<Snapshot>>,
    health: Mutex<[SourceHealth; 3]>,
    synced: watch::Sender<bool>,
    stale_after: Duration,
    metrics: Metrics,
}

/// Whether the registry can be trusted: every kind listed, and no source failing for longer
/// than `stale_after_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    /// Every kind has been listed at least once.
    pub synced: bool,
    /// How long the longest-failing source has been failing.
    pub stale_for: Option<Duration>,
    /// `synced` and not stale for longer than the configured limit.
    pub ready: bool,
}

/// The registry's read side: cheap to clone, lookups never block.
#[derive(Debug, Clone)]
pub struct Registry {
    shared: Arc<Shared>,
}

impl Registry {
    /// An empty registry answering `routes`, its feed, and the builder to run.
    pub fn new(routes: Routes, stale_after: Duration, metrics: Metrics) -> (Self, Feed, Builder) {
        let (events, inbox) = mpsc::channel(FEED_CAPACITY);
        let snapshot = Snapshot::new(routes);
        let shared = Arc::new(Shared {
            snapshot: Arc::new(ArcSwap::from_pointee(snapshot.clone())),
            health: Mutex::new([SourceHealth::default(); 3]),
            synced: watch::Sender::new(false),
            stale_after,
            metrics: metrics.clone(),
        });
        let builder = Builder {
            shared: shared.clone(),
            inbox,
            working: snapshot,
        };
        (Self { shared }, Feed { events, metrics }, builder)
    }

    /// The current snapshot. Hold it only briefly (it pins that version's memory).
    pub fn snapshot(&self) -> Guard<Arc<Snapshot>> {
        self.shared.snapshot.load()
    }

    /// Runs `f` on the current snapshot through a per-thread cache: when nothing was published
    /// since this thread's last lookup, this is one plain load and no atomic write (a
    /// [`Registry::snapshot`] guard costs two atomic read-modify-writes, ~3 % of a lookup
    /// over TCP). Never waits for a writer.
    ///
    /// The cache keeps the snapshot it last saw alive until the thread's next lookup; with
    /// copy-on-write shards that is only the shards changed since.
    pub fn with_snapshot<R>(&self, f: impl FnOnce(&Snapshot) -> R) -> R {
        type Local = Option<Cache<Arc<ArcSwap<Snapshot>>, Arc<Snapshot>>>;
        thread_local! {
            static LOCAL: RefCell<Local> = const { RefCell::new(None) };
        }
        let current = &self.shared.snapshot;
        LOCAL.with(|local| {
            // Re-entered from `f` (never in this crate): take the plain path.
            let Ok(mut local) = local.try_borrow_mut() else {
                return f(&current.load());
            };
            let cache = match &mut *local {
                Some(cache) if std::ptr::eq(cache.arc_swap(), Arc::as_ptr(current)) => cache,
                other => other.insert(Cache::new(Arc::clone(current))),
            };
            f(cache.load())
        })
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// Readiness as `/readyz` reports it.
    pub fn readiness(&self) -> Readiness {
        let health = *self.shared.health.lock();
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
#[derive(Debug)]
pub struct Builder {
    shared: Arc<Shared>,
    inbox: mpsc::Receiver<Event>,
    working: Snapshot,
}

impl Builder {
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

    fn apply(&mut self, events: impl Iterator<Item = Event>) {
        let mut changed = false;
        let metrics = &self.shared.metrics;
        for event in events {
            match event {
                Event::Change(change) => {
                    let kind = match &change {
                        Change::Applied(o) => object_kind(o),
                        Change::Deleted(k, _) | Change::Listed(k, _) => *k,
                    };
                    metrics.changes.get_or_create(&Metrics::kind(kind)).inc();
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
            self.shared.snapshot.store(Arc::new(self.working.clone()));
            metrics.snapshots.inc();
            metrics.servers.set(self.working.servers() as i64);
            metrics.templates.set(self.working.templates() as i64);
        }
        let synced = self.shared.health.lock().iter().all(|h| h.synced);
        if synced && !*self.shared.synced.borrow() {
            metrics.synced.set(1);
            self.shared.synced.send_replace(true);
        }
    }

    fn health(&self, kind: Kind, update: impl FnOnce(&mut SourceHealth)) {
        let mut health = self.shared.health.lock();
        let entry = &mut health[kind.index()];
        update(entry);
        let up = i64::from(entry.failing_since.is_none());
        self.shared
            .metrics
            .source_up
            .get_or_create(&Metrics::kind(kind))
            .set(up);
    }
}

fn object_kind(object: &Object) -> Kind {
    match object {
        Object::Server(_) | Object::NotTars { .. } => Kind::Endpoint,
        Object::Template(_) => Kind::Template,
        Object::UpChain(_) | Object::OtherFrameworkConfig { .. } => Kind::FrameworkConfig,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(registry: &Registry) -> *const Snapshot {
        registry.with_snapshot(std::ptr::from_ref)
    }

    fn current(registry: &Registry) -> *const Snapshot {
        Arc::as_ptr(&registry.snapshot())
    }

    #[tokio::test]
    async fn the_thread_cache_follows_every_publish_of_each_registry() {
        let new = || {
            Registry::new(
                Routes::default(),
                Duration::from_secs(60),
                Metrics::default(),
            )
        };
        let (a, feed_a, mut builder_a) = new();
        let (b, _feed_b, mut builder_b) = new();
        drop(feed_a);
        assert_eq!(cached(&a), current(&a));
        assert_eq!(
            cached(&b),
            current(&b),
            "a second registry on the same thread"
        );
        for _ in 0..3 {
            let before = cached(&a);
            builder_a.apply(std::iter::once(Event::Change(Change::Listed(
                Kind::Endpoint,
                Vec::new(),
            ))));
            assert_ne!(current(&a), before, "a new snapshot was published");
            assert_eq!(cached(&a), current(&a));
            assert_eq!(cached(&b), current(&b));
            builder_b.apply(std::iter::once(Event::Synced(Kind::Template)));
            assert_eq!(cached(&a), current(&a));
        }
    }
}
