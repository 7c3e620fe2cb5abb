"""The upstream KubeRay v1.7.0 samples on the control-plane twin, as a user applies them.

Ground truth for "required but defaulted" fields: the API server applies CRD defaults
before it validates, so every sample object of a served kind must be accepted. Read from
the shared directory, never committed. Kinds whose CRDs are not in the shared directory
(Gateway API, agent-sandbox, KAI scheduler) cannot be judged here and are listed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kuberay_gitops import cluster
from kuberay_gitops.settings import read_toolchain
from kuberay_gitops.tools import twin
from kuberay_gitops.tools.kubeapi import ApiError
from tests.conftest import REPO_ROOT, TEST_CACHE, TOOLS_DIR, require_setup, shared_dir

SAMPLES = Path("src/kuberay/v1.7.0/ray-operator/config/samples")
CRDS = ("kuberay/v1.7.0", "volcano/v1.15.1", "kueue/v0.19.2", "prometheus-operator/v0.93.0")
# (file, kind): served nowhere in the shared CRDs, so the twin cannot judge them.
UNSERVED = {
    ("agent-sandbox/sandbox.yaml", "SandboxTemplate"),
    ("agent-sandbox/sandbox.yaml", "SandboxWarmPool"),
    ("gateway-api/istio-class.yaml", "GatewayClass"),
    ("ray-cluster-agc-gatewayapi.yaml", "Gateway"),
    ("ray-cluster-agc-gatewayapi.yaml", "HTTPRoute"),
    ("ray-cluster.kai-gpu-sharing.yaml", "Queue"),
    ("ray-cluster.kai-scheduler.yaml", "Queue"),
}


def _crds() -> list[dict[str, Any]]:
    out = []
    for d in CRDS:
        for f in sorted((shared_dir() / "crds" / d).glob("*.yaml")):
            out.extend(
                x
                for x in yaml.safe_load_all(f.read_text())
                if isinstance(x, dict) and x.get("kind") == "CustomResourceDefinition"
            )
    return out


@pytest.fixture(scope="module")
def applied() -> tuple[list[str], set[tuple[str, str]], int]:
    """Every sample applied client-side (kubectl apply; create for generateName)."""
    require_setup()
    root = shared_dir() / SAMPLES
    files = sorted(p for p in root.rglob("*.y*ml") if p.is_file())
    assert len(files) == 94, "the v1.7.0 samples directory changed"
    pins = read_toolchain(REPO_ROOT)
    binaries = twin.locate(TOOLS_DIR, pins.etcd, pins.kube_apiserver, pins.operator_module)
    refused: list[str] = []
    unserved: set[tuple[str, str]] = set()
    count = 0
    with twin.control_plane(binaries, TEST_CACHE / "tmp") as plane:
        api = plane.api
        cluster._install_prerequisites(api, _crds())
        ns_res = api.resource("v1", "Namespace")
        sa_res = api.resource("v1", "ServiceAccount")
        assert ns_res is not None
        assert sa_res is not None
        for i, path in enumerate(files):
            rel = path.relative_to(root).as_posix()
            ns = f"sample-{i}"
            api.create(ns_res, None, {"metadata": {"name": ns}})
            api.create(sa_res, ns, {"metadata": {"name": "default"}})
            for doc in yaml.safe_load_all(path.read_text()):
                if not isinstance(doc, dict):
                    continue
                res = api.resource(str(doc.get("apiVersion")), str(doc.get("kind")))
                if res is None:
                    unserved.add((rel, str(doc.get("kind"))))
                    continue
                if res.namespaced:
                    doc.setdefault("metadata", {})["namespace"] = ns
                count += 1
                try:
                    api.apply(res, doc, server_side=False, manager="kubectl-client-side-apply")
                except ApiError as exc:
                    refused.append(f"{rel}: {doc.get('kind')}: {exc}")
    return refused, unserved, count


def test_every_sample_object_of_a_served_kind_is_accepted(
    applied: tuple[list[str], set[tuple[str, str]], int],
) -> None:
    refused, _, count = applied
    assert refused == []
    assert count > 150  # the samples hold well over a hundred objects of served kinds


def test_only_kinds_without_a_shared_crd_go_unjudged(
    applied: tuple[list[str], set[tuple[str, str]], int],
) -> None:
    assert applied[1] == UNSERVED
