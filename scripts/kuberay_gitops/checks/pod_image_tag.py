"""Images are pinned: a version tag (not `latest`, `nightly` or their variants), or a digest.

Risk: `latest` or no tag means every node, restart and autoscaled Ray worker may pull a
different image, so the cluster drifts away from what was reviewed in Git and Ray head and
workers can end up on mismatched Ray versions. Floating tags are the same: `nightly`,
`latest-*` and `nightly-*` (`latest-gpu`, Ray's `nightly-py311-gpu`), `*-latest` and
`*-nightly` move with every build (a nightly is also untested code). A digest
(`@sha256:…`) pins the bytes. Images set by a kustomization's `images:` entry are judged
as rendered and reported at that entry.
Option `require_digest` (default false) also reports images with a tag but no digest,
under the variant `pod-image-tag[digest]` (suppressible, or give it its own severity).
Covers every pod template, Ray groups and `autoscalerOptions.image`.
PASS / FAIL examples: tests/unit/checks/test_pod_image_tag.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import containers, pod_label, pod_templates, split_image
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="pod-image-tag",
    severity=Severity.ERROR,
    summary="container images carry a version tag (not latest, nightly or a variant of them) "
    "or a digest",
    hint="pin the image to a version tag (rayproject/ray:2.46.0) or a digest, "
    "e.g. with the kustomization's images: transformer",
    profile=Profile.PLATFORM,
    options={"require_digest": False},
)
FLOATING = ("latest", "nightly")


def floating(tag: str) -> bool:
    """`latest`, `nightly`, or one of them as the first or last `-` part of the tag."""
    parts = tag.lower().split("-")
    return parts[0] in FLOATING or parts[-1] in FLOATING


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every container image, init containers and the autoscaler override included."""
    require_digest = ctx.options.get("require_digest") is True
    for pod in pod_templates(ctx.index):
        for c in containers(pod):
            image = c.body.get("image")
            if not isinstance(image, str) or not image:
                continue
            _, tag, digest = split_image(image)
            if digest is not None:
                continue
            where = f'{c.label} of the {pod_label(pod)} uses image "{image}"'
            field = c.at(pod.owner, "image")
            if tag is None or tag == "latest":
                state = "with no tag" if tag is None else "tagged latest"
                yield Issue(pod.owner, field, f"{where} {state}")
            elif floating(tag):
                yield Issue(pod.owner, field, f'{where}: "{tag}" is a floating tag')
            elif require_digest:
                yield Issue(
                    pod.owner,
                    field,
                    f"{where} without a digest",
                    variant="digest",
                    hint="append the image digest: name:tag@sha256:…",
                )
