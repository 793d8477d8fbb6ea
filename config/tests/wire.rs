//! `tars.tarsconfig.ConfigObj` over real TCP: the servant on a `tars-rpc` server, fed from a
//! YAML file in a temporary directory, called with the `tars-rpc` client. Every method's answer
//! is checked against hand-computed bytes (`shared/spec/framework-next.md` §1.4, §1.8): the
//! server + CR LF CR LF + pod concatenation, the master-required rule, application-level vs
//! server-level lists, `ListAllConfigByInfo`'s last-list answer, `loadConfigByHost`'s name
//! splitting, `check*` texts, the caller's pod from host, `node_name` or nothing, the newest
//! of two activated versions, and a reload of the file.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tars_codec::{Struct, to_bytes};
use tars_config::{Config, Metrics, Outcome, Source, identity::Resolved};
use tars_rpc::interfaces::config::{
    ByInfoArgs, ConfigInfo, GetConfigListInfo, List2Result, ListAllConfigByInfoArgs,
    ListConfigArgs, ListConfigResult, LoadConfigArgs, LoadConfigByHostArgs, Text2Result,
    Text4Result,
};
use tars_rpc::{Client, Server, ServerConfig};
use tokio_util::sync::CancellationToken;

const OBJ: &str = "tars.tarsconfig.ConfigObj";
const TIMEOUT: Duration = Duration::from_secs(5);

/// Hand-written TConfigs: every rule has its own file.
const RESOURCES: &str = r#"
# a.conf: server level, pod 1, and an inactive pod 2 and an inactive older server level.
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata: {name: hello-a-m}
app: Test
server: Hello
configName: a.conf
podSeq: m
configContent: "<a>\nk=1\n</a>"
---
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata: {name: hello-a-m-old}
app: Test
server: Hello
configName: a.conf
activated: false
configContent: "<a>old</a>"
---
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata: {name: hello-a-1}
app: Test
server: Hello
configName: a.conf
podSeq: "1"
configContent: "<b>\nk=2\n</b>"
---
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata: {name: hello-a-2}
app: Test
server: Hello
configName: a.conf
podSeq: "2"
activated: false
configContent: "<c>3</c>"
---
# b.conf: an empty server-level content: listed, but never loaded.
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata: {name: hello-b-m}
app: Test
server: Hello
configName: b.conf
configContent: ""
---
# c.conf: pod level only: no master, so no answer even for pod 1; not listed.
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata: {name: hello-c-1}
app: Test
server: Hello
configName: c.conf
podSeq: "1"
configContent: "<c>1</c>"
---
# bad.conf: not TC_Config text (an unclosed domain).
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata: {name: hello-bad-m}
app: Test
server: Hello
configName: bad.conf
configContent: "<x>\nk=v\n"
---
# d.conf: the activated one is marked Deactivating (the webhook's window); the other wins.
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata:
  name: hello-d-m-1
  labels: {tars.io/Deactivate: Deactivating}
app: Test
server: Hello
configName: d.conf
configContent: "deactivating"
---
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata: {name: hello-d-m-2}
app: Test
server: Hello
configName: d.conf
configContent: "current"
---
# e.conf: two activated versions: the newest creation wins, whatever the file order.
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata: {name: hello-e-m-z, creationTimestamp: "2024-03-01T10:00:00Z"}
app: Test
server: Hello
configName: e.conf
version: "20240301100000-aaaa"
configContent: "older"
---
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata: {name: hello-e-m-a, creationTimestamp: "2024-03-02T09:00:00Z"}
app: Test
server: Hello
configName: e.conf
version: "20240302090000-bbbb"
configContent: "newer"
---
# Application level.
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata: {name: test-app}
app: Test
server: ""
configName: app.conf
configContent: "app=1"
---
# Another server of the application.
apiVersion: k8s.tars.io/v1beta3
kind: TConfig
metadata: {name: other-z}
app: Test
server: Other
configName: z.conf
configContent: "z"
"#;

struct Running {
    addr: SocketAddr,
    service: tars_config::Service,
    metrics: Metrics,
    shutdown: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn start(dir: &Path, resources: &str) -> Running {
    let file = dir.join("config.yaml");
    std::fs::write(&file, resources).expect("write the config file");
    let config = Config {
        source: Source::File,
        file,
        file_poll_interval_ms: 20,
        ..Config::default()
    };
    let shutdown = CancellationToken::new();
    let metrics = Metrics::new();
    let service = tars_config::start(&config, None, metrics.clone(), shutdown.clone())
        .await
        .expect("start");
    let server = Server::new(ServerConfig::default())
        .servant(OBJ, Arc::new(service.servant.clone()))
        .bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let addr = server.local_addr();
    tokio::spawn(server.run(shutdown.clone()));
    Running {
        addr,
        service,
        metrics,
        shutdown,
    }
}

async fn call<A: Struct>(
    client: &Client,
    func: &str,
    args: &A,
    context: &[(&str, &str)],
) -> tars_rpc::Response {
    let response = client
        .invoke_with_context(OBJ, func, &to_bytes(args), context, TIMEOUT)
        .await
        .expect("call");
    assert_eq!(response.ret, 0, "{func}: {:?}", response.desc);
    response
}

async fn load(client: &Client, app: &str, server: &str, file: &str, node: &str) -> (i32, String) {
    let context: &[(&str, &str)] = if node.is_empty() {
        &[]
    } else {
        &[("node_name", node)]
    };
    let args = LoadConfigArgs {
        app: app.as_bytes(),
        server: server.as_bytes(),
        filename: file.as_bytes(),
    };
    let body = call(client, "loadConfig", &args, context).await;
    let result: Text4Result<'_> = body.decode().expect("decode");
    (
        result.ret,
        String::from_utf8_lossy(result.text).into_owned(),
    )
}

fn info<'a>(
    app: &'a str,
    server: &'a str,
    file: &'a str,
    app_only: bool,
    host: &'a str,
) -> ConfigInfo<'a> {
    ConfigInfo {
        appname: app.as_bytes(),
        servername: server.as_bytes(),
        filename: file.as_bytes(),
        app_only,
        host: host.as_bytes(),
        setdivision: b"",
    }
}

async fn by_info(client: &Client, func: &str, info: ConfigInfo<'_>, node: &str) -> (i32, String) {
    let context: &[(&str, &str)] = if node.is_empty() {
        &[]
    } else {
        &[("node_name", node)]
    };
    let body = call(client, func, &ByInfoArgs { info }, context).await;
    let result: Text2Result<'_> = body.decode().expect("decode");
    (
        result.ret,
        String::from_utf8_lossy(result.text).into_owned(),
    )
}

async fn by_host(client: &Client, func: &str, name: &str, file: &str, host: &str) -> (i32, String) {
    let args = LoadConfigByHostArgs {
        app_server_name: name.as_bytes(),
        filename: file.as_bytes(),
        host: host.as_bytes(),
    };
    let body = call(client, func, &args, &[]).await;
    let result: Text4Result<'_> = body.decode().expect("decode");
    (
        result.ret,
        String::from_utf8_lossy(result.text).into_owned(),
    )
}

fn strings(list: &[&[u8]]) -> Vec<String> {
    list.iter()
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

async fn list(client: &Client, app: &str, server: &str) -> Vec<String> {
    let args = ListConfigArgs {
        app: app.as_bytes(),
        server: server.as_bytes(),
    };
    let body = call(client, "ListConfig", &args, &[]).await;
    let result: ListConfigResult<'_> = body.decode().expect("decode");
    assert_eq!(result.ret, 0);
    strings(&result.vf)
}

async fn list2(client: &Client, func: &str, args: &impl Struct) -> Vec<String> {
    let body = call(client, func, args, &[]).await;
    let result: List2Result<'_> = body.decode().expect("decode");
    assert_eq!(result.ret, 0);
    strings(&result.vf)
}

const SERVER_FILES: [&str; 5] = ["a.conf", "b.conf", "bad.conf", "d.conf", "e.conf"];

#[tokio::test]
async fn loads_concatenate_the_pod_level_after_the_server_level() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = start(dir.path(), RESOURCES).await;
    let client = Client::connect(running.addr).await.expect("connect");
    // No caller identity (TarsCpp's loadConfig from an unknown IP): server level only.
    assert_eq!(
        load(&client, "Test", "Hello", "a.conf", "").await,
        (0, "<a>\nk=1\n</a>".into())
    );
    // TarsCpp and TarsGo send the pod's domain name as node_name: pod 1 gets its file too.
    let pod1 = (0, "<a>\nk=1\n</a>\r\n\r\n<b>\nk=2\n</b>".to_owned());
    assert_eq!(
        load(
            &client,
            "Test",
            "Hello",
            "a.conf",
            "test-hello-1.test-hello"
        )
        .await,
        pod1
    );
    assert_eq!(
        load(&client, "Test", "Hello", "a.conf", "test-hello-1").await,
        pod1
    );
    // Pod 2's file is not activated; pod 0 has none.
    for node in ["test-hello-2.test-hello", "test-hello-0.test-hello"] {
        assert_eq!(
            load(&client, "Test", "Hello", "a.conf", node).await,
            (0, "<a>\nk=1\n</a>".into()),
            "{node}"
        );
    }
    // A node_name of another server names no pod of this one.
    assert_eq!(
        load(
            &client,
            "Test",
            "Hello",
            "a.conf",
            "test-other-1.test-other"
        )
        .await,
        (0, "<a>\nk=1\n</a>".into())
    );
    // Master required: empty server-level content, or pod level only, is ret -1 and "".
    assert_eq!(
        load(&client, "Test", "Hello", "b.conf", "").await,
        (-1, String::new())
    );
    assert_eq!(
        load(&client, "Test", "Hello", "c.conf", "test-hello-1").await,
        (-1, String::new())
    );
    assert_eq!(
        load(&client, "Test", "Hello", "missing.conf", "").await,
        (-1, String::new())
    );
    assert_eq!(
        load(&client, "Nobody", "Hello", "a.conf", "").await,
        (-1, String::new())
    );
    // Names are case-sensitive, as K8SFramework's label selectors.
    assert_eq!(
        load(&client, "test", "hello", "a.conf", "").await,
        (-1, String::new())
    );
    // Deactivating loses; of two activated versions the newest wins.
    assert_eq!(
        load(&client, "Test", "Hello", "d.conf", "").await,
        (0, "current".into())
    );
    assert_eq!(
        load(&client, "Test", "Hello", "e.conf", "").await,
        (0, "newer".into())
    );
    // Application level: server "".
    assert_eq!(
        load(&client, "Test", "", "app.conf", "test-hello-1").await,
        (0, "app=1".into())
    );
    assert_eq!(running.metrics.loads(Outcome::Pod, Resolved::NodeName), 2);
}

#[tokio::test]
async fn by_info_uses_host_then_node_name_and_app_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = start(dir.path(), RESOURCES).await;
    let client = Client::connect(running.addr).await.expect("connect");
    let load = "loadConfigByInfo";
    let pod1 = (0, "<a>\nk=1\n</a>\r\n\r\n<b>\nk=2\n</b>".to_owned());
    // @tars/config: host = localip = <pod>.<app>-<server>.
    assert_eq!(
        by_info(
            &client,
            load,
            info("Test", "Hello", "a.conf", false, "test-hello-1.test-hello"),
            ""
        )
        .await,
        pod1
    );
    // TarsGo: no host, node_name in the context (K8SFramework answered server level: issue #13).
    assert_eq!(
        by_info(
            &client,
            load,
            info("Test", "Hello", "a.conf", false, ""),
            "test-hello-1.test-hello"
        )
        .await,
        pod1
    );
    // The explicit host wins over node_name.
    assert_eq!(
        by_info(
            &client,
            load,
            info("Test", "Hello", "a.conf", false, "test-hello-0"),
            "test-hello-1"
        )
        .await,
        (0, "<a>\nk=1\n</a>".into())
    );
    // bAppOnly ignores servername.
    assert_eq!(
        by_info(
            &client,
            load,
            info("Test", "Hello", "app.conf", true, ""),
            ""
        )
        .await,
        (0, "app=1".into())
    );
    assert_eq!(
        by_info(
            &client,
            load,
            info("Test", "Hello", "app.conf", false, ""),
            ""
        )
        .await,
        (-1, String::new())
    );
    assert_eq!(running.metrics.loads(Outcome::Pod, Resolved::Host), 1);
    assert_eq!(running.metrics.loads(Outcome::Pod, Resolved::NodeName), 1);
    assert_eq!(running.metrics.loads(Outcome::Server, Resolved::Host), 1);
    // checkConfigByInfo: the content when it parses, K8SFramework's texts when not.
    let check = "checkConfigByInfo";
    assert_eq!(
        by_info(
            &client,
            check,
            info("Test", "Hello", "a.conf", false, "test-hello-1"),
            ""
        )
        .await,
        pod1
    );
    assert_eq!(
        by_info(
            &client,
            check,
            info("Test", "Hello", "missing.conf", false, ""),
            ""
        )
        .await,
        (-1, "config not existed or not activated".into())
    );
    let (ret, text) = by_info(
        &client,
        check,
        info("Test", "Hello", "bad.conf", false, ""),
        "",
    )
    .await;
    assert_eq!(ret, -1);
    assert_eq!(
        text,
        "config parse: domain <x> opened on line 1 is never closed"
    );
    assert_eq!(
        running.metrics.loads(Outcome::Unparsable, Resolved::None),
        1
    );
}

#[tokio::test]
async fn by_host_splits_app_server_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = start(dir.path(), RESOURCES).await;
    let client = Client::connect(running.addr).await.expect("connect");
    let pod1 = (0, "<a>\nk=1\n</a>\r\n\r\n<b>\nk=2\n</b>".to_owned());
    let by = "loadConfigByHost";
    assert_eq!(
        by_host(&client, by, "Test.Hello", "a.conf", "test-hello-1").await,
        pod1
    );
    assert_eq!(
        by_host(&client, by, ".Test..Hello.", "a.conf", "").await,
        (0, "<a>\nk=1\n</a>".into()),
        "empty pieces dropped"
    );
    assert_eq!(
        by_host(&client, by, "Test", "app.conf", "").await,
        (0, "app=1".into())
    );
    assert_eq!(
        by_host(&client, by, "Test.Hello.Obj", "a.conf", "").await,
        (-1, String::new())
    );
    assert_eq!(
        by_host(&client, by, "", "a.conf", "").await,
        (-1, String::new())
    );
    let check = "checkConfig";
    assert_eq!(
        by_host(&client, check, "Test.Hello", "a.conf", "test-hello-1").await,
        pod1
    );
    // checkConfig leaves `result` empty when the load fails, and reports parse errors.
    assert_eq!(
        by_host(&client, check, "Test.Hello", "missing.conf", "").await,
        (-1, String::new())
    );
    let (ret, text) = by_host(&client, check, "Test.Hello", "bad.conf", "").await;
    assert_eq!((ret, text.contains("never closed")), (-1, true), "{text}");
}

#[tokio::test]
async fn lists_hold_server_level_names_sorted_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = start(dir.path(), RESOURCES).await;
    let client = Client::connect(running.addr).await.expect("connect");
    assert_eq!(list(&client, "Test", "Hello").await, SERVER_FILES);
    assert_eq!(list(&client, "Test", "").await, ["app.conf"]);
    assert_eq!(list(&client, "Test", "Other").await, ["z.conf"]);
    assert!(list(&client, "Nobody", "").await.is_empty());
    let by_info = |app_only| ByInfoArgs {
        info: info("Test", "Hello", "", app_only, ""),
    };
    assert_eq!(
        list2(&client, "ListConfigByInfo", &by_info(false)).await,
        SERVER_FILES
    );
    assert_eq!(
        list2(&client, "ListConfigByInfo", &by_info(true)).await,
        ["app.conf"]
    );
    // ListAllConfigByInfo answers the last list K8SFramework makes: (appname, servername).
    let all = |server: &'static str, app_only| ListAllConfigByInfoArgs {
        info: GetConfigListInfo {
            appname: b"Test",
            servername: server.as_bytes(),
            app_only,
            host: b"",
            setdivision: b"",
            containername: b"",
        },
    };
    assert_eq!(
        list2(&client, "ListAllConfigByInfo", &all("Hello", true)).await,
        SERVER_FILES
    );
    assert_eq!(
        list2(&client, "ListAllConfigByInfo", &all("Hello", false)).await,
        SERVER_FILES
    );
    assert_eq!(
        list2(&client, "ListAllConfigByInfo", &all("", true)).await,
        ["app.conf"]
    );
}

#[tokio::test]
async fn bad_calls_get_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = start(dir.path(), RESOURCES).await;
    let client = Client::connect(running.addr).await.expect("connect");
    let response = client
        .invoke(OBJ, "deleteConfig", &[], TIMEOUT)
        .await
        .expect("call");
    assert_eq!(response.ret, -3);
    let desc = String::from_utf8_lossy(&response.desc);
    assert!(desc.contains("no function \"deleteConfig\""), "{desc}");
    // Arguments that are not the method's: a decode error naming the struct.
    let response = client
        .invoke(OBJ, "loadConfig", &[0x0c], TIMEOUT)
        .await
        .expect("call");
    assert_eq!(response.ret, -1);
    let desc = String::from_utf8_lossy(&response.desc);
    assert!(desc.contains("loadConfig"), "{desc}");
    // The connection still answers.
    assert_eq!(load(&client, "Test", "Hello", "a.conf", "").await.0, 0);
}

#[tokio::test]
async fn a_changed_file_is_answered_from_its_new_contents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = start(dir.path(), RESOURCES).await;
    let client = Client::connect(running.addr).await.expect("connect");
    let changed = RESOURCES.replace(
        r#"configContent: "<a>\nk=1\n</a>""#,
        r#"configContent: "<a>2</a>""#,
    ) + "---\napiVersion: k8s.tars.io/v1beta3\nkind: TConfig\nmetadata: {name: hello-f-m}\napp: Test\nserver: Hello\nconfigName: f.conf\nconfigContent: f\n";
    std::fs::write(dir.path().join("config.yaml"), changed).expect("rewrite");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if load(&client, "Test", "Hello", "f.conf", "").await == (0, "f".into()) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the reload within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        load(&client, "Test", "Hello", "a.conf", "").await,
        (0, "<a>2</a>".into())
    );
    assert_eq!(
        list(&client, "Test", "Hello").await.len(),
        SERVER_FILES.len() + 1
    );
    // An unparsable file keeps the last good contents.
    std::fs::write(dir.path().join("config.yaml"), "kind: [unclosed").expect("rewrite");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while running.service.readiness().stale_for.is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bad file seen within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        load(&client, "Test", "Hello", "f.conf", "").await,
        (0, "f".into())
    );
    drop(running);
}
