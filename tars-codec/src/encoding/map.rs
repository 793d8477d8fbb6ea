//! Maps (tars-wire.md §1.5): a length, then key (tag 0) / value (tag 1) pairs.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::scalar::write_int;
use super::{Decode, Encode, KeyOrd, Reader, WireType, Writer, write_head};
use crate::{Error, Result};

/// A TARS `map<K, V>` that keeps the wire order of its entries.
///
/// Decoding keeps every entry in the order it arrived (duplicates too; [`TarsMap::get`] returns
/// the first, as TarsCpp's `std::map` insert does). Encoding writes the entries in [`KeyOrd`]
/// order, which is what TarsCpp emits, so re-encoding is byte-identical with TarsCpp; when the
/// entries are already in order (the usual case) this costs one pass of comparisons and no
/// allocation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TarsMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for TarsMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K, V> TarsMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            entries: Vec::with_capacity(n),
        }
    }

    /// Appends an entry, keeping any earlier entry with the same key.
    pub fn push(&mut self, key: K, value: V) {
        self.entries.push((key, value));
    }

    /// Number of entries, duplicates included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in wire (or insertion) order.
    pub fn entries(&self) -> &[(K, V)] {
        &self.entries
    }

    /// Iterates over the entries in wire (or insertion) order.
    pub fn iter(&self) -> std::slice::Iter<'_, (K, V)> {
        self.entries.iter()
    }

    /// The entries, by value.
    pub fn into_entries(self) -> Vec<(K, V)> {
        self.entries
    }
}

impl<K: KeyOrd, V> TarsMap<K, V> {
    /// The value of the first entry whose key equals `key` under [`KeyOrd`]. O(n).
    pub fn get(&self, key: &K) -> Option<&V> {
        self.entries
            .iter()
            .find(|(k, _)| k.key_cmp(key) == Ordering::Equal)
            .map(|(_, v)| v)
    }

    /// Sets `key` to `value`, replacing the first equal key or appending. O(n).
    pub fn insert(&mut self, key: K, value: V) {
        match self
            .entries
            .iter_mut()
            .find(|(k, _)| k.key_cmp(&key) == Ordering::Equal)
        {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }
}

impl<K, V> From<Vec<(K, V)>> for TarsMap<K, V> {
    fn from(entries: Vec<(K, V)>) -> Self {
        Self { entries }
    }
}

impl<K, V> FromIterator<(K, V)> for TarsMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self {
            entries: iter.into_iter().collect(),
        }
    }
}

impl<K, V> IntoIterator for TarsMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a TarsMap<K, V> {
    type Item = &'a (K, V);
    type IntoIter = std::slice::Iter<'a, (K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

fn write_map_head(w: &mut Writer<'_>, tag: u8, len: usize) {
    write_head(w, tag, WireType::Map);
    write_int(w, 0, len as i64);
}

#[inline]
fn write_entry<K: Encode, V: Encode>(w: &mut Writer<'_>, k: &K, v: &V) {
    k.write(0, w);
    v.write(1, w);
}

impl<K: Encode + KeyOrd, V: Encode> Encode for TarsMap<K, V> {
    fn write(&self, tag: u8, w: &mut Writer<'_>) {
        write_map_head(w, tag, self.entries.len());
        let sorted = self
            .entries
            .windows(2)
            .all(|w| w[0].0.key_cmp(&w[1].0) != Ordering::Greater);
        if sorted {
            for (k, v) in &self.entries {
                write_entry(w, k, v);
            }
        } else {
            let mut order: Vec<&(K, V)> = self.entries.iter().collect();
            order.sort_by(|a, b| a.0.key_cmp(&b.0));
            for (k, v) in order {
                write_entry(w, k, v);
            }
        }
    }

    #[inline]
    fn is_omittable(&self, _default: impl FnOnce() -> Self) -> bool {
        self.entries.is_empty()
    }
}

impl<'de, K: Decode<'de>, V: Decode<'de>> Decode<'de> for TarsMap<K, V> {
    #[inline]
    fn decode(r: &mut Reader<'de>, ty: WireType) -> Result<Self> {
        if ty != WireType::Map {
            return Err(Error::type_mismatch("map", ty));
        }
        let n = r.read_length(2)?;
        r.enter()?;
        let mut entries: Vec<(K, V)> = Vec::with_capacity(n);
        for _ in 0..n {
            if std::mem::size_of::<(K, V)>() <= super::MOVE_LIMIT_BYTES {
                let k = super::decode_element(r, 0)?;
                let v = super::decode_element(r, 1)?;
                entries.push((k, v));
            } else {
                // Large entries (struct keys or values) are decoded in place instead of moved.
                entries.push((K::default(), V::default()));
                if let Some((k, v)) = entries.last_mut() {
                    super::decode_element_into(k, r, 0)?;
                    super::decode_element_into(v, r, 1)?;
                }
            }
        }
        r.leave();
        Ok(Self { entries })
    }

    #[inline(always)]
    fn decode_field(r: &mut Reader<'de>, tag: u8) -> Result<Option<Self>> {
        if r.fast_empty_map(tag) {
            return Ok(Some(Self::new()));
        }
        match r.find_field(tag)? {
            Some(ty) => Self::decode(r, ty).map(Some),
            None => Ok(None),
        }
    }
}

impl<K: KeyOrd, V: KeyOrd> KeyOrd for TarsMap<K, V> {
    fn key_cmp(&self, other: &Self) -> Ordering {
        for ((ka, va), (kb, vb)) in self.entries.iter().zip(&other.entries) {
            match ka.key_cmp(kb).then_with(|| va.key_cmp(vb)) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        self.entries.len().cmp(&other.entries.len())
    }
}

impl<K: KeyOrd, V: KeyOrd> KeyOrd for BTreeMap<K, V> {
    fn key_cmp(&self, other: &Self) -> Ordering {
        for ((ka, va), (kb, vb)) in self.iter().zip(other) {
            match ka.key_cmp(kb).then_with(|| va.key_cmp(vb)) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        self.len().cmp(&other.len())
    }
}

/// A `BTreeMap` is written in its own order; on decode the first of duplicate keys wins.
impl<K: Encode + Ord, V: Encode> Encode for BTreeMap<K, V> {
    fn write(&self, tag: u8, w: &mut Writer<'_>) {
        write_map_head(w, tag, self.len());
        for (k, v) in self {
            write_entry(w, k, v);
        }
    }

    #[inline]
    fn is_omittable(&self, _default: impl FnOnce() -> Self) -> bool {
        self.is_empty()
    }
}

impl<'de, K: Decode<'de> + Ord, V: Decode<'de>> Decode<'de> for BTreeMap<K, V> {
    fn decode(r: &mut Reader<'de>, ty: WireType) -> Result<Self> {
        let mut map = BTreeMap::new();
        for (k, v) in TarsMap::<K, V>::decode(r, ty)? {
            map.entry(k).or_insert(v);
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    fn enc<T: Encode>(v: &T) -> Vec<u8> {
        let mut buf = BytesMut::new();
        v.encode(0, &mut buf);
        buf.to_vec()
    }

    fn dec<'a, T: Decode<'a>>(bytes: &'a [u8]) -> Result<T> {
        let mut r = Reader::new(bytes);
        let head = r.read_head()?;
        T::decode(&mut r, head.ty)
    }

    #[test]
    fn empty_map_fields_take_the_fast_path_with_the_general_paths_results() {
        let bytes = [0x18, 0x0c, 0x20, 0x07];
        let mut r = Reader::new(&bytes);
        let map = TarsMap::<i32, i32>::decode_field(&mut r, 1).expect("empty map");
        assert_eq!(map, Some(TarsMap::new()));
        assert_eq!(r.read_required::<i32>(2, "next").expect("next field"), 7);
        // At the depth limit the general path reports it, as for any other map.
        let mut r = Reader::new(&bytes).with_max_depth(0);
        let error = TarsMap::<i32, i32>::decode_field(&mut r, 1).expect_err("depth limit");
        assert!(
            error.to_string().contains("nesting deeper than 0"),
            "{error}"
        );
        // A non-empty map or another tag is left to the general path.
        let one = [0x18, 0x00, 0x01, 0x00, 0x05, 0x10, 0x06];
        let map = TarsMap::<i32, i32>::decode_field(&mut Reader::new(&one), 1).expect("map");
        assert_eq!(map, Some(vec![(5, 6)].into()));
        let absent = TarsMap::<i32, i32>::decode_field(&mut Reader::new(&bytes), 0).expect("ok");
        assert_eq!(absent, None);
    }

    #[test]
    fn maps_are_written_in_key_order_whatever_the_insertion_order() {
        let a: TarsMap<i32, i32> = vec![(3, 30), (1, 10), (2, 20)].into();
        let b: TarsMap<i32, i32> = vec![(1, 10), (2, 20), (3, 30)].into();
        let bytes = enc(&a);
        assert_eq!(bytes, enc(&b));
        assert_eq!(
            bytes,
            [
                0x08, 0x00, 0x03, 0x00, 0x01, 0x10, 0x0a, 0x00, 0x02, 0x10, 0x14, 0x00, 0x03, 0x10,
                0x1e
            ]
        );
    }

    #[test]
    fn decoding_keeps_wire_order_and_duplicates_and_get_returns_the_first() {
        // {2: 1, 1: 5, 2: 9}
        let bytes = [
            0x08, 0x00, 0x03, 0x00, 0x02, 0x10, 0x01, 0x00, 0x01, 0x10, 0x05, 0x00, 0x02, 0x10,
            0x09,
        ];
        let map = dec::<TarsMap<i32, i32>>(&bytes).ok();
        let map = map.unwrap_or_default();
        assert_eq!(map.entries(), &[(2, 1), (1, 5), (2, 9)]);
        assert_eq!(map.get(&2), Some(&1));
        let tree = dec::<BTreeMap<i32, i32>>(&bytes).ok().unwrap_or_default();
        assert_eq!(tree.get(&2), Some(&1));
        assert_eq!(tree.len(), 2);
    }

    #[test]
    fn an_empty_map_has_a_zero_length() {
        assert_eq!(enc(&TarsMap::<i32, i32>::new()), [0x08, 0x0c]);
    }

    #[test]
    fn a_map_claiming_more_entries_than_bytes_is_rejected() {
        let bytes = [0x08, 0x00, 0x02, 0x00, 0x01, 0x10];
        let err = dec::<TarsMap<i32, i32>>(&bytes).err();
        assert!(err.is_some_and(|e| e.is_limit()));
    }

    #[test]
    fn a_value_with_the_key_tag_is_rejected() {
        let bytes = [0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01];
        let err = dec::<TarsMap<i32, i32>>(&bytes).err();
        assert!(err.is_some_and(|e| e.is_eof() || e.is_missing_field()));
    }
}
