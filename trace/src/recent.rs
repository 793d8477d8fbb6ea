//! Traces closed lately: their ids with the day their document was written to, and, within a
//! byte bound, the traces themselves. A trace opened again by late lines is joined to what is
//! kept here, or else to its stored document, instead of replacing it (K8SFramework replaced
//! it, keeping only the late spans). Bounded: past `max_ids` the oldest ids are forgotten,
//! past `max_bytes` the oldest traces are let go (their ids stay).

use std::collections::{HashMap, VecDeque};

use xxhash_rust::xxh3::xxh3_64;

use crate::merge::Trace;

#[derive(Debug)]
struct Entry {
    day: String,
    trace: Option<Trace>,
}

/// The remembered ids (by XXH3-64 of the trace id), their days and kept traces.
#[derive(Debug)]
pub(crate) struct Recent {
    max_ids: usize,
    max_bytes: usize,
    bytes: usize,
    entries: HashMap<u64, Entry>,
    /// Ids in the order first remembered.
    order: VecDeque<u64>,
    /// Ids whose trace was kept, in the order kept (stale ids are skipped).
    kept: VecDeque<u64>,
}

impl Recent {
    /// Remembers at most `max_ids` ids (0: none) and `max_bytes` of traces.
    pub(crate) fn new(max_ids: usize, max_bytes: usize) -> Self {
        Self {
            max_ids,
            max_bytes,
            bytes: 0,
            entries: HashMap::new(),
            order: VecDeque::new(),
            kept: VecDeque::new(),
        }
    }

    /// The day trace `id`'s document was written to, if it closed lately.
    pub(crate) fn day_of(&self, id: &str) -> Option<&str> {
        self.entries
            .get(&xxh3_64(id.as_bytes()))
            .map(|e| e.day.as_str())
    }

    /// Remembers that trace `trace` was written to `day`'s index, and keeps it.
    pub(crate) fn insert(&mut self, day: &str, trace: Trace) {
        if self.max_ids == 0 {
            return;
        }
        let key = xxh3_64(trace.trace().as_bytes());
        let previous = self.entries.insert(
            key,
            Entry {
                day: day.to_owned(),
                trace: None,
            },
        );
        match previous {
            Some(entry) => self.release(entry.trace.as_ref()),
            None => self.order.push_back(key),
        }
        self.keep(key, trace);
        while self.order.len() > self.max_ids {
            if let Some(oldest) = self.order.pop_front()
                && let Some(entry) = self.entries.remove(&oldest)
            {
                self.release(entry.trace.as_ref());
            }
        }
    }

    /// Takes the kept trace `id` out (to join late lines to it), if kept.
    pub(crate) fn take(&mut self, id: &str) -> Option<Trace> {
        let trace = self.entries.get_mut(&xxh3_64(id.as_bytes()))?.trace.take();
        self.release(trace.as_ref());
        trace
    }

    fn keep(&mut self, key: u64, trace: Trace) {
        let bytes = trace.approx_bytes();
        if bytes > self.max_bytes {
            return;
        }
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.trace = Some(trace);
            self.bytes += bytes;
            self.kept.push_back(key);
        }
        while self.bytes > self.max_bytes {
            let Some(oldest) = self.kept.pop_front() else {
                break;
            };
            let trace = self.entries.get_mut(&oldest).and_then(|e| e.trace.take());
            self.release(trace.as_ref());
        }
    }

    fn release(&mut self, trace: Option<&Trace>) {
        if let Some(trace) = trace {
            self.bytes -= trace.approx_bytes().min(self.bytes);
        }
    }

    /// Ids remembered and bytes of traces kept.
    #[cfg(test)]
    pub(crate) fn size(&self) -> (usize, usize) {
        (self.entries.len(), self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(id: &str) -> Trace {
        Trace::new(id)
    }

    #[test]
    fn ids_are_remembered_with_their_day_and_the_oldest_forgotten_first() {
        let mut recent = Recent::new(2, 1 << 20);
        recent.insert("20261205", trace("a"));
        recent.insert("20261205", trace("b"));
        recent.insert("20261206", trace("a"));
        assert_eq!(
            recent.day_of("a"),
            Some("20261206"),
            "the day of its last write"
        );
        recent.insert("20261206", trace("c"));
        assert_eq!(recent.size().0, 2);
        assert_eq!(recent.day_of("a"), None, "the oldest went first");
        assert_eq!(recent.day_of("b"), Some("20261205"));
        let mut off = Recent::new(0, 1 << 20);
        off.insert("20261205", trace("a"));
        assert_eq!(off.day_of("a"), None);
    }

    #[test]
    fn traces_are_kept_within_the_byte_bound_and_their_ids_outlive_them() {
        let one = trace("a").approx_bytes();
        let mut recent = Recent::new(10, 2 * one);
        recent.insert("d", trace("a"));
        recent.insert("d", trace("b"));
        recent.insert("d", trace("c"));
        assert_eq!(recent.size(), (3, 2 * one));
        assert!(recent.take("a").is_none(), "let go past the byte bound");
        assert_eq!(recent.day_of("a"), Some("d"), "its id stays");
        let b = recent.take("b").expect("kept");
        assert_eq!(recent.size().1, one);
        assert!(recent.take("b").is_none(), "taken out");
        recent.insert("e", b);
        assert_eq!(recent.size(), (3, 2 * one));
        assert_eq!(
            recent.day_of("b"),
            Some("e"),
            "kept again, with the day written last"
        );
        assert_eq!(
            recent.take("b").map(|t| t.trace().to_owned()).as_deref(),
            Some("b")
        );
    }
}
