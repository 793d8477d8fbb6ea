//! The zero-copy reader: a forward-only cursor that locates tags and skips unknown data
//! (tars-wire.md §1.7).

use bytes::Bytes;

use super::{Decode, Head, WireType};
use crate::{Error, Result};

/// Default maximum nesting of structs and containers, as in prost.
pub const DEFAULT_MAX_DEPTH: u32 = 100;

/// A cursor over one TARS buffer.
///
/// Decoded strings and byte vectors borrow from the buffer (`&'de [u8]`) or, when the reader was
/// made with [`Reader::from_bytes`], may be `Bytes` slices sharing its allocation; nothing is
/// copied either way. Every length is checked against the remaining input before anything is
/// allocated, and nesting is limited to [`Reader::max_depth`].
#[derive(Debug, Clone)]
pub struct Reader<'de> {
    /// The whole input.
    buf: &'de [u8],
    /// The unread end of `buf` (always a suffix of it).
    rest: &'de [u8],
    depth: u32,
    max_depth: u32,
    source: Option<&'de Bytes>,
}

impl<'de> Reader<'de> {
    /// A reader over a byte slice. `Bytes` fields decoded from it are copies.
    pub fn new(buf: &'de [u8]) -> Self {
        Self {
            buf,
            rest: buf,
            depth: 0,
            max_depth: DEFAULT_MAX_DEPTH,
            source: None,
        }
    }

    /// A reader over `Bytes`: `Bytes` fields decoded from it share its allocation (O(1)).
    pub fn from_bytes(buf: &'de Bytes) -> Self {
        Self {
            source: Some(buf),
            ..Self::new(buf)
        }
    }

    /// Sets the maximum nesting depth of structs and containers (default 100).
    #[must_use]
    pub fn with_max_depth(mut self, max_depth: u32) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// The maximum nesting depth.
    pub fn max_depth(&self) -> u32 {
        self.max_depth
    }

    /// Bytes not yet consumed.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether the whole buffer has been consumed.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Offset of the cursor from the start of the buffer.
    pub fn position(&self) -> usize {
        self.buf.len() - self.rest.len()
    }

    /// Consumes `n` bytes and returns them, borrowed from the input.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'de [u8]> {
        match self.rest.split_at_checked(n) {
            Some((s, rest)) => {
                self.rest = rest;
                Ok(s)
            }
            None => Err(Error::eof(n, self.remaining())),
        }
    }

    #[inline]
    fn take_array<const N: usize>(&mut self) -> Result<[u8; N]> {
        match self.rest.split_first_chunk::<N>() {
            Some((s, rest)) => {
                self.rest = rest;
                Ok(*s)
            }
            None => Err(Error::eof(N, self.remaining())),
        }
    }

    /// Drops the first `n` bytes of the unread input; `n` must not exceed [`Self::remaining`]
    /// (callers have checked it; past the end the input is simply used up).
    #[inline(always)]
    fn advance(&mut self, n: usize) {
        self.rest = self.rest.get(n..).unwrap_or_default();
    }

    /// The next 8 bytes as a big-endian word, without consuming them; near the end the missing
    /// bytes read as zero (callers check that what they consume is really there). `None` at the
    /// very end.
    #[inline(always)]
    fn peek_u64(&self) -> Option<u64> {
        match self.rest.first_chunk::<8>() {
            Some(chunk) => Some(u64::from_be_bytes(*chunk)),
            None => self.peek_tail(),
        }
    }

    /// [`Self::peek_u64`] with under 8 bytes left. Copying the rest into a zeroed array calls
    /// memcpy and then stalls the 8-byte load on store forwarding; taking the buffer's last 8
    /// bytes and shifting the consumed ones out does not (every packet ends this way; measured:
    /// 3 % of a registry lookup).
    #[inline]
    fn peek_tail(&self) -> Option<u64> {
        let rest = self.rest;
        if rest.is_empty() {
            return None;
        }
        if let Some(last) = self.buf.last_chunk::<8>() {
            let consumed = 8 - rest.len();
            return Some(u64::from_be_bytes(*last) << (8 * consumed));
        }
        Some(
            rest.iter()
                .enumerate()
                .fold(0, |word, (i, &b)| word | u64::from(b) << (56 - 8 * i)),
        )
    }

    /// Fast path for an integer field: when the next head is `tag` in its one-byte form with an
    /// integer type no wider than `widest` (or ZeroTag), reads it. `None` means "take the
    /// general path", never an error.
    ///
    /// Each width is its own branch with a constant advance, so the CPU can run on to the next
    /// field on a predicted branch instead of waiting for this head's load.
    #[inline(always)]
    pub(crate) fn fast_int(&mut self, tag: u8, widest: WireType) -> Option<i64> {
        if tag >= 15 {
            return None;
        }
        let word = self.peek_u64()?;
        // The head's type when its tag is `tag`, else something over 15.
        let ty = ((word >> 56) as u8) ^ (tag << 4);
        let after = (word << 8) as i64;
        let (value, advance) = match ty {
            12 => (0, 1),
            0 => (after >> 56, 2),
            1 if widest as u8 >= WireType::Short as u8 => (after >> 48, 3),
            2 if widest as u8 >= WireType::Int as u8 => (after >> 32, 5),
            _ => return None,
        };
        if advance > self.rest.len() {
            return None;
        }
        self.advance(advance);
        Some(value)
    }

    /// Fast path for a string field: the next head is `tag` as String1. `None` means "take the
    /// general path".
    #[inline(always)]
    pub(crate) fn fast_string(&mut self, tag: u8) -> Option<&'de [u8]> {
        let [head, len, ..] = *self.rest else {
            return None;
        };
        if tag >= 15 || head != (tag << 4) | WireType::String1 as u8 {
            return None;
        }
        let (s, rest) = self.rest[2..].split_at_checked(usize::from(len))?;
        self.rest = rest;
        Some(s)
    }

    /// Fast path for an empty map field (a context or status in nearly every packet): consumes
    /// it when the next bytes are `tag` as Map and a ZeroTag length. `false` means "take the
    /// general path" (also at the depth limit, which the general path reports).
    #[inline(always)]
    pub(crate) fn fast_empty_map(&mut self, tag: u8) -> bool {
        let head = (tag << 4) | WireType::Map as u8;
        let empty = [head, WireType::ZeroTag as u8];
        match self.rest.split_first_chunk::<2>() {
            Some((first, rest)) if tag < 15 && self.depth < self.max_depth && *first == empty => {
                self.rest = rest;
                true
            }
            _ => false,
        }
    }

    /// Fast path for a nested struct field: consumes the head when the next byte is `tag` as
    /// StructBegin.
    #[inline(always)]
    pub(crate) fn fast_struct_begin(&mut self, tag: u8) -> bool {
        match self.rest.split_first() {
            Some((&b, rest)) if tag < 15 && b == (tag << 4) | WireType::StructBegin as u8 => {
                self.rest = rest;
                true
            }
            _ => false,
        }
    }

    /// Reads one byte.
    #[inline]
    pub fn read_u8(&mut self) -> Result<u8> {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                Ok(b)
            }
            None => Err(Error::eof(1, 0)),
        }
    }

    /// Reads a big-endian `i16`.
    #[inline]
    pub fn read_i16(&mut self) -> Result<i16> {
        self.take_array().map(i16::from_be_bytes)
    }

    /// Reads a big-endian `i32`.
    #[inline]
    pub fn read_i32(&mut self) -> Result<i32> {
        self.take_array().map(i32::from_be_bytes)
    }

    /// Reads a big-endian `u32`.
    #[inline]
    pub fn read_u32(&mut self) -> Result<u32> {
        self.take_array().map(u32::from_be_bytes)
    }

    /// Reads a big-endian `i64`.
    #[inline]
    pub fn read_i64(&mut self) -> Result<i64> {
        self.take_array().map(i64::from_be_bytes)
    }

    /// Turns a slice of this reader's input into `Bytes`: shared when the reader was made from
    /// `Bytes` (O(1), no copy), copied otherwise.
    pub fn to_bytes(&self, slice: &'de [u8]) -> Bytes {
        match self.source {
            Some(src) => src.slice_ref(slice),
            None => Bytes::copy_from_slice(slice),
        }
    }

    /// Peeks at the next head without consuming it; returns it with its encoded length.
    #[inline]
    pub fn peek_head(&self) -> Result<Option<(Head, usize)>> {
        let Some(&b) = self.rest.first() else {
            return Ok(None);
        };
        let ty = WireType::from_id(b).ok_or_else(|| Error::invalid_wire_type(b & 0x0f))?;
        let high = b >> 4;
        if high != 15 {
            return Ok(Some((Head { tag: high, ty }, 1)));
        }
        match self.rest.get(1) {
            Some(&tag) => Ok(Some((Head { tag, ty }, 2))),
            None => Err(Error::eof(2, 1)),
        }
    }

    /// Reads the next head.
    #[inline]
    pub fn read_head(&mut self) -> Result<Head> {
        match self.peek_head()? {
            Some((head, len)) => {
                self.advance(len);
                Ok(head)
            }
            None => Err(Error::eof(1, 0)),
        }
    }

    /// Moves to field `tag` of the current struct, skipping lower tags.
    ///
    /// Returns the field's type with its head consumed, or `None` when the field is absent
    /// (end of input, the struct's end, or a higher tag, none of which is consumed).
    #[inline(always)]
    pub fn find_field(&mut self, tag: u8) -> Result<Option<WireType>> {
        // Fast paths: the next head is the wanted tag in its one-byte form, or the struct's end
        // (an absent trailing optional field).
        match self.rest.first() {
            Some(&b) if b >> 4 == tag && tag < 15 => {
                if let Some(ty) = WireType::from_id(b) {
                    self.advance(1);
                    return Ok(Some(ty));
                }
            }
            Some(&b) if b == WireType::StructEnd as u8 => return Ok(None),
            _ => {}
        }
        self.find_field_slow(tag)
    }

    #[inline(never)]
    fn find_field_slow(&mut self, tag: u8) -> Result<Option<WireType>> {
        loop {
            let Some((head, len)) = self.peek_head()? else {
                return Ok(None);
            };
            if head.ty == WireType::StructEnd || head.tag > tag {
                return Ok(None);
            }
            self.advance(len);
            if head.tag == tag {
                return Ok(Some(head.ty));
            }
            self.skip_value(head.ty)?;
        }
    }

    /// Reads the head of a container element or map entry, which must carry `tag`.
    #[inline]
    pub fn expect_element(&mut self, tag: u8) -> Result<WireType> {
        let head = self.read_head()?;
        if head.tag == tag {
            Ok(head.ty)
        } else {
            Err(Error::unexpected_tag(tag, head.tag))
        }
    }

    /// Reads a container length (an integer field with tag 0) and checks it against the input:
    /// each element needs at least `min_elem_bytes` more bytes, so nothing can make the caller
    /// allocate for more elements than the input could hold.
    #[inline(always)]
    pub fn read_length(&mut self, min_elem_bytes: usize) -> Result<usize> {
        let len = if let Some(len) = self.fast_int(0, WireType::Int) {
            len
        } else {
            let ty = self.expect_element(0)?;
            i64::decode(self, ty)?
        };
        let remaining = self.remaining();
        match usize::try_from(len) {
            Ok(n) if n.saturating_mul(min_elem_bytes) <= remaining => Ok(n),
            _ => Err(Error::invalid_length(len, remaining)),
        }
    }

    /// Enters a nested struct or container; fails past the depth limit.
    #[inline]
    pub fn enter(&mut self) -> Result<()> {
        if self.depth >= self.max_depth {
            return Err(Error::depth_limit(self.max_depth));
        }
        self.depth += 1;
        Ok(())
    }

    /// Leaves a nested struct or container.
    #[inline]
    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Skips one value of type `ty` whose head was already consumed.
    pub fn skip_value(&mut self, ty: WireType) -> Result<()> {
        match ty {
            WireType::ZeroTag | WireType::StructEnd => Ok(()),
            WireType::Byte => self.take(1).map(drop),
            WireType::Short => self.take(2).map(drop),
            WireType::Int | WireType::Float => self.take(4).map(drop),
            WireType::Long | WireType::Double => self.take(8).map(drop),
            WireType::String1 => {
                let n = self.read_u8()?;
                self.take(usize::from(n)).map(drop)
            }
            WireType::String4 => {
                let n = self.read_u32()?;
                self.take(n as usize).map(drop)
            }
            WireType::SimpleList => {
                let inner = self.read_head()?;
                if inner.ty != WireType::Byte {
                    return Err(Error::type_mismatch("simple list element byte", inner.ty));
                }
                let n = self.read_length(1)?;
                self.take(n).map(drop)
            }
            WireType::List => self.skip_elements(1),
            WireType::Map => self.skip_elements(2),
            WireType::StructBegin => {
                self.enter()?;
                self.skip_to_struct_end()?;
                self.leave();
                Ok(())
            }
        }
    }

    fn skip_elements(&mut self, fields_per_element: usize) -> Result<()> {
        let n = self.read_length(fields_per_element)?;
        self.enter()?;
        for _ in 0..n * fields_per_element {
            let head = self.read_head()?;
            self.skip_value(head.ty)?;
        }
        self.leave();
        Ok(())
    }

    /// Skips the rest of the current struct, including its `StructEnd`.
    #[inline(always)]
    pub fn skip_to_struct_end(&mut self) -> Result<()> {
        // Fast path: no unknown trailing fields.
        if let Some((&b, rest)) = self.rest.split_first()
            && b == WireType::StructEnd as u8
        {
            self.rest = rest;
            return Ok(());
        }
        self.skip_to_struct_end_slow()
    }

    #[inline(never)]
    fn skip_to_struct_end_slow(&mut self) -> Result<()> {
        loop {
            let head = self.read_head()?;
            if head.ty == WireType::StructEnd {
                return Ok(());
            }
            self.skip_value(head.ty)?;
        }
    }

    /// Reads field `tag` as `T`, or `None` when absent. Use for argument blocks and optional data.
    pub fn read_optional<T: Decode<'de>>(&mut self, tag: u8) -> Result<Option<T>> {
        match self.find_field(tag)? {
            Some(ty) => T::decode(self, ty).map(Some),
            None => Ok(None),
        }
    }

    /// Reads field `tag` as `T`; its absence is an error naming `context` and the tag.
    pub fn read_required<T: Decode<'de>>(&mut self, tag: u8, context: &'static str) -> Result<T> {
        match self.find_field(tag) {
            Ok(Some(ty)) => T::decode(self, ty).map_err(|e| e.in_field(context, tag)),
            Ok(None) => Err(Error::required_field_missing(context, tag)),
            Err(e) => Err(e.in_field(context, tag)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_u64_reads_zeros_past_the_end_at_every_position() {
        let bytes: Vec<u8> = (1..=12).collect();
        for len in 0..=bytes.len() {
            let buf = &bytes[..len];
            for pos in 0..=len {
                let mut r = Reader::new(buf);
                r.rest = &buf[pos..];
                let rest = &buf[pos..];
                let expected = (!rest.is_empty()).then(|| {
                    let mut padded = [0u8; 8];
                    let n = rest.len().min(8);
                    padded[..n].copy_from_slice(&rest[..n]);
                    u64::from_be_bytes(padded)
                });
                assert_eq!(r.peek_u64(), expected, "len {len} pos {pos}");
            }
        }
    }

    /// The general path for an integer field, for comparison with the fast one.
    fn general_int(r: &mut Reader<'_>, tag: u8, widest: WireType) -> Result<Option<i64>> {
        match r.find_field(tag)? {
            Some(ty) => super::super::scalar::read_int(r, ty, widest, "int").map(Some),
            None => Ok(None),
        }
    }

    #[test]
    // Safe code only, and slow under miri (the writer's tests are what miri is run for).
    #[cfg_attr(miri, ignore)]
    fn fast_int_agrees_with_the_general_path_at_every_width_and_truncation() {
        let heads: [&[u8]; 6] = [
            &[0x3c],
            &[0x30, 0x85],
            &[0x31, 0x80, 0x01],
            &[0x32, 0xff, 0x00, 0x00, 0x01],
            &[0x33, 0, 0, 0, 0, 0, 0, 0, 7],
            &[0x20, 0x05],
        ];
        for head in heads {
            // Some bytes before the field so the tail trick has a buffer to read from.
            for lead in [0usize, 1, 9] {
                let mut bytes = vec![0xee; lead];
                bytes.extend_from_slice(head);
                bytes.extend_from_slice(&[0x4c, 0x4c, 0x4c]);
                for end in lead..=bytes.len() {
                    for widest in [WireType::Byte, WireType::Short, WireType::Int] {
                        let buf = &bytes[..end];
                        let mut fast = Reader::new(buf);
                        fast.rest = &buf[lead..];
                        let mut general = fast.clone();
                        let want = general_int(&mut general, 3, widest);
                        match fast.fast_int(3, widest) {
                            Some(v) => {
                                assert_eq!(want.ok(), Some(Some(v)), "{head:x?} end {end}");
                                assert_eq!(fast.position(), general.position());
                            }
                            None => assert_eq!(fast.position(), lead, "a miss consumes nothing"),
                        }
                    }
                }
            }
        }
    }
}
