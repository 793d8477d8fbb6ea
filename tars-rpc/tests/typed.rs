//! Interface types end to end: a registry-like servant decodes `findObjectById`'s arguments
//! with `Request::args` and answers with `Reply::encode`; the client sends typed arguments with
//! `Client::call` and decodes the reply with `Response::decode`.

use std::sync::Arc;
use std::time::Duration;

use tars_codec::packet::ret;
use tars_rpc::interfaces::{EndpointF, FindObjectByIdArgs, FindObjectByIdResult, QUERY_OBJ, query};
use tars_rpc::{Client, Reply, ReplyFuture, Request, Servant, Server, ServerConfig};
use tokio_util::sync::CancellationToken;

struct OneEndpoint;

impl Servant for OneEndpoint {
    fn call(&self, request: Request) -> ReplyFuture {
        Box::pin(async move {
            if &request.func_name[..] != query::FIND_OBJECT_BY_ID.as_bytes() {
                return Reply::error(ret::NO_FUNCTION, "no such function");
            }
            let args: FindObjectByIdArgs<'_> = match request.args() {
                Ok(args) => args,
                Err(e) => return Reply::decode_error(&e),
            };
            let host = [args.id, b".local"].concat();
            Reply::encode(&FindObjectByIdResult {
                endpoints: vec![EndpointF {
                    host: &host,
                    port: 10000,
                    timeout: 60000,
                    istcp: 1,
                    ..Default::default()
                }],
            })
        })
    }
}

/// Serves [`OneEndpoint`] on a loopback port and connects a client to it.
async fn serve(config: ServerConfig) -> (Client, CancellationToken) {
    let bound = Server::new(config)
        .servant(QUERY_OBJ, Arc::new(OneEndpoint))
        .bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let addr = bound.local_addr();
    let shutdown = CancellationToken::new();
    tokio::spawn(bound.run(shutdown.clone()));
    (Client::connect(addr).await.expect("connect"), shutdown)
}

#[tokio::test]
async fn typed_arguments_and_results_travel_both_ways() {
    let (client, shutdown) = serve(ServerConfig::default()).await;
    let t = Duration::from_secs(5);

    let args = FindObjectByIdArgs {
        id: b"App.Server.Obj",
    };
    let reply = client
        .call(QUERY_OBJ, query::FIND_OBJECT_BY_ID, &args, t)
        .await
        .expect("call");
    assert_eq!(reply.ret, 0);
    let result: FindObjectByIdResult<'_> = reply.decode().expect("decode the result");
    assert_eq!(result.endpoints.len(), 1);
    assert_eq!(result.endpoints[0].host, b"App.Server.Obj.local");
    assert_eq!(result.endpoints[0].port, 10000);

    // Arguments missing their require field are answered -1 with the path.
    let reply = client
        .invoke(QUERY_OBJ, query::FIND_OBJECT_BY_ID, &[], t)
        .await
        .expect("reply");
    assert_eq!(reply.ret, ret::DECODE_ERROR);
    assert!(
        String::from_utf8_lossy(&reply.desc).contains("[1]"),
        "{:?}",
        reply.desc
    );
    shutdown.cancel();
}

#[tokio::test]
async fn arguments_nested_deeper_than_the_configured_limit_are_refused() {
    let (client, shutdown) = serve(ServerConfig {
        max_nesting_depth: 4,
        ..ServerConfig::default()
    })
    .await;
    // An unknown tag-0 field of 10 nested structs, skipped on the way to `id` at tag 1.
    let mut args = vec![0x0a; 10];
    args.extend([0x0b; 10]);
    args.extend([0x16, 0x01, b'x']);
    let reply = client
        .invoke(
            QUERY_OBJ,
            query::FIND_OBJECT_BY_ID,
            &args,
            Duration::from_secs(5),
        )
        .await
        .expect("reply");
    assert_eq!(reply.ret, ret::DECODE_ERROR);
    assert!(String::from_utf8_lossy(&reply.desc).contains("nesting deeper than 4"));
    shutdown.cancel();
}
