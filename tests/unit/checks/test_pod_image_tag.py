from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.builders import Body, head_group, issues, rayservice, to_yaml
from tests.conftest import CheckRun

CHECK = "pod-image-tag"
DIGEST = "@sha256:" + "a" * 64
HEAD_IMAGE = ".spec.rayClusterConfig.headGroupSpec.template.spec.containers[0].image"


def _service(
    autoscaler: str = "rayproject/ray:2.46.0", head: str = "rayproject/ray:2.46.0"
) -> Body:
    """An autoscaling RayService whose autoscaler sidecar and head run these images."""
    return rayservice(
        "svc",
        head=head_group(ray={"image": head}),
        cluster={"enableInTreeAutoscaling": True, "autoscalerOptions": {"image": autoscaler}},
    )


def test_version_tags_and_digests_pass() -> None:
    assert issues(CHECK, _service(head=f"rayproject/ray{DIGEST}")) == []


def test_latest_and_untagged_images_are_errors(run_check: Callable[..., CheckRun]) -> None:
    service = _service(autoscaler="rayproject/ray:latest", head="localhost:5000/ray")
    result = run_check(CHECK, {"t/rayservice.yaml": to_yaml(service)})
    assert result.rows() == [
        (CHECK, "svc", HEAD_IMAGE, "t/rayservice.yaml", 14),
        (CHECK, "svc", ".spec.rayClusterConfig.autoscalerOptions.image", "t/rayservice.yaml", 17),
    ]
    assert [f.message for f in result.findings] == [
        'container "ray-head" of the head group headgroup uses image "localhost:5000/ray" '
        "with no tag",
        "the autoscaler sidecar (autoscalerOptions) of the head group headgroup uses image "
        '"rayproject/ray:latest" tagged latest',
    ]


def test_require_digest_reports_tag_only_images_as_the_digest_variant() -> None:
    service = _service(autoscaler=f"rayproject/ray:2.46.0{DIGEST}")
    assert issues(CHECK, service, options={"require_digest": True}) == [
        (
            f"{CHECK}[digest]",
            "RayService/svc",
            HEAD_IMAGE,
            'container "ray-head" of the head group headgroup uses image "rayproject/ray:2.46.0" '
            "without a digest",
        )
    ]


def test_a_floating_tag_set_by_a_kustomization_images_entry_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    kustomization = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - rayservice.yaml\nimages:\n  - name: rayproject/ray\n"
        "    newTag: latest-gpu\n"
    )
    files = {"t/rayservice.yaml": to_yaml(_service()), "t/kustomization.yaml": kustomization}
    result = run_check(CHECK, files)
    assert result.rows() == [(CHECK, "svc", HEAD_IMAGE, "t/kustomization.yaml", 6)]
    assert result.findings[0].message == (
        'container "ray-head" of the head group headgroup uses image "rayproject/ray:latest-gpu": '
        '"latest-gpu" is a floating tag'
    )


@pytest.mark.parametrize("tag", ["nightly", "nightly-py311-gpu", "2.55.1-nightly"])
def test_nightly_tags_are_errors(tag: str) -> None:
    assert issues(CHECK, _service(head=f"rayproject/ray:{tag}")) == [
        (
            CHECK,
            "RayService/svc",
            HEAD_IMAGE,
            f'container "ray-head" of the head group headgroup uses image "rayproject/ray:{tag}": '
            f'"{tag}" is a floating tag',
        )
    ]
