//! API edge cases where the fake once answered differently: create with server metadata,
//! strategic merge on a custom resource, deletion replies, a missing namespace, graceful pod
//! deletion.

use std::fmt::Debug;

use kube::Api;
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use registry::model::Kind;
use registry::source::kubernetes::api_resource;
use serde_json::json;
use tars_test::kube_target::{KubeTarget, Needs};

use crate::harness::{pods, tars_api};
use crate::objects::{hello_pod, ttemplate};

/// A TTemplate object.
fn template_object(name: &str) -> DynamicObject {
    serde_json::from_value(ttemplate(name, "tars.default", "<tars/>")).expect("a dynamic object")
}

/// The HTTP code of an API error.
fn code<T: Debug>(result: Result<T, kube::Error>) -> u16 {
    match result {
        Err(kube::Error::Api(status)) => status.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_cases_answer_as_the_api_server_does() {
    for target in KubeTarget::all(Needs::TarsCrds).await {
        eprintln!("-- on the {}", target.name());
        edge_cases(&target).await;
    }
}

async fn edge_cases(target: &KubeTarget) {
    let templates = tars_api(target, &api_resource(Kind::Template));
    let pods = pods(target);

    // A create carrying a resourceVersion is refused (500); uid and creationTimestamp given
    // by the client are replaced.
    let mut versioned = template_object("versioned");
    versioned.metadata.resource_version = Some("5".to_owned());
    assert_eq!(
        code(templates.create(&PostParams::default(), &versioned).await),
        500
    );
    let mut stamped = template_object("stamped");
    stamped.metadata.uid = Some("11111111-1111-1111-1111-111111111111".to_owned());
    stamped.metadata.creation_timestamp =
        serde_json::from_value(json!("2020-01-01T00:00:00Z")).expect("a time");
    let created = templates
        .create(&PostParams::default(), &stamped)
        .await
        .expect("create");
    assert_ne!(created.metadata.uid, stamped.metadata.uid);
    assert_ne!(
        created.metadata.creation_timestamp,
        stamped.metadata.creation_timestamp
    );

    // Strategic merge patch is for built-in types only.
    assert_eq!(
        code(
            templates
                .patch(
                    "stamped",
                    &PatchParams::default(),
                    &Patch::Strategic(json!({"spec": {"content": "<x/>"}})),
                )
                .await
        ),
        415
    );

    // Deleting a custom resource at once answers a Status, a pod its last state.
    let deleted = templates
        .delete("stamped", &DeleteParams::default())
        .await
        .expect("delete");
    assert!(deleted.is_right(), "a Status: {deleted:?}");

    // Nothing is created in a namespace that does not exist.
    let elsewhere: Api<DynamicObject> = Api::namespaced_with(
        target.client(),
        &format!("{}-missing", target.namespace()),
        &api_resource(Kind::Template),
    );
    assert_eq!(
        code(
            elsewhere
                .create(&PostParams::default(), &template_object("t"))
                .await
        ),
        404
    );

    // An unbound pod goes at once; a pod bound to a node waits for its kubelet.
    let mut unbound = hello_pod("unbound");
    unbound.metadata.finalizers = None;
    pods.create(&PostParams::default(), &unbound)
        .await
        .expect("create");
    let gone = pods
        .delete("unbound", &DeleteParams::default())
        .await
        .expect("delete");
    assert!(gone.is_left(), "the pod: {gone:?}");
    assert!(pods.get_opt("unbound").await.expect("get").is_none());
    let mut bound = hello_pod("bound");
    bound.metadata.finalizers = None;
    if let Some(spec) = bound.spec.as_mut() {
        spec.node_name = Some("node-1".to_owned());
    }
    pods.create(&PostParams::default(), &bound)
        .await
        .expect("create");
    pods.delete("bound", &DeleteParams::default())
        .await
        .expect("delete");
    let terminating = pods.get("bound").await.expect("the pod stays");
    assert!(terminating.metadata.deletion_timestamp.is_some());
    assert_eq!(terminating.metadata.deletion_grace_period_seconds, Some(30));
    pods.delete("bound", &DeleteParams::default().grace_period(0))
        .await
        .expect("delete at once");
    assert!(pods.get_opt("bound").await.expect("get").is_none());
}
