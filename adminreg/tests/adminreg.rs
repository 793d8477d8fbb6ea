//! AdminReg over TCP, as tarsweb calls it, against a real `NodeObj`: a TARS server in the test
//! implementing K8SFramework's `Node` interface and recording what it received, and a small
//! HTTP server standing in for tarsweb's API. Every method's arguments and answers are checked;
//! a stopped, a silent and an unresolvable node give the reference's texts within the timeout.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tars_adminreg::{AdminRegServant, Config, Metrics, Nodes, OBJECT, OBJECT_LOWER, Outcome, Web};
use tars_codec::packet::ret;
use tars_rpc::interfaces::IntResult;
use tars_rpc::interfaces::adminreg::{
    CheckTicketArgs, CheckTicketResult, HasAdminAuthArgs, HasAdminAuthResult, HasAuthArgs,
    HasAuthResult, NodeNotifyArgs, NodeNotifyResult, NodeServerArgs, NodeServerResult,
    NotifyServerArgs, NotifyServerResult, PingNodeArgs, PingNodeResult, PluginConf,
    RegisterPluginArgs, ServerArgs, ServerResult,
};
use tars_rpc::{Client, Reply, ReplyFuture, Request, Servant, Server, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// What the test node received: (function, application, server, command).
type Calls = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// K8SFramework's tarsnode `Node`: start / stop / restart answer `Success`; notify answers the
/// command back; application `Other` is refused with -1, as a pod refuses a foreign server.
struct TestNode {
    calls: Calls,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Servant for TestNode {
    fn call(&self, request: Request) -> ReplyFuture {
        let func = text(&request.func_name);
        let reply = if func == "notifyServer" {
            let args: NodeNotifyArgs<'_> = request.args().expect("notify args");
            self.calls.lock().expect("calls").push((
                func,
                text(args.application),
                text(args.server_name),
                text(args.command),
            ));
            let result = format!("done: {}", text(args.command));
            Reply::encode(&NodeNotifyResult {
                ret: 0,
                result: result.as_bytes(),
            })
        } else {
            let args: NodeServerArgs<'_> = request.args().expect("server args");
            self.calls.lock().expect("calls").push((
                func,
                text(args.application),
                text(args.server_name),
                String::new(),
            ));
            let (ret, result): (i32, &[u8]) = if args.application == b"Other" {
                (-1, b"not this pod's server")
            } else {
                (0, b"Success")
            };
            Reply::encode(&NodeServerResult { ret, result })
        };
        Box::pin(async move { reply })
    }
}

/// A tarsweb stand-in: answers the three API paths AdminReg uses and records each request line
/// and body.
async fn tarsweb(requests: Arc<Mutex<Vec<String>>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind web");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let requests = Arc::clone(&requests);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Headers, then the body by Content-Length.
                let (head, body) = loop {
                    let n = stream.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = text(&buf[..end]);
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    while buf.len() < end + 4 + len {
                        let n = stream.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    break (head, text(&buf[end + 4..]));
                };
                let line = head.lines().next().unwrap_or_default().to_owned();
                requests
                    .lock()
                    .expect("requests")
                    .push(format!("{line} {body}"));
                let (status, answer) = if line.contains("/pages/server/api/authList?uid=alice ") {
                    (
                        "200 OK",
                        r#"{"ret_code":200,"data":[{"role":"developer","flag":"Test.*"},{"role":"operator","flag":"Test.Hello"}]}"#,
                    )
                } else if line.contains("/pages/server/api/authList?uid=root ") {
                    (
                        "200 OK",
                        r#"{"ret_code":200,"data":[{"role":"admin","flag":""}]}"#,
                    )
                } else if line.contains("/pages/server/api/authList?uid=ghost ") {
                    ("200 OK", r#"{"ret_code":500,"err_msg":"no such user"}"#)
                } else if line.contains("/pages/server/api/ticket?ticket=t%3D1 ") {
                    ("200 OK", r#"{"ret_code":200,"data":{"uid":"alice"}}"#)
                } else if line.contains("/pages/server/api/ticket") {
                    ("200 OK", r#"{"ret_code":500,"err_msg":"bad ticket"}"#)
                } else if line.starts_with("POST /pages/plugin/api/install ") {
                    ("200 OK", r#"{"ret_code":200}"#)
                } else {
                    ("500 Internal Server Error", "{}")
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    addr
}

struct Rig {
    client: Client,
    node_calls: Calls,
    web_requests: Arc<Mutex<Vec<String>>>,
    metrics: Metrics,
    node_port: u16,
    _stop: tokio_util::sync::DropGuard,
}

/// AdminReg served on a loopback port, forwarding to the test node at `node_port` (or to a
/// live test node when `None`) and to the tarsweb stand-in (or to `web_url`).
async fn rig(node_port: Option<u16>, web_url: Option<String>) -> Rig {
    let stop = CancellationToken::new();
    let node_calls = Calls::default();
    let node_port = if let Some(port) = node_port {
        port
    } else {
        let node = Server::new(ServerConfig::default())
            .servant(
                tars_adminreg::NODE_OBJ,
                Arc::new(TestNode {
                    calls: Arc::clone(&node_calls),
                }),
            )
            .bind("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("bind node");
        let port = node.local_addr().port();
        tokio::spawn(node.run(stop.clone()));
        port
    };
    let web_requests = Arc::default();
    let web_url = match web_url {
        Some(url) => url,
        None => format!("http://{}", tarsweb(Arc::clone(&web_requests)).await),
    };
    let config = Config {
        node_port,
        node_connect_timeout_ms: 1000,
        node_call_timeout_ms: 1000,
        web_url,
        web_timeout_ms: 2000,
    };
    let metrics = Metrics::default();
    let servant = Arc::new(AdminRegServant::new(
        Nodes::new(&config),
        Web::new(&config).expect("web client"),
        "tars".into(),
        metrics.clone(),
    ));
    let server = Server::new(ServerConfig::default())
        .servant(OBJECT, servant.clone())
        .servant(OBJECT_LOWER, servant)
        .bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind adminreg");
    let addr = server.local_addr();
    tokio::spawn(server.run(stop.clone()));
    Rig {
        client: Client::connect(addr).await.expect("connect"),
        node_calls,
        web_requests,
        metrics,
        node_port,
        _stop: stop.drop_guard(),
    }
}

const T: Duration = Duration::from_secs(10);

async fn server_call(rig: &Rig, object: &str, func: &str, app: &str, node: &str) -> (i32, String) {
    let args = ServerArgs {
        application: app.as_bytes(),
        server_name: b"Hello",
        node_name: node.as_bytes(),
    };
    let reply = rig
        .client
        .call(object, func, &args, T)
        .await
        .expect("reply");
    assert_eq!(reply.ret, 0, "{reply:?}");
    let r: ServerResult<'_> = reply.decode().expect("result");
    (r.ret, text(r.result))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_stop_restart_and_notify_reach_the_node_with_their_arguments() {
    let rig = rig(None, None).await;
    for (object, func) in [
        (OBJECT, "startServer"),
        (OBJECT, "stopServer"),
        (OBJECT_LOWER, "restartServer"),
    ] {
        assert_eq!(
            server_call(&rig, object, func, "Test", "127.0.0.1").await,
            (0, "Success".to_owned()),
            "{func}"
        );
    }
    // The node's refusal is relayed unchanged.
    assert_eq!(
        server_call(&rig, OBJECT, "startServer", "Other", "127.0.0.1").await,
        (-1, "not this pod's server".to_owned())
    );
    let args = NotifyServerArgs {
        application: b"Test",
        server_name: b"Hello",
        node_name: b"127.0.0.1",
        command: b"tars.setloglevel DEBUG",
    };
    let reply = rig
        .client
        .call(OBJECT, "notifyServer", &args, T)
        .await
        .expect("reply");
    let r: NotifyServerResult<'_> = reply.decode().expect("result");
    assert_eq!(
        (r.ret, text(r.result)),
        (0, "done: tars.setloglevel DEBUG".to_owned())
    );

    let calls = rig.node_calls.lock().expect("calls").clone();
    let expected: Vec<(String, String, String, String)> = [
        ("startServer", "Test", ""),
        ("stopServer", "Test", ""),
        ("restartServer", "Test", ""),
        ("startServer", "Other", ""),
        ("notifyServer", "Test", "tars.setloglevel DEBUG"),
    ]
    .into_iter()
    .map(|(f, a, c)| (f.to_owned(), a.to_owned(), "Hello".to_owned(), c.to_owned()))
    .collect();
    assert_eq!(calls, expected);
    assert_eq!(rig.metrics.calls("startServer", Outcome::Ok), 1);
    assert_eq!(rig.metrics.calls("startServer", Outcome::Refused), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_node_gives_the_reference_texts_within_the_timeout() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let rig = rig(Some(closed), None).await;
    let started = Instant::now();
    let (r, result) = server_call(&rig, OBJECT, "startServer", "Test", "127.0.0.1").await;
    assert_eq!(r, -1);
    assert!(
        result.starts_with(&format!(
            "startServer 'Test.Hello_127.0.0.1' TarsException:cannot connect to tars.tarsnode.NodeObj at 127.0.0.1:{closed}: "
        )),
        "{result}"
    );
    let (r, result) = server_call(&rig, OBJECT, "stopServer", "Test", "127.0.0.1").await;
    assert_eq!(r, -1);
    assert!(
        result.starts_with("stopServer 'Test.Hello_127.0.0.1' Exception:cannot connect"),
        "{result}"
    );
    let (r, result) = server_call(
        &rig,
        OBJECT,
        "restartServer",
        "Test",
        "no-such-node.invalid",
    )
    .await;
    assert_eq!(r, -1);
    assert!(
        result.starts_with("restartServer 'Test.Hello_no-such-node.invalid' Exception:cannot resolve node \"no-such-node.invalid\""),
        "{result}"
    );
    let reply = rig
        .client
        .call(OBJECT, "pingNode", &PingNodeArgs { name: b"127.0.0.1" }, T)
        .await
        .expect("reply");
    let ping: PingNodeResult<'_> = reply.decode().expect("ping");
    assert!(!ping.ret);
    assert!(
        text(ping.result).contains("cannot connect"),
        "{}",
        text(ping.result)
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(rig.metrics.calls("startServer", Outcome::Unreachable), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_node_times_out_with_a_clear_text() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let rig = rig(Some(port), None).await;
    let started = Instant::now();
    let args = NotifyServerArgs {
        application: b"Test",
        server_name: b"Hello",
        node_name: b"127.0.0.1",
        command: b"cmd",
    };
    let reply = rig
        .client
        .call(OBJECT, "notifyServer", &args, T)
        .await
        .expect("reply");
    let r: NotifyServerResult<'_> = reply.decode().expect("result");
    assert_eq!(r.ret, -1);
    assert_eq!(
        text(r.result),
        format!(
            "notifyServer 'Test.Hello_127.0.0.1' Exception:tars.tarsnode.NodeObj.notifyServer at 127.0.0.1:{port}: no reply within 1s"
        )
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(rig.metrics.calls("notifyServer", Outcome::Timeout), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_node_answers_true_when_the_node_answers() {
    let rig = rig(None, None).await;
    let reply = rig
        .client
        .call(OBJECT, "pingNode", &PingNodeArgs { name: b"127.0.0.1" }, T)
        .await
        .expect("reply");
    let ping: PingNodeResult<'_> = reply.decode().expect("ping");
    assert_eq!(
        (ping.ret, text(ping.result)),
        (true, "ping succ".to_owned())
    );
    assert!(rig.node_port > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_and_permission_calls_go_to_tarsweb() {
    let rig = rig(None, None).await;
    let has = |func: &'static str, uid: &'static str, server: &'static str| {
        let client = rig.client.clone();
        async move {
            let args = HasAuthArgs {
                application: b"Test",
                server_name: server.as_bytes(),
                uid: uid.as_bytes(),
            };
            let reply = client.call(OBJECT, func, &args, T).await.expect("reply");
            let r: HasAuthResult = reply.decode().expect("result");
            (r.ret, r.has)
        }
    };
    assert_eq!(has("hasDevAuth", "alice", "World").await, (0, true));
    assert_eq!(has("hasOpeAuth", "alice", "World").await, (0, false));
    assert_eq!(has("hasOpeAuth", "alice", "Hello").await, (0, true));
    assert_eq!(has("hasOpeAuth", "root", "Any").await, (0, true));
    assert_eq!(has("hasDevAuth", "ghost", "Hello").await, (-1, false));

    let admin = |uid: &'static str| {
        let client = rig.client.clone();
        async move {
            let reply = client
                .call(
                    OBJECT,
                    "hasAdminAuth",
                    &HasAdminAuthArgs {
                        uid: uid.as_bytes(),
                    },
                    T,
                )
                .await
                .expect("reply");
            let r: HasAdminAuthResult = reply.decode().expect("result");
            (r.ret, r.has)
        }
    };
    assert_eq!(admin("root").await, (0, true));
    assert_eq!(admin("alice").await, (0, false));

    let ticket = |t: &'static str| {
        let client = rig.client.clone();
        async move {
            let reply = client
                .call(
                    OBJECT,
                    "checkTicket",
                    &CheckTicketArgs {
                        ticket: t.as_bytes(),
                    },
                    T,
                )
                .await
                .expect("reply");
            let r: CheckTicketResult<'_> = reply.decode().expect("result");
            (r.ret, text(r.uid))
        }
    };
    assert_eq!(ticket("t=1").await, (0, "alice".to_owned()));
    assert_eq!(ticket("expired").await, (-1, String::new()));

    let conf = PluginConf {
        name: b"Chart",
        name_en: b"chart",
        obj: b"Plugin.ChartServer.ChartObj",
        kind: 2,
        path: b"/chart",
        k8s: false,
        fextern: 0,
    };
    let reply = rig
        .client
        .call(OBJECT, "registerPlugin", &RegisterPluginArgs { conf }, T)
        .await
        .expect("reply");
    assert_eq!(reply.decode::<IntResult>().expect("result").ret, 0);

    let requests = rig.web_requests.lock().expect("requests").clone();
    assert!(
        requests.contains(&"GET /pages/server/api/authList?uid=alice HTTP/1.1 ".to_owned()),
        "{requests:#?}"
    );
    assert!(
        requests.contains(&"GET /pages/server/api/ticket?ticket=t%3D1 HTTP/1.1 ".to_owned()),
        "{requests:#?}"
    );
    let install = requests
        .iter()
        .find(|r| r.starts_with("POST /pages/plugin/api/install HTTP/1.1 "))
        .expect("install request");
    let body: serde_json::Value = serde_json::from_str(
        install.trim_start_matches("POST /pages/plugin/api/install HTTP/1.1 "),
    )
    .expect("json body");
    assert_eq!(
        body,
        serde_json::json!({"name": "Chart", "name_en": "chart", "obj": "Plugin.ChartServer.ChartObj",
            "type": 2, "path": "/chart", "k8s": true, "fextern": 0})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_tarsweb_answers_each_methods_own_shape() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let rig = rig(None, Some(format!("http://127.0.0.1:{closed}"))).await;
    let reply = rig
        .client
        .call(OBJECT, "checkTicket", &CheckTicketArgs { ticket: b"x" }, T)
        .await
        .expect("reply");
    let r: CheckTicketResult<'_> = reply.decode().expect("its own shape, uid included");
    assert_eq!((r.ret, r.uid), (-1, &b""[..]));
    let args = HasAuthArgs {
        application: b"Test",
        server_name: b"Hello",
        uid: b"alice",
    };
    let reply = rig
        .client
        .call(OBJECT, "hasDevAuth", &args, T)
        .await
        .expect("reply");
    let r: HasAuthResult = reply.decode().expect("result");
    assert_eq!((r.ret, r.has), (-1, false));
    let conf = PluginConf {
        name: b"x",
        name_en: b"",
        obj: b"",
        kind: 1,
        path: b"",
        k8s: false,
        fextern: 0,
    };
    let reply = rig
        .client
        .call(OBJECT, "registerPlugin", &RegisterPluginArgs { conf }, T)
        .await
        .expect("reply");
    assert_eq!(reply.decode::<IntResult>().expect("result").ret, -1);
    assert_eq!(rig.metrics.calls("checkTicket", Outcome::Unreachable), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_framework_errors() {
    let rig = rig(None, None).await;
    let reply = rig
        .client
        .invoke(OBJECT, "deleteServer", &[], T)
        .await
        .expect("reply");
    assert_eq!(reply.ret, ret::NO_FUNCTION);
    // startServer without its arguments.
    let reply = rig
        .client
        .invoke(OBJECT, "startServer", &[], T)
        .await
        .expect("reply");
    assert_eq!(reply.ret, ret::DECODE_ERROR);
    // An empty node name is a clear result, not a hang.
    let (r, result) = server_call(&rig, OBJECT, "startServer", "Test", "").await;
    assert_eq!(r, -1);
    assert!(result.contains("the node name is empty"), "{result}");
}
