//! Lookups following TEndpoints created, given a status through `/status` (server-side
//! apply), changed and deleted.

use registry::Metrics;
use serde_json::json;
use tars_test::kube_target::{KubeTarget, Needs};
use tokio_util::sync::CancellationToken;

use crate::harness::{
    apply, apply_status, config, create, delete, eventually_eq, hosts, owned, read, start, stop,
    tendpoints,
};
use crate::objects::{conform_tendpoint, status_pods};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_follow_tendpoints_written_through_the_api() {
    for target in KubeTarget::all(Needs::TarsCrds).await {
        eprintln!("-- on the {}", target.name());
        lookups_follow_tendpoints(&target).await;
    }
}

async fn lookups_follow_tendpoints(target: &KubeTarget) {
    let api = tendpoints(target);
    let name = "conform-ance";
    let shutdown = CancellationToken::new();
    let service = start(target, &config(), Metrics::default(), &shutdown).await;
    let id = "Conform.Ance.ConformObj";

    create(&api, conform_tendpoint(name, 7001)).await;
    eventually_eq(target, "the created TEndpoint is known", &true, || async {
        service.registry.snapshot().server(name).is_some()
    })
    .await;
    assert_eq!(
        hosts(&service, id),
        (vec![], vec![]),
        "without status: a server with no pods"
    );

    apply_status(
        &api,
        name,
        status_pods(&["conform-ance-1"], &["conform-ance-0"]),
    )
    .await;
    let split = (
        owned(&["conform-ance-1.conform-ance:7001"]),
        owned(&["conform-ance-0.conform-ance:7001"]),
    );
    eventually_eq(target, "pods split by state", &split, || async {
        hosts(&service, id)
    })
    .await;

    apply(&api, name, conform_tendpoint(name, 7002)).await;
    apply_status(
        &api,
        name,
        status_pods(&["conform-ance-0", "conform-ance-1"], &[]),
    )
    .await;
    let moved = (
        owned(&[
            "conform-ance-0.conform-ance:7002",
            "conform-ance-1.conform-ance:7002",
        ]),
        vec![],
    );
    eventually_eq(
        target,
        "the new port and both pods active",
        &moved,
        || async { hosts(&service, id) },
    )
    .await;
    let stored = read(&api, name).await.expect("the TEndpoint exists");
    assert_eq!(
        stored.pointer("/spec/tars/servants/0/port"),
        Some(&json!(7002)),
        "the applied spec is stored: {stored:#}"
    );

    delete(&api, name).await;
    eventually_eq(target, "gone", &false, || async {
        service.registry.snapshot().server(name).is_some()
    })
    .await;
    stop(&service, &shutdown).await;
}
