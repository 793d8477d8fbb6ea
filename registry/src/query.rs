//! `tars.tarsregistry.QueryObj`: the six QueryF lookups K8SFramework implements, answered from
//! the current snapshot with pre-encoded lists; the four newer QueryF methods answer -3 with a
//! description (K8SFramework does not implement them either).
//!
//! Both TARS v1 (tagged parameters) and TUP v3 (named attributes) calls are answered. Lookups
//! are counted by outcome (`tars_registry_lookups_total`) instead of K8SFramework's per-call
//! `query` log lines, which would cost more than the lookup itself; `RUST_LOG=registry=trace`
//! logs each one.

use bytes::BytesMut;
use tars_codec::Protocol;
use tars_codec::packet::ret;
use tars_codec::tup::{UniAttribute, UniAttributeWriter};
use tars_rpc::interfaces::query::{
    FIND_OBJECT_BY_ID, FIND_OBJECT_BY_ID_4_ALL, FIND_OBJECT_BY_ID_4_ANY,
    FIND_OBJECT_BY_ID_IN_SAME_GROUP, FIND_OBJECT_BY_ID_IN_SAME_SET,
    FIND_OBJECT_BY_ID_IN_SAME_STATION, FIND_OBJECT_NODE_NAME, GET_LOCKER, REGISTER_CHANGE,
    REGISTER_QUERY,
};
use tars_rpc::{Call, Inline, Reply, ReplyFuture, Request, Servant};

use crate::answer::{EMPTY_LIST, find_by_id_reply, write_find_by_id, write_int_reply};
use crate::cache::Registry;

/// The shape of a lookup method's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// `vector<EndpointF> findObjectById(id)`.
    ById,
    /// `int m(id, out active[2], out inactive[3])`.
    WithInactive,
    /// `int m(id, string within, out active[3], out inactive[4])`.
    Within,
}

impl Method {
    fn of(func: &[u8]) -> Option<Self> {
        let is = |name: &str| func == name.as_bytes();
        if is(FIND_OBJECT_BY_ID_IN_SAME_GROUP)
            || is(FIND_OBJECT_BY_ID_4_ALL)
            || is(FIND_OBJECT_BY_ID_4_ANY)
        {
            Some(Method::WithInactive)
        } else if is(FIND_OBJECT_BY_ID) {
            Some(Method::ById)
        } else if is(FIND_OBJECT_BY_ID_IN_SAME_SET) || is(FIND_OBJECT_BY_ID_IN_SAME_STATION) {
            Some(Method::Within)
        } else {
            None
        }
    }

    fn active_tag(self) -> u8 {
        match self {
            Method::ById => 0,
            Method::WithInactive => 2,
            Method::Within => 3,
        }
    }
}

/// The QueryF servant.
#[derive(Debug, Clone)]
pub struct QueryServant {
    registry: Registry,
}

impl QueryServant {
    /// A servant answering from `registry`.
    pub fn new(registry: Registry) -> Self {
        Self { registry }
    }

    /// Answers one call: TARS v1 results are appended to `body`; TUP replies and failures are
    /// returned whole.
    pub fn answer(&self, call: &Call<'_>, body: &mut BytesMut) -> Inline {
        let Some(method) = Method::of(call.func_name) else {
            return Inline::Reply(self.unsupported(call));
        };
        match call.protocol {
            Protocol::Tars => match tars_codec::Reader::new(call.args)
                .with_max_depth(call.max_depth)
                .read_required::<&[u8]>(1, "id")
            {
                Ok(id) => {
                    self.lookup(method, id, |active, inactive| {
                        if method == Method::ById {
                            write_find_by_id(body, active);
                        } else {
                            write_int_reply(body, method.active_tag(), active, inactive);
                        }
                    });
                    Inline::Written
                }
                Err(error) => Inline::Reply(Reply::decode_error(&error)),
            },
            Protocol::Tup => {
                match UniAttribute::decode(call.args).and_then(|a| a.get::<&[u8]>(b"id")) {
                    Ok(id) => {
                        Inline::Reply(Reply::Ok(self.lookup(method, id, |active, inactive| {
                            let writer = UniAttributeWriter::new();
                            if method == Method::ById {
                                writer
                                    .put_encoded(b"", find_by_id_reply(active))
                                    .put_encoded(b"tars_ret", find_by_id_reply(active))
                                    .finish()
                            } else {
                                writer
                                    .put_return(&0_i32)
                                    .put_encoded(b"activeEp", find_by_id_reply(active))
                                    .put_encoded(b"inactiveEp", find_by_id_reply(inactive))
                                    .finish()
                            }
                        })))
                    }
                    Err(error) => Inline::Reply(Reply::decode_error(&error)),
                }
            }
        }
    }

    fn lookup<R>(&self, method: Method, id: &[u8], reply: impl FnOnce(&[u8], &[u8]) -> R) -> R {
        self.registry.with_snapshot(|snapshot| {
            let found = snapshot.find(id);
            self.registry.metrics().lookups.count(found);
            tracing::trace!(?method, id = %String::from_utf8_lossy(id), ?found);
            match found.lists() {
                Some(lists) if method == Method::ById => reply(lists.active(), EMPTY_LIST),
                Some(lists) => reply(lists.active(), lists.inactive()),
                None => reply(EMPTY_LIST, EMPTY_LIST),
            }
        })
    }

    fn unsupported(&self, call: &Call<'_>) -> Reply {
        let func = String::from_utf8_lossy(call.func_name);
        let known = [
            FIND_OBJECT_NODE_NAME,
            REGISTER_CHANGE,
            REGISTER_QUERY,
            GET_LOCKER,
        ];
        let desc = if known.contains(&&*func) {
            self.registry.metrics().unsupported_calls.inc();
            format!("QueryF.{func} is not supported by this registry (nor by K8SFramework's)")
        } else {
            format!("QueryF has no function {func:?}")
        };
        Reply::error(ret::NO_FUNCTION, desc)
    }
}

impl Servant for QueryServant {
    fn call(&self, request: Request) -> ReplyFuture {
        let mut body = BytesMut::new();
        let reply = self.answer(&request.as_call(), &mut body).into_reply(body);
        Box::pin(std::future::ready(reply))
    }

    /// Every lookup is a snapshot read: answered inline by the connection.
    fn answer_now(&self, call: &Call<'_>, body: &mut BytesMut) -> Option<Inline> {
        Some(self.answer(call, body))
    }
}
