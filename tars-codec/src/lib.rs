#![doc = include_str!("../README.md")]
#![allow(
    clippy::inline_always,
    reason = "the decode hot path is inlined on purpose; measured in bench/RESULTS.md"
)]

extern crate self as tars_codec;

pub mod encoding;
mod error;
pub mod frame;
pub mod packet;
pub mod tup;

pub use bytes;
pub use encoding::{
    Decode, Describe, Encode, FromStatic, KeyOrd, Reader, SimpleList, Struct, StructDecode,
    TarsMap, WireType, from_bytes, from_slice, to_bytes,
};
pub use error::{Error, Result};
pub use frame::FrameCodec;
pub use packet::{Protocol, RequestPacket, ResponsePacket};
pub use tars_codec_derive::{TarsEnum, TarsStruct};
