//! The ids already written, so that a relist (after a 410, an outage or a restarted watch)
//! writes only the event versions not yet written. Bounded: past `max` ids the oldest are
//! forgotten; a forgotten id offered again is written again, and the store keeps the first
//! (documents go in with `create`).
//!
//! Ids are kept as their 128-bit hash ([`sink::doc_id`]): 32 bytes, no allocation per id.

use std::collections::{HashMap, VecDeque};

use sink::{DocId, doc_id};

/// A bounded set of document ids, oldest forgotten first.
#[derive(Debug)]
pub(crate) struct Remembered {
    /// Each remembered key with the sequence number of its latest insertion.
    keys: HashMap<DocId, u64>,
    /// Insertions, oldest first; an entry whose sequence number is no longer its key's is
    /// stale (the key was forgotten, or inserted again later) and is skipped.
    order: VecDeque<(u64, DocId)>,
    next: u64,
    max: usize,
}

impl Remembered {
    /// An empty set holding up to `max` ids (at least one).
    pub(crate) fn new(max: usize) -> Self {
        Self {
            keys: HashMap::new(),
            order: VecDeque::new(),
            next: 0,
            max: max.max(1),
        }
    }

    /// The key of a document id.
    pub(crate) fn key(id: &str) -> DocId {
        doc_id(&[id.as_bytes()])
    }

    /// Whether `key` is remembered.
    pub(crate) fn contains(&self, key: &DocId) -> bool {
        self.keys.contains_key(key)
    }

    /// Remembers `key` as the newest; returns how many of the oldest were forgotten to stay
    /// within the bound. O(1) amortized.
    pub(crate) fn insert(&mut self, key: DocId) -> usize {
        let seq = self.next;
        self.next += 1;
        self.keys.insert(key, seq);
        self.order.push_back((seq, key));
        let mut evicted = 0;
        while self.keys.len() > self.max {
            let Some((seq, key)) = self.order.pop_front() else {
                break;
            };
            if self.keys.get(&key) == Some(&seq) {
                self.keys.remove(&key);
                evicted += 1;
            }
        }
        if self.order.len() > 2 * self.max + 64 {
            // Many stale entries (after forgets): drop them.
            let keys = &self.keys;
            self.order.retain(|(seq, key)| keys.get(key) == Some(seq));
        }
        evicted
    }

    /// Forgets `key` (its write failed), so that the next relist writes it again.
    pub(crate) fn forget(&mut self, key: &DocId) {
        self.keys.remove(key);
    }

    /// The number of ids remembered.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u32) -> DocId {
        Remembered::key(&format!("uid-{n}:1"))
    }

    #[test]
    fn the_oldest_are_forgotten_past_the_bound() {
        let mut set = Remembered::new(3);
        for n in 0..3 {
            assert_eq!(set.insert(key(n)), 0);
        }
        assert_eq!(set.insert(key(3)), 1);
        assert!(!set.contains(&key(0)));
        assert!((1..=3).all(|n| set.contains(&key(n))));
        assert_eq!(set.len(), 3);
    }

    #[test]
    fn a_forgotten_id_can_be_remembered_again_as_the_newest() {
        let mut set = Remembered::new(3);
        for n in 0..3 {
            set.insert(key(n));
        }
        set.forget(&key(0));
        assert!(!set.contains(&key(0)));
        assert_eq!(set.insert(key(0)), 0, "room was made by the forget");
        // key(0)'s stale first entry must not evict its new one.
        assert_eq!(set.insert(key(3)), 1);
        assert!(set.contains(&key(0)), "re-inserted, so newer than 1 and 2");
        assert!(!set.contains(&key(1)));
        assert_eq!(set.len(), 3);
    }

    #[test]
    fn stale_entries_do_not_grow_without_bound() {
        let mut set = Remembered::new(2);
        for round in 0..1000 {
            set.insert(key(round));
            set.forget(&key(round));
        }
        assert!(set.order.len() <= 2 * 2 + 64 + 1, "{}", set.order.len());
        assert_eq!(set.len(), 0);
    }
}
