//! Watch-event-to-lookup latency with a large registry (issue 4 bar: a watch event is visible
//! to lookups within 10 ms with 100 k TEndpoints). Loads N TEndpoints into the in-process fake
//! Kubernetes API (`tars_test::fake_kube`), starts the registry on it, then changes one
//! TEndpoint's port M times and measures from the write to the first lookup that answers the
//! new port. The fake and the registry share this process (and its two cores).
//!
//! `cargo run --release -p tarsplane-bench --example registry_watch -- [N] [M]`

use std::time::{Duration, Instant};

use tars_test::fake_kube::FakeKube;
use tarsplane_bench::registry_fixture::tendpoint;
use tokio_util::sync::CancellationToken;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().ok());
    let n = args.next().flatten().unwrap_or(100_000);
    let m = args.next().flatten().unwrap_or(50);
    let kube = FakeKube::start().await.expect("fake kube");
    let state = kube.state();
    for plural in [
        ("tendpoints", "TEndpoint"),
        ("ttemplates", "TTemplate"),
        ("tframeworkconfigs", "TFrameworkConfig"),
    ] {
        state.register("k8s.tars.io", "v1beta3", plural.0, plural.1, true);
    }
    for i in 0..n {
        state.upsert("tendpoints", tendpoint(i));
    }
    let mut config = kube::Config::new(kube.url().parse().expect("url"));
    config.default_namespace = "tars".into();
    let client = kube::Client::try_from(config).expect("client");
    let registry_config = registry::Config {
        initial_sync_timeout_secs: 600,
        reconciler: registry::ReconcilerConfig {
            enabled: false,
            ..registry::ReconcilerConfig::default()
        },
        ..registry::Config::default()
    };
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let service = registry::start(
        &registry_config,
        Some(registry::Kubernetes {
            client,
            namespace: "tars".into(),
        }),
        registry::Metrics::default(),
        shutdown.clone(),
    )
    .await
    .expect("registry");
    println!(
        "initial list of {n} TEndpoints: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let mut latencies = Vec::with_capacity(m);
    for round in 0..m {
        let port = 20_000 + i32::try_from(round).unwrap_or(0);
        let mut object = tendpoint(0);
        object["spec"]["tars"]["servants"][0]["port"] = port.into();
        let written = Instant::now();
        state.upsert("tendpoints", object);
        let registry = service.registry.clone();
        let seen = tokio::task::spawn_blocking(move || {
            // Poll the snapshot the way a lookup reads it, yielding the core between reads.
            while registry
                .snapshot()
                .server("test-helloserver")
                .map(|s| s.servants[0].port)
                != Some(port)
            {
                assert!(
                    written.elapsed() < Duration::from_secs(10),
                    "change not seen"
                );
                std::thread::yield_now();
            }
            written.elapsed()
        });
        let latency = seen.await.expect("poller");
        latencies.push(latency);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "watch event -> lookup with {n} TEndpoints over {m} changes: p50 {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        ms(latencies[m / 2]),
        ms(latencies[m * 9 / 10]),
        ms(latencies[m - 1])
    );
    shutdown.cancel();
    service.closed().await;
}
