"""Tests of the tarsplane Helm chart, without a helm binary or a cluster.

The chart is rendered with the Helm v4 SDK (helm-python-sdk) for both modes and several value
sets; every rendered object is validated with kubernetes-validate (strict) against each
Kubernetes version it bundles from 1.25 on; sample custom resources are validated against the
chart's CRD schemas with jsonschema; the TOML files are parsed and checked against the Rust
config structs; RBAC, Services and ports are compared with what each service needs and with
K8SFramework's names (shared/spec/framework-facts.md §2, shared/spec/framework-next.md §1.2).
test_cluster_crds.py and test_cluster_rbac.py check the CRDs, samples and RBAC against a real
API server when KUBECONFIG names one.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import subprocess
from pathlib import Path

import helm_python
import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml
from packaging.version import Version
from rbac_expectations import (DEFAULT_NAMESPACE, KEVENT, LEASE, RBAC_CASES, RELEASE,
                               expected_permissions, values_of)

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

CHART = Path(__file__).resolve().parents[1] / "tarsplane"
SAMPLES = Path(__file__).resolve().parent / "samples"
REPO = Path(__file__).resolve().parents[2]
NAMESPACE = "tars"
ADMIN_PORT = 9100

# Services, ports and objects as K8SFramework names them (framework facts §2; tarsconfig:
# framework next §1.2; tarsAdminRegistry §3; tarskevent §4: no servants, so no Service, None).
K8SFRAMEWORK_SERVICES = {
    "registry": ("tars-tarsregistry", {"queryobj": 17890, "registryobj": 17891}),
    "stat": ("tars-tarsstat", {"statobj": 17000}),
    "property": ("tars-tarsproperty", {"propertyobj": 14000}),
    "notify": ("tars-tarsnotify", {"notifyobj": 13111}),
    "log": ("tars-tarslog", {"logobj": 12111, "topologyobj": 13030}),
    "querystat": ("tars-tarsquerystat", {"queryobj": 16000}),
    "queryproperty": ("tars-tarsqueryproperty", {"queryobj": 15000}),
    "config": ("tars-tarsconfig", {"configobj": 11111}),
    "adminreg": ("tars-tarsadminregistry", {"adminregobj": 19111}),
    "kevent": (None, {}),
}
FRAMEWORK_OBJECTS = {
    "tars.tarsstat.StatObj": ("stat", 17000),
    "tars.tarsproperty.PropertyObj": ("property", 14000),
    "tars.tarsnotify.NotifyObj": ("notify", 13111),
    "tars.tarslog.LogObj": ("log", 12111),
    "tars.tarslog.TopologyObj": ("log", 13030),
    "tars.tarsquerystat.QueryObj": ("querystat", 16000),
    "tars.tarsqueryproperty.QueryObj": ("queryproperty", 15000),
    "tars.tarsconfig.ConfigObj": ("config", 11111),
    # The name tarsweb calls (K8SFramework's TServer is tarsAdminRegistry) and the lower-case
    # spelling K8SFramework's registry also resolves (it lower-cases app and server).
    "tars.tarsAdminRegistry.AdminRegObj": ("adminreg", 19111),
    "tars.tarsadminregistry.AdminRegObj": ("adminreg", 19111),
}
SERVICES = list(K8SFRAMEWORK_SERVICES)
# log: it writes and queries call-chain traces (config.trace.enabled, the default).
STORE_SERVICES = {"stat", "property", "notify", "log", "querystat", "queryproperty", "kevent"}
# The services that use the Kubernetes API (a token, the namespace in their TOML file).
KUBE_SERVICES = {"registry", "notify", "config", "kevent"}
# The services given the namespace in their TOML file: the API users, and adminreg, which
# completes bare pod names with it (pingNode) without calling the API.
NAMESPACE_SERVICES = KUBE_SERVICES | {"adminreg"}

# Value sets rendered by every structural test.
VALUE_SETS = {
    "defaults": {},
    "replace": {"mode": "replace"},
    "existing-secret": {
        "elasticsearch": {"username": "tars", "existingSecret": "es-credentials"}
    },
    "api-key": {"elasticsearch": {"apiKey": "aWQ6a2V5"}},
    "password-tls": {
        "elasticsearch": {
            "nodes": ["https://es-0.es:9200", "https://es-1.es:9200"],
            "username": "tars",
            "password": "s3cret",
            "tls": {"caSecret": "es-ca"},
        }
    },
    "persistence-off": {"log": {"persistence": {"enabled": False, "emptyDirSizeLimit": "5Gi"}}},
    "dashboard-off": {"grafana": {"dashboard": {"enabled": False}}},
    "registry-1": {"registry": {"replicas": 1}},
    "everything": {
        "timeZone": "Asia/Shanghai",
        "logFormat": "json",
        "listenAddress": "::",
        "indices": {"stat": "prod_stat_", "kevent": "prod_kevent_"},
        "networkPolicy": {
            "enabled": True,
            "clients": [{"podSelector": {"matchLabels": {"tars.io/ServerApp": "Test"}}}],
        },
        "grafana": {"datasources": {"enabled": True}},
        "stat": {"replicas": 3},
        "log": {"persistence": {"storageClass": "fast"}},
        "registry": {"affinity": {"nodeAffinity": {}}, "extraEnv": [{"name": "X", "value": "1"}]},
        "config": {
            "stat": {"max_keys": 2000000, "shards": 128},
            "log": {"ship_to_sink": True, "hourly": ["Test.HelloServer"],
                    "log_types": {"10minute": ["Test.HelloServer.access"]}},
            "notify": {"rate_limit": "60:100", "pod_names": {"10.0.0.9": "vm-9.legacy"}},
            "registry": {
                "stale_after_secs": 120,
                "routes": {"Legacy.Gateway.Obj": [{"host": "10.0.0.1", "port": 9000}]},
            },
            "sink": {"elasticsearch": {"max_bulk_docs": 5000, "spool": {"fsync": False}}},
            "config": {"stale_after_secs": 90, "max_content_bytes": 2000000},
            "adminreg": {"node_call_timeout_ms": 5000, "web_url": "http://tarsweb.tars:3000"},
            "kevent": {"delete_after": "7d", "batch_max_docs": 1000, "max_remembered": 50000},
        },
        "configServer": {"replicas": 3, "podLabels": {"team": "platform"}},
        "kevent": {"podLabels": {"team": "platform"}},
    },
    "replace-partial": {
        "mode": "replace",
        "log": {"enabled": False},
        "notify": {"enabled": False},
        "configServer": {"enabled": False},
        "adminreg": {"enabled": False},
        "kevent": {"enabled": False},
        "crds": {"install": False},
    },
    "standalone-without-crds": {"crds": {"install": False}},
    "replace-with-reconciler": {"mode": "replace", "registry": {"reconciler": {"enabled": True}}},
    "kevent-without-cluster-events": {"config": {"kevent": {"cluster_events": False}}},
}


# --------------------------------------------------------------------------------------------
# Rendering


@pytest.fixture(scope="session")
def chart():
    with helm_python.Chart.load(str(CHART)) as loaded:
        yield loaded


@functools.lru_cache(maxsize=None)
def _render(key: str, namespace: str) -> tuple:
    values = json.loads(key)
    with helm_python.Chart.load(str(CHART)) as loaded:
        out = loaded.render(values, name=RELEASE, namespace=namespace, is_install=True)
    docs = []
    for path, text in sorted(out.items()):
        if not path.endswith(".yaml"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                docs.append(doc)
    return tuple(docs)


def render(values: dict, namespace: str = NAMESPACE) -> list[dict]:
    """The rendered objects (fresh copies), cached per value set and namespace."""
    return copy.deepcopy(list(_render(json.dumps(values, sort_keys=True), namespace)))


def render_notes(values: dict, namespace: str = NAMESPACE) -> str:
    """The rendered NOTES.txt."""
    with helm_python.Chart.load(str(CHART)) as loaded:
        out = loaded.render(values, name=RELEASE, namespace=namespace, is_install=True)
    (notes,) = [text for path, text in out.items() if path.endswith("NOTES.txt")]
    return notes


def find(docs, kind, name=None):
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    return found


def one(docs, kind, name):
    found = find(docs, kind, name)
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def workload(docs, service):
    kind = "StatefulSet" if service == "log" else "Deployment"
    return one(docs, kind, f"{RELEASE}-{service}")


def container(docs, service):
    (c,) = workload(docs, service)["spec"]["template"]["spec"]["containers"]
    return c


def config_of(docs, service) -> dict:
    cm = one(docs, "ConfigMap", f"{RELEASE}-{service}")
    return tomllib.loads(cm["data"]["tarsplane.toml"])


def env_of(docs, service) -> dict:
    return {e["name"]: e for e in container(docs, service).get("env", [])}


@pytest.mark.parametrize("name", list(VALUE_SETS))
def test_every_value_set_renders_and_passes_the_values_schema(chart, name):
    chart.validate_schema(VALUE_SETS[name])
    docs = render(VALUE_SETS[name])
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "ConfigMap", "ServiceAccount"} <= kinds
    keys = [(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) for d in docs]
    assert len(keys) == len(set(keys)), "two objects share a kind, namespace and name"
    for d in docs:
        if d["kind"] != "CustomResourceDefinition":
            where = d["metadata"]["namespace"]
            # The one exception: kevent's Role and RoleBinding for the cluster-level events.
            assert where == NAMESPACE or (
                where == DEFAULT_NAMESPACE and d["kind"] in {"Role", "RoleBinding"}
                and d["metadata"]["name"] == f"{RELEASE}-kevent-{NAMESPACE}"), (d["kind"], where, d["metadata"]["name"])


def test_chart_metadata(chart):
    meta = chart.metadata
    assert meta["apiVersion"] == "v2"
    assert meta["name"] == "tarsplane"
    assert meta["version"] == "0.1.0"
    assert meta["appVersion"] == "0.1.0"
    assert meta["kubeVersion"] == ">=1.25.0-0"
    assert chart.crds == [], "CRDs are templates (templates/crds/), so they can be skipped"


@pytest.mark.parametrize("kube_version", ["v1.25.0", "v1.37.0"])
@pytest.mark.parametrize("name", ["defaults", "replace", "everything"])
def test_lint_strict_is_clean(kube_version, name):
    report = helm_python.lint(str(CHART), VALUE_SETS[name], strict=True, namespace=NAMESPACE,
                              kube_version=kube_version)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not report["errors"] and not problems, report


# --------------------------------------------------------------------------------------------
# Kubernetes schemas (kubernetes-validate --strict, every bundled version from 1.25)

# kubernetes-validate reads its schema files on every call; caching the reads keeps the whole
# matrix to a few seconds. The validation itself is the library's.
if not hasattr(kubernetes_validate.utils.schema_contents, "cache_info"):
    kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(
        kubernetes_validate.utils.schema_contents
    )

KUBE_VERSIONS = sorted(
    {Version(v) for v in kubernetes_validate.utils.all_versions() if Version(v) >= Version("1.25")}
)


def test_kubernetes_validate_bundles_125_to_137():
    assert KUBE_VERSIONS[0] == Version("1.25.0")
    assert KUBE_VERSIONS[-1] >= Version("1.37.0")


@functools.lru_cache(maxsize=None)
def unique_manifests() -> tuple:
    seen = {}
    for values in VALUE_SETS.values():
        for doc in render(values):
            seen.setdefault(json.dumps(doc, sort_keys=True), doc)
    return tuple(seen.values())


@pytest.mark.parametrize("version", [str(v) for v in KUBE_VERSIONS])
def test_every_manifest_is_valid_kubernetes_strict(version):
    failures = []
    for doc in unique_manifests():
        try:
            validated = kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            failures.append(f"{doc['kind']}/{doc['metadata']['name']}: {path}: {e.message}")
            continue
        except kubernetes_validate.SchemaNotFoundError as e:
            failures.append(e.message)
            continue
        assert validated == ".".join(version.split(".")[:2])
    assert not failures, "\n".join(failures)


def test_strict_validation_catches_unknown_fields():
    deployment = copy.deepcopy(workload(render({}), "stat"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, str(KUBE_VERSIONS[-1]), strict=True)


def test_only_stable_api_versions_are_used():
    allowed = {
        "v1", "apps/v1", "policy/v1", "rbac.authorization.k8s.io/v1",
        "networking.k8s.io/v1", "apiextensions.k8s.io/v1",
    }
    for doc in unique_manifests():
        assert doc["apiVersion"] in allowed, (doc["kind"], doc["apiVersion"])
    network = [d for d in unique_manifests() if d["kind"] == "NetworkPolicy"]
    assert network and all(d["apiVersion"] == "networking.k8s.io/v1" for d in network)


# --------------------------------------------------------------------------------------------
# CRDs


CRD_NAMES = {
    "TServer": "tservers.k8s.tars.io",
    "TEndpoint": "tendpoints.k8s.tars.io",
    "TTemplate": "ttemplates.k8s.tars.io",
    "TFrameworkConfig": "tframeworkconfigs.k8s.tars.io",
    "TConfig": "tconfigs.k8s.tars.io",
}


def crds(docs) -> dict:
    return {d["spec"]["names"]["kind"]: d for d in find(docs, "CustomResourceDefinition")}


@pytest.mark.parametrize(
    "name, installed",
    [("defaults", True), ("replace", False), ("standalone-without-crds", False),
     ("replace-partial", False), ("replace-with-reconciler", False)],
)
def test_crds_follow_the_mode_and_the_switch(name, installed):
    found = crds(render(VALUE_SETS[name]))
    assert set(found) == (set(CRD_NAMES) if installed else set())


def test_replace_mode_can_still_install_crds_explicitly():
    assert set(crds(render({"mode": "replace", "crds": {"install": True}}))) == set(CRD_NAMES)


def test_crds_are_kept_on_uninstall_and_serve_v1beta3():
    for kind, crd in crds(render({})).items():
        assert crd["metadata"]["name"] == CRD_NAMES[kind]
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        spec = crd["spec"]
        assert spec["group"] == "k8s.tars.io" and spec["scope"] == "Namespaced"
        (version,) = spec["versions"]
        assert version["name"] == "v1beta3" and version["served"] and version["storage"]
        has_status = "status" in version.get("subresources", {})
        assert has_status == (kind in {"TServer", "TEndpoint"}), kind
    no_keep = crds(render({"crds": {"keep": False}}))
    assert all("helm.sh/resource-policy" not in c["metadata"].get("annotations", {})
               for c in no_keep.values())


def openapi_schema(crd: dict) -> dict:
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def closed(schema: dict, root: bool = True) -> dict:
    """The CRD schema as JSON Schema, with unknown fields refused wherever the API server would
    prune them (so a sample, or an object the reconciler writes, loses nothing)."""
    out = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {k: closed(v, False) for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = closed(value, False)
        else:
            out[key] = value
    if root:
        out.setdefault("properties", {})
        out["properties"].update(
            {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
             "metadata": {"type": "object"}}
        )
    if "properties" in out and not schema.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def load_samples() -> dict[str, list[dict]]:
    samples: dict[str, list[dict]] = {}
    for path in sorted(SAMPLES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                samples.setdefault(doc["kind"], []).append(doc)
    return samples


def validator_for(kind: str):
    schema = closed(openapi_schema(crds(render({}))[kind]))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def test_samples_cover_every_crd():
    assert set(load_samples()) == set(CRD_NAMES)


@pytest.mark.parametrize("kind", list(CRD_NAMES))
def test_samples_validate_against_the_crd_schemas(kind):
    validator = validator_for(kind)
    for sample in load_samples()[kind]:
        assert sample["apiVersion"] == "k8s.tars.io/v1beta3"
        errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(sample)]
        assert not errors, f"{sample['metadata']['name']}: {errors}"


BROKEN = [
    ("TServer", lambda o: o["spec"].update(app="9Test"), "app starts with a letter"),
    ("TServer", lambda o: o["spec"].update(app="A" * 64), "app at most 63"),
    ("TServer", lambda o: o["spec"].update(subType="java"), "subType enum"),
    ("TServer", lambda o: o["spec"].update(important=21), "important 1..20"),
    ("TServer", lambda o: o["spec"].pop("server"), "server required"),
    ("TServer", lambda o: o["spec"]["tars"].pop("template"), "template required"),
    ("TServer", lambda o: o["spec"]["tars"].update(template="Tars_Default"), "template DNS"),
    ("TServer", lambda o: o["spec"]["tars"].update(asyncThread=51), "asyncThread 0..50"),
    ("TServer", lambda o: o["spec"]["tars"]["servants"][0].update(port=0), "port 1..65535"),
    ("TServer", lambda o: o["spec"]["tars"]["servants"][0].update(name="Hello.Obj"), "servant name"),
    ("TServer", lambda o: o["spec"]["tars"]["servants"][0].update(thread=100), "thread 1..99"),
    ("TServer", lambda o: o["spec"]["tars"]["servants"][0].update(timeout=-2), "timeout -1.."),
    ("TServer", lambda o: o["spec"]["tars"]["servants"][0].update(capacity=3000001), "capacity"),
    ("TServer", lambda o: o["spec"]["tars"]["servants"][0].update(isTars="yes"), "isTars bool"),
    ("TServer", lambda o: o["spec"]["tars"]["ports"][0].update(name="a-very-long-port-name"), "port name <= 15"),
    ("TServer", lambda o: o["spec"]["k8s"].update(replicas=100), "replicas 0..99"),
    ("TServer", lambda o: o["spec"]["release"].pop("image"), "release.image required"),
    ("TServer", lambda o: o["spec"].update(unknown=1), "unknown spec field pruned"),
    ("TEndpoint", lambda o: o["status"].pop("pods"), "status.pods required"),
    ("TEndpoint", lambda o: o["status"]["pods"][0].update(podIP=5), "podIP string"),
    ("TEndpoint", lambda o: o["spec"]["hostPorts"][0].pop("nameRef"), "hostPorts nameRef"),
    ("TTemplate", lambda o: o["spec"].pop("parent"), "parent required"),
    ("TTemplate", lambda o: o["spec"].update(content="x" * 1560001), "content <= 1560000"),
    ("TFrameworkConfig", lambda o: o["upChain"].update(default=[]), "upChain minItems 1"),
    ("TFrameworkConfig", lambda o: o["upChain"]["default"][0].pop("host"), "upChain host required"),
    ("TFrameworkConfig", lambda o: o["upChain"]["default"][0].update(port=70000), "upChain port"),
    ("TFrameworkConfig", lambda o: o["recordLimit"].update(texitedPod=5), "recordLimit 10..100"),
    ("TFrameworkConfig", lambda o: o["expand"].update(n=1), "expand values are strings"),
    ("TFrameworkConfig", lambda o: o.update(spec={}), "no spec"),
    ("TConfig", lambda o: o.pop("app"), "tconfig app required"),
    ("TConfig", lambda o: o.pop("configName"), "configName required"),
    ("TConfig", lambda o: o.pop("configContent"), "configContent required"),
    ("TConfig", lambda o: o.update(app="9Test"), "tconfig app starts with a letter"),
    ("TConfig", lambda o: o.update(server="Hello-Server"), "tconfig server letters and digits"),
    ("TConfig", lambda o: o.update(configName="hello.conf."), "configName ends alphanumeric"),
    ("TConfig", lambda o: o.update(configName="a/b.conf"), "configName no slash"),
    ("TConfig", lambda o: o.update(configName="c" * 64), "configName at most 63"),
    ("TConfig", lambda o: o.update(configContent="x" * 1560001), "configContent <= 1560000"),
    ("TConfig", lambda o: o.update(podSeq="100"), "podSeq m or 0..99"),
    ("TConfig", lambda o: o.update(podSeq="01"), "podSeq no leading zero"),
    ("TConfig", lambda o: o.update(podSeq=1), "podSeq is a string"),
    ("TConfig", lambda o: o.update(activated="yes"), "activated bool"),
    ("TConfig", lambda o: o.update(version="V1"), "version lower case"),
    ("TConfig", lambda o: o.update(updatePerson="p" * 101), "updatePerson at most 100"),
    ("TConfig", lambda o: o.update(updateReason="r" * 1601), "updateReason at most 1600"),
    ("TConfig", lambda o: o.update(spec={"app": "Test"}), "tconfig has no spec"),
]


@pytest.mark.parametrize("kind, breaker, rule", BROKEN, ids=[b[2] for b in BROKEN])
def test_crd_schemas_refuse_what_the_facts_forbid(kind, breaker, rule):
    sample = copy.deepcopy(load_samples()[kind][0])
    breaker(sample)
    assert list(validator_for(kind).iter_errors(sample)), rule


def structural_problems(node: dict, path: str = "") -> list[str]:
    """The rules of a structural schema the API server enforces (and kubernetes-validate does
    not): every node typed, objects with properties or additionalProperties but not both,
    arrays with items, and defaults that validate against their own node."""
    problems = []
    preserve = node.get("x-kubernetes-preserve-unknown-fields")
    if node.get("type") not in {"object", "array", "string", "integer", "number", "boolean"}:
        problems.append(f"{path or '<root>'}: no type")
    if "properties" in node and "additionalProperties" in node:
        problems.append(f"{path}: properties and additionalProperties together")
    if node.get("type") == "array" and "items" not in node:
        problems.append(f"{path}: array without items")
    if node.get("type") == "object" and not ({"properties", "additionalProperties"} & set(node)) and not preserve:
        problems.append(f"{path}: object without properties (everything would be pruned)")
    if "default" in node:
        errors = list(jsonschema.Draft7Validator(node).iter_errors(node["default"]))
        problems += [f"{path}: default {node['default']!r}: {e.message}" for e in errors]
    for name, sub in node.get("properties", {}).items():
        problems += structural_problems(sub, f"{path}.{name}" if path else name)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            problems += structural_problems(node[key], f"{path}.{key}")
    return problems


@pytest.mark.parametrize("kind", list(CRD_NAMES))
def test_crd_schemas_are_structural(kind):
    assert structural_problems(openapi_schema(crds(render({}))[kind])) == []


def schema_at(schema: dict, path: str) -> dict:
    node = schema
    for part in path.split("."):
        node = node["items"] if part == "[]" else node["properties"][part]
    return node


TSERVER_DEFAULTS = {
    "spec.important": 3,
    "spec.tars.asyncThread": 3,
    "spec.tars.servants": [],
    "spec.tars.servants.[].thread": 3,
    "spec.tars.servants.[].capacity": 10000,
    "spec.tars.servants.[].connection": 10000,
    "spec.tars.servants.[].timeout": 60000,
    "spec.tars.servants.[].isTars": True,
    "spec.tars.servants.[].isTcp": True,
    "spec.tars.ports.[].isTcp": True,
    "spec.normal.ports.[].isTcp": True,
    "spec.k8s.abilityAffinity": "AppOrServerPreferred",
    "spec.k8s.podManagementPolicy": "Parallel",
    "spec.k8s.imagePullPolicy": "Always",
    "spec.k8s.launcherType": "background",
}


def all_defaults(schema: dict, prefix: str = "") -> dict:
    found = {}
    if "default" in schema and prefix:
        found[prefix] = schema["default"]
    for name, sub in schema.get("properties", {}).items():
        found.update(all_defaults(sub, f"{prefix}.{name}" if prefix else name))
    if isinstance(schema.get("items"), dict):
        found.update(all_defaults(schema["items"], f"{prefix}.[]"))
    if isinstance(schema.get("additionalProperties"), dict):
        found.update(all_defaults(schema["additionalProperties"], f"{prefix}.*"))
    return found


def test_crd_defaults_are_k8sframeworks():
    found = crds(render({}))
    assert all_defaults(openapi_schema(found["TServer"])) == TSERVER_DEFAULTS
    assert all_defaults(openapi_schema(found["TEndpoint"])) == {}, "TEndpoint copies, never defaults"
    assert all_defaults(openapi_schema(found["TTemplate"])) == {}
    assert all_defaults(openapi_schema(found["TFrameworkConfig"])) == {
        "imageBuild.maxBuildTime": 300,
        "recordLimit": {},
        "recordLimit.texitedPod": 48,
        "recordLimit.tconfigHistory": 48,
        "recordLimit.timageRelease": 48,
        "upChain": {},
        "upChain.*.[].timeout": 6000,
        "upChain.*.[].isTcp": True,
        "expand": {},
    }
    assert all_defaults(openapi_schema(found["TConfig"])) == {
        "server": "",
        "podSeq": "m",
        "activated": True,
    }


def test_preserve_unknown_fields_only_where_the_shape_is_open():
    def preserved(schema, prefix=""):
        out = [prefix] if schema.get("x-kubernetes-preserve-unknown-fields") else []
        for name, sub in schema.get("properties", {}).items():
            out += preserved(sub, f"{prefix}.{name}" if prefix else name)
        if isinstance(schema.get("items"), dict):
            out += preserved(schema["items"], f"{prefix}.[]")
        return out

    found = crds(render({}))
    assert preserved(openapi_schema(found["TServer"])) == ["spec.k8s"]
    assert preserved(openapi_schema(found["TEndpoint"])) == ["status.pods.[].containerStatuses.[]"]
    assert preserved(openapi_schema(found["TTemplate"])) == []
    assert preserved(openapi_schema(found["TFrameworkConfig"])) == []
    assert preserved(openapi_schema(found["TConfig"])) == []


def test_tendpoint_schema_keeps_every_field_the_registry_reads():
    """framework facts §3.1: every field the registry decodes must survive pruning."""
    schema = openapi_schema(crds(render({}))["TEndpoint"])
    for path in [
        "spec.tars.asyncThread", "spec.tars.template", "spec.tars.profile",
        "spec.tars.servants.[].name", "spec.tars.servants.[].port", "spec.tars.servants.[].isTcp",
        "spec.tars.servants.[].isTars", "spec.tars.servants.[].thread",
        "spec.tars.servants.[].connection", "spec.tars.servants.[].timeout",
        "spec.tars.servants.[].capacity", "status.pods.[].name", "status.pods.[].settingState",
        "status.pods.[].presentState",
    ]:
        schema_at(schema, path)
    upchain = openapi_schema(crds(render({}))["TFrameworkConfig"])["properties"]["upChain"]
    assert set(upchain["additionalProperties"]["items"]["properties"]) == {"host", "port", "timeout", "isTcp"}


def test_tconfig_schema_is_the_top_level_fields_of_framework_next():
    """framework next §1.3: no spec or status, these fields and no others, three required."""
    schema = openapi_schema(crds(render({}))["TConfig"])
    assert set(schema["properties"]) == {
        "app", "server", "configName", "configContent", "podSeq", "updateTime", "updatePerson",
        "updateReason", "activated", "version"}
    assert set(schema["required"]) == {"app", "configName", "configContent"}
    assert schema["properties"]["configContent"]["maxLength"] == 1560000
    assert schema["properties"]["updateTime"]["format"] == "date-time"
    validator = validator_for("TConfig")
    sample = load_samples()["TConfig"][0]
    for seq in ["m", "0", "1", "9", "10", "99"]:
        assert not list(validator.iter_errors({**sample, "podSeq": seq})), seq
    for name in ["a", "hello.conf", "Hello_World-1.conf", "0.json"]:
        assert not list(validator.iter_errors({**sample, "configName": name})), name
    assert not list(validator.iter_errors({**sample, "server": ""})), "app-level file"


# --------------------------------------------------------------------------------------------
# RBAC


def permissions(docs, namespace: str = NAMESPACE) -> dict[str, set]:
    """ServiceAccount name -> set of (apiGroup, resource, verb, resourceName or '*', namespace
    the Role and RoleBinding are in)."""
    assert not find(docs, "ClusterRole") and not find(docs, "ClusterRoleBinding")
    roles = {(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in find(docs, "Role")}
    granted: dict[str, set] = {sa["metadata"]["name"]: set() for sa in find(docs, "ServiceAccount")}
    for binding in find(docs, "RoleBinding"):
        assert binding["roleRef"]["kind"] == "Role"
        where = binding["metadata"]["namespace"]
        role = roles[(where, binding["roleRef"]["name"])]
        for subject in binding["subjects"]:
            assert subject["kind"] == "ServiceAccount" and subject["namespace"] == namespace
            for rule in role["rules"]:
                for group in rule["apiGroups"]:
                    for resource in rule["resources"]:
                        for verb in rule["verbs"]:
                            for name in rule.get("resourceNames", ["*"]):
                                assert "*" not in (group, resource, verb)
                                granted[subject["name"]].add((group, resource, verb, name, where))
    bound = {(b["metadata"]["namespace"], b["roleRef"]["name"]) for b in find(docs, "RoleBinding")}
    assert set(roles) <= bound, f"Roles bound to nobody: {sorted(set(roles) - bound)}"
    return granted


# The expected permissions (rbac_expectations.py) are shared with test_cluster_rbac.py, which
# checks them against a real API server with SubjectAccessReviews.
@pytest.mark.parametrize("name, reconciler", RBAC_CASES)
def test_rbac_is_exactly_what_each_service_needs(name, reconciler):
    values = VALUE_SETS[name]
    granted = permissions(render(values))
    expected = expected_permissions(values, reconciler, SERVICES, NAMESPACE)
    for service in SERVICES:
        account = f"{RELEASE}-{service}"
        if account not in expected:
            assert account not in granted, service
            continue
        assert granted[account] == expected[account], service


def test_custom_lease_name_is_the_one_the_role_allows():
    docs = render({"config": {"registry": {"reconciler": {"lease_name": "my-lease"}}}})
    leases = {p for p in permissions(docs)[f"{RELEASE}-registry"] if p[1] == "leases"}
    assert leases == {("coordination.k8s.io", "leases", "create", "*", NAMESPACE),
                      ("coordination.k8s.io", "leases", "get", "my-lease", NAMESPACE),
                      ("coordination.k8s.io", "leases", "update", "my-lease", NAMESPACE)}
    assert config_of(docs, "registry")["registry"]["reconciler"]["lease_name"] == "my-lease"


def kevent_rbac(docs) -> list[tuple]:
    """(kind, namespace, name) of the Roles and RoleBindings bound to kevent's account."""
    found = []
    for binding in find(docs, "RoleBinding"):
        if any(s["name"] == f"{RELEASE}-kevent" for s in binding["subjects"]):
            where = binding["metadata"]["namespace"]
            found.append(("RoleBinding", where, binding["metadata"]["name"]))
            found.append(("Role", where, binding["roleRef"]["name"]))
    return sorted(found)


@pytest.mark.parametrize("name", ["defaults", "replace"])
def test_kevent_reads_events_in_its_namespace_and_default(name):
    """K8SFramework's tarskevent has a ClusterRole on events; the chart grants the same verbs in
    the two namespaces it watches, through a Role and RoleBinding in each."""
    docs = render(VALUE_SETS[name])
    cluster_name = f"{RELEASE}-kevent-{NAMESPACE}"
    assert kevent_rbac(docs) == sorted([
        ("Role", NAMESPACE, f"{RELEASE}-kevent"), ("RoleBinding", NAMESPACE, f"{RELEASE}-kevent"),
        ("Role", DEFAULT_NAMESPACE, cluster_name), ("RoleBinding", DEFAULT_NAMESPACE, cluster_name)])
    role = [r for r in find(docs, "Role", cluster_name)]
    assert [r["metadata"]["namespace"] for r in role] == [DEFAULT_NAMESPACE]
    assert role[0]["rules"] == [{"apiGroups": [""], "resources": ["events"],
                                 "verbs": ["get", "list", "watch"]}]
    (binding,) = find(docs, "RoleBinding", cluster_name)
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": f"{RELEASE}-kevent",
                                    "namespace": NAMESPACE}]
    assert permissions(docs)[f"{RELEASE}-kevent"] == (
        {p + (NAMESPACE,) for p in KEVENT} | {p + (DEFAULT_NAMESPACE,) for p in KEVENT})
    assert config_of(docs, "kevent")["kevent"]["cluster_events"] is True


def test_kevent_without_cluster_events_stays_in_its_namespace():
    docs = render(VALUE_SETS["kevent-without-cluster-events"])
    assert kevent_rbac(docs) == sorted([("Role", NAMESPACE, f"{RELEASE}-kevent"),
                                        ("RoleBinding", NAMESPACE, f"{RELEASE}-kevent")])
    assert all(d["metadata"].get("namespace") in (None, NAMESPACE) for d in docs)
    assert config_of(docs, "kevent")["kevent"]["cluster_events"] is False


def test_kevent_released_into_default_has_one_role():
    """In `default` the cluster-level events are the namespace's own (the binary watches it
    once), so there is one Role, not two."""
    docs = render({}, namespace=DEFAULT_NAMESPACE)
    name = f"{RELEASE}-kevent"
    assert kevent_rbac(docs) == sorted([("Role", DEFAULT_NAMESPACE, name),
                                        ("RoleBinding", DEFAULT_NAMESPACE, name)])
    granted = permissions(docs, namespace=DEFAULT_NAMESPACE)
    expected = expected_permissions({}, True, SERVICES, DEFAULT_NAMESPACE)
    assert granted == expected
    assert granted[name] == {p + (DEFAULT_NAMESPACE,) for p in KEVENT}


def test_disabled_kevent_has_no_role_anywhere():
    docs = render({"kevent": {"enabled": False}})
    assert kevent_rbac(docs) == []
    assert not [d for d in docs if "kevent" in d["metadata"]["name"]]
    assert "kevent" not in render_notes({"kevent": {"enabled": False}})


@pytest.mark.parametrize("name", ["defaults", "replace"])
def test_only_registry_notify_config_and_kevent_get_an_api_token(name):
    docs = render(VALUE_SETS[name])
    for service in SERVICES:
        needs = service in KUBE_SERVICES
        sa = one(docs, "ServiceAccount", f"{RELEASE}-{service}")
        pod = workload(docs, service)["spec"]["template"]["spec"]
        assert sa["automountServiceAccountToken"] is needs, service
        assert pod["automountServiceAccountToken"] is needs, service
        assert pod["serviceAccountName"] == f"{RELEASE}-{service}"


# --------------------------------------------------------------------------------------------
# Services, workloads, probes


@pytest.mark.parametrize("name", ["defaults", "replace", "everything"])
def test_services_use_k8sframework_names_and_ports(name):
    docs = render(VALUE_SETS[name])
    services = {s["metadata"]["name"]: s for s in find(docs, "Service")}
    assert set(services) == {svc for svc, _ in K8SFRAMEWORK_SERVICES.values() if svc}
    for service, (svc_name, ports) in K8SFRAMEWORK_SERVICES.items():
        if svc_name is None:
            # kevent: no Service (K8SFramework's tars-tarskevent has none); its pod serves the
            # admin port only, and no Service selects it.
            labels = workload(docs, service)["spec"]["template"]["metadata"]["labels"]
            assert not [s for s in services.values() if s["spec"]["selector"].items() <= labels.items()]
            assert container(docs, service)["ports"] == [
                {"name": "admin", "containerPort": ADMIN_PORT, "protocol": "TCP"}]
            continue
        svc = services[svc_name]
        assert svc["spec"]["type"] == "ClusterIP"
        got = {p["name"]: p["port"] for p in svc["spec"]["ports"]}
        assert got == {**ports, "admin": ADMIN_PORT}, svc_name
        assert all(p["protocol"] == "TCP" and p["targetPort"] == p["name"] for p in svc["spec"]["ports"])
        # The selector picks exactly this service's pods, and every target port exists there.
        matching = [
            w for w in find(docs, "Deployment") + find(docs, "StatefulSet")
            if svc["spec"]["selector"].items() <= w["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert [w["metadata"]["name"] for w in matching] == [f"{RELEASE}-{service}"]
        container_ports = {p["name"]: p["containerPort"] for p in container(docs, service)["ports"]}
        assert container_ports == got


def test_disabled_services_render_nothing():
    docs = render(VALUE_SETS["replace-partial"])
    names = {d["metadata"]["name"] for d in docs}
    assert not {"tars-tarslog", "tars-tarsnotify", "tars-tarsconfig", "tars-tarsadminregistry"} & names
    assert not any(n.startswith((f"{RELEASE}-log", f"{RELEASE}-notify", f"{RELEASE}-config",
                                 f"{RELEASE}-adminreg", f"{RELEASE}-kevent"))
                   for n in names)
    assert all(d["metadata"].get("namespace") in (None, NAMESPACE) for d in docs)
    routes = config_of(docs, "registry")["registry"]["routes"]
    assert not {"tars.tarslog.LogObj", "tars.tarsnotify.NotifyObj", "tars.tarsconfig.ConfigObj",
                "tars.tarsAdminRegistry.AdminRegObj", "tars.tarsadminregistry.AdminRegObj"} & set(routes)
    assert "tars.tarsstat.StatObj" in routes
    notes = render_notes(VALUE_SETS["replace-partial"])
    assert "tars-tarsstat:" in notes and "tars-tarsadminregistry" not in notes and "kevent" not in notes


@pytest.mark.parametrize("name", ["defaults", "everything"])
def test_every_process_runs_its_service_with_probes_on_the_admin_port(name):
    docs = render(VALUE_SETS[name])
    for service in SERVICES:
        c = container(docs, service)
        pod = workload(docs, service)["spec"]["template"]
        assert c["image"] == "ghcr.io/tarsplane/tarsplane:0.1.0"
        assert c["imagePullPolicy"] == "IfNotPresent"
        assert c["command"] == ["/usr/local/bin/tarsplane"]
        assert c["args"] == ["serve", service, "--config", "/etc/tarsplane/tarsplane.toml"]
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        assert mounts["/etc/tarsplane"]["readOnly"] is True
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}
        assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"}
        assert c["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == "9100"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/config"])
        assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True


def test_image_tag_and_digest():
    c = container(render({"image": {"tag": "1.2.3", "pullPolicy": "Always"}}), "stat")
    assert c["image"] == "ghcr.io/tarsplane/tarsplane:1.2.3" and c["imagePullPolicy"] == "Always"
    digest = "sha256:" + "a" * 64
    assert container(render({"image": {"digest": digest}}), "log")["image"] == f"ghcr.io/tarsplane/tarsplane@{digest}"


def test_registry_pod_name_replicas_anti_affinity_and_pdb():
    docs = render({})
    deployment = workload(docs, "registry")
    assert deployment["spec"]["replicas"] == 2
    env = env_of(docs, "registry")
    assert env["PodName"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    (term,) = deployment["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert term["podAffinityTerm"]["labelSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    pdb = one(docs, "PodDisruptionBudget", f"{RELEASE}-registry")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"] == {"minAvailable": 1, "selector": deployment["spec"]["selector"]}
    pdbs = {p["metadata"]["name"] for p in find(docs, "PodDisruptionBudget")}
    assert pdbs == {f"{RELEASE}-registry", f"{RELEASE}-config"}, "the services with 2 replicas"


def test_single_registry_has_no_pdb_and_more_replicas_get_one():
    pdbs = {p["metadata"]["name"] for p in find(render(VALUE_SETS["registry-1"]), "PodDisruptionBudget")}
    assert pdbs == {f"{RELEASE}-config"}
    pdbs = {p["metadata"]["name"] for p in find(render(VALUE_SETS["everything"]), "PodDisruptionBudget")}
    assert pdbs == {f"{RELEASE}-registry", f"{RELEASE}-stat", f"{RELEASE}-config"}
    off = render({"registry": {"pdb": {"enabled": False}}, "configServer": {"pdb": {"enabled": False}}})
    assert not find(off, "PodDisruptionBudget")
    assert not find(render({"configServer": {"replicas": 1}}), "PodDisruptionBudget", f"{RELEASE}-config")


@pytest.mark.parametrize("name", ["defaults", "replace", "replace-with-reconciler"])
def test_config_service_runs_in_every_mode_with_two_replicas_spread_over_nodes(name):
    """The config service replaces K8SFramework's tarsconfig in replace mode too (only the CRD
    is K8SFramework's there); like the registry it answers from a watch cache, so it runs two
    replicas that prefer different nodes, under a PodDisruptionBudget."""
    docs = render(VALUE_SETS[name])
    deployment = workload(docs, "config")
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    (term,) = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert term["podAffinityTerm"]["labelSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "config"
    assert one(docs, "PodDisruptionBudget", f"{RELEASE}-config")["spec"]["minAvailable"] == 1
    assert set(env_of(docs, "config")) == {"RUST_LOG"}, "no PodName (no Lease), no credentials"
    assert container(docs, "config")["name"] == "config"
    cfg = config_of(docs, "config")
    assert cfg["kubernetes_namespace"] == NAMESPACE
    assert cfg["config"] == {"source": "kubernetes"}
    assert not {"sink", "registry", "stat", "notify"} & set(cfg)
    assert one(docs, "Service", "tars-tarsconfig")["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_config_service_values_are_under_config_server():
    """`config` holds the TOML overrides, so the service's own values are `configServer`."""
    docs = render(VALUE_SETS["everything"])
    deployment = workload(docs, "config")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["template"]["metadata"]["labels"]["team"] == "platform"
    assert config_of(docs, "config")["config"] == {
        "source": "kubernetes", "stale_after_secs": 90, "max_content_bytes": 2000000}
    assert isinstance(config_of(docs, "config")["config"]["max_content_bytes"], int)
    assert values_of(VALUE_SETS["everything"], "config") is VALUE_SETS["everything"]["configServer"]


@pytest.mark.parametrize("name", ["defaults", "replace", "replace-with-reconciler"])
def test_adminreg_serves_tars_tarsadminregistry_without_api_access(name):
    """framework next §3: K8SFramework's Service tars-tarsadminregistry (port 19111), in both
    modes; it calls pods' NodeObj and tarsweb, never the Kubernetes API, yet its TOML names the
    namespace (pingNode completes bare pod names with it)."""
    docs = render(VALUE_SETS[name])
    deployment = workload(docs, "adminreg")
    assert deployment["spec"]["replicas"] == 1
    assert container(docs, "adminreg")["args"] == [
        "serve", "adminreg", "--config", "/etc/tarsplane/tarsplane.toml"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert one(docs, "ServiceAccount", f"{RELEASE}-adminreg")["automountServiceAccountToken"] is False
    assert permissions(docs)[f"{RELEASE}-adminreg"] == set()
    assert not [d for d in find(docs, "Role") + find(docs, "RoleBinding") if "adminreg" in d["metadata"]["name"]]
    svc = one(docs, "Service", "tars-tarsadminregistry")
    assert [(p["name"], p["port"]) for p in svc["spec"]["ports"]] == [("adminregobj", 19111), ("admin", ADMIN_PORT)]
    assert svc["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    cfg = config_of(docs, "adminreg")
    assert cfg["kubernetes_namespace"] == NAMESPACE
    assert not {"sink", "registry", "kevent", "notify"} & set(cfg)
    assert set(env_of(docs, "adminreg")) == {"RUST_LOG"}
    assert "PodDisruptionBudget" not in {d["kind"] for d in docs if "adminreg" in d["metadata"]["name"]}
    routes = config_of(docs, "registry")["registry"]["routes"]
    for obj in ["tars.tarsAdminRegistry.AdminRegObj", "tars.tarsadminregistry.AdminRegObj"]:
        assert routes[obj] == [{"host": "tars-tarsadminregistry", "port": 19111}]
    assert "tars-tarsadminregistry: tars.tarsAdminRegistry.AdminRegObj 19111" in render_notes(VALUE_SETS[name])


@pytest.mark.parametrize("name", ["defaults", "replace", "replace-with-reconciler"])
def test_kevent_runs_one_replica_writing_to_the_store_without_a_service(name):
    """framework next §4: tars-tarskevent has no servants and one replica; it writes to the
    store, so it gets the sink section, the spool volume and the credentials like notify."""
    docs = render(VALUE_SETS[name])
    deployment = workload(docs, "kevent")
    assert deployment["spec"]["replicas"] == 1
    assert container(docs, "kevent")["args"] == [
        "serve", "kevent", "--config", "/etc/tarsplane/tarsplane.toml"]
    assert deployment["spec"]["template"]["spec"]["automountServiceAccountToken"] is True
    assert not [s for s in find(docs, "Service") if "kevent" in s["metadata"]["name"]]
    cfg = config_of(docs, "kevent")
    assert cfg["kubernetes_namespace"] == NAMESPACE
    assert cfg["kevent"]["index"] == f"{NAMESPACE}_kevent_"
    assert cfg["sink"]["elasticsearch"]["nodes"] == ["http://tars-elasticsearch:9200"]
    assert not {"registry", "notify", "adminreg"} & set(cfg)
    assert "kevent (no Service" in render_notes(VALUE_SETS[name])
    credentials = render(VALUE_SETS["password-tls"])
    assert env_of(credentials, "kevent")["TARSPLANE_ES_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "password"


def test_explicit_affinity_replaces_the_default():
    pod = workload(render(VALUE_SETS["everything"]), "registry")["spec"]["template"]["spec"]
    assert pod["affinity"] == {"nodeAffinity": {}}
    assert "affinity" not in workload(render({}), "stat")["spec"]["template"]["spec"]


def test_log_statefulset_keeps_logs_on_a_claim_or_an_emptydir():
    docs = render({})
    sts = workload(docs, "log")
    assert sts["spec"]["serviceName"] == "tars-tarslog"
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "logs"
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert "storageClassName" not in claim["spec"]
    mounts = {m["name"]: m["mountPath"] for m in container(docs, "log")["volumeMounts"]}
    assert mounts["logs"] == "/usr/local/app/tars/remote_app_log"
    assert config_of(docs, "log")["log"]["log_path"] == "/usr/local/app/tars/remote_app_log"
    assert "logs" not in {v["name"] for v in sts["spec"]["template"]["spec"]["volumes"]}

    off = workload(render(VALUE_SETS["persistence-off"]), "log")
    assert "volumeClaimTemplates" not in off["spec"]
    volumes = {v["name"]: v for v in off["spec"]["template"]["spec"]["volumes"]}
    assert volumes["logs"] == {"name": "logs", "emptyDir": {"sizeLimit": "5Gi"}}

    fast = workload(render(VALUE_SETS["everything"]), "log")
    assert fast["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "fast"


def test_log_service_builds_traces_with_the_store_unless_told_not_to():
    traced = config_of(render({"config": {"trace": {"quiet_ms": 3000, "delete_after": "3d"}}}), "log")
    assert traced["trace"] == {"quiet_ms": 3000, "delete_after": "3d"}
    assert traced["sink"]["elasticsearch"]["nodes"] == ["http://tars-elasticsearch:9200"]
    assert "trace" not in config_of(render({}), "log"), "the binary's defaults: trace enabled"
    off = render({"config": {"trace": {"enabled": False}}})
    assert config_of(off, "log")["trace"] == {"enabled": False}
    assert "sink" not in config_of(off, "log"), "no traces, no shipping: no store"
    secret_off = render({"elasticsearch": {"username": "u", "password": "p"},
                         "config": {"trace": {"enabled": False}}})
    assert "TARSPLANE_ES_PASSWORD" not in env_of(secret_off, "log")
    shipping = render({"config": {"trace": {"enabled": False}, "log": {"ship_to_sink": True}}})
    assert "sink" in config_of(shipping, "log")


def test_spool_lives_on_an_emptydir_volume():
    docs = render({})
    for service in STORE_SERVICES:
        pod = workload(docs, service)["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["data"]["emptyDir"] == {"sizeLimit": "1536Mi"}
        mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
        assert mounts["data"] == "/var/lib/tarsplane"
        spool = config_of(docs, service)["sink"]["elasticsearch"]["spool"]
        assert spool["dir"].startswith("/var/lib/tarsplane/")
        assert spool["enabled"] is True and spool["max_bytes"] == 1073741824


def test_network_policies_are_optional_and_admit_only_the_service_ports():
    assert not find(render({}), "NetworkPolicy")
    docs = render(VALUE_SETS["everything"])
    for service, (_, ports) in K8SFRAMEWORK_SERVICES.items():
        policy = one(docs, "NetworkPolicy", f"{RELEASE}-{service}")
        assert policy["spec"]["policyTypes"] == ["Ingress"], "egress is not restricted"
        *tars_rules, admin_rule = policy["spec"]["ingress"]
        if ports:
            (tars_rule,) = tars_rules
            assert {p["port"] for p in tars_rule["ports"]} == set(ports.values())
            assert tars_rule["from"] == VALUE_SETS["everything"]["networkPolicy"]["clients"]
        else:
            # kevent: a rule without ports would admit every port, so there is none.
            assert tars_rules == [], service
        assert admin_rule["ports"] == [{"port": ADMIN_PORT, "protocol": "TCP"}]
        assert "from" not in admin_rule


# --------------------------------------------------------------------------------------------
# The TOML files


def rust_struct_fields(path: str, name: str) -> set[str]:
    """The serde field names of a Rust config struct (fields marked #[serde(skip)] excluded)."""
    text = (REPO / path).read_text()
    match = re.search(r"pub struct %s(?:<[^>]*>)?\s*\{(.*?)\n\}" % name, text, re.S)
    assert match, f"{name} in {path}"
    fields, skip = set(), False
    for line in match.group(1).splitlines():
        line = line.strip()
        if line.startswith("#[serde(skip"):
            skip = True
        field = re.match(r"pub (\w+):", line)
        if field:
            if not skip:
                fields.add(field.group(1))
            skip = False
    return fields


STRUCTS = {
    (): ("tarsplane/src/config.rs", "Config"),
    ("sink",): ("sink/src/config.rs", "Config"),
    ("sink", "elasticsearch"): ("sink/src/config.rs", "EsConfig"),
    ("sink", "elasticsearch", "spool"): ("sink/src/config.rs", "SpoolConfig"),
    ("sink", "sqlite"): ("sink/src/config.rs", "SqliteConfig"),
    ("stat",): ("aggregate/src/config.rs", "Config"),
    ("property",): ("aggregate/src/config.rs", "Config"),
    ("notify",): ("notify/src/config.rs", "Config"),
    ("log",): ("log/src/config.rs", "Config"),
    ("trace",): ("trace/src/config.rs", "Config"),
    ("registry",): ("registry/src/config.rs", "Config"),
    ("registry", "reconciler"): ("registry/src/config.rs", "ReconcilerConfig"),
    ("admin",): ("tarsplane/src/admin.rs", "AdminConfig"),
    ("config",): ("config/src/config.rs", "Config"),
    ("adminreg",): ("adminreg/src/config.rs", "Config"),
    ("kevent",): ("kevent/src/config.rs", "Config"),
}
# Maps whose keys are data (object ids, IPs, roll types), and what their values are.
FREE_MAPS = {
    ("registry", "routes"): ("registry/src/routes.rs", "RouteEndpoint"),
    ("notify", "pod_names"): None,
    ("log", "log_types"): None,
}


def struct_fields(path: tuple) -> set[str]:
    assert path in STRUCTS, f"no config struct for [{'.'.join(path)}]"
    return rust_struct_fields(*STRUCTS[path])


def check_keys(table: dict, path: tuple = ()) -> None:
    allowed = struct_fields(path)
    for key, value in table.items():
        assert key in allowed, f"[{'.'.join(path)}] has no key {key!r} (valid: {sorted(allowed)})"
        sub = path + (key,)
        if sub in FREE_MAPS:
            entry = FREE_MAPS[sub]
            for item in value.values():
                if entry:
                    for endpoint in item:
                        assert set(endpoint) <= rust_struct_fields(*entry), endpoint
        elif isinstance(value, dict):
            check_keys(value, sub)


@pytest.mark.parametrize("name", list(VALUE_SETS))
def test_config_files_use_only_keys_the_binary_knows(name):
    docs = render(VALUE_SETS[name])
    for cm in find(docs, "ConfigMap"):
        if "tarsplane.toml" in cm["data"]:
            check_keys(tomllib.loads(cm["data"]["tarsplane.toml"]))


def tarsplane_binary() -> Path | None:
    """TARSPLANE_BIN, else the newest cargo build in target/ (none: the check is skipped)."""
    if os.environ.get("TARSPLANE_BIN"):
        return Path(os.environ["TARSPLANE_BIN"])
    built = [p for p in (REPO / "target/release/tarsplane", REPO / "target/debug/tarsplane") if p.is_file()]
    return max(built, key=lambda p: p.stat().st_mtime) if built else None


def test_config_files_pass_the_binarys_own_check(tmp_path):
    """`tarsplane config check` on every file the chart writes, with the environment its pod
    gets (credentials as placeholders), when a built binary is at hand."""
    binary = tarsplane_binary()
    if binary is None:
        pytest.skip("no tarsplane binary (set TARSPLANE_BIN or build with cargo) to run `config check`")
    assert binary.is_file(), f"TARSPLANE_BIN={binary} is not a file"
    cases = {}
    for values in VALUE_SETS.values():
        docs = render(values)
        for service in SERVICES:
            if find(docs, "ConfigMap", f"{RELEASE}-{service}"):
                text = one(docs, "ConfigMap", f"{RELEASE}-{service}")["data"]["tarsplane.toml"]
                secrets = tuple(sorted(n for n in env_of(docs, service) if n.startswith("TARSPLANE_ES_")))
                cases[(text, secrets)] = service
    base = {k: v for k, v in os.environ.items() if not k.startswith("TARSPLANE_")}
    failures = []
    for i, ((text, secrets), service) in enumerate(cases.items()):
        path = tmp_path / f"{service}-{i}.toml"
        path.write_text(text)
        env = dict(base, **{name: "placeholder" for name in secrets})
        result = subprocess.run([str(binary), "config", "check", str(path)], env=env,
                                capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            failures.append(f"{service}: {result.stderr.strip()}\n{text}")
    assert not failures, "\n\n".join(failures)


def schema_keys(node: dict, path: tuple = ()):
    if node.get("type") == "object" and "properties" in node:
        for key, sub in node["properties"].items():
            yield path + (key,)
            if path + (key,) not in FREE_MAPS:
                yield from schema_keys(sub, path + (key,))


def test_values_schema_config_keys_exist_in_the_config_structs(chart):
    for path in schema_keys(chart.schema["properties"]["config"]):
        assert path[-1] in struct_fields(path[:-1]), ".".join(path)


def test_config_per_mode_and_namespace():
    for name, enabled in [("defaults", True), ("replace", False), ("replace-with-reconciler", True)]:
        registry = config_of(render(VALUE_SETS[name]), "registry")
        assert registry["registry"]["source"] == "kubernetes"
        assert registry["registry"]["reconciler"]["enabled"] is enabled
        assert config_of(render(VALUE_SETS[name]), "config")["config"]["source"] == "kubernetes"
    docs = render({})
    for service in SERVICES:
        cfg = config_of(docs, service)
        assert cfg["host"] == "0.0.0.0"
        assert cfg["admin"] == {"listen": "0.0.0.0:9100"}
        assert cfg["log_format"] == "text"
        # Only the services that use the API, and adminreg, are given the namespace.
        assert cfg.get("kubernetes_namespace") == (NAMESPACE if service in NAMESPACE_SERVICES else None)
        assert ("sink" in cfg) == (service in STORE_SERVICES), service
    assert config_of(docs, "stat")["stat"]["index_prefix"] == f"{NAMESPACE}_stat_"
    assert config_of(docs, "querystat")["stat"]["index_prefix"] == f"{NAMESPACE}_stat_"
    assert config_of(docs, "property")["property"]["index_prefix"] == f"{NAMESPACE}_property_"
    assert config_of(docs, "queryproperty")["property"]["index_prefix"] == f"{NAMESPACE}_property_"
    assert config_of(docs, "notify")["notify"]["index"] == f"{NAMESPACE}_notify_"
    assert config_of(docs, "kevent")["kevent"] == {"index": f"{NAMESPACE}_kevent_", "cluster_events": True}
    assert config_of(docs, "adminreg")["adminreg"] == {"node_port": 19385,
                                                       "web_url": "http://tars-tarsweb:3000"}
    assert config_of(docs, "stat")["sink"]["elasticsearch"]["nodes"] == ["http://tars-elasticsearch:9200"]


def test_registry_routes_the_framework_objects_to_the_chart_services():
    routes = config_of(render({}), "registry")["registry"]["routes"]
    assert routes == {
        obj: [{"host": K8SFRAMEWORK_SERVICES[service][0], "port": port}]
        for obj, (service, port) in FRAMEWORK_OBJECTS.items()
    }
    off = config_of(render({"registry": {"routeFrameworkObjects": False}}), "registry")
    assert "routes" not in off["registry"]


def test_config_overrides_merge_with_integer_types():
    docs = render(VALUE_SETS["everything"])
    stat = config_of(docs, "stat")
    assert stat["stat"] == {"index_prefix": "prod_stat_", "time_zone": "Asia/Shanghai",
                            "max_keys": 2000000, "shards": 128}
    assert isinstance(stat["stat"]["max_keys"], int)
    assert stat["host"] == "::" and stat["admin"]["listen"] == "[::]:9100"
    assert stat["log_format"] == "json"
    es = stat["sink"]["elasticsearch"]
    assert es["max_bulk_docs"] == 5000 and es["spool"]["fsync"] is False and es["spool"]["enabled"] is True
    registry = config_of(docs, "registry")["registry"]
    assert registry["stale_after_secs"] == 120
    assert registry["routes"]["Legacy.Gateway.Obj"] == [{"host": "10.0.0.1", "port": 9000}]
    assert "tars.tarsstat.StatObj" in registry["routes"]
    log = config_of(docs, "log")
    assert log["log"]["log_types"] == {"10minute": ["Test.HelloServer.access"]}
    assert log["log"]["ship_to_sink"] is True and "sink" in log, "shipping logs needs the sink"
    assert config_of(docs, "notify")["notify"]["pod_names"] == {"10.0.0.9": "vm-9.legacy"}
    kevent = config_of(docs, "kevent")["kevent"]
    assert kevent == {"index": "prod_kevent_", "cluster_events": True, "delete_after": "7d",
                      "batch_max_docs": 1000, "max_remembered": 50000}
    assert isinstance(kevent["batch_max_docs"], int)
    assert config_of(docs, "adminreg")["adminreg"] == {
        "node_port": 19385, "web_url": "http://tarsweb.tars:3000", "node_call_timeout_ms": 5000}
    assert workload(docs, "kevent")["spec"]["template"]["metadata"]["labels"]["team"] == "platform"
    notes = render_notes(VALUE_SETS["everything"])
    assert "-> prod_kevent_" in notes
    index_in_config = render_notes({"config": {"kevent": {"index": "events"}}})
    assert "-> events " in index_in_config, "config.kevent.index wins, as in the TOML file"


# --------------------------------------------------------------------------------------------
# Elasticsearch credentials


def test_no_credentials_no_secret_no_env():
    docs = render({})
    assert not find(docs, "Secret")
    for service in SERVICES:
        assert not {"TARSPLANE_ES_PASSWORD", "TARSPLANE_ES_API_KEY"} & set(env_of(docs, service))


def test_chart_created_secret_feeds_the_password_to_store_services_only():
    docs = render(VALUE_SETS["password-tls"])
    secret = one(docs, "Secret", f"{RELEASE}-elasticsearch")
    assert set(secret["data"]) == {"password"}
    for service in SERVICES:
        env = env_of(docs, service)
        es = config_of(docs, service).get("sink", {}).get("elasticsearch")
        if service in STORE_SERVICES:
            assert env["TARSPLANE_ES_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
                "name": secret["metadata"]["name"], "key": "password"}
            assert es["username"] == "tars" and "password" not in es
            assert es["ca_cert_path"] == "/etc/tarsplane-ca/ca.crt"
            assert es["nodes"] == VALUE_SETS["password-tls"]["elasticsearch"]["nodes"]
            mounts = {m["name"]: m for m in container(docs, service)["volumeMounts"]}
            assert mounts["elasticsearch-ca"]["mountPath"] == "/etc/tarsplane-ca"
            annotations = workload(docs, service)["spec"]["template"]["metadata"]["annotations"]
            assert "checksum/secret" in annotations
        else:
            assert "TARSPLANE_ES_PASSWORD" not in env and es is None
    assert "s3cret" not in json.dumps([d for d in docs if d["kind"] != "Secret"])


def test_existing_secret_is_referenced_not_created():
    docs = render(VALUE_SETS["existing-secret"])
    assert not find(docs, "Secret")
    for service in STORE_SERVICES:
        ref = env_of(docs, service)["TARSPLANE_ES_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "es-credentials", "key": "password"}
        assert "TARSPLANE_ES_API_KEY" not in env_of(docs, service)
    custom = render({"elasticsearch": {"existingSecret": "es", "existingSecretKeys": {"apiKey": "key"}}})
    assert env_of(custom, "stat")["TARSPLANE_ES_API_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "es", "key": "key"}


def test_api_key_secret():
    docs = render(VALUE_SETS["api-key"])
    secret = one(docs, "Secret", f"{RELEASE}-elasticsearch")
    assert set(secret["data"]) == {"api-key"}
    for service in STORE_SERVICES:
        env = env_of(docs, service)
        assert env["TARSPLANE_ES_API_KEY"]["valueFrom"]["secretKeyRef"]["key"] == "api-key"
        assert "TARSPLANE_ES_PASSWORD" not in env
        assert "username" not in config_of(docs, service)["sink"]["elasticsearch"]


@pytest.mark.parametrize(
    "es, message",
    [
        ({"username": "tars"}, "needs elasticsearch.password"),
        ({"password": "x"}, "needs elasticsearch.username"),
        ({"username": "tars", "password": "x", "apiKey": "k"}, "either apiKey or username"),
        ({"existingSecret": "s", "password": "x", "username": "u"}, "either existingSecret"),
    ],
)
def test_credential_combinations_the_binary_refuses_fail_at_render(chart, es, message):
    with pytest.raises(helm_python.HelmError, match=message):
        chart.render({"elasticsearch": es}, name=RELEASE, namespace=NAMESPACE, is_install=True)


# --------------------------------------------------------------------------------------------
# values.schema.json


@pytest.mark.parametrize(
    "values",
    [
        {"bogus": 1},
        {"mode": "hybrid"},
        {"registry": {"replicas": "two"}},
        {"registry": {"replica": 2}},
        {"stat": {"resources": {"limits": {"memory": "lots"}}}},
        {"image": {"pullPolicy": "Sometimes"}},
        {"crds": {"install": "yes"}},
        {"elasticsearch": {"nodes": []}},
        {"elasticsearch": {"nodes": ["tars-elasticsearch:9200"]}},
        {"admin": {"port": 70000}},
        {"log": {"persistence": {"size": 10}}},
        {"config": {"stat": {"max_key": 5}}},
        {"config": {"stats": {}}},
        {"config": {"sink": {"elasticsearch": {"password": "x"}}}},
        {"config": {"sink": {"elasticsearch": {"nodes": ["http://x:9200"]}}}},
        {"config": {"registry": {"reconciler": {"enabled": False}}}},
        {"config": {"log": {"log_path": "/tmp"}}},
        {"config": {"log": {"log_types": {"weekly": ["A.B.c"]}}}},
        {"config": {"registry": {"routes": {"A.B": [{"host": "h", "port": 1}]}}}},
        {"config": {"stat": {"shards": 0}}},
        {"configServer": {"replicas": "two"}},
        {"configServer": {"reconciler": {"enabled": True}}},
        {"config": {"config": {"source": "file"}}},
        {"config": {"config": {"file": "config.yaml"}}},
        {"config": {"config": {"stale_after_sec": 60}}},
        {"config": {"config": {"max_content_bytes": 5000000}}},
        {"config": {"config": {"probe_interval_ms": 0}}},
        {"adminreg": {"replicas": "one"}},
        {"adminreg": {"ports": [19111]}},
        {"kevent": {"enabled": "yes"}},
        {"kevent": {"cluster_events": False}},
        {"indices": {"kevent": "Tars_Kevent"}},
        {"config": {"adminreg": {"web_url": "tars-tarsweb:3000"}}},
        {"config": {"adminreg": {"node_port": 70000}}},
        {"config": {"adminreg": {"node_call_timeout_ms": 0}}},
        {"config": {"adminreg": {"kubernetes_namespace": "tars"}}},
        {"config": {"kevent": {"cluster_event": False}}},
        {"config": {"kevent": {"cluster_events": "yes"}}},
        {"config": {"kevent": {"batch_max_docs": 0}}},
        {"config": {"kevent": {"delete_after": "3 days"}}},
        {"config": {"kevent": {"index": "Bad Index"}}},
        {"grafana": {"dashboard": {"enabled": "yes"}}},
        {"listenAddress": "localhost"},
    ],
    ids=lambda v: json.dumps(v, sort_keys=True)[:60],
)
def test_values_schema_refuses_unknown_keys_and_bad_types(chart, values):
    with pytest.raises(helm_python.HelmValuesError):
        chart.validate_schema(values)
    with pytest.raises(helm_python.HelmValuesError):
        chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)


def test_lint_reports_schema_violations():
    report = helm_python.lint(str(CHART), {"registry": {"replicas": "two"}}, strict=True,
                              kube_version="v1.30.0")
    assert report["errors"]


def test_values_schema_is_strict_everywhere_it_is_closed(chart):
    """Every object in values.schema.json with listed properties refuses others, except the
    places that take Kubernetes objects verbatim."""
    open_ok = {"affinity", "podSecurityContext", "securityContext", "global"}

    def walk(node, path):
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, ".".join(path)
            for key, sub in node["properties"].items():
                if key not in open_ok:
                    walk(sub, path + [key])

    walk(chart.schema, [])
    assert chart.schema["additionalProperties"] is False


def test_values_yaml_documents_every_top_level_key(chart):
    text = (CHART / "values.yaml").read_text()
    for key in chart.values:
        assert re.search(rf"(?m)^{key}:", text), key
    assert set(chart.values) <= set(chart.schema["properties"])


# --------------------------------------------------------------------------------------------
# Grafana


STAT_FIELDS = {
    "source_id", "f_timestamp", "f_date", "f_tflag", "master_name", "slave_name",
    "interface_name", "tars_version", "master_ip", "slave_ip", "slave_port", "return_value",
    "succ_count", "timeout_count", "exce_count", "total_count", "total_time", "interv_count",
    "ave_time", "maxrsp_time", "minrsp_time",
}  # framework facts §5.2
PROPERTY_FIELDS = {
    "f_timestamp", "f_date", "f_tflag", "master_name", "master_ip", "property_name",
    "set_name", "set_area", "set_id", "policy", "value",
}  # framework facts §5.3


def dashboard_configmap(docs):
    return one(docs, "ConfigMap", f"{RELEASE}-dashboard")


def test_dashboard_configmap_carries_the_file_with_the_sidecar_label():
    cm = dashboard_configmap(render({}))
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(cm["data"]["tarsplane.json"]) == json.loads(
        (CHART / "dashboards" / "tarsplane.json").read_text())
    assert not find(render(VALUE_SETS["dashboard-off"]), "ConfigMap", f"{RELEASE}-dashboard")


def lucene_fields(query: str) -> set[str]:
    return set(re.findall(r"(\w+):", query))


def test_dashboard_queries_use_the_index_fields():
    dashboard = json.loads(dashboard_configmap(render({}))["data"]["tarsplane.json"])
    fields_by_ds = {"${stat_ds}": STAT_FIELDS, "${property_ds}": PROPERTY_FIELDS}
    used = {"${stat_ds}": set(), "${property_ds}": set()}
    metric_types = set()
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            ds = target["datasource"]
            assert ds["type"] == "elasticsearch"
            known = fields_by_ds[ds["uid"]]
            assert target["timeField"] == "f_timestamp"
            fields = lucene_fields(target["query"])
            fields |= {m["field"] for m in target["metrics"] if m["type"] != "bucket_script"}
            fields |= {b["field"] for b in target["bucketAggs"]}
            assert fields <= known, (panel["title"], fields - known)
            used[ds["uid"]] |= fields
            metric_types |= {m["type"] for m in target["metrics"]}
    for var in dashboard["templating"]["list"]:
        if var["type"] == "query":
            q = json.loads(var["query"])
            assert q["field"] in fields_by_ds[var["datasource"]["uid"]]
            assert lucene_fields(q["query"]) <= fields_by_ds[var["datasource"]["uid"]]
        else:
            assert var["type"] == "datasource" and var["query"] == "elasticsearch"
    assert {"succ_count", "timeout_count", "exce_count", "total_time", "f_timestamp"} <= used["${stat_ds}"]
    assert {"value", "property_name", "policy"} <= used["${property_ds}"]
    assert "bucket_script" in metric_types, "average latency = total_time / succ_count"
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for word in ["calls", "timeouts", "exceptions", "latency", "properties"]:
        assert word in titles


def test_grafana_datasources_are_optional_and_point_at_the_namespace_indices():
    assert not find(render({}), "ConfigMap", f"{RELEASE}-datasources")
    cm = one(render(VALUE_SETS["everything"]), "ConfigMap", f"{RELEASE}-datasources")
    assert cm["metadata"]["labels"]["grafana_datasource"] == "1"
    sources = yaml.safe_load(cm["data"]["tarsplane-datasources.yaml"])["datasources"]
    assert [s["jsonData"]["index"] for s in sources] == ["prod_stat_*", f"{NAMESPACE}_property_*"]
    assert all(s["type"] == "elasticsearch" and s["jsonData"]["timeField"] == "f_timestamp" for s in sources)
