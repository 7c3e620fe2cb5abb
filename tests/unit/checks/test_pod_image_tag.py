from __future__ import annotations

from collections.abc import Callable

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
