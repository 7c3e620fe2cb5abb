from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
  labels:
    volcano.sh/queue-name: default
    ray.io/priority-class-name: high
  annotations:
    ray.io/ft-enabled: "true"
spec:
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.55.1
"""


def test_keys_kuberay_reads_and_foreign_domains_pass(run_check: Callable[..., CheckRun]) -> None:
    assert run_check("ray-unread-metadata", {"t/rc.yaml": RAYCLUSTER}).rows() == []


def test_a_ray_io_label_nothing_reads_is_reported_at_its_line(
    run_check: Callable[..., CheckRun],
) -> None:
    dead = RAYCLUSTER.replace(
        "    volcano.sh/queue-name: default\n",
        "    volcano.sh/queue-name: default\n    ray.io/scheduler-name: volcano\n",
    )
    result = run_check("ray-unread-metadata", {"t/rc.yaml": dead})
    assert result.rows() == [
        ("ray-unread-metadata", "rc", ".metadata.labels.ray.io/scheduler-name", "t/rc.yaml", 8)
    ]
    assert "read by nothing in KubeRay v1.7.0" in result.findings[0].message


def test_an_annotation_of_a_rayjob_is_judged_too(run_check: Callable[..., CheckRun]) -> None:
    job = RAYCLUSTER.replace("kind: RayCluster", "kind: RayJob").replace(
        '    ray.io/ft-enabled: "true"\n', '    ray.io/ft-enable: "true"\n'
    )
    job = job.replace("spec:\n  headGroupSpec:", "spec:\n  rayClusterSpec:\n   headGroupSpec:")
    rows = run_check("ray-unread-metadata", {"t/job.yaml": job}).rows()
    assert [(r[0], r[2]) for r in rows] == [
        ("ray-unread-metadata", ".metadata.annotations.ray.io/ft-enable")
    ]
