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


def test_the_message_names_kind_length_and_limit() -> None:
    assert issues(CHECK, *_objects(54, 47, 48)) == [
        (
            CHECK,
            f"RayCluster/{'c' * 54}",
            ".metadata.name",
            f'RayCluster name "{"c" * 54}" has 54 characters; KubeRay accepts at most 53',
        ),
        (
            CHECK,
            f"RayService/{'s' * 48}",
            ".metadata.name",
            f'RayService name "{"s" * 48}" has 48 characters; KubeRay accepts at most 47',
        ),
    ]


def _generated(body: Body, prefix: str) -> Body:
    meta = {k: v for k, v in body["metadata"].items() if k != "name"}
    return {**body, "metadata": {**meta, "generateName": prefix}}


def test_a_generate_name_counts_the_five_random_characters() -> None:
    fits, over = _generated(rayjob(), "j" * 42), _generated(rayjob(), "k" * 43)
    assert issues(CHECK, fits) == []
    assert [(row[2], row[3]) for row in issues(CHECK, over)] == [
        (
            ".metadata.generateName",
            f'RayJob generateName "{"k" * 43}" makes names of 48 characters;'
            " KubeRay accepts at most 47",
        )
    ]


def test_a_long_generate_name_is_cut_to_58_before_the_suffix() -> None:
    long = _generated(raycluster(), "g" * 70)
    assert [(row[2], row[3]) for row in issues(CHECK, long)] == [
        (
            ".metadata.generateName",
            f'RayCluster generateName "{"g" * 70}" makes names of 63 characters;'
            " KubeRay accepts at most 53",
        )
    ]
