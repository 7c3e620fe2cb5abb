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


def _group(group: str = "cpu", **bounds: int | None) -> Body:
    return worker_group(
        group,
        replicas=bounds.get("replicas"),
        min_replicas=bounds.get("lo"),
        max_replicas=bounds.get("hi"),
    )


def _row(field: str, message: str, group: int = 0) -> tuple[str, str, str, str]:
    return (CHECK, "RayCluster/rc", f".spec.workerGroupSpecs[{group}].{field}", message)


def test_replicas_at_either_bound_passes() -> None:
    bounds = [_group("a", replicas=1, lo=1, hi=3), _group("b", replicas=3, lo=1, hi=3)]
    assert issues(CHECK, raycluster(workers=bounds)) == []


def test_equal_bounds_pass() -> None:
    assert issues(CHECK, raycluster(workers=[_group(replicas=2, lo=2, hi=2)])) == []


def test_replicas_below_min_is_reported_at_the_replicas() -> None:
    assert issues(CHECK, raycluster(workers=[_group(replicas=0, lo=1, hi=3)])) == [
        _row("replicas", "worker group cpu: replicas 0 < minReplicas 1")
    ]


def test_min_above_max_is_reported_at_the_min_and_replicas_not_judged() -> None:
    assert issues(CHECK, raycluster(workers=[_group(replicas=9, lo=4, hi=3)])) == [
        _row("minReplicas", "worker group cpu: minReplicas 4 > maxReplicas 3")
    ]


def test_min_above_max_is_reported_without_replicas() -> None:
    assert issues(CHECK, raycluster(workers=[_group(lo=4, hi=3)])) == [
        _row("minReplicas", "worker group cpu: minReplicas 4 > maxReplicas 3")
    ]


def test_one_bound_alone_is_judged() -> None:
    only_max = _group("a", replicas=5, hi=3)
    only_min = _group("b", replicas=0, lo=1)
    assert issues(CHECK, raycluster(workers=[only_max, only_min])) == [
        _row("replicas", "worker group a: replicas 5 > maxReplicas 3", 0),
        _row("replicas", "worker group b: replicas 0 < minReplicas 1", 1),
    ]


def test_no_bounds_or_no_replicas_pass() -> None:
    workers = [_group("a", replicas=7), _group("b", lo=1, hi=3)]
    assert issues(CHECK, raycluster(workers=workers)) == []


def test_every_group_is_judged_after_a_bad_one() -> None:
    workers = [_group("a", lo=4, hi=3), _group("b", replicas=5, lo=1, hi=3)]
    assert issues(CHECK, raycluster(workers=workers)) == [
        _row("minReplicas", "worker group a: minReplicas 4 > maxReplicas 3", 0),
        _row("replicas", "worker group b: replicas 5 > maxReplicas 3", 1),
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


def test_a_group_without_replicas_does_not_end_the_walk() -> None:
    workers = [_group("a", lo=1, hi=3), _group("b", replicas=5, lo=1, hi=3)]
    assert issues(CHECK, raycluster(workers=workers)) == [
        _row("replicas", "worker group b: replicas 5 > maxReplicas 3", 1)
    ]


def test_the_head_group_is_not_judged() -> None:
    cluster = raycluster(workers=[_group(replicas=2, lo=1, hi=3)])
    cluster["spec"]["headGroupSpec"].update(replicas=9, minReplicas=4, maxReplicas=3)
    assert issues(CHECK, cluster) == []
