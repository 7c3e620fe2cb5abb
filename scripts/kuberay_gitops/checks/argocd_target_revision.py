"""Every source names an allowed branch, tag or commit; pinned environments a tag or commit.

Risk: a missing or empty `targetRevision` means `HEAD`, so the environment follows whatever
is merged, unnoticed. A revision outside the reviewed branches and tags deploys what no
review approved: a pull-request ref (`refs/pull/7/head`, or `pull/7/head`, which Argo CD
resolves to the same ref by its short name; `refs/merge-requests/7/head` on GitLab) syncs
an unmerged, possibly hostile change the moment the Application is merged, and `HEAD` is
whatever the Git server calls its default branch, a repository setting changed outside any
pull request. So every non-chart source, in every environment, must name a revision matching
one of `allowed_revisions` (full-match regular expressions; default `main`, `release-*`
branches, tags `vX`, `vX.Y`, `vX.Y.Z` with an optional `-pre.release` suffix, and a full
40-hex commit). The fully qualified forms `refs/heads/<branch>` and `refs/tags/<tag>` are
judged by their short name; any other `refs/...` is never allowed. Variant
`argocd-target-revision[disallowed]`, an error (platform policy: the allowed set is this
platform's branching model). A pull-request ref is its own variant,
`argocd-target-revision[change-ref]`, an error in the correctness profile too: deploying an
unmerged change is wrong for anyone, whatever their branches are called.

In a pinned environment (option `pinned_envs`, default `prod`: the Application's
`kuberay-gitops/env` label, or its destination cluster name) even an allowed branch such as
`main` or `release-1`, or a moving tag such as `v1.2`, changes what runs without a promotion
pull request; a revision must match `pinned_pattern` (default a release tag `vX.Y.Z` or a
40-hex commit). That is the variant `argocd-target-revision[floating]`, a warning by default.
Chart sources (`chart:`, where the revision is a chart version) are only checked for being
explicit. Not judged offline: whether an allowed 40-hex commit is reachable from a reviewed
branch (GitHub serves pull-request commits of a repository by SHA too).
PASS / FAIL examples: tests/unit/checks/test_argocd_target_revision.py
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="argocd-target-revision",
    severity=Severity.ERROR,
    summary="Application sources name an allowed branch, tag or commit; pinned envs a tag",
    hint="set targetRevision explicitly to a reviewed branch (main, release-*), a release tag "
    "or a full commit SHA, never a pull-request ref or HEAD; for a pinned environment use a "
    "release tag vX.Y.Z (or a full commit SHA) and promote by changing it",
    profile=Profile.PLATFORM,
    options={
        "allowed_revisions": [
            r"main",
            r"release-[0-9A-Za-z._-]+",
            r"v\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?",
            r"[0-9a-f]{40}",
        ],
        "pinned_envs": ["prod"],
        "pinned_pattern": r"^(v\d+\.\d+\.\d+|[0-9a-f]{40})$",
    },
)

# Fully qualified forms of a branch or a tag; their short name is what the allowed set judges.
_QUALIFIED = ("refs/heads/", "refs/tags/")
# Refs of proposed changes: named in the message, they are the point of the rule.
_CHANGE_REF = re.compile(r"^(refs/)?(pull|merge-requests|changes)/")


def _short_name(revision: str) -> str | None:
    """The branch or tag name a revision names, None for any other `refs/...` ref."""
    for prefix in _QUALIFIED:
        if revision.startswith(prefix):
            return revision[len(prefix) :]
    return None if revision.startswith("refs/") else revision


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every source revision explicit and allowed; pinned revisions in pinned environments."""
    pinned_envs = {str(e) for e in ctx.options.get("pinned_envs") or []}
    pattern = re.compile(str(ctx.options.get("pinned_pattern") or CHECK.options["pinned_pattern"]))
    allowed = [re.compile(str(p)) for p in ctx.options.get("allowed_revisions") or []]
    for app in _argocd.applications(ctx.index, ctx.repo):
        env = app.labels.get(_argocd.ENV_LABEL)
        cluster = app.destination.get("name")
        # the pinned environment: the env label's, else the destination cluster's
        pinned = env if env in pinned_envs else cluster if cluster in pinned_envs else None
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
            elif src.get("chart"):
                continue
            elif _CHANGE_REF.match(rev.strip()):
                yield Issue(
                    app.owner,
                    field,
                    f'targetRevision "{rev}" of {app} is not allowed: a pull-request ref deploys '
                    "an unreviewed change",
                    variant="change-ref",
                    profile=Profile.CORRECTNESS,
                )
            elif (name := _short_name(rev.strip())) is None or not any(
                p.fullmatch(name) for p in allowed
            ):
                yield Issue(
                    app.owner,
                    field,
                    f'targetRevision "{rev}" of {app} is not allowed: not a branch, tag or commit '
                    "of the allowed set (allowed_revisions)",
                    variant="disallowed",
                )
            elif pinned is not None and not pattern.match(name):
                yield Issue(
                    app.owner,
                    field,
                    f'targetRevision "{rev}" of {app} floats: pinned environment "{pinned}" '
                    "expects a release tag or commit",
                    variant="floating",
                    severity=Severity.WARNING,
                )
