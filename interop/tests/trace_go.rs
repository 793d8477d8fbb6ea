//! Call chains end to end with real TarsGo services (`interop/go/bin/tars-go-trace`,
//! TarsGo v1.4.6): a TarsGo server `<App>.TraceServer` whose `FrontObj.hello` calls `BackObj.world`
//! twice, and a TarsGo client `<App>.TraceClient` that calls `hello` three times, each with a
//! trace of its own (type `f`: every line carries its data). Both resolve everything through
//! `tarsplane up`'s registry and send their `_t_trace_` lines to its `LogObj`; the answers of
//! `tars.tarslog.TopologyObj` are checked call by call: the chain of one trace, the server and
//! function graphs summed over the three, the function list and the trace lists. Once on the
//! embedded SQLite store and once on the real OpenSearch node (`TARS_ES_URL`, set by
//! `scripts/test`; without it that variant is skipped with a printed reason, or fails under
//! `TARSPLANE_REQUIRE_REAL_BACKENDS=1`).
//!
//! The Node clients cannot take part: `@tars/rpc` 2.0.15 writes no trace lines (it sets only
//! the dyeing bit of `iMessageType` and never the trace bit 0x100 or `STATUS_TRACE_KEY`).
//!
//! What TarsGo writes (`tars/logger.go` `Trace`, tars2go's generated stubs): `cs`/`cr` with
//! client = the caller's module and server = the callee object; `sr`/`ss` with client = the
//! callee's own module (TarsCpp: empty) and server = the callee object; span ids of 16 hex
//! digits; `cr`'s ret is the answer's `iRet`; data is base64 JSON (`{"name":"caller 0"}`, and
//! `{"":<ret>,"greeting":...}` for results).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tars_rpc::interfaces::topology::{Edge, Graph, Vertex};
use tarsplane_interop::child::JsonChild;
use tarsplane_interop::go::go_trace;
use tarsplane_interop::plane::Up;
use tarsplane_interop::poll::{Patience, poll};
use tarsplane_interop::topology::Topology;
use tokio::process::Command;

const TOPOLOGY: &str = "tars.tarslog.TopologyObj";
/// base64 of `{"name":"caller 0"}`, what the first call's `cs` and `sr` lines carry.
const CALLER_0: &str = "eyJuYW1lIjoiY2FsbGVyIDAifQ==";

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn today_utc() -> String {
    aggregate::MinuteClock::from_name("UTC")
        .expect("utc")
        .now()
        .date
}

async fn run(program: &Path, args: &[&str], label: &str, up: &Up) -> JsonChild {
    let mut command = Command::new(program);
    command.args(args);
    JsonChild::start(command, label, up.dir(), Duration::from_secs(30)).await
}

fn vertex(vertex: &str, call_count: i64) -> (String, i64) {
    (vertex.to_owned(), call_count)
}

fn vertices(graph: &Graph) -> Vec<(String, i64)> {
    graph
        .vs
        .iter()
        .map(|v: &Vertex| (v.vertex.clone(), v.call_count))
        .collect()
}

fn edges(graph: &Graph) -> Vec<(String, String, i64, i32)> {
    graph
        .es
        .iter()
        .map(|e: &Edge| {
            (
                e.from_vertex.clone(),
                e.to_vertex.clone(),
                e.call_count,
                e.order,
            )
        })
        .collect()
}

/// What a run produced: the plane, the two Go processes, the trace and root span ids the client
/// printed, and the names the checks use.
struct Run {
    up: Up,
    serve: JsonChild,
    call: JsonChild,
    traces: Vec<String>,
    roots: Vec<String>,
    topology: Topology,
    day: String,
    app: String,
    server: String,
    client: String,
    hello: String,
    world: String,
}

/// Runs the TarsGo pair against `tarsplane up` configured by `store` and checks every
/// `TopologyObj` method.
async fn call_chains_through_topology(store: impl FnOnce(&mut tarsplane::up::Options)) {
    let run = start(store).await;
    check_summaries(&run).await;
    check_chain(&run).await;
    check_graphs(&run).await;
    check_file(&run);
    run.call.finish().await;
    run.serve.finish().await;
    run.up.stop().await;
}

/// Starts `tarsplane up`, the TarsGo server and the TarsGo client making three traced calls.
async fn start(store: impl FnOnce(&mut tarsplane::up::Options)) -> Run {
    let app = format!("Tr{}", std::process::id());
    let (front_port, back_port) = (free_port(), free_port());
    let front = format!("{app}.TraceServer.FrontObj");
    let back = format!("{app}.TraceServer.BackObj");
    let registry = format!(
        "apiVersion: k8s.tars.io/v1beta3
kind: TFrameworkConfig
metadata: {{name: tars-framework}}
upChain:
  {front}: [{{host: 127.0.0.1, port: {front_port}}}]
  {back}: [{{host: 127.0.0.1, port: {back_port}}}]
"
    );
    let up = Up::with_files(&[("registry.yaml", &registry)], |o| {
        o.log.time_zone = "UTC".into();
        o.trace.poll_ms = 100;
        o.trace.graph_write_ms = 200;
        o.trace.quiet_ms = 1_500;
        o.trace.incomplete_wait_ms = 3_000;
        store(o);
    })
    .await;
    let adapter = |name: &str, port: u16| {
        [
            format!("<{app}.TraceServer.{name}Adapter>"),
            format!("  endpoint = tcp -h 127.0.0.1 -p {port} -t 60000"),
            format!("  servant = {app}.TraceServer.{name}"),
            "  protocol = tars".to_owned(),
            "  threads = 1".to_owned(),
            format!("</{app}.TraceServer.{name}Adapter>"),
        ]
    };
    let adapters: Vec<String> = adapter("FrontObj", front_port)
        .into_iter()
        .chain(adapter("BackObj", back_port))
        .collect();
    let adapters: Vec<&str> = adapters.iter().map(String::as_str).collect();
    let server_conf = up.server_config("trace-server", (&app, "TraceServer"), &[], &adapters);
    let client_conf = up.server_config("trace-client", (&app, "TraceClient"), &[], &[]);
    let program = go_trace();
    let serve = run(
        &program,
        &["serve", &server_conf.to_string_lossy()],
        "tars-go-trace-serve",
        &up,
    )
    .await;
    let call = run(
        &program,
        &["call", &client_conf.to_string_lossy(), &front, "3"],
        "tars-go-trace-call",
        &up,
    )
    .await;
    let ids = |key: &str| -> Vec<String> {
        call.json()[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (traces, roots) = (ids("traces"), ids("spans"));
    assert_eq!((traces.len(), roots.len()), (3, 3), "{}", call.json());
    let topology = Topology::connect(up.addr(TOPOLOGY)).await;
    let server = format!("{app}.TraceServer");
    Run {
        client: format!("{app}.TraceClient"),
        hello: format!("{server}.hello"),
        world: format!("{server}.world"),
        day: today_utc(),
        up,
        serve,
        call,
        traces,
        roots,
        topology,
        app,
        server,
    }
}

/// `listTraceSummary` and `listTrace`: the three traces, newest first, by server and by client.
async fn check_summaries(run: &Run) {
    let Run {
        topology,
        day,
        app,
        server,
        client,
        traces,
        ..
    } = run;

    // The three traces close a quiet time after their last line and become documents.
    let mut summaries = Vec::new();
    poll(
        Patience::within(Duration::from_secs(30)),
        Duration::from_millis(200),
        async || {
            summaries = topology
                .list_trace_summary(day, (0, i64::MAX), server)
                .await
                .1;
            summaries.len() == 3
        },
    )
    .await;
    let listed: BTreeSet<&str> = summaries.iter().map(|s| s.name.as_str()).collect();
    let want: BTreeSet<&str> = traces.iter().map(String::as_str).collect();
    assert_eq!(listed, want, "{summaries:?}");
    assert!(
        summaries
            .windows(2)
            .all(|w| w[0].start_time >= w[1].start_time),
        "newest first: {summaries:?}"
    );
    assert!(
        summaries
            .iter()
            .all(|s| 0 < s.start_time && s.start_time <= s.end_time)
    );
    let first = summaries
        .iter()
        .find(|s| s.name == traces[0])
        .expect("first trace");
    let window = (first.start_time, first.start_time);
    let (_, only_first) = topology.list_trace_summary(day, window, server).await;
    assert!(
        only_first.iter().any(|s| s.name == traces[0]),
        "{only_first:?}"
    );
    let (_, by_client) = topology
        .list_trace_summary(day, (0, i64::MAX), client)
        .await;
    assert_eq!(
        by_client.len(),
        3,
        "the client is the root call's master: {by_client:?}"
    );
    let (_, nobody) = topology
        .list_trace_summary(day, (0, i64::MAX), &format!("{app}.Nobody"))
        .await;
    assert!(nobody.is_empty(), "{nobody:?}");
    let (_, listed) = topology.list_trace(day, server).await;
    assert_eq!(
        listed.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        want
    );
}

/// `graphTrace`: one trace's chain: client → hello (depth 1) → world twice (depth 2, one edge,
/// two calls).
async fn check_chain(run: &Run) {
    let Run {
        topology,
        day,
        client,
        hello,
        world,
        traces,
        roots,
        ..
    } = run;
    let (ret, chain) = topology.graph_trace(day, &traces[0]).await;
    assert_eq!(ret, 0);
    assert_eq!(
        vertices(&chain),
        [vertex(client, 1), vertex(hello, 1), vertex(world, 2)],
        "{chain:?}"
    );
    assert_eq!(
        edges(&chain),
        [
            (client.clone(), hello.clone(), 1, 1),
            (hello.clone(), world.clone(), 2, 2)
        ],
        "{chain:?}"
    );
    let root = &chain.es[0];
    assert_eq!(root.span_id, roots[0], "the root span id TarsGo made");
    assert_eq!(
        (root.cs_data.as_str(), root.sr_data.as_str()),
        (CALLER_0, CALLER_0)
    );
    assert!(
        !root.cr_data.is_empty() && !root.ss_data.is_empty(),
        "{root:?}"
    );
    assert!(
        root.cs_time <= root.sr_time
            && root.sr_time <= root.ss_time
            && root.ss_time <= root.cr_time,
        "{root:?}"
    );
    assert_eq!(root.ret, "0");
    assert!(
        chain.es[1].span_id.len() == 16 && chain.es[1].span_id != roots[0],
        "{chain:?}"
    );
    let (_, missing) = topology.graph_trace(day, "f-no-such-trace").await;
    assert_eq!(missing, Graph::default());
}

/// `graphServer`, `graphFunction`, `listFunction`: graphs summed over the three traces (written
/// every `graph_write_ms`).
async fn check_graphs(run: &Run) {
    let Run {
        topology,
        day,
        app,
        server,
        client,
        hello,
        world,
        ..
    } = run;
    let mut servers = Vec::new();
    poll(
        Patience::within(Duration::from_secs(10)),
        Duration::from_millis(200),
        async || {
            servers = topology.graph_server(day, server).await.1;
            servers.len() == 1 && edges(&servers[0]).first().is_some_and(|e| e.2 == 3)
        },
    )
    .await;
    assert_eq!(servers.len(), 1, "one shape: {servers:?}");
    assert_eq!(
        vertices(&servers[0]),
        [vertex(client, 3), vertex(server, 9)],
        "{servers:?}"
    );
    assert_eq!(
        edges(&servers[0]),
        [
            (client.clone(), server.clone(), 3, 0),
            (server.clone(), server.clone(), 6, 0)
        ],
        "order is 0 in graphServer answers: {servers:?}"
    );
    let (_, functions) = topology.graph_function(day, world).await;
    assert_eq!(functions.len(), 1, "{functions:?}");
    assert_eq!(
        vertices(&functions[0]),
        [vertex(client, 3), vertex(hello, 3), vertex(world, 6)]
    );
    assert_eq!(
        edges(&functions[0]),
        [
            (client.clone(), hello.clone(), 3, 0),
            (hello.clone(), world.clone(), 6, 0)
        ],
        "{functions:?}"
    );
    let (_, names) = topology.list_function(day, server).await;
    assert_eq!(names, [hello.clone(), world.clone()]);
    let (_, none) = topology.graph_server(day, &format!("{app}.Nobody")).await;
    assert!(none.is_empty());
}

/// The trace file is still written as before, every line of every trace in it.
fn check_file(run: &Run) {
    let Run {
        up, day, traces, ..
    } = run;
    let file = up
        .options()
        .log
        .log_path
        .join(format!("_tars_/_trace_/_tars_._trace___t_trace__{day}.log"));
    let text = tarsplane_interop::read_lossy(&file);
    for trace in traces {
        assert_eq!(
            text.matches(trace.as_str()).count(),
            12,
            "{trace}: 3 calls x 4 lines"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_call_chains_on_sqlite() {
    call_chains_through_topology(|_| {}).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarsgo_call_chains_on_opensearch() {
    let Some(url) = tars_test::real_es::url() else {
        return;
    };
    call_chains_through_topology(|o| {
        o.sink.elasticsearch.nodes = vec![url];
        o.sink.elasticsearch.flush_interval_ms = 10;
    })
    .await;
}
