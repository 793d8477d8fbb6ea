//! TUP v3 (UniAttribute): parameters by name in a `map<string, vector<byte>>` at tag 0, each
//! value encoded alone with tag 0 (tars-wire.md §2.4).

use bytes::{Bytes, BytesMut};

use crate::encoding::{Decode, Encode, Reader, SimpleList, TarsMap};
use crate::packet::{self, RequestPacket, StringMap};
use crate::{Error, Result};

/// Name under which a TUP response carries the return value (also under `""`).
pub const RETURN_NAME: &[u8] = b"tars_ret";

/// A decoded UniAttribute v3, borrowing names and values from the packet's `sBuffer`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UniAttribute<'a> {
    entries: TarsMap<&'a [u8], SimpleList<&'a [u8]>>,
}

impl<'a> UniAttribute<'a> {
    /// Decodes the map at tag 0 of `buffer`. An empty buffer is an empty attribute set.
    pub fn decode(buffer: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(buffer);
        let entries = r.read_optional(0)?.unwrap_or_default();
        Ok(Self { entries })
    }

    /// Names of the attributes present, in wire order.
    pub fn names(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.entries.iter().map(|(k, _)| *k)
    }

    /// The encoded value of `name`, if present.
    pub fn raw(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.entries
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.0)
    }

    /// Decodes attribute `name` as `T`; a missing attribute is an error naming it (TarsCpp's
    /// strict `get`, which its servers answer with -99).
    pub fn get<T: Decode<'a>>(&self, name: &[u8]) -> Result<T> {
        self.get_optional(name)?
            .ok_or_else(|| Error::missing_attribute(name))
    }

    /// Decodes attribute `name` as `T`, or `None` when absent (TarsCpp's `getByDefault`).
    pub fn get_optional<T: Decode<'a>>(&self, name: &[u8]) -> Result<Option<T>> {
        match self.raw(name) {
            Some(value) => {
                let mut r = Reader::new(value);
                let ty = r.expect_element(0)?;
                T::decode(&mut r, ty).map(Some)
            }
            None => Ok(None),
        }
    }
}

/// Builds a UniAttribute v3 buffer.
#[derive(Debug, Default)]
pub struct UniAttributeWriter {
    entries: TarsMap<Bytes, SimpleList<Bytes>>,
}

impl UniAttributeWriter {
    /// An empty attribute set; it encodes to `08 0C`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to `value`, encoded alone with tag 0.
    #[must_use]
    pub fn put<T: Encode + ?Sized>(mut self, name: &[u8], value: &T) -> Self {
        let mut buf = BytesMut::new();
        value.encode(0, &mut buf);
        self.entries
            .insert(Bytes::copy_from_slice(name), SimpleList(buf.freeze()));
        self
    }

    /// Sets `name` to a value already encoded with tag 0 (head included), without re-encoding.
    #[must_use]
    pub fn put_encoded(mut self, name: &[u8], encoded: Bytes) -> Self {
        self.entries
            .insert(Bytes::copy_from_slice(name), SimpleList(encoded));
        self
    }

    /// Sets a return value under both names TUP uses for it, `""` and `"tars_ret"`.
    #[must_use]
    pub fn put_return<T: Encode + ?Sized>(self, value: &T) -> Self {
        self.put(b"", value).put(RETURN_NAME, value)
    }

    /// Encodes the set: the map at tag 0, names in order.
    pub fn finish(&self) -> Bytes {
        let mut buf = BytesMut::new();
        self.entries.encode(0, &mut buf);
        buf.freeze()
    }
}

/// What a TUP reply echoes from its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Echo<'a> {
    /// `iVersion`.
    pub version: i16,
    /// `iMessageType`.
    pub message_type: i32,
    /// `iRequestId`.
    pub request_id: i32,
    /// `sServantName`.
    pub servant_name: &'a [u8],
    /// `sFuncName`.
    pub func_name: &'a [u8],
}

impl<'a> From<&RequestPacket<'a>> for Echo<'a> {
    fn from(request: &RequestPacket<'a>) -> Self {
        Self {
            version: request.version,
            message_type: request.message_type,
            request_id: request.request_id,
            servant_name: request.servant_name,
            func_name: request.func_name,
        }
    }
}

/// Appends the framed TUP reply: a [`RequestPacket`] echoing the request, with `buffer` (an
/// encoded UniAttribute; when empty, the empty set `08 0C` is sent, as Node does) and the
/// framework result in `status` (`STATUS_RESULT_CODE` when `ret` is not 0,
/// `STATUS_RESULT_DESC` when `desc` is not empty, as TarsCpp does).
///
/// # Errors
///
/// Fails, leaving `out` unchanged, when the frame would exceed `max_frame_len`.
pub fn write_response(
    out: &mut BytesMut,
    max_frame_len: usize,
    echo: &Echo<'_>,
    buffer: &[u8],
    ret: i32,
    desc: &[u8],
) -> Result<()> {
    let empty;
    let buffer = if buffer.is_empty() {
        empty = UniAttributeWriter::new().finish();
        &empty[..]
    } else {
        buffer
    };
    let ret_text = ret.to_string();
    let mut status = StringMap::new();
    if ret != packet::ret::SUCCESS {
        status.push(packet::status::RESULT_CODE, ret_text.as_bytes());
    }
    if !desc.is_empty() {
        status.push(packet::status::RESULT_DESC, desc);
    }
    RequestPacket {
        version: echo.version,
        packet_type: packet::NORMAL,
        message_type: echo.message_type,
        request_id: echo.request_id,
        servant_name: echo.servant_name,
        func_name: echo.func_name,
        buffer: SimpleList(buffer),
        timeout: 0,
        context: StringMap::new(),
        status,
    }
    .write_frame(out, max_frame_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_attribute_set_encodes_as_an_empty_map() {
        assert_eq!(&UniAttributeWriter::new().finish()[..], &[0x08, 0x0c]);
    }

    #[test]
    fn attributes_round_trip_by_name() -> Result<()> {
        let buf = UniAttributeWriter::new()
            .put(b"id", &b"Test.HelloServer.HelloObj".as_slice())
            .put_return(&7i32)
            .finish();
        let attrs = UniAttribute::decode(&buf)?;
        assert_eq!(attrs.get::<&[u8]>(b"id")?, b"Test.HelloServer.HelloObj");
        assert_eq!(attrs.get::<i32>(b"tars_ret")?, 7);
        assert_eq!(attrs.get::<i32>(b"")?, 7);
        let missing = attrs.get::<i32>(b"nope").err();
        assert!(missing.is_some_and(|e| e.is_missing_field()));
        Ok(())
    }
}
