from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, issues, netpol, pod_monitor, service, service_monitor, to_yaml
from tests.conftest import CheckRun

CHECK = "selector-operator-and-ray"
APP_KUBERAY = {"app.kubernetes.io/name": "kuberay"}


def _operator_service(**extra: str) -> Body:
    return service(
        "kuberay-operator",
        "kuberay-system",
        ports=[{"name": "metrics", "port": 8080}],
        selector={**APP_KUBERAY, **extra},
    )


def test_selectors_using_the_component_or_ray_labels_pass() -> None:
    operator = _operator_service(**{"app.kubernetes.io/component": "kuberay-operator"})
    workers = pod_monitor("ray-workers", selector={"matchLabels": {"ray.io/node-type": "worker"}})
    assert issues(CHECK, operator, workers) == []


def test_selectors_on_app_name_kuberay_alone_match_operator_and_ray(
    run_check: Callable[..., CheckRun],
) -> None:
    monitor = service_monitor("kuberay", "monitoring", selector={"matchLabels": APP_KUBERAY})
    policy = netpol(
        "ingress-operator",
        types=None,
        ingress=[
            {"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": APP_KUBERAY}}]}
        ],
    )
    result = run_check(
        CHECK,
        {
            "t/service.yaml": to_yaml(_operator_service()),
            "t/servicemonitor.yaml": to_yaml(monitor),
            "t/networkpolicy.yaml": to_yaml(policy),
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
        (CHECK, "kuberay-operator", ".spec.selector", "t/service.yaml", 7),
        (CHECK, "kuberay", ".spec.selector", "t/servicemonitor.yaml", 7),
    ]
    assert result.findings[1].message == (
        "selector app.kubernetes.io/name=kuberay matches both the KubeRay operator's pods and "
        "Ray pods (KubeRay labels Ray pods and head Services app.kubernetes.io/name=kuberay too)"
    )
