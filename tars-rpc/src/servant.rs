//! What a service implements: one call in, one reply out.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use tars_codec::{Protocol, Reader, Struct, StructDecode, TarsMap};

/// One decoded call. Every `Bytes` shares the request frame's allocation (no copy).
#[derive(Debug, Clone)]
pub struct Request {
    /// How `args` is laid out: tagged parameters (TARS) or a UniAttribute (TUP v3).
    pub protocol: Protocol,
    /// `iRequestId`.
    pub request_id: i32,
    /// The object, e.g. `tars.tarsregistry.QueryObj`.
    pub servant_name: Bytes,
    /// The function.
    pub func_name: Bytes,
    /// `sBuffer`: the encoded parameters.
    pub args: Bytes,
    /// `iTimeout` in milliseconds.
    pub timeout_ms: i32,
    /// The caller's context.
    pub context: TarsMap<Bytes, Bytes>,
    /// Whether the caller expects no response.
    pub one_way: bool,
    /// The caller's address.
    pub peer: SocketAddr,
    /// Nesting limit for decoding `args` (`ServerConfig::max_nesting_depth`).
    pub max_depth: u32,
}

impl Request {
    /// Decodes the argument block (TARS v1) as an interface's `*Args` struct, borrowing from
    /// the request.
    ///
    /// # Errors
    ///
    /// The decode error, with the struct/tag path; answer it with [`Reply::decode_error`].
    pub fn args<'a, T: StructDecode<'a>>(&'a self) -> Result<T, tars_codec::Error> {
        T::decode_fields(&mut Reader::from_bytes(&self.args).with_max_depth(self.max_depth))
    }

    /// This request as a borrowed [`Call`], for code shared by [`Servant::call`] and
    /// [`Servant::answer_now`].
    pub fn as_call(&self) -> Call<'_> {
        Call {
            protocol: self.protocol,
            request_id: self.request_id,
            servant_name: &self.servant_name,
            func_name: &self.func_name,
            args: &self.args,
            timeout_ms: self.timeout_ms,
            context: Context::Shared(&self.context),
            one_way: self.one_way,
            peer: self.peer,
            max_depth: self.max_depth,
        }
    }
}

/// One decoded call borrowed from the request frame, for [`Servant::answer_now`]: building it
/// copies nothing and touches no reference count.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// How `args` is laid out: tagged parameters (TARS) or a UniAttribute (TUP v3).
    pub protocol: Protocol,
    /// `iRequestId`.
    pub request_id: i32,
    /// The object, e.g. `tars.tarsregistry.QueryObj`.
    pub servant_name: &'a [u8],
    /// The function.
    pub func_name: &'a [u8],
    /// `sBuffer`: the encoded parameters.
    pub args: &'a [u8],
    /// `iTimeout` in milliseconds.
    pub timeout_ms: i32,
    pub(crate) context: Context<'a>,
    /// Whether the caller expects no response.
    pub one_way: bool,
    /// The caller's address.
    pub peer: SocketAddr,
    /// Nesting limit for decoding `args` (`ServerConfig::max_nesting_depth`).
    pub max_depth: u32,
}

/// The caller's context, as decoded from the frame or as held by a [`Request`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Context<'a> {
    Borrowed(&'a TarsMap<&'a [u8], &'a [u8]>),
    Shared(&'a TarsMap<Bytes, Bytes>),
}

impl<'a> Call<'a> {
    /// Decodes the argument block (TARS v1) as an interface's `*Args` struct, borrowing from
    /// the frame (`&[u8]` fields borrow; `Bytes` fields, if any, are copies).
    ///
    /// # Errors
    ///
    /// The decode error, with the struct/tag path; answer it with [`Reply::decode_error`].
    pub fn args<T: StructDecode<'a>>(&self) -> Result<T, tars_codec::Error> {
        T::decode_fields(&mut Reader::new(self.args).with_max_depth(self.max_depth))
    }

    /// The caller's context value for `key` (the first, if a peer sent it twice).
    pub fn context(&self, key: &[u8]) -> Option<&'a [u8]> {
        match self.context {
            Context::Borrowed(map) => map.iter().find(|(k, _)| *k == key).map(|(_, v)| *v),
            Context::Shared(map) => map.iter().find(|(k, _)| **k == *key).map(|(_, v)| &v[..]),
        }
    }
}

/// The outcome of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Success: the encoded results (`sBuffer`; a UniAttribute for TUP).
    Ok(Bytes),
    /// A framework failure: `ret` is one of `tars_codec::packet::ret` (never below -99).
    Err {
        /// The return code.
        ret: i32,
        /// A description for `sResultDesc`.
        desc: String,
    },
}

impl Reply {
    /// Success with an interface's `*Result` struct (return value at tag 0, then out-params).
    pub fn encode<T: Struct>(result: &T) -> Self {
        Self::Ok(tars_codec::to_bytes(result))
    }

    /// A -1 (request decode error) reply describing `error`.
    pub fn decode_error(error: &tars_codec::Error) -> Self {
        Self::error(tars_codec::packet::ret::DECODE_ERROR, error.to_string())
    }

    /// The -3 (no such function) reply: `<interface> has no function "<func>"`.
    pub fn no_function(interface: &str, func: &[u8]) -> Self {
        Self::error(
            tars_codec::packet::ret::NO_FUNCTION,
            format!(
                "{interface} has no function {:?}",
                String::from_utf8_lossy(func)
            ),
        )
    }

    /// A failure with `ret`, clamped to the range TARS clients accept.
    pub fn error(ret: i32, desc: impl Into<String>) -> Self {
        Self::Err {
            ret: ret.clamp(tars_codec::packet::ret::UNKNOWN, -1),
            desc: desc.into(),
        }
    }
}

/// What [`Servant::answer_now`] answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    /// Success; the encoded results were appended to the `body` buffer it was given.
    Written,
    /// This reply (a failure, or results encoded elsewhere); `body` is ignored.
    Reply(Reply),
}

impl Inline {
    /// The [`Reply`] this answer stands for, with `body` holding what was written; for servants
    /// whose [`Servant::call`] shares the inline path.
    pub fn into_reply(self, body: BytesMut) -> Reply {
        match self {
            Self::Written => Reply::Ok(body.freeze()),
            Self::Reply(reply) => reply,
        }
    }
}

/// The future a servant returns.
pub type ReplyFuture = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// A TARS object's implementation.
pub trait Servant: Send + Sync + 'static {
    /// Handles one call; `tars_ping` never reaches here. For one-way calls the reply is dropped.
    fn call(&self, request: Request) -> ReplyFuture;

    /// Answers a call that needs no waiting (a cache lookup), or `None` to go through
    /// [`Servant::call`]. The connection answers such calls inline, as it answers `tars_ping`:
    /// no task, no timer, no in-flight slot. Only for answers computed in well under a
    /// microsecond; anything that may block or wait belongs in `call`.
    ///
    /// Results are appended to `body` (empty on entry, owned by the connection and reused, so
    /// an answer needs no allocation of its own) and [`Inline::Written`] returned.
    fn answer_now(&self, call: &Call<'_>, body: &mut BytesMut) -> Option<Inline> {
        let _ = (call, body);
        None
    }
}
