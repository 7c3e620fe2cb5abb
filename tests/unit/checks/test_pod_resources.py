from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  enableInTreeAutoscaling: true
{autoscaler}
  headGroupSpec:
    rayStartParams: {{}}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            resources:
              requests: {{cpu: "1", memory: 2Gi}}
              limits: {{cpu: "1", memory: 2Gi}}
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 0
      maxReplicas: 2
      rayStartParams: {{}}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
              resources:
{worker}
"""
FULL = """\
                requests: {cpu: "1", memory: 2Gi}
                limits: {cpu: "1", memory: 2Gi}"""
PARTIAL_AUTOSCALER = """\
  autoscalerOptions:
    resources:
      requests: {cpu: 200m, memory: 256Mi}"""


def test_complete_resources_and_the_autoscaler_default_pass(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {"t/raycluster.yaml": RAYCLUSTER.format(autoscaler="", worker=FULL)}
    assert run_check("pod-resources", files).rows() == []


def test_partial_autoscaler_override_and_missing_limits_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    worker = '                requests: {cpu: "1", memory: 2Gi}'
    files = {"t/raycluster.yaml": RAYCLUSTER.format(autoscaler=PARTIAL_AUTOSCALER, worker=worker)}
    result = run_check("pod-resources", files)
    assert result.rows() == [
        ("pod-resources", "rc", ".spec.autoscalerOptions.resources", "t/raycluster.yaml", 9),
        (
            "pod-resources",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.containers[0].resources",
            "t/raycluster.yaml",
            31,
        ),
    ]
    assert [f.message for f in result.findings] == [
        "the autoscaler sidecar (autoscalerOptions) of the head group headgroup does not set "
        "resources limits.cpu, limits.memory",
        'container "ray-worker" of the worker group cpu does not set resources '
        "limits.cpu, limits.memory",
    ]


def test_init_container_without_resources_is_reported_at_the_container(
    run_check: Callable[..., CheckRun],
) -> None:
    pod = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: kuberay
spec:
  initContainers:
    - name: init
      image: rayproject/ray:2.46.0
  containers:
    - name: main
      image: rayproject/ray:2.46.0
      resources:
        requests: {cpu: 10m, memory: 16Mi}
        limits: {cpu: 10m, memory: 16Mi}
"""
    assert run_check("pod-resources", {"t/pod.yaml": pod}).rows() == [
        ("pod-resources", "p", ".spec.initContainers[0]", "t/pod.yaml", 8)
    ]
