from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, container, deployment, issues, to_yaml
from tests.conftest import CheckRun

CHECK = "pod-image-registry"
MIRROR = {"registries": ["quay.io/kuberay/", "registry.example.com/"]}


def _web(init_image: str) -> Body:
    operator = container("web", image="quay.io/kuberay/operator:v1.7.0")
    return deployment(
        "web", containers=[operator], initContainers=[container("init", image=init_image)]
    )


def test_default_registries_pass() -> None:
    assert issues(CHECK, _web("docker.io/rayproject/ray:2.46.0")) == []


def test_image_from_another_registry_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(CHECK, {"t/deployment.yaml": to_yaml(_web("busybox:1.36"))})
    assert result.rows() == [
        (CHECK, "web", ".spec.template.spec.initContainers[0].image", "t/deployment.yaml", 20)
    ]
    assert result.findings[0].message == (
        'init container "init" of the pod template uses image "busybox:1.36" from a registry '
        "not in the allowed list (docker.io/rayproject/, rayproject/, quay.io/kuberay/)"
    )


def test_configured_registries_replace_the_default() -> None:
    assert issues(CHECK, _web("registry.example.com/ray:2.46.0"), options=MIRROR) == []
    assert issues(CHECK, _web("rayproject/ray:2.46.0"), options=MIRROR) == [
        (
            CHECK,
            "Deployment/web",
            ".spec.template.spec.initContainers[0].image",
            'init container "init" of the pod template uses image "rayproject/ray:2.46.0" from a '
            "registry not in the allowed list (quay.io/kuberay/, registry.example.com/)",
        )
    ]


def test_an_empty_list_allows_nothing_and_says_so() -> None:
    assert [
        row[3] for row in issues(CHECK, _web("rayproject/ray:2.46.0"), options={"registries": []})
    ] == [
        'init container "init" of the pod template uses image "rayproject/ray:2.46.0" from a '
        "registry not in the allowed list (empty)",
        'container "web" of the pod template uses image "quay.io/kuberay/operator:v1.7.0" from a '
        "registry not in the allowed list (empty)",
    ]


def test_a_container_without_an_image_is_not_judged_and_later_ones_are() -> None:
    bare = {"name": "bare"}
    pods = [bare, container("empty", image=""), container("web", image="busybox:1.36")]
    assert [row[2] for row in issues(CHECK, deployment("web", containers=pods))] == [
        ".spec.template.spec.containers[2].image"
    ]
