//! Lists and byte vectors (tars-wire.md §1.5).

use std::cmp::Ordering;

use bytes::Bytes;

use super::scalar::write_int;
use super::{Decode, Encode, KeyOrd, Reader, WireType, Writer, write_head};
use crate::{Error, Result};

/// A `vector<byte>`: raw bytes written as a SimpleList.
///
/// `SimpleList<&'de [u8]>` borrows from the input and `SimpleList<Bytes>` shares it, so neither
/// copies. Both also accept the rare LIST-of-bytes form that TarsCpp and TarsGo read, except that
/// the borrowed form cannot (the bytes are not contiguous on the wire) and reports a type
/// mismatch; `SimpleList<Bytes>` and `SimpleList<Vec<u8>>` copy it instead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SimpleList<B>(pub B);

impl<B: AsRef<[u8]>> SimpleList<B> {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_ref()
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> B {
        self.0
    }
}

impl<B: AsRef<[u8]>> AsRef<[u8]> for SimpleList<B> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_ref()
    }
}

/// Writes a SimpleList field: head, the inner BYTE head `0x00`, the length, the bytes.
#[inline]
pub(crate) fn write_simple_list(w: &mut Writer<'_>, tag: u8, bytes: &[u8]) {
    write_head(w, tag, WireType::SimpleList);
    w.put_block([0x00], 1);
    write_int(w, 0, bytes.len() as i64);
    w.put_slice(bytes);
}

/// Reads a SimpleList whose head was consumed.
#[inline]
pub(crate) fn read_simple_list<'de>(r: &mut Reader<'de>) -> Result<&'de [u8]> {
    let inner = r.read_head()?;
    if inner.ty != WireType::Byte {
        return Err(Error::type_mismatch("simple list element byte", inner.ty));
    }
    let n = r.read_length(1)?;
    r.take(n)
}

/// Writes a LIST field of `items`, each with tag 0.
#[inline]
pub(crate) fn write_list<T: Encode>(items: &[T], tag: u8, w: &mut Writer<'_>) {
    write_head(w, tag, WireType::List);
    write_int(w, 0, items.len() as i64);
    for item in items {
        item.write(0, w);
    }
}

/// Reads a LIST whose head was consumed.
#[inline]
pub(crate) fn decode_list<'de, T: Decode<'de>>(
    r: &mut Reader<'de>,
    ty: WireType,
) -> Result<Vec<T>> {
    if ty != WireType::List {
        return Err(Error::type_mismatch("list", ty));
    }
    let n = r.read_length(1)?;
    r.enter()?;
    let mut items: Vec<T> = Vec::with_capacity(n);
    for _ in 0..n {
        if std::mem::size_of::<T>() <= super::MOVE_LIMIT_BYTES {
            items.push(super::decode_element(r, 0)?);
        } else {
            // Large elements (structs) are decoded in place instead of moved into the vector.
            items.push(T::default());
            if let Some(slot) = items.last_mut() {
                super::decode_element_into(slot, r, 0)?;
            }
        }
    }
    r.leave();
    Ok(items)
}

impl<T: Encode> Encode for Vec<T> {
    #[inline]
    fn write(&self, tag: u8, w: &mut Writer<'_>) {
        T::write_vec(self, tag, w);
    }

    #[inline]
    fn is_omittable(&self, _default: impl FnOnce() -> Self) -> bool {
        self.is_empty()
    }
}

impl<'de, T: Decode<'de>> Decode<'de> for Vec<T> {
    #[inline]
    fn decode(r: &mut Reader<'de>, ty: WireType) -> Result<Self> {
        T::decode_vec(r, ty)
    }
}

impl<T: KeyOrd> KeyOrd for Vec<T> {
    fn key_cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.iter().zip(other) {
            match a.key_cmp(b) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        self.len().cmp(&other.len())
    }
}

impl<B: AsRef<[u8]>> Encode for SimpleList<B> {
    #[inline]
    fn write(&self, tag: u8, w: &mut Writer<'_>) {
        write_simple_list(w, tag, self.0.as_ref());
    }

    #[inline]
    fn is_omittable(&self, _default: impl FnOnce() -> Self) -> bool {
        self.0.as_ref().is_empty()
    }
}

impl<B: AsRef<[u8]>> KeyOrd for SimpleList<B> {
    fn key_cmp(&self, other: &Self) -> Ordering {
        self.0.as_ref().cmp(other.0.as_ref())
    }
}

impl<'de> Decode<'de> for SimpleList<&'de [u8]> {
    #[inline]
    fn decode(r: &mut Reader<'de>, ty: WireType) -> Result<Self> {
        match ty {
            WireType::SimpleList => read_simple_list(r).map(SimpleList),
            _ => Err(Error::type_mismatch("vector<byte> (simple list)", ty)),
        }
    }
}

impl<'de> Decode<'de> for SimpleList<Bytes> {
    #[inline]
    fn decode(r: &mut Reader<'de>, ty: WireType) -> Result<Self> {
        match ty {
            WireType::SimpleList => {
                let s = read_simple_list(r)?;
                Ok(SimpleList(r.to_bytes(s)))
            }
            _ => SimpleList::<Vec<u8>>::decode(r, ty).map(|v| SimpleList(Bytes::from(v.0))),
        }
    }
}

impl<'de> Decode<'de> for SimpleList<Vec<u8>> {
    fn decode(r: &mut Reader<'de>, ty: WireType) -> Result<Self> {
        let v = i8::decode_vec(r, ty)?;
        Ok(SimpleList(v.into_iter().map(|b| b as u8).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    fn enc<T: Encode>(v: &T, tag: u8) -> Vec<u8> {
        let mut buf = BytesMut::new();
        v.encode(tag, &mut buf);
        buf.to_vec()
    }

    fn dec<'a, T: Decode<'a>>(bytes: &'a [u8]) -> Result<T> {
        let mut r = Reader::new(bytes);
        let head = r.read_head()?;
        T::decode(&mut r, head.ty)
    }

    #[test]
    fn empty_byte_vector_is_a_simple_list_of_zero() {
        assert_eq!(enc(&SimpleList(&b""[..]), 7), [0x7d, 0x00, 0x0c]);
        assert_eq!(enc(&Vec::<i8>::new(), 7), [0x7d, 0x00, 0x0c]);
    }

    #[test]
    fn list_lengths_go_through_the_int_cascade() {
        let v: Vec<i32> = vec![0; 300];
        let bytes = enc(&v, 0);
        assert_eq!(&bytes[..4], &[0x09, 0x01, 0x01, 0x2c]);
        assert_eq!(bytes.len(), 4 + 300);
        assert_eq!(dec::<Vec<i32>>(&bytes).ok(), Some(v));
    }

    #[test]
    fn byte_vectors_accept_a_list_of_bytes_unless_borrowed() {
        // LIST tag 0, length 2, elements BYTE 1 and ZeroTag.
        let list = [0x09, 0x00, 0x02, 0x00, 0x01, 0x0c];
        assert_eq!(dec::<Vec<i8>>(&list).ok(), Some(vec![1, 0]));
        assert_eq!(
            dec::<SimpleList<Bytes>>(&list).ok(),
            Some(SimpleList(Bytes::from_static(&[1, 0])))
        );
        let err = dec::<SimpleList<&[u8]>>(&list).err();
        assert!(err.is_some_and(|e| e.is_type_mismatch()));
    }

    #[test]
    fn a_simple_list_needs_a_byte_inner_head() {
        let bad = [0x0d, 0x01, 0x00, 0x00];
        let err = dec::<SimpleList<&[u8]>>(&bad).err();
        assert!(err.is_some_and(|e| e.is_type_mismatch()));
    }

    #[test]
    fn lengths_beyond_the_input_are_rejected_before_allocating() {
        // A list claiming 2^31-1 elements in 6 bytes.
        let bad = [0x09, 0x02, 0x7f, 0xff, 0xff, 0xff];
        let err = dec::<Vec<i64>>(&bad).err();
        assert!(err.is_some_and(|e| e.is_limit()));
        let negative = [0x09, 0x00, 0xff];
        let err = dec::<Vec<i64>>(&negative).err();
        assert!(err.is_some_and(|e| e.is_limit()));
    }

    #[test]
    fn list_elements_must_carry_tag_zero() {
        let bad = [0x09, 0x00, 0x01, 0x10, 0x01];
        let err = dec::<Vec<i32>>(&bad).err();
        assert!(err.is_some_and(|e| e.is_missing_field()));
    }
}
