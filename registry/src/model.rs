//! The three custom resources the registry reads (`k8s.tars.io/v1beta3`, framework facts §3.1
//! and §4), parsed from their JSON form — what the API server sends and what the YAML file
//! holds — into the values the snapshot is built from.
//!
//! Fields the CRDs default are defaulted here too (servant `thread` 3, `capacity` and
//! `connection` 10000, `timeout` 60000, `isTars`/`isTcp` true; `asyncThread` 3; upChain
//! `timeout` 6000 and `isTcp` true), so an object written without them is served rather than
//! silently ignored as K8SFramework's decoder does. A TEndpoint without `status` yet is a
//! server with no pods (its lookups answer empty lists). A TEndpoint without `spec.tars`
//! (subType `normal`) is not a TARS server and is left out, as in the reference. Objects whose
//! required fields are missing or of the wrong type are errors: the caller logs and counts them
//! and keeps the previous version.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;

/// The API group and version of the TARS resources.
pub const API_VERSION: &str = "k8s.tars.io/v1beta3";
/// The only TFrameworkConfig the registry reads.
pub const FRAMEWORK_CONFIG_NAME: &str = "tars-framework";
/// The upChain key used for ids without their own list.
pub const UP_CHAIN_DEFAULT: &str = "default";
/// Pod state that makes a pod active when both its setting and present state have it.
pub const ACTIVE: &str = "Active";

/// Which of the three resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `TEndpoint` (`tendpoints`).
    Endpoint,
    /// `TTemplate` (`ttemplates`).
    Template,
    /// `TFrameworkConfig` (`tframeworkconfigs`), only `tars-framework`.
    FrameworkConfig,
}

impl Kind {
    /// Every kind, in the order sources start them.
    pub const ALL: [Kind; 3] = [Kind::Endpoint, Kind::Template, Kind::FrameworkConfig];

    /// Position in [`Kind::ALL`].
    pub fn index(self) -> usize {
        match self {
            Kind::Endpoint => 0,
            Kind::Template => 1,
            Kind::FrameworkConfig => 2,
        }
    }

    /// The resource kind as Kubernetes spells it.
    pub fn kind(self) -> &'static str {
        match self {
            Kind::Endpoint => "TEndpoint",
            Kind::Template => "TTemplate",
            Kind::FrameworkConfig => "TFrameworkConfig",
        }
    }

    /// The plural (URL segment) of the resource.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Endpoint => "tendpoints",
            Kind::Template => "ttemplates",
            Kind::FrameworkConfig => "tframeworkconfigs",
        }
    }

    /// The label value metrics use.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Endpoint => "tendpoint",
            Kind::Template => "ttemplate",
            Kind::FrameworkConfig => "tframeworkconfig",
        }
    }

    /// The kind for a Kubernetes `kind` string.
    pub fn from_kind(kind: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.kind() == kind)
    }
}

/// Why an object could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{kind} {name}: {source}")]
pub struct InvalidObject {
    /// The resource kind.
    pub kind: &'static str,
    /// `metadata.name`, or `?` when that is missing too.
    pub name: String,
    /// What was wrong.
    #[source]
    pub source: serde_json::Error,
}

/// A TARS server's servant (`spec.tars.servants[]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServantSpec {
    /// The servant (object) name, e.g. `HelloObj`.
    pub name: String,
    /// The port.
    pub port: i32,
    /// Handler threads.
    #[serde(default = "default_thread")]
    pub thread: i32,
    /// Queue capacity.
    #[serde(default = "default_capacity")]
    pub capacity: i32,
    /// Maximum connections.
    #[serde(default = "default_connection")]
    pub connection: i32,
    /// Timeout in milliseconds.
    #[serde(default = "default_timeout")]
    pub timeout: i32,
    /// Whether it speaks TARS.
    #[serde(default = "yes")]
    pub is_tars: bool,
    /// TCP (true) or UDP.
    #[serde(default = "yes")]
    pub is_tcp: bool,
}

const fn default_thread() -> i32 {
    3 // TServer CRD default
}
const fn default_capacity() -> i32 {
    10_000 // TServer CRD default
}
const fn default_connection() -> i32 {
    10_000 // TServer CRD default
}
const fn default_timeout() -> i32 {
    60_000 // TServer CRD default, milliseconds
}
const fn default_async_thread() -> i32 {
    3 // TServer CRD default
}
const fn default_up_chain_timeout() -> i32 {
    6_000 // TFrameworkConfig CRD default, milliseconds
}
const fn yes() -> bool {
    true
}

/// A TEndpoint of subType `tars`: what lookups and `getServerDescriptor` need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// `metadata.name`: `lower(app)-lower(server)`.
    pub name: String,
    /// `spec.tars.template`.
    pub template: String,
    /// `spec.tars.profile`.
    pub profile: String,
    /// `spec.tars.asyncThread`.
    pub async_thread: i32,
    /// `spec.tars.servants`, in order.
    pub servants: Vec<ServantSpec>,
    /// Pods whose setting and present state are both `Active`, sorted by name.
    pub active_pods: Vec<String>,
    /// Every other pod, sorted by name.
    pub inactive_pods: Vec<String>,
}

/// A TTemplate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// `metadata.name`.
    pub name: String,
    /// `spec.parent`: the template this one's values are merged over (itself ends the chain).
    pub parent: String,
    /// `spec.content`: `TC_Config` text.
    pub content: String,
}

/// One upChain endpoint of the TFrameworkConfig.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpChainEndpoint {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: i32,
    /// Timeout in milliseconds.
    #[serde(default = "default_up_chain_timeout")]
    pub timeout: i32,
    /// TCP (true) or UDP.
    #[serde(default = "yes")]
    pub is_tcp: bool,
}

/// The upChain of TFrameworkConfig `tars-framework`: where ids outside the cluster go, by id,
/// with `default` for the rest. Entries keep the object's key order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpChain {
    /// `(id or "default", endpoints)`.
    pub entries: Vec<(String, Vec<UpChainEndpoint>)>,
}

/// One parsed object.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    /// A TEndpoint of subType `tars`.
    Server(Server),
    /// A TEndpoint that is not a TARS server (no `spec.tars`): known, never served.
    NotTars {
        /// Its name.
        name: String,
    },
    /// A TTemplate.
    Template(Template),
    /// The TFrameworkConfig `tars-framework`.
    UpChain(UpChain),
    /// A TFrameworkConfig with another name: ignored.
    OtherFrameworkConfig {
        /// Its name.
        name: String,
    },
}

impl Object {
    /// The object's `metadata.name`.
    pub fn name(&self) -> &str {
        match self {
            Object::Server(s) => &s.name,
            Object::Template(t) => &t.name,
            Object::UpChain(_) => FRAMEWORK_CONFIG_NAME,
            Object::NotTars { name } | Object::OtherFrameworkConfig { name } => name,
        }
    }
}

#[derive(Deserialize)]
struct Meta {
    name: String,
}

#[derive(Deserialize)]
struct EndpointDoc {
    metadata: Meta,
    #[serde(default)]
    spec: EndpointSpecDoc,
    #[serde(default)]
    status: Option<EndpointStatusDoc>,
}

#[derive(Deserialize, Default)]
struct EndpointSpecDoc {
    #[serde(default)]
    tars: Option<TarsDoc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TarsDoc {
    #[serde(default)]
    template: String,
    #[serde(default)]
    profile: String,
    #[serde(default = "default_async_thread")]
    async_thread: i32,
    #[serde(default)]
    servants: Vec<ServantSpec>,
}

#[derive(Deserialize)]
struct EndpointStatusDoc {
    #[serde(default)]
    pods: Vec<PodDoc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PodDoc {
    name: String,
    #[serde(default)]
    setting_state: String,
    #[serde(default)]
    present_state: String,
}

#[derive(Deserialize)]
struct TemplateDoc {
    metadata: Meta,
    spec: TemplateSpecDoc,
}

#[derive(Deserialize)]
struct TemplateSpecDoc {
    parent: String,
    content: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FrameworkDoc {
    metadata: Meta,
    #[serde(default)]
    up_chain: serde_json::Map<String, Value>,
}

/// Parses an object of `kind` from its JSON form.
///
/// # Errors
///
/// [`InvalidObject`] when a required field is missing or has the wrong type.
pub fn parse(kind: Kind, value: &Value) -> Result<Object, InvalidObject> {
    let invalid = |source| InvalidObject {
        kind: kind.kind(),
        name: object_name(value).unwrap_or("?").to_owned(),
        source,
    };
    match kind {
        Kind::Endpoint => {
            let doc = EndpointDoc::deserialize(value).map_err(invalid)?;
            Ok(server(doc))
        }
        Kind::Template => {
            let doc = TemplateDoc::deserialize(value).map_err(invalid)?;
            Ok(Object::Template(Template {
                name: doc.metadata.name,
                parent: doc.spec.parent,
                content: doc.spec.content,
            }))
        }
        Kind::FrameworkConfig => {
            let doc = FrameworkDoc::deserialize(value).map_err(invalid)?;
            if doc.metadata.name != FRAMEWORK_CONFIG_NAME {
                return Ok(Object::OtherFrameworkConfig {
                    name: doc.metadata.name,
                });
            }
            let mut entries = Vec::with_capacity(doc.up_chain.len());
            for (id, list) in doc.up_chain {
                let endpoints = Vec::<UpChainEndpoint>::deserialize(list).map_err(invalid)?;
                entries.push((id, endpoints));
            }
            Ok(Object::UpChain(UpChain { entries }))
        }
    }
}

/// `metadata.name` of an object in JSON form.
pub fn object_name(value: &Value) -> Option<&str> {
    value.get("metadata")?.get("name")?.as_str()
}

fn server(doc: EndpointDoc) -> Object {
    let name = doc.metadata.name;
    let Some(tars) = doc.spec.tars else {
        return Object::NotTars { name };
    };
    let mut active = BTreeSet::new();
    let mut inactive = BTreeSet::new();
    for pod in doc.status.map(|s| s.pods).unwrap_or_default() {
        if pod.setting_state == ACTIVE && pod.present_state == ACTIVE {
            active.insert(pod.name);
        } else {
            inactive.insert(pod.name);
        }
    }
    Object::Server(Server {
        name,
        template: tars.template,
        profile: tars.profile,
        async_thread: tars.async_thread,
        servants: tars.servants,
        active_pods: active.into_iter().collect(),
        inactive_pods: inactive.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn endpoint_pods_are_split_by_state_and_sorted_by_name() {
        let value = json!({
            "metadata": {"name": "test-x"},
            "spec": {"tars": {"template": "tars.cpp", "profile": "", "asyncThread": 2,
                "servants": [{"name": "HelloObj", "port": 10000, "isTcp": false, "timeout": 5000}]}},
            "status": {"pods": [
                {"name": "test-x-2", "settingState": "Active", "presentState": "Active"},
                {"name": "test-x-10", "settingState": "Active", "presentState": "Active"},
                {"name": "test-x-1", "settingState": "Active", "presentState": "Activating"},
            ]}
        });
        let Object::Server(server) = parse(Kind::Endpoint, &value).expect("valid") else {
            panic!("a TARS server");
        };
        assert_eq!(server.active_pods, ["test-x-10", "test-x-2"]);
        assert_eq!(server.inactive_pods, ["test-x-1"]);
        assert_eq!(server.async_thread, 2);
        let servant = &server.servants[0];
        assert_eq!(
            (servant.port, servant.timeout, servant.is_tcp),
            (10000, 5000, false)
        );
        assert_eq!(
            (servant.thread, servant.capacity, servant.connection),
            (3, 10000, 10000)
        );
        assert!(servant.is_tars);
    }

    #[test]
    fn endpoint_without_status_or_defaults_is_a_server_with_no_pods() {
        let value = json!({
            "metadata": {"name": "test-y"},
            "spec": {"tars": {"servants": [{"name": "Obj", "port": 1}]}}
        });
        let Object::Server(server) = parse(Kind::Endpoint, &value).expect("valid") else {
            panic!("a TARS server");
        };
        assert!(server.active_pods.is_empty() && server.inactive_pods.is_empty());
        assert_eq!(server.async_thread, 3);
        assert_eq!(server.servants[0].timeout, 60000);
    }

    #[test]
    fn normal_endpoint_is_not_a_tars_server() {
        let value = json!({"metadata": {"name": "tars-tarsregistry"}, "spec": {"normal": {}}});
        assert_eq!(
            parse(Kind::Endpoint, &value).expect("valid"),
            Object::NotTars {
                name: "tars-tarsregistry".into()
            }
        );
    }

    #[test]
    fn invalid_objects_name_what_is_wrong() {
        let value =
            json!({"metadata": {"name": "bad"}, "spec": {"tars": {"servants": [{"name": "A"}]}}});
        let error = parse(Kind::Endpoint, &value).expect_err("port is required");
        assert_eq!(error.name, "bad");
        assert!(error.to_string().contains("port"), "{error}");
        let value = json!({"metadata": {"name": "t"}, "spec": {"parent": "x"}});
        assert!(parse(Kind::Template, &value).is_err());
        let value = json!({"spec": {}});
        assert_eq!(
            parse(Kind::Template, &value).expect_err("no name").name,
            "?"
        );
    }

    #[test]
    fn up_chain_gets_crd_defaults_and_other_configs_are_ignored() {
        let value = json!({
            "metadata": {"name": "tars-framework"},
            "upChain": {"default": [{"host": "a", "port": 1}], "A.B.C": [{"host": "b", "port": 2, "timeout": 10, "isTcp": false}]}
        });
        let Object::UpChain(chain) = parse(Kind::FrameworkConfig, &value).expect("valid") else {
            panic!("the upChain");
        };
        let list = |id: &str| {
            chain
                .entries
                .iter()
                .find(|(key, _)| key == id)
                .map(|(_, list)| list.clone())
                .expect("listed")
        };
        assert_eq!(
            list("default")[0],
            UpChainEndpoint {
                host: "a".into(),
                port: 1,
                timeout: 6000,
                is_tcp: true
            }
        );
        assert_eq!(
            (list("A.B.C")[0].timeout, list("A.B.C")[0].is_tcp),
            (10, false)
        );
        let other = json!({"metadata": {"name": "other"}, "upChain": {}});
        assert!(matches!(
            parse(Kind::FrameworkConfig, &other),
            Ok(Object::OtherFrameworkConfig { .. })
        ));
        let missing = json!({"metadata": {"name": "tars-framework"}});
        assert_eq!(
            parse(Kind::FrameworkConfig, &missing).expect("valid"),
            Object::UpChain(UpChain::default())
        );
    }
}
