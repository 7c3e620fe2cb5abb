"""The live Ray port audit on real Ray: each defect below is caught by starting Ray.

Every case copies the repository, edits one thing and runs `kuberay-gitops audit-ports`
once (module-scoped fixtures: a run starts real Ray nodes and takes about a minute on
2 cores). The defect cases build the start commands from rayStartParams (`--no-cluster`,
KubeRay v1.7.0's pod.go rules) to keep the suite's time down; the repository case uses the
Pods the real operator generates on the control-plane twin, as `make audit-ports` does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kuberay_gitops.liveray import DOC_BEGIN, DOC_END
from kuberay_gitops.tools.rayenv import pinned_version
from kuberay_gitops_dev.mutation import copy_repository
from tests.conftest import REPO_ROOT, TEST_CACHE, TOOLS_DIR, CliResult, require_setup, shared_dir

Run = Callable[..., CliResult]
Row = tuple[str, str, int | None]
RAYCLUSTER = "base/raycluster/raycluster.yaml"
INTRA = "base/networkpolicy/networkpolicy-ray-intra-cluster.yaml"


def _require_ray() -> None:
    """Fail (never skip) with the set-up instruction when the Ray venv is missing."""
    require_setup()
    version = pinned_version(REPO_ROOT)
    venv = REPO_ROOT / ".tools" / "ray" / str(version)
    if version is None or not (venv / ".installed").is_file():
        pytest.fail(f"the Ray venv {venv} is missing: run `make setup` (or `make test`)")


def _audit(root: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    """One real `audit-ports` run over a tree; (exit code, JSON report, stderr)."""
    env = {
        "KUBERAY_GITOPS_SHARED_DIR": str(shared_dir()),
        "KUBERAY_GITOPS_TOOLS_DIR": str(TOOLS_DIR),
        "KUBERAY_GITOPS_CACHE_DIR": str(TEST_CACHE),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    proc = subprocess.run(
        [str(REPO_ROOT / ".venv/bin/kuberay-gitops"), "--repo", str(root), "audit-ports",
         "--format", "json", "-q", *args],
        capture_output=True, text=True, env=env, check=False, timeout=900,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def _rows(data: dict[str, Any], check: str) -> list[Row]:
    return sorted(
        {(f["check"], f["file"], f["line"]) for f in data["findings"] if f["check"] == check}
    )


def _messages(data: dict[str, Any], check: str) -> list[str]:
    return sorted({f["message"] for f in data["findings"] if f["check"] == check})


def _edit(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replace the first occurrence of `old` (found `count` times); its 1-based line."""
    text = path.read_text()
    assert text.count(old) == count, f"{path}: {old!r} found {text.count(old)} times"
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def _line(path: Path, needle: str, nth: int = 0) -> int:
    lines = [i for i, t in enumerate(path.read_text().splitlines(), 1) if needle in t]
    return lines[nth]


def _copy(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    _require_ray()
    root = tmp_path_factory.mktemp(name)
    copy_repository(REPO_ROOT, root)
    (root / "docs").mkdir()
    shutil.copy2(REPO_ROOT / "docs" / "ports.md", root / "docs" / "ports.md")
    return root


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict[str, Any]]:
    root = _copy(tmp_path_factory, "repo")
    code, data, _ = _audit(root, "--update-doc", str(root / "docs" / "ports.md"))
    return root, code, data


# What the audit finds on the repository: nothing. (It once found the RayJob head's monitor
# serving autoscaler metrics on 44217 undeclared; the head now declares `as-metrics`.)
KNOWN: list[tuple[str, str]] = []


def test_the_repository_has_only_the_known_live_finding(
    repository: tuple[Path, int, dict[str, Any]],
) -> None:
    _, code, data = repository
    rows = sorted({(f["check"], f["file"]) for f in data["findings"]})
    assert rows == KNOWN
    for f in data["findings"]:  # at the RayJob head's declared ports, once per environment
        assert f["field"].endswith("headGroupSpec.template.spec.containers[0].ports")
    assert code == (1 if KNOWN else 0)
    # A handful of Ray nodes for every group of every environment: identical commands once.
    note = data["notes"][0]
    assert note.startswith("live Ray: 2 Ray node(s) in 1 run(s)"), note


def test_docs_ports_table_is_the_generated_one(
    repository: tuple[Path, int, dict[str, Any]],
) -> None:
    root, _, _ = repository
    committed = (REPO_ROOT / "docs" / "ports.md").read_text()
    generated = (root / "docs" / "ports.md").read_text()
    assert DOC_BEGIN in committed
    assert DOC_END in committed
    assert generated == committed, "docs/ports.md is stale: run `make audit-ports`"


@pytest.fixture(scope="module")
def port_mismatch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict[str, Any]]:
    root = _copy(tmp_path_factory, "mismatch")
    path = root / RAYCLUSTER
    _edit(path, 'metrics-export-port: "8081"', 'metrics-export-port: "8082"', count=2)
    code, data, _ = _audit(root, "--no-cluster")
    return root, code, data


def test_a_rayStartParams_port_that_disagrees_with_the_container_port_is_caught(
    port_mismatch: tuple[Path, int, dict[str, Any]],
) -> None:
    root, code, data = port_mismatch
    path = root / RAYCLUSTER
    assert code == 1
    params_line = _line(path, 'metrics-export-port: "8082"')
    port_line = _line(path, "containerPort: 8081") - 1  # the `- name: metrics` entry
    assert ("live-port-undeclared", RAYCLUSTER, params_line) in _rows(data, "live-port-undeclared")
    assert ("live-port-not-listening", RAYCLUSTER, port_line) in _rows(
        data, "live-port-not-listening"
    )
    assert any(
        "dashboard-agent listens on TCP 8082 (metrics-export-port)" in m
        and "RayCluster/kuberay/raycluster-autoscaler head" in m
        for m in _messages(data, "live-port-undeclared")
    )


@pytest.fixture(scope="module")
def random_port(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict[str, Any]]:
    root = _copy(tmp_path_factory, "random")
    path = root / RAYCLUSTER
    text = path.read_text()
    worker_at = text.index("workerGroupSpecs:")
    head, tail = text[:worker_at], text[worker_at:]
    assert tail.count('        node-manager-port: "8301"\n') == 1
    path.write_text(head + tail.replace('        node-manager-port: "8301"\n', "", 1))
    code, data, _ = _audit(root, "--no-cluster")
    return root, code, data


def test_a_ray_port_left_random_is_caught_naming_its_key(
    random_port: tuple[Path, int, dict[str, Any]],
) -> None:
    root, code, data = random_port
    assert code == 1
    params_line = _line(root / RAYCLUSTER, "rayStartParams:", nth=1)  # cpu-workers
    assert ("live-port-random", RAYCLUSTER, params_line) in _rows(data, "live-port-random")
    assert any(
        "raylet listens on random port" in m
        and 'rayStartParams "node-manager-port" is unset' in m
        and "worker group cpu-workers" in m
        for m in _messages(data, "live-port-random")
    )


@pytest.fixture(scope="module")
def narrowed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict[str, Any]]:
    root = _copy(tmp_path_factory, "narrowed")
    _edit(root / INTRA, "endPort: 8600", "endPort: 8400", count=2)
    code, data, _ = _audit(root, "--no-cluster")
    return root, code, data


def test_the_worker_range_narrowed_in_a_networkpolicy_is_caught(
    narrowed: tuple[Path, int, dict[str, Any]],
) -> None:
    root, code, data = narrowed
    assert code == 1
    rule_line = _line(root / INTRA, "ingress:")
    assert ("live-netpol-blocked", INTRA, rule_line + 6) in _rows(data, "live-netpol-blocked") or (
        any(r[1] == INTRA for r in _rows(data, "live-netpol-blocked"))
    )
    assert any(
        "TCP 8310-8600 (min-worker-port..max-worker-port)" in m and "8401-8600 blocked" in m
        for m in _messages(data, "live-netpol-blocked")
    )


@pytest.fixture(scope="module")
def gcs_moved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict[str, Any]]:
    root = _copy(tmp_path_factory, "gcs")
    path = root / RAYCLUSTER
    _edit(path, 'port: "6379"  # GCS', 'port: "6380"  # GCS')
    _edit(path, "containerPort: 6379", "containerPort: 6380")
    code, data, _ = _audit(root, "--no-cluster")
    return root, code, data


def test_a_sidecar_command_that_cannot_succeed_is_caught(
    gcs_moved: tuple[Path, int, dict[str, Any]],
) -> None:
    root, code, data = gcs_moved
    assert code == 1
    line = _line(root / RAYCLUSTER, 'port: "6380"')
    assert _rows(data, "live-probe-fails") == [("live-probe-fails", RAYCLUSTER, line)]
    assert any(
        "the autoscaler sidecar's GCS wait" in m and "RayCluster/kuberay/raycluster-autoscaler" in m
        for m in _messages(data, "live-probe-fails")
    )
