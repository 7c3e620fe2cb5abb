"""The real repository: validates clean, holds its per-environment invariants, and each
realistic one-line defect is reported by the right check at the right file and line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from kuberay_gitops.discover import discover
from kuberay_gitops.manifests import K8sObject, load_stream
from kuberay_gitops.render import make_renderer
from kuberay_gitops.settings import load
from kuberay_gitops.tools.toolchain import locate
from kuberay_gitops_dev.mutation import copy_repository
from tests.conftest import REPO_ROOT, TEST_CACHE, TOOLS_DIR, CliResult, require_setup, shared_dir

Run = Callable[..., CliResult]
ENVS = ("dev", "staging", "prod")


def _env() -> dict[str, str]:
    return {
        "KUBERAY_GITOPS_SHARED_DIR": str(shared_dir()),
        "KUBERAY_GITOPS_TOOLS_DIR": str(TOOLS_DIR),
        "KUBERAY_GITOPS_CACHE_DIR": str(TEST_CACHE),
    }


@pytest.fixture(scope="module")
def rendered() -> Mapping[str, list[K8sObject]]:
    """Every real render target, rendered once with the pinned kustomize."""
    require_setup()
    settings = load(REPO_ROOT, env=_env())
    renderer = make_renderer(settings, locate(settings).kustomize)
    out: dict[str, list[K8sObject]] = {}
    for target in discover(settings.repo_root, settings.targets):
        result = renderer.render(target)
        assert result.error is None, f"{target.path}: {result.error}"
        out[target.path] = load_stream(result.text, target.path)
    return out


def _raycluster(rendered: Mapping[str, list[K8sObject]], env: str) -> Mapping[str, Any]:
    [rc] = [o for o in rendered[f"overlays/{env}/raycluster"] if o.ref.kind == "RayCluster"]
    assert (rc.ref.name, rc.ref.namespace) == ("raycluster-autoscaler", "kuberay")
    return rc.body


def _gpu_groups(rc: Mapping[str, Any]) -> list[str]:
    return [
        g["groupName"]
        for g in rc["spec"].get("workerGroupSpecs", [])
        if any(
            "nvidia.com/gpu" in (c.get("resources", {}).get("limits") or {})
            for c in g["template"]["spec"]["containers"]
        )
    ]


def _containers(body: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(body, dict):
        for key in ("containers", "initContainers"):
            if isinstance(body.get(key), list):
                yield from (c for c in body[key] if isinstance(c, dict))
        for value in body.values():
            yield from _containers(value)
    elif isinstance(body, list):
        for value in body:
            yield from _containers(value)


def test_real_repository_validates_with_zero_findings(run_cli: Run) -> None:
    require_setup()
    # --no-cache: every twin really runs (no verdict or CRD layer of an earlier run is used).
    result = run_cli(
        "--repo", str(REPO_ROOT), "validate", "--no-cache", "--format", "json", env=_env()
    )
    data = json.loads(result.stdout)
    assert [f"{f['file']}:{f['line']} {f['check']} {f['message']}" for f in data["findings"]] == []
    assert result.exit_code == 0
    assert data["summary"]["targets"] == 17
    assert data["summary"]["objects"] > 100
    # Every environment was applied to its own control-plane twin, and the operator reconciled
    # each of dev, staging and prod: a head Pod and head Service per RayCluster, RayJob and
    # RayService at least, plus the autoscaler's ServiceAccount, Role and RoleBinding.
    clusters = {c["environment"]: c for c in data["clusters"]}
    assert set(clusters) == {"in-cluster", *ENVS}
    assert data["cluster_skipped"] is None
    assert clusters["in-cluster"]["applied"] == 4  # the AppProject and three ApplicationSets
    assert not any(c["cached"] for c in clusters.values())
    for env in ENVS:
        assert clusters[env]["applied"] > 30, clusters[env]
        assert clusters[env]["generated"] >= 3 * 2 + 3, clusters[env]


def test_every_environment_has_the_three_platform_units(
    rendered: Mapping[str, list[K8sObject]],
) -> None:
    for env in ENVS:
        for unit in ("crds", "operator", "raycluster"):
            assert rendered[f"overlays/{env}/{unit}"], f"{env}/{unit} renders nothing"


def test_dev_has_no_gpu_group(rendered: Mapping[str, list[K8sObject]]) -> None:
    assert _gpu_groups(_raycluster(rendered, "dev")) == []


def test_prod_has_gcs_fault_tolerance_and_a_gpu_group(
    rendered: Mapping[str, list[K8sObject]],
) -> None:
    rc = _raycluster(rendered, "prod")
    ft = rc["spec"]["gcsFaultToleranceOptions"]
    assert ft["redisAddress"].startswith("redis-master.platform-services.svc.cluster.local:6379")
    assert "valueFrom" in ft["redisPassword"]
    assert _gpu_groups(rc) != []


def test_every_image_is_pinned(rendered: Mapping[str, list[K8sObject]]) -> None:
    images = {
        (target, c["image"])
        for target, objects in rendered.items()
        for obj in objects
        for c in _containers(obj.body)
        if "image" in c
    }
    assert images
    unpinned = [
        (t, i)
        for t, i in images
        if "@sha256:" not in i and (":" not in i.rsplit("/", 1)[-1] or i.endswith(":latest"))
    ]
    assert unpinned == []


@pytest.mark.parametrize("env", ENVS)
def test_head_exposes_client_on_10002_for_the_existing_address(
    rendered: Mapping[str, list[K8sObject]], env: str
) -> None:
    head = _raycluster(rendered, env)["spec"]["headGroupSpec"]
    assert head["rayStartParams"]["ray-client-server-port"] == "10002"
    ray = head["template"]["spec"]["containers"][0]
    assert {"name": "client", "containerPort": 10002, "protocol": "TCP"} in ray["ports"]
    assert "serviceType" not in head or head["serviceType"] == "ClusterIP"


@pytest.mark.parametrize("env", ENVS)
def test_every_ray_start_port_is_declared_on_the_ray_container(
    rendered: Mapping[str, list[K8sObject]], env: str
) -> None:
    spec = _raycluster(rendered, env)["spec"]
    groups = [spec["headGroupSpec"], *spec["workerGroupSpecs"]]
    for group in groups:
        declared = {p["containerPort"] for p in group["template"]["spec"]["containers"][0]["ports"]}
        params = group["rayStartParams"]
        for key, value in params.items():
            if key.endswith("-port") and key not in ("min-worker-port", "max-worker-port"):
                assert int(value) in declared, f"{env} {group.get('groupName', 'head')}: {key}"


# --- realistic one-line defects on a copy of the repository -------------------------


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    require_setup()
    copy_repository(REPO_ROOT, tmp_path)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: {old!r} found {text.count(old)} times"
    path.write_text(text.replace(old, new))


def _validate(run_cli: Run, root: Path, *paths: str) -> list[tuple[str, str, int | None]]:
    result = run_cli(
        "--repo",
        str(root),
        "validate",
        "--skip-checkov",
        "--no-cluster",  # static checks: the cluster stage has tests/e2e/test_cluster.py
        "--format",
        "json",
        *paths,
        env=_env(),
    )
    assert result.exit_code == 1, result.stdout + result.stderr
    return [(f["check"], f["file"], f["line"]) for f in json.loads(result.stdout)["findings"]]


def test_renaming_a_head_port_in_a_patch_is_reported_at_the_patch(
    run_cli: Run, repo_copy: Path
) -> None:
    patch = repo_copy / "overlays/dev/raycluster/patch-raycluster-size.yaml"
    patch.write_text(
        patch.read_text()
        + "- op: replace\n  path: /spec/headGroupSpec/template/spec/containers/0/ports/2/name\n"
        "  value: ray-dashboard\n"
    )
    line = len(patch.read_text().splitlines())
    rows = _validate(run_cli, repo_copy, "overlays/dev/raycluster")
    assert (
        "ports-ray-declared[name]",
        "overlays/dev/raycluster/patch-raycluster-size.yaml",
        line,
    ) in rows
    assert "ports-head-service" in {c for c, _, _ in rows}


def test_dropping_dns_egress_is_reported(run_cli: Run, repo_copy: Path) -> None:
    _edit(
        repo_copy / "base/networkpolicy/kustomization.yaml",
        "  - networkpolicy-ray-egress-dns.yaml\n",
        "",
    )
    rows = _validate(run_cli, repo_copy, "overlays/dev/raycluster")
    assert {c.split("[", 1)[0] for c, _, _ in rows} == {"netpol-dns-egress"}
    assert ("netpol-dns-egress[missing]", "base/raycluster/raycluster.yaml") in {
        (c, f) for c, f, _ in rows
    }


def test_a_servicemonitor_port_name_that_no_longer_exists_is_reported(
    run_cli: Run, repo_copy: Path
) -> None:
    _edit(
        repo_copy / "base/monitoring/servicemonitor.yaml", "- port: metrics\n", "- port: metrcs\n"
    )
    rows = _validate(run_cli, repo_copy, "overlays/dev/raycluster")
    assert ("monitor-port-exists", "base/monitoring/servicemonitor.yaml", 25) in rows


def test_metrics_export_port_on_an_undeclared_port_is_reported(
    run_cli: Run, repo_copy: Path
) -> None:
    path = repo_copy / "base/raycluster/raycluster.yaml"
    lines = path.read_text().splitlines(keepends=True)
    assert lines[63] == '      metrics-export-port: "8081"\n'
    lines[63] = '      metrics-export-port: "8089"\n'
    path.write_text("".join(lines))
    rows = _validate(run_cli, repo_copy, "overlays/dev/raycluster")
    assert ("ports-ray-declared[number]", "base/raycluster/raycluster.yaml", 64) in rows


def test_replicas_above_max_replicas_in_a_patch_is_reported_at_the_patch(
    run_cli: Run, repo_copy: Path
) -> None:
    _edit(
        repo_copy / "overlays/dev/raycluster/patch-raycluster-size.yaml",
        "  path: /spec/workerGroupSpecs/0/replicas\n  value: 0\n",
        "  path: /spec/workerGroupSpecs/0/replicas\n  value: 5\n",
    )
    rows = _validate(run_cli, repo_copy, "overlays/dev/raycluster")
    assert rows == [
        ("ray-replicas-range", "overlays/dev/raycluster/patch-raycluster-size.yaml", 16)
    ]


def test_renaming_an_overlay_without_updating_argocd_is_reported(
    run_cli: Run, repo_copy: Path
) -> None:
    (repo_copy / "overlays/staging/operator").rename(
        repo_copy / "overlays/staging/kuberay-operator"
    )
    result = run_cli(
        "--repo",
        str(repo_copy),
        "validate",
        "--skip-checkov",
        "--no-cluster",
        "--format",
        "json",
        env=_env(),
    )
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    missing = [f for f in findings if f["check"] == "argocd-source-path"]
    assert [(f["file"], f["kind"], f["name"]) for f in missing] == [
        (
            "argocd/applicationsets/applicationset-kuberay-staging.yaml",
            "ApplicationSet",
            "kuberay-staging",
        )
    ]
    assert "kuberay-staging-operator" in missing[0]["message"]
    assert "overlays/staging/operator" in missing[0]["message"]
    orphans = [f for f in findings if f["check"].startswith("argocd-target-coverage")]
    assert any("overlays/staging/kuberay-operator" in f["message"] for f in orphans)
