//! The registry over real TCP: `QueryObj` and `RegistryObj` on a `tars-rpc` server, fed from a
//! YAML file in a temporary directory, called with the `tars-rpc` client. Checks every lookup
//! method's answer shape, K8SFramework's id rules, the upChain fallback, the self entries,
//! configured routes, unsupported methods, server descriptors with template merging, and file
//! reloads.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use registry::answer::Address;
use registry::routes::RouteEndpoint;
use tars_codec::TarsStruct;
use tars_rpc::interfaces::query::{
    EndpointsByIdArgs, EndpointsByIdInArgs, EndpointsByIdInResult, EndpointsByIdResult,
    FindObjectByIdArgs, FindObjectByIdResult,
};
use tars_rpc::interfaces::registry::{GetServerDescriptorArgs, GetServerDescriptorResult};
use tars_rpc::{Client, Server, ServerConfig};
use tokio_util::sync::CancellationToken;

const TIMEOUT: Duration = Duration::from_secs(5);
const QUERY: &str = "tars.tarsregistry.QueryObj";
const REGISTRY: &str = "tars.tarsregistry.RegistryObj";

const RESOURCES: &str = r"
apiVersion: k8s.tars.io/v1beta3
kind: TEndpoint
metadata: {name: test-hello, namespace: tars}
spec:
  app: Test
  server: Hello
  subType: tars
  tars:
    template: test.child
    profile: |
      <tars>
        <application>
          <server>
            own=profile
            shared=server
          </server>
        </application>
      </tars>
    asyncThread: 4
    servants:
      - {name: HelloObj, port: 10000, timeout: 5000, thread: 2, capacity: 100, connection: 50}
      - {name: UdpObj, port: 10001, isTcp: false, isTars: false}
status:
  pods:
    - {name: test-hello-2, settingState: Active, presentState: Active}
    - {name: test-hello-10, settingState: Active, presentState: Active}
    - {name: test-hello-1, settingState: Active, presentState: Activating}
---
apiVersion: k8s.tars.io/v1beta3
kind: TEndpoint
metadata: {name: test-empty}
spec: {tars: {servants: [{name: EmptyObj, port: 1}]}}
---
apiVersion: k8s.tars.io/v1beta3
kind: TTemplate
metadata: {name: test.child}
spec:
  parent: tars.default
  content: |
    <tars>
      <application>
        <server>
          shared=child
          child=yes
        </server>
      </application>
    </tars>
---
apiVersion: k8s.tars.io/v1beta3
kind: TTemplate
metadata: {name: tars.default}
spec:
  parent: tars.default
  content: |
    <tars>
      <application>
        <client>
          locator=tars.tarsregistry.QueryObj@tcp -h tars-tarsregistry -p 17890
        </client>
        <server>
          shared=default
        </server>
      </application>
    </tars>
---
apiVersion: k8s.tars.io/v1beta3
kind: TFrameworkConfig
metadata: {name: tars-framework}
upChain:
  default:
    - {host: up-default, port: 7000}
  Outside.App.Obj:
    - {host: up-outside, port: 7001, timeout: 10, isTcp: false}
";

struct Running {
    service: registry::Service,
    query: SocketAddr,
    registry: SocketAddr,
    shutdown: CancellationToken,
}

async fn start(dir: &Path, text: &str, routes: BTreeMap<String, Vec<RouteEndpoint>>) -> Running {
    let file = dir.join("registry.yaml");
    std::fs::write(&file, text).expect("write the file");
    let config = registry::Config {
        source: registry::Source::File,
        file,
        file_poll_interval_ms: 20,
        stale_after_secs: 1,
        routes,
        ..registry::Config::default()
    };
    let shutdown = CancellationToken::new();
    let service = registry::start(
        &config,
        None,
        registry::Metrics::default(),
        shutdown.clone(),
    )
    .await
    .expect("registry starts");
    let local: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let query = Server::new(ServerConfig::default())
        .servant(QUERY, Arc::new(service.query.clone()))
        .bind(local)
        .await
        .expect("bind");
    let registry_server = Server::new(ServerConfig::default())
        .servant(REGISTRY, Arc::new(service.registry_servant.clone()))
        .bind(local)
        .await
        .expect("bind");
    let (query_addr, registry_addr) = (query.local_addr(), registry_server.local_addr());
    tokio::spawn(query.run(shutdown.clone()));
    tokio::spawn(registry_server.run(shutdown.clone()));
    Running {
        service,
        query: query_addr,
        registry: registry_addr,
        shutdown,
    }
}

fn addresses(list: &[tars_rpc::interfaces::endpoint::EndpointF<'_>]) -> Vec<Address> {
    list.iter()
        .map(|e| Address {
            host: String::from_utf8_lossy(e.host).into_owned(),
            port: e.port,
            timeout: e.timeout,
            tcp: e.istcp == 1,
        })
        .collect()
}

fn addr(host: &str, port: i32, timeout: i32, tcp: bool) -> Address {
    Address {
        host: host.to_owned(),
        port,
        timeout,
        tcp,
    }
}

/// Calls every lookup method for `id`; asserts they agree and returns (active, inactive).
async fn lookup_all(client: &Client, id: &str) -> (Vec<Address>, Vec<Address>) {
    let args = FindObjectByIdArgs { id: id.as_bytes() };
    let reply = client
        .call(QUERY, "findObjectById", &args, TIMEOUT)
        .await
        .expect("call");
    assert_eq!(reply.ret, 0);
    let by_id = addresses(
        &reply
            .decode::<FindObjectByIdResult<'_>>()
            .expect("decode")
            .endpoints,
    );

    let mut answers = Vec::new();
    for method in [
        "findObjectById4Any",
        "findObjectById4All",
        "findObjectByIdInSameGroup",
    ] {
        let args = EndpointsByIdArgs {
            id: id.as_bytes(),
            ..EndpointsByIdArgs::default()
        };
        let reply = client
            .call(QUERY, method, &args, TIMEOUT)
            .await
            .expect("call");
        let result: EndpointsByIdResult<'_> = reply.decode().expect("decode");
        assert_eq!(result.ret, 0, "{method}");
        answers.push((
            method,
            addresses(&result.active_ep),
            addresses(&result.inactive_ep),
        ));
    }
    for method in ["findObjectByIdInSameStation", "findObjectByIdInSameSet"] {
        let args = EndpointsByIdInArgs {
            id: id.as_bytes(),
            within: b"ignored",
            ..EndpointsByIdInArgs::default()
        };
        let reply = client
            .call(QUERY, method, &args, TIMEOUT)
            .await
            .expect("call");
        let result: EndpointsByIdInResult<'_> = reply.decode().expect("decode");
        assert_eq!(result.ret, 0, "{method}");
        answers.push((
            method,
            addresses(&result.active_ep),
            addresses(&result.inactive_ep),
        ));
    }
    let (_, active, inactive) = answers[0].clone();
    assert_eq!(
        by_id, active,
        "findObjectById agrees with the others for {id}"
    );
    for (method, a, i) in &answers {
        assert_eq!((a, i), (&active, &inactive), "{method} agrees for {id}");
    }
    (active, inactive)
}

#[tokio::test]
async fn lookups_split_pods_by_state_with_the_servants_port_timeout_and_protocol() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = start(dir.path(), RESOURCES, BTreeMap::new()).await;
    let client = Client::connect(running.query).await.expect("connect");

    let (active, inactive) = lookup_all(&client, "Test.Hello.HelloObj").await;
    assert_eq!(
        active,
        [
            addr("test-hello-10.test-hello", 10000, 5000, true),
            addr("test-hello-2.test-hello", 10000, 5000, true),
        ],
        "active pods in lexicographic order"
    );
    assert_eq!(
        inactive,
        [addr("test-hello-1.test-hello", 10000, 5000, true)]
    );

    let (active, _) = lookup_all(&client, "Test.Hello.UdpObj").await;
    assert_eq!(
        active[0],
        addr("test-hello-10.test-hello", 10001, 60000, false)
    );

    // A server with no pods yet: empty lists, no upChain fallback.
    assert_eq!(
        lookup_all(&client, "Test.Empty.EmptyObj").await,
        (vec![], vec![])
    );
    running.shutdown.cancel();
}

#[tokio::test]
async fn ids_follow_k8sframework_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = start(dir.path(), RESOURCES, BTreeMap::new()).await;
    let client = Client::connect(running.query).await.expect("connect");
    let expected = lookup_all(&client, "Test.Hello.HelloObj").await;
    assert!(!expected.0.is_empty());
    // App and server are lower-cased; empty pieces are dropped.
    assert_eq!(lookup_all(&client, "TEST.hello.HelloObj").await, expected);
    assert_eq!(
        lookup_all(&client, ".Test..Hello.HelloObj.").await,
        expected
    );
    // The servant name is case-sensitive and a miss does not fall back to the upChain.
    assert_eq!(
        lookup_all(&client, "Test.Hello.helloobj").await,
        (vec![], vec![])
    );
    // Not three pieces: empty.
    assert_eq!(lookup_all(&client, "Test.Hello").await, (vec![], vec![]));
    assert_eq!(
        lookup_all(&client, "A.Test.Hello.HelloObj").await,
        (vec![], vec![])
    );
    assert_eq!(lookup_all(&client, "").await, (vec![], vec![]));
    running.shutdown.cancel();
}

#[tokio::test]
async fn ids_without_a_tendpoint_use_the_up_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = start(dir.path(), RESOURCES, BTreeMap::new()).await;
    let client = Client::connect(running.query).await.expect("connect");
    assert_eq!(
        lookup_all(&client, "Outside.App.Obj").await,
        (vec![addr("up-outside", 7001, 10, false)], vec![])
    );
    assert_eq!(
        lookup_all(&client, "No.Such.Obj").await,
        (vec![addr("up-default", 7000, 6000, true)], vec![]),
        "the default list with the CRD defaults, no inactive list"
    );
    running.shutdown.cancel();
}

#[tokio::test]
async fn self_entries_and_configured_routes_answer_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut routes = BTreeMap::new();
    routes.insert(
        "tars.tarsstat.StatObj".to_owned(),
        vec![RouteEndpoint {
            host: "127.0.0.1".into(),
            port: 17000,
            timeout_ms: 3000,
            tcp: true,
        }],
    );
    let running = start(dir.path(), RESOURCES, routes).await;
    let client = Client::connect(running.query).await.expect("connect");
    assert_eq!(
        lookup_all(&client, QUERY).await,
        (vec![addr("tars-tarsregistry", 17890, 6000, true)], vec![])
    );
    assert_eq!(
        lookup_all(&client, REGISTRY).await,
        (vec![addr("tars-tarsregistry", 17891, 6000, true)], vec![])
    );
    assert_eq!(
        lookup_all(&client, "tars.tarsstat.StatObj").await,
        (vec![addr("127.0.0.1", 17000, 3000, true)], vec![])
    );
    running.shutdown.cancel();
}

#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "test.Id")]
struct IdArgs<'a> {
    #[tars(tag = 1, require)]
    id: &'a [u8],
}

#[tokio::test]
async fn methods_k8sframework_does_not_implement_answer_no_such_function() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = start(dir.path(), RESOURCES, BTreeMap::new()).await;
    let client = Client::connect(running.query).await.expect("connect");
    for method in [
        "findObjectNodeName",
        "registerQuery",
        "registerChange",
        "getLocker",
    ] {
        let reply = client
            .call(QUERY, method, &IdArgs { id: b"A.B.C" }, TIMEOUT)
            .await
            .expect("answered, not hung");
        assert_eq!(reply.ret, -3, "{method}");
        let desc = String::from_utf8_lossy(&reply.desc);
        assert!(desc.contains("not supported"), "{method}: {desc}");
    }
    let reply = client
        .invoke(QUERY, "findObjectById", b"\x1f", TIMEOUT)
        .await
        .expect("answered");
    assert_eq!(reply.ret, -1, "garbage arguments are a decode error");
    running.shutdown.cancel();
}

async fn describe(client: &Client, app: &str, server: &str) -> (i32, String, Vec<String>) {
    let args = GetServerDescriptorArgs {
        server_app: app.as_bytes(),
        server_name: server.as_bytes(),
        ..GetServerDescriptorArgs::default()
    };
    let reply = client
        .call(REGISTRY, "getServerDescriptor", &args, TIMEOUT)
        .await
        .expect("call");
    assert_eq!(reply.ret, 0, "the call itself succeeds");
    let result: GetServerDescriptorResult<'_> = reply.decode().expect("decode");
    let adapters = result
        .server_descriptor
        .adapters
        .iter()
        .map(|(name, a)| {
            format!(
                "{}|{}|{}|{}|{}|{}|{}|{}",
                String::from_utf8_lossy(name),
                String::from_utf8_lossy(a.endpoint),
                String::from_utf8_lossy(a.servant),
                String::from_utf8_lossy(a.protocol),
                a.thread_num,
                a.max_connections,
                a.queuecap,
                a.queuetimeout
            )
        })
        .collect();
    (
        result.ret,
        String::from_utf8_lossy(result.server_descriptor.profile).into_owned(),
        adapters,
    )
}

#[tokio::test]
async fn server_descriptors_merge_the_profile_over_the_template_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = start(dir.path(), RESOURCES, BTreeMap::new()).await;
    let client = Client::connect(running.registry).await.expect("connect");
    let (ret, profile, adapters) = describe(&client, "Test", "Hello").await;
    assert_eq!(ret, 0, "{profile}");
    assert_eq!(
        adapters,
        [
            "Test.Hello.HelloObjAdapter|tcp -h ${localip} -p 10000 -t 5000|Test.Hello.HelloObj|tars|2|50|100|5000",
            "Test.Hello.UdpObjAdapter|udp -h ${localip} -p 10001 -t 60000|Test.Hello.UdpObj|not_tars|3|10000|10000|60000",
        ]
    );
    let merged = registry::tc_config::Config::parse(&profile).expect("TC_Config text");
    assert_eq!(merged.get("/tars/application/server<own>"), Some("profile"));
    assert_eq!(merged.get("/tars/application/server<child>"), Some("yes"));
    assert_eq!(
        merged.get("/tars/application/server<shared>"),
        Some("server"),
        "the child's value wins at every level"
    );
    assert_eq!(
        merged.get("/tars/application/client<locator>"),
        Some("tars.tarsregistry.QueryObj@tcp -h tars-tarsregistry -p 17890")
    );

    // Unknown server, empty names: -1.
    assert_eq!(describe(&client, "No", "Such").await.0, -1);
    assert_eq!(describe(&client, "", "Hello").await.0, -1);
    running.shutdown.cancel();
}

#[tokio::test]
async fn a_template_cycle_is_reported_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = RESOURCES.replace("parent: tars.default\n  content: |\n    <tars>\n      <application>\n        <server>\n          shared=child", "parent: test.loop\n  content: |\n    <tars>\n      <application>\n        <server>\n          shared=child")
        + "---\napiVersion: k8s.tars.io/v1beta3\nkind: TTemplate\nmetadata: {name: test.loop}\nspec: {parent: test.child, content: ''}\n";
    let running = start(dir.path(), &text, BTreeMap::new()).await;
    let client = Client::connect(running.registry).await.expect("connect");
    let (ret, profile, adapters) = describe(&client, "Test", "Hello").await;
    assert_eq!(ret, -1);
    assert!(
        profile.contains("loops") && profile.contains("test.child -> test.loop -> test.child"),
        "{profile}"
    );
    assert_eq!(
        adapters.len(),
        2,
        "adapters are still filled, as K8SFramework does"
    );
    running.shutdown.cancel();
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_file_is_reloaded_and_a_broken_file_keeps_the_last_good_contents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = start(dir.path(), RESOURCES, BTreeMap::new()).await;
    let registry = running.service.registry.clone();
    assert!(registry.readiness().ready);
    let file = dir.path().join("registry.yaml");

    let moved = RESOURCES.replace("port: 10000", "port: 12345");
    std::fs::write(&file, &moved).expect("rewrite");
    eventually("the new port", || {
        registry
            .snapshot()
            .resolve("Test.Hello.HelloObj")
            .0
            .first()
            .map(|a| a.port)
            == Some(12345)
    })
    .await;

    std::fs::write(&file, "kind: [unclosed").expect("break the file");
    eventually("not ready once stale", || !registry.readiness().ready).await;
    assert_eq!(
        registry.snapshot().resolve("Test.Hello.HelloObj").0[0].port,
        12345,
        "still answering from the last good contents"
    );

    std::fs::write(&file, RESOURCES).expect("fix the file");
    eventually("ready again", || registry.readiness().ready).await;
    eventually("the old port", || {
        registry
            .snapshot()
            .resolve("Test.Hello.HelloObj")
            .0
            .first()
            .map(|a| a.port)
            == Some(10000)
    })
    .await;
    running.shutdown.cancel();
}
