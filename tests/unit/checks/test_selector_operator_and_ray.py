from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

CHECK = "selector-operator-and-ray"

OPERATOR_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: kuberay-operator
  namespace: kuberay-system
spec:
  ports:
    - name: metrics
      port: 8080
  selector:
    app.kubernetes.io/name: kuberay
{extra}"""

POD_MONITOR = """\
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: ray-workers
  namespace: kuberay
spec:
  selector:
    matchLabels:
      ray.io/node-type: worker
  podMetricsEndpoints:
    - port: metrics
"""

SERVICE_MONITOR = """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: kuberay
  namespace: monitoring
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: kuberay
  endpoints:
    - port: metrics
"""

NETWORK_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ingress-operator
  namespace: kuberay
spec:
  podSelector: {}
  ingress:
    - from:
        - namespaceSelector: {}
          podSelector:
            matchLabels:
              app.kubernetes.io/name: kuberay
"""


def test_selectors_using_the_component_or_ray_labels_pass(
    run_check: Callable[..., CheckRun],
) -> None:
    extra = "    app.kubernetes.io/component: kuberay-operator\n"
    result = run_check(
        CHECK,
        {
            "t/service.yaml": OPERATOR_SERVICE.format(extra=extra),
            "t/podmonitor.yaml": POD_MONITOR,
        },
    )
    assert result.rows() == []


def test_selectors_on_app_name_kuberay_alone_match_operator_and_ray(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(
        CHECK,
        {
            "t/service.yaml": OPERATOR_SERVICE.format(extra=""),
            "t/servicemonitor.yaml": SERVICE_MONITOR,
            "t/networkpolicy.yaml": NETWORK_POLICY,
        },
    )
    assert result.rows() == [
        (
            CHECK,
            "ingress-operator",
            ".spec.ingress[0].from[0].podSelector",
            "t/networkpolicy.yaml",
            11,
        ),
        (CHECK, "kuberay-operator", ".spec.selector", "t/service.yaml", 10),
        (CHECK, "kuberay", ".spec.selector", "t/servicemonitor.yaml", 7),
    ]
    assert result.findings[1].message == (
        "selector app.kubernetes.io/name=kuberay matches both the KubeRay operator's pods and "
        "Ray pods (KubeRay labels Ray pods and head Services app.kubernetes.io/name=kuberay too)"
    )
