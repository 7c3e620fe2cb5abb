"""Findings on a field that a kustomization transformer set (`images:`, `labels:`,
`namespace:`) are located at that kustomization line, not at the resource or a patch."""

from __future__ import annotations

from collections.abc import Callable

from kuberay_gitops.locate import _image_repo
from tests.conftest import CheckRun

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: ns
spec:
  selector:
    matchLabels: {app: a}
  template:
    metadata:
      labels: {app: a}
    spec:
      containers:
        - name: app
          image: example.com/team/app:1.0
"""
PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: ns
spec:
  template:
    spec:
      containers:
        - name: app
          env: [{name: A, value: b}]
"""


def _kustomization(images: str) -> str:
    return (
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        "resources:\n"
        "  - deployment.yaml\n"
        "patches:\n"
        "  - path: patch.yaml\n"
        "images:\n" + images
    )


def test_an_image_tag_set_by_images_is_located_at_its_entry(
    run_check: Callable[..., CheckRun],
) -> None:
    images = (
        "  - name: other/thing\n    newTag: v2\n"
        "  - name: example.com/team/app\n    newTag: latest\n"
    )
    result = run_check(
        "pod-image-tag",
        {
            "t/deployment.yaml": DEPLOYMENT,
            "t/patch.yaml": PATCH,
            "t/kustomization.yaml": _kustomization(images),
        },
    )
    assert [(r[0], r[3], r[4]) for r in result.rows()] == [
        ("pod-image-tag", "t/kustomization.yaml", 10)
    ]


def test_an_image_renamed_by_images_is_matched_by_its_new_name(
    run_check: Callable[..., CheckRun],
) -> None:
    images = "  - name: example.com/team/app\n    newName: registry:5000/app\n    newTag: latest\n"
    result = run_check(
        "pod-image-tag",
        {
            "t/deployment.yaml": DEPLOYMENT,
            "t/patch.yaml": PATCH,
            "t/kustomization.yaml": _kustomization(images),
        },
    )
    assert [(r[3], r[4]) for r in result.rows()] == [("t/kustomization.yaml", 8)]


def test_an_image_the_transformer_did_not_set_stays_at_the_resource(
    run_check: Callable[..., CheckRun],
) -> None:
    bad = DEPLOYMENT.replace("app:1.0", "app:latest")
    result = run_check(
        "pod-image-tag",
        {
            "t/deployment.yaml": bad,
            "t/patch.yaml": PATCH,
            "t/kustomization.yaml": _kustomization("  - name: other/thing\n    newTag: v2\n"),
        },
    )
    assert [(r[3], r[4]) for r in result.rows()] == [("t/deployment.yaml", 15)]


def test_image_repository_keeps_a_registry_port() -> None:
    assert _image_repo("registry:5000/org/app:1.0@sha256:abc") == "registry:5000/org/app"
    assert _image_repo("app") == "app"
