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
use std::path::{Path, PathBuf};
use std::time::Duration;

use aggregate::MinuteClock;
use serde_json::{Value, json};
use tarsplane_interop::child::JsonChild;
use tarsplane_interop::go::go_client;
use tarsplane_interop::monitor::{Read, queue_properties};
use tarsplane_interop::plane::Up;
use tarsplane_interop::poll::{Patience, poll};
use tarsplane_interop::registry::{HELLO, assert_hello_lookups};
use tarsplane_interop::{ECHO, read_lossy};
use tokio::process::Command;

/// TarsGo's `tars.Version` in v1.4.6: the stat heads' tarsVersion.
const TARS_GO_VERSION: &str = "1.4.5";

/// `tarsplane up` with an echo servant routed as `Test.EchoServer.EchoObj` and one TEndpoint
/// (`Test.Hello.HelloObj`: pod 1 active, pod 0 not), UTC everywhere.
async fn up() -> Up {
    Up::with_echo(|o| {
        o.stat.time_zone = "UTC".into();
        o.property.time_zone = "UTC".into();
        o.log.time_zone = "UTC".into();
        o.notify.time_zone = "UTC".into();
    })
    .await
}

/// Writes the TARS server configuration of `app.server` (module `app.server`): only the
/// locator has an endpoint, every other object is resolved through it; stat and property
/// reports every 200 ms.
fn config(up: &Up, app: &str, server: &str) -> PathBuf {
    up.server_config(
        &format!("go-{app}-{server}"),
        (app, server),
        &[
            "async-invoke-timeout = 5000",
            "refresh-endpoint-interval = 60000",
        ],
        &[
            "node_name = go-node",
            "logLevel = INFO",
            "statreportinterval = 200",
            "propertyreportinterval = 200",
        ],
    )
}

/// Runs `tars-go-client <command> <config> <args..>` until it prints its JSON line (30 s at
/// most) and checks that it reported no errors.
async fn go(up: &Up, command: &str, config: &Path, args: &[&str]) -> JsonChild {
    let mut program = Command::new(go_client());
    program.arg(command).arg(config).args(args);
    let label = format!("tars-go-client-{command}");
    JsonChild::start(program, &label, up.dir(), Duration::from_secs(30)).await
}

fn today() -> String {
    MinuteClock::from_name("UTC").expect("utc").now().date
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_lookups_and_locator_resolution() {
    let up = up().await;
    let config = config(&up, "Go", "Resolver");
    let go = go(&up, "registry", &config, &[HELLO, ECHO]).await;
    let result = go.json();
    assert_eq!(result["echo"], "via locator", "{result}");
    assert_eq!(
        result["resolved"],
        json!([format!("tcp -h 127.0.0.1 -p {} -t 6000", up.echo_port())]),
        "found with findObjectByIdInSameGroup; the upChain's timeout (6000) is kept"
    );
    assert_hello_lookups(result);
    go.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_pings_every_framework_object() {
    let up = up().await;
    let config = config(&up, "Go", "Pinger");
    // Every object by name, QueryObj included: TarsGo asks the locator for each of them.
    let objects = up.objects();
    let go = go(&up, "ping", &config, &objects).await;
    assert_eq!(go.json()["pinged"], json!(objects));
    go.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_call_statistics_and_properties_read_back_through_monitor_query() {
    let up = up().await;
    let config = config(&up, "Go", "Caller");
    let go = go(&up, "monitor", &config, &[ECHO]).await;
    assert_eq!(go.json()["calls"], 3, "{}", go.json());

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
    let want_props = queue_properties();
    let rows = up
        .monitor()
        .read_until(
            &Read::detailed("Go.Caller"),
            Patience::within(Duration::from_secs(10)),
            |r| r.calls == want_calls && r.props == want_props,
        )
        .await;
    assert_eq!(
        rows.calls, want_calls,
        "three echo calls, one failed call and three registry lookups (StatObj, the echo \
         servant, PropertyObj), counted by the caller"
    );
    assert_eq!(rows.props, want_props, "values 4, 8, 12 under every policy");
    go.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_remote_log_lines_land_in_the_expected_files() {
    let up = up().await;
    let config = config(&up, "Go", "Logger");
    let marker = format!("line-{}", std::process::id());
    let before = today();
    let go = go(&up, "log", &config, &[&marker]).await;
    let after = today();

    // TarsGo sends after a second without new lines. Daily files: the lines are in today's,
    // or split over two if the day turned.
    let days: BTreeSet<&String> = [&before, &after].into_iter().collect();
    let dir = up.options().log.log_path.join("Go/Logger");
    let files = |file: &str| -> Vec<PathBuf> {
        days.iter()
            .map(|d| dir.join(format!("Go.Logger_{file}_{d}.log")))
            .collect()
    };
    let (app_files, raw_files) = (files("app"), files("raw"));
    let read = |files: &[PathBuf]| files.iter().map(|f| read_lossy(f)).collect::<String>();
    let (mut app, mut raw) = (String::new(), String::new());
    let patience = Patience::within(Duration::from_secs(10));
    poll(patience, Duration::from_millis(50), async || {
        (app, raw) = (read(&app_files), read(&raw_files));
        app.lines().count() == 3 && !raw.is_empty()
    })
    .await;
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
    let up = up().await;
    let config = config(&up, "Go", "Notifier");
    let marker = format!("alarm-{}", std::process::id());
    let go = go(&up, "notify", &config, &[&marker]).await;

    // Answered calls: the records are queued by the time the program prints; K8SFramework's
    // own end-to-end test allows 2 s until they are findable.
    let docs: Vec<Value> = up.alarms(3, Duration::from_secs(2)).await;
    assert_eq!(docs.len(), 3, "three alarms findable within 2 s: {docs:?}");
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
