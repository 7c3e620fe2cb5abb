from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

CHECK = "monitor-selects-nothing"

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            ports:
              - name: metrics
                containerPort: 8080
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 1
      maxReplicas: 2
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
"""

# Selects KubeRay's generated head Service rc-head-svc (not in the rendered output).
SERVICE_MONITOR = """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: ray-head
  namespace: monitoring
spec:
  namespaceSelector:
    matchNames:
      - {namespace}
  selector:
    matchLabels:
      ray.io/node-type: head
    matchExpressions:
      - key: ray.io/cluster
        operator: Exists
  endpoints:
    - port: metrics
"""

POD_MONITOR = """\
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: ray-workers
  namespace: kuberay
spec:
  selector:
    matchLabels:
      ray.io/node-type: {node_type}
  podMetricsEndpoints:
    - port: metrics
"""


def test_monitors_selecting_the_kuberay_head_service_and_workers_pass(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(
        CHECK,
        {
            "t/raycluster.yaml": RAYCLUSTER,
            "t/servicemonitor.yaml": SERVICE_MONITOR.format(namespace="kuberay"),
            "t/podmonitor.yaml": POD_MONITOR.format(node_type="worker"),
        },
    )
    assert result.rows() == []


def test_monitors_selecting_nothing_are_errors(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(
        CHECK,
        {
            "t/raycluster.yaml": RAYCLUSTER,
            "t/servicemonitor.yaml": SERVICE_MONITOR.format(namespace="kuberya"),
            "t/podmonitor.yaml": POD_MONITOR.format(node_type="wroker"),
        },
    )
    assert result.rows() == [
        (CHECK, "ray-workers", ".spec.selector", "t/podmonitor.yaml", 7),
        (CHECK, "ray-head", ".spec.selector", "t/servicemonitor.yaml", 10),
    ]
    assert result.findings[1].message == (
        'selector matches no Service in namespace "kuberya" of this target'
    )
