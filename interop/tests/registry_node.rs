//! The registry against the npm clients over loopback TCP: `tarsplane up` (in process,
//! registry fed from its YAML file in a temporary data directory) answers the direct lookups
//! of `@tars/registry` 2.0.6 (all six methods), and `@tars/rpc` 2.0.15 resolves
//! `Test.EchoServer.EchoObj` with nothing but the locator (it asks
//! `findObjectByIdInSameGroup`) and calls the Rust echo servant it was pointed to.

use serde_json::{Value, json};
use tarsplane_interop::plane::{REGISTRY_QUERY, Up};
use tarsplane_interop::registry::{HELLO, assert_hello_lookups};
use tarsplane_interop::{ECHO, run_node_async};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_registry_lookups_and_locator_resolution_work_against_the_rust_registry() {
    let up = Up::with_echo(|_| {}).await;

    let port = up.port(REGISTRY_QUERY);
    let output = run_node_async("registry-client.js", &["127.0.0.1", &port, HELLO, ECHO]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "one JSON line ({e}); stdout: {stdout}; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(output.status.success(), "{result}");
    assert_eq!(result["errors"], json!([]));
    assert_eq!(result["echo"], "via locator");
    assert_hello_lookups(&result);
    up.shutdown();
}
