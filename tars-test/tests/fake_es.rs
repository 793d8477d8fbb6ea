//! The fake Elasticsearch through raw HTTP/1.1: bulk conflicts and mapping errors, data
//! streams, composite paging, and injected faults and outages.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tars_test::fake_es::{FakeEs, Fault};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The bound on every step; hitting it means the server or the client deadlocked.
const STEP: Duration = Duration::from_secs(10);

fn invalid(message: &str) -> std::io::Error {
    std::io::Error::other(message.to_owned())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 8192];
    let (end, status, length) = loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse::<u16>().ok())
                .ok_or_else(|| invalid("no status line"))?;
            let length = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                .ok_or_else(|| invalid("no content-length"))?;
            break (end, status, length);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    while buf.len() < end + 4 + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = &buf[end + 4..end + 4 + length];
    let value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).map_err(|e| invalid(&e.to_string()))?
    };
    Ok((status, value))
}

/// One request that must get an answer.
async fn call(es: &FakeEs, method: &str, path: &str, body: &str) -> (u16, Value) {
    let content_type = if path.contains("_bulk") {
        "application/x-ndjson"
    } else {
        "application/json"
    };
    timeout(STEP, send(es.addr(), method, path, content_type, body))
        .await
        .expect("fake-es answers within 10 s (a handler holding the state lock forever?)")
        .expect("the request gets an HTTP answer")
}

async fn start() -> FakeEs {
    timeout(STEP, FakeEs::start())
        .await
        .expect("binding does not hang")
        .expect("a free local port")
}

async fn stop(es: FakeEs) {
    timeout(STEP, es.stop())
        .await
        .expect("stop ends: the accept loop and connection tasks are aborted");
}

#[tokio::test]
async fn a_replayed_bulk_create_is_a_version_conflict() {
    let es = start().await;
    let body = "{\"create\":{\"_index\":\"tars_stat_20240328\",\"_id\":\"a\"}}\n{\"succ_count\":1}\n\
                {\"create\":{\"_index\":\"tars_stat_20240328\",\"_id\":\"b\"}}\n{\"succ_count\":2}\n";
    let (status, first) = call(&es, "POST", "/_bulk", body).await;
    assert_eq!(status, 200);
    assert_eq!(first["errors"], false);
    assert_eq!(first["items"][0]["create"]["status"], 201);
    assert_eq!(first["items"][0]["create"]["result"], "created");

    let (status, replay) = call(&es, "POST", "/_bulk", body).await;
    assert_eq!(status, 200);
    assert_eq!(replay["errors"], true);
    let items = replay["items"].as_array().expect("items array");
    assert_eq!(items.len(), 2);
    for item in items {
        assert_eq!(item["create"]["status"], 409);
        assert_eq!(
            item["create"]["error"]["type"],
            "version_conflict_engine_exception"
        );
    }

    let state = es.state();
    assert_eq!(state.docs("tars_stat_20240328").len(), 2);
    assert_eq!(
        state.write_counts()[&("tars_stat_20240328".to_owned(), "a".to_owned())],
        1
    );
    assert_eq!(state.bulk_requests(), 2);
    stop(es).await;
}

#[tokio::test]
async fn a_field_of_another_type_fails_only_its_item() {
    let es = start().await;
    let body = "{\"index\":{\"_id\":\"1\"}}\n{\"succ_count\":3}\n\
                {\"index\":{\"_id\":\"2\"}}\n{\"succ_count\":\"many\"}\n\
                {\"index\":{\"_id\":\"3\"}}\n{\"succ_count\":\"7\"}\n";
    let (status, reply) = call(&es, "POST", "/stats/_bulk", body).await;
    assert_eq!(status, 200);
    assert_eq!(reply["errors"], true);
    assert_eq!(reply["items"][0]["index"]["status"], 201);
    let failed = &reply["items"][1]["index"];
    assert_eq!(failed["status"], 400);
    assert_eq!(failed["error"]["type"], "mapper_parsing_exception");
    let reason = failed["error"]["reason"].as_str().expect("reason text");
    assert!(reason.contains("[succ_count]"), "{reason}");
    assert_eq!(reply["items"][2]["index"]["status"], 201);
    assert_eq!(es.state().docs("stats").len(), 2);
    stop(es).await;
}

#[tokio::test]
async fn a_data_stream_takes_only_creates_with_a_timestamp() {
    let es = start().await;
    let template = json!({"index_patterns": ["tars_notify_"], "data_stream": {}, "template": {}});
    let (status, ack) = call(
        &es,
        "PUT",
        "/_index_template/tars_notify_",
        &template.to_string(),
    )
    .await;
    assert_eq!((status, &ack), (200, &json!({"acknowledged": true})));

    let body = "{\"index\":{\"_index\":\"tars_notify_\"}}\n{\"@timestamp\":\"2024-03-28T00:00:00Z\"}\n\
                {\"create\":{\"_index\":\"tars_notify_\"}}\n{\"msg\":\"no time\"}\n\
                {\"create\":{\"_index\":\"tars_notify_\",\"_id\":\"n1\"}}\n{\"@timestamp\":\"2024-03-28T00:00:00Z\",\"msg\":\"ok\"}\n";
    let (status, reply) = call(&es, "POST", "/_bulk", body).await;
    assert_eq!(status, 200);
    assert_eq!(reply["items"][0]["index"]["status"], 400);
    assert_eq!(
        reply["items"][0]["index"]["error"]["type"],
        "illegal_argument_exception"
    );
    assert_eq!(reply["items"][1]["create"]["status"], 400);
    assert_eq!(
        reply["items"][1]["create"]["error"]["type"],
        "mapper_parsing_exception"
    );
    assert_eq!(reply["items"][2]["create"]["status"], 201);
    let backing = reply["items"][2]["create"]["_index"]
        .as_str()
        .expect("_index");
    assert!(backing.starts_with(".ds-tars_notify_-"), "{backing}");
    assert_eq!(es.state().docs("tars_notify_").len(), 1);
    stop(es).await;
}

#[tokio::test]
async fn a_composite_aggregation_pages_with_after() {
    let es = start().await;
    // Strings as keywords, as the services' templates map them (a dynamic `text` field cannot
    // be aggregated, on the fake as on a real cluster).
    let template = json!({
        "index_patterns": ["agg*"],
        "template": {"mappings": {"dynamic_templates": [
            {"strings": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}}
        ]}}
    });
    let (status, _) = call(&es, "PUT", "/_index_template/agg", &template.to_string()).await;
    assert_eq!(status, 200);
    let docs = [
        json!({"svc": "a", "n": 1}),
        json!({"svc": "a", "n": 2}),
        json!({"svc": "b", "n": 4}),
        json!({"svc": "c", "n": 5}),
        json!({"svc": "c", "n": 0}),
        json!({"n": 9}),
    ];
    let mut body = String::new();
    for (i, doc) in docs.iter().enumerate() {
        writeln!(body, "{{\"index\":{{\"_id\":\"{i}\"}}}}\n{doc}").expect("write to a String");
    }
    let (status, _) = call(&es, "POST", "/agg/_bulk", &body).await;
    assert_eq!(status, 200);

    let mut after: Option<Value> = None;
    let mut seen = Vec::new();
    for _page in 0..10 {
        let mut composite = json!({"size": 2, "sources": [{"svc": {"terms": {"field": "svc"}}}]});
        if let Some(after) = &after {
            composite["after"] = after.clone();
        }
        let search = json!({
            "size": 0,
            "query": {"bool": {"filter": [{"range": {"n": {"gte": 1}}}]}},
            "aggs": {"g": {"composite": composite, "aggs": {"total": {"sum": {"field": "n"}}}}}
        });
        let (status, reply) = call(&es, "POST", "/agg/_search", &search.to_string()).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["hits"]["total"]["value"], 5);
        assert_eq!(reply["hits"]["hits"], json!([]));
        let buckets = reply["aggregations"]["g"]["buckets"]
            .as_array()
            .expect("buckets");
        if buckets.is_empty() {
            assert!(reply["aggregations"]["g"].get("after_key").is_none());
            break;
        }
        for bucket in buckets {
            seen.push((
                bucket["key"]["svc"].clone(),
                bucket["total"]["value"].clone(),
            ));
        }
        after = Some(reply["aggregations"]["g"]["after_key"].clone());
    }
    assert_eq!(
        seen,
        vec![
            (json!("a"), json!(3.0)),
            (json!("b"), json!(4.0)),
            (json!("c"), json!(5.0)),
        ]
    );
    let (status, _) = call(&es, "POST", "/plain/_bulk", &body).await;
    assert_eq!(status, 200);
    let text_agg = json!({"size": 0, "aggs": {"g": {"composite": {
        "sources": [{"svc": {"terms": {"field": "svc"}}}]
    }}}});
    let (status, reply) = call(&es, "POST", "/plain/_search", &text_agg.to_string()).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["error"]["type"], "illegal_argument_exception");
    stop(es).await;
}

#[tokio::test]
async fn a_reset_fault_closes_the_connection_without_storing() {
    let es = start().await;
    let body = "{\"index\":{\"_index\":\"r\",\"_id\":\"1\"}}\n{\"n\":1}\n";
    es.state().push_fault(Fault::Reset);
    let result = timeout(
        STEP,
        send(es.addr(), "POST", "/_bulk", "application/x-ndjson", body),
    )
    .await
    .expect("the connection is closed, not left hanging");
    assert!(result.is_err(), "expected no answer, got {result:?}");
    assert_eq!(es.state().doc_count(), 0);
    assert_eq!(es.state().bulk_requests(), 1);

    let (status, reply) = call(&es, "POST", "/_bulk", body).await;
    assert_eq!((status, &reply["errors"]), (200, &json!(false)));
    assert_eq!(es.state().doc_count(), 1);
    stop(es).await;
}

#[tokio::test]
async fn a_status_fault_rejects_the_whole_request() {
    let es = start().await;
    es.state().push_fault(Fault::Status(429));
    let body = "{\"index\":{\"_index\":\"s\",\"_id\":\"1\"}}\n{\"n\":1}\n";
    let (status, reply) = call(&es, "POST", "/_bulk", body).await;
    assert_eq!(status, 429);
    assert_eq!(reply["error"]["type"], "es_rejected_execution_exception");
    assert_eq!(reply["status"], 429);
    assert_eq!(es.state().doc_count(), 0);
    stop(es).await;
}

#[tokio::test]
async fn a_restart_on_the_same_port_keeps_the_data() {
    let es = start().await;
    let body = "{\"index\":{\"_index\":\"keep\",\"_id\":\"1\"}}\n{\"n\":1}\n";
    let (status, _) = call(&es, "POST", "/_bulk", body).await;
    assert_eq!(status, 200);
    let (addr, state) = (es.addr(), es.state());
    stop(es).await;
    let refused = timeout(STEP, TcpStream::connect(addr))
        .await
        .expect("connect does not hang");
    assert!(refused.is_err(), "the port is closed during the outage");

    let es = timeout(STEP, FakeEs::start_on(addr, state))
        .await
        .expect("binding does not hang")
        .expect("the port can be bound again");
    let (status, reply) = call(&es, "GET", "/keep/_count", "").await;
    assert_eq!((status, &reply["count"]), (200, &json!(1)));
    let (status, missing) = call(&es, "GET", "/nope/_search", "").await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"]["type"], "index_not_found_exception");
    stop(es).await;
}
