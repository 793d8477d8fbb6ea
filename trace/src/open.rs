//! Where open traces live: a slab of slots threaded by three intrusive lists, so that finding
//! the next trace to close, moving a trace on a new line and closing one are all O(1) and
//! allocation-free (slots are reused).
//!
//! - `Quiet`: by last line, traces waiting `quiet_ms`;
//! - `Waiting`: by last line, traces waiting `incomplete_wait_ms`;
//! - `Age`: by first line (the `max_open_ms` cap).
//!
//! A trace is in exactly one of the first two and always in the third.

use crate::merge::Trace;

const NIL: u32 = u32::MAX;

/// Bytes a slot takes besides its trace's strings and spans.
pub(crate) const SLOT_BYTES: usize = std::mem::size_of::<Slot>();

/// One open trace and its bookkeeping.
#[derive(Debug)]
pub(crate) struct Open {
    pub(crate) trace: Trace,
    /// Hash of the trace id (for the id table).
    pub(crate) hash: u64,
    pub(crate) first_ms: i64,
    pub(crate) last_ms: i64,
    /// Approximate bytes held.
    pub(crate) bytes: usize,
    /// In `Waiting` rather than `Quiet`.
    pub(crate) waiting: bool,
}

/// The lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListId {
    Quiet,
    Waiting,
    Age,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Links {
    prev: u32,
    next: u32,
}

const UNLINKED: Links = Links {
    prev: NIL,
    next: NIL,
};

#[derive(Debug, Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

#[derive(Debug)]
struct Slot {
    /// `Quiet` or `Waiting` links.
    touch: Links,
    /// `Age` links.
    age: Links,
    open: Option<Open>,
}

/// The slab and its lists.
#[derive(Debug)]
pub(crate) struct Slots {
    slab: Vec<Slot>,
    free: Vec<u32>,
    lists: [List; 3],
    len: usize,
}

impl Slots {
    pub(crate) fn new() -> Self {
        Self {
            slab: Vec::new(),
            free: Vec::new(),
            lists: [List {
                head: NIL,
                tail: NIL,
            }; 3],
            len: 0,
        }
    }

    /// Open traces.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn get(&self, i: u32) -> Option<&Open> {
        self.slab.get(i as usize)?.open.as_ref()
    }

    pub(crate) fn get_mut(&mut self, i: u32) -> Option<&mut Open> {
        self.slab.get_mut(i as usize)?.open.as_mut()
    }

    /// Stores `open` at the back of `Quiet` and `Age`; its slot number.
    pub(crate) fn insert(&mut self, open: Open) -> u32 {
        let i = self.free.pop().unwrap_or_else(|| {
            self.slab.push(Slot {
                touch: UNLINKED,
                age: UNLINKED,
                open: None,
            });
            (self.slab.len() - 1) as u32
        });
        self.slab[i as usize].open = Some(Open {
            waiting: false,
            ..open
        });
        self.len += 1;
        self.push_back(ListId::Quiet, i);
        self.push_back(ListId::Age, i);
        i
    }

    /// Takes trace `i` out of its lists and frees its slot.
    pub(crate) fn remove(&mut self, i: u32) -> Option<Open> {
        let open = self.slab.get_mut(i as usize)?.open.take()?;
        let list = if open.waiting {
            ListId::Waiting
        } else {
            ListId::Quiet
        };
        self.unlink(list, i);
        self.unlink(ListId::Age, i);
        self.free.push(i);
        self.len -= 1;
        Some(open)
    }

    /// Trace `i` had a line at `now_ms`: to the back of `Quiet`.
    pub(crate) fn touch(&mut self, i: u32, now_ms: i64) {
        let Some(open) = self.get_mut(i) else { return };
        open.last_ms = open.last_ms.max(now_ms);
        let from = if std::mem::replace(&mut open.waiting, false) {
            ListId::Waiting
        } else {
            ListId::Quiet
        };
        self.unlink(from, i);
        self.push_back(ListId::Quiet, i);
    }

    /// Trace `i` (at the head of `Quiet`) now waits `incomplete_wait_ms`: to `Waiting`.
    pub(crate) fn wait(&mut self, i: u32) {
        let Some(open) = self.get_mut(i) else { return };
        if !std::mem::replace(&mut open.waiting, true) {
            self.unlink(ListId::Quiet, i);
            self.push_back(ListId::Waiting, i);
        }
    }

    /// The first trace of `list`.
    pub(crate) fn head(&self, list: ListId) -> Option<(u32, &Open)> {
        let i = self.lists[list as usize].head;
        Some((i, self.get(i)?))
    }

    /// The least recently updated trace.
    pub(crate) fn oldest(&self) -> Option<u32> {
        match (self.head(ListId::Quiet), self.head(ListId::Waiting)) {
            (Some((q, quiet)), Some((w, waiting))) => Some(if waiting.last_ms <= quiet.last_ms {
                w
            } else {
                q
            }),
            (Some((i, _)), None) | (None, Some((i, _))) => Some(i),
            (None, None) => None,
        }
    }

    fn links(&mut self, i: u32, list: ListId) -> &mut Links {
        let slot = &mut self.slab[i as usize];
        match list {
            ListId::Quiet | ListId::Waiting => &mut slot.touch,
            ListId::Age => &mut slot.age,
        }
    }

    fn push_back(&mut self, list: ListId, i: u32) {
        let tail = self.lists[list as usize].tail;
        *self.links(i, list) = Links {
            prev: tail,
            next: NIL,
        };
        if tail == NIL {
            self.lists[list as usize].head = i;
        } else {
            self.links(tail, list).next = i;
        }
        self.lists[list as usize].tail = i;
    }

    fn unlink(&mut self, list: ListId, i: u32) {
        let Links { prev, next } = std::mem::replace(self.links(i, list), UNLINKED);
        if prev == NIL {
            self.lists[list as usize].head = next;
        } else {
            self.links(prev, list).next = next;
        }
        if next == NIL {
            self.lists[list as usize].tail = prev;
        } else {
            self.links(next, list).prev = prev;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(id: &str, at: i64) -> Open {
        Open {
            trace: Trace::new(id),
            hash: 0,
            first_ms: at,
            last_ms: at,
            bytes: 0,
            waiting: false,
        }
    }

    fn ids(slots: &Slots, list: ListId) -> Vec<String> {
        let mut out = Vec::new();
        let mut i = slots.lists[list as usize].head;
        while i != NIL {
            let slot = &slots.slab[i as usize];
            out.push(slot.open.as_ref().expect("linked").trace.trace().to_owned());
            i = if list == ListId::Age {
                slot.age.next
            } else {
                slot.touch.next
            };
        }
        out
    }

    #[test]
    fn lists_follow_lines_waits_and_removals() {
        let mut slots = Slots::new();
        let a = slots.insert(open("a", 0));
        let b = slots.insert(open("b", 1));
        let c = slots.insert(open("c", 2));
        slots.touch(a, 3);
        assert_eq!(ids(&slots, ListId::Quiet), ["b", "c", "a"]);
        assert_eq!(ids(&slots, ListId::Age), ["a", "b", "c"]);
        slots.wait(b);
        assert_eq!(ids(&slots, ListId::Quiet), ["c", "a"]);
        assert_eq!(ids(&slots, ListId::Waiting), ["b"]);
        assert_eq!(slots.oldest(), Some(b));
        slots.touch(b, 4);
        assert_eq!(ids(&slots, ListId::Waiting), Vec::<String>::new());
        assert_eq!(ids(&slots, ListId::Quiet), ["c", "a", "b"]);
        assert_eq!(slots.remove(a).expect("a").trace.trace(), "a");
        assert!(slots.remove(a).is_none());
        assert_eq!(ids(&slots, ListId::Quiet), ["c", "b"]);
        assert_eq!(ids(&slots, ListId::Age), ["b", "c"]);
        let d = slots.insert(open("d", 5));
        assert_eq!(d, a, "the slot is reused");
        assert_eq!(slots.len(), 3);
        assert_eq!(slots.oldest(), Some(c));
    }
}
