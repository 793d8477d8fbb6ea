//! Who a TARS server pod is: the pods K8SFramework's services watch (labelled
//! `tars.io/ServerApp` and `tars.io/ServerName`), their IP, their domain name
//! `<pod>.<generateName without its last character>` (a `StatefulSet` pod:
//! `test-hello-1.test-hello`, what K8SFramework's pods use as `localip` and `node_name`) and
//! their ordinal. Shared by notify (reporter names) and config (pod-level files).

use k8s_openapi::api::core::v1::Pod;

/// The label selector of TARS server pods.
pub const SELECTOR: &str = "tars.io/ServerApp,tars.io/ServerName";
/// The label holding the pod's TARS application.
pub const APP_LABEL: &str = "tars.io/ServerApp";
/// The label holding the pod's TARS server.
pub const SERVER_LABEL: &str = "tars.io/ServerName";

/// A TARS server pod as the framework's services see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodIdentity {
    /// `metadata.name`, e.g. `test-hello-1`.
    pub name: String,
    /// `metadata.generateName` without its last character, e.g. `test-hello`.
    pub workload: String,
    /// `status.podIP`, when assigned.
    pub ip: Option<String>,
    /// The `tars.io/ServerApp` label.
    pub app: String,
    /// The `tars.io/ServerName` label.
    pub server: String,
    /// The digits after `generateName` in the name (K8SFramework's `extractPodSeq`), when the
    /// name is `generateName` followed by digits only.
    pub ordinal: Option<u32>,
}

impl PodIdentity {
    /// The pod of `pod`, when it has a name and a `generateName`.
    pub fn of(pod: &Pod) -> Option<Self> {
        let name = pod.metadata.name.as_deref().filter(|n| !n.is_empty())?;
        let generate = pod
            .metadata
            .generate_name
            .as_deref()
            .filter(|g| !g.is_empty())?;
        let label = |key: &str| {
            pod.metadata
                .labels
                .as_ref()
                .and_then(|labels| labels.get(key))
                .cloned()
                .unwrap_or_default()
        };
        let ip = pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.as_deref())
            .filter(|ip| !ip.is_empty())
            .map(str::to_owned);
        let ordinal = name
            .strip_prefix(generate)
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse().ok());
        Some(Self {
            name: name.to_owned(),
            workload: generate
                .strip_suffix(|_: char| true)
                .unwrap_or_default()
                .to_owned(),
            ip,
            app: label(APP_LABEL),
            server: label(SERVER_LABEL),
            ordinal,
        })
    }

    /// `<pod>.<workload>`, e.g. `test-hello-1.test-hello`.
    pub fn domain(&self) -> String {
        format!("{}.{}", self.name, self.workload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, generate: &str, ip: Option<&str>) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": name,
                "generateName": generate,
                "labels": {"tars.io/ServerApp": "Test", "tars.io/ServerName": "Hello"},
            },
            "status": ip.map(|ip| serde_json::json!({"podIP": ip})),
        }))
        .expect("a pod")
    }

    #[test]
    fn a_stateful_set_pod_has_its_domain_and_ordinal() {
        let identity = PodIdentity::of(&pod("test-hello-12", "test-hello-", Some("10.0.0.7")))
            .expect("identity");
        assert_eq!(identity.domain(), "test-hello-12.test-hello");
        assert_eq!(identity.ordinal, Some(12));
        assert_eq!(identity.ip.as_deref(), Some("10.0.0.7"));
        assert_eq!(
            (identity.app.as_str(), identity.server.as_str()),
            ("Test", "Hello")
        );
    }

    #[test]
    fn a_pod_without_ip_or_ordinal_is_still_named() {
        let identity =
            PodIdentity::of(&pod("test-hello-x7", "test-hello-", None)).expect("identity");
        assert_eq!(identity.ordinal, None);
        assert_eq!(identity.ip, None);
        assert!(PodIdentity::of(&pod("test-hello-1", "", None)).is_none());
    }
}
