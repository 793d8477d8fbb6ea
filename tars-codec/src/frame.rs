//! The 4-byte big-endian length frame around every packet (tars-wire.md §2.1).
//!
//! The length counts the prefix itself, so a frame of `n` payload bytes starts with `n + 4`.
//! In `tokio_util::codec::length_delimited` terms: `length_field_length(4)`,
//! `length_adjustment(-4)`; [`FrameCodec`] does the same and also enforces the TARS bounds.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::encoding::Struct;
use crate::{Error, Result};

/// Default maximum frame length, prefix included: 10 MiB, as TarsGo.
pub const DEFAULT_MAX_FRAME_LEN: usize = 10 * 1024 * 1024;

/// Smallest acceptable frame length, prefix included (TarsCpp's `TARS_NET_MIN_PACKAGE_SIZE`).
pub const MIN_FRAME_LEN: usize = 5;

/// Bytes of the length prefix.
pub const PREFIX_LEN: usize = 4;

/// Splits a byte stream into TARS packets and frames outgoing ones.
///
/// Decoded items are the packet bytes without the prefix, split off the read buffer without a
/// copy. A length below [`MIN_FRAME_LEN`] or above the maximum is an error on which the caller
/// must close the connection: the stream cannot be resynchronised.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use tars_codec::FrameCodec;
/// use tokio_util::codec::Decoder;
///
/// let mut codec = FrameCodec::new();
/// let mut buf = BytesMut::from(&[0, 0, 0, 6, 0x10, 0x01][..]);
/// let packet = codec.decode(&mut buf)?.expect("a whole frame");
/// assert_eq!(&packet[..], &[0x10, 0x01]);
/// # Ok::<(), tars_codec::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FrameCodec {
    max_frame_len: usize,
}

impl Default for FrameCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameCodec {
    /// A codec with the default maximum frame length ([`DEFAULT_MAX_FRAME_LEN`]).
    pub fn new() -> Self {
        Self {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }

    /// Sets the maximum frame length, prefix included. Values below [`MIN_FRAME_LEN`] are raised
    /// to it; values above `u32::MAX` are lowered to it.
    #[must_use]
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max.clamp(MIN_FRAME_LEN, u32::MAX as usize);
        self
    }

    /// The maximum frame length, prefix included.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// The length, prefix included, of the frame at the start of `src` once its prefix has
    /// arrived (the frame itself may still be incomplete), for readers that parse frames in
    /// place instead of splitting them off as [`Decoder::decode`] does.
    ///
    /// # Errors
    ///
    /// A length below [`MIN_FRAME_LEN`] or above the maximum: the stream cannot be
    /// resynchronised.
    pub fn frame_len(&self, src: &[u8]) -> Result<Option<usize>> {
        let Some(prefix) = src.first_chunk::<PREFIX_LEN>() else {
            return Ok(None);
        };
        let len = u32::from_be_bytes(*prefix) as usize;
        if len < MIN_FRAME_LEN {
            return Err(Error::frame_too_short(len, MIN_FRAME_LEN));
        }
        if len > self.max_frame_len {
            return Err(Error::frame_too_large(len, self.max_frame_len));
        }
        Ok(Some(len))
    }
}

impl Decoder for FrameCodec {
    type Item = Bytes;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>> {
        let Some(len) = self.frame_len(src)? else {
            return Ok(None);
        };
        if src.len() < len {
            // Grow once for the whole frame instead of doubling while it arrives.
            src.reserve(len - src.len());
            return Ok(None);
        }
        let mut frame = src.split_to(len);
        frame.advance(PREFIX_LEN);
        Ok(Some(frame.freeze()))
    }
}

/// Appends one frame to `dst`: the prefix, then whatever `write` appends.
///
/// # Errors
///
/// Fails, leaving `dst` as it was, when the frame would exceed `max_frame_len`.
pub fn write_frame(
    dst: &mut BytesMut,
    max_frame_len: usize,
    write: impl FnOnce(&mut BytesMut),
) -> Result<()> {
    let start = dst.len();
    dst.put_u32(0);
    write(dst);
    let len = dst.len() - start;
    if len > max_frame_len {
        dst.truncate(start);
        return Err(Error::frame_too_large(len, max_frame_len));
    }
    // `len <= max_frame_len <= u32::MAX`, so the cast is exact.
    dst[start..start + PREFIX_LEN].copy_from_slice(&(len as u32).to_be_bytes());
    Ok(())
}

impl<T: Struct> Encoder<&T> for FrameCodec {
    type Error = Error;

    fn encode(&mut self, item: &T, dst: &mut BytesMut) -> Result<()> {
        write_frame(dst, self.max_frame_len, |buf| item.encode_fields(buf))
    }
}
