//! Real `TarsJava` clients (`com.tencent.tars:tars-core` 1.7.3, the newest on Maven Central,
//! `interop/java`) against `tarsplane up` (in process, loopback, SQLite store, registry from its
//! YAML file). `interop/java/build` must have been run (`scripts/test` does); a missing build
//! fails with that instruction.
//!
//! Each test starts one JVM with `tarsplane.interop.Main <command> <config>`: the config is the
//! TARS server file tarsnode would write (`<tars><application>`: `<client>` with only the
//! locator holding an endpoint, `<server>` naming `tars.tarslog.LogObj` and
//! `tars.tarsnotify.NotifyObj`), loaded with `TarsJava`'s own `ServerConfig`. The program prints
//! one JSON line and then waits for its stdin to close, so one-way sends leave before the JVM
//! stops; the test closes it once it has seen the results.
//!
//! What `TarsJava` sends (read from tars-core's sources and checked on the wire); in bold what a
//! server has to tolerate or what no other client in these tests exercises:
//!
//! - **Every request**: TARS v1, `iMessageType` 0, **`iTimeout` 0** (the invoke timeout stays
//!   on the client), empty context and status (no `node_name`), four connections per endpoint
//!   used in turn. Out-parameters are sent too, as empty vectors (`findObjectById4Any` args
//!   carry tags 2 and 3, `findObjectByIdInSameSet` tags 3 and 4).
//! - **QueryF**: a proxy made without endpoints (the stat, property, log and notify objects, the
//!   echo servant) is resolved with `findObjectByIdInSameGroup` (`findObjectByIdInSameSet` only
//!   with `enableset = Y`), again every `refresh-endpoint-interval` (first after that plus 0-29
//!   s); `Communicator.getEndpoint4All` asks `findObjectById`. The object named by the locator
//!   itself is never looked up (a proxy for it by bare name has no endpoints). A resolved
//!   endpoint becomes `tcp -h H -p P -t 3000 -a 1 -g G`: the `EndpointF` timeout is dropped.
//! - **`StatF`**: `reportMicMsg(msg[1], bFromClient[2] = true)` as an answered call it does not
//!   wait for (not one-way), ten heads per call. Head: masterName `<modulename>@1.7.3`,
//!   **masterIp the host's own interface address** (the service replaces it with the peer),
//!   slaveName `App.Server` of the object, slaveIp/slavePort the endpoint, **returnValue
//!   `TarsJava`'s outcome** (0 success, 1 exception such as the servant's -3, 2 timeout, 3 no
//!   connection), slaveSetName/Area/ID (tags 7-9) **left out** outside a set, tarsVersion (10)
//!   sent empty. Body: `intervalCount` with `TarsJava`'s twelve buckets (5 ms .. 100 s) in hash
//!   order (an unsorted map), **minRspTime always 0** (`TarsJava` only ever lowers it from 0).
//!   Each proxy reports every `report-interval`, the first time after that plus 0-29 s at
//!   random, so the program runs the reporter's body (`StatHelper.report(InvokeStatHelper
//!   .getProxyStat(object), true)`) itself.
//! - **`PropertyF`**: `reportPropMsg` one-way, from `PropertyReportHelper` (which needs the server
//!   configuration in `ConfigurationManager`; the program sets it from the file and calls
//!   `report()`, what the server runtime's timer does). Head: moduleName = `modulename`, ip
//!   whatever `Utils.getLocalIp()` finds (`0.0.0.0` here; the service uses the peer),
//!   sContainer (6) left out, **iPropertyVer 1** (TarsCpp sends 2). Policies in hash order;
//!   `Avg` is already averaged, as a Java double (`8.0`); `Distr` is `0|0,10|2,100|1` (each value
//!   counted in the first bucket above it).
//! - **`LogF`**: tars-core has no remote logger; `TarsJava`'s logback appender (tars-plugins, not
//!   on Maven Central) calls `async_loggerbyInfo` through tars-core's `LogPrx`, and so does the
//!   program: `LogInfo` with sFormat `%Y%m%d%H` and every optional field written explicitly at
//!   its IDL default (setdivision "", bHasSufix true, bHasAppNamePrefix true,
//!   bHasSquareBracket false, sConcatStr `_`, sSepar `|`, sLogType ""), each line ending in
//!   `\n`; plus one `logger` call. Without `node_name` each line starts with the caller's IP.
//! - **`NotifyF`**: `NotifyHelper` uses the **old methods only**: `syncReport` is
//!   `reportServer("App.Server"[1], <Java thread id>[2], message[3])` (answered),
//!   `notifyWarn`/`notifyError` are one-way `notifyServer("App.Server"[1], level[2],
//!   message[3])`; never `reportNotifyInfo`. Stored with source `program`.
//! - **`tars_ping`**: through a hand-written `@Servant` interface with `void tars_ping()` (empty
//!   argument buffer), on every framework object `tarsplane up` serves.
//! - **Java 17** needs `--add-exports java.base/sun.reflect.generics.reflectiveObjects=
//!   ALL-UNNAMED` for a proxy interface with `promise_` methods (`StatFPrx`, so every stat
//!   report); see [`JVM_OPTIONS`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// `--add-exports`: `TarsJava` 1.7.3 casts the generic return type of a proxy's `promise_`
/// methods (`StatFPrx.promise_reportMicMsg`, what its stat reporter calls) to the JDK's internal
/// `ParameterizedTypeImpl`, which Java 17 refuses without it (`IllegalAccessError` when the
/// proxy is made). The rest only makes the short-lived JVM cheaper on two cores.
const JVM_OPTIONS: &[&str] = &[
    "--add-exports=java.base/sun.reflect.generics.reflectiveObjects=ALL-UNNAMED",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
];

/// The built program: the jar and its dependencies' class path.
///
/// # Panics
///
/// With the instruction to build it when `interop/java/build` has not been run.
fn java_class_path() -> String {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("java/target");
    let jar = target.join("tarsplane-java-interop.jar");
    let deps = std::fs::read_to_string(target.join("classpath.txt")).unwrap_or_default();
    assert!(
        jar.is_file() && !deps.trim().is_empty(),
        "the TarsJava client is not built: run interop/java/build (scripts/test does)"
    );
    format!("{}:{}", jar.display(), deps.trim())
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
    async fn start(configure: impl FnOnce(&mut Options)) -> Self {
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
        configure(&mut options);
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

    fn locator(&self) -> String {
        format!(
            "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p {} -t 3000",
            self.addr("tars.tarsregistry.QueryObj").port()
        )
    }

    /// Writes the TARS server configuration of `app.server` (module `app.server`): only the
    /// locator has an endpoint, every other framework object is resolved through it.
    fn config(&self, app: &str, server: &str) -> PathBuf {
        let data = self.dir.path().join(format!("java-{app}-{server}"));
        std::fs::create_dir_all(&data).expect("data dir");
        let text = format!(
            "<tars>
  <application>
    enableset = n
    <client>
      locator = {locator}
      sync-invoke-timeout = 5000
      async-invoke-timeout = 5000
      refresh-endpoint-interval = 60000
      report-interval = 60000
      stat = tars.tarsstat.StatObj
      property = tars.tarsproperty.PropertyObj
      modulename = {app}.{server}
    </client>
    <server>
      app = {app}
      server = {server}
      localip = 127.0.0.1
      basepath = {data}
      datapath = {data}
      logpath = {data}
      loglevel = INFO
      log = tars.tarslog.LogObj
      notify = tars.tarsnotify.NotifyObj
    </server>
  </application>
</tars>
",
            locator = self.locator(),
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

/// A running Java program that has printed its JSON line and waits for stdin to close.
struct Java {
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    stderr: PathBuf,
    json: Value,
}

impl Java {
    /// Runs `Main <command> <config> <args..>` until it prints its JSON line (60 s at most).
    async fn start(up: &Up, command: &str, config: &Path, args: &[&str]) -> Self {
        let stderr = up.dir.path().join(format!("java-{command}.stderr"));
        let mut child = tokio::process::Command::new("java")
            .args(JVM_OPTIONS)
            .arg("-cp")
            .arg(java_class_path())
            .arg("tarsplane.interop.Main")
            .arg(command)
            .arg(config)
            .args(args)
            .current_dir(up.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start java: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("java {command}: no output within 60 s"))
            .expect("read stdout")
            .unwrap_or_default();
        let json = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!(
                "java {command} printed no JSON line ({e}): {line:?}\nstderr: {}",
                read_lossy(&stderr)
            )
        });
        Self {
            child,
            stdin,
            stderr,
            json,
        }
    }

    /// Panics unless the program reported no errors.
    fn assert_no_errors(&self) {
        assert_eq!(
            self.json["errors"],
            json!([]),
            "{}\nstderr: {}",
            self.json,
            read_lossy(&self.stderr)
        );
    }

    /// Closes stdin and waits for a successful exit.
    async fn finish(mut self) {
        drop(self.stdin.take());
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("java exits within 15 s of stdin closing")
            .expect("wait");
        assert!(
            status.success(),
            "java exited with {status}: {}\nstderr: {}",
            self.json,
            read_lossy(&self.stderr)
        );
    }
}

fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// `YYYYMMDDHH` of the current UTC hour.
fn utc_hour() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let (days, hour) = (secs / 86_400, secs % 86_400 / 3_600);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}{hour:02}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsjava_lookups_and_locator_resolution() {
    let mut up = Up::start(|_| {}).await;
    up.run();
    let config = up.config("Java", "Resolver");
    let java = Java::start(&up, "registry", &config, &["Test.Hello.HelloObj", ECHO]).await;
    java.assert_no_errors();
    let result = &java.json;
    assert_eq!(result["echo"], "via locator");
    assert_eq!(
        result["resolved"],
        format!(
            "{ECHO}@tcp -h 127.0.0.1 -p {} -t 3000 -a 1 -g 0 ",
            up.echo_port
        ),
        "found with findObjectByIdInSameGroup; the upChain's timeout (6000) is not kept"
    );
    let active =
        json!([{"host": "test-hello-1.test-hello", "port": 10000, "timeout": 5000, "istcp": 1}]);
    let inactive =
        json!([{"host": "test-hello-0.test-hello", "port": 10000, "timeout": 5000, "istcp": 1}]);
    assert_eq!(result["lookups"]["findObjectById"]["active"], active);
    assert_eq!(result["getEndpoint4All"], active);
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
    java.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsjava_pings_every_framework_object() {
    let mut up = Up::start(|_| {}).await;
    up.run();
    let config = up.config("Java", "Pinger");
    // QueryObj by the locator string itself: `TarsJava` never asks the registry for the object
    // its locator names (it would be left without endpoints).
    let locator = up.locator();
    let mut objects = vec![locator.clone()];
    objects.extend(
        up.served
            .iter()
            .map(|(o, _)| o.clone())
            .filter(|o| o != "tars.tarsregistry.QueryObj"),
    );
    let args: Vec<&str> = objects.iter().map(String::as_str).collect();
    let java = Java::start(&up, "ping", &config, &args).await;
    java.assert_no_errors();
    assert_eq!(java.json["pinged"], json!(objects));
    java.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsjava_call_statistics_and_properties_read_back_through_monitor_query() {
    let mut up = Up::start(|o| {
        o.stat.time_zone = "UTC".into();
        o.property.time_zone = "UTC".into();
    })
    .await;
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
    let config = up.config("Java", "Caller");
    let java = Java::start(&up, "monitor", &config, &[ECHO]).await;
    java.assert_no_errors();
    assert_eq!(java.json["calls"], 3, "{}", java.json);

    // The reports are in flight (stat: an answered call `TarsJava` does not wait for; property:
    // one-way): close the windows until both answers show them.
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
            "Java.Caller",
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
            "Java.Caller",
            &["value"],
            &["property_name", "policy"],
        )
        .await;
        if calls.len() == 2 && props.len() == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let row = |k: &str, v: &[f64]| (k.to_owned(), v.to_vec());
    assert_eq!(
        calls,
        [
            row(
                "Test.EchoServer,echo,127.0.0.1,127.0.0.1,1.7.3,0",
                &[3.0, 0.0, 0.0]
            ),
            row(
                "Test.EchoServer,nope,127.0.0.1,127.0.0.1,1.7.3,1",
                &[0.0, 0.0, 1.0]
            ),
        ],
        "three echo calls and one failed call, counted by the caller"
    );
    let want: Vec<(String, Vec<f64>)> = [
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
    assert_eq!(props, want, "values 4, 8, 12 under every policy");
    java.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsjava_remote_log_lines_land_in_the_expected_files() {
    let mut up = Up::start(|o| o.log.time_zone = "UTC".into()).await;
    let root = up.log_root.clone();
    up.run();
    let config = up.config("Java", "Logger");
    let marker = format!("line-{}", std::process::id());
    let before = utc_hour();
    let java = Java::start(&up, "log", &config, &[&marker]).await;
    java.assert_no_errors();
    let after = utc_hour();

    let dir = root.join("Java/Logger");
    // Hourly files: the lines are in this hour's, or split over two if the hour turned.
    let hourly: Vec<PathBuf> = [&before, &after]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|h| dir.join(format!("Java.Logger_app_{h}.log")))
        .collect();
    let daily: Vec<PathBuf> = [&before[..8], &after[..8]]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|d| dir.join(format!("Java.Logger_raw_{d}.log")))
        .collect();
    let read = |files: &[PathBuf]| files.iter().map(|f| read_lossy(f)).collect::<String>();
    let started = Instant::now();
    let (mut app, mut raw) = (String::new(), String::new());
    while started.elapsed() < Duration::from_secs(5) {
        (app, raw) = (read(&hourly), read(&daily));
        if app.lines().count() == 3 && raw.lines().count() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let want: Vec<String> = ["one", "two", "中文"]
        .iter()
        .map(|m| format!("127.0.0.1|{marker} {m}\n"))
        .collect();
    assert_eq!(app, want.concat(), "{hourly:?}");
    assert_eq!(raw, format!("127.0.0.1|{marker} raw\n"), "{daily:?}");
    java.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsjava_alarms_are_stored_by_notify() {
    let mut up = Up::start(|o| o.notify.time_zone = "UTC".into()).await;
    let Sink::Sqlite(db) = up.plane().sink().expect("a store").clone() else {
        panic!("the embedded store is SQLite");
    };
    up.run();
    let config = up.config("Java", "Notifier");
    let marker = format!("alarm-{}", std::process::id());
    let java = Java::start(&up, "notify", &config, &[&marker]).await;
    java.assert_no_errors();

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
    let thread = java.json["thread"].as_str().expect("thread id").to_owned();
    let want = [
        (format!("{marker} error"), "[error]", ""),
        (format!("{marker} report"), "[normal]", thread.as_str()),
        (format!("{marker} warn"), "[warn]", ""),
    ];
    for (i, (message, level, imp_thread)) in want.iter().enumerate() {
        assert_eq!(&field(i, "message"), message);
        assert_eq!(field(i, "level"), *level, "{message}");
        assert_eq!(field(i, "impThread"), *imp_thread, "{message}");
        assert_eq!(
            (field(i, "app"), field(i, "server")),
            ("Java".into(), "Notifier".into())
        );
        assert_eq!(field(i, "source"), "program", "{message}");
        assert_eq!(field(i, "podName"), "127.0.0.1", "{message}");
    }
    java.finish().await;
    up.stop().await;
}
