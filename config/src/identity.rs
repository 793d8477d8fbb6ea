//! Which pod a caller is, for pod-level files (`shared/spec/framework-next.md` §1.5, §1.7).
//!
//! K8SFramework derived the pod only from a `host` that TarsGo and TarsCpp never send (and
//! from a peer-IP map it never fills), so pod-level TConfigs reached Node clients only
//! (K8SFramework issue #13). Here the ordinal comes from, in order: the explicit host
//! (`ConfigInfo.host`, the `host` argument), the request context's `node_name` (TarsCpp and
//! TarsGo send the pod's domain name there), and the peer IP through the pod watch. The first
//! that names a pod of the requested server wins.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use mirror::pods::PodIdentity;

/// How the caller's pod was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolved {
    /// From the explicit host.
    Host,
    /// From the request context's `node_name`.
    NodeName,
    /// From the peer IP, through the pod watch.
    PeerIp,
    /// Not found (or an application-level file): server-level content only.
    None,
}

impl Resolved {
    /// The metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Resolved::Host => "host",
            Resolved::NodeName => "node_name",
            Resolved::PeerIp => "peer_ip",
            Resolved::None => "none",
        }
    }
}

/// What a call tells about its caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct Caller<'a> {
    /// `ConfigInfo.host` or the `host` argument; empty when not sent.
    pub host: &'a [u8],
    /// The request context's `node_name`; empty when not sent.
    pub node_name: &'a [u8],
    /// The peer's address.
    pub peer: Option<IpAddr>,
}

/// A pod's server and ordinal.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PodRef {
    app: String,
    server: String,
    ordinal: Option<u32>,
}

/// Pods by IP, by name and by `<pod>.<workload>`.
#[derive(Debug, Clone, Default)]
pub struct PodIndex {
    by_key: HashMap<Vec<u8>, PodRef>,
    by_name: HashMap<String, PodIdentity>,
}

impl PodIndex {
    /// Adds or replaces the pod `name`.
    pub fn put(&mut self, name: String, identity: Option<PodIdentity>) {
        self.remove(&name);
        if let Some(identity) = identity {
            let pod = PodRef {
                app: identity.app.clone(),
                server: identity.server.clone(),
                ordinal: identity.ordinal,
            };
            for key in keys(&identity) {
                self.by_key.insert(key, pod.clone());
            }
            self.by_name.insert(name, identity);
        }
    }

    /// Forgets the pod `name`.
    pub fn remove(&mut self, name: &str) {
        if let Some(old) = self.by_name.remove(name) {
            for key in keys(&old) {
                self.by_key.remove(&key);
            }
            // Another pod may share a key (an IP reused): put it back.
            let survivors: Vec<PodIdentity> = self
                .by_name
                .values()
                .filter(|p| keys(p).iter().any(|k| keys(&old).contains(k)))
                .cloned()
                .collect();
            for pod in survivors {
                let reference = PodRef {
                    app: pod.app.clone(),
                    server: pod.server.clone(),
                    ordinal: pod.ordinal,
                };
                for key in keys(&pod) {
                    self.by_key.entry(key).or_insert_with(|| reference.clone());
                }
            }
        }
    }

    /// Forgets every pod.
    pub fn clear(&mut self) {
        self.by_key.clear();
        self.by_name.clear();
    }

    /// Pods known.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// No pod known.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    fn ordinal_of(&self, key: &[u8], app: &[u8], server: &[u8]) -> Option<u32> {
        let pod = self.by_key.get(key)?;
        (pod.app.as_bytes().eq_ignore_ascii_case(app)
            && pod.server.as_bytes().eq_ignore_ascii_case(server))
        .then_some(pod.ordinal)
        .flatten()
    }
}

fn keys(pod: &PodIdentity) -> Vec<Vec<u8>> {
    let mut keys = vec![pod.name.clone().into_bytes(), pod.domain().into_bytes()];
    if let Some(ip) = &pod.ip {
        keys.push(ip.clone().into_bytes());
    }
    keys
}

/// The ordinal of the caller's pod for `app`/`server`, and how it was found. Application-level
/// files (`server` empty) have no pod level.
pub fn resolve(
    pods: &Arc<PodIndex>,
    app: &[u8],
    server: &[u8],
    caller: Caller<'_>,
) -> (Option<u32>, Resolved) {
    if server.is_empty() {
        return (None, Resolved::None);
    }
    for (name, how) in [
        (caller.host, Resolved::Host),
        (caller.node_name, Resolved::NodeName),
    ] {
        if name.is_empty() {
            continue;
        }
        if let Some(ordinal) = ordinal_from_name(name, app, server) {
            return (Some(ordinal), how);
        }
        if let Some(ordinal) = pods.ordinal_of(name, app, server) {
            return (Some(ordinal), how);
        }
    }
    if let Some(peer) = caller.peer {
        let ip = peer.to_canonical().to_string();
        if let Some(ordinal) = pods.ordinal_of(ip.as_bytes(), app, server) {
            return (Some(ordinal), Resolved::PeerIp);
        }
    }
    (None, Resolved::None)
}

/// The ordinal in a pod name of `app`/`server`: `<app>-<server>-<N>` or
/// `<app>-<server>-<N>.<app>-<server>[...]`, names lower-cased as K8SFramework names pods. `N`
/// is digits only (K8SFramework skipped any other character, so `test-x-a1` was pod 1).
pub fn ordinal_from_name(host: &[u8], app: &[u8], server: &[u8]) -> Option<u32> {
    let rest = strip_workload(host, app, server)?.strip_prefix(b"-")?;
    let end = rest.iter().position(|&b| b == b'.').unwrap_or(rest.len());
    let (digits, tail) = rest.split_at(end);
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if let Some(domain) = tail.strip_prefix(b".") {
        let after = strip_workload(domain, app, server)?;
        if !(after.is_empty() || after.starts_with(b".")) {
            return None;
        }
    }
    digits.iter().try_fold(0u32, |n, d| {
        n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// `text` after `lower(app)-lower(server)`.
fn strip_workload<'t>(text: &'t [u8], app: &[u8], server: &[u8]) -> Option<&'t [u8]> {
    let (head, rest) = text.split_at_checked(app.len())?;
    if !head
        .iter()
        .zip(app)
        .all(|(h, a)| *h == a.to_ascii_lowercase())
    {
        return None;
    }
    let rest = rest.strip_prefix(b"-")?;
    let (head, rest) = rest.split_at_checked(server.len())?;
    head.iter()
        .zip(server)
        .all(|(h, s)| *h == s.to_ascii_lowercase())
        .then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_names_and_domains_give_the_ordinal() {
        let ordinal = |host: &str| ordinal_from_name(host.as_bytes(), b"Test", b"Hello");
        assert_eq!(ordinal("test-hello-1"), Some(1));
        assert_eq!(ordinal("test-hello-12.test-hello"), Some(12));
        assert_eq!(
            ordinal("test-hello-0.test-hello.tars.svc.cluster.local"),
            Some(0)
        );
        for bad in [
            "test-hello-",
            "test-hello-a1",
            "test-hello-1.other",
            "Test-Hello-1",
            "test-hello1",
            "test-hello-1.test-hellox",
            "10.0.0.1",
            "",
            "test-hello-99999999999",
        ] {
            assert_eq!(ordinal(bad), None, "{bad}");
        }
    }

    fn pod(name: &str, ip: &str) -> PodIdentity {
        PodIdentity {
            name: name.to_owned(),
            workload: "test-hello".to_owned(),
            ip: Some(ip.to_owned()),
            app: "Test".to_owned(),
            server: "Hello".to_owned(),
            ordinal: name.rsplit('-').next().and_then(|n| n.parse().ok()),
        }
    }

    #[test]
    fn host_then_node_name_then_peer_ip() {
        let mut index = PodIndex::default();
        index.put(
            "test-hello-2".to_owned(),
            Some(pod("test-hello-2", "10.0.0.2")),
        );
        let pods = Arc::new(index);
        let peer = Some("10.0.0.2".parse().expect("ip"));
        let resolve = |host: &str, node: &str| {
            resolve(
                &pods,
                b"Test",
                b"Hello",
                Caller {
                    host: host.as_bytes(),
                    node_name: node.as_bytes(),
                    peer,
                },
            )
        };
        assert_eq!(
            resolve("test-hello-1", "test-hello-3.test-hello"),
            (Some(1), Resolved::Host)
        );
        assert_eq!(
            resolve("", "test-hello-3.test-hello"),
            (Some(3), Resolved::NodeName)
        );
        assert_eq!(
            resolve("somewhere", "elsewhere"),
            (Some(2), Resolved::PeerIp)
        );
        assert_eq!(resolve("10.0.0.2", ""), (Some(2), Resolved::Host));
        let other = super::resolve(
            &pods,
            b"Test",
            b"Other",
            Caller {
                host: b"",
                node_name: b"",
                peer,
            },
        );
        assert_eq!(other, (None, Resolved::None), "a pod of another server");
        let app_level = super::resolve(
            &pods,
            b"Test",
            b"",
            Caller {
                host: b"test-hello-1",
                node_name: b"",
                peer,
            },
        );
        assert_eq!(app_level, (None, Resolved::None));
    }

    #[test]
    fn a_removed_pod_leaves_a_pod_sharing_its_ip() {
        let mut index = PodIndex::default();
        index.put(
            "test-hello-1".to_owned(),
            Some(pod("test-hello-1", "10.0.0.9")),
        );
        index.put(
            "test-hello-4".to_owned(),
            Some(pod("test-hello-4", "10.0.0.9")),
        );
        index.remove("test-hello-1");
        assert_eq!(index.ordinal_of(b"10.0.0.9", b"Test", b"Hello"), Some(4));
        assert_eq!(index.ordinal_of(b"test-hello-1", b"Test", b"Hello"), None);
        assert_eq!(index.len(), 1);
    }
}
