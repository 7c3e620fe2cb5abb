from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, issues, pod_monitor, service_monitor, to_yaml
from tests.conftest import CheckRun

CHECK = "monitor-prometheus-label"
RELEASE = {"release": "kube-prometheus-stack"}
WORKERS = {"matchLabels": {"ray.io/node-type": "worker"}}


def _rule(labels: dict[str, str] | None = None) -> Body:
    meta: dict[str, object] = {"name": "kuberay", "namespace": "apps"}
    if labels:
        meta["labels"] = labels
    alert = {"alert": "KubeRayOperatorDown", "expr": 'absent(up{job="kuberay-operator"} == 1)'}
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": meta,
        "spec": {"groups": [{"name": "kuberay", "rules": [alert]}]},
    }


def test_objects_with_the_release_label_pass() -> None:
    workers = pod_monitor("ray-workers", selector=WORKERS, labels=RELEASE)
    assert issues(CHECK, _rule(RELEASE), workers) == []


def test_missing_or_wrong_release_label_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    wrong = pod_monitor("ray-workers", selector=WORKERS, labels={"release": "prometheus"})
    other = service_monitor("ray-workers", selector=WORKERS, labels={"app": "x"})
    result = run_check(
        CHECK,
        {
            "t/prometheusrule.yaml": to_yaml(_rule()),
            "t/podmonitor.yaml": to_yaml(wrong),
            "t/servicemonitor.yaml": to_yaml(other),
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


def test_the_expected_labels_are_configurable() -> None:
    platform = {"prometheus": "platform"}
    workers = pod_monitor("ray-workers", selector=WORKERS, labels=platform)
    assert issues(CHECK, workers, options={"labels": platform}) == []
