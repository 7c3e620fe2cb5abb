from __future__ import annotations

from collections.abc import Callable

from tests.builders import issues, raycluster, rayjob, to_yaml
from tests.conftest import CheckRun

CHECK = "ray-unread-metadata"
LABELS = {"volcano.sh/queue-name": "default", "ray.io/priority-class-name": "high"}


def test_keys_kuberay_reads_and_foreign_domains_pass() -> None:
    rc = raycluster(workers=[], labels=LABELS, annotations={"ray.io/ft-enabled": "true"})
    assert issues(CHECK, rc) == []


def test_a_ray_io_label_nothing_reads_is_reported_at_its_line(
    run_check: Callable[..., CheckRun],
) -> None:
    dead = raycluster(workers=[], labels={**LABELS, "ray.io/scheduler-name": "volcano"})
    result = run_check(CHECK, {"t/rc.yaml": to_yaml(dead)})
    assert result.rows() == [
        (CHECK, "rc", ".metadata.labels.ray.io/scheduler-name", "t/rc.yaml", 9)
    ]
    assert "read by nothing in KubeRay v1.7.0" in result.findings[0].message


def test_an_annotation_of_a_rayjob_is_judged_too() -> None:
    job = rayjob(labels=LABELS, annotations={"ray.io/ft-enable": "true"})
    assert issues(CHECK, job) == [
        (
            CHECK,
            "RayJob/job",
            ".metadata.annotations.ray.io/ft-enable",
            "annotation ray.io/ft-enable is read by nothing in KubeRay v1.7.0",
        )
    ]
