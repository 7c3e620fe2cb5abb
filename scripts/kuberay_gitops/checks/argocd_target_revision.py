"""Every source sets targetRevision; pinned environments (prod) use a release tag or commit.

Risk: a missing or empty `targetRevision` means `HEAD`, so the environment follows whatever
is merged, unnoticed. In a pinned environment (option `pinned_envs`, default `prod`:
the Application's `kuberay-gitops/env` label, or its destination cluster name) a floating
revision, a branch such as `main` or `release-1`, `HEAD`, or a moving tag, changes
what runs without a promotion pull request; a revision must match `pinned_pattern`
(default a release tag `vX.Y.Z` or a 40-hex commit). The floating case is the variant
`argocd-target-revision[floating]`, a warning by default; chart sources (`chart:`) are only
checked for being explicit.
PASS / FAIL examples: tests/unit/checks/test_argocd_target_revision.py
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Severity

CHECK = CheckSpec(
    id="argocd-target-revision",
    severity=Severity.ERROR,
    summary="Application sources set targetRevision; pinned envs use a tag or commit",
    hint="set targetRevision explicitly; for a pinned environment use a release tag vX.Y.Z "
    "(or a full commit SHA) and promote by changing it",
    options={
        "pinned_envs": ["prod"],
        "pinned_pattern": r"^(v\d+\.\d+\.\d+|[0-9a-f]{40})$",
    },
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every source revision explicit; pinned revisions in pinned environments."""
    pinned_envs = {str(e) for e in ctx.options.get("pinned_envs") or []}
    pattern = re.compile(str(ctx.options.get("pinned_pattern") or CHECK.options["pinned_pattern"]))
    for app in _argocd.applications(ctx.index, ctx.repo):
        env = app.labels.get(_argocd.ENV_LABEL)
        pinned = env in pinned_envs or app.destination.get("name") in pinned_envs
        for src in app.sources:
            rev = src.get("targetRevision")
            field = app.field(*src.path, "targetRevision")
            if rev is None:
                yield Issue(
                    app.owner,
                    field,
                    f"{app} has a source without targetRevision: it follows HEAD",
                    variant="missing",
                )
            elif pinned and not src.get("chart") and not pattern.match(rev.strip()):
                yield Issue(
                    app.owner,
                    field,
                    f'targetRevision "{rev}" of {app} floats: pinned environment '
                    f'"{env or app.destination.get("name")}" expects a release tag or commit',
                    variant="floating",
                    severity=Severity.WARNING,
                )
