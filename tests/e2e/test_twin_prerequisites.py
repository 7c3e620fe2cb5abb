"""Prerequisites on the real control-plane twin: what the cluster had before the sync."""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kuberay_gitops import cluster
from kuberay_gitops.settings import read_toolchain
from kuberay_gitops.tools import twin
from kuberay_gitops.tools.kubeapi import KubeAPI
from tests.conftest import REPO_ROOT, TEST_CACHE, TOOLS_DIR, require_setup


def _crd(kind: str) -> dict[str, Any]:
    plural = kind.lower() + "s"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


@pytest.fixture(scope="module")
def api() -> Iterator[KubeAPI]:
    require_setup()
    pins = read_toolchain(REPO_ROOT)
    binaries = twin.locate(TOOLS_DIR, pins.etcd, pins.kube_apiserver, pins.operator_module)
    with twin.control_plane(binaries, TEST_CACHE / "tmp") as plane:
        cluster._install_prerequisites(
            plane.api,
            [
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tools"}},
                _crd("Widget"),
                _crd("Gadget"),
            ],
            used={("example.com", "Widget"), ("apps", "Deployment")},
        )
        yield plane.api


def _established_age(api: KubeAPI, name: str) -> float:
    res = api.resource("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    assert res is not None
    conds = api.get(res, None, name)["status"]["conditions"]
    (established,) = [c for c in conds if c["type"] == "Established"]
    assert established["status"] == "True"
    then = calendar.timegm(time.strptime(established["lastTransitionTime"], "%Y-%m-%dT%H:%M:%SZ"))
    return time.time() - then


def test_a_prerequisite_crd_the_environment_uses_was_established_long_before(
    api: KubeAPI,
) -> None:
    # Older than the API server's two-second pause for a CRD established moments ago.
    assert _established_age(api, "widgets.example.com") >= cluster.PREREQUISITE_AGE - 60


def test_a_prerequisite_crd_the_environment_does_not_use_keeps_its_own_time(
    api: KubeAPI,
) -> None:
    assert _established_age(api, "gadgets.example.com") < 600


def test_the_backdated_crd_still_serves_its_kind(api: KubeAPI) -> None:
    res = api.resource("example.com/v1", "Widget")
    assert res is not None
    made = api.create(
        res, "tools", {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    )
    assert made["metadata"]["name"] == "w"
