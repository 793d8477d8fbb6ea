//! The registry against the npm clients over loopback TCP: `tarsplane up` (in process,
//! registry fed from its YAML file in a temporary data directory) answers the direct lookups
//! of `@tars/registry` 2.0.6 (all six methods), and `@tars/rpc` 2.0.15 resolves
//! `Test.EchoServer.EchoObj` with nothing but the locator (it asks
//! `findObjectByIdInSameGroup`) and calls the Rust echo servant it was pointed to.

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{Value, json};
use tars_rpc::{Server, ServerConfig};
use tarsplane::up::{Options, start};
use tarsplane_interop::{Echo, run_node_async};
use tokio_util::sync::CancellationToken;

fn registry_file(echo: SocketAddr) -> String {
    format!(
        r"
apiVersion: k8s.tars.io/v1beta3
kind: TEndpoint
metadata: {{name: test-hello}}
spec:
  tars:
    servants: [{{name: HelloObj, port: 10000, timeout: 5000}}]
status:
  pods:
    - {{name: test-hello-1, settingState: Active, presentState: Active}}
    - {{name: test-hello-0, settingState: Active, presentState: Deactivating}}
---
apiVersion: k8s.tars.io/v1beta3
kind: TFrameworkConfig
metadata: {{name: tars-framework}}
upChain:
  Test.EchoServer.EchoObj: [{{host: 127.0.0.1, port: {port}}}]
",
        port = echo.port()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_registry_lookups_and_locator_resolution_work_against_the_rust_registry() {
    let shutdown = CancellationToken::new();
    let echo = Server::new(ServerConfig::default())
        .servant("Test.EchoServer.EchoObj", Arc::new(Echo))
        .bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind echo");
    let echo_addr = echo.local_addr();
    tokio::spawn(echo.run(shutdown.clone()));

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("registry.yaml"), registry_file(echo_addr)).expect("write");
    let mut options = Options::embedded("127.0.0.1".parse().expect("ip"), dir.path());
    options.ephemeral = true;
    let plane = start(&options).await.expect("start");
    let query = plane
        .served
        .iter()
        .find(|s| s.object == "tars.tarsregistry.QueryObj")
        .expect("QueryObj")
        .addr;
    tokio::spawn(plane.run(shutdown.clone()));

    let port = query.port().to_string();
    let output = run_node_async(
        "registry-client.js",
        &[
            "127.0.0.1",
            &port,
            "Test.Hello.HelloObj",
            "Test.EchoServer.EchoObj",
        ],
    )
    .await;
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
    let active =
        json!([{"host": "test-hello-1.test-hello", "port": 10000, "timeout": 5000, "istcp": 1}]);
    let inactive =
        json!([{"host": "test-hello-0.test-hello", "port": 10000, "timeout": 5000, "istcp": 1}]);
    assert_eq!(result["lookups"]["findObjectById"]["active"], active);
    for method in [
        "findObjectById4Any",
        "findObjectById4All",
        "findObjectByIdInSameGroup",
        "findObjectByIdInSameStation",
        "findObjectByIdInSameSet",
    ] {
        let lookup = &result["lookups"][method];
        assert_eq!(lookup["ret"], 0, "{method}");
        assert_eq!(lookup["active"], active, "{method}");
        assert_eq!(lookup["inactive"], inactive, "{method}");
    }
    shutdown.cancel();
}
