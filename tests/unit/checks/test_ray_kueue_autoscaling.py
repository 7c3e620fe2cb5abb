from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

QUEUED = """\
apiVersion: ray.io/v1
kind: {kind}
metadata:
  name: rc
  namespace: kuberay
  labels:
    kueue.x-k8s.io/queue-name: q
spec:
{spec}"""
CLUSTER = """  enableInTreeAutoscaling: {auto}
  headGroupSpec:
    rayStartParams: {{}}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.55.1
"""


def _job(auto: str, shutdown: str) -> str:
    body = CLUSTER.format(auto=auto).replace("\n  ", "\n    ").replace("  enable", "    enable", 1)
    spec = f"  entrypoint: python x.py\n  shutdownAfterJobFinishes: {shutdown}\n  rayClusterSpec:\n"
    return QUEUED.format(kind="RayJob", spec=spec + body)


def test_queued_rayjob_with_fixed_size_cluster_that_shuts_down_passes(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/rayjob.yaml": _job("false", "true")}
    assert run_check("ray-kueue-autoscaling", files).rows() == []


def test_queued_autoscaling_raycluster_is_refused_by_kueue(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/rc.yaml": QUEUED.format(kind="RayCluster", spec=CLUSTER.format(auto="true"))}
    assert run_check("ray-kueue-autoscaling", files).rows() == [
        (
            "ray-kueue-autoscaling[autoscaling]",
            "rc",
            ".spec.enableInTreeAutoscaling",
            "t/rc.yaml",
            9,
        )
    ]


def test_elastic_raycluster_may_autoscale(run_check: Callable[..., CheckRun]) -> None:
    text = QUEUED.format(kind="RayCluster", spec=CLUSTER.format(auto="true")).replace(
        "spec:\n", '  annotations:\n    kueue.x-k8s.io/elastic-job: "true"\nspec:\n', 1
    )
    assert run_check("ray-kueue-autoscaling", {"t/rc.yaml": text}).rows() == []


def test_unqueued_autoscaling_raycluster_passes(run_check: Callable[..., CheckRun]) -> None:
    text = QUEUED.format(kind="RayCluster", spec=CLUSTER.format(auto="true")).replace(
        "  labels:\n    kueue.x-k8s.io/queue-name: q\n", ""
    )
    assert run_check("ray-kueue-autoscaling", {"t/rc.yaml": text}).rows() == []


def test_queued_rayjob_whose_cluster_outlives_the_job_is_refused(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/rayjob.yaml": _job("false", "false")}
    assert run_check("ray-kueue-autoscaling", files).rows() == [
        (
            "ray-kueue-autoscaling[shutdown]",
            "rc",
            ".spec.shutdownAfterJobFinishes",
            "t/rayjob.yaml",
            10,
        )
    ]
