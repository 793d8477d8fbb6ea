//! Answers for objects that are not TEndpoints: the registry's fixed self entries (framework
//! facts §3.2 steps 2–3) and configured routes, e.g. our own services deployed as plain
//! Deployments, or every framework object of `tarsplane up` on the local listeners. A
//! configured route wins over a self entry with the same id.

use std::collections::{BTreeMap, HashMap};

use foldhash::fast::FixedState;
use serde::{Deserialize, Serialize};

use crate::answer::{Endpoint, Lists};

/// `tars.tarsregistry.QueryObj`.
pub const QUERY_OBJ: &str = "tars.tarsregistry.QueryObj";
/// `tars.tarsregistry.RegistryObj`.
pub const REGISTRY_OBJ: &str = "tars.tarsregistry.RegistryObj";
/// The standard port of `QueryObj`.
pub const QUERY_PORT: u16 = 17890;
/// The standard port of `RegistryObj`.
pub const REGISTRY_PORT: u16 = 17891;
/// Timeout K8SFramework puts in its self entries, milliseconds.
pub const SELF_TIMEOUT_MS: i32 = 6000;

/// One endpoint of a configured route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteEndpoint {
    /// Host name or address clients connect to.
    pub host: String,
    /// Port.
    pub port: u16,
    /// The call timeout clients use, milliseconds (default 6000, as upChain entries).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: i32,
    /// TCP (default) or UDP.
    #[serde(default = "default_tcp")]
    pub tcp: bool,
}

const fn default_timeout_ms() -> i32 {
    SELF_TIMEOUT_MS
}
const fn default_tcp() -> bool {
    true
}

/// Up to this many routes are searched linearly (cheaper than hashing every lookup's id).
const LINEAR_ROUTES: usize = 16;

/// Route answers by exact object id.
#[derive(Debug, Default)]
pub struct Routes {
    by_id: HashMap<Box<[u8]>, Lists, FixedState>,
    few: Vec<(Box<[u8]>, Lists)>,
}

impl Routes {
    /// The self entries (`QueryObj` and `RegistryObj` on `self_host`, TCP, timeout 6000) and
    /// then `routes` over them.
    pub fn new(self_host: &str, routes: &BTreeMap<String, Vec<RouteEndpoint>>) -> Self {
        let mut by_id = HashMap::default();
        for (id, port) in [(QUERY_OBJ, QUERY_PORT), (REGISTRY_OBJ, REGISTRY_PORT)] {
            let endpoint = Endpoint {
                host: self_host,
                port: i32::from(port),
                timeout: SELF_TIMEOUT_MS,
                tcp: true,
            };
            by_id.insert(id.as_bytes().into(), Lists::encode([endpoint], []));
        }
        for (id, endpoints) in routes {
            let lists = Lists::encode(
                endpoints.iter().map(|e| Endpoint {
                    host: &e.host,
                    port: i32::from(e.port),
                    timeout: e.timeout_ms,
                    tcp: e.tcp,
                }),
                [],
            );
            by_id.insert(id.as_bytes().into(), lists);
        }
        let few = if by_id.len() <= LINEAR_ROUTES {
            std::mem::take(&mut by_id).into_iter().collect()
        } else {
            Vec::new()
        };
        Self { by_id, few }
    }

    /// The answer for exactly `id`.
    pub fn get(&self, id: &[u8]) -> Option<&Lists> {
        if self.by_id.is_empty() {
            self.few
                .iter()
                .find(|(route, _)| route.len() == id.len() && **route == *id)
                .map(|(_, lists)| lists)
        } else {
            self.by_id.get(id)
        }
    }
}
