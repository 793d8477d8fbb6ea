"""The tarsplane chart's CRDs and samples against a real kube-apiserver (conftest.py's cluster).

test_chart.py checks the rendered text; this file asks the real server: the chart's CRDs are
accepted (server-side apply), become Established and serve v1beta3; the sample custom
resources are created through the API with strict field validation, so the server's
structural-schema validation, pruning and defaulting accept them and store exactly the sample
with the CRD defaults applied; every object test_chart.py's schema check refuses (BROKEN) is
refused by the server too (422, or 400 for an unknown field under strict field validation), and
unknown fields are pruned when validation is not strict.
"""

from __future__ import annotations

import copy
import json

import pytest

from kube_client import GROUP, VERSION, Response, collection_path, object_path, wait_for
from test_chart import (
    BROKEN,
    CRD_NAMES,
    crds,
    load_samples,
    openapi_schema,
    render,
    validator_for,
)


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
            conditions = {c["type"]: c for c in (got.get("status") or {}).get("conditions") or []}
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
