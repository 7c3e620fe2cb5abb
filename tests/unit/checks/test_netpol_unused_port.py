from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kuberay_gitops.findings import Severity
from tests.builders import Body, head_group, issues, netpol, raycluster, to_yaml
from tests.conftest import CheckRun

CHECK = "netpol-unused-port"
RAYCLUSTER = raycluster(
    head=head_group(ports=[(8081, "metrics")], params={"dashboard-port": "8266"}),
    workerGroupSpecs=[],
)


def _policy(*ports: Mapping[str, Any]) -> Body:
    return netpol(
        "head-ingress",
        selector={"matchLabels": {"ray.io/node-type": "head"}},
        types=["Ingress"],
        ingress=[{"ports": list(ports)}],
    )


def test_ports_the_head_exposes_or_listens_on_pass() -> None:
    # named container port, rayStartParams port, KubeRay default client port, a range
    policy = _policy(
        {"port": "metrics"}, {"port": 8266}, {"port": 10001}, {"port": 8000, "endPort": 8100}
    )
    assert issues(CHECK, RAYCLUSTER, policy) == []


def test_ingress_port_no_selected_pod_exposes_is_a_warning(
    run_check: Callable[..., CheckRun],
) -> None:
    policy = _policy({"port": "metrcs"}, {"port": 9999}, {"protocol": "UDP", "port": 8081})
    tree = {"t/raycluster.yaml": to_yaml(RAYCLUSTER), "t/networkpolicy.yaml": to_yaml(policy)}
    result = run_check(CHECK, tree)
    assert result.rows() == [
        (CHECK, "head-ingress", ".spec.ingress[0].ports[0].port", "t/networkpolicy.yaml", 14),
        (CHECK, "head-ingress", ".spec.ingress[0].ports[1].port", "t/networkpolicy.yaml", 15),
        (CHECK, "head-ingress", ".spec.ingress[0].ports[2].port", "t/networkpolicy.yaml", 17),
    ]
    assert {f.severity for f in result.findings} == {Severity.WARNING}
    assert result.findings[0].message == (
        'ingress port "metrcs"/TCP is not exposed by any of the 1 pod template(s) the policy '
        'selects; their TCP container ports: "metrics"'
    )
