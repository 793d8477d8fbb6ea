//! Integers, bools and floats (tars-wire.md §1.3).
//!
//! Integers are written narrowed to the smallest type that holds them, zero as a bare ZeroTag
//! head; readers accept any narrower or equal type and sign-extend it, never a wider one.

use std::cmp::Ordering;

use bytes::{BufMut, BytesMut};

use super::{Decode, Encode, KeyOrd, Reader, WireType, write_head_and};
use crate::{Error, Result};

/// How to write an integer by its number of significant bits (sign included); index 0 is the
/// value zero: `(payload size, wire type, left shift that puts the payload at the top)`.
const INT_CLASS: [(u8, WireType, u8); 65] = {
    let mut table = [(8, WireType::Long, 0); 65];
    table[0] = (0, WireType::ZeroTag, 0);
    let mut bits = 1;
    while bits <= 64 {
        table[bits] = match bits {
            1..=8 => (1, WireType::Byte, 56),
            9..=16 => (2, WireType::Short, 48),
            17..=32 => (4, WireType::Int, 32),
            _ => (8, WireType::Long, 0),
        };
        bits += 1;
    }
    table
};

/// Writes `v` as field `tag` through the narrowing cascade.
///
/// Branch-free on the value: the width comes from a table indexed by its significant bits, a
/// fixed-size head-and-payload block is appended, and the unused tail is cut off again.
#[inline(always)]
pub(crate) fn write_int(buf: &mut BytesMut, tag: u8, v: i64) {
    let bits = 65 - (v ^ (v >> 63)).leading_zeros() as usize;
    let (size, ty, shift) = INT_CLASS[if v == 0 { 0 } else { bits }];
    let word = (v as u64) << shift;
    let end = buf.len() + usize::from(size) + if tag < 15 { 1 } else { 2 };
    if tag < 15 {
        let head = (tag << 4) | ty as u8;
        let block = ((u128::from(head) << 120) | (u128::from(word) << 56)).to_be_bytes();
        buf.put_slice(&block[..9]);
    } else {
        let head = u16::from_be_bytes([0xf0 | ty as u8, tag]);
        let block = ((u128::from(head) << 112) | (u128::from(word) << 48)).to_be_bytes();
        buf.put_slice(&block[..10]);
    }
    buf.truncate(end);
}

/// Reads an integer of type `ty`, which may be at most as wide as `widest`.
///
/// The general path: fields go through [`Reader::fast_int`] first, which handles the common
/// heads without branching on the width.
#[inline]
pub(crate) fn read_int(
    r: &mut Reader<'_>,
    ty: WireType,
    widest: WireType,
    expected: &'static str,
) -> Result<i64> {
    let w = widest as u8;
    match ty {
        WireType::ZeroTag => Ok(0),
        WireType::Byte => Ok(i64::from(r.read_u8()? as i8)),
        WireType::Short if w >= WireType::Short as u8 => r.read_i16().map(i64::from),
        WireType::Int if w >= WireType::Int as u8 => r.read_i32().map(i64::from),
        WireType::Long if w >= WireType::Long as u8 => r.read_i64(),
        _ => Err(Error::type_mismatch(expected, ty)),
    }
}

macro_rules! signed_int {
    ($t:ty, $widest:expr, $name:literal) => {
        impl Encode for $t {
            #[inline]
            fn encode(&self, tag: u8, buf: &mut BytesMut) {
                write_int(buf, tag, i64::from(*self));
            }

            #[inline]
            fn is_omittable(&self, default: impl FnOnce() -> Self) -> bool {
                *self == default()
            }
        }

        impl<'de> Decode<'de> for $t {
            #[inline]
            fn decode(r: &mut Reader<'de>, ty: WireType) -> Result<Self> {
                // In range by construction: `read_int` rejects types wider than `$widest`.
                read_int(r, ty, $widest, $name).map(|v| v as $t)
            }

            #[inline(always)]
            fn decode_field(r: &mut Reader<'de>, tag: u8) -> Result<Option<Self>> {
                if let Some(v) = r.fast_int(tag, $widest) {
                    return Ok(Some(v as $t));
                }
                match r.find_field(tag)? {
                    Some(ty) => Self::decode(r, ty).map(Some),
                    None => Ok(None),
                }
            }
        }

        impl KeyOrd for $t {
            #[inline]
            fn key_cmp(&self, other: &Self) -> Ordering {
                self.cmp(other)
            }
        }
    };
}

signed_int!(i16, WireType::Short, "short");
signed_int!(i32, WireType::Int, "int");
signed_int!(i64, WireType::Long, "long");

/// Unsigned IDL types travel through the next wider signed path; reading a value outside the
/// unsigned range is an error (TarsCpp and TarsGo would truncate it silently).
macro_rules! unsigned_int {
    ($t:ty, $widest:expr, $name:literal) => {
        impl Encode for $t {
            #[inline]
            fn encode(&self, tag: u8, buf: &mut BytesMut) {
                write_int(buf, tag, i64::from(*self));
            }

            #[inline]
            fn is_omittable(&self, default: impl FnOnce() -> Self) -> bool {
                *self == default()
            }
        }

        impl Decode<'_> for $t {
            #[inline]
            fn decode(r: &mut Reader<'_>, ty: WireType) -> Result<Self> {
                let v = read_int(r, ty, $widest, $name)?;
                <$t>::try_from(v).map_err(|_| Error::invalid_value($name, v))
            }
        }

        impl KeyOrd for $t {
            #[inline]
            fn key_cmp(&self, other: &Self) -> Ordering {
                self.cmp(other)
            }
        }
    };
}

unsigned_int!(u8, WireType::Short, "unsigned byte");
unsigned_int!(u16, WireType::Int, "unsigned short");
unsigned_int!(u32, WireType::Long, "unsigned int");

impl Encode for i8 {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        write_int(buf, tag, i64::from(*self));
    }

    #[inline]
    fn is_omittable(&self, default: impl FnOnce() -> Self) -> bool {
        *self == default()
    }

    /// `vector<byte>` is a SimpleList.
    #[inline]
    fn encode_vec(items: &[Self], tag: u8, buf: &mut BytesMut) {
        let bytes: Vec<u8> = items.iter().map(|&b| b as u8).collect();
        super::list::write_simple_list(buf, tag, &bytes);
    }
}

impl<'de> Decode<'de> for i8 {
    #[inline]
    fn decode(r: &mut Reader<'de>, ty: WireType) -> Result<Self> {
        read_int(r, ty, WireType::Byte, "byte").map(|v| v as i8)
    }

    /// Accepts a SimpleList (what every writer sends) and a LIST of bytes (TarsCpp, TarsGo).
    fn decode_vec(r: &mut Reader<'de>, ty: WireType) -> Result<Vec<Self>> {
        if ty == WireType::SimpleList {
            let raw = super::list::read_simple_list(r)?;
            Ok(raw.iter().map(|&b| b as i8).collect())
        } else {
            super::list::decode_list(r, ty)
        }
    }
}

impl KeyOrd for i8 {
    #[inline]
    fn key_cmp(&self, other: &Self) -> Ordering {
        self.cmp(other)
    }
}

/// `bool` is written as a byte 1 (true) or ZeroTag (false); any non-zero byte reads as true.
/// Optional bools are always written, as TarsCpp does.
impl Encode for bool {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        write_int(buf, tag, i64::from(*self));
    }
}

impl Decode<'_> for bool {
    #[inline]
    fn decode(r: &mut Reader<'_>, ty: WireType) -> Result<Self> {
        read_int(r, ty, WireType::Byte, "bool").map(|v| v != 0)
    }
}

impl KeyOrd for bool {
    #[inline]
    fn key_cmp(&self, other: &Self) -> Ordering {
        self.cmp(other)
    }
}

/// Floats are always written with their full width (0.0 too), as TarsCpp and TarsGo do.
impl Encode for f32 {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        write_head_and(buf, tag, WireType::Float, &self.to_bits().to_be_bytes());
    }

    #[inline]
    #[allow(clippy::float_cmp, reason = "exact on purpose, see below")]
    fn is_omittable(&self, default: impl FnOnce() -> Self) -> bool {
        // Exact, not TarsCpp's epsilon: that would silently turn 1e-300 into 0.
        *self == default()
    }
}

impl Decode<'_> for f32 {
    #[inline]
    fn decode(r: &mut Reader<'_>, ty: WireType) -> Result<Self> {
        match ty {
            WireType::ZeroTag => Ok(0.0),
            WireType::Float => r.read_u32().map(f32::from_bits),
            _ => Err(Error::type_mismatch("float", ty)),
        }
    }
}

impl KeyOrd for f32 {
    #[inline]
    fn key_cmp(&self, other: &Self) -> Ordering {
        self.total_cmp(other)
    }
}

impl Encode for f64 {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        write_head_and(buf, tag, WireType::Double, &self.to_bits().to_be_bytes());
    }

    #[inline]
    #[allow(clippy::float_cmp, reason = "exact on purpose, as for f32")]
    fn is_omittable(&self, default: impl FnOnce() -> Self) -> bool {
        *self == default()
    }
}

/// A FLOAT is promoted when a double is expected (TarsCpp and TarsGo do this; Node does not).
impl Decode<'_> for f64 {
    #[inline]
    fn decode(r: &mut Reader<'_>, ty: WireType) -> Result<Self> {
        match ty {
            WireType::ZeroTag => Ok(0.0),
            WireType::Float => r.read_u32().map(|b| f64::from(f32::from_bits(b))),
            WireType::Double => r.read_i64().map(|b| f64::from_bits(b as u64)),
            _ => Err(Error::type_mismatch("double", ty)),
        }
    }
}

impl KeyOrd for f64 {
    #[inline]
    fn key_cmp(&self, other: &Self) -> Ordering {
        self.total_cmp(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::needless_pass_by_value, reason = "terse literals in tests")]
    fn enc<T: Encode>(v: T, tag: u8) -> Vec<u8> {
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
    fn integers_narrow_to_the_smallest_type() {
        assert_eq!(enc(0i32, 1), [0x1c]);
        assert_eq!(enc(1i32, 1), [0x10, 0x01]);
        assert_eq!(enc(-128i64, 0), [0x00, 0x80]);
        assert_eq!(enc(3000i32, 8), [0x81, 0x0b, 0xb8]);
        assert_eq!(enc(60000i32, 2), [0x22, 0x00, 0x00, 0xea, 0x60]);
        assert_eq!(enc(5i32, 20), [0xf0, 0x14, 0x05]);
        assert_eq!(enc(1i64 << 40, 0), [0x03, 0, 0, 0x01, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn unsigned_types_use_the_next_wider_path() {
        assert_eq!(enc(200u8, 0), [0x01, 0x00, 0xc8]);
        assert_eq!(enc(40000u16, 0), [0x02, 0x00, 0x00, 0x9c, 0x40]);
        assert_eq!(dec::<u8>(&[0x01, 0x00, 0xc8]).ok(), Some(200));
        let err = dec::<u8>(&[0x01, 0x01, 0x2c]).err();
        assert!(err.is_some_and(|e| e.is_invalid_value()));
    }

    #[test]
    fn readers_accept_narrower_types_and_reject_wider_ones() {
        assert_eq!(dec::<i64>(&[0x00, 0xff]).ok(), Some(-1));
        assert_eq!(dec::<i32>(&[0x0c]).ok(), Some(0));
        let err = dec::<i32>(&[0x03, 0, 0, 0, 0, 0, 0, 0, 1]).err();
        assert!(err.is_some_and(|e| e.is_type_mismatch()));
        let err = dec::<i16>(&[0x02, 0, 0, 0, 1]).err();
        assert!(err.is_some_and(|e| e.is_type_mismatch()));
    }

    #[test]
    fn bools_are_bytes_and_any_nonzero_is_true() {
        assert_eq!(enc(true, 3), [0x30, 0x01]);
        assert_eq!(enc(false, 3), [0x3c]);
        assert_eq!(dec::<bool>(&[0x00, 0x07]).ok(), Some(true));
    }

    #[test]
    fn floats_are_always_full_width_and_float_promotes_to_double() {
        assert_eq!(enc(0.0f32, 0), [0x04, 0, 0, 0, 0]);
        assert_eq!(enc(1.5f64, 0), [0x05, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
        assert_eq!(dec::<f64>(&[0x04, 0x3f, 0xc0, 0, 0]).ok(), Some(1.5));
        assert_eq!(dec::<f32>(&[0x0c]).ok(), Some(0.0));
        let err = dec::<f32>(&[0x05, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]).err();
        assert!(err.is_some_and(|e| e.is_type_mismatch()));
    }

    #[test]
    fn truncated_payloads_are_eof_errors() {
        let err = dec::<i32>(&[0x02, 0x00, 0x01]).err();
        assert!(err.is_some_and(|e| e.is_eof()));
    }
}
