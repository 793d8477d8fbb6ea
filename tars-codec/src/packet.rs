//! RequestPacket and ResponsePacket (tars-wire.md §2.2–2.8).
//!
//! Both borrow their strings and buffers from the frame they were decoded from; field names are
//! the IDL names without their type prefix (`sBuffer` is `buffer`, `iRet` is `ret`).

use crate::encoding::{SimpleList, TarsMap};
use crate::{Error, Result, TarsStruct};

/// A `map<string, string>` borrowed from a packet (context, status).
pub type StringMap<'a> = TarsMap<&'a [u8], &'a [u8]>;

/// `iVersion` 1: parameters as tagged fields.
pub const TARS_VERSION: i16 = 1;
/// `iVersion` 2: TUP "complex" (Node only); not supported.
pub const TUP_COMPLEX_VERSION: i16 = 2;
/// `iVersion` 3: TUP (UniAttribute v3).
pub const TUP_VERSION: i16 = 3;
/// `iVersion` 4: XML (TarsCpp only); not supported.
pub const XML_VERSION: i16 = 4;
/// `iVersion` 5: JSON parameters; not supported.
pub const JSON_VERSION: i16 = 5;

/// `cPacketType` of a normal call.
pub const NORMAL: i8 = 0;
/// `cPacketType` of a one-way call: the server sends no response.
pub const ONE_WAY: i8 = 1;

/// `iMessageType` flags (BaseF.tars).
pub mod message_type {
    /// Hash routing.
    pub const HASH: i32 = 0x01;
    /// Grid routing, with status `STATUS_GRID_KEY`.
    pub const GRID: i32 = 0x02;
    /// Dyed message, with status `STATUS_DYED_KEY`.
    pub const DYED: i32 = 0x04;
    /// Stat sampling.
    pub const SAMPLE: i32 = 0x08;
    /// Async call.
    pub const ASYNC: i32 = 0x10;
    /// Set routing, with status `STATUS_SETNAME_VALUE`.
    pub const SETNAME: i32 = 0x80;
    /// Call-chain trace, with status `STATUS_TRACE_KEY`.
    pub const TRACE: i32 = 0x100;
}

/// Framework return codes for `ResponsePacket.iRet` (BaseF.tars). A server never sends a code
/// below -99: TarsCpp clients reject such a response.
pub mod ret {
    /// Success.
    pub const SUCCESS: i32 = 0;
    /// The server could not decode the request.
    pub const DECODE_ERROR: i32 = -1;
    /// The server could not encode the response.
    pub const ENCODE_ERROR: i32 = -2;
    /// No such function.
    pub const NO_FUNCTION: i32 = -3;
    /// No such servant (object).
    pub const NO_SERVANT: i32 = -4;
    /// Grid state mismatch.
    pub const RESET_GRID: i32 = -5;
    /// The request waited in the server queue longer than its timeout.
    pub const QUEUE_TIMEOUT: i32 = -6;
    /// The server queue is full.
    pub const OVERLOAD: i32 = -9;
    /// Any other server failure.
    pub const UNKNOWN: i32 = -99;
}

/// Status keys used by TUP responses and routing.
pub mod status {
    /// TUP response: decimal framework return code.
    pub const RESULT_CODE: &[u8] = b"STATUS_RESULT_CODE";
    /// TUP response: error text.
    pub const RESULT_DESC: &[u8] = b"STATUS_RESULT_DESC";
    /// Dyed message key.
    pub const DYED_KEY: &[u8] = b"STATUS_DYED_KEY";
    /// Grid routing key.
    pub const GRID_KEY: &[u8] = b"STATUS_GRID_KEY";
    /// Set routing name.
    pub const SETNAME_VALUE: &[u8] = b"STATUS_SETNAME_VALUE";
    /// Trace key.
    pub const TRACE_KEY: &[u8] = b"STATUS_TRACE_KEY";
}

/// How a packet's `sBuffer` is laid out, from its `iVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Version 1: parameters as tagged fields; answered with a [`ResponsePacket`].
    Tars,
    /// Version 3: a UniAttribute v3 map; answered with a [`RequestPacket`] (see [`crate::tup`]).
    Tup,
}

impl Protocol {
    /// Classifies `iVersion`.
    ///
    /// # Errors
    ///
    /// Versions 2 (TUP complex, Node only), 4 (XML), 5 (JSON) and unknown values are rejected
    /// with an `unsupported version` error, on which a server answers `iRet` -1
    /// ([`ret::DECODE_ERROR`]) with a description naming the version.
    pub fn from_version(version: i16) -> Result<Self> {
        match version {
            TARS_VERSION => Ok(Self::Tars),
            TUP_VERSION => Ok(Self::Tup),
            other => Err(Error::unsupported_version(other)),
        }
    }
}

/// A request, and also the shape of a TUP response. All fields are `require`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "RequestPacket")]
pub struct RequestPacket<'a> {
    /// `iVersion`: [`TARS_VERSION`] or [`TUP_VERSION`].
    #[tars(tag = 1, require)]
    pub version: i16,
    /// `cPacketType`: [`NORMAL`] or [`ONE_WAY`].
    #[tars(tag = 2, require)]
    pub packet_type: i8,
    /// `iMessageType`: [`message_type`] flags.
    #[tars(tag = 3, require)]
    pub message_type: i32,
    /// `iRequestId`: echoed in the response.
    #[tars(tag = 4, require)]
    pub request_id: i32,
    /// `sServantName`: the object, e.g. `tars.tarsregistry.QueryObj`.
    #[tars(tag = 5, require)]
    pub servant_name: &'a [u8],
    /// `sFuncName`: the method.
    #[tars(tag = 6, require)]
    pub func_name: &'a [u8],
    /// `sBuffer`: the encoded parameters.
    #[tars(tag = 7, require)]
    pub buffer: SimpleList<&'a [u8]>,
    /// `iTimeout`: the caller's timeout in milliseconds.
    #[tars(tag = 8, require)]
    pub timeout: i32,
    /// `context`: user context.
    #[tars(tag = 9, require)]
    pub context: StringMap<'a>,
    /// `status`: framework status keys.
    #[tars(tag = 10, require)]
    pub status: StringMap<'a>,
}

impl<'a> RequestPacket<'a> {
    /// A TARS v1 call of `func_name` on `servant_name` with the encoded `args`, empty context and
    /// status; set `packet_type` to [`ONE_WAY`] for a one-way call.
    pub fn call(
        request_id: i32,
        servant_name: &'a [u8],
        func_name: &'a [u8],
        args: &'a [u8],
        timeout_ms: i32,
    ) -> Self {
        Self {
            version: TARS_VERSION,
            packet_type: NORMAL,
            message_type: 0,
            request_id,
            servant_name,
            func_name,
            buffer: SimpleList(args),
            timeout: timeout_ms,
            context: StringMap::new(),
            status: StringMap::new(),
        }
    }

    /// Whether the caller expects no response.
    pub fn is_one_way(&self) -> bool {
        self.packet_type == ONE_WAY
    }

    /// Appends this packet to `buf` as one length-prefixed frame.
    ///
    /// # Errors
    ///
    /// Fails, leaving `buf` unchanged, when the frame would exceed `max_frame_len`.
    pub fn write_frame(&self, buf: &mut bytes::BytesMut, max_frame_len: usize) -> Result<()> {
        crate::frame::write_frame(buf, max_frame_len, |b| {
            crate::encoding::Struct::encode_fields(self, b);
        })
    }
}

/// A version 1 response. Note the tag order differs from [`RequestPacket`].
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "ResponsePacket")]
pub struct ResponsePacket<'a> {
    /// `iVersion`: the request's version.
    #[tars(tag = 1, require)]
    pub version: i16,
    /// `cPacketType`: always [`NORMAL`].
    #[tars(tag = 2, require)]
    pub packet_type: i8,
    /// `iRequestId`: the request's id.
    #[tars(tag = 3, require)]
    pub request_id: i32,
    /// `iMessageType`: the request's flags.
    #[tars(tag = 4, require)]
    pub message_type: i32,
    /// `iRet`: the framework return code ([`ret`]); business results live in `buffer`.
    #[tars(tag = 5, require)]
    pub ret: i32,
    /// `sBuffer`: the return value at tag 0, then out-parameters at their tags.
    #[tars(tag = 6, require)]
    pub buffer: SimpleList<&'a [u8]>,
    /// `status`: usually empty.
    #[tars(tag = 7, require)]
    pub status: StringMap<'a>,
    /// `sResultDesc`: error text, omitted when empty.
    #[tars(tag = 8)]
    pub result_desc: &'a [u8],
    /// `context`: response context, omitted when empty.
    #[tars(tag = 9)]
    pub context: StringMap<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_xml_and_tup_complex_versions_are_rejected_explicitly() {
        assert_eq!(Protocol::from_version(1).ok(), Some(Protocol::Tars));
        assert_eq!(Protocol::from_version(3).ok(), Some(Protocol::Tup));
        for v in [0, 2, 4, 5, 6] {
            let err = Protocol::from_version(v).err();
            assert!(
                err.is_some_and(|e| e.is_unsupported_version()),
                "version {v}"
            );
        }
    }
}
