//! Integers, bools and floats (tars-wire.md §1.3).
//!
//! Integers are written narrowed to the smallest type that holds them, zero as a bare ZeroTag
//! head; readers accept any narrower or equal type and sign-extend it, never a wider one.

use std::cmp::Ordering;

use super::{Decode, Encode, KeyOrd, Reader, WireType, Writer, write_head_and};
use crate::{Error, Result};

/// Writes `v` as field `tag` through the narrowing cascade.
///
/// Values that fit 32 bits (all of them for the narrower IDL types, where the compiler drops
/// the test) take [`write_int32`]; wider ones are a LONG with its 8 bytes.
#[inline(always)]
pub(crate) fn write_int(w: &mut Writer<'_>, tag: u8, v: i64) {
    match i32::try_from(v) {
        Ok(v) => write_int32(w, tag, v),
        Err(_) => write_long(w, tag, v),
    }
}

/// Writes `v` as a BYTE, SHORT, INT or ZeroTag field.
///
/// Zero is a bare head; any other value is branch-free on its width: two "does it fit" tests
/// give the width (1, 2 or 4 bytes) and the type id, the head and payload are one 8-byte word
/// stored whole, and only its used part is added to the length. (A table indexed by the significant bits cost ~10 more
/// instructions per integer: a bit scan without LZCNT on baseline x86-64, a bounds check and
/// three loads; a 16-byte block for every width cost a double shift and a second store.)
#[inline(always)]
fn write_int32(w: &mut Writer<'_>, tag: u8, v: i32) {
    let zero = WireType::ZeroTag as u8;
    if v == 0 {
        // Zero (frequent: return codes, flags, idle counters) is the bare head, stored at its
        // exact width: an 8-byte store here reached into the next field, and a string read
        // right after it from the same page offset waited on it (4K aliasing, bench/RESULTS.md).
        if tag < 15 {
            w.put_block([(tag << 4) | zero], 1);
        } else {
            w.put_block([0xf0 | zero, tag], 2);
        }
        return;
    }
    let wide8 = i32::from(v as i8) != v;
    let wide16 = i32::from(v as i16) != v;
    // Byte, Short, Int are ids 0..=2 and 1, 2, 4 bytes wide.
    let ty = u8::from(wide8) + u8::from(wide16);
    let size = 1 + usize::from(wide8) + 2 * usize::from(wide16);
    // The payload, big-endian at the top of the word.
    let payload = (i64::from(v) as u64) << (64 - 8 * size as u32);
    if tag < 15 {
        let head = u64::from((tag << 4) | ty);
        w.put_block(((head << 56) | (payload >> 8)).to_be_bytes(), 1 + size);
    } else {
        let head = u64::from(u16::from_be_bytes([0xf0 | ty, tag]));
        w.put_block(((head << 48) | (payload >> 16)).to_be_bytes(), 2 + size);
    }
}

/// Writes `v` as a LONG field: the head, then its 8 bytes.
#[inline(always)]
fn write_long(w: &mut Writer<'_>, tag: u8, v: i64) {
    let ty = WireType::Long as u8;
    let payload = u128::from(v as u64);
    if tag < 15 {
        let head = u128::from((tag << 4) | ty);
        w.put_block(((head << 120) | (payload << 56)).to_be_bytes(), 9);
    } else {
        let head = u128::from(u16::from_be_bytes([0xf0 | ty, tag]));
        w.put_block(((head << 112) | (payload << 48)).to_be_bytes(), 10);
    }
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
            fn write(&self, tag: u8, w: &mut Writer<'_>) {
                write_int(w, tag, i64::from(*self));
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
            fn write(&self, tag: u8, w: &mut Writer<'_>) {
                write_int(w, tag, i64::from(*self));
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
    fn write(&self, tag: u8, w: &mut Writer<'_>) {
        write_int(w, tag, i64::from(*self));
    }

    #[inline]
    fn is_omittable(&self, default: impl FnOnce() -> Self) -> bool {
        *self == default()
    }

    /// `vector<byte>` is a SimpleList.
    #[inline]
    fn write_vec(items: &[Self], tag: u8, w: &mut Writer<'_>) {
        let bytes: Vec<u8> = items.iter().map(|&b| b as u8).collect();
        super::list::write_simple_list(w, tag, &bytes);
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
    fn write(&self, tag: u8, w: &mut Writer<'_>) {
        write_int(w, tag, i64::from(*self));
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
    fn write(&self, tag: u8, w: &mut Writer<'_>) {
        write_head_and(w, tag, WireType::Float, self.to_bits().to_be_bytes());
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
    fn write(&self, tag: u8, w: &mut Writer<'_>) {
        write_head_and(w, tag, WireType::Double, self.to_bits().to_be_bytes());
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
    use bytes::BytesMut;

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

    /// The cascade written plainly, for comparison with the branch-free encoder.
    fn reference_int(tag: u8, v: i64) -> Vec<u8> {
        let (ty, payload): (u8, Vec<u8>) = if v == 0 {
            (12, vec![])
        } else if let Ok(b) = i8::try_from(v) {
            (0, b.to_be_bytes().to_vec())
        } else if let Ok(s) = i16::try_from(v) {
            (1, s.to_be_bytes().to_vec())
        } else if let Ok(i) = i32::try_from(v) {
            (2, i.to_be_bytes().to_vec())
        } else {
            (3, v.to_be_bytes().to_vec())
        };
        let mut out = if tag < 15 {
            vec![(tag << 4) | ty]
        } else {
            vec![0xf0 | ty, tag]
        };
        out.extend(payload);
        out
    }

    #[test]
    fn every_width_boundary_encodes_as_the_plain_cascade_at_every_head_form() {
        let mut values = vec![0i64, i64::MIN, i64::MAX];
        for bound in [i64::from(i8::MAX), i64::from(i16::MAX), i64::from(i32::MAX)] {
            values.extend([bound - 1, bound, bound + 1, -bound - 2, -bound - 1, -bound]);
        }
        for v in values {
            for tag in [0u8, 1, 14, 15, 16, 255] {
                assert_eq!(enc(v, tag), reference_int(tag, v), "{v} at tag {tag}");
                if let Ok(v32) = i32::try_from(v) {
                    assert_eq!(enc(v32, tag), reference_int(tag, v), "i32 {v} at tag {tag}");
                }
            }
        }
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
