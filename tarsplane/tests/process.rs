//! `tarsplane up` as a real process (the built binary) in a temporary directory, driven by the
//! npm TARS clients of `interop/node`: `@tars/registry` lookups and `@tars/rpc` locator
//! resolution, `@tars/monitor` stat and property reports, `@tars/notify` alarms and
//! `@tars/winston-tars` remote logs. The admin port answers `/healthz`, `/readyz` and
//! `/metrics`. Then SIGTERM: the process must exit 0 having written everything it
//! acknowledged — the log lines are in their file, the alarms in the store, and a second
//! process on the same data directory answers `MonitorQuery` with every reported call and
//! property value (the partial minute flushed at shutdown).

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tars_rpc::{Server, ServerConfig};
use tarsplane_interop::{Echo, monitor_query, run_node_async};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

/// A running `tarsplane up` and what its banner said.
struct Up {
    child: Child,
    objects: Vec<(String, SocketAddr)>,
    admin: SocketAddr,
}

impl Up {
    fn addr(&self, object: &str) -> SocketAddr {
        match self.objects.iter().find(|(o, _)| o == object) {
            Some((_, addr)) => *addr,
            None => panic!("{object} in the banner"),
        }
    }

    async fn terminate(mut self) {
        let pid = self.child.id().expect("running").to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .expect("kill");
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("exits within 30 s of SIGTERM")
            .expect("wait");
        assert!(exit.success(), "clean exit after SIGTERM: {exit}");
    }
}

async fn start(config: &std::path::Path) -> Up {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tarsplane"))
        .args(["up", "--ephemeral-ports", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start tarsplane");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut objects = Vec::new();
    let mut admin = None;
    while objects.len() < tarsplane::objects::FRAMEWORK_OBJECTS.len() {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("banner within 30 s")
            .expect("read")
            .expect("the banner before stdout ends");
        let words: Vec<&str> = line.split_whitespace().collect();
        if line.trim_start().starts_with("admin") {
            admin = words.last().and_then(|a| a.parse().ok());
        } else if words.len() >= 2 && words[0].starts_with("tars.") {
            objects.push((words[0].to_owned(), words[1].parse().expect("address")));
        }
    }
    // Keep draining stdout so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Up {
        child,
        objects,
        admin: admin.expect("the admin line"),
    }
}

async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn node(script: &str, args: &[&str]) -> Value {
    let out = run_node_async(script, args).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script}: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or(Value::Null)
}

fn files(dir: &std::path::Path, echo: SocketAddr) -> std::path::PathBuf {
    let registry = format!(
        "apiVersion: k8s.tars.io/v1beta3\nkind: TFrameworkConfig\nmetadata: {{name: tars-framework}}\n\
         upChain:\n  Test.EchoServer.EchoObj: [{{host: 127.0.0.1, port: {}}}]\n---\n\
         apiVersion: k8s.tars.io/v1beta3\nkind: TEndpoint\nmetadata: {{name: test-hello}}\n\
         spec: {{tars: {{servants: [{{name: HelloObj, port: 10000, timeout: 5000}}]}}}}\n\
         status: {{pods: [{{name: test-hello-1, settingState: Active, presentState: Active}}, \
         {{name: test-hello-0, settingState: Active, presentState: Deactivating}}]}}\n",
        echo.port()
    );
    std::fs::write(dir.join("registry.yaml"), registry).expect("registry file");
    let d = dir.display();
    let config = format!(
        "host = \"127.0.0.1\"\n\
         [admin]\nlisten = \"127.0.0.1:0\"\n\
         [sink.sqlite]\npath = \"{d}/tarsplane.sqlite\"\n\
         [stat]\ntime_zone = \"UTC\"\n\
         [property]\ntime_zone = \"UTC\"\n\
         [log]\nlog_path = \"{d}/remote_app_log\"\n\
         [registry]\nsource = \"file\"\nfile = \"{d}/registry.yaml\"\n\
         [config]\nsource = \"file\"\nfile = \"{d}/config.yaml\"\n"
    );
    let path = dir.join("tarsplane.toml");
    std::fs::write(&path, config).expect("config file");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_works_as_a_process_and_nothing_is_lost_at_sigterm() {
    let stop_echo = CancellationToken::new();
    let echo = Server::new(ServerConfig::default())
        .servant("Test.EchoServer.EchoObj", Arc::new(Echo))
        .bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind echo");
    let echo_addr = echo.local_addr();
    tokio::spawn(echo.run(stop_echo.clone()));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = files(dir.path(), echo_addr);
    let up = start(&config).await;

    assert_eq!(http_get(up.admin, "/healthz").await.0, 200);
    let (status, ready) = http_get(up.admin, "/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert!(
        ready.contains("registry: ok") && ready.contains("store: ok"),
        "{ready}"
    );

    let query_port = up.addr("tars.tarsregistry.QueryObj").port().to_string();
    let lookups = node(
        "registry-client.js",
        &[
            "127.0.0.1",
            &query_port,
            "Test.Hello.HelloObj",
            "Test.EchoServer.EchoObj",
        ],
    )
    .await;
    assert_eq!(lookups["echo"], "via locator");
    assert_eq!(
        lookups["lookups"]["findObjectById4All"]["inactive"],
        json!([{"host": "test-hello-0.test-hello", "port": 10000, "timeout": 5000, "istcp": 1}])
    );

    let stat_port = up.addr("tars.tarsstat.StatObj").port().to_string();
    let property_port = up.addr("tars.tarsproperty.PropertyObj").port().to_string();
    node(
        "monitor-client.js",
        &["127.0.0.1", &stat_port, "127.0.0.1", &property_port],
    )
    .await;
    let marker = format!("e2e-{}", std::process::id());
    let notify_port = up.addr("tars.tarsnotify.NotifyObj").port().to_string();
    node("notify-client.js", &["127.0.0.1", &notify_port, &marker]).await;
    let log_port = up.addr("tars.tarslog.LogObj").port().to_string();
    node("winston-client.js", &["127.0.0.1", &log_port, &marker]).await;

    let (_, metrics) = http_get(up.admin, "/metrics").await;
    for series in [
        "tars_registry_lookups_total{result=\"server\"}",
        "tars_registry_lookups_total{result=\"up_chain\"}",
        "tars_registry_servers 1",
        "tars_stat_entries_total",
        "tars_notify_",
        "tars_sink_documents_in_total",
    ] {
        assert!(metrics.contains(series), "{series} in /metrics:\n{metrics}");
    }

    up.terminate().await;
    check_written(dir.path(), &marker).await;
    check_read_back(&config).await;
    stop_echo.cancel();
}

/// The log lines and the alarms were written before the process exited.
async fn check_written(dir: &std::path::Path, marker: &str) {
    let today = aggregate::MinuteClock::from_name("UTC")
        .expect("utc")
        .now()
        .date;
    let log = dir.join(format!(
        "remote_app_log/Node/Logger/Node.Logger_app_{today}.log"
    ));
    let text = std::fs::read_to_string(&log).expect("the log file");
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains(&format!("{marker} 中文")), "{text}");
    let db = sink::SqliteSink::open(
        &sink::config::SqliteConfig {
            path: dir.join("tarsplane.sqlite"),
            ..sink::config::SqliteConfig::default()
        },
        sink::Metrics::default(),
    )
    .expect("open the store");
    let alarms = db.fetch("tars_notify_").await.expect("fetch");
    let ours = alarms
        .iter()
        .filter(|(_, doc)| {
            doc["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(marker))
        })
        .count();
    assert_eq!(ours, 2, "{alarms:?}");
    db.close().await;
}

/// The partial minute was flushed at SIGTERM: a new process reads every report back.
async fn check_read_back(config: &std::path::Path) {
    let today = aggregate::MinuteClock::from_name("UTC")
        .expect("utc")
        .now()
        .date;
    let again = start(config).await;
    let calls = monitor_query(
        again.addr("tars.tarsquerystat.QueryObj"),
        "tars.tarsquerystat.QueryObj",
        &today,
        "Node.Reporter",
        &["succ_count", "timeout_count", "exce_count", "total_time"],
        &["slave_name", "interface_name"],
    )
    .await;
    assert_eq!(
        calls,
        [(
            "Test.HelloServer,sayHello".to_owned(),
            vec![5.0, 2.0, 1.0, 700.0]
        )]
    );
    let props = monitor_query(
        again.addr("tars.tarsqueryproperty.QueryObj"),
        "tars.tarsqueryproperty.QueryObj",
        &today,
        "Node.Reporter",
        &["value"],
        &["property_name", "policy"],
    )
    .await;
    assert_eq!(props.len(), 6, "{props:?}");
    assert!(
        props.contains(&("queue,Sum".to_owned(), vec![24.0])),
        "{props:?}"
    );
    again.terminate().await;
}
