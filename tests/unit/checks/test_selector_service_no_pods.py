from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

CHECK = "selector-service-no-pods"

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
  workerGroupSpecs: []
"""


def service(selector: str, name: str = "ray-client") -> str:
    return (
        "apiVersion: v1\n"
        "kind: Service\n"
        "metadata:\n"
        f"  name: {name}\n"
        "  namespace: kuberay\n"
        "spec:\n"
        "  ports:\n"
        "    - name: client\n"
        "      port: 10001\n"
        f"  selector:\n{selector}"
    )


def test_service_selecting_kuberay_generated_head_pod_labels_passes(
    run_check: Callable[..., CheckRun],
) -> None:
    selector = "    ray.io/cluster: rc\n    ray.io/node-type: head\n"
    external = (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: kuberay\n"
        "spec:\n  type: ExternalName\n  externalName: db.example.com\n"
    )
    result = run_check(
        CHECK,
        {
            "t/raycluster.yaml": RAYCLUSTER,
            "t/service.yaml": service(selector),
            "t/service-db.yaml": external,
        },
    )
    assert result.rows() == []


def test_service_selecting_no_pod_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    selector = "    ray.io/cluster: rc\n    ray.io/node-type: haed\n"
    result = run_check(
        CHECK, {"t/raycluster.yaml": RAYCLUSTER, "t/service.yaml": service(selector)}
    )
    assert result.rows() == [(CHECK, "ray-client", ".spec.selector", "t/service.yaml", 10)]
    assert result.findings[0].message == (
        'selector ray.io/cluster=rc, ray.io/node-type=haed matches no pod of namespace "kuberay" '
        "in this target (pods of the namespace: RayCluster/kuberay/rc head group headgroup)"
    )
