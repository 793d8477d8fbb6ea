//! The watches staying current while objects churn.

use prometheus_client::registry::Registry as Prometheus;
use registry::Metrics;
use registry::model::Kind;
use registry::source::kubernetes::api_resource;
use tars_test::kube_target::{KubeTarget, Needs};
use tokio_util::sync::CancellationToken;

use crate::harness::{
    apply, apply_status, config, create, delete, eventually_eq, hosts, metric, start, stop,
    tars_api, tendpoints,
};
use crate::objects::{conform_tendpoint, status_pods, ttemplate};

const SOURCE_UP: &str = r#"tars_registry_source_up{kind="tendpoint"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_stay_current_while_objects_churn() {
    for target in KubeTarget::all(Needs::TarsCrds).await {
        eprintln!("-- on the {}", target.name());
        watches_stay_current(&target).await;
    }
}

async fn watches_stay_current(target: &KubeTarget) {
    const ROUNDS: u16 = 40;
    let api = tendpoints(target);
    let templates = tars_api(target, &api_resource(Kind::Template));
    create(&api, conform_tendpoint("conform-ance", 7000)).await;
    let mut prometheus = Prometheus::default();
    let metrics = Metrics::register(&mut prometheus);
    let shutdown = CancellationToken::new();
    let service = start(target, &config(), metrics, &shutdown).await;

    // Every round changes the watched object twice, adds one and deletes the one before.
    for round in 0..ROUNDS {
        apply(
            &api,
            "conform-ance",
            conform_tendpoint("conform-ance", 7000 + round),
        )
        .await;
        let pod = format!("conform-ance-{round}");
        apply_status(&api, "conform-ance", status_pods(&[pod.as_str()], &[])).await;
        create(
            &api,
            conform_tendpoint(&format!("churn-{round}"), 8000 + round),
        )
        .await;
        create(
            &templates,
            ttemplate(&format!("churn-{round}"), "tars.default", "<tars/>"),
        )
        .await;
        if round > 0 {
            delete(&api, &format!("churn-{}", round - 1)).await;
            delete(&templates, &format!("churn-{}", round - 1)).await;
        }
    }
    let last = ROUNDS - 1;
    eventually_eq(
        target,
        "the last change is served",
        &(
            vec![format!("conform-ance-{last}.conform-ance:{}", 7000 + last)],
            vec![],
        ),
        || async { hosts(&service, "Conform.Ance.ConformObj") },
    )
    .await;
    eventually_eq(
        target,
        "only the last churned objects are left",
        &(2, true),
        || async {
            let snapshot = service.registry.snapshot();
            (
                snapshot.servers(),
                snapshot.server(&format!("churn-{last}")).is_some()
                    && snapshot.template(&format!("churn-{last}")).is_some()
                    && snapshot.template(&format!("churn-{}", last - 1)).is_none(),
            )
        },
    )
    .await;
    assert_eq!(metric(&prometheus, SOURCE_UP), Some(1), "no watch failed");

    // The watch is still open: a later change arrives too.
    delete(&api, &format!("churn-{last}")).await;
    apply_status(&api, "conform-ance", status_pods(&[], &["conform-ance-x"])).await;
    eventually_eq(
        target,
        "a change after the churn is served",
        &(
            vec![],
            vec![format!("conform-ance-x.conform-ance:{}", 7000 + last)],
        ),
        || async { hosts(&service, "Conform.Ance.ConformObj") },
    )
    .await;
    assert_eq!(service.registry.snapshot().servers(), 1);
    stop(&service, &shutdown).await;
}
