//! The fake Kubernetes API server through raw HTTP/1.1: selectors, watches that resume,
//! expire and stream initial events, server-side apply, optimistic concurrency and outages.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tars_test::fake_kube::FakeKube;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The bound on every step; hitting it means the server or the client deadlocked.
const STEP: Duration = Duration::from_secs(10);
const NS: &str = "tars";
const TENDPOINTS: &str = "/apis/k8s.tars.io/v1beta3/namespaces/tars/tendpoints";
const LEASES: &str = "/apis/coordination.k8s.io/v1/namespaces/tars/leases";
const APPLY: &str = "application/apply-patch+yaml";
const JSON: &str = "application/json";

fn invalid(message: &str) -> std::io::Error {
    std::io::Error::other(message.to_owned())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A response head: the status and how the body is framed.
struct Head {
    status: u16,
    chunked: bool,
    length: Option<usize>,
}

/// Reads up to the end of a response head into `buf`, then leaves only the bytes after it.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Head> {
    let mut chunk = [0_u8; 8192];
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            let status = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse::<u16>().ok())
                .ok_or_else(|| invalid("no status line"))?;
            let header = |name: &str| {
                head.lines()
                    .filter_map(|line| line.split_once(':'))
                    .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
                    .map(|(_, value)| value.trim().to_owned())
            };
            return Ok(Head {
                status,
                chunked: header("transfer-encoding")
                    .is_some_and(|value| value.eq_ignore_ascii_case("chunked")),
                length: header("content-length").and_then(|value| value.parse().ok()),
            });
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn write_request(
    stream: &mut TcpStream,
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<()> {
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await
}

/// Sends one request on a new connection and reads the reply up to its `Content-Length`.
async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect(addr).await?;
    write_request(&mut stream, addr, method, path, content_type, body).await?;
    let mut buf = Vec::new();
    let head = read_head(&mut stream, &mut buf).await?;
    let length = head.length.ok_or_else(|| invalid("no content-length"))?;
    let mut chunk = [0_u8; 8192];
    while buf.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let value = serde_json::from_slice(&buf[..length]).map_err(|e| invalid(&e.to_string()))?;
    Ok((head.status, value))
}

/// One request that must get an answer.
async fn call(
    kube: &FakeKube,
    method: &str,
    path: &str,
    content_type: &str,
    body: &Value,
) -> (u16, Value) {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    timeout(STEP, send(kube.addr(), method, path, content_type, &body))
        .await
        .expect("fake-kube answers within 10 s (a handler holding the state lock forever?)")
        .expect("the request gets an HTTP answer")
}

async fn get(kube: &FakeKube, path: &str) -> (u16, Value) {
    call(kube, "GET", path, JSON, &Value::Null).await
}

/// An open watch: a chunked body read one JSON line at a time.
struct Watch {
    stream: TcpStream,
    /// Bytes read but not yet de-chunked.
    raw: Vec<u8>,
    /// De-chunked body bytes not yet returned as lines.
    body: Vec<u8>,
    /// The last (empty) chunk was read.
    ended: bool,
}

impl Watch {
    async fn open(addr: SocketAddr, path: &str) -> std::io::Result<(u16, Self)> {
        let mut stream = TcpStream::connect(addr).await?;
        write_request(&mut stream, addr, "GET", path, JSON, "").await?;
        let mut raw = Vec::new();
        let head = read_head(&mut stream, &mut raw).await?;
        if !head.chunked {
            return Err(invalid("a watch reply must be chunked"));
        }
        let watch = Self {
            stream,
            raw,
            body: Vec::new(),
            ended: false,
        };
        Ok((head.status, watch))
    }

    /// The next event, or `None` at the clean end of the stream.
    async fn next(&mut self) -> std::io::Result<Option<Value>> {
        loop {
            if let Some(end) = self.body.iter().position(|byte| *byte == b'\n') {
                let line: Vec<u8> = self.body.drain(..=end).collect();
                return serde_json::from_slice(&line)
                    .map(Some)
                    .map_err(|e| invalid(&e.to_string()));
            }
            if self.ended {
                return Ok(None);
            }
            if !self.decode_chunk()? {
                self.fill().await?;
            }
        }
    }

    /// Moves one complete chunk from `raw` to `body`; `false` if there is none yet.
    fn decode_chunk(&mut self) -> std::io::Result<bool> {
        let Some(line_end) = find(&self.raw, b"\r\n") else {
            return Ok(false);
        };
        let text = std::str::from_utf8(&self.raw[..line_end])
            .map_err(|_| invalid("a chunk size that is not text"))?;
        let size_text = text.split_once(';').map_or(text, |(size, _)| size).trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("a bad chunk size"))?;
        if size == 0 {
            self.ended = true;
            self.raw.clear();
            return Ok(true);
        }
        let start = line_end + 2;
        if self.raw.len() < start + size + 2 {
            return Ok(false);
        }
        self.body.extend_from_slice(&self.raw[start..start + size]);
        self.raw.drain(..start + size + 2);
        Ok(true)
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0_u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.raw.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

async fn open_watch(kube: &FakeKube, path: &str) -> Watch {
    let (status, watch) = timeout(STEP, Watch::open(kube.addr(), path))
        .await
        .expect("the watch head comes within 10 s")
        .expect("the watch gets an HTTP answer");
    assert_eq!(status, 200, "{path}");
    watch
}

async fn next_event(watch: &mut Watch) -> Value {
    timeout(STEP, watch.next())
        .await
        .expect("an event within 10 s (a write not pushed to the open watch?)")
        .expect("the stream stays readable")
        .expect("the stream has not ended")
}

async fn assert_ended(watch: &mut Watch) {
    let end = timeout(STEP, watch.next())
        .await
        .expect("the stream ends within 10 s (a watch left open?)")
        .expect("the stream ends cleanly with the last chunk");
    assert_eq!(end, None, "no more events");
}

async fn start() -> FakeKube {
    let kube = timeout(STEP, FakeKube::start())
        .await
        .expect("binding does not hang")
        .expect("a free local port");
    let state = kube.state();
    state.register("", "v1", "pods", "Pod", true);
    state.register("coordination.k8s.io", "v1", "leases", "Lease", true);
    state.register("k8s.tars.io", "v1beta3", "tendpoints", "TEndpoint", true);
    kube
}

async fn stop(kube: FakeKube) {
    timeout(STEP, kube.stop())
        .await
        .expect("stop ends: the accept loop and connection tasks are aborted");
}

fn tendpoint(name: &str, app: &str) -> Value {
    json!({
        "apiVersion": "k8s.tars.io/v1beta3",
        "kind": "TEndpoint",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"app": app}
    })
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            item["metadata"]["name"]
                .as_str()
                .expect("a name")
                .to_owned()
        })
        .collect()
}

fn version_of(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|version| version.parse().ok())
        .expect("a decimal resourceVersion")
}

fn watch_path(version: u64) -> String {
    format!(
        "{TENDPOINTS}?&watch=true&timeoutSeconds=290&allowWatchBookmarks=true&\
         resourceVersion={version}"
    )
}

#[tokio::test]
async fn a_list_honours_label_and_field_selectors() {
    let kube = start().await;
    let state = kube.state();
    for (name, namespace, app) in [
        ("a-0", NS, "a"),
        ("a-1", NS, "a"),
        ("b-0", NS, "b"),
        ("a-9", "other", "a"),
    ] {
        state.upsert(
            "pods",
            json!({
                "metadata": {"name": name, "namespace": namespace, "labels": {"tars.io/ServerApp": app}},
                "status": {"phase": "Running"}
            }),
        );
    }
    let path = "/api/v1/namespaces/tars/pods?&limit=500&labelSelector=tars.io%2FServerApp%3Da";
    let (status, list) = get(&kube, path).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["kind"], "PodList");
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(
        list["metadata"]["resourceVersion"],
        state.resource_version().to_string()
    );
    assert_eq!(names(&list), ["a-0", "a-1"]);
    assert_eq!(
        list["items"][0].get("kind"),
        None,
        "items of a built-in type's list carry no kind, as on the API server"
    );
    assert!(state.requests().contains(&format!("GET {path}")));

    let (_, every) = get(
        &kube,
        "/api/v1/pods?labelSelector=tars.io%2FServerApp%20in%20(a)",
    )
    .await;
    assert_eq!(
        names(&every),
        ["a-9", "a-0", "a-1"],
        "sorted by namespace, then name"
    );
    let (_, unlabelled) = get(
        &kube,
        "/api/v1/namespaces/tars/pods?labelSelector=!tars.io%2FServerApp",
    )
    .await;
    assert_eq!(names(&unlabelled), Vec::<String>::new());
    let (_, by_name) = get(
        &kube,
        "/api/v1/namespaces/tars/pods?fieldSelector=metadata.name%3Db-0",
    )
    .await;
    assert_eq!(names(&by_name), ["b-0"]);
    let (status, error) = get(&kube, "/api/v1/namespaces/tars/pods?labelSelector=a%20b").await;
    assert_eq!((status, &error["reason"]), (400, &json!("BadRequest")));
    stop(kube).await;
}

#[tokio::test]
async fn a_watch_from_a_version_gets_added_modified_and_deleted() {
    let kube = start().await;
    let state = kube.state();
    state.upsert("tendpoints", tendpoint("test-a", "A"));
    let (_, list) = get(&kube, TENDPOINTS).await;
    let version = version_of(&list);
    let mut watch = open_watch(&kube, &watch_path(version)).await;
    assert_eq!(state.open_watches("tendpoints"), 1);

    state.upsert("tendpoints", tendpoint("test-b", "B"));
    state.upsert("tendpoints", tendpoint("test-b", "B2"));
    assert!(state.delete("tendpoints", NS, "test-a"));
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(next_event(&mut watch).await);
    }
    let summary: Vec<(&str, &str)> = seen
        .iter()
        .map(|event| {
            let kind = event["type"].as_str().expect("a type");
            (
                kind,
                event["object"]["metadata"]["name"]
                    .as_str()
                    .expect("a name"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("ADDED", "test-b"),
            ("MODIFIED", "test-b"),
            ("DELETED", "test-a")
        ]
    );
    assert_eq!(seen[1]["object"]["spec"]["app"], "B2");
    let versions: Vec<u64> = seen
        .iter()
        .map(|event| version_of(&event["object"]))
        .collect();
    assert!(version < versions[0] && versions[0] < versions[1] && versions[1] < versions[2]);

    // A watch resuming from the same version gets the same events from the history.
    let mut replay = open_watch(&kube, &watch_path(version)).await;
    for expected in &seen {
        assert_eq!(&next_event(&mut replay).await, expected);
    }
    state.bookmark("tendpoints");
    for open in [&mut watch, &mut replay] {
        let bookmark = next_event(open).await;
        assert_eq!(bookmark["type"], "BOOKMARK");
        assert_eq!(bookmark["object"]["kind"], "TEndpoint");
        assert_eq!(version_of(&bookmark["object"]), state.resource_version());
    }
    state.drop_watches();
    assert_ended(&mut watch).await;
    assert_ended(&mut replay).await;
    stop(kube).await;
}

#[tokio::test]
async fn expired_versions_end_watches_with_a_410_error_event() {
    let kube = start().await;
    let state = kube.state();
    state.upsert("tendpoints", tendpoint("test-a", "A"));
    let (_, list) = get(&kube, TENDPOINTS).await;
    let version = version_of(&list);
    let mut watch = open_watch(&kube, &watch_path(version)).await;

    state.expire_versions("tendpoints");
    let error = next_event(&mut watch).await;
    assert_eq!(error["type"], "ERROR");
    let status = &error["object"];
    assert_eq!(
        (&status["kind"], &status["code"]),
        (&json!("Status"), &json!(410))
    );
    assert_eq!(status["reason"], "Expired");
    let message = status["message"].as_str().expect("a message");
    assert!(
        message.starts_with("too old resource version: "),
        "{message}"
    );
    assert_ended(&mut watch).await;

    // Watching from the expired version again: a 200 stream with the same error, then its end.
    let mut again = open_watch(&kube, &watch_path(version)).await;
    assert_eq!(next_event(&mut again).await["object"]["code"], 410);
    assert_ended(&mut again).await;

    // A relist gives a version that can be watched from.
    let (_, list) = get(&kube, TENDPOINTS).await;
    let fresh = version_of(&list);
    assert!(fresh > version);
    assert_eq!(names(&list), ["test-a"]);
    let mut watch = open_watch(&kube, &watch_path(fresh)).await;
    state.upsert("tendpoints", tendpoint("test-b", "B"));
    let added = next_event(&mut watch).await;
    assert_eq!(
        (&added["type"], &added["object"]["metadata"]["name"]),
        (&json!("ADDED"), &json!("test-b"))
    );
    stop(kube).await;
}

#[tokio::test]
async fn send_initial_events_ends_with_an_annotated_bookmark() {
    let kube = start().await;
    let state = kube.state();
    state.upsert("tendpoints", tendpoint("test-a", "A"));
    state.upsert("tendpoints", tendpoint("test-b", "B"));
    state.upsert("pods", json!({"metadata": {"name": "p", "namespace": NS}}));
    let path = format!(
        "{TENDPOINTS}?&watch=true&timeoutSeconds=290&allowWatchBookmarks=true&\
         sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
    );
    let mut watch = open_watch(&kube, &path).await;
    for name in ["test-a", "test-b"] {
        let added = next_event(&mut watch).await;
        assert_eq!(
            (&added["type"], &added["object"]["metadata"]["name"]),
            (&json!("ADDED"), &json!(name))
        );
    }
    let bookmark = next_event(&mut watch).await;
    assert_eq!(bookmark["type"], "BOOKMARK");
    let object = &bookmark["object"];
    assert_eq!(
        (&object["kind"], &object["apiVersion"]),
        (&json!("TEndpoint"), &json!("k8s.tars.io/v1beta3"))
    );
    assert_eq!(
        object["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    assert_eq!(version_of(object), state.resource_version());
    state.upsert("tendpoints", tendpoint("test-c", "C"));
    assert_eq!(
        next_event(&mut watch).await["object"]["metadata"]["name"],
        "test-c"
    );

    // timeoutSeconds ends a stream cleanly.
    let short = format!(
        "{TENDPOINTS}?&watch=true&timeoutSeconds=1&resourceVersion={}",
        state.resource_version()
    );
    let mut short = open_watch(&kube, &short).await;
    assert_ended(&mut short).await;
    stop(kube).await;
}

#[tokio::test]
async fn server_side_apply_creates_then_merges_and_a_status_apply_leaves_spec_alone() {
    let kube = start().await;
    let state = kube.state();
    let path = format!("{TENDPOINTS}/test-a?&fieldManager=tarsplane&force=true");
    let mut first = tendpoint("test-a", "A");
    first["metadata"]["labels"] = json!({"a": "1"});
    first["spec"]["tars"] = json!({"asyncThread": 3});
    first["status"] = json!({"ignored": true});
    let (status, created) = call(&kube, "PATCH", &path, APPLY, &first).await;
    assert_eq!(status, 201, "{created}");
    assert!(
        created.get("status").is_none(),
        "status is only applied through /status"
    );
    assert_eq!(
        created["metadata"]["managedFields"][0]["manager"],
        "tarsplane"
    );
    assert_eq!(created["metadata"]["generation"], 1);

    let mut second = tendpoint("test-a", "A");
    second["spec"] = json!({"server": "b", "tars": {"template": "tars.default"}});
    let (status, merged) = call(&kube, "PATCH", &path, APPLY, &second).await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(
        merged["spec"],
        json!({"app": "A", "server": "b", "tars": {"asyncThread": 3, "template": "tars.default"}})
    );
    assert_eq!(merged["metadata"]["labels"], json!({"a": "1"}));
    assert!(version_of(&merged) > version_of(&created));
    assert_eq!(merged["metadata"]["generation"], 2);
    let (_, again) = call(&kube, "PATCH", &path, APPLY, &second).await;
    assert_eq!(
        version_of(&again),
        version_of(&merged),
        "a no-op apply keeps the version"
    );

    let status_path =
        format!("{TENDPOINTS}/test-a/status?&fieldManager=tarsplane-status&force=true");
    let mut with_status = tendpoint("test-a", "changed");
    with_status["status"] =
        json!({"pods": [{"name": "test-a-0", "settingState": "Active", "presentState": "Active"}]});
    let (status, applied) = call(&kube, "PATCH", &status_path, APPLY, &with_status).await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(
        applied["spec"], merged["spec"],
        "spec is untouched through /status"
    );
    assert_eq!(applied["status"]["pods"][0]["name"], "test-a-0");
    assert_eq!(applied["metadata"]["generation"], 2);
    assert_eq!(
        state.managers("tendpoints", NS, "test-a"),
        ["tarsplane", "tarsplane-status"]
    );
    assert_eq!(
        state.get("tendpoints", NS, "test-a").as_ref(),
        Some(&applied)
    );

    let (status, error) = call(
        &kube,
        "PATCH",
        &format!("{TENDPOINTS}/test-a"),
        APPLY,
        &second,
    )
    .await;
    assert_eq!(
        (status, &error["reason"]),
        (400, &json!("BadRequest")),
        "fieldManager is required"
    );
    let (status, _) = call(&kube, "PATCH", &path, "application/xml", &second).await;
    assert_eq!(status, 415);
    let missing = format!("{TENDPOINTS}/test-z/status?&fieldManager=m");
    let (status, _) = call(&kube, "PATCH", &missing, APPLY, &tendpoint("test-z", "Z")).await;
    assert_eq!(status, 404, "/status does not create");

    let labels = json!({"metadata": {"labels": {"a": null, "b": "2"}}});
    let merge = "application/merge-patch+json";
    let (status, patched) = call(
        &kube,
        "PATCH",
        &format!("{TENDPOINTS}/test-a"),
        merge,
        &labels,
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["metadata"]["labels"], json!({"b": "2"}));
    assert_eq!(patched["status"], applied["status"]);
    stop(kube).await;
}

#[tokio::test]
async fn a_replace_with_a_stale_resource_version_is_a_conflict() {
    let kube = start().await;
    let lease = json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "tars-registry-reconciler", "namespace": NS},
        "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15}
    });
    let (status, created) = call(&kube, "POST", LEASES, JSON, &lease).await;
    assert_eq!(status, 201, "{created}");
    let (status, exists) = call(&kube, "POST", LEASES, JSON, &lease).await;
    assert_eq!((status, &exists["reason"]), (409, &json!("AlreadyExists")));

    let path = format!("{LEASES}/tars-registry-reconciler");
    let mut mine = created.clone();
    mine["spec"]["holderIdentity"] = json!("b");
    let (status, replaced) = call(&kube, "PUT", &path, JSON, &mine).await;
    assert_eq!(status, 200, "{replaced}");
    assert!(version_of(&replaced) > version_of(&created));

    let mut stale = created.clone();
    stale["spec"]["holderIdentity"] = json!("c");
    let (status, conflict) = call(&kube, "PUT", &path, JSON, &stale).await;
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(
        (&conflict["kind"], &conflict["reason"]),
        (&json!("Status"), &json!("Conflict"))
    );
    assert_eq!(conflict["code"], 409);
    stale["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("resourceVersion");
    let (status, _) = call(&kube, "PUT", &path, JSON, &stale).await;
    assert_eq!(status, 422, "a replace needs a resourceVersion");

    let (status, current) = get(&kube, &path).await;
    assert_eq!(
        (status, &current["spec"]["holderIdentity"]),
        (200, &json!("b"))
    );
    let (status, missing) = get(&kube, &format!("{LEASES}/nope")).await;
    assert_eq!(status, 404);
    assert_eq!(missing["reason"], "NotFound");
    assert_eq!(
        missing["message"],
        "leases.coordination.k8s.io \"nope\" not found"
    );
    let (status, deleted) = call(&kube, "DELETE", &path, JSON, &Value::Null).await;
    assert_eq!(
        (status, &deleted["spec"]["holderIdentity"]),
        (200, &json!("b"))
    );
    let (status, _) = get(&kube, &path).await;
    assert_eq!(status, 404);
    stop(kube).await;
}

#[tokio::test]
async fn an_outage_cuts_watches_and_a_restart_keeps_the_objects() {
    let kube = start().await;
    kube.state().upsert("tendpoints", tendpoint("test-a", "A"));
    let mut watch = open_watch(&kube, &watch_path(kube.state().resource_version())).await;
    let (addr, state) = (kube.addr(), kube.state());
    stop(kube).await;
    let cut = timeout(STEP, watch.next())
        .await
        .expect("the cut is seen within 10 s");
    assert!(
        cut.is_err(),
        "the stream ends without its last chunk: {cut:?}"
    );

    let kube = timeout(STEP, FakeKube::start_on(addr, state))
        .await
        .expect("binding does not hang")
        .expect("the port can be bound again");
    let (status, list) = get(&kube, TENDPOINTS).await;
    assert_eq!((status, names(&list)), (200, vec!["test-a".to_owned()]));
    let (status, version) = get(&kube, "/version").await;
    assert_eq!((status, &version["gitVersion"]), (200, &json!("v1.31.0")));
    let (status, _) = get(
        &kube,
        "/apis/k8s.tars.io/v1beta3/namespaces/tars/ttemplates",
    )
    .await;
    assert_eq!(status, 404, "an unregistered type");
    let (status, _) = call(&kube, "DELETE", TENDPOINTS, JSON, &Value::Null).await;
    assert_eq!(status, 405);
    let (status, resources) = get(&kube, "/apis/k8s.tars.io/v1beta3").await;
    assert_eq!(
        (status, &resources["resources"][0]["name"]),
        (200, &json!("tendpoints"))
    );
    stop(kube).await;
}
