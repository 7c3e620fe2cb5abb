from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

RAYJOB = """\
apiVersion: ray.io/v1
kind: RayJob
metadata:
  name: job
  namespace: kuberay
spec:
  entrypoint: python -c "print(1)"
  rayClusterSpec:
    headGroupSpec:
      rayStartParams: {{}}
      template:
        spec:
          hostNetwork: {host_network}
          containers:
            - name: ray-head
              image: rayproject/ray:2.46.0
"""

DAEMONSET = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: kuberay
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      hostPID: true
      hostIPC: true
      containers:
        - name: agent
          image: rayproject/ray:2.46.0
"""


def test_host_network_false_passes(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/rayjob.yaml": RAYJOB.format(host_network="false")}
    assert run_check("pod-host-namespaces", files).rows() == []


def test_host_network_on_a_rayjob_head_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check("pod-host-namespaces", {"t/rayjob.yaml": RAYJOB.format(host_network="true")})
    assert result.rows() == [
        (
            "pod-host-namespaces",
            "job",
            ".spec.rayClusterSpec.headGroupSpec.template.spec.hostNetwork",
            "t/rayjob.yaml",
            13,
        )
    ]
    assert result.findings[0].message == "the head group headgroup sets hostNetwork: true"


def test_host_pid_and_ipc_are_reported_separately(run_check: Callable[..., CheckRun]) -> None:
    assert run_check("pod-host-namespaces", {"t/daemonset.yaml": DAEMONSET}).rows() == [
        ("pod-host-namespaces", "agent", ".spec.template.spec.hostPID", "t/daemonset.yaml", 13),
        ("pod-host-namespaces", "agent", ".spec.template.spec.hostIPC", "t/daemonset.yaml", 14),
    ]
