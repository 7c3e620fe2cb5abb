from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: kuberay
spec:
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      initContainers:
        - name: init
          image: {init}
      containers:
        - name: web
          image: quay.io/kuberay/operator:v1.7.0
"""
MIRROR = (
    "checks:\n  pod-image-registry:\n    options:\n"
    "      registries: [quay.io/kuberay/, registry.example.com/]\n"
)


def test_default_registries_pass(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/deployment.yaml": DEPLOYMENT.format(init="docker.io/rayproject/ray:2.46.0")}
    assert run_check("pod-image-registry", files).rows() == []


def test_image_from_another_registry_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    files = {"t/deployment.yaml": DEPLOYMENT.format(init="busybox:1.36")}
    result = run_check("pod-image-registry", files)
    assert result.rows() == [
        (
            "pod-image-registry",
            "web",
            ".spec.template.spec.initContainers[0].image",
            "t/deployment.yaml",
            15,
        )
    ]
    assert result.findings[0].message == (
        'init container "init" of the pod template uses image "busybox:1.36" from a registry '
        "not in the allowed list (docker.io/rayproject/, rayproject/, quay.io/kuberay/)"
    )


def test_configured_registries_replace_the_default(run_check: Callable[..., CheckRun]) -> None:
    ok = {"t/deployment.yaml": DEPLOYMENT.format(init="registry.example.com/ray:2.46.0")}
    assert run_check("pod-image-registry", ok, config_extra=MIRROR).rows() == []
    bad = {"t/deployment.yaml": DEPLOYMENT.format(init="rayproject/ray:2.46.0")}
    assert [r[2] for r in run_check("pod-image-registry", bad, config_extra=MIRROR).rows()] == [
        ".spec.template.spec.initContainers[0].image"
    ]
