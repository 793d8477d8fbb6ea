//! Structs (tars-wire.md §1.6–1.8): fields in ascending tag order, nested ones framed by
//! StructBegin / StructEnd, top-level ones (packets, argument blocks) bare.

use bytes::{Bytes, BytesMut};

use super::{Decode, Encode, Reader, WireType, Writer, write_head};
use crate::{Error, Result};

/// A TARS struct's encode side; implemented by `#[derive(TarsStruct)]`.
pub trait Struct: Encode {
    /// The struct's IDL name, used in error paths.
    const NAME: &'static str;

    /// Appends the fields without StructBegin/StructEnd (the top-level form).
    fn write_fields(&self, w: &mut Writer<'_>);

    /// As [`Struct::write_fields`], into a `BytesMut`.
    #[inline]
    fn encode_fields(&self, buf: &mut BytesMut) {
        Writer::append(buf, |w| self.write_fields(w));
    }
}

/// A TARS struct's decode side; implemented by `#[derive(TarsStruct)]`.
pub trait StructDecode<'de>: Decode<'de> {
    /// The struct's IDL name, used in error paths.
    const NAME: &'static str;

    /// Reads the fields up to the end of the input or the next StructEnd (not consumed).
    fn decode_fields(r: &mut Reader<'de>) -> Result<Self>;

    /// As [`StructDecode::decode_fields`], into `self`: every field is overwritten (absent
    /// optional ones with their default), nothing is moved.
    fn decode_fields_into(&mut self, r: &mut Reader<'de>) -> Result<()>;
}

/// Writes `value` nested as field `tag`. Used by generated code.
#[inline]
pub fn write_nested<T: Struct>(value: &T, tag: u8, w: &mut Writer<'_>) {
    write_head(w, tag, WireType::StructBegin);
    value.write_fields(w);
    w.put_block([WireType::StructEnd as u8], 1);
}

/// Reads a nested struct whose head was consumed, skipping unknown trailing fields through its
/// StructEnd. Used by generated code.
#[inline(always)]
pub fn decode_nested<'de, T: StructDecode<'de>>(r: &mut Reader<'de>, ty: WireType) -> Result<T> {
    if ty != WireType::StructBegin {
        return Err(Error::type_mismatch(T::NAME, ty));
    }
    r.enter()?;
    let value = T::decode_fields(r)?;
    r.skip_to_struct_end()?;
    r.leave();
    Ok(value)
}

/// Reads nested struct field `tag`, or `None` when absent. Used by generated code.
#[inline(always)]
pub fn decode_nested_field<'de, T: StructDecode<'de>>(
    r: &mut Reader<'de>,
    tag: u8,
) -> Result<Option<T>> {
    if r.fast_struct_begin(tag) {
        return decode_nested(r, WireType::StructBegin).map(Some);
    }
    match r.find_field(tag)? {
        Some(ty) => decode_nested(r, ty).map(Some),
        None => Ok(None),
    }
}

/// Reads nested struct field `tag` into `value` in place; `false` when absent. Used by
/// generated code.
#[inline(always)]
pub fn decode_nested_field_into<'de, T: StructDecode<'de>>(
    value: &mut T,
    r: &mut Reader<'de>,
    tag: u8,
) -> Result<bool> {
    if !r.fast_struct_begin(tag) {
        match r.find_field(tag)? {
            Some(WireType::StructBegin) => {}
            Some(ty) => return Err(Error::type_mismatch(T::NAME, ty)),
            None => return Ok(false),
        }
    }
    r.enter()?;
    value.decode_fields_into(r)?;
    r.skip_to_struct_end()?;
    r.leave();
    Ok(true)
}

/// Encodes a top-level struct (no StructBegin/StructEnd) into a new buffer.
///
/// # Examples
///
/// ```
/// use tars_codec::TarsStruct;
///
/// #[derive(Debug, PartialEq, TarsStruct)]
/// struct Ping {
///     #[tars(tag = 0, require)]
///     id: i32,
/// }
///
/// let bytes = tars_codec::to_bytes(&Ping { id: 1 });
/// assert_eq!(&bytes[..], &[0x00, 0x01]);
/// assert_eq!(tars_codec::from_slice::<Ping>(&bytes)?, Ping { id: 1 });
/// # Ok::<(), tars_codec::Error>(())
/// ```
pub fn to_bytes<T: Struct>(value: &T) -> Bytes {
    let mut buf = BytesMut::new();
    value.encode_fields(&mut buf);
    buf.freeze()
}

/// Decodes a top-level struct from a slice; strings borrow from it.
pub fn from_slice<'de, T: StructDecode<'de>>(buf: &'de [u8]) -> Result<T> {
    T::decode_fields(&mut Reader::new(buf))
}

/// Decodes a top-level struct from `Bytes`; `Bytes` fields share its allocation.
pub fn from_bytes<'de, T: StructDecode<'de>>(buf: &'de Bytes) -> Result<T> {
    T::decode_fields(&mut Reader::from_bytes(buf))
}
