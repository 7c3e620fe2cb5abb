from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

OBJECT = """\
apiVersion: ray.io/v1
kind: {kind}
metadata:
  name: {name}
  namespace: kuberay
"""


def _tree(cluster: int, job: int, service: int) -> dict[str, str]:
    return {
        "t/raycluster.yaml": OBJECT.format(kind="RayCluster", name="c" * cluster),
        "t/rayjob.yaml": OBJECT.format(kind="RayJob", name="j" * job),
        "t/rayservice.yaml": OBJECT.format(kind="RayService", name="s" * service),
    }


def test_names_at_the_limits_pass(run_check: Callable[..., CheckRun]) -> None:
    assert run_check("ray-name-length", _tree(53, 47, 47)).rows() == []


def test_names_one_over_the_limit_are_reported(run_check: Callable[..., CheckRun]) -> None:
    assert run_check("ray-name-length", _tree(54, 48, 48)).rows() == [
        ("ray-name-length", "c" * 54, ".metadata.name", "t/raycluster.yaml", 4),
        ("ray-name-length", "j" * 48, ".metadata.name", "t/rayjob.yaml", 4),
        ("ray-name-length", "s" * 48, ".metadata.name", "t/rayservice.yaml", 4),
    ]
