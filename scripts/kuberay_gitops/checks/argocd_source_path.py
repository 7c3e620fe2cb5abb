"""Every source of this repository points at a render target that renders.

Risk: an Application whose path is misspelt, moved, or not a kustomize target shows a
ComparisonError in Argo CD and deploys nothing, and nobody notices until the workload is
missing; a path that fails to build or builds nothing does the same. Sources are those
whose `repoURL` is `argocd.repo_url` of the config (compared as Argo CD does: case,
trailing `.git` and `/` ignored); other repositories cannot be seen offline. ApplicationSets
are expanded offline (list, git directories, matrix) and a finding points at the line that
set the path: the list element's field, or the template. Needs `argocd.repo_url`; a
target that was not rendered in this run (for example `validate argocd`) is only required
to exist and be a target.
PASS / FAIL examples: tests/unit/checks/test_argocd_source_path.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="argocd-source-path",
    severity=Severity.ERROR,
    summary="Application sources of this repository point at a render target that renders",
    hint="point the source path at an existing render target (a directory with a "
    "kustomization matched by `targets` in kuberay-gitops.yaml), or fix that target",
    profile=Profile.CORRECTNESS,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each source path of this repository against the repository's render targets."""
    repo = ctx.repo
    for app in _argocd.applications(ctx.index, repo):
        for src in app.sources:
            if not _argocd.same_repo(src.get("repoURL"), repo.repo_url):
                continue
            raw = src.get("path")
            if raw is None and (src.get("ref") or src.get("chart")):
                continue  # a values-only `ref` source or a chart: no path to build
            path = _argocd.normalize_path(raw or "")
            field = app.field(*src.path, "path")
            what = f'path "{path}" of {app}'
            if raw is None:
                yield Issue(app.owner, field, f"{app} has a source of this repository without path")
            elif path != "." and (path.startswith("..") or path not in repo.directories):
                yield Issue(app.owner, field, f"{what} does not exist in the repository")
            elif path not in repo.targets:
                yield Issue(
                    app.owner,
                    field,
                    f"{what} is not a render target (no kustomization there, a Component, "
                    "or not matched by `targets` in the config)",
                )
            elif path in repo.rendered and repo.rendered[path] is None:
                yield Issue(app.owner, field, f"{what} fails to build (see its render finding)")
            elif path in repo.rendered and repo.rendered[path] == 0:
                yield Issue(app.owner, field, f"{what} renders no objects")
