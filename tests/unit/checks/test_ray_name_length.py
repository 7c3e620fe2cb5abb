from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, issues, raycluster, rayjob, rayservice, to_yaml
from tests.conftest import CheckRun

CHECK = "ray-name-length"


def _objects(cluster: int, job: int, service: int) -> tuple[Body, Body, Body]:
    return raycluster("c" * cluster), rayjob("j" * job), rayservice("s" * service)


def test_names_at_the_limits_pass() -> None:
    assert issues(CHECK, *_objects(53, 47, 47)) == []


def test_names_one_over_the_limit_are_reported(run_check: Callable[..., CheckRun]) -> None:
    cluster, job, service = _objects(54, 48, 48)
    files = {
        "t/raycluster.yaml": to_yaml(cluster),
        "t/rayjob.yaml": to_yaml(job),
        "t/rayservice.yaml": to_yaml(service),
    }
    assert run_check(CHECK, files).rows() == [
        (CHECK, "c" * 54, ".metadata.name", "t/raycluster.yaml", 4),
        (CHECK, "j" * 48, ".metadata.name", "t/rayjob.yaml", 4),
        (CHECK, "s" * 48, ".metadata.name", "t/rayservice.yaml", 4),
    ]
