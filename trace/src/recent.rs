//! Trace ids closed lately, with the day their document was written to, so that a trace
//! opened again by late lines is joined to its stored document instead of replacing it
//! (K8SFramework replaced it, keeping only the late spans). Bounded: past `max` ids the oldest
//! are forgotten.

use std::collections::{HashMap, VecDeque};

use xxhash_rust::xxh3::xxh3_64;

/// The remembered ids (by XXH3-64 of the trace id) and their days.
#[derive(Debug)]
pub(crate) struct Recent {
    max: usize,
    days: HashMap<u64, String>,
    order: VecDeque<u64>,
}

impl Recent {
    /// Remembers at most `max` ids (0: none).
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max,
            days: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// The day trace `id`'s document was written to, if it closed lately.
    pub(crate) fn day_of(&self, id: &str) -> Option<&str> {
        self.days.get(&xxh3_64(id.as_bytes())).map(String::as_str)
    }

    /// Remembers that trace `id` was written to `day`'s index.
    pub(crate) fn insert(&mut self, id: &str, day: &str) {
        if self.max == 0 {
            return;
        }
        let key = xxh3_64(id.as_bytes());
        if self.days.insert(key, day.to_owned()).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > self.max {
            if let Some(oldest) = self.order.pop_front() {
                self.days.remove(&oldest);
            }
        }
    }

    /// Ids remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.days.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_remembered_with_their_day_and_the_oldest_forgotten_first() {
        let mut recent = Recent::new(2);
        recent.insert("a", "20261205");
        recent.insert("b", "20261205");
        recent.insert("a", "20261206");
        assert_eq!(
            recent.day_of("a"),
            Some("20261206"),
            "the day of its last write"
        );
        recent.insert("c", "20261206");
        assert_eq!(recent.len(), 2);
        assert_eq!(recent.day_of("a"), None, "the oldest went first");
        assert_eq!(recent.day_of("b"), Some("20261205"));
        let mut off = Recent::new(0);
        off.insert("a", "20261205");
        assert_eq!(off.day_of("a"), None);
    }
}
