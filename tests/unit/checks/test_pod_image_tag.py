from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CheckRun

RAYSERVICE = """\
apiVersion: ray.io/v1
kind: RayService
metadata:
  name: svc
  namespace: kuberay
spec:
  rayClusterConfig:
    enableInTreeAutoscaling: true
    autoscalerOptions:
      image: {autoscaler}
    headGroupSpec:
      rayStartParams: {{}}
      template:
        spec:
          containers:
            - name: ray-head
              image: {head}
"""
DIGEST = "@sha256:" + "a" * 64
REQUIRE_DIGEST = "checks:\n  pod-image-tag:\n    options:\n      require_digest: true\n"


def test_version_tags_and_digests_pass(run_check: Callable[..., CheckRun]) -> None:
    text = RAYSERVICE.format(autoscaler="rayproject/ray:2.46.0", head=f"rayproject/ray{DIGEST}")
    assert run_check("pod-image-tag", {"t/rayservice.yaml": text}).rows() == []


def test_latest_and_untagged_images_are_errors(run_check: Callable[..., CheckRun]) -> None:
    text = RAYSERVICE.format(autoscaler="rayproject/ray:latest", head="localhost:5000/ray")
    result = run_check("pod-image-tag", {"t/rayservice.yaml": text})
    assert result.rows() == [
        (
            "pod-image-tag",
            "svc",
            ".spec.rayClusterConfig.autoscalerOptions.image",
            "t/rayservice.yaml",
            10,
        ),
        (
            "pod-image-tag",
            "svc",
            ".spec.rayClusterConfig.headGroupSpec.template.spec.containers[0].image",
            "t/rayservice.yaml",
            17,
        ),
    ]
    assert [f.message for f in result.findings] == [
        "the autoscaler sidecar (autoscalerOptions) of the head group headgroup uses image "
        '"rayproject/ray:latest" tagged latest',
        'container "ray-head" of the head group headgroup uses image "localhost:5000/ray" '
        "with no tag",
    ]


def test_require_digest_reports_tag_only_images_as_the_digest_variant(
    run_check: Callable[..., CheckRun],
) -> None:
    text = RAYSERVICE.format(
        autoscaler=f"rayproject/ray:2.46.0{DIGEST}", head="rayproject/ray:2.46.0"
    )
    result = run_check("pod-image-tag", {"t/rayservice.yaml": text}, config_extra=REQUIRE_DIGEST)
    assert result.rows() == [
        (
            "pod-image-tag[digest]",
            "svc",
            ".spec.rayClusterConfig.headGroupSpec.template.spec.containers[0].image",
            "t/rayservice.yaml",
            17,
        )
    ]


def test_a_floating_tag_set_by_a_kustomization_images_entry_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    text = RAYSERVICE.format(autoscaler="rayproject/ray:2.46.0", head="rayproject/ray:2.46.0")
    kustomization = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - rayservice.yaml\nimages:\n  - name: rayproject/ray\n"
        "    newTag: latest-gpu\n"
    )
    files = {"t/rayservice.yaml": text, "t/kustomization.yaml": kustomization}
    result = run_check("pod-image-tag", files)
    assert result.rows() == [
        (
            "pod-image-tag",
            "svc",
            ".spec.rayClusterConfig.headGroupSpec.template.spec.containers[0].image",
            "t/kustomization.yaml",
            6,
        )
    ]
    assert result.findings[0].message == (
        'container "ray-head" of the head group headgroup uses image "rayproject/ray:latest-gpu": '
        '"latest-gpu" is a floating tag'
    )


@pytest.mark.parametrize("tag", ["nightly", "nightly-py311-gpu", "2.55.1-nightly"])
def test_nightly_tags_are_errors(run_check: Callable[..., CheckRun], tag: str) -> None:
    text = RAYSERVICE.format(autoscaler="rayproject/ray:2.46.0", head=f"rayproject/ray:{tag}")
    assert run_check("pod-image-tag", {"t/rayservice.yaml": text}).rows() == [
        (
            "pod-image-tag",
            "svc",
            ".spec.rayClusterConfig.headGroupSpec.template.spec.containers[0].image",
            "t/rayservice.yaml",
            17,
        )
    ]
