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
  autoscalerOptions:
    securityContext:
      capabilities:
        drop: [{autoscaler_drop}]
  headGroupSpec:
    rayStartParams: {{}}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
            securityContext:
              capabilities:
                drop: [ALL]
                add: [{head_add}]
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: kuberay
spec:
  containers:
    - name: shell
      image: rayproject/ray:2.46.0
"""


def test_drop_all_and_net_bind_service_pass(run_check: Callable[..., CheckRun]) -> None:
    files = {
        "t/raycluster.yaml": RAYCLUSTER.format(autoscaler_drop="ALL", head_add="NET_BIND_SERVICE")
    }
    assert run_check("pod-capabilities", files).rows() == []


def test_added_capability_and_partial_drop_are_errors(
    run_check: Callable[..., CheckRun],
) -> None:
    files = {
        "t/raycluster.yaml": RAYCLUSTER.format(
            autoscaler_drop="NET_RAW", head_add="NET_BIND_SERVICE, SYS_ADMIN"
        )
    }
    result = run_check("pod-capabilities", files)
    assert result.rows() == [
        (
            "pod-capabilities",
            "rc",
            ".spec.autoscalerOptions.securityContext.capabilities.drop",
            "t/raycluster.yaml",
            11,
        ),
        (
            "pod-capabilities",
            "rc",
            ".spec.headGroupSpec.template.spec.containers[0].securityContext.capabilities.add[1]",
            "t/raycluster.yaml",
            22,
        ),
    ]
    assert result.findings[1].message == (
        'container "ray-head" of the head group headgroup: adds capability "SYS_ADMIN"; '
        "only NET_BIND_SERVICE is allowed"
    )


def test_container_without_security_context_is_reported_at_the_container(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check("pod-capabilities", {"t/pod.yaml": POD}).rows() == [
        ("pod-capabilities", "debug", ".spec.containers[0]", "t/pod.yaml", 8)
    ]
