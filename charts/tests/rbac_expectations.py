"""What each of the chart's service accounts may do, shared by the text check of the rendered
RBAC (test_chart.py) and the check against a real API server (test_cluster_crds.py, test_cluster_rbac.py).

A permission is (apiGroup, resource[/subresource], verb, resourceName or '*', namespace). Every
permission is in the release namespace except kevent's on the events of `default` (cluster-level
events), granted only while `[kevent] cluster_events` is on and the release namespace is not
`default`; nothing is granted cluster-wide.
"""

from __future__ import annotations

RELEASE = "tarsplane"
LEASE = "tarsplane-registry-reconciler"
# Where cluster-level events (Node events) are recorded; kevent watches it too.
DEFAULT_NAMESPACE = "default"


def expand(group, resources, verbs, name="*"):
    return {(group, r, v, name) for r in resources for v in verbs}


REGISTRY_ALWAYS = expand("k8s.tars.io", ["tendpoints", "ttemplates", "tframeworkconfigs"],
                         ["get", "list", "watch"]) | expand("", ["pods/status"], ["patch"])
REGISTRY_RECONCILER = (
    expand("k8s.tars.io", ["tservers"], ["get", "list", "watch"])
    | expand("", ["pods"], ["get", "list", "watch"])
    | expand("k8s.tars.io", ["tendpoints"], ["get", "create", "patch", "update", "delete"])
    | expand("k8s.tars.io", ["tendpoints/status"], ["patch", "update"])
    | expand("coordination.k8s.io", ["leases"], ["create"])
    | expand("coordination.k8s.io", ["leases"], ["get", "update"], LEASE)
)
NOTIFY = expand("", ["pods"], ["list", "watch"])
# K8SFramework's tarsconfig Role (framework next §1.2): the same in both modes.
CONFIG = (expand("k8s.tars.io", ["tconfigs"], ["get", "list", "watch"])
          | expand("", ["pods"], ["get", "list", "watch"]))
# kevent watches core v1 events (K8SFramework's tarskevent: a ClusterRole on the same verbs);
# in the release namespace, and in `default` for cluster-level events.
KEVENT = expand("", ["events"], ["get", "list", "watch"])

# The values key of each service that is not keyed by its name (`config` holds the TOML overrides).
VALUES_KEY = {"config": "configServer"}


def values_of(values: dict, service: str) -> dict:
    """The values of one service in a value set."""
    return values.get(VALUES_KEY.get(service, service), {})

# The value sets (names in test_chart.VALUE_SETS) whose RBAC is checked, and whether the
# registry's reconciler is on in each.
RBAC_CASES = [
    ("defaults", True),
    ("replace", False),
    ("replace-with-reconciler", True),
    ("replace-partial", False),
    ("existing-secret", True),
    ("kevent-without-cluster-events", True),
]


def kevent_cluster_events(values: dict, namespace: str) -> bool:
    """Whether kevent also watches `default` (the binary's rule: `[kevent] cluster_events`,
    default true, and a namespace other than `default`)."""
    wanted = values.get("config", {}).get("kevent", {}).get("cluster_events", True)
    return wanted and namespace != DEFAULT_NAMESPACE


def expected_permissions(values: dict, reconciler: bool, services, namespace: str) -> dict[str, set]:
    """ServiceAccount name -> its permissions (with the namespace each is granted in), for every
    service the values enable in a release in `namespace` (a disabled service has no
    ServiceAccount)."""
    needs = {
        "registry": REGISTRY_ALWAYS | (REGISTRY_RECONCILER if reconciler else set()),
        "notify": NOTIFY,
        "config": CONFIG,
        "kevent": KEVENT,
    }
    expected = {}
    for service in services:
        if not values_of(values, service).get("enabled", True):
            continue
        perms = {perm + (namespace,) for perm in needs.get(service, set())}
        if service == "kevent" and kevent_cluster_events(values, namespace):
            perms |= {perm + (DEFAULT_NAMESPACE,) for perm in KEVENT}
        expected[f"{RELEASE}-{service}"] = perms
    return expected
