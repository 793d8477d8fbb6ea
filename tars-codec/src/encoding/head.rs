//! Field heads: the type id and tag in front of every value (tars-wire.md §1.1–1.2).

use super::Writer;

/// The type id in the low nibble of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum WireType {
    /// 1-byte signed integer.
    Byte = 0,
    /// 2-byte signed integer.
    Short = 1,
    /// 4-byte signed integer.
    Int = 2,
    /// 8-byte signed integer.
    Long = 3,
    /// IEEE-754 single.
    Float = 4,
    /// IEEE-754 double.
    Double = 5,
    /// String with a 1-byte length.
    String1 = 6,
    /// String with a 4-byte length.
    String4 = 7,
    /// Map: a length, then key (tag 0) / value (tag 1) pairs.
    Map = 8,
    /// List: a length, then elements with tag 0.
    List = 9,
    /// Start of a nested struct.
    StructBegin = 10,
    /// End of a nested struct.
    StructEnd = 11,
    /// Numeric zero, no payload.
    ZeroTag = 12,
    /// Raw bytes (`vector<byte>`): inner BYTE head, a length, the bytes.
    SimpleList = 13,
}

impl WireType {
    const TABLE: [Option<WireType>; 16] = [
        Some(Self::Byte),
        Some(Self::Short),
        Some(Self::Int),
        Some(Self::Long),
        Some(Self::Float),
        Some(Self::Double),
        Some(Self::String1),
        Some(Self::String4),
        Some(Self::Map),
        Some(Self::List),
        Some(Self::StructBegin),
        Some(Self::StructEnd),
        Some(Self::ZeroTag),
        Some(Self::SimpleList),
        None,
        None,
    ];

    /// The type for a low-nibble id, or `None` for the invalid ids 14 and 15.
    #[inline]
    pub fn from_id(id: u8) -> Option<Self> {
        Self::TABLE[usize::from(id & 0x0f)]
    }
}

/// A decoded field head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The field number, 0..=255.
    pub tag: u8,
    /// The value's wire type.
    pub ty: WireType,
}

/// Appends the head for `tag` and `ty`: one byte for tags below 15, two otherwise.
#[inline]
pub fn write_head(w: &mut Writer<'_>, tag: u8, ty: WireType) {
    if tag < 15 {
        w.put_block([(tag << 4) | ty as u8], 1);
    } else {
        w.put_block([0xf0 | ty as u8, tag], 2);
    }
}

/// Appends a head followed by a fixed payload of `P <= 8` bytes, with a single capacity check.
#[inline]
pub(crate) fn write_head_and<const P: usize>(
    w: &mut Writer<'_>,
    tag: u8,
    ty: WireType,
    payload: [u8; P],
) {
    const { assert!(P <= 8, "the head and payload must fit the 16-byte block") };
    let mut block = [0u8; 16];
    let n = if tag < 15 {
        block[0] = (tag << 4) | ty as u8;
        1
    } else {
        block[0] = 0xf0 | ty as u8;
        block[1] = tag;
        2
    };
    block[n..n + P].copy_from_slice(&payload);
    w.put_block(block, n + P);
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    #[test]
    fn small_tags_use_one_byte_and_large_tags_two() {
        let mut buf = BytesMut::new();
        Writer::append(&mut buf, |w| {
            write_head(w, 14, WireType::ZeroTag);
            write_head(w, 15, WireType::ZeroTag);
            write_head(w, 255, WireType::List);
        });
        assert_eq!(&buf[..], &[0xec, 0xfc, 0x0f, 0xf9, 0xff]);
    }

    #[test]
    fn ids_14_and_15_are_invalid() {
        assert_eq!(WireType::from_id(13), Some(WireType::SimpleList));
        assert_eq!(WireType::from_id(14), None);
        assert_eq!(WireType::from_id(15), None);
    }
}
