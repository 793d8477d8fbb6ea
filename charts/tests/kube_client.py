"""A small client of a real kube-apiserver for the chart's cluster tests (test_cluster_*.py):
the server of a kubeconfig's current context, the paths of the objects the tests write, polling,
and a Cluster that applies objects, makes fresh namespaces and removes them at the end.

Only the standard library talks to the server: http.client (what urllib.request is built on)
with one kept-alive TLS connection per thread, as a new TLS handshake per request would make
the thousands of SubjectAccessReviews several times slower.
"""

from __future__ import annotations

import base64
import concurrent.futures
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

from test_chart import CRD_NAMES

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
        # Namespaced objects applied outside the fresh namespaces (kevent's Role and RoleBinding
        # in `default`): deleted one by one at the end.
        self.outside: dict[str, dict] = {}
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
        namespace = obj["metadata"].get("namespace")
        if PLURALS[obj["kind"]][1] and namespace not in self.namespaces:
            self.outside[object_path(obj)] = obj
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
        for path in reversed(list(self.outside)):
            try:
                self.kube.request("DELETE", path)
            except OSError:
                pass
        for name in self.namespaces:
            # Best effort: a real cluster's namespace controller removes everything in them.
            try:
                self.kube.request("DELETE", f"/api/v1/namespaces/{name}")
            except OSError:
                pass
        self.kube.close()
