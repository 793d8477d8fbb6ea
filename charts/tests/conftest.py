"""The session's real kube-apiserver (the one KUBECONFIG points at) for test_cluster_*.py: its
version printed once per run, and what the tests create removed at the end.

Without KUBECONFIG the tests that use it are skipped, or fail when
TARSPLANE_REQUIRE_REAL_BACKENDS=1. The server must be one the tests may write to: they create
CRDs (cluster-scoped, left installed as the chart's `keep` policy would) and fresh namespaces
(deleted at the end, best effort).
"""

from __future__ import annotations

import os
import ssl

import pytest

from kube_client import Cluster, Kube


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
        say(f"test_cluster_*.py: skipped: {reason}")
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
