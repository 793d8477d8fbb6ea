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

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tarsplane_interop::child::JsonChild;
use tarsplane_interop::java::{JVM_OPTIONS, java_class_path};
use tarsplane_interop::monitor::{Read, Row, queue_properties};
use tarsplane_interop::plane::{REGISTRY_QUERY, Up};
use tarsplane_interop::poll::{Patience, poll};
use tarsplane_interop::registry::{HELLO, assert_hello_lookups, hello_active};
use tarsplane_interop::{ECHO, read_lossy};
use tokio::process::Command;

/// Writes the TARS server configuration of `app.server` (module `app.server`): only the
/// locator has an endpoint, every other framework object is resolved through it.
fn config(up: &Up, app: &str, server: &str) -> PathBuf {
    let client = [
        "sync-invoke-timeout = 5000",
        "async-invoke-timeout = 5000",
        "refresh-endpoint-interval = 60000",
        "report-interval = 60000",
    ];
    up.server_config(
        &format!("java-{app}-{server}"),
        (app, server),
        &client,
        &["loglevel = INFO"],
    )
}

/// Runs `Main <command> <config> <args..>` until it prints its JSON line (60 s at most) and
/// checks that it reported no errors.
async fn java(up: &Up, command: &str, config: &Path, args: &[&str]) -> JsonChild {
    let mut program = Command::new("java");
    program.args(JVM_OPTIONS).arg("-cp").arg(java_class_path());
    program
        .arg("tarsplane.interop.Main")
        .arg(command)
        .arg(config)
        .args(args);
    let label = format!("java-{command}");
    JsonChild::start(program, &label, up.dir(), Duration::from_secs(60)).await
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
    let up = Up::with_echo(|_| {}).await;
    let config = config(&up, "Java", "Resolver");
    let java = java(&up, "registry", &config, &[HELLO, ECHO]).await;
    let result = java.json();
    assert_eq!(result["echo"], "via locator");
    assert_eq!(
        result["resolved"],
        format!(
            "{ECHO}@tcp -h 127.0.0.1 -p {} -t 3000 -a 1 -g 0 ",
            up.echo_port()
        ),
        "found with findObjectByIdInSameGroup; the upChain's timeout (6000) is not kept"
    );
    assert_eq!(result["getEndpoint4All"], hello_active());
    assert_hello_lookups(result);
    java.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsjava_pings_every_framework_object() {
    let up = Up::with_echo(|_| {}).await;
    let config = config(&up, "Java", "Pinger");
    // QueryObj by the locator string itself: `TarsJava` never asks the registry for the object
    // its locator names (it would be left without endpoints).
    let locator = up.locator();
    let mut objects = vec![locator.as_str()];
    objects.extend(up.objects().into_iter().filter(|o| *o != REGISTRY_QUERY));
    let java = java(&up, "ping", &config, &objects).await;
    assert_eq!(java.json()["pinged"], json!(objects));
    java.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsjava_call_statistics_and_properties_read_back_through_monitor_query() {
    let up = Up::with_echo(|o| {
        o.stat.time_zone = "UTC".into();
        o.property.time_zone = "UTC".into();
    })
    .await;
    let config = config(&up, "Java", "Caller");
    let java = java(&up, "monitor", &config, &[ECHO]).await;
    assert_eq!(java.json()["calls"], 3, "{}", java.json());

    // The reports are in flight (stat: an answered call `TarsJava` does not wait for; property:
    // one-way): close the windows until both answers show them.
    let rows = up
        .monitor()
        .read_until(
            &Read::detailed("Java.Caller"),
            Patience::within(Duration::from_secs(10)),
            |r| r.calls.len() == 2 && r.props.len() == 6,
        )
        .await;
    let row = |k: &str, v: &[f64]| -> Row { (k.to_owned(), v.to_vec()) };
    assert_eq!(
        rows.calls,
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
    assert_eq!(
        rows.props,
        queue_properties(),
        "values 4, 8, 12 under every policy"
    );
    java.finish().await;
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsjava_remote_log_lines_land_in_the_expected_files() {
    let up = Up::with_echo(|o| o.log.time_zone = "UTC".into()).await;
    let config = config(&up, "Java", "Logger");
    let marker = format!("line-{}", std::process::id());
    let before = utc_hour();
    let java = java(&up, "log", &config, &[&marker]).await;
    let after = utc_hour();

    let dir = up.options().log.log_path.join("Java/Logger");
    // Hourly files: the lines are in this hour's, or split over two if the hour turned.
    let hourly: Vec<PathBuf> = [&before, &after]
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|h| dir.join(format!("Java.Logger_app_{h}.log")))
        .collect();
    let daily: Vec<PathBuf> = [&before[..8], &after[..8]]
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|d| dir.join(format!("Java.Logger_raw_{d}.log")))
        .collect();
    let read = |files: &[PathBuf]| files.iter().map(|f| read_lossy(f)).collect::<String>();
    let (mut app, mut raw) = (String::new(), String::new());
    let patience = Patience::within(Duration::from_secs(5));
    poll(patience, Duration::from_millis(50), async || {
        (app, raw) = (read(&hourly), read(&daily));
        app.lines().count() == 3 && raw.lines().count() == 1
    })
    .await;
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
    let up = Up::with_echo(|o| o.notify.time_zone = "UTC".into()).await;
    let config = config(&up, "Java", "Notifier");
    let marker = format!("alarm-{}", std::process::id());
    let java = java(&up, "notify", &config, &[&marker]).await;

    let docs: Vec<Value> = up.alarms(3, Duration::from_secs(2)).await;
    assert_eq!(docs.len(), 3, "three alarms findable within 2 s: {docs:?}");
    let field = |i: usize, f: &str| docs[i][f].as_str().unwrap_or_default().to_owned();
    let thread = java.json()["thread"]
        .as_str()
        .expect("thread id")
        .to_owned();
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
