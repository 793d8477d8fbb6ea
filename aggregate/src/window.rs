//! The sharded window: reports merge into per-shard hash maps keyed by the encoded report
//! head; closing the window swaps every shard's map for an empty one.
//!
//! A key is hashed once; its hash picks the shard and is reused by the shard's table, so an
//! add costs one hash, one uncontended lock and one probe. A key is copied into the window only
//! the first time it is seen in a window. The number of distinct keys is bounded: past the
//! bound new keys are refused (and counted by the caller) while known keys keep merging.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};

use foldhash::fast::SeedableRandomState;
use hashbrown::HashTable;
use parking_lot::Mutex;

/// How an aggregate value starts from and absorbs one input.
pub trait Merge<In: ?Sized>: Sized {
    /// The value of a key's first input in a window.
    fn start(input: &In) -> Self;
    /// Adds a later input of the same key.
    fn merge(&mut self, input: &In);
}

/// What [`Window::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// Merged into an existing key.
    Merged,
    /// A new key.
    Inserted,
    /// Refused: the window holds `max_keys` keys already.
    Refused,
}

/// One shard on its own cache lines, so that shards locked by different cores do not share
/// a line.
#[derive(Debug)]
#[repr(align(128))]
struct Shard<V>(Mutex<HashTable<(Box<[u8]>, V)>>);

/// A window of aggregates keyed by bytes.
#[derive(Debug)]
pub struct Window<V> {
    shards: Box<[Shard<V>]>,
    /// Randomly seeded per window (report heads come from clients); fixed only in
    /// [`Window::with_fixed_seed`].
    hasher: SeedableRandomState,
    keys: AtomicUsize,
    max_keys: usize,
}

impl<V> Window<V> {
    /// A window of `shards` shards (at least 1) holding at most `max_keys` keys.
    pub fn new(shards: usize, max_keys: usize) -> Self {
        Self::with_hasher(shards, max_keys, SeedableRandomState::random())
    }

    /// A window whose hashes are the same in every process, so that the instruction counts of
    /// `bench/icount` repeat exactly. Not for serving: a fixed seed lets clients choose keys
    /// that collide.
    pub fn with_fixed_seed(shards: usize, max_keys: usize) -> Self {
        Self::with_hasher(shards, max_keys, SeedableRandomState::fixed())
    }

    fn with_hasher(shards: usize, max_keys: usize, hasher: SeedableRandomState) -> Self {
        Self {
            shards: (0..shards.max(1))
                .map(|_| Shard(Mutex::new(HashTable::new())))
                .collect(),
            hasher,
            keys: AtomicUsize::new(0),
            max_keys,
        }
    }

    /// Merges `input` into `key`'s aggregate.
    pub fn add<In: ?Sized>(&self, key: &[u8], input: &In) -> Added
    where
        V: Merge<In>,
    {
        let hash = self.hasher.hash_one(key);
        // The table uses the low and the top bits of the hash; shards take the middle ones.
        let shard = &self.shards[((hash >> 32) as usize) % self.shards.len()];
        let mut table = shard.0.lock();
        if let Some((_, value)) = table.find_mut(hash, |(k, _)| **k == *key) {
            value.merge(input);
            return Added::Merged;
        }
        if self.keys.fetch_add(1, Ordering::Relaxed) >= self.max_keys {
            self.keys.fetch_sub(1, Ordering::Relaxed);
            return Added::Refused;
        }
        let hasher = &self.hasher;
        table.insert_unique(hash, (key.into(), V::start(input)), |(k, _)| {
            hasher.hash_one(&**k)
        });
        Added::Inserted
    }

    /// Distinct keys held.
    pub fn len(&self) -> usize {
        self.keys.load(Ordering::Relaxed)
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes the window: takes every aggregate, leaving the window empty. Adds that race with
    /// this land either in the taken window or in the new one, never nowhere.
    pub fn take(&self) -> Vec<(Box<[u8]>, V)> {
        let mut out = Vec::with_capacity(self.len());
        for shard in &*self.shards {
            let table = std::mem::take(&mut *shard.0.lock());
            self.keys.fetch_sub(table.len(), Ordering::Relaxed);
            out.extend(table);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Sum(i64);

    impl Merge<i64> for Sum {
        fn start(input: &i64) -> Self {
            Self(*input)
        }
        fn merge(&mut self, input: &i64) {
            self.0 += input;
        }
    }

    #[test]
    fn inputs_merge_per_key_and_take_empties_the_window() {
        let w: Window<Sum> = Window::new(8, 100);
        assert_eq!(w.add(b"a", &1), Added::Inserted);
        assert_eq!(w.add(b"b", &10), Added::Inserted);
        assert_eq!(w.add(b"a", &2), Added::Merged);
        assert_eq!(w.len(), 2);
        let mut all = w.take();
        all.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(
            all,
            vec![(b"a"[..].into(), Sum(3)), (b"b"[..].into(), Sum(10))]
        );
        assert!(w.is_empty() && w.take().is_empty());
        assert_eq!(
            w.add(b"a", &5),
            Added::Inserted,
            "a new window starts afresh"
        );
    }

    #[test]
    fn new_keys_past_the_bound_are_refused_but_known_keys_merge() {
        let w: Window<Sum> = Window::new(4, 2);
        assert_eq!(w.add(b"a", &1), Added::Inserted);
        assert_eq!(w.add(b"b", &1), Added::Inserted);
        assert_eq!(w.add(b"c", &1), Added::Refused);
        assert_eq!(w.add(b"a", &1), Added::Merged);
        assert_eq!(w.len(), 2);
        w.take();
        assert_eq!(w.add(b"c", &1), Added::Inserted);
    }

    #[test]
    fn concurrent_adds_lose_nothing() {
        let w: Window<Sum> = Window::new(16, 1_000_000);
        std::thread::scope(|s| {
            for t in 0..4 {
                let w = &w;
                s.spawn(move || {
                    for i in 0..10_000i64 {
                        w.add(format!("k{}", (i + t) % 500).as_bytes(), &1);
                    }
                });
            }
        });
        let total: i64 = w.take().iter().map(|(_, v)| v.0).sum();
        assert_eq!(total, 40_000);
    }
}
