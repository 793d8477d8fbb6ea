//! The Kubernetes API servers a conformance test runs against: the in-process fake
//! ([`crate::fake_kube`]) and, when `KUBECONFIG` is set, the real API server it names. Each
//! [`KubeTarget`] is a `kube::Client` and a namespace of its own, created through the API
//! (`tarsplane-test-<pid>-<counter>`), so a test drives both the same way and never waits for a
//! namespace deletion (a bare API server without controllers never finishes one).
//!
//! Without `KUBECONFIG` the real part is skipped with a printed reason, unless
//! `TARSPLANE_REQUIRE_REAL_BACKENDS=1` (set by `scripts/test`), which makes it a failure. With
//! [`Needs::TarsCrds`], a real server without the chart's `k8s.tars.io/v1beta3` CRDs is a
//! failure that says to install them.
//!
//! # Examples
//!
//! ```no_run
//! # async fn demo() {
//! use tars_test::kube_target::{KubeTarget, Needs};
//!
//! for target in KubeTarget::all(Needs::TarsCrds).await {
//!     let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
//!         kube::Api::namespaced(target.client(), target.namespace());
//!     // ... the same test code on the fake and on the real server ...
//! #   drop(pods);
//! }
//! # }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};

use crate::fake_kube::{FakeKube, FakeKubeState};

pub use crate::real_es::REQUIRE_REAL_BACKENDS;

/// The CRDs' group and version.
pub const TARS_GROUP_VERSION: &str = "k8s.tars.io/v1beta3";

/// The TARS resource types: `(plural, kind)`.
pub const TARS_KINDS: [(&str, &str); 5] = [
    ("tservers", "TServer"),
    ("tendpoints", "TEndpoint"),
    ("ttemplates", "TTemplate"),
    ("tframeworkconfigs", "TFrameworkConfig"),
    ("tconfigs", "TConfig"),
];

/// What a test needs from a real API server besides the built-in types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Built-in types only (pods, leases, namespaces).
    BuiltIn,
    /// The chart's `k8s.tars.io/v1beta3` CRDs too: a real server without them fails the test.
    TarsCrds,
}

/// One API server under test, with a fresh namespace.
pub struct KubeTarget {
    name: String,
    client: Client,
    namespace: String,
    fake: Option<FakeKube>,
}

impl std::fmt::Debug for KubeTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeTarget")
            .field("name", &self.name)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl KubeTarget {
    /// Every server: the fake, then the real one when `KUBECONFIG` is set (see the module docs
    /// for when its absence fails).
    ///
    /// # Panics
    /// The fake does not start, or the real server is required and absent, unreachable, or
    /// lacks the CRDs `needs` names.
    pub async fn all(needs: Needs) -> Vec<Self> {
        let mut all = vec![Self::fake().await];
        all.extend(Self::real(needs).await);
        all
    }

    /// The in-process fake, with the TARS types, pods, leases and namespaces registered.
    ///
    /// # Panics
    /// The fake does not start.
    pub async fn fake() -> Self {
        let fake = FakeKube::start()
            .await
            .unwrap_or_else(|error| panic!("the fake API server does not start: {error}"));
        let state = fake.state();
        let (group, version) = TARS_GROUP_VERSION
            .split_once('/')
            .unwrap_or((TARS_GROUP_VERSION, ""));
        for (plural, kind) in TARS_KINDS {
            state.register(group, version, plural, kind, true);
        }
        state.register("", "v1", "pods", "Pod", true);
        state.register("", "v1", "namespaces", "Namespace", false);
        state.register("coordination.k8s.io", "v1", "leases", "Lease", true);
        let url = fake
            .url()
            .parse()
            .unwrap_or_else(|error| panic!("the fake's URL does not parse: {error}"));
        let config = kube::Config::new(url);
        let target = Self::in_fresh_namespace(format!("fake at {}", fake.url()), config).await;
        Self {
            fake: Some(fake),
            ..target
        }
    }

    /// The real API server `KUBECONFIG` names, or `None` (with a printed reason) without
    /// `KUBECONFIG`.
    ///
    /// # Panics
    /// `KUBECONFIG` is unset and [`REQUIRE_REAL_BACKENDS`] is `1`; the configuration is
    /// unusable; the server is unreachable; the CRDs `needs` names are not installed.
    pub async fn real(needs: Needs) -> Option<Self> {
        let Some(path) = std::env::var_os("KUBECONFIG") else {
            assert!(
                std::env::var(REQUIRE_REAL_BACKENDS).as_deref() != Ok("1"),
                "KUBECONFIG is not set, but {REQUIRE_REAL_BACKENDS}=1: start a real \
                 kube-apiserver and point KUBECONFIG at its kubeconfig (scripts/test does)"
            );
            eprintln!("real API server skipped: KUBECONFIG is not set (only the fake is checked)");
            return None;
        };
        let config = kube::Config::infer().await.unwrap_or_else(|error| {
            panic!(
                "KUBECONFIG={} gives no usable configuration: {error}",
                std::path::Path::new(&path).display()
            )
        });
        let name = format!("real API server at {}", config.cluster_url);
        let target = Self::in_fresh_namespace(name, config).await;
        if needs == Needs::TarsCrds {
            target.check_tars_crds().await;
        }
        Some(target)
    }

    /// A client of `config`'s server whose default namespace is a new one made through the
    /// API.
    async fn in_fresh_namespace(name: String, mut config: kube::Config) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        config.read_timeout = Some(Duration::from_secs(295));
        let admin = Client::try_from(config.clone())
            .unwrap_or_else(|error| panic!("no client for the {name}: {error}"));
        let namespaces: Api<Namespace> = Api::all(admin);
        let namespace = loop {
            let candidate = format!(
                "tarsplane-test-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let object = Namespace {
                metadata: ObjectMeta {
                    name: Some(candidate.clone()),
                    labels: Some([("tarsplane.io/test".to_owned(), "true".to_owned())].into()),
                    ..ObjectMeta::default()
                },
                ..Namespace::default()
            };
            match namespaces.create(&PostParams::default(), &object).await {
                Ok(_) => break candidate,
                Err(kube::Error::Api(status)) if status.code == 409 => {}
                Err(error) => panic!("cannot create namespace {candidate} on the {name}: {error}"),
            }
        };
        config.default_namespace.clone_from(&namespace);
        let client = Client::try_from(config)
            .unwrap_or_else(|error| panic!("no client for the {name}: {error}"));
        Self {
            name,
            client,
            namespace,
            fake: None,
        }
    }

    /// Fails unless every TARS CRD is served.
    async fn check_tars_crds(&self) {
        let install = "install the chart's CRDs (charts/tarsplane/templates/crds, rendered with \
                       helm template --show-only; scripts/test applies them before cargo test)";
        let resources = self
            .client
            .list_api_group_resources(TARS_GROUP_VERSION)
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "the {} does not serve {TARS_GROUP_VERSION} ({error}): {install}",
                    self.name
                )
            });
        for (plural, _) in TARS_KINDS {
            assert!(
                resources.resources.iter().any(|r| r.name == plural),
                "the {} does not serve {plural}.{TARS_GROUP_VERSION}: {install}",
                self.name
            );
        }
    }

    /// What the server is, for messages: `fake at http://...` or `real API server at https://...`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A client whose default namespace is [`Self::namespace`].
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// The namespace made for this target.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Whether this is the in-process fake.
    pub fn is_fake(&self) -> bool {
        self.fake.is_some()
    }

    /// The fake's state (for fake-only controls), `None` on the real server.
    pub fn fake_state(&self) -> Option<FakeKubeState> {
        self.fake.as_ref().map(FakeKube::state)
    }
}

/// How long a condition on a target may take to hold.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// How often a condition is checked.
pub const POLL: Duration = Duration::from_millis(25);

/// Polls `actual` until it equals `expected`, for up to [`TIMEOUT`]; the panic names the
/// target and shows the last value seen.
///
/// # Panics
/// The condition does not hold within [`TIMEOUT`].
pub async fn eventually_eq<T, F, Fut>(target: &KubeTarget, what: &str, expected: &T, mut actual: F)
where
    T: PartialEq + std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let seen = actual().await;
        if seen == *expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "on the {}: timed out after {TIMEOUT:?} waiting until {what}\n  expected: {expected:?}\n  last seen: {seen:?}",
            target.name()
        );
        tokio::time::sleep(POLL).await;
    }
}
