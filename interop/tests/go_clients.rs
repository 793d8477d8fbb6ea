//! Real TarsGo clients (`github.com/TarsCloud/TarsGo` v1.4.6, the newest on the Go module
//! proxy, `interop/go`) against `tarsplane up` (in process, loopback, SQLite store, registry
//! from its YAML file). `interop/go/build` must have been run (`scripts/test` does); a missing
//! binary fails with that instruction.
//!
//! Each test runs `interop/go/bin/tars-go-client <command> <config>`: the config is the TARS
//! server file tarsnode would write (`<client>` with only the locator holding an endpoint,
//! `<server>` naming `tars.tarslog.LogObj` and `tars.tarsnotify.NotifyObj` and shortening
//! TarsGo's report intervals), which TarsGo reads itself (`tars.ServerConfigPath`). The program
//! prints one JSON line and keeps running (TarsGo's stat, property and remote-log senders are
//! goroutines on timers) until its stdin closes, which the test does once it has seen the data.
//!
//! What TarsGo 1.4.6 sends (read from its sources in the module cache and checked on the wire);
//! in bold what the npm clients of the Node tests (`@tars/rpc`, `@tars/monitor`,
//! `@tars/winston-tars`, `@tars/notify`) do differently:
//!
//! - **Every request**: TARS v1, `iTimeout` = `async-invoke-timeout` (3000 ms default). The
//!   framework helpers (registry, stat, property, log, notify) pass the shared client context,
//!   which starts as **`{"node_name": <server node_name, default localip>}`** (npm: no
//!   context), but every generated stub **replaces that map with the answer's context**
//!   (`delete`, then copy), so it is empty from the first answered call on (TarsCpp and
//!   tarsplane answer empty contexts): only the first registry lookup carries `node_name`.
//!   Out-parameters are sent too, as empty vectors (`findObjectById4Any` args carry tags 2
//!   and 3, `InSameStation` / `InSameSet` 3 and 4).
//! - **QueryF**: a proxy by bare name is resolved with `findObjectByIdInSameGroup` (as
//!   `@tars/rpc`; `findObjectByIdInSameSet` with `enableset = Y`) when the proxy is made, then
//!   every `refresh-endpoint-interval` (60 s); a non-zero `ret` is an error. The `EndpointF`
//!   timeout is kept (`tcp -h H -p P -t 6000` for an upChain entry). `StatObj`, `PropertyObj`,
//!   `LogObj`, `NotifyObj` and `tars.tarsregistry.QueryObj` itself are all resolved this way.
//!   **The lookups are themselves reported to `StatObj`** (slave `tars.tarsregistry`).
//! - **StatF**: automatic for every call: `reportMicMsg(msg[1], bFromClient[2] = true)`, **an
//!   answered call** (npm and TarsCpp: one-way), every `<server> statreportinterval` ms
//!   (default 10 s; `<client> report-interval` is parsed but unused). Head: masterName
//!   `modulename` without `@version`, **masterIp the host's own address** (the service uses the
//!   peer), slaveIp/slavePort the endpoint, returnValue the answer's `iRet` (**-3** for no
//!   such function, -1 without answer), set fields (7-9) left out, **tarsVersion `1.4.5`**
//!   (v1.4.6's `tars.Version` was not bumped; npm sends none). Body: each call counts 1 in
//!   `count`, `timeoutCount` or `execCount`; `intervalCount` with the nine buckets 5 .. 3000 ms
//!   (as npm); min/max response times.
//! - **PropertyF**: `tars.CreatePropertyReport` / `Report`: `reportPropMsg`, **an answered
//!   call** (npm and TarsCpp: one-way), every `<server> propertyreportinterval` ms (default
//!   10 s), about 20 heads per call. Head: moduleName = `modulename`, ip = `localip`,
//!   iPropertyVer 2 (tag 7, as npm), set fields and sContainer left out. Policies in the order
//!   Sum, Avg, Distr, Max, Min, Count; `Avg` is the integer sum over the count as a Go float
//!   (`8`); `Distr` is `0|0,10|2,100|1`. **Every interval sends each property again**: `Distr`
//!   with zero counts, the other policies left out while at their start values, and a head with
//!   an empty `vInfo` when none is left. A remote logger adds `Sum` properties
//!   `<app>.<server>.<file>_log_send_succ` and `_log_send_fail` of its own.
//! - **LogF**: `tars.GetRemoteLogger(file)`: `loggerbyInfo` (answered, as npm), at most 2000
//!   lines per call, after a second without new lines. `LogInfo` **leaves out every optional
//!   field at its default** (bHasSufix true, bHasAppNamePrefix true, bHasSquareBracket false,
//!   sConcatStr `_`, sSepar `|`; setdivision only with `enableset`; **sLogType only when set**,
//!   here `day` for file `raw`; npm always sends e.g. `1day`); sFormat `%Y%m%d`. Lines are
//!   **`<yyyy-mm-dd hh:mm:ss.mmm>|<file>:<function>:<line>|<LEVEL>|<message>\n`**
//!   (`RemoteTimeWriter.SetPrefix(false)`: the message alone, no newline added). The context
//!   has lost `node_name` by then, so each line starts with the caller's IP.
//! - **NotifyF**: `tars.ReportNotifyInfo(level, message)`: `reportNotifyInfo` only (as npm),
//!   **answered** (TarsCpp: one-way): eType REPORT, sApp/sServer from `<server>`, sSet ""
//!   (no set), sContainer "", eLevel (8) always written, **sThreadId (7) left out** (npm sends
//!   the thread id), sNodeName (9) left out. Stored with source `server`, podName the peer IP.
//! - **`tars_ping`**: TarsGo itself only sends it **one-way, as a keep-alive**
//!   (`keep-alive-interval`, off by default); the program sends it as an answered call through
//!   `ServantProxy.TarsInvoke` to every framework object resolved by name.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aggregate::MinuteClock;
use serde_json::{Value, json};
use sink::Sink;
use tars_rpc::{Server, ServerConfig};
use tarsplane::up::{Options, Plane, start};
use tarsplane_interop::{Echo, monitor_query};
use tokio::io::AsyncBufReadExt;
use tokio_util::sync::CancellationToken;

/// The echo servant's object, routed through the registry's upChain.
const ECHO: &str = "Test.EchoServer.EchoObj";

/// TarsGo's `tars.Version` in v1.4.6: the stat heads' tarsVersion.
const TARS_GO_VERSION: &str = "1.4.5";

/// The built program.
///
/// # Panics
///
/// With the instruction to build it when `interop/go/build` has not been run.
fn go_client() -> PathBuf {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("go/bin/tars-go-client");
    assert!(
        bin.is_file(),
        "the TarsGo client is not built: run interop/go/build (scripts/test does)"
    );
    bin
}

/// `tarsplane up` with an echo servant routed as `Test.EchoServer.EchoObj` and one TEndpoint
/// (`Test.Hello.HelloObj`: pod 1 active, pod 0 not).
struct Up {
    dir: tempfile::TempDir,
    log_root: PathBuf,
    echo_port: u16,
    plane: Option<Plane>,
    served: Vec<(String, SocketAddr)>,
    shutdown: CancellationToken,
    running: Option<tokio::task::JoinHandle<()>>,
}

impl Up {
    /// Starts the echo servant and binds `tarsplane up` (UTC everywhere); [`Up::run`] serves.
    async fn start() -> Self {
        let shutdown = CancellationToken::new();
        let echo = Server::new(ServerConfig::default())
            .servant(ECHO, Arc::new(Echo))
            .bind("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("bind echo");
        let echo_port = echo.local_addr().port();
        tokio::spawn(echo.run(shutdown.child_token()));

        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("registry.yaml"), registry_file(echo_port)).expect("yaml");
        let mut options = Options::embedded("127.0.0.1".parse().expect("ip"), dir.path());
        options.ephemeral = true;
        options.stat.time_zone = "UTC".into();
        options.property.time_zone = "UTC".into();
        options.log.time_zone = "UTC".into();
        options.notify.time_zone = "UTC".into();
        let log_root = options.log.log_path.clone();
        let plane = start(&options).await.expect("start");
        let served = plane
            .served
            .iter()
            .map(|s| (s.object.to_owned(), s.addr))
            .collect();
        Self {
            dir,
            log_root,
            echo_port,
            plane: Some(plane),
            served,
            shutdown,
            running: None,
        }
    }

    fn addr(&self, object: &str) -> SocketAddr {
        self.served
            .iter()
            .find(|(o, _)| o == object)
            .map_or_else(|| panic!("{object} served"), |(_, a)| *a)
    }

    fn plane(&self) -> &Plane {
        self.plane.as_ref().expect("not running yet")
    }

    fn run(&mut self) {
        let plane = self.plane.take().expect("once");
        self.running = Some(tokio::spawn(plane.run(self.shutdown.clone())));
    }

    /// Writes the TARS server configuration of `app.server` (module `app.server`, node name
    /// `go-node`): only the locator has an endpoint, every other object is resolved through
    /// it; stat and property reports every 200 ms.
    fn config(&self, app: &str, server: &str) -> PathBuf {
        let data = self.dir.path().join(format!("go-{app}-{server}"));
        std::fs::create_dir_all(&data).expect("data dir");
        let text = format!(
            "<tars>
  <application>
    enableset = n
    <client>
      locator = tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p {registry} -t 3000
      async-invoke-timeout = 5000
      refresh-endpoint-interval = 60000
      stat = tars.tarsstat.StatObj
      property = tars.tarsproperty.PropertyObj
      modulename = {app}.{server}
    </client>
    <server>
      app = {app}
      server = {server}
      node_name = go-node
      localip = 127.0.0.1
      basepath = {data}
      datapath = {data}
      logpath = {data}
      logLevel = INFO
      log = tars.tarslog.LogObj
      notify = tars.tarsnotify.NotifyObj
      statreportinterval = 200
      propertyreportinterval = 200
    </server>
  </application>
</tars>
",
            registry = self.addr("tars.tarsregistry.QueryObj").port(),
            data = data.display(),
        );
        let path = data.join("server.conf");
        std::fs::write(&path, text).expect("config");
        path
    }

    async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(running) = self.running.take() {
            tokio::time::timeout(Duration::from_secs(15), running)
                .await
                .expect("up stops on shutdown")
                .expect("task");
        }
    }
}

fn registry_file(echo_port: u16) -> String {
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
  {ECHO}: [{{host: 127.0.0.1, port: {echo_port}}}]
"
    )
}

/// A running `tars-go-client` that has printed its JSON line and waits for stdin to close.
struct GoClient {
    command: String,
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    stderr: PathBuf,
    json: Value,
}

impl GoClient {
    /// Runs `tars-go-client <command> <config> <args..>` until it prints its JSON line (30 s
    /// at most) and checks that it reported no errors.
    async fn start(up: &Up, command: &str, config: &Path, args: &[&str]) -> Self {
        let stderr = up.dir.path().join(format!("go-{command}.stderr"));
        let mut child = tokio::process::Command::new(go_client())
            .arg(command)
            .arg(config)
            .args(args)
            .current_dir(up.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start tars-go-client: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("tars-go-client {command}: no output within 30 s"))
            .expect("read stdout")
            .unwrap_or_default();
        let json: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!(
                "tars-go-client {command} printed no JSON line ({e}): {line:?}\nstderr: {}",
                read_lossy(&stderr)
            )
        });
        assert_eq!(
            json["errors"],
            json!([]),
            "tars-go-client {command}: {json}\nstderr: {}",
            read_lossy(&stderr)
        );
        Self {
            command: command.to_owned(),
            child,
            stdin,
            stderr,
            json,
        }
    }

    /// Closes stdin and waits for a successful exit.
    async fn finish(mut self) {
        drop(self.stdin.take());
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("tars-go-client exits within 15 s of stdin closing")
            .expect("wait");
        assert!(
            status.success(),
            "tars-go-client {} exited with {status}\nstderr: {}",
            self.command,
            read_lossy(&self.stderr)
        );
    }
}

fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

fn today() -> String {
    MinuteClock::from_name("UTC").expect("utc").now().date
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_lookups_and_locator_resolution() {
    let mut up = Up::start().await;
    up.run();
    let config = up.config("Go", "Resolver");
    let go = GoClient::start(&up, "registry", &config, &["Test.Hello.HelloObj", ECHO]).await;
    let result = &go.json;
    assert_eq!(result["echo"], "via locator", "{result}");
    assert_eq!(
        result["resolved"],
        json!([format!("tcp -h 127.0.0.1 -p {} -t 6000", up.echo_port)]),
        "found with findObjectByIdInSameGroup; the upChain's timeout (6000) is kept"
    );
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
    go.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_pings_every_framework_object() {
    let mut up = Up::start().await;
    up.run();
    let config = up.config("Go", "Pinger");
    // Every object by name, QueryObj included: TarsGo asks the locator for each of them.
    let objects: Vec<&str> = up.served.iter().map(|(o, _)| o.as_str()).collect();
    let go = GoClient::start(&up, "ping", &config, &objects).await;
    assert_eq!(go.json["pinged"], json!(objects));
    go.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_call_statistics_and_properties_read_back_through_monitor_query() {
    let mut up = Up::start().await;
    let stat = up.plane().stat().expect("stat runs").aggregator.clone();
    let property = up
        .plane()
        .property()
        .expect("property runs")
        .aggregator
        .clone();
    let (query_stat, query_property) = (
        up.addr("tars.tarsquerystat.QueryObj"),
        up.addr("tars.tarsqueryproperty.QueryObj"),
    );
    up.run();
    let config = up.config("Go", "Caller");
    let go = GoClient::start(&up, "monitor", &config, &[ECHO]).await;
    assert_eq!(go.json["calls"], 3, "{}", go.json);

    // TarsGo reports every 200 ms from its own goroutines: close the windows until both
    // answers show the reports.
    // Grouped by slave, interface, master IP (the peer), slave IP, tarsVersion, return value.
    let row = |slave_and_interface: &str, ret: i32, v: &[f64]| {
        let ips = "127.0.0.1,127.0.0.1";
        let key = format!("{slave_and_interface},{ips},{TARS_GO_VERSION},{ret}");
        (key, v.to_vec())
    };
    let want_calls = vec![
        row("Test.EchoServer,echo", 0, &[3.0, 0.0, 0.0]),
        row("Test.EchoServer,nope", -3, &[0.0, 0.0, 1.0]),
        row(
            "tars.tarsregistry,findObjectByIdInSameGroup",
            0,
            &[3.0, 0.0, 0.0],
        ),
    ];
    let want_props: Vec<(String, Vec<f64>)> = [
        ("queue,Avg", 8.0),
        ("queue,Count", 3.0),
        ("queue,Distr", 0.0),
        ("queue,Max", 12.0),
        ("queue,Min", 4.0),
        ("queue,Sum", 24.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), vec![v]))
    .collect();
    let clock = MinuteClock::from_name("UTC").expect("utc");
    let (mut calls, mut props) = (Vec::new(), Vec::new());
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        let minute = clock.now();
        stat.flush(&minute).await;
        property.flush(&minute).await;
        calls = monitor_query(
            query_stat,
            "tars.tarsquerystat.QueryObj",
            &minute.date,
            "Go.Caller",
            &["succ_count", "timeout_count", "exce_count"],
            &[
                "slave_name",
                "interface_name",
                "master_ip",
                "slave_ip",
                "tars_version",
                "return_value",
            ],
        )
        .await;
        props = monitor_query(
            query_property,
            "tars.tarsqueryproperty.QueryObj",
            &minute.date,
            "Go.Caller",
            &["value"],
            &["property_name", "policy"],
        )
        .await;
        if calls == want_calls && props == want_props {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        calls, want_calls,
        "three echo calls, one failed call and three registry lookups (StatObj, the echo \
         servant, PropertyObj), counted by the caller"
    );
    assert_eq!(props, want_props, "values 4, 8, 12 under every policy");
    go.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_remote_log_lines_land_in_the_expected_files() {
    let mut up = Up::start().await;
    let root = up.log_root.clone();
    up.run();
    let config = up.config("Go", "Logger");
    let marker = format!("line-{}", std::process::id());
    let before = today();
    let go = GoClient::start(&up, "log", &config, &[&marker]).await;
    let after = today();

    // TarsGo sends after a second without new lines. Daily files: the lines are in today's,
    // or split over two if the day turned.
    let days: BTreeSet<&String> = [&before, &after].into_iter().collect();
    let dir = root.join("Go/Logger");
    let files = |file: &str| -> Vec<PathBuf> {
        days.iter()
            .map(|d| dir.join(format!("Go.Logger_{file}_{d}.log")))
            .collect()
    };
    let (app_files, raw_files) = (files("app"), files("raw"));
    let read = |files: &[PathBuf]| files.iter().map(|f| read_lossy(f)).collect::<String>();
    let started = Instant::now();
    let (mut app, mut raw) = (String::new(), String::new());
    while started.elapsed() < Duration::from_secs(10) {
        (app, raw) = (read(&app_files), read(&raw_files));
        if app.lines().count() == 3 && !raw.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        raw,
        format!("127.0.0.1|{marker} raw\n"),
        "{raw_files:?}: the message as sent, after the caller's IP (node_name is gone)"
    );
    // TarsGo's own layout: <node>|<date> <time.ms>|<file>:<function>:<line>|<LEVEL>|<message>.
    let lines: Vec<&str> = app.split_inclusive('\n').collect();
    let want = [
        ("INFO", format!("{marker} one\n")),
        ("INFO", format!("{marker} two\n")),
        ("WARN", format!("{marker} 中文\n")),
    ];
    assert_eq!(lines.len(), want.len(), "{app_files:?}: {app:?}");
    for (line, (level, message)) in lines.iter().zip(&want) {
        let fields: Vec<&str> = line.splitn(5, '|').collect();
        assert_eq!(fields.len(), 5, "{line:?}");
        assert_eq!(fields[0], "127.0.0.1", "{line:?}");
        let stamp = fields[1].as_bytes();
        assert!(
            stamp.len() == 23
                && stamp.iter().enumerate().all(|(i, b)| match i {
                    4 | 7 => *b == b'-',
                    10 => *b == b' ',
                    13 | 16 => *b == b':',
                    19 => *b == b'.',
                    _ => b.is_ascii_digit(),
                }),
            "{line:?}: time as 2006-01-02 15:04:05.000"
        );
        assert!(
            fields[2].starts_with("main.go:main.remoteLog:"),
            "{line:?}: the caller"
        );
        assert_eq!((fields[3], fields[4]), (*level, message.as_str()));
    }
    go.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_alarms_are_stored_by_notify() {
    let mut up = Up::start().await;
    let Sink::Sqlite(db) = up.plane().sink().expect("a store").clone() else {
        panic!("the embedded store is SQLite");
    };
    up.run();
    let config = up.config("Go", "Notifier");
    let marker = format!("alarm-{}", std::process::id());
    let go = GoClient::start(&up, "notify", &config, &[&marker]).await;

    // Answered calls: the records are queued by the time the program prints; K8SFramework's
    // own end-to-end test allows 2 s until they are findable.
    let sent = Instant::now();
    let mut docs = Vec::new();
    while sent.elapsed() < Duration::from_secs(2) {
        docs = db.fetch("tars_notify_").await.expect("fetch");
        if docs.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(docs.len(), 3, "three alarms findable within 2 s: {docs:?}");
    let mut docs: Vec<Value> = docs.into_iter().map(|(_, d)| d).collect();
    docs.sort_by(|a, b| a["message"].as_str().cmp(&b["message"].as_str()));
    let field = |i: usize, f: &str| docs[i][f].as_str().unwrap_or_default().to_owned();
    let want = [
        (format!("{marker} error"), "[error]"),
        (format!("{marker} normal"), "[normal]"),
        (format!("{marker} warn"), "[warn]"),
    ];
    for (i, (message, level)) in want.iter().enumerate() {
        assert_eq!(&field(i, "message"), message);
        assert_eq!(field(i, "level"), *level, "{message}");
        assert_eq!(field(i, "impThread"), "", "{message}: no sThreadId");
        assert_eq!(
            (field(i, "app"), field(i, "server")),
            ("Go".into(), "Notifier".into())
        );
        assert_eq!(field(i, "source"), "server", "{message}: reportNotifyInfo");
        assert_eq!(
            field(i, "podName"),
            "127.0.0.1",
            "{message}: no sNodeName, the reporter's IP"
        );
    }
    go.finish().await;
    up.stop().await;
}
