"""The tarsplane chart's RBAC against a real kube-apiserver (conftest.py's cluster).

For each value set of the RBAC check, the rendered ServiceAccounts, Roles and RoleBindings are
applied in a fresh namespace (and kevent's Role and RoleBinding for cluster-level events in
`default`, removed at the end) and SubjectAccessReviews prove that each service account may do
exactly what rbac_expectations.py says: every expected permission is allowed (through the
chart's RoleBinding in the namespace the permission is in) and every other verb, resource, name
and namespace (the release's, another one, `default`, cluster-wide) in a broad cross product is
denied.
"""

from __future__ import annotations

import time

import pytest

from kube_client import wait_for
from rbac_expectations import DEFAULT_NAMESPACE, LEASE, RBAC_CASES, expected_permissions
from test_chart import SERVICES, VALUE_SETS, find, render


# --------------------------------------------------------------------------------------------
# RBAC: exactly what each service needs, by SubjectAccessReview

VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
RBAC_KINDS = ["ServiceAccount", "ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"]


def all_expected() -> list[dict[str, set]]:
    return [expected_permissions(VALUE_SETS[name], reconciler, SERVICES, "release-namespace")
            for name, reconciler in RBAC_CASES]


# Every (group, resource) any service is given, and others no service may have.
NAMESPACED = sorted(
    {(group, resource) for expected in all_expected() for perms in expected.values()
     for group, resource, _, _, _ in perms}
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
        for _group, _resource, _, _name, _ in _perms:
            if _name != "*":
                NAMED.setdefault((_group, _resource), set()).add(_name)
OTHER_NAME = "not-" + LEASE


def attributes(namespace: str, other: str):
    """The cross product asked about: (group, resource, verb, name, namespace), namespace None
    for cluster-wide. Every namespaced resource and verb, with no name, another name and the
    names the chart grants, in the release namespace and in `default` (where kevent reads the
    cluster-level events), and with no name and the granted names in another namespace and in
    all namespaces; every verb on a few cluster-scoped resources."""
    for group, resource in NAMESPACED:
        named = sorted(NAMED.get((group, resource), ()))
        for verb in VERBS:
            for where in (namespace, DEFAULT_NAMESPACE):
                for name in [None, OTHER_NAME, *named]:
                    yield group, resource, verb, name, where
            for name in [None, *named]:
                yield group, resource, verb, name, other
            yield group, resource, verb, None, None
    for group, resource in CLUSTER_SCOPED:
        for verb in VERBS:
            for name in (None, namespace):
                yield group, resource, verb, name, None


def grants(expected: set, attribute) -> bool:
    group, resource, verb, name, where = attribute
    if where is None:
        return False
    return (group, resource, verb, "*", where) in expected or (
        name is not None and (group, resource, verb, name, where) in expected)


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
    expected = expected_permissions(values, reconciler, SERVICES, namespace)
    accounts = {sa["metadata"]["name"] for sa in find(docs, "ServiceAccount")}
    assert accounts == set(expected), cluster.said(f"service accounts {sorted(accounts)}")
    user = {sa: f"system:serviceaccount:{namespace}:{sa}" for sa in accounts}
    granted_in = {perm[4] for perms in expected.values() for perm in perms}
    assert granted_in <= {namespace, DEFAULT_NAMESPACE}, granted_in
    rbac_namespaces = {d["metadata"]["namespace"] for d in docs if d["kind"] in RBAC_KINDS}
    assert rbac_namespaces == granted_in | {namespace}, cluster.said(
        f"RBAC objects in {sorted(rbac_namespaces)}, permissions in {sorted(granted_in)}")

    # The bindings are applied last: first, without them, nobody may do anything it needs.
    bindings = [d for d in docs if d["kind"] in {"RoleBinding", "ClusterRoleBinding"}]
    for kind in RBAC_KINDS:
        if "Binding" not in kind:
            for doc in find(docs, kind):
                cluster.apply(doc)
    # One control per account and namespace it is granted something in.
    controls = {}
    for sa, perms in expected.items():
        for perm in sorted(perms):
            controls.setdefault((sa, perm[4]), perm)
    assert controls, "some service account must have permissions"

    def control(perm):
        group, resource, verb, resource_name, where = perm
        return (group, resource, verb, None if resource_name == "*" else resource_name, where)

    for (sa, _), perm in controls.items():
        status = review(cluster, user[sa], control(perm))
        assert not status["allowed"], cluster.said(f"{sa} may {describe(control(perm))} unbound")
    for doc in bindings:
        cluster.apply(doc)
    # (account, namespace) -> the RoleBinding there that names it.
    binding_of = {(s["name"], b["metadata"]["namespace"]): b["metadata"]["name"]
                  for b in bindings for s in b["subjects"]}
    for (sa, where), perm in controls.items():
        # The authorizer sees the binding once its informer has it.
        status = wait_for(cluster.said(f"{sa} allowed to {describe(control(perm))}"),
                          lambda: (s := review(cluster, user[sa], control(perm)))["allowed"] and s)
        assert f'RoleBinding "{binding_of[(sa, where)]}/{where}"' in status.get("reason", ""), \
            cluster.said(f"{sa}: allowed, but not by its RoleBinding in {where}: {status}")

    questions = [(sa, attribute) for sa in sorted(accounts)
                 for attribute in attributes(namespace, other)]
    # The same name in another namespace is another account: it gets nothing here.
    questions += [(f"system:serviceaccount:{other}:{sa}", control(perm))
                  for sa, perms in expected.items() for perm in sorted(perms)]
    started = time.monotonic()

    def ask(question):
        who, attribute = question
        return review(cluster, user.get(who, who), attribute)

    answers = cluster.map(ask, questions)
    elapsed = time.monotonic() - started
    wrongly_allowed, wrongly_denied = [], []
    for (who, attribute), status in zip(questions, answers):
        should = who in expected and grants(expected[who], attribute)
        if status["allowed"] and not should:
            wrongly_allowed.append(f"{who} may {describe(attribute)}: {status.get('reason')}")
        elif should and not status["allowed"]:
            wrongly_denied.append(f"{who} may not {describe(attribute)}: "
                                  f"{status.get('reason') or 'no rule allows it'}")
        elif should:
            where = attribute[4]
            assert f'RoleBinding "{binding_of[(who, where)]}/{where}"' in status.get("reason", ""), \
                cluster.said(f"{who} {describe(attribute)}: {status}")
    allowed = sum(1 for status in answers if status["allowed"])
    print(f"{name}: {len(questions)} SubjectAccessReviews in {elapsed:.1f} s, {allowed} allowed")
    asked = set(questions)
    for sa, perms in expected.items():
        for perm in perms:
            assert (sa, control(perm)) in asked, f"{sa}: {perm} never asked"
    problems = wrongly_allowed + wrongly_denied
    assert not problems, cluster.said(
        f"{len(wrongly_allowed)} wrongly allowed, {len(wrongly_denied)} wrongly denied "
        f"(of {len(questions)}):\n" + "\n".join(problems[:60]))
