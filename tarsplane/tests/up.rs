//! `tarsplane up` in-process on OS-chosen ports with the SQLite store in a temporary directory:
//! every framework object listens and answers `tars_ping`; implemented services answer an unknown
//! function with -3, objects whose service is not in this build with -4, both with a clear
//! description.

use std::time::Duration;

use bytes::BytesMut;
use futures::StreamExt;
use tars_codec::{FrameCodec, RequestPacket, ResponsePacket};
use tarsplane::objects::FRAMEWORK_OBJECTS;
use tokio::io::AsyncWriteExt;
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

async fn call(addr: std::net::SocketAddr, object: &str, func: &str) -> (i32, String) {
    let p = RequestPacket::call(1, object.as_bytes(), func.as_bytes(), &[], 3000);
    let mut buf = BytesMut::new();
    p.write_frame(&mut buf, usize::MAX).expect("frame");
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (read, mut write) = stream.into_split();
    write.write_all(&buf).await.expect("write");
    let mut frames = FramedRead::new(read, FrameCodec::new());
    let frame = tokio::time::timeout(Duration::from_secs(5), frames.next())
        .await
        .expect("a reply within 5 s")
        .expect("a frame")
        .expect("valid frame");
    let r: ResponsePacket<'_> = tars_codec::from_slice(&frame).expect("response");
    (r.ret, String::from_utf8_lossy(r.result_desc).into_owned())
}

/// `up`'s embedded defaults in `dir`, on OS-chosen ports.
fn ephemeral(dir: &std::path::Path) -> tarsplane::up::Options {
    let mut options = tarsplane::up::Options::embedded("127.0.0.1".parse().expect("ip"), dir);
    options.ephemeral = true;
    options
}

/// Cancels `shutdown` and waits for the plane to stop.
async fn stop(shutdown: &CancellationToken, running: tokio::task::JoinHandle<()>) {
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("up stops on shutdown")
        .expect("task");
}

#[tokio::test]
async fn every_framework_object_listens_and_answers_tars_ping() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = ephemeral(dir.path());
    let plane = tarsplane::up::start(&options).await.expect("start");
    let served = plane.served.clone();
    assert_eq!(served.len(), FRAMEWORK_OBJECTS.len());
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(plane.run(shutdown.clone()));
    for s in &served {
        assert_eq!(
            call(s.addr, s.object, "tars_ping").await,
            (0, String::new()),
            "{}",
            s.object
        );
        let (ret, desc) = call(s.addr, s.object, "noSuchFunction").await;
        if s.implemented {
            assert_eq!(ret, -3, "{}", s.object);
            assert!(desc.contains("noSuchFunction"), "{desc}");
        } else {
            assert_eq!(ret, -4, "{}", s.object);
            assert!(desc.contains(s.object), "{desc}");
        }
    }
    // AdminReg answers the lower-case spelling on the same port.
    let adminreg = served
        .iter()
        .find(|s| s.object == "tars.tarsAdminRegistry.AdminRegObj")
        .expect("AdminRegObj");
    let (ret, desc) = call(
        adminreg.addr,
        "tars.tarsadminregistry.AdminRegObj",
        "noSuchFunction",
    )
    .await;
    assert_eq!(ret, -3, "{desc}");
    stop(&shutdown, running).await;
}

/// With nothing but the locator, a client finds every framework object: the registry routes
/// each to its local listener; the sample registry file is written on first start.
#[tokio::test]
async fn the_registry_resolves_every_framework_object_to_its_listener() {
    use tars_rpc::interfaces::query::{FindObjectByIdArgs, FindObjectByIdResult};

    let dir = tempfile::tempdir().expect("tempdir");
    let options = ephemeral(dir.path());
    let plane = tarsplane::up::start(&options).await.expect("start");
    assert!(dir.path().join("registry.yaml").exists(), "sample written");
    let served = plane.served.clone();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(plane.run(shutdown.clone()));
    let query = served
        .iter()
        .find(|s| s.object == "tars.tarsregistry.QueryObj")
        .expect("QueryObj")
        .addr;
    let client = tars_rpc::Client::connect(query).await.expect("connect");
    for s in &served {
        let args = FindObjectByIdArgs {
            id: s.object.as_bytes(),
        };
        let reply = client
            .call(
                "tars.tarsregistry.QueryObj",
                "findObjectById",
                &args,
                Duration::from_secs(5),
            )
            .await
            .expect("call");
        let result: FindObjectByIdResult<'_> = reply.decode().expect("decode");
        let found: Vec<(String, i32)> = result
            .endpoints
            .iter()
            .map(|e| (String::from_utf8_lossy(e.host).into_owned(), e.port))
            .collect();
        assert_eq!(
            found,
            [("127.0.0.1".to_owned(), i32::from(s.addr.port()))],
            "{}",
            s.object
        );
    }
    // The sample's upChain entry answers too.
    let args = FindObjectByIdArgs {
        id: b"Test.HelloServer.HelloObj",
    };
    let reply = client
        .call(
            "tars.tarsregistry.QueryObj",
            "findObjectById",
            &args,
            Duration::from_secs(5),
        )
        .await
        .expect("call");
    let result: FindObjectByIdResult<'_> = reply.decode().expect("decode");
    assert_eq!(result.endpoints[0].port, 10000);
    stop(&shutdown, running).await;
}

/// `tarsplane serve <service>`: only that service's objects listen and only what it needs
/// starts (no store for the registry).
#[tokio::test]
async fn one_service_runs_alone() {
    use tarsplane::objects::Service;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = ephemeral(dir.path());
    options.services = vec![Service::Registry];
    options.route_locally = false;
    let plane = tarsplane::up::start(&options).await.expect("start");
    let objects: Vec<&str> = plane.served.iter().map(|s| s.object).collect();
    assert_eq!(
        objects,
        [
            "tars.tarsregistry.QueryObj",
            "tars.tarsregistry.RegistryObj"
        ]
    );
    assert!(plane.sink().is_none() && plane.stat().is_none());
    assert!(plane.registry().expect("registry runs").readiness().ready);
    assert!(plane.admin_addr.is_some());
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(plane.run(shutdown.clone()));
    stop(&shutdown, running).await;

    let mut options = ephemeral(dir.path());
    options.services = vec![Service::Stat];
    let plane = tarsplane::up::start(&options).await.expect("start");
    let objects: Vec<&str> = plane.served.iter().map(|s| s.object).collect();
    assert_eq!(objects, ["tars.tarsstat.StatObj"]);
    assert!(plane.registry().is_none() && plane.property().is_none());
    assert!(plane.sink().is_some() && plane.stat().is_some());
}

/// `serve kevent` without a namespace is refused with the reason; `up` without one leaves
/// kevent out (every other object still listens, as the first test shows).
#[tokio::test]
async fn kevent_alone_needs_a_kubernetes_namespace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = ephemeral(dir.path());
    options.services = vec![tarsplane::objects::Service::KEvent];
    let error = tarsplane::up::start(&options)
        .await
        .expect_err("no namespace");
    assert!(
        error.to_string().contains("kubernetes_namespace"),
        "{error}"
    );
}
