from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, issues, raycluster, to_yaml, worker_group
from tests.conftest import CheckRun

CHECK = "ray-replicas-range"


def _cluster(replicas: int) -> Body:
    return raycluster(workers=[worker_group(replicas=replicas, min_replicas=1, max_replicas=3)])


def test_replicas_within_range_passes() -> None:
    assert issues(CHECK, _cluster(2)) == []


def test_replicas_above_max_is_reported_at_the_replicas() -> None:
    assert issues(CHECK, _cluster(5)) == [
        (
            CHECK,
            "RayCluster/rc",
            ".spec.workerGroupSpecs[0].replicas",
            "worker group cpu: replicas 5 > maxReplicas 3",
        )
    ]


def test_replicas_set_by_a_patch_is_reported_at_the_patch(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "base/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\nresources:\n  - raycluster.yaml\n",
        "base/raycluster.yaml": to_yaml(_cluster(2)),
        "t/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\nresources:\n  - ../base\npatches:\n  - path: patch.yaml\n"
        "    target:\n      kind: RayCluster\n",
        "t/patch.yaml": "- op: replace\n  path: /spec/workerGroupSpecs/0/replicas\n  value: 9\n",
    }
    result = run_check(CHECK, files)
    assert result.rows() == [(CHECK, "rc", ".spec.workerGroupSpecs[0].replicas", "t/patch.yaml", 3)]
