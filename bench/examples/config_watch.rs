//! Watch-event-to-answer latency of the config service with 10 k TConfigs (issue 19 bar: a
//! config update is visible to the next call within 10 ms, p99). Loads N TConfigs into the
//! in-process fake Kubernetes API (`tars_test::fake_kube`), starts the config service on it,
//! then changes one server-level file M times and measures from the write to the first load
//! that answers the new content. The fake and the service share this process (and its cores).
//!
//! `cargo run --release -p tarsplane-bench --example config_watch -- [N] [M]`

use std::time::{Duration, Instant};

use tars_config::identity::Caller;
use tars_test::fake_kube::FakeKube;
use tarsplane_bench::config_fixture::{FILE, HOST, SERVER, tconfig};
use tokio_util::sync::CancellationToken;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().ok());
    let n = args.next().flatten().unwrap_or(10_000);
    let m = args.next().flatten().unwrap_or(200);
    let kube = FakeKube::start().await.expect("fake kube");
    let state = kube.state();
    state.register("k8s.tars.io", "v1beta3", "tconfigs", "TConfig", true);
    state.register("", "v1", "pods", "Pod", true);
    for i in 0..n {
        state.upsert("tconfigs", tconfig(i));
    }
    let mut config = kube::Config::new(kube.url().parse().expect("url"));
    config.default_namespace = "tars".into();
    let client = kube::Client::try_from(config).expect("client");
    let service_config = tars_config::Config {
        initial_sync_timeout_secs: 600,
        ..tars_config::Config::default()
    };
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let service = tars_config::start(
        &service_config,
        Some((client, "tars".into())),
        tars_config::Metrics::new(),
        shutdown.clone(),
    )
    .await
    .expect("config service");
    println!(
        "initial list of {n} TConfigs: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    // Object 7 * 5 is Server7's f0.conf, server level: the file the benchmarks load.
    let index = 7 * 5;
    let mut latencies = Vec::with_capacity(m);
    for round in 0..m {
        let content = format!("<bench>\n  round = {round}\n</bench>\n");
        let mut object = tconfig(index);
        object["configContent"] = content.clone().into();
        let written = Instant::now();
        state.upsert("tconfigs", object);
        let caller = Caller {
            host: HOST.as_bytes(),
            ..Caller::default()
        };
        loop {
            let snapshot = service.snapshot();
            let (loaded, _) = snapshot.load(b"Bench", SERVER.as_bytes(), FILE.as_bytes(), caller);
            if loaded.is_some_and(|l| l.master == content.as_bytes()) {
                break;
            }
            drop(snapshot);
            assert!(
                written.elapsed() < Duration::from_secs(10),
                "change not seen"
            );
            tokio::task::yield_now().await;
        }
        latencies.push(written.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |percent: usize| latencies[(m * percent / 100).min(m - 1)];
    println!(
        "watch event -> answer with {n} TConfigs over {m} changes: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(at(50)),
        ms(at(99)),
        ms(latencies[m - 1])
    );
    shutdown.cancel();
    service.closed().await;
}
