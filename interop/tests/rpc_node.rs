//! The RPC runtime against npm `@tars/rpc` 2.0.15, both ways, over loopback TCP:
//! a Node client calls a Rust servant (TARS v1, TUP v3, one-way, `tars_ping`) through
//! `interop/node/rpc-client.js`, and the Rust client calls a Node server
//! (`interop/node/rpc-server.js`).

use std::time::Duration;

use bytes::BytesMut;
use tars_codec::packet::ret;
use tars_codec::{Encode, Reader};
use tars_rpc::Client;
use tarsplane_interop::{run_node_async, spawn_echo, spawn_node_until_ready};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_client_calls_a_rust_servant_in_every_mode() {
    let shutdown = CancellationToken::new();
    let port = spawn_echo(shutdown.clone()).await.port().to_string();

    let out = run_node_async("rpc-client.js", &["127.0.0.1", &port]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "rpc-client.js printed no JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(json["errors"], serde_json::json!([]), "{json}");
    assert_eq!(json["v1"], "hello v1", "{json}");
    assert_eq!(json["tup"], "hello tup", "{json}");
    assert_eq!(json["oneway"], true, "{json}");
    assert_eq!(json["ping"], true, "{json}");
    assert!(out.status.success());
    shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_client_calls_a_node_server() {
    // A free port: bind, read it, release it for the Node server.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let _server = spawn_node_until_ready("rpc-server.js", &[&port.to_string()]).await;
    let client = Client::connect(([127, 0, 0, 1], port).into())
        .await
        .expect("connect to the Node server");
    let t = Duration::from_secs(5);
    let object = "Test.NodeServer.EchoObj";

    let mut args = BytesMut::new();
    b"hi from rust".as_slice().encode(1, &mut args);
    let reply = client.invoke(object, "echo", &args, t).await.expect("echo");
    assert_eq!(reply.ret, 0);
    let s: &[u8] = Reader::new(&reply.buffer)
        .read_required(0, "echo")
        .expect("ret");
    assert_eq!(s, b"node:hi from rust");

    assert_eq!(client.ping(object, t).await.expect("ping").ret, 0);
    client
        .invoke_one_way(object, "echo", &args)
        .await
        .expect("one-way send");
    let reply = client.invoke(object, "nope", &[], t).await.expect("reply");
    assert_eq!(reply.ret, ret::NO_FUNCTION);
}
