from __future__ import annotations

from collections.abc import Callable

from kuberay_gitops.findings import Profile, Severity
from tests.builders import (
    Body,
    daemonset,
    deployment,
    grades,
    head_group,
    issues,
    netpol,
    pod_monitor,
    raycluster,
    service,
    service_monitor,
    to_yaml,
)
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


COMPONENT = {"app.kubernetes.io/component": "kuberay-operator"}
BOTH_PODS = (
    "matches both the KubeRay operator's pods and Ray pods (KubeRay labels Ray pods and head "
    "Services app.kubernetes.io/name=kuberay too)"
)
BOTH_SERVICES = (
    "matches both the KubeRay operator's Service and Ray head Services (KubeRay labels Ray "
    "pods and head Services app.kubernetes.io/name=kuberay too)"
)
ON_APP_NAME = f"selector app.kubernetes.io/name=kuberay {BOTH_PODS}"


def _by_labels(labels: dict[str, str]) -> dict[str, dict[str, str]]:
    return {"matchLabels": labels}


def test_every_workload_kind_and_podmonitor_is_judged_at_its_selector() -> None:
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "pdb", "namespace": "apps"},
        "spec": {"selector": _by_labels(APP_KUBERAY)},
    }
    bodies = [
        deployment("d", labels=APP_KUBERAY),
        {**deployment("s", labels=APP_KUBERAY), "kind": "StatefulSet"},
        daemonset("ds", labels=APP_KUBERAY),
        {**deployment("r", labels=APP_KUBERAY), "kind": "ReplicaSet"},
        pdb,
        pod_monitor("pm", selector=_by_labels(APP_KUBERAY)),
    ]
    kinds = ["Deployment/d", "StatefulSet/s", "DaemonSet/ds", "ReplicaSet/r"]
    assert issues(CHECK, *bodies) == [
        (CHECK, obj, ".spec.selector", ON_APP_NAME)
        for obj in [*kinds, "PodDisruptionBudget/pdb", "PodMonitor/pm"]
    ]


def test_netpol_pod_selector_and_egress_peers_are_judged_ip_blocks_skipped() -> None:
    policy = netpol(
        "np",
        selector=_by_labels(APP_KUBERAY),
        egress=[
            {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}, {"podSelector": _by_labels(APP_KUBERAY)}]}
        ],
    )
    assert issues(CHECK, policy) == [
        (CHECK, "NetworkPolicy/np", ".spec.podSelector", ON_APP_NAME),
        (CHECK, "NetworkPolicy/np", ".spec.egress[0].to[1].podSelector", ON_APP_NAME),
    ]


def test_servicemonitor_is_judged_against_services() -> None:
    monitor = service_monitor("sm", selector=_by_labels(APP_KUBERAY))
    assert issues(CHECK, monitor) == [
        (
            CHECK,
            "ServiceMonitor/sm",
            ".spec.selector",
            f"selector app.kubernetes.io/name=kuberay {BOTH_SERVICES}",
        )
    ]


def test_empty_and_malformed_selectors_are_not_reported() -> None:
    malformed = netpol("bad")
    malformed["spec"].update(
        ingress="x", egress=["x", {"to": "y"}, {"to": ["z", {"podSelector": "w"}]}]
    )
    listed = service("listed")
    listed["spec"]["selector"] = ["x"]
    bodies = [
        service("empty", selector={}),
        listed,
        netpol("all"),
        netpol("np", ingress=[{"from": [{"podSelector": {}}]}]),
        malformed,
        pod_monitor("pm", selector={"matchLabels": {}, "matchExpressions": []}),
    ]
    assert issues(CHECK, *bodies) == []


def test_an_extra_label_both_sides_carry_is_described_sorted() -> None:
    operator = deployment(
        "kuberay-operator", "kuberay-system", labels={**APP_KUBERAY, **COMPONENT, "zz": "1"}
    )
    cluster = raycluster(head=head_group(labels={"zz": "1"}), workers=[])
    monitor = pod_monitor("pm", selector=_by_labels({"zz": "1", **APP_KUBERAY}))
    assert issues(CHECK, operator, cluster, monitor) == [
        (
            CHECK,
            "PodMonitor/pm",
            ".spec.selector",
            f"selector app.kubernetes.io/name=kuberay, zz=1 {BOTH_PODS}",
        )
    ]


def test_operator_pods_of_the_target_count_only_with_the_operator_component() -> None:
    cluster = raycluster(head=head_group(labels={"zz": "1"}), workers=[])
    monitor = pod_monitor("pm", selector=_by_labels({"zz": "1"}))
    operator = deployment("op", "kuberay-system", labels={**COMPONENT, "zz": "1"})
    other = deployment("other", "kuberay-system", labels={"zz": "1"})
    assert issues(CHECK, other, cluster, monitor) == []
    assert issues(CHECK, operator, monitor) == []
    assert issues(CHECK, operator, cluster, monitor) == [
        (CHECK, "PodMonitor/pm", ".spec.selector", f"selector zz=1 {BOTH_PODS}")
    ]


def test_operator_services_of_the_target_count_only_with_the_operator_component() -> None:
    created_by = {"app.kubernetes.io/created-by": "kuberay-operator"}
    monitor = service_monitor("sm", selector=_by_labels(created_by))

    def operator(labels: dict[str, str]) -> Body:
        return service(
            "kuberay-operator",
            "kuberay-system",
            selector={**APP_KUBERAY, **COMPONENT},
            labels=labels,
        )

    assert issues(CHECK, operator(created_by), monitor) == []
    assert issues(CHECK, operator({**COMPONENT, **created_by}), monitor) == [
        (
            CHECK,
            "ServiceMonitor/sm",
            ".spec.selector",
            f"selector app.kubernetes.io/created-by=kuberay-operator {BOTH_SERVICES}",
        )
    ]


def test_kuberay_generated_services_of_the_target_count_as_ray_services() -> None:
    pinned = {"ray.io/cluster": "rc"}
    operator = service(
        "kuberay-operator",
        "kuberay-system",
        selector={**APP_KUBERAY, **COMPONENT},
        labels={**COMPONENT, **pinned},
    )
    monitor = service_monitor("sm", selector=_by_labels(pinned))
    assert issues(CHECK, operator, monitor) == []
    assert issues(CHECK, raycluster(workers=[]), operator, monitor) == [
        (
            CHECK,
            "ServiceMonitor/sm",
            ".spec.selector",
            f"selector ray.io/cluster=rc {BOTH_SERVICES}",
        )
    ]


def test_match_expressions_are_described_with_their_values() -> None:
    selector = {
        "matchExpressions": [
            {"key": "app.kubernetes.io/name", "operator": "In", "values": ["kuberay", "other"]},
            {"key": "ray.io/x", "operator": "DoesNotExist"},
        ]
    }
    assert issues(CHECK, pod_monitor("pm", selector=selector)) == [
        (
            CHECK,
            "PodMonitor/pm",
            ".spec.selector",
            "selector app.kubernetes.io/name In (kuberay,other), ray.io/x DoesNotExist "
            f"{BOTH_PODS}",
        )
    ]


def test_findings_are_errors_of_the_correctness_profile() -> None:
    assert grades(CHECK, pod_monitor("pm", selector=_by_labels(APP_KUBERAY))) == [
        (CHECK, Severity.ERROR, Profile.CORRECTNESS)
    ]
