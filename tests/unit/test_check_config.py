"""Per-check configuration from kuberay-gitops.yaml: enabled, severity, options, suppressions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.findings import Severity
from kuberay_gitops.pipeline import Stages, validate
from kuberay_gitops.settings import load
from tests.builders import raycluster, to_yaml, worker_group
from tests.conftest import CheckRun, WriteTree, config_text, target_tree

Run = Callable[..., CheckRun]
# RayCluster kuberay/rc with replicas above maxReplicas: one ray-replicas-range finding
RC = raycluster(namespace="kuberay", workers=[worker_group(replicas=5, max_replicas=3)])
BAD = {"t/raycluster.yaml": to_yaml(RC)}


def test_suppression_with_reason_removes_the_finding(run_check: Run) -> None:
    extra = (
        "suppressions:\n  - check: ray-replicas-range\n    object: RayCluster/kuberay/rc\n"
        "    reason: accepted while the autoscaler is tuned\n"
    )
    assert run_check("ray-replicas-range", BAD, config_extra=extra).rows() == []


def test_suppression_for_another_object_keeps_the_finding(run_check: Run) -> None:
    extra = (
        "suppressions:\n  - check: ray-replicas-range\n    object: RayCluster/kuberay/other\n"
        "    reason: a different cluster\n"
    )
    assert len(run_check("ray-replicas-range", BAD, config_extra=extra).rows()) == 1


def test_severity_override_applies(run_check: Run) -> None:
    extra = "checks:\n  ray-replicas-range:\n    severity: warning\n"
    [finding] = run_check("ray-replicas-range", BAD, config_extra=extra).findings
    assert finding.severity is Severity.WARNING


def test_disabled_check_reports_nothing(run_check: Run) -> None:
    extra = "checks:\n  ray-replicas-range:\n    enabled: false\n"
    assert run_check("ray-replicas-range", BAD, config_extra=extra).rows() == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "checks:\n  no-such-check:\n    enabled: false\n",
            'kuberay-gitops.yaml: checks: unknown check "no-such-check"',
        ),
        (
            "checks:\n  ports-reserved:\n    options:\n      reserverd: [1]\n",
            'kuberay-gitops.yaml: check "ports-reserved": unknown option "reserverd"',
        ),
        (
            "checks:\n  ports-reserved:\n    options:\n      reserved: 6379\n",
            'kuberay-gitops.yaml: check "ports-reserved": option "reserved" expects list, got int',
        ),
    ],
    ids=["unknown-check", "unknown-option", "wrong-option-type"],
)
def test_bad_check_config_is_a_config_error(
    write_tree: WriteTree, extra: str, message: str
) -> None:
    root: Path = write_tree(target_tree({**BAD, "kuberay-gitops.yaml": config_text(extra=extra)}))
    stages = Stages(lint=False, schema=False, checkov=False, cluster=False)
    with pytest.raises(ConfigError) as info:
        validate(load(root, env={}), (), stages)
    assert str(info.value).startswith(message)


def _ids(write_tree: WriteTree, config: str) -> set[str]:
    root = write_tree(target_tree({**BAD, "kuberay-gitops.yaml": config}))
    stages = Stages(lint=False, schema=False, checkov=False, cluster=False)
    return {f.check_id.split("[", 1)[0] for f in validate(load(root, env={}), (), stages).findings}


def test_without_a_profile_only_correctness_checks_report(write_tree: WriteTree) -> None:
    ids = _ids(write_tree, config_text(profile=None))
    assert "ray-replicas-range" in ids  # correctness
    assert "pod-run-as-non-root" not in ids  # platform: the fixture sets no securityContext


def test_the_platform_profile_adds_the_platform_checks(write_tree: WriteTree) -> None:
    assert {"ray-replicas-range", "pod-run-as-non-root"} <= _ids(write_tree, config_text())


def test_enabling_a_platform_check_by_name_runs_it_under_correctness(
    write_tree: WriteTree,
) -> None:
    extra = "checks:\n  pod-run-as-non-root:\n    enabled: true\n"
    ids = _ids(write_tree, config_text(profile=None, extra=extra))
    assert "pod-run-as-non-root" in ids
    assert "pod-seccomp" not in ids
