//! Strings (tars-wire.md §1.3–1.4): String1 up to 255 bytes, String4 above; raw bytes with no
//! required encoding, so GBK and other legacy text survive byte-exact.

use std::cmp::Ordering;

use bytes::Bytes;

use super::{Decode, Encode, FromStatic, KeyOrd, Reader, WireType, Writer};
use crate::{Error, Result};

/// Writes `s` as a string field.
///
/// # Panics
///
/// Panics if `s` is longer than `u32::MAX` bytes.
#[inline(always)]
pub(crate) fn write_string(w: &mut Writer<'_>, tag: u8, s: &[u8]) {
    // Each form is its own exact-width prefix; the tag test folds away in derived code.
    if let Ok(len) = u8::try_from(s.len()) {
        let ty = WireType::String1 as u8;
        if tag < 15 {
            w.put_prefixed([(tag << 4) | ty, len], s);
        } else {
            w.put_prefixed([0xf0 | ty, tag, len], s);
        }
    } else {
        let len = u32::try_from(s.len()).expect("a TARS string is at most u32::MAX bytes");
        let [l0, l1, l2, l3] = len.to_be_bytes();
        let ty = WireType::String4 as u8;
        if tag < 15 {
            w.put_prefixed([(tag << 4) | ty, l0, l1, l2, l3], s);
        } else {
            w.put_prefixed([0xf0 | ty, tag, l0, l1, l2, l3], s);
        }
    }
}

/// Reads a string of either form, borrowed from the input.
#[inline]
pub(crate) fn read_string<'de>(r: &mut Reader<'de>, ty: WireType) -> Result<&'de [u8]> {
    let n = match ty {
        WireType::String1 => usize::from(r.read_u8()?),
        WireType::String4 => r.read_u32()? as usize,
        _ => return Err(Error::type_mismatch("string", ty)),
    };
    r.take(n)
}

/// `a.cmp(b)` for byte strings, inline: big-endian words compare like their bytes, so strings
/// are compared eight bytes per step (the last step overlapping the one before), and strings of
/// under eight bytes with two or three loads. `<[u8]>::cmp` calls `memcmp`, whose call and size
/// dispatch cost more than the comparison of the short strings map keys are (the encoder checks
/// the order of every map, e.g. 1,000 stat heads of eleven fields per report).
#[inline]
pub(crate) fn compare_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let n = a.len().min(b.len());
    let order = if n >= 8 {
        let mut at = 0;
        loop {
            // The last step starts at `n - 8`; the bytes it repeats are equal.
            let step = at.min(n - 8);
            let (word_a, word_b) = (be_word(a, step), be_word(b, step));
            if word_a != word_b {
                break word_a.cmp(&word_b);
            }
            if step == n - 8 {
                break Ordering::Equal;
            }
            at += 8;
        }
    } else {
        short_key(a, n).cmp(&short_key(b, n))
    };
    order.then(a.len().cmp(&b.len()))
}

/// Bytes `at..at + 8` of `s` as a big-endian word (zero if `s` is shorter).
#[inline(always)]
fn be_word(s: &[u8], at: usize) -> u64 {
    s.get(at..)
        .and_then(<[u8]>::first_chunk::<8>)
        .map_or(0, |w| u64::from_be_bytes(*w))
}

/// The first `n < 8` bytes of `s` folded into a word that orders like them: two overlapping
/// 4-byte halves, or bytes 0, n / 2 and n - 1 (which cover every length from 1 to 3).
#[inline(always)]
fn short_key(s: &[u8], n: usize) -> u64 {
    let byte = |i: usize| u64::from(s.get(i).copied().unwrap_or(0));
    let half = |at: usize| {
        s.get(at..)
            .and_then(<[u8]>::first_chunk::<4>)
            .map_or(0, |w| u64::from(u32::from_be_bytes(*w)))
    };
    match n {
        4.. => (half(0) << 32) | half(n - 4),
        1..=3 => (byte(0) << 16) | (byte(n / 2) << 8) | byte(n - 1),
        0 => 0,
    }
}

/// Implements the string traits for a type whose bytes are its `AsRef<[u8]>`.
macro_rules! string_type {
    ($t:ty, $from_static:expr) => {
        impl Encode for $t {
            #[inline]
            fn write(&self, tag: u8, w: &mut Writer<'_>) {
                write_string(w, tag, AsRef::<[u8]>::as_ref(self));
            }

            #[inline]
            fn is_omittable(&self, default: impl FnOnce() -> Self) -> bool {
                AsRef::<[u8]>::as_ref(self) == AsRef::<[u8]>::as_ref(&default())
            }
        }

        impl KeyOrd for $t {
            #[inline]
            fn key_cmp(&self, other: &Self) -> Ordering {
                compare_bytes(AsRef::<[u8]>::as_ref(self), AsRef::<[u8]>::as_ref(other))
            }
        }

        impl FromStatic for $t {
            #[inline]
            fn from_static(s: &'static str) -> Self {
                $from_static(s)
            }
        }
    };
}

string_type!(&[u8], str::as_bytes);
string_type!(Bytes, |s: &'static str| Bytes::from_static(s.as_bytes()));
string_type!(&str, |s| s);
string_type!(String, String::from);

impl<'de> Decode<'de> for &'de [u8] {
    /// Borrows the string's bytes from the input: O(1), no copy.
    #[inline]
    fn decode(r: &mut Reader<'de>, ty: WireType) -> Result<Self> {
        read_string(r, ty)
    }

    #[inline(always)]
    fn decode_field(r: &mut Reader<'de>, tag: u8) -> Result<Option<Self>> {
        if let Some(s) = r.fast_string(tag) {
            return Ok(Some(s));
        }
        match r.find_field(tag)? {
            Some(ty) => read_string(r, ty).map(Some),
            None => Ok(None),
        }
    }
}

impl<'de> Decode<'de> for Bytes {
    /// Shares the input's allocation when the reader was made from `Bytes`, else copies.
    #[inline]
    fn decode(r: &mut Reader<'de>, ty: WireType) -> Result<Self> {
        let s = read_string(r, ty)?;
        Ok(r.to_bytes(s))
    }

    #[inline(always)]
    fn decode_field(r: &mut Reader<'de>, tag: u8) -> Result<Option<Self>> {
        Ok(<&[u8]>::decode_field(r, tag)?.map(|s| r.to_bytes(s)))
    }
}

impl<'de> Decode<'de> for &'de str {
    /// Borrows the string after checking that it is UTF-8.
    #[inline]
    fn decode(r: &mut Reader<'de>, ty: WireType) -> Result<Self> {
        std::str::from_utf8(read_string(r, ty)?).map_err(|_| Error::invalid_utf8())
    }
}

impl Decode<'_> for String {
    /// Copies the string after checking that it is UTF-8.
    #[inline]
    fn decode(r: &mut Reader<'_>, ty: WireType) -> Result<Self> {
        <&str>::decode(r, ty).map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // Safe code only, and slow under miri (the writer's tests are what miri is run for).
    #[cfg_attr(miri, ignore)]
    fn compare_bytes_orders_like_slices_at_every_length_and_difference() {
        let base: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        for la in 0..=base.len() {
            for lb in [0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 24, 33, 40] {
                let a = &base[..la];
                let b = &base[..lb.min(base.len())];
                assert_eq!(compare_bytes(a, b), a.cmp(b), "prefixes {la} {lb}");
                for at in 0..la {
                    for delta in [1u8, 0x80, 0xff] {
                        let mut c = a.to_vec();
                        c[at] = c[at].wrapping_add(delta);
                        assert_eq!(compare_bytes(a, &c), a.cmp(&c[..]), "len {la} at {at}");
                        assert_eq!(compare_bytes(&c, b), c[..].cmp(b), "len {la} at {at}");
                    }
                }
            }
        }
    }
    use bytes::BytesMut;

    #[test]
    fn strings_up_to_255_bytes_use_string1() {
        let mut buf = BytesMut::new();
        b"ab".as_slice().encode(6, &mut buf);
        assert_eq!(&buf[..], &[0x66, 0x02, b'a', b'b']);

        let long = vec![b'x'; 255];
        let mut buf = BytesMut::new();
        long.as_slice().encode(0, &mut buf);
        assert_eq!(&buf[..2], &[0x06, 0xff]);
        assert_eq!(buf.len(), 257);
    }

    #[test]
    fn strings_over_255_bytes_use_string4() {
        let long = vec![b'x'; 256];
        let mut buf = BytesMut::new();
        long.as_slice().encode(0, &mut buf);
        assert_eq!(&buf[..5], &[0x07, 0, 0, 1, 0]);
        assert_eq!(buf.len(), 261);
    }

    #[test]
    fn either_form_decodes_regardless_of_length() {
        let bytes = [0x07, 0, 0, 0, 2, b'h', b'i'];
        let mut r = Reader::new(&bytes);
        let head = r.read_head().ok();
        let ty = head.map_or(WireType::ZeroTag, |h| h.ty);
        assert_eq!(<&[u8]>::decode(&mut r, ty).ok(), Some(b"hi".as_slice()));
    }

    #[test]
    fn gbk_bytes_survive_and_utf8_is_checked_only_on_request() {
        // "\u{4e2d}\u{6587}" in GBK.
        let gbk = [0x06, 0x04, 0xd6, 0xd0, 0xce, 0xc4];
        let mut r = Reader::new(&gbk);
        let _ = r.read_head();
        assert_eq!(
            <&[u8]>::decode(&mut r, WireType::String1).ok(),
            Some([0xd6, 0xd0, 0xce, 0xc4].as_slice())
        );
        let mut r = Reader::new(&gbk);
        let _ = r.read_head();
        let err = String::decode(&mut r, WireType::String1).err();
        assert!(err.is_some_and(|e| e.is_invalid_value()));
    }

    #[test]
    fn a_zero_tag_is_not_a_string() {
        let mut r = Reader::new(&[]);
        let err = <&[u8]>::decode(&mut r, WireType::ZeroTag).err();
        assert!(err.is_some_and(|e| e.is_type_mismatch()));
    }

    #[test]
    fn a_length_past_the_end_is_an_eof_error() {
        let bytes = [0x06, 0x05, b'a'];
        let mut r = Reader::new(&bytes);
        let _ = r.read_head();
        let err = <&[u8]>::decode(&mut r, WireType::String1).err();
        assert!(err.is_some_and(|e| e.is_eof()));
    }

    #[test]
    fn bytes_decoded_from_bytes_share_the_allocation() {
        let input = Bytes::from_static(&[0x06, 0x02, b'o', b'k']);
        let mut r = Reader::from_bytes(&input);
        let _ = r.read_head();
        let s = Bytes::decode(&mut r, WireType::String1).ok();
        assert_eq!(s.as_deref(), Some(b"ok".as_slice()));
        assert_eq!(s.map(|s| s.as_ptr()), Some(input[2..].as_ptr()));
    }
}
