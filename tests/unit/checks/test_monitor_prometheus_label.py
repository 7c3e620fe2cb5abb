from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

CHECK = "monitor-prometheus-label"

RULE = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: kuberay
  namespace: kuberay
{labels}spec:
  groups:
    - name: kuberay
      rules:
        - alert: KubeRayOperatorDown
          expr: absent(up{{job="kuberay-operator"}} == 1)
"""

POD_MONITOR = """\
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: ray-workers
  namespace: kuberay
{labels}spec:
  selector:
    matchLabels:
      ray.io/node-type: worker
  podMetricsEndpoints:
    - port: metrics
"""

RELEASE = "  labels:\n    release: kube-prometheus-stack\n"


def test_objects_with_the_release_label_pass(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(
        CHECK,
        {
            "t/prometheusrule.yaml": RULE.format(labels=RELEASE),
            "t/podmonitor.yaml": POD_MONITOR.format(labels=RELEASE),
        },
    )
    assert result.rows() == []


def test_missing_or_wrong_release_label_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(
        CHECK,
        {
            "t/prometheusrule.yaml": RULE.format(labels=""),
            "t/podmonitor.yaml": POD_MONITOR.format(labels="  labels:\n    release: prometheus\n"),
            "t/servicemonitor.yaml": POD_MONITOR.replace("PodMonitor", "ServiceMonitor")
            .replace("podMetricsEndpoints", "endpoints")
            .format(labels="  labels:\n    app: x\n"),
        },
    )
    assert result.rows() == [
        (CHECK, "ray-workers", ".metadata.labels.release", "t/podmonitor.yaml", 7),
        (CHECK, "kuberay", ".metadata", "t/prometheusrule.yaml", 3),
        (CHECK, "ray-workers", ".metadata.labels", "t/servicemonitor.yaml", 6),
    ]
    assert result.findings[0].message == (
        'label release="prometheus", expected "kube-prometheus-stack": Prometheus will not load '
        "this PodMonitor"
    )


def test_the_expected_labels_are_configurable(run_check: Callable[..., CheckRun]) -> None:
    extra = """\
    checks:
      monitor-prometheus-label:
        options:
          labels:
            prometheus: platform
    """
    files = {
        "t/podmonitor.yaml": POD_MONITOR.format(labels="  labels:\n    prometheus: platform\n")
    }
    assert run_check(CHECK, files, config_extra=extra).rows() == []
