"""Images come only from the registries the platform trusts (option `registries`).

Risk: an image from an arbitrary registry or Docker Hub user is code nobody vetted running
next to the Ray cluster's data and credentials, and a typo-squatted name is one character
away. An image passes when it starts with one of the prefixes in `registries` (default
`docker.io/rayproject/`, `rayproject/`, `quay.io/kuberay/`); the comparison is literal, so
list both spellings of Docker Hub if both are used. Covers every pod template, Ray groups
and `autoscalerOptions.image`.
PASS / FAIL examples: tests/unit/checks/test_pod_image_registry.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import containers, items, pod_label, pod_templates
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="pod-image-registry",
    severity=Severity.ERROR,
    summary="container images come from an allowed registry prefix",
    hint="pull the image from an allowed registry (mirror it there), or add the registry "
    "prefix to the option registries with a reason",
    profile=Profile.PLATFORM,
    options={"registries": ["docker.io/rayproject/", "rayproject/", "quay.io/kuberay/"]},
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every container image against the allowed prefixes."""
    prefixes = tuple(str(p) for p in items(ctx.options.get("registries")))
    for pod in pod_templates(ctx.index):
        for c in containers(pod):
            image = c.body.get("image")
            if not isinstance(image, str) or not image or image.startswith(prefixes):
                continue
            yield Issue(
                pod.owner,
                c.at(pod.owner, "image"),
                f'{c.label} of the {pod_label(pod)} uses image "{image}" from a registry '
                f"not in the allowed list ({', '.join(prefixes) or 'empty'})",
            )
