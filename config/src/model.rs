//! TConfig resources and TARS pods as the config service holds them
//! (`shared/spec/framework-next.md` §1.3). TConfig fields are top-level (no `spec`); the
//! lifecycle labels `tars.io/Deactivate` and `tars.io/Deleting` are the only labels read: the
//! webhook derives every other label from the fields, and the fields are what a plain API
//! server (or a YAML file) has.

use bytes::Bytes;
use mirror::pods::PodIdentity;
use serde_json::Value;

/// The label K8SFramework's webhook puts on an activated TConfig that a newer one replaces
/// (until the controller flips `activated`).
pub const DEACTIVATE_LABEL: &str = "tars.io/Deactivate";
/// The label K8SFramework puts on TConfigs about to be deleted.
pub const DELETING_LABEL: &str = "tars.io/Deleting";

/// The two resources the service watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `TConfig` (`tconfigs`).
    Config,
    /// Core v1 `Pod` labelled `tars.io/ServerApp,tars.io/ServerName`: who a caller is.
    Pod,
}

impl mirror::Kind for Kind {
    const ALL: &'static [Kind] = &[Kind::Config, Kind::Pod];

    fn index(self) -> usize {
        match self {
            Kind::Config => 0,
            Kind::Pod => 1,
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Kind::Config => "TConfig",
            Kind::Pod => "Pod",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Config => "tconfig",
            Kind::Pod => "pod",
        }
    }
}

/// Which level a TConfig is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PodSeq {
    /// `m`: the server (or application) level, K8SFramework's "master".
    Master,
    /// `0`..`99`: the pod with this ordinal; delivered after the master content.
    Pod(u8),
}

/// One TConfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TConfig {
    /// `metadata.name`.
    pub name: String,
    /// `app`.
    pub app: String,
    /// `server`; empty for an application-level file.
    pub server: String,
    /// `configName`: the file name.
    pub file: String,
    /// `podSeq`.
    pub pod_seq: PodSeq,
    /// `configContent`.
    pub content: Bytes,
    /// `activated`, and neither `tars.io/Deactivate` nor `tars.io/Deleting` set.
    pub active: bool,
    /// `metadata.creationTimestamp` (RFC 3339, as the API server writes it), empty when absent.
    pub created: String,
    /// `version`.
    pub version: String,
}

impl TConfig {
    /// The order among activated versions of one file and level: the newest creation, then
    /// the greater version, then the greater name. When K8SFramework's webhook leaves two
    /// objects activated for a moment, the newest one wins, the same on every replica.
    pub fn newer_than(&self, other: &TConfig) -> bool {
        (&self.created, &self.version, &self.name) > (&other.created, &other.version, &other.name)
    }
}

/// A resource as the service holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// A TConfig.
    Config(TConfig),
    /// A TARS pod; `None` when it has no `generateName` (not a workload pod: never matched).
    Pod {
        /// `metadata.name`.
        name: String,
        /// Who it is.
        identity: Option<PodIdentity>,
    },
}

/// Why a resource could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{kind} {name}: {reason}")]
pub struct InvalidObject {
    /// The resource kind.
    pub kind: &'static str,
    /// `metadata.name`, or `?`.
    pub name: String,
    /// What was wrong.
    pub reason: String,
}

/// Parses a TConfig resource (JSON as the API server sends it, or YAML read as JSON).
///
/// # Errors
///
/// [`InvalidObject`] naming the field: a required field missing or of the wrong type, a
/// `podSeq` other than `m` or `0`..`99`, a content over `max_content_bytes`.
pub fn parse_tconfig(value: &Value, max_content_bytes: usize) -> Result<TConfig, InvalidObject> {
    let name = value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned();
    let invalid = |reason: String| InvalidObject {
        kind: "TConfig",
        name: name.clone(),
        reason,
    };
    let text = |field: &str, required: bool| -> Result<String, InvalidObject> {
        match value.get(field) {
            Some(Value::String(s)) => Ok(s.clone()),
            None | Some(Value::Null) if !required => Ok(String::new()),
            None | Some(Value::Null) => Err(invalid(format!("{field} is missing"))),
            Some(other) => Err(invalid(format!("{field} is not a string: {other}"))),
        }
    };
    if name == "?" {
        return Err(invalid("metadata.name is missing".to_owned()));
    }
    let app = text("app", true)?;
    if app.is_empty() {
        return Err(invalid("app is empty".to_owned()));
    }
    let server = text("server", false)?;
    let file = text("configName", true)?;
    if file.is_empty() {
        return Err(invalid("configName is empty".to_owned()));
    }
    let content = text("configContent", true)?;
    if content.len() > max_content_bytes {
        return Err(invalid(format!(
            "configContent is {} bytes, over config.max_content_bytes ({max_content_bytes})",
            content.len()
        )));
    }
    let pod_seq = match text("podSeq", false)?.as_str() {
        "" | "m" => PodSeq::Master,
        digits => match digits.parse::<u8>() {
            Ok(n) if n <= 99 && (digits == "0" || !digits.starts_with('0')) => PodSeq::Pod(n),
            _ => return Err(invalid(format!("podSeq {digits:?} is not m or 0..99"))),
        },
    };
    if pod_seq != PodSeq::Master && server.is_empty() {
        return Err(invalid(
            "app level tconfig does not support master/slave (podSeq must be m)".to_owned(),
        ));
    }
    let activated = match value.get("activated") {
        None | Some(Value::Null) => true, // the CRD default
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(invalid(format!("activated is not a boolean: {other}"))),
    };
    let label = |key: &str| {
        value
            .pointer("/metadata/labels")
            .and_then(|l| l.get(key))
            .is_some()
    };
    let active = activated && !label(DEACTIVATE_LABEL) && !label(DELETING_LABEL);
    Ok(TConfig {
        name: name.clone(),
        app,
        server,
        file,
        pod_seq,
        content: Bytes::from(content),
        active,
        created: value
            .pointer("/metadata/creationTimestamp")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        version: text("version", false)?,
    })
}

/// A pod as the service holds it.
pub fn pod_object(pod: &k8s_openapi::api::core::v1::Pod) -> Result<Object, InvalidObject> {
    let name = pod.metadata.name.clone().ok_or_else(|| InvalidObject {
        kind: "Pod",
        name: "?".to_owned(),
        reason: "metadata.name is missing".to_owned(),
    })?;
    Ok(Object::Pod {
        name,
        identity: PodIdentity::of(pod),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tconfig(extra: Value) -> Value {
        let mut base = json!({
            "metadata": {"name": "hello-a-conf-1"},
            "app": "Test", "server": "Hello", "configName": "a.conf",
            "configContent": "<a>1</a>",
        });
        if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
            base.extend(extra);
        }
        base
    }

    #[test]
    fn defaults_follow_the_crd() {
        let c = parse_tconfig(&tconfig(json!({})), 100).expect("valid");
        assert_eq!(c.pod_seq, PodSeq::Master);
        assert!(c.active);
        assert_eq!(&c.content[..], b"<a>1</a>");
    }

    #[test]
    fn pod_seq_is_m_or_an_ordinal_up_to_99() {
        for (seq, expected) in [
            ("m", Some(PodSeq::Master)),
            ("0", Some(PodSeq::Pod(0))),
            ("99", Some(PodSeq::Pod(99))),
        ] {
            let c = parse_tconfig(&tconfig(json!({"podSeq": seq})), 100).ok();
            assert_eq!(c.map(|c| c.pod_seq), expected, "{seq}");
        }
        for seq in ["100", "01", "-1", "M", "1a"] {
            let error = parse_tconfig(&tconfig(json!({"podSeq": seq})), 100).expect_err(seq);
            assert!(error.to_string().contains("podSeq"), "{error}");
        }
    }

    #[test]
    fn lifecycle_labels_and_activated_make_it_inactive() {
        let off = parse_tconfig(&tconfig(json!({"activated": false})), 100).expect("valid");
        assert!(!off.active);
        for label in [DEACTIVATE_LABEL, DELETING_LABEL] {
            let mut value = tconfig(json!({}));
            value["metadata"]["labels"] = json!({label: "x"});
            assert!(
                !parse_tconfig(&value, 100).expect("valid").active,
                "{label}"
            );
        }
    }

    #[test]
    fn bad_objects_name_the_field() {
        let big = parse_tconfig(&tconfig(json!({"configContent": "x".repeat(101)})), 100);
        assert!(
            big.expect_err("too big")
                .to_string()
                .contains("max_content_bytes")
        );
        let missing = parse_tconfig(&json!({"metadata": {"name": "n"}, "app": "A"}), 100);
        assert_eq!(
            missing.expect_err("no configName").to_string(),
            "TConfig n: configName is missing"
        );
        let app_pod = parse_tconfig(&tconfig(json!({"server": "", "podSeq": "1"})), 100);
        assert!(
            app_pod
                .expect_err("app level pod")
                .to_string()
                .contains("app level")
        );
    }
}
