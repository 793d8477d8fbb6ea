//! The Rust echo servant the clients call.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::BytesMut;
use tars_codec::packet::ret;
use tars_codec::tup::{UniAttribute, UniAttributeWriter};
use tars_codec::{Encode, Protocol, Reader};
use tars_rpc::{Reply, ReplyFuture, Request, Servant, Server, ServerConfig};
use tokio_util::sync::CancellationToken;

/// The echo servant's object name.
pub const ECHO: &str = "Test.EchoServer.EchoObj";

/// `string echo(string s)` (`Test.EchoServer.EchoObj`): returns `s`, in TARS v1 and TUP v3. The
/// Rust servant the npm clients call in the interop tests.
#[derive(Debug, Clone, Copy)]
pub struct Echo;

impl Servant for Echo {
    fn call(&self, request: Request) -> ReplyFuture {
        Box::pin(async move {
            if &request.func_name[..] != b"echo" {
                return Reply::error(ret::NO_FUNCTION, "no such function");
            }
            match request.protocol {
                Protocol::Tars => {
                    match Reader::new(&request.args).read_required::<&[u8]>(1, "echo") {
                        Ok(s) => {
                            let mut out = BytesMut::new();
                            s.encode(0, &mut out);
                            Reply::Ok(out.freeze())
                        }
                        Err(e) => Reply::error(ret::DECODE_ERROR, e.to_string()),
                    }
                }
                Protocol::Tup => {
                    match UniAttribute::decode(&request.args).and_then(|a| a.get::<&[u8]>(b"s")) {
                        Ok(s) => Reply::Ok(UniAttributeWriter::new().put_return(&s).finish()),
                        Err(e) => Reply::error(ret::DECODE_ERROR, e.to_string()),
                    }
                }
            }
        })
    }
}

/// Serves [`Echo`] as [`ECHO`] on a free loopback port until `shutdown` is cancelled.
///
/// # Panics
///
/// When no loopback port can be bound (a test helper).
pub async fn spawn_echo(shutdown: CancellationToken) -> SocketAddr {
    let echo = Server::new(ServerConfig::default())
        .servant(ECHO, Arc::new(Echo))
        .bind((Ipv4Addr::LOCALHOST, 0).into())
        .await
        .expect("bind echo");
    let addr = echo.local_addr();
    tokio::spawn(echo.run(shutdown));
    addr
}
