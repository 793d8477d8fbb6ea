//! Lookup answers, encoded once when a snapshot changes and copied into every reply.
//!
//! A QueryF reply is the return value at tag 0 (for the `int` methods a zero) followed by the
//! active and inactive `vector<EndpointF>` at the method's out-parameter tags. The lists are
//! kept encoded without their one-byte head (the element count, then the elements), so one
//! stored answer serves every method: a reply is a few head bytes and two copies.

use bytes::{Bytes, BytesMut};
use tars_codec::Encode;
use tars_codec::encoding::{WireType, Writer, write_head};
use tars_rpc::interfaces::endpoint::EndpointF;

/// An empty `vector<EndpointF>` without its head: the count 0 (`ZeroTag`, tag 0).
pub const EMPTY_LIST: &[u8] = &[0x0C];

/// The head of the `int` return value 0 at tag 0 (`ZeroTag`).
const RET_ZERO: u8 = 0x0C;

/// One endpoint to encode: the fields K8SFramework sets (everything else default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint<'a> {
    /// Host name or address.
    pub host: &'a str,
    /// Port.
    pub port: i32,
    /// Timeout in milliseconds.
    pub timeout: i32,
    /// TCP (true) or UDP.
    pub tcp: bool,
}

impl<'a> Endpoint<'a> {
    fn to_wire(self) -> EndpointF<'a> {
        EndpointF {
            host: self.host.as_bytes(),
            port: self.port,
            timeout: self.timeout,
            istcp: i32::from(self.tcp),
            ..EndpointF::default()
        }
    }
}

/// The active and inactive lists of one object, encoded without heads, in one buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lists {
    bytes: Bytes,
    split: usize,
}

impl Lists {
    /// Encodes both lists.
    pub fn encode<'h>(
        active: impl IntoIterator<Item = Endpoint<'h>>,
        inactive: impl IntoIterator<Item = Endpoint<'h>>,
    ) -> Self {
        let mut buf = BytesMut::new();
        encode_body(active, &mut buf);
        let split = buf.len();
        encode_body(inactive, &mut buf);
        Self {
            bytes: buf.freeze(),
            split,
        }
    }

    /// Two empty lists.
    pub fn empty() -> Self {
        Self::encode([], [])
    }

    /// The active list (count and elements, no head).
    pub fn active(&self) -> &[u8] {
        &self.bytes[..self.split]
    }

    /// The inactive list (count and elements, no head).
    pub fn inactive(&self) -> &[u8] {
        &self.bytes[self.split..]
    }

    /// Bytes held, for memory accounting.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether both lists are empty.
    pub fn is_empty(&self) -> bool {
        self.active() == EMPTY_LIST && self.inactive() == EMPTY_LIST
    }
}

fn encode_body<'h>(endpoints: impl IntoIterator<Item = Endpoint<'h>>, buf: &mut BytesMut) {
    let wire: Vec<EndpointF<'h>> = endpoints.into_iter().map(Endpoint::to_wire).collect();
    let start = buf.len();
    wire.encode(0, buf);
    // Drop the list's head (tag 0 and type List: one byte) and keep count and elements.
    let body = buf.split_off(start + 1);
    buf.truncate(start);
    buf.unsplit(body);
}

/// An endpoint of a decoded answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Host.
    pub host: String,
    /// Port.
    pub port: i32,
    /// Timeout in milliseconds.
    pub timeout: i32,
    /// TCP (true) or UDP.
    pub tcp: bool,
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let proto = if self.tcp { "tcp" } else { "udp" };
        write!(
            f,
            "{proto} -h {} -p {} -t {}",
            self.host, self.port, self.timeout
        )
    }
}

/// Decodes a stored list (count and elements, no head), for tests and tools.
///
/// # Errors
///
/// The decode error (never for lists this crate encoded).
pub fn addresses(list: &[u8]) -> Result<Vec<Address>, tars_codec::Error> {
    let reply = find_by_id_reply(list);
    let result: tars_rpc::interfaces::query::FindObjectByIdResult<'_> =
        tars_codec::StructDecode::decode_fields(&mut tars_codec::Reader::new(&reply))?;
    Ok(result
        .endpoints
        .iter()
        .map(|e| Address {
            host: String::from_utf8_lossy(e.host).into_owned(),
            port: e.port,
            timeout: e.timeout,
            tcp: e.istcp != 0,
        })
        .collect())
}

/// The reply of `vector<EndpointF> findObjectById(id)`: the active list as the return value.
pub fn find_by_id_reply(active: &[u8]) -> Bytes {
    let mut buf = BytesMut::with_capacity(1 + active.len());
    write_find_by_id(&mut buf, active);
    buf.freeze()
}

/// Appends the reply of `findObjectById` (see [`find_by_id_reply`]) to `buf`.
pub fn write_find_by_id(buf: &mut BytesMut, active: &[u8]) {
    Writer::append(buf, |w| {
        write_head(w, 0, WireType::List);
        w.put_slice(active);
    });
}

/// The reply of an `int` lookup method: 0 at tag 0, `active` at `active_tag` and `inactive`
/// at `active_tag + 1`.
pub fn int_reply(active_tag: u8, active: &[u8], inactive: &[u8]) -> Bytes {
    let mut buf = BytesMut::new();
    write_int_reply(&mut buf, active_tag, active, inactive);
    buf.freeze()
}

/// Appends the reply of an `int` lookup method (see [`int_reply`]) to `buf`.
pub fn write_int_reply(buf: &mut BytesMut, active_tag: u8, active: &[u8], inactive: &[u8]) {
    buf.reserve(3 + active.len() + inactive.len());
    Writer::append(buf, |w| {
        w.put_slice(&[RET_ZERO]);
        write_head(w, active_tag, WireType::List);
        w.put_slice(active);
        write_head(w, active_tag + 1, WireType::List);
        w.put_slice(inactive);
    });
}

#[cfg(test)]
mod tests {
    use tars_codec::StructDecode;
    use tars_rpc::interfaces::query::{
        EndpointsByIdInResult, EndpointsByIdResult, FindObjectByIdResult,
    };

    use super::*;

    fn lists() -> Lists {
        Lists::encode(
            [
                Endpoint {
                    host: "a-0.a",
                    port: 1,
                    timeout: 2,
                    tcp: true,
                },
                Endpoint {
                    host: "a-1.a",
                    port: 1,
                    timeout: 2,
                    tcp: true,
                },
            ],
            [Endpoint {
                host: "a-2.a",
                port: 1,
                timeout: 2,
                tcp: false,
            }],
        )
    }

    #[test]
    fn empty_list_constant_is_what_the_codec_writes() {
        assert_eq!(Lists::empty().active(), EMPTY_LIST);
        assert_eq!(Lists::empty().inactive(), EMPTY_LIST);
        assert!(Lists::empty().is_empty());
    }

    #[test]
    fn replies_decode_as_the_interface_results() {
        let lists = lists();
        let reply = find_by_id_reply(lists.active());
        let result = FindObjectByIdResult::decode_fields(&mut tars_codec::Reader::new(&reply))
            .expect("decodes");
        let hosts: Vec<&[u8]> = result.endpoints.iter().map(|e| e.host).collect();
        assert_eq!(hosts, [&b"a-0.a"[..], b"a-1.a"]);
        assert_eq!(
            (result.endpoints[0].port, result.endpoints[0].istcp),
            (1, 1)
        );

        let reply = int_reply(2, lists.active(), lists.inactive());
        let result = EndpointsByIdResult::decode_fields(&mut tars_codec::Reader::new(&reply))
            .expect("decodes");
        assert_eq!(result.ret, 0);
        assert_eq!(result.active_ep.len(), 2);
        assert_eq!(result.inactive_ep[0].host, b"a-2.a");
        assert_eq!(result.inactive_ep[0].istcp, 0);

        let reply = int_reply(3, lists.active(), lists.inactive());
        let result = EndpointsByIdInResult::decode_fields(&mut tars_codec::Reader::new(&reply))
            .expect("decodes");
        assert_eq!((result.active_ep.len(), result.inactive_ep.len()), (2, 1));
    }
}
