//! Real TARS configuration clients against `tarsplane up`'s `tars.tarsconfig.ConfigObj`: npm
//! `@tars/config` 2.0.5 (`interop/node/config-client.js`), TarsGo v1.4.6 (`tars-go-client
//! config`) and `TarsJava` tars-core 1.7.3 (`Main config`), each configured as tarsnode
//! configures a server (only the locator holds an endpoint; `config = tars.tarsconfig.ConfigObj`,
//! resolved through the registry).
//!
//! `tarsplane up` runs in process with the TConfigs of [`config_yaml`] in its data directory's
//! `config.yaml`: for app `Test` server `Hello` a server-level `a.conf` (plus an older,
//! deactivated version), pod-level `a.conf` for pods 1 and 2, a server-level `b.json`, a
//! `pod-only.conf` with only a pod-level object, the app-level `common.conf` and `zz-app.conf`,
//! and `other.conf` of server `Other`. The registry routes `ConfigObj` to a [`Recorder`] in front
//! of the service (the TarsGo tests also put one in front of the locator), so each test checks
//! what the client put on the wire as well as what it got; the service's
//! `tars_config_loads_total{result, identity}` on the admin port says how it found the caller's
//! pod. A caller that is pod 1 must get the server-level `a.conf`, CR LF CR LF, then pod 1's;
//! pod 0 (no pod-level object) the server-level content only; file lists are the server-level
//! (or app-level) names, sorted, each once.
//!
//! What each client sends (read from its sources, pinned below from the recorded requests;
//! every request TARS version 1, normal call):
//!
//! - **@tars/config** (`loadConfig`, `loadList`; no file written, the content is returned
//!   parsed: format `C` (default) as a `TC_Config` tree, `JSON`, `TEXT`): `loadConfigByInfo`
//!   with only `ConfigInfo` at tag 1 (no out-parameter), tags 0-5 always written: appname,
//!   servername (`""` for `location: APP`), filename, bAppOnly (true for `location: APP`),
//!   **host = `<server> localip`** (in Kubernetes the pod's domain name `<pod>.<app>-<server>`),
//!   setdivision `""`. `loadList` is `ListAllConfigByInfo` with `GetConfigListInfo` tags 0-5
//!   (host, setdivision and containername `""`: no host). **No context**; `iTimeout` 30000
//!   (its own 30 s). The library ignores `ret`: a file without server-level content loads as
//!   whatever text comes back (tarsplane, like K8SFramework, answers `""`).
//! - **TarsGo** (`tars.AddConfig`, `tars.AddAppConfig`: `loadConfigByInfo`, content written to
//!   `<basepath>/<file>`, `ret` ≠ 0 → error `ret <n>`, nothing written; `tars.GetConfigList`:
//!   `ListAllConfigByInfo` with appname and servername only, plus `vf` (tag 2) as an empty
//!   list): `ConfigInfo` tags 0-3 only, **no host (tag 4)** and no setdivision (optional fields
//!   at their default are left out), plus the out-parameter `config` (tag 2) as `""`;
//!   `AddAppConfig` sends servername `""` with **bAppOnly false**. `iTimeout` =
//!   `async-invoke-timeout`. The context is the communicator's shared map, `{node_name: <server
//!   node_name>}` at start; every generated stub replaces it with the answer's context, which
//!   tarsplane (as TarsCpp) leaves empty, so only TarsGo's first call (a registry lookup)
//!   carries `node_name` and **`loadConfigByInfo` arrives with an empty context**. Outside
//!   Kubernetes the service therefore cannot tell which pod a TarsGo caller is (see the
//!   ignored issue #13 test).
//! - **`TarsJava`** (`ConfigHelper.loadConfig(file)`, what `tars.loadconfig` and applications
//!   call; application-level files only through its private `loadConfig(file, true)`; content
//!   written to `<basepath>/conf/<file>` through a temporary file, rotating `.bak` copies;
//!   `ret` ≠ 0 or empty content → `TarsException`): `loadConfigByInfo` with `ConfigInfo` tags
//!   0-4, **host = `<server> localip`**, setdivision left out outside a set, the out-parameter
//!   left out (its holder is null). **No context**; `iTimeout` 0. tars-core has no list helper
//!   and its `ConfigPrx` no `ListAllConfigByInfo`: the program calls `ListConfig(app, server)`
//!   and `ListConfigByInfo` (bAppOnly, host) through the proxy as a server would, holders sent
//!   as empty lists.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tars_rpc::Client;
use tars_rpc::interfaces::config::{LIST_CONFIG, ListConfigArgs, ListConfigResult};
use tarsplane_interop::child::JsonChild;
use tarsplane_interop::go::go_client;
use tarsplane_interop::java::{JVM_OPTIONS, java_class_path};
use tarsplane_interop::plane::{CONFIG, REGISTRY_QUERY, Up};
use tarsplane_interop::poll::{Patience, poll};
use tarsplane_interop::recorder::{Call, Recorder};
use tarsplane_interop::run_node_async;
use tokio::process::Command;

const APP: &str = "Test";
const SERVER: &str = "Hello";
/// Server-level, with pod-level objects for pods 1 and 2.
const SERVER_FILE: &str = "a.conf";
/// Server-level only.
const JSON_FILE: &str = "b.json";
/// Application-level (`server: ""`).
const APP_FILE: &str = "common.conf";
/// Only a pod-level object (pod 1), no server-level one: every load answers -1.
const MISSING_FILE: &str = "pod-only.conf";

const SERVER_CONTENT: &str = "<a>\n  x = server\n  <inner>\n    k = v\n  </inner>\n</a>\n";
const OLD_SERVER_CONTENT: &str = "<a>\n  x = old\n</a>\n";
const POD1_CONTENT: &str = "<b>\n  y = pod 1\n</b>\n";
const POD2_CONTENT: &str = "<c>\n  z = pod 2\n</c>\n";
const JSON_CONTENT: &str = "{\"name\": \"hello\", \"replicas\": 2}\n";
const APP_CONTENT: &str = "<common>\n  env = test\n  name = 公共\n</common>\n";

/// K8SFramework's `MultiConfigSeparator`: server-level content, this, pod-level content.
const SEPARATOR: &str = "\r\n\r\n";

/// The server-level file lists of `Test.Hello` and of app `Test`.
const SERVER_LIST: [&str; 2] = ["a.conf", "b.json"];
const APP_LIST: [&str; 2] = ["common.conf", "zz-app.conf"];

/// One TConfig as `kubectl get tconfig -o yaml` prints it (labels as the webhook writes them).
fn tconfig(
    name: &str,
    server: &str,
    file: &str,
    pod_seq: &str,
    active: bool,
    content: &str,
) -> String {
    let version = format!("20240102030405-{:08x}", name.len() * 7919);
    let content: String = content.lines().flat_map(|l| ["  ", l, "\n"]).collect();
    format!(
        "apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata:
  name: {name}
  namespace: tars
  labels:
    tars.io/Activated: \"{active}\"
    tars.io/ConfigName: {file}
    tars.io/PodSeq: \"{pod_seq}\"
    tars.io/ServerApp: {APP}
    tars.io/ServerName: \"{server}\"
    tars.io/Version: {version}
app: {APP}
server: \"{server}\"
configName: {file}
configContent: |
{content}podSeq: \"{pod_seq}\"
activated: {active}
version: {version}
updateTime: \"2024-01-02T03:04:05Z\"
updatePerson: admin
updateReason: interop test
"
    )
}

/// The data directory's `config.yaml`, in an order that is not the lists' order.
fn config_yaml() -> String {
    [
        tconfig(
            "test-hello-b.json-m",
            SERVER,
            JSON_FILE,
            "m",
            true,
            JSON_CONTENT,
        ),
        tconfig(
            "test-hello-a.conf-m-old",
            SERVER,
            SERVER_FILE,
            "m",
            false,
            OLD_SERVER_CONTENT,
        ),
        tconfig(
            "test-hello-a.conf-2",
            SERVER,
            SERVER_FILE,
            "2",
            true,
            POD2_CONTENT,
        ),
        tconfig(
            "test-hello-a.conf-m",
            SERVER,
            SERVER_FILE,
            "m",
            true,
            SERVER_CONTENT,
        ),
        tconfig(
            "test-hello-a.conf-1",
            SERVER,
            SERVER_FILE,
            "1",
            true,
            POD1_CONTENT,
        ),
        tconfig(
            "test-hello-pod-only.conf-1",
            SERVER,
            MISSING_FILE,
            "1",
            true,
            POD1_CONTENT,
        ),
        tconfig(
            "test-zz-app.conf",
            "",
            "zz-app.conf",
            "m",
            true,
            APP_CONTENT,
        ),
        tconfig("test-common.conf", "", APP_FILE, "m", true, APP_CONTENT),
        tconfig(
            "test-other-other.conf-m",
            "Other",
            "other.conf",
            "m",
            true,
            SERVER_CONTENT,
        ),
    ]
    .join("---\n")
}

/// What pod `pod` must receive for [`SERVER_FILE`]: the server-level content, and pod 1's after
/// the separator for pod 1 (pod 0 has no pod-level object).
fn server_file_for(pod: u32) -> String {
    match pod {
        1 => format!("{SERVER_CONTENT}{SEPARATOR}{POD1_CONTENT}"),
        _ => SERVER_CONTENT.to_owned(),
    }
}

/// The pod's domain name, as tarsnode writes it into `localip` (and TarsGo's `node_name`).
fn pod_name(pod: u32) -> String {
    format!("test-hello-{pod}.test-hello")
}

/// A recorded request: its context and its argument tree.
type Sent = (BTreeMap<String, String>, String);

/// A request sent without context.
fn no_context(args: String) -> Sent {
    (BTreeMap::new(), args)
}

/// A JSON object of file name → content.
fn files(pairs: &[(&str, &str)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(name, content)| ((*name).to_owned(), json!(content)))
            .collect(),
    )
}

/// `tarsplane up` with [`config_yaml`] and `ConfigObj` routed through a recorder.
struct Plane {
    up: Up,
    config: Recorder,
}

impl Plane {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// [`Plane::start`] with `configure` applied to the options last.
    async fn start_with(configure: impl FnOnce(&mut tarsplane::up::Options)) -> Self {
        let config = Recorder::bind().await;
        let port = config.addr().port();
        let yaml = config_yaml();
        let up = Up::with_files(&[("config.yaml", yaml.as_str())], |o| {
            let route = json!([{"host": "127.0.0.1", "port": port, "timeout_ms": 3000}]);
            o.registry.routes.insert(
                CONFIG.to_owned(),
                serde_json::from_value(route).expect("route"),
            );
            configure(o);
        })
        .await;
        config.forward_to(up.addr(CONFIG));
        wait_until_loaded(up.addr(CONFIG)).await;
        Self { up, config }
    }

    /// The recorded calls of `function`, as `(context, argument tree)`.
    fn sent(&self, function: &str) -> Vec<Sent> {
        self.config
            .calls_of(function)
            .iter()
            .map(|c| (c.context.clone(), c.args_tree()))
            .collect()
    }

    /// Every recorded call, for assertion messages.
    fn wire(&self) -> Value {
        Value::Array(self.config.calls().iter().map(Call::to_json).collect())
    }

    /// `tars_config_loads_total` by `(result, identity)`.
    async fn loads(&self) -> BTreeMap<(String, String), u64> {
        config_loads(self.up.admin_addr()).await
    }
}

/// The planes every client test runs against: `tarsplane up` on its file, and (with
/// `KUBECONFIG`, always in CI) `tarsplane up` whose config service watches a fresh namespace of
/// the real API server holding the same TConfigs, created through the API.
async fn planes() -> Vec<(String, Plane)> {
    use kube::api::{Api, DynamicObject, PostParams};
    use tars_test::kube_target::{KubeTarget, Needs};

    let mut planes = vec![("the file source".to_owned(), Plane::start().await)];
    let Some(target) = KubeTarget::real(Needs::TarsCrds).await else {
        return planes;
    };
    let resource = tars_config::source::tconfig_resource();
    let configs: Api<DynamicObject> =
        Api::namespaced_with(target.client(), target.namespace(), &resource);
    for document in config_yaml().split("\n---\n") {
        let mut object: Value = serde_norway::from_str(document).expect("a TConfig document");
        if let Some(metadata) = object["metadata"].as_object_mut() {
            metadata.remove("namespace");
        }
        let object: DynamicObject = serde_json::from_value(object).expect("a TConfig");
        configs
            .create(&PostParams::default(), &object)
            .await
            .unwrap_or_else(|error| panic!("create {:?}: {error}", object.metadata.name));
    }
    let namespace = target.namespace().to_owned();
    let plane = Plane::start_with(move |o| {
        o.kubernetes_namespace = Some(namespace);
        o.config.source = tars_config::Source::Kubernetes;
    })
    .await;
    planes.push((format!("TConfigs on the {}", target.name()), plane));
    planes
}

/// Waits (5 s at most) until the service answers `ListConfig(Test, Hello)` with the file list
/// (the file source is read when the service starts; a list call is not counted as a load).
async fn wait_until_loaded(addr: SocketAddr) {
    let client = Client::connect(addr).await.expect("connect to ConfigObj");
    let args = ListConfigArgs {
        app: APP.as_bytes(),
        server: SERVER.as_bytes(),
    };
    let mut last = String::new();
    let loaded = poll(
        Patience::within(Duration::from_secs(5)),
        Duration::from_millis(20),
        async || {
            let Ok(response) = client
                .call(CONFIG, LIST_CONFIG, &args, Duration::from_secs(3))
                .await
            else {
                return false;
            };
            let Ok(result) = response.decode::<ListConfigResult<'_>>() else {
                return false;
            };
            let names: Vec<String> = result
                .vf
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect();
            last = format!("ret {} {names:?}", result.ret);
            // The file's list, or (on Kubernetes) the TConfigs the test created.
            result.ret == 0 && (names == SERVER_LIST || names == [SERVER_FILE])
        },
    )
    .await;
    assert!(
        loaded,
        "the TConfigs served within 5 s; last answer: {last}"
    );
}

/// `tars_config_loads_total` from the admin port's `/metrics`, by `(result, identity)`.
async fn config_loads(admin: SocketAddr) -> BTreeMap<(String, String), u64> {
    let text = reqwest::get(format!("http://{admin}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics text");
    let mut loads = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("tars_config_loads_total{") else {
            continue;
        };
        let (labels, value) = rest.split_once("} ").expect("a sample line");
        let label = |name: &str| -> String {
            labels
                .split(',')
                .find_map(|l| l.strip_prefix(&format!("{name}=\"")))
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or_else(|| panic!("label {name} in {line}"))
                .to_owned()
        };
        let value: u64 = value.trim().parse().expect("a counter value");
        loads.insert((label("result"), label("identity")), value);
    }
    assert!(
        !loads.is_empty(),
        "tars_config_loads_total in /metrics:\n{text}"
    );
    loads
}

/// The loads counted between two readings, without the unchanged ones.
fn counted(
    before: &BTreeMap<(String, String), u64>,
    after: &BTreeMap<(String, String), u64>,
) -> BTreeMap<String, u64> {
    after
        .iter()
        .filter_map(|((result, identity), n)| {
            let was = before
                .get(&(result.clone(), identity.clone()))
                .copied()
                .unwrap_or(0);
            (*n > was).then(|| (format!("{result}/{identity}"), n - was))
        })
        .collect()
}

/// Expected [`counted`] loads.
fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

/// `tarsplane decode`'s tree of arguments given as lines.
fn tree(lines: &[&str]) -> String {
    lines.iter().flat_map(|l| [*l, "\n"]).collect()
}

/// The same lines with `Some` kept and `None` left out.
fn tree_of(lines: &[Option<String>]) -> String {
    lines
        .iter()
        .flatten()
        .flat_map(|l| [l.as_str(), "\n"])
        .collect()
}

/// How a client asks for an application-level file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Server-level: servername `Hello`, bAppOnly false.
    Server,
    /// Application-level as @tars/config and `TarsJava` ask: servername `""`, bAppOnly true.
    App,
    /// Application-level as TarsGo asks: servername `""`, bAppOnly false.
    AppNoFlag,
}

/// A `ConfigInfo` at tag 1 for `file` at `level`: `host` and `setdivision` as written
/// (`None`: left out), then the lines that follow the struct.
fn config_info(
    file: &str,
    level: Level,
    host: Option<&str>,
    setdivision: Option<&str>,
    after: &[&str],
) -> String {
    let server = if level == Level::Server { SERVER } else { "" };
    let flag = if level == Level::App {
        "byte 1"
    } else {
        "zero 0"
    };
    let mut lines = vec![
        Some("1: {".to_owned()),
        Some(format!("  0: string {APP:?}")),
        Some(format!("  1: string {server:?}")),
        Some(format!("  2: string {file:?}")),
        Some(format!("  3: {flag}")),
        host.map(|h| format!("  4: string {h:?}")),
        setdivision.map(|s| format!("  5: string {s:?}")),
        Some("}".to_owned()),
    ];
    lines.extend(after.iter().map(|l| Some((*l).to_owned())));
    tree_of(&lines)
}

// ---------------------------------------------------------------------------------------------
// npm @tars/config

/// Runs `config-client.js` as pod `pod` (localip = the pod's domain name) and returns its line.
async fn node_client(plane: &Plane, pod: u32) -> Value {
    let up = &plane.up;
    let config_obj = format!("config = {CONFIG}");
    let config = up.server_config_at(
        &format!("node-pod-{pod}"),
        (APP, SERVER),
        &pod_name(pod),
        &[],
        &[&config_obj],
    );
    let config = config.to_str().expect("UTF-8 path");
    let args = [config, SERVER_FILE, JSON_FILE, APP_FILE, MISSING_FILE];
    let output = run_node_async("config-client.js", &args).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "one JSON line ({e}); stdout: {stdout}; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(output.status.success(), "{result}");
    assert_eq!(result["errors"], json!([]), "{result}");
    result
}

/// What @tars/config returns for the `C` format of [`SERVER_FILE`] as pod `pod`.
fn server_file_tree(pod: u32) -> Value {
    let mut tree = json!({"a": {"x": "server", "inner": {"k": "v"}}});
    if pod == 1 {
        tree["b"] = json!({"y": "pod 1"});
    }
    tree
}

/// npm `@tars/config`: `loadConfig` (format TEXT, C and JSON; `location: APP`) and `loadList`
/// (server and app level), as pod 1 and as pod 0. Every load is `loadConfigByInfo` with
/// `ConfigInfo.host` = localip (tag 4) and no context, so the pod comes from the host; lists
/// are `ListAllConfigByInfo` without host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_config_loads_pod_level_files_by_host() {
    for (source, plane) in planes().await {
        eprintln!("-- {source}");
        for pod in [1, 0] {
            plane.config.clear();
            let before = plane.loads().await;
            let result = node_client(&plane, pod).await;
            let wire = plane.wire();
            assert_eq!(
                result["server_text"],
                server_file_for(pod),
                "pod {pod}: {wire}"
            );
            assert_eq!(result["server_c"], server_file_tree(pod), "pod {pod}");
            assert_eq!(result["json"], json!({"name": "hello", "replicas": 2}));
            assert_eq!(result["app_text"], APP_CONTENT);
            assert_eq!(
                result["app_c"],
                json!({"common": {"env": "test", "name": "公共"}})
            );
            assert_eq!(
                result["missing_text"], "",
                "no server-level content: ret -1, which @tars/config ignores"
            );
            assert_eq!(result["list"], json!(SERVER_LIST));
            assert_eq!(result["app_list"], json!(APP_LIST));

            let host = pod_name(pod);
            let load = |file: &str, level: Level| {
                no_context(config_info(file, level, Some(&host), Some(""), &[]))
            };
            assert_eq!(
                plane.sent("loadConfigByInfo"),
                [
                    load(SERVER_FILE, Level::Server),
                    load(SERVER_FILE, Level::Server),
                    load(JSON_FILE, Level::Server),
                    load(APP_FILE, Level::App),
                    load(APP_FILE, Level::App),
                    load(MISSING_FILE, Level::Server),
                ],
                "{wire}"
            );
            let list = |server: &str, app_only: &str| {
                let lines = [
                    "1: {".to_owned(),
                    format!("  0: string {APP:?}"),
                    format!("  1: string {server:?}"),
                    format!("  2: {app_only}"),
                    "  3: string \"\"".to_owned(),
                    "  4: string \"\"".to_owned(),
                    "  5: string \"\"".to_owned(),
                    "}".to_owned(),
                ];
                no_context(tree(&lines.iter().map(String::as_str).collect::<Vec<_>>()))
            };
            assert_eq!(
                plane.sent("ListAllConfigByInfo"),
                [list(SERVER, "zero 0"), list("", "byte 1")],
                "{wire}"
            );
            assert_eq!(plane.config.calls().len(), 8, "{wire}");

            // App-level files are answered without looking for the pod (identity none).
            let want = if pod == 1 {
                counts(&[
                    ("not_found/host", 1),
                    ("pod/host", 2),
                    ("server/host", 1),
                    ("server/none", 2),
                ])
            } else {
                counts(&[
                    ("not_found/host", 1),
                    ("server/host", 3),
                    ("server/none", 2),
                ])
            };
            let loads = counted(&before, &plane.loads().await);
            assert_eq!(loads, want, "pod {pod}: the pod found from the host");
        }
        plane.up.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// TarsGo

/// TarsGo's side of a test: `ConfigObj` and the locator both recorded.
struct GoPlane {
    plane: Plane,
    locator: Recorder,
}

impl GoPlane {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(configure: impl FnOnce(&mut tarsplane::up::Options)) -> Self {
        let plane = Plane::start_with(configure).await;
        let locator = Recorder::bind().await;
        locator.forward_to(plane.up.addr(REGISTRY_QUERY));
        Self { plane, locator }
    }

    /// Writes the TARS server configuration of `Test.Hello` pod `pod` as tarsnode writes it
    /// for TarsGo (`node_name` as K8SFramework sets it, `/tars/application/server<node_name>`;
    /// localip 127.0.0.1), its locator through the recorder.
    fn config(&self, name: &str, pod: u32) -> PathBuf {
        let up = &self.plane.up;
        let node_name = format!("node_name = {}", pod_name(pod));
        let config_obj = format!("config = {CONFIG}");
        let path = up.server_config(
            name,
            (APP, SERVER),
            &[
                "async-invoke-timeout = 5000",
                "refresh-endpoint-interval = 60000",
            ],
            &[&node_name, &config_obj, "logLevel = INFO"],
        );
        let port = self.locator.addr().port();
        let recorded = format!("{REGISTRY_QUERY}@tcp -h 127.0.0.1 -p {port} -t 3000");
        let text = std::fs::read_to_string(&path).expect("read the config");
        assert!(text.contains(&up.locator()), "{text}");
        std::fs::write(&path, text.replace(&up.locator(), &recorded)).expect("write the config");
        path
    }

    /// Runs `tars-go-client config` with `config` until it prints its JSON line.
    async fn run(&self, config: &Path) -> JsonChild {
        let mut program = Command::new(go_client());
        program
            .arg("config")
            .arg(config)
            .args([SERVER_FILE, JSON_FILE, APP_FILE, MISSING_FILE]);
        let dir = self.plane.up.dir();
        JsonChild::start(
            program,
            "tars-go-client-config",
            dir,
            Duration::from_secs(30),
        )
        .await
    }

    /// Every recorded request, registry and config, for assertion messages.
    fn wire(&self) -> Value {
        let locator = self.locator.calls().iter().map(Call::to_json).collect();
        json!({"registry": Value::Array(locator), "config": self.plane.wire()})
    }
}

/// What TarsGo sends for `loadConfigByInfo` of `file`: `ConfigInfo` without host or
/// setdivision, then the out-parameter `config` as `""`.
fn go_load(file: &str, level: Level) -> String {
    config_info(file, level, None, None, &["2: string \"\""])
}

/// TarsGo loads its configuration as a server application does (`tars.AddConfig`,
/// `tars.AddAppConfig`, `tars.GetConfigList`), as pod 0: the answers, the files `AddConfig`
/// wrote to `<basepath>/<file>`, and the requests: `loadConfigByInfo` without host (and, for
/// the application-level file, servername `""` with bAppOnly **false**), `ListAllConfigByInfo`
/// with appname and servername only and the out-parameter `vf` as an empty list. The request
/// context: TarsGo's first call (a registry lookup) carries `node_name`; every stub then
/// replaces the shared context with the answer's (empty) context, so no `loadConfigByInfo`
/// carries it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_add_config_and_config_list() {
    let go = GoPlane::start().await;
    let config = go.config("go-pod-0", 0);
    let client = go.run(&config).await;
    let result = client.json().clone();
    let wire = go.wire();
    let want = files(&[
        (SERVER_FILE, SERVER_CONTENT),
        (JSON_FILE, JSON_CONTENT),
        (APP_FILE, APP_CONTENT),
    ]);
    assert_eq!(result["loaded"], want, "{wire}");
    assert_eq!(
        result["written"], want,
        "AddConfig writes <basepath>/<file>"
    );
    assert_eq!(result["missing_error"], "ret -1");
    assert_eq!(result["missing_written"], false);
    assert_eq!(result["list"], json!(SERVER_LIST));

    assert_eq!(
        go.plane.sent("loadConfigByInfo"),
        [
            no_context(go_load(SERVER_FILE, Level::Server)),
            no_context(go_load(JSON_FILE, Level::Server)),
            no_context(go_load(APP_FILE, Level::AppNoFlag)),
            no_context(go_load(MISSING_FILE, Level::Server)),
        ],
        "{wire}"
    );
    let list = tree(&[
        "1: {",
        "  0: string \"Test\"",
        "  1: string \"Hello\"",
        "}",
        "2: list (0)",
    ]);
    assert_eq!(
        go.plane.sent("ListAllConfigByInfo"),
        [no_context(list)],
        "{wire}"
    );
    let lookups = go.locator.calls();
    let first = lookups.first().expect("registry lookups");
    assert_eq!(
        first.context,
        BTreeMap::from([("node_name".to_owned(), pod_name(0))]),
        "{wire}"
    );
    assert!(
        lookups
            .iter()
            .any(|c| c.function == "findObjectByIdInSameGroup"
                && c.args_tree()
                    .starts_with(&format!("1: string {CONFIG:?}\n"))),
        "ConfigObj resolved through the locator: {wire}"
    );

    let loads = counted(&BTreeMap::new(), &go.plane.loads().await);
    assert_eq!(loads.values().sum::<u64>(), 4, "{loads:?}");
    assert!(
        loads.keys().all(|k| !k.ends_with("/host")),
        "no host sent: {loads:?}"
    );
    client.finish().await;
    go.plane.up.stop().await;
}

/// K8SFramework issue #13 ("TConfig节点配置文件不生效": pod 1 with a TConfig for podSeq `1`
/// receives the server-level content only) with the client it fits, on the real API server
/// (`KUBECONFIG`; in CI the kube-apiserver `scripts/test` starts). TarsGo's `AddConfig` sends
/// `loadConfigByInfo` whose `ConfigInfo` has **no host** (tag 4 left out, checked below on the
/// recorded request) and, by then, **no `node_name`**: TarsGo v1.4.6 sends it only until its
/// first answer (the shared client context, `{node_name}` at start, `tars/application.go:313`,
/// is replaced by each answer's empty context, e.g. `protocol/res/configf/Config.tars.go:
/// 860-866`). K8SFramework's `ConfigServer` derives the pod only from that host
/// (`getHostSeq("")` is -1) or from a peer-IP map it never fills (`Storage.cpp`, an inverted
/// test since abb1077), so it selects `tars.io/PodSeq=m` and answers the server-level content
/// alone. tarsplane watches the namespace's TARS pods: the pod `test-hello-1` (labelled
/// `Test`/`Hello`, its `status.podIP` written through `pods/status` as the kubelet would, here
/// this machine's 127.0.0.1) is the caller, and pod 1's content is delivered after the
/// server-level content.
///
/// Outside Kubernetes (`tarsplane up` on its file) a TarsGo caller cannot be told from
/// another: nothing it sends names its pod. Echoing `node_name` in every answer's context would
/// keep it in TarsGo's map, but a non-empty answer context made TarsGo v1.4.6 clients stop
/// resolving their objects (tried; `tars-rpc`'s replies keep an empty context).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_pod_gets_its_pod_level_config_without_sending_a_host_k8sframework_issue_13() {
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
    use tars_test::kube_target::{KubeTarget, Needs};

    let Some(target) = KubeTarget::real(Needs::TarsCrds).await else {
        return; // printed why; a failure with TARSPLANE_REQUIRE_REAL_BACKENDS=1
    };
    let resource = tars_config::source::tconfig_resource();
    let configs: Api<DynamicObject> =
        Api::namespaced_with(target.client(), target.namespace(), &resource);
    // The file source's objects that matter here: a.conf with pod 1's, b.json, the
    // application-level file, and a pod-level file without a server-level one.
    for (name, server, file, seq, content) in [
        ("test-hello-a-m", SERVER, SERVER_FILE, "m", SERVER_CONTENT),
        ("test-hello-a-1", SERVER, SERVER_FILE, "1", POD1_CONTENT),
        ("test-hello-b-m", SERVER, JSON_FILE, "m", JSON_CONTENT),
        ("test-common-m", "", APP_FILE, "m", APP_CONTENT),
        (
            "test-hello-pod-only-1",
            SERVER,
            MISSING_FILE,
            "1",
            POD1_CONTENT,
        ),
    ] {
        let object = json!({
            "apiVersion": "k8s.tars.io/v1beta3", "kind": "TConfig",
            "metadata": {"name": name},
            "app": APP, "server": server, "configName": file, "podSeq": seq,
            "activated": true, "configContent": content,
        });
        let object: DynamicObject = serde_json::from_value(object).expect("a TConfig");
        configs
            .create(&PostParams::default(), &object)
            .await
            .unwrap_or_else(|error| panic!("create {name}: {error}"));
    }
    let pods: Api<Pod> = Api::namespaced(target.client(), target.namespace());
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": "test-hello-1", "generateName": "test-hello-",
            "labels": {"tars.io/ServerApp": APP, "tars.io/ServerName": SERVER},
        },
        "spec": {"containers": [{"name": "hello", "image": "test/hello:v1"}]},
    }))
    .expect("a pod");
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("create the pod");
    let status = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-hello-1"},
        "status": {"phase": "Running", "podIP": "127.0.0.1", "hostIP": "127.0.0.1"},
    });
    pods.patch_status(
        "test-hello-1",
        &PatchParams::apply("tarsplane-interop").force(),
        &Patch::Apply(status),
    )
    .await
    .expect("the pod's IP");

    let namespace = target.namespace().to_owned();
    let go = GoPlane::start_with(move |o| {
        o.kubernetes_namespace = Some(namespace);
        o.config.source = tars_config::Source::Kubernetes;
    })
    .await;
    let config = go.config("go-issue-13", 1);
    let client = go.run(&config).await;
    let wire = go.wire();
    let sent = go.plane.sent("loadConfigByInfo");
    assert_eq!(
        sent.first(),
        Some(&no_context(go_load(SERVER_FILE, Level::Server))),
        "ConfigInfo without host, no context: K8SFramework would answer the server-level \
         content only; {wire}"
    );
    let loads = counted(&BTreeMap::new(), &go.plane.loads().await);
    assert_eq!(
        client.json()["loaded"][SERVER_FILE],
        server_file_for(1),
        "pod 1 gets server-level + CR LF CR LF + pod-level; loads {loads:?}; wire {wire}"
    );
    assert_eq!(
        std::fs::read_to_string(config.with_file_name(SERVER_FILE)).expect("written"),
        server_file_for(1),
        "AddConfig wrote what it got"
    );
    assert_eq!(
        loads.get("pod/peer_ip"),
        Some(&1),
        "the caller found by its IP through the pod watch: {loads:?}"
    );
    client.finish().await;
    go.plane.up.stop().await;
}

// ---------------------------------------------------------------------------------------------
// TarsJava

/// Runs `Main config` as pod `pod` (localip = the pod's domain name) until it prints its line.
async fn java_client_run(up: &Up, pod: u32) -> JsonChild {
    let config_obj = format!("config = {CONFIG}");
    let config = up.server_config_at(
        &format!("java-pod-{pod}"),
        (APP, SERVER),
        &pod_name(pod),
        &[
            "sync-invoke-timeout = 5000",
            "async-invoke-timeout = 5000",
            "refresh-endpoint-interval = 60000",
            "report-interval = 60000",
        ],
        &[&config_obj, "loglevel = INFO"],
    );
    let mut program = Command::new("java");
    program.args(JVM_OPTIONS).arg("-cp").arg(java_class_path());
    program
        .arg("tarsplane.interop.Main")
        .arg("config")
        .arg(&config)
        .args([SERVER_FILE, JSON_FILE, APP_FILE, MISSING_FILE]);
    let label = format!("java-config-pod-{pod}");
    JsonChild::start(program, &label, up.dir(), Duration::from_secs(60)).await
}

/// `TarsJava`'s `ConfigHelper` (server-level files; its private application-level path) as pod
/// 1 and as pod 0, then `ListConfig` and `ListConfigByInfo` through `ConfigPrx`. Every load is
/// `loadConfigByInfo` with `ConfigInfo.host` = localip and no context: the pod comes from the
/// host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsjava_config_helper_loads_pod_level_files_by_host() {
    for (source, plane) in planes().await {
        eprintln!("-- {source}");
        for pod in [1, 0] {
            plane.config.clear();
            let before = plane.loads().await;
            let java = java_client_run(&plane.up, pod).await;
            let result = java.json().clone();
            let wire = plane.wire();
            assert_eq!(
                result["loaded"],
                files(&[
                    (SERVER_FILE, &server_file_for(pod)),
                    (JSON_FILE, JSON_CONTENT),
                    (APP_FILE, APP_CONTENT),
                ]),
                "pod {pod}: the files ConfigHelper wrote to <basepath>/conf/; {wire}"
            );
            assert_eq!(
                result["missing_error"],
                format!("TarsException: Config|config file is empty: {MISSING_FILE}")
            );
            assert_eq!(result["missing_written"], false);
            assert_eq!(
                result["conf_dir"],
                json!([SERVER_FILE, JSON_FILE, APP_FILE]),
                "no temporary or backup files left"
            );
            assert_eq!(result["list"], json!({"ret": 0, "vf": SERVER_LIST}));
            assert_eq!(result["app_list"], json!({"ret": 0, "vf": APP_LIST}));

            let host = pod_name(pod);
            let load = |file: &str, level: Level| {
                no_context(config_info(file, level, Some(&host), None, &[]))
            };
            assert_eq!(
                plane.sent("loadConfigByInfo"),
                [
                    load(SERVER_FILE, Level::Server),
                    load(JSON_FILE, Level::Server),
                    load(APP_FILE, Level::App),
                    load(MISSING_FILE, Level::Server),
                ],
                "{wire}"
            );
            assert_eq!(
                plane.sent("ListConfig"),
                [no_context(tree(&[
                    "1: string \"Test\"",
                    "2: string \"Hello\"",
                    "3: list (0)"
                ]))],
                "{wire}"
            );
            assert_eq!(
                plane.sent("ListConfigByInfo"),
                [no_context(config_info(
                    "",
                    Level::App,
                    Some(&host),
                    None,
                    &["2: list (0)"]
                ))],
                "{wire}"
            );

            let want = if pod == 1 {
                counts(&[
                    ("not_found/host", 1),
                    ("pod/host", 1),
                    ("server/host", 1),
                    ("server/none", 1),
                ])
            } else {
                counts(&[
                    ("not_found/host", 1),
                    ("server/host", 2),
                    ("server/none", 1),
                ])
            };
            let loads = counted(&before, &plane.loads().await);
            assert_eq!(loads, want, "pod {pod}: the pod found from the host");
            java.finish().await;
        }
        plane.up.stop().await;
    }
}
