"""The tarsplane chart against a real kube-apiserver (the one KUBECONFIG points at).

test_chart.py checks the rendered text; this file asks the real server:

* the chart's CRDs are accepted (server-side apply), become Established and serve v1beta3; the
  sample custom resources are created through the API with strict field validation, so the
  server's structural-schema validation, pruning and defaulting accept them and store exactly
  the sample with the CRD defaults applied; every object test_chart.py's schema check refuses
  (BROKEN) is refused by the server too (422, or 400 for an unknown field under strict field
  validation), and unknown fields are pruned when validation is not strict;
* for each value set of the RBAC check, the rendered ServiceAccounts, Roles and RoleBindings are
  applied in a fresh namespace and SubjectAccessReviews prove that each service account may do
  exactly what rbac_expectations.py says: every expected permission is allowed (through the
  chart's RoleBinding) and every other verb, resource, name and namespace in a broad cross
  product is denied.

Without KUBECONFIG the tests are skipped, or fail when TARSPLANE_REQUIRE_REAL_BACKENDS=1. The
server must be one the tests may write to: they create CRDs (cluster-scoped, left installed as
the chart's `keep` policy would) and fresh namespaces (deleted at the end, best effort).

Only the standard library talks to the server: http.client (what urllib.request is built on)
with one kept-alive TLS connection per thread, as a new TLS handshake per request would make
the thousands of SubjectAccessReviews several times slower.
"""

from __future__ import annotations

import base64
import concurrent.futures
import copy
import http.client
import json
import os
import secrets
import ssl
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from rbac_expectations import LEASE, RBAC_CASES, expected_permissions
from test_chart import (
    BROKEN,
    CRD_NAMES,
    SERVICES,
    VALUE_SETS,
    crds,
    find,
    load_samples,
    openapi_schema,
    render,
    validator_for,
)

FIELD_MANAGER = "tarsplane-chart-test"
GROUP = "k8s.tars.io"
VERSION = "v1beta3"
DEADLINE = 30.0  # seconds, for every wait
WORKERS = 4

# --------------------------------------------------------------------------------------------
# A small API client


@dataclass
class Response:
    status: int
    body: object
    warnings: list = field(default_factory=list)

    @property
    def message(self) -> str:
        if isinstance(self.body, dict):
            return self.body.get("message") or json.dumps(self.body)[:500]
        return str(self.body)[:500]


class Kube:
    """The API server of a kubeconfig's current context."""

    def __init__(self, server: str, context: ssl.SSLContext, headers: dict):
        url = urllib.parse.urlsplit(server)
        assert url.scheme == "https", f"{server}: only https API servers are supported"
        self.server = server
        self.host, self.port = url.hostname, url.port or 443
        self.base = url.path.rstrip("/")
        self.context = context
        self.headers = headers
        self.local = threading.local()
        self.connections: list[http.client.HTTPSConnection] = []
        self.version = "unknown"

    @classmethod
    def from_kubeconfig(cls, path: str) -> "Kube":
        file = Path(path.split(os.pathsep)[0]).expanduser()
        config = yaml.safe_load(file.read_text())
        current = config.get("current-context")
        contexts = {c["name"]: c["context"] for c in config.get("contexts") or []}
        if current in contexts:
            cluster_name, user_name = contexts[current]["cluster"], contexts[current].get("user")
        else:
            cluster_name, user_name = config["clusters"][0]["name"], None
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == cluster_name)
        user = next((u["user"] for u in config.get("users") or [] if u["name"] == user_name), {})

        def pem(owner: dict, key: str) -> bytes | None:
            """A kubeconfig PEM: inline (key-data, base64) or a file relative to the kubeconfig."""
            if owner.get(key + "-data"):
                return base64.b64decode(owner[key + "-data"])
            if owner.get(key):
                return (file.parent / owner[key]).read_bytes()
            return None

        ca = pem(cluster, "certificate-authority")
        context = ssl.create_default_context(cadata=ca.decode() if ca else None)
        if cluster.get("insecure-skip-tls-verify"):
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        certificate = pem(user, "client-certificate")
        if certificate:
            # ssl loads client keys from files only: a private temporary one, removed at once.
            with tempfile.TemporaryDirectory(prefix="tarsplane-kube-") as directory:
                chain = Path(directory) / "client.pem"
                chain.touch(mode=0o600)
                chain.write_bytes(certificate + b"\n" + (pem(user, "client-key") or b""))
                context.load_cert_chain(str(chain))
        headers = {"Accept": "application/json"}
        token = user.get("token")
        if not token and user.get("tokenFile"):
            token = (file.parent / user["tokenFile"]).read_text().strip()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif not certificate:
            raise ValueError(f"{file}: user {user_name!r} has no token or client certificate "
                             "(exec and auth-provider plugins are not supported)")
        return cls(cluster["server"], context, headers)

    def _connection(self, fresh: bool = False) -> http.client.HTTPSConnection:
        connection = getattr(self.local, "connection", None)
        if connection is None or fresh:
            if connection is not None:
                connection.close()
            connection = http.client.HTTPSConnection(self.host, self.port, context=self.context,
                                                     timeout=DEADLINE)
            self.local.connection = connection
            self.connections.append(connection)
        return connection

    def request(self, method: str, path: str, body=None, *, query: dict | None = None,
                content_type: str = "application/json") -> Response:
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode()
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = content_type
        for attempt in (0, 1):
            connection = self._connection(fresh=attempt == 1)
            try:
                connection.request(method, url, body=data, headers=headers)
                reply = connection.getresponse()
                raw = reply.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed: once more on a new one.
                if attempt == 1:
                    raise
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        warnings = [w for k, w in reply.getheaders() if k.lower() == "warning"]
        return Response(reply.status, parsed, warnings)

    def close(self):
        for connection in self.connections:
            connection.close()


PLURALS = {  # kind -> (plural, namespaced), for the kinds the tests write
    "Namespace": ("namespaces", False),
    "ServiceAccount": ("serviceaccounts", True),
    "Role": ("roles", True),
    "RoleBinding": ("rolebindings", True),
    "ClusterRole": ("clusterroles", False),
    "ClusterRoleBinding": ("clusterrolebindings", False),
    "CustomResourceDefinition": ("customresourcedefinitions", False),
    **{kind: (name.split(".")[0], True) for kind, name in CRD_NAMES.items()},
}


def collection_path(obj: dict) -> str:
    api = obj["apiVersion"]
    prefix = "/api/v1" if api == "v1" else f"/apis/{api}"
    plural, namespaced = PLURALS[obj["kind"]]
    if namespaced:
        return f"{prefix}/namespaces/{obj['metadata']['namespace']}/{plural}"
    return f"{prefix}/{plural}"


def object_path(obj: dict) -> str:
    return f"{collection_path(obj)}/{obj['metadata']['name']}"


def wait_for(what: str, check, timeout: float = DEADLINE):
    """Polls check() until it returns something true, for at most timeout seconds."""
    deadline = time.monotonic() + timeout
    interval = 0.02
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
        interval = min(interval * 2, 0.5)


# --------------------------------------------------------------------------------------------
# Session: the server, its version, and what the tests create


class Cluster:
    def __init__(self, kube: Kube):
        self.kube = kube
        self.namespaces: list[str] = []
        self.pool = concurrent.futures.ThreadPoolExecutor(WORKERS)

    def said(self, text: str) -> str:
        """A failure message naming the server it came from."""
        return f"[kube-apiserver {self.kube.version} at {self.kube.server}] {text}"

    def expect(self, response: Response, *codes: int, what: str) -> Response:
        assert response.status in codes, self.said(
            f"{what}: HTTP {response.status} (expected {codes}): {response.message}")
        return response

    def apply(self, obj: dict) -> Response:
        """Server-side apply, as the chart test's field manager, refusing unknown fields."""
        response = self.kube.request(
            "PATCH", object_path(obj), obj,
            query={"fieldManager": FIELD_MANAGER, "force": "true", "fieldValidation": "Strict"},
            content_type="application/apply-patch+yaml",
        )
        return self.expect(response, 200, 201, what=f"apply {obj['kind']}/{obj['metadata']['name']}")

    def fresh_namespace(self, purpose: str) -> str:
        name = f"chart-{purpose}"[:50].rstrip("-") + "-" + secrets.token_hex(4)
        self.expect(self.kube.request("POST", "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "tarsplane-chart-test"}},
        }), 201, what=f"create namespace {name}")
        self.namespaces.append(name)
        return name

    def map(self, function, items) -> list:
        return list(self.pool.map(function, items))

    def close(self):
        self.pool.shutdown(wait=True)
        for name in self.namespaces:
            # Best effort: a real cluster's namespace controller removes everything in them.
            try:
                self.kube.request("DELETE", f"/api/v1/namespaces/{name}")
            except OSError:
                pass
        self.kube.close()


@pytest.fixture(scope="session")
def cluster(request, record_testsuite_property):
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def say(line: str):
        """Printed once per run, on the terminal even when output is captured."""
        print(line)
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                writer = getattr(reporter, "_tw", None)
                if getattr(writer, "width_of_current_line", 1):
                    reporter.write("\n")  # after the progress dots of test_chart.py
                reporter.write_line(line)

    path = os.environ.get("KUBECONFIG")
    if not path:
        reason = "KUBECONFIG is not set, so there is no kube-apiserver to check the chart against"
        if os.environ.get("TARSPLANE_REQUIRE_REAL_BACKENDS") == "1":
            pytest.fail(f"{reason}, and TARSPLANE_REQUIRE_REAL_BACKENDS=1 requires one", pytrace=False)
        say(f"test_chart_cluster.py: skipped: {reason}")
        pytest.skip(reason)
    try:
        kube = Kube.from_kubeconfig(path)
    except (OSError, ValueError, KeyError, StopIteration, TypeError, ssl.SSLError) as error:
        pytest.fail(f"KUBECONFIG={path}: cannot use it: {error!r}", pytrace=False)
    try:
        reply = kube.request("GET", "/version")
    except OSError as error:
        pytest.fail(f"KUBECONFIG={path}: cannot reach {kube.server}: {error}", pytrace=False)
    if reply.status != 200:
        pytest.fail(f"GET {kube.server}/version: HTTP {reply.status}: {reply.message}", pytrace=False)
    kube.version = reply.body["gitVersion"]
    line = f"kube-apiserver {kube.version} at {kube.server} (KUBECONFIG={path})"
    say(line)
    record_testsuite_property("kube_apiserver", line)
    state = Cluster(kube)
    whoami = kube.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "*", "group": "*", "resource": "*"}},
    })
    state.expect(whoami, 201, what="SelfSubjectAccessReview")
    assert whoami.body["status"]["allowed"], state.said(
        "the KUBECONFIG user must be a cluster admin (the tests create CRDs, namespaces and RBAC)")
    yield state
    state.close()


def test_the_api_server_names_its_version(cluster):
    assert cluster.kube.version.startswith("v1."), cluster.said("unexpected gitVersion")


# --------------------------------------------------------------------------------------------
# CRDs and samples


@pytest.fixture(scope="session")
def installed_crds(cluster) -> dict:
    """The chart's CRDs applied, Established, and v1beta3 served: kind -> CRD as stored."""
    rendered = crds(render({}))
    assert set(rendered) == set(CRD_NAMES)
    for crd in rendered.values():
        response = cluster.apply(crd)
        assert not response.warnings, cluster.said(
            f"{crd['metadata']['name']}: the server warns: {response.warnings}")
    stored = {}
    for kind, crd in rendered.items():
        path = object_path(crd)

        def established(path=path):
            got = cluster.expect(cluster.kube.request("GET", path), 200, what=f"GET {path}").body
            conditions = {c["type"]: c for c in got.get("status", {}).get("conditions", [])}
            refused = conditions.get("NamesAccepted", {})
            assert refused.get("status") != "False", cluster.said(f"{path}: {refused}")
            if conditions.get("Established", {}).get("status") == "True":
                return got
            return None

        stored[kind] = wait_for(cluster.said(f"{crd['metadata']['name']} Established"), established)

    plurals = {crd["spec"]["names"]["plural"]: kind for kind, crd in rendered.items()}

    def discovered():
        reply = cluster.kube.request("GET", f"/apis/{GROUP}/{VERSION}")
        if reply.status != 200:
            return None
        served = {r["name"]: r for r in reply.body["resources"]}
        return served if set(plurals) <= set(served) else None

    served = wait_for(cluster.said(f"/apis/{GROUP}/{VERSION} lists {sorted(plurals)}"), discovered)
    stored["discovery"] = served
    return stored


@pytest.mark.parametrize("kind", list(CRD_NAMES))
def test_crds_are_established_and_serve_v1beta3(cluster, installed_crds, kind):
    crd = installed_crds[kind]
    rendered = crds(render({}))[kind]
    assert crd["metadata"]["name"] == CRD_NAMES[kind]
    assert crd["status"]["acceptedNames"]["kind"] == kind
    assert crd["status"]["acceptedNames"]["plural"] == rendered["spec"]["names"]["plural"]
    assert VERSION in crd["status"]["storedVersions"], cluster.said(str(crd["status"]))
    (version,) = crd["spec"]["versions"]
    assert version["name"] == VERSION and version["served"] and version["storage"]
    # The server kept the schema as the chart wrote it (nothing dropped or rewritten).
    assert openapi_schema(crd) == openapi_schema(rendered), cluster.said(f"{kind}: schema changed")
    served = installed_crds["discovery"]
    plural = rendered["spec"]["names"]["plural"]
    assert served[plural]["kind"] == kind and served[plural]["namespaced"]
    assert {"create", "get", "list", "watch", "patch", "update", "delete"} <= set(served[plural]["verbs"])
    has_status = "status" in version.get("subresources", {})
    assert (f"{plural}/status" in served) == has_status, cluster.said(f"{plural}/status")


@pytest.fixture(scope="session")
def samples_namespace(cluster, installed_crds) -> str:
    return cluster.fresh_namespace("samples")


def with_defaults(schema: dict, value):
    """value with the schema's defaults filled in, as structural defaulting does: a missing
    property with a default gets a copy of it, then defaulting goes on inside every value."""
    value = copy.deepcopy(value)

    def fill(node: dict, item):
        if isinstance(item, dict):
            properties = node.get("properties", {})
            for key, sub in properties.items():
                if key not in item and "default" in sub:
                    item[key] = copy.deepcopy(sub["default"])
                if key in item:
                    fill(sub, item[key])
            if isinstance(node.get("additionalProperties"), dict):
                for key, sub_item in item.items():
                    if key not in properties:
                        fill(node["additionalProperties"], sub_item)
        elif isinstance(item, list) and isinstance(node.get("items"), dict):
            for sub_item in item:
                fill(node["items"], sub_item)

    fill(schema, value)
    return value


def has_status_subresource(crd: dict) -> bool:
    return "status" in crd["spec"]["versions"][0].get("subresources", {})


def in_namespace(sample: dict, namespace: str, name: str | None = None) -> dict:
    obj = copy.deepcopy(sample)
    obj["metadata"]["namespace"] = namespace
    if name:
        obj["metadata"]["name"] = name
    return obj


def create(cluster, obj: dict, strict: bool = True) -> Response:
    return cluster.kube.request("POST", collection_path(obj), obj,
                                query={"fieldValidation": "Strict" if strict else "Warn"})


def put_status(cluster, stored: dict, status) -> Response:
    obj = copy.deepcopy(stored)
    obj["status"] = status
    return cluster.kube.request("PUT", object_path(obj) + "/status", obj,
                                query={"fieldValidation": "Strict"})


def content(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in {"metadata", "status"}}


@pytest.mark.parametrize("kind", list(CRD_NAMES))
def test_the_server_stores_the_samples_exactly_with_the_crd_defaults(
        cluster, installed_crds, samples_namespace, kind):
    crd = installed_crds[kind]
    schema = openapi_schema(crd)
    for sample in load_samples()[kind]:
        obj = in_namespace(sample, samples_namespace)
        name = obj["metadata"]["name"]
        created = cluster.expect(create(cluster, obj), 201, what=f"create {kind}/{name}")
        assert not created.warnings, cluster.said(f"{kind}/{name}: warnings {created.warnings}")
        stored = created.body
        expected = with_defaults(schema, obj)
        assert content(stored) == content(expected), cluster.said(
            f"{kind}/{name}: the server stored\n{json.dumps(content(stored), indent=1)}")
        for key in ("labels", "ownerReferences"):
            assert stored["metadata"].get(key) == obj["metadata"].get(key), cluster.said(key)
        if "status" not in sample:
            continue
        if has_status_subresource(crd):
            # Creating ignores status; the reconciler writes it through the subresource.
            assert "status" not in stored, cluster.said(f"{kind}/{name}: status kept on create")
            updated = cluster.expect(put_status(cluster, stored, obj["status"]), 200,
                                     what=f"PUT {kind}/{name}/status")
            assert not updated.warnings, cluster.said(f"{kind}/{name}/status: {updated.warnings}")
            stored = updated.body
        assert stored["status"] == expected["status"], cluster.said(f"{kind}/{name}: status")


def field_path(path) -> str:
    """A JSON path as the API server writes it: spec.tars.servants[0].port."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def refusal(kind: str, broken: dict) -> tuple[int, set]:
    """What the text check (test_chart.validator_for) finds wrong with broken: the HTTP status
    the server must answer with (400 when the only problem is an unknown field, which strict
    field validation refuses and the server would otherwise prune; 422 for a schema violation)
    and the fields at fault, named as the server names them."""
    errors = list(validator_for(kind).iter_errors(broken))
    assert errors, "the text check accepts it"
    fields = set()
    for error in errors:
        where = list(error.absolute_path)
        if error.validator == "required":
            fields |= {field_path(where + [k]) for k in error.validator_value if k not in error.instance}
        elif error.validator == "additionalProperties":
            fields |= {field_path(where + [k]) for k in error.instance
                       if k not in error.schema.get("properties", {})}
        else:
            fields.add(field_path(where))
    unknown_only = all(e.validator == "additionalProperties" for e in errors)
    return (400 if unknown_only else 422), fields


@pytest.mark.parametrize("index", range(len(BROKEN)), ids=[b[2] for b in BROKEN])
def test_the_server_refuses_what_the_facts_forbid(cluster, installed_crds, samples_namespace, index):
    """Each object test_chart.py's schema check refuses is refused by the server too, for the
    same fields."""
    kind, breaker, rule = BROKEN[index]
    crd = installed_crds[kind]
    name = f"broken-{index}"
    sample = in_namespace(load_samples()[kind][0], samples_namespace, name)
    broken = copy.deepcopy(sample)
    breaker(broken)
    code, fields = refusal(kind, broken)
    if has_status_subresource(crd) and broken.get("status") != sample.get("status"):
        # Status is only written through the subresource: create the object, then break it.
        stored = cluster.expect(create(cluster, sample), 201, what=f"create {kind}/{name}").body
        response = put_status(cluster, stored, broken["status"])
        what = f"PUT {kind}/{name}/status"
    else:
        response = create(cluster, broken)
        what = f"create {kind}/{name}"
    assert response.status == code, cluster.said(
        f"{rule}: {what}: HTTP {response.status} (expected {code}; the text check refuses "
        f"{sorted(fields)}): {response.message}")
    if code == 422:
        assert response.body["reason"] == "Invalid", cluster.said(response.message)
        causes = {c.get("field") for c in response.body["details"]["causes"]}
        assert causes == fields, cluster.said(f"{rule}: the server refuses {causes}, the text "
                                              f"check {fields}: {response.message}")
    else:
        for path in fields:
            assert f'unknown field "{path}"' in response.message, cluster.said(response.message)


def test_unknown_fields_are_pruned_when_validation_is_not_strict(cluster, installed_crds,
                                                                 samples_namespace):
    """What test_chart.closed() models: outside preserve-unknown-fields an unknown field is
    dropped (with a warning), inside spec.k8s it is kept."""
    obj = in_namespace(load_samples()["TServer"][0], samples_namespace, "pruned")
    obj["spec"]["unknownField"] = 1
    obj["spec"]["tars"]["servants"][0]["unknownField"] = 2
    obj["spec"]["k8s"]["anythingGoes"] = {"x": 1}
    created = cluster.expect(create(cluster, obj, strict=False), 201, what="create TServer/pruned")
    spec = created.body["spec"]
    assert "unknownField" not in spec and "unknownField" not in spec["tars"]["servants"][0]
    assert spec["k8s"]["anythingGoes"] == {"x": 1}
    assert any("unknownField" in w for w in created.warnings), cluster.said(str(created.warnings))


# --------------------------------------------------------------------------------------------
# RBAC: exactly what each service needs, by SubjectAccessReview

VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
RBAC_KINDS = ["ServiceAccount", "ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"]


def all_expected() -> list[dict[str, set]]:
    return [expected_permissions(VALUE_SETS[name], reconciler, SERVICES)
            for name, reconciler in RBAC_CASES]


# Every (group, resource) any service is given, and others no service may have.
NAMESPACED = sorted(
    {(group, resource) for expected in all_expected() for perms in expected.values()
     for group, resource, _, _ in perms}
    | {
        ("k8s.tars.io", "tservers"), ("k8s.tars.io", "tservers/status"),
        ("k8s.tars.io", "tendpoints/status"), ("", "pods"), ("", "pods/status"),
        ("", "pods/exec"), ("", "secrets"), ("", "configmaps"), ("", "events"),
        ("events.k8s.io", "events"), ("coordination.k8s.io", "leases"),
    }
)
CLUSTER_SCOPED = [("", "namespaces"), ("", "nodes"),
                  ("apiextensions.k8s.io", "customresourcedefinitions")]
# resourceNames the chart names (the lease); requests for other names must be refused.
NAMED = {}
for _expected in all_expected():
    for _perms in _expected.values():
        for _group, _resource, _, _name in _perms:
            if _name != "*":
                NAMED.setdefault((_group, _resource), set()).add(_name)
OTHER_NAME = "not-" + LEASE


def attributes(namespace: str, other: str):
    """The cross product asked about: (group, resource, verb, name, namespace), namespace None
    for cluster-wide. Every namespaced resource and verb, with no name, another name and the
    names the chart grants, in the release namespace, another one and all namespaces; every
    verb on a few cluster-scoped resources."""
    for group, resource in NAMESPACED:
        named = sorted(NAMED.get((group, resource), ()))
        for verb in VERBS:
            for name in [None, OTHER_NAME, *named]:
                yield group, resource, verb, name, namespace
            for name in [None, *named]:
                yield group, resource, verb, name, other
            yield group, resource, verb, None, None
    for group, resource in CLUSTER_SCOPED:
        for verb in VERBS:
            for name in (None, namespace):
                yield group, resource, verb, name, None


def grants(expected: set, attribute, namespace: str) -> bool:
    group, resource, verb, name, where = attribute
    if where != namespace:
        return False
    return (group, resource, verb, "*") in expected or (
        name is not None and (group, resource, verb, name) in expected)


def review(cluster, user: str, attribute) -> dict:
    group, resource, verb, name, where = attribute
    resource, _, subresource = resource.partition("/")
    spec = {"group": group, "resource": resource, "verb": verb}
    if subresource:
        spec["subresource"] = subresource
    if name:
        spec["name"] = name
    if where:
        spec["namespace"] = where
    namespace = user.split(":")[2]
    body = {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {
            "user": user,
            # What a pod's service account token carries.
            "groups": ["system:serviceaccounts", f"system:serviceaccounts:{namespace}",
                       "system:authenticated"],
            "resourceAttributes": spec,
        },
    }
    response = cluster.kube.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body)
    cluster.expect(response, 201, what=f"SubjectAccessReview {user} {attribute}")
    status = response.body["status"]
    assert not status.get("evaluationError"), cluster.said(f"{user} {attribute}: {status}")
    return status


def describe(attribute) -> str:
    group, resource, verb, name, where = attribute
    return (f"{verb} {group or 'core'}/{resource}" + (f" name={name}" if name else "")
            + (f" in {where}" if where else " cluster-wide"))


@pytest.mark.parametrize("name, reconciler", RBAC_CASES)
def test_each_service_account_may_do_exactly_what_its_service_needs(cluster, name, reconciler):
    values = VALUE_SETS[name]
    namespace = cluster.fresh_namespace(f"rbac-{name}")
    other = f"{namespace}-other"
    docs = render(values, namespace=namespace)
    expected = expected_permissions(values, reconciler, SERVICES)
    accounts = {sa["metadata"]["name"] for sa in find(docs, "ServiceAccount")}
    assert accounts == set(expected), cluster.said(f"service accounts {sorted(accounts)}")
    user = {sa: f"system:serviceaccount:{namespace}:{sa}" for sa in accounts}

    # The bindings are applied last: first, without them, nobody may do anything it needs.
    bindings = [d for d in docs if d["kind"] in {"RoleBinding", "ClusterRoleBinding"}]
    for kind in RBAC_KINDS:
        if "Binding" not in kind:
            for doc in find(docs, kind):
                cluster.apply(doc)
    controls = {sa: min(perms) for sa, perms in expected.items() if perms}
    assert controls, "some service account must have permissions"

    def control(sa, perm):
        group, resource, verb, resource_name = perm
        return (group, resource, verb, None if resource_name == "*" else resource_name, namespace)

    for sa, perm in controls.items():
        status = review(cluster, user[sa], control(sa, perm))
        assert not status["allowed"], cluster.said(f"{sa} may {describe(control(sa, perm))} unbound")
    for doc in bindings:
        cluster.apply(doc)
    binding_of = {s["name"]: b["metadata"]["name"] for b in bindings for s in b["subjects"]}
    for sa, perm in controls.items():
        # The authorizer sees the binding once its informer has it.
        status = wait_for(cluster.said(f"{sa} allowed to {describe(control(sa, perm))}"),
                          lambda: (s := review(cluster, user[sa], control(sa, perm)))["allowed"] and s)
        assert f'RoleBinding "{binding_of[sa]}/{namespace}"' in status.get("reason", ""), \
            cluster.said(f"{sa}: allowed, but not by its RoleBinding: {status}")

    questions = [(sa, attribute) for sa in sorted(accounts)
                 for attribute in attributes(namespace, other)]
    # The same name in another namespace is another account: it gets nothing here.
    questions += [(f"system:serviceaccount:{other}:{sa}", control(sa, perm))
                  for sa, perms in expected.items() for perm in sorted(perms)]
    started = time.monotonic()

    def ask(question):
        who, attribute = question
        return review(cluster, user.get(who, who), attribute)

    answers = cluster.map(ask, questions)
    elapsed = time.monotonic() - started
    wrongly_allowed, wrongly_denied = [], []
    for (who, attribute), status in zip(questions, answers):
        should = who in expected and grants(expected[who], attribute, namespace)
        if status["allowed"] and not should:
            wrongly_allowed.append(f"{who} may {describe(attribute)}: {status.get('reason')}")
        elif should and not status["allowed"]:
            wrongly_denied.append(f"{who} may not {describe(attribute)}: "
                                  f"{status.get('reason') or 'no rule allows it'}")
        elif should:
            assert f'RoleBinding "{binding_of[who]}/{namespace}"' in status.get("reason", ""), \
                cluster.said(f"{who} {describe(attribute)}: {status}")
    allowed = sum(1 for status in answers if status["allowed"])
    print(f"{name}: {len(questions)} SubjectAccessReviews in {elapsed:.1f} s, {allowed} allowed")
    asked = set(questions)
    for sa, perms in expected.items():
        for perm in perms:
            assert (sa, control(sa, perm)) in asked, f"{sa}: {perm} never asked"
    problems = wrongly_allowed + wrongly_denied
    assert not problems, cluster.said(
        f"{len(wrongly_allowed)} wrongly allowed, {len(wrongly_denied)} wrongly denied "
        f"(of {len(questions)}):\n" + "\n".join(problems[:60]))
