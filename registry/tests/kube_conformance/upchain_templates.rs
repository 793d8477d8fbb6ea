//! The `tars-framework` upChain and TTemplates, followed as their objects change.

use registry::Metrics;
use registry::answer::Address;
use registry::model::{Kind, Template};
use registry::source::kubernetes::api_resource;
use serde_json::json;
use tars_test::kube_target::{KubeTarget, Needs};
use tokio_util::sync::CancellationToken;

use crate::harness::{
    apply, apply_status, config, create, delete, eventually_eq, hosts, owned, start, stop,
    tars_api, tendpoints,
};
use crate::objects::{HELLO, conform_tendpoint, framework_config, status_pods, ttemplate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_chain_and_templates_come_from_the_cluster() {
    for target in KubeTarget::all(Needs::TarsCrds).await {
        eprintln!("-- on the {}", target.name());
        up_chain_and_templates(&target).await;
    }
}

/// The `tars.cpp` template's content.
const TEMPLATE: &str = "<tars>\n  <application>\n  </application>\n</tars>\n";

/// Two `TFrameworkConfig` objects, template `tars.cpp` and TEndpoint `test-hello` with one pod.
async fn create_up_chain_objects(target: &KubeTarget) {
    let configs = tars_api(target, &api_resource(Kind::FrameworkConfig));
    let templates = tars_api(target, &api_resource(Kind::Template));
    let tendpoints = tendpoints(target);
    create(
        &configs,
        framework_config("tars-framework", "up-default", 1),
    )
    .await;
    create(
        &configs,
        framework_config("not-tars-framework", "up-ignored", 9),
    )
    .await;
    create(&templates, ttemplate("tars.cpp", "tars.default", TEMPLATE)).await;
    let mut hello = conform_tendpoint("test-hello", 10_000);
    hello["spec"]["app"] = json!("Test");
    hello["spec"]["server"] = json!("Hello");
    hello["spec"]["tars"]["servants"][0]["name"] = json!("HelloObj");
    create(&tendpoints, hello).await;
    apply_status(
        &tendpoints,
        "test-hello",
        status_pods(&["test-hello-0"], &[]),
    )
    .await;
}

async fn up_chain_and_templates(target: &KubeTarget) {
    let configs = tars_api(target, &api_resource(Kind::FrameworkConfig));
    let templates = tars_api(target, &api_resource(Kind::Template));
    create_up_chain_objects(target).await;
    let content = TEMPLATE;

    let shutdown = CancellationToken::new();
    let service = start(target, &config(), Metrics::default(), &shutdown).await;
    let lookup = |id: &str| service.registry.snapshot().resolve(id);
    let up_other = Address {
        host: "up-other".into(),
        port: 2,
        timeout: 10,
        tcp: false,
    };
    let up_default = |host: &str, port: i32| Address {
        host: host.into(),
        port,
        timeout: 6000,
        tcp: true,
    };
    eventually_eq(
        target,
        "the TEndpoint's status is served",
        &(owned(&["test-hello-0.test-hello:10000"]), vec![]),
        || async { hosts(&service, HELLO) },
    )
    .await;
    assert_eq!(
        lookup("Other.App.Obj"),
        (vec![up_other.clone()], Vec::new())
    );
    assert_eq!(
        lookup("No.Such.Obj"),
        (vec![up_default("up-default", 1)], Vec::new()),
        "ids without their own list take `default`, with the CRD's defaults"
    );
    assert_eq!(lookup("NotAnId"), (Vec::new(), Vec::new()));
    let expected = Template {
        name: "tars.cpp".into(),
        parent: "tars.default".into(),
        content: content.into(),
    };
    assert_eq!(
        service.registry.snapshot().template("tars.cpp").cloned(),
        Some(expected)
    );

    // Another TFrameworkConfig changes nothing; `tars-framework` changes the chain.
    apply(
        &configs,
        "not-tars-framework",
        framework_config("not-tars-framework", "up-ignored-2", 8),
    )
    .await;
    apply(
        &configs,
        "tars-framework",
        framework_config("tars-framework", "up-default-2", 3),
    )
    .await;
    eventually_eq(
        target,
        "the changed upChain is served",
        &(vec![up_default("up-default-2", 3)], Vec::new()),
        || async { lookup("No.Such.Obj") },
    )
    .await;
    assert_eq!(lookup("Other.App.Obj"), (vec![up_other], Vec::new()));

    // Templates come and go with their objects.
    create(&templates, ttemplate("tars.go", "tars.default", "<tars/>")).await;
    eventually_eq(target, "an added template is known", &true, || async {
        service.registry.snapshot().template("tars.go").is_some()
    })
    .await;
    delete(&templates, "tars.go").await;
    eventually_eq(target, "a deleted template is forgotten", &true, || async {
        service.registry.snapshot().template("tars.go").is_none()
    })
    .await;
    assert!(service.registry.snapshot().template("tars.cpp").is_some());

    // Without `tars-framework` there is no upChain.
    delete(&configs, "tars-framework").await;
    eventually_eq(
        target,
        "the upChain is gone",
        &(Vec::new(), Vec::new()),
        || async { lookup("No.Such.Obj") },
    )
    .await;

    stop(&service, &shutdown).await;
}
