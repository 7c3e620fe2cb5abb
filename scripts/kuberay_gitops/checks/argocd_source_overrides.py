"""Argo CD deploys exactly what the render target renders: no source-level overrides.

Risk: an Application source can carry its own `kustomize` options (images, patches,
namePrefix, commonLabels, replicas, namespace, components...), `helm` values, `directory`
or `plugin` settings. Argo CD applies them on top of the build, so what it deploys is not
the target this tool rendered and checked, and a pull request can change the deployed
image, replicas or labels, or patch away a hardening field, without touching a reviewed
manifest. This repository keeps every difference in an overlay (docs/architecture.md), so
an override is refused as an error rather than left unchecked. ApplicationSet templates
are expanded offline; a finding points at the line that sets the option.
PASS / FAIL examples: tests/unit/checks/test_argocd_source_overrides.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="argocd-source-overrides",
    severity=Severity.ERROR,
    summary="Application sources of this repository carry no kustomize/helm/directory/plugin "
    "overrides",
    hint="move the override into the target's kustomization (an overlay or a component), "
    "where it is rendered, checked and reviewed",
    profile=Profile.PLATFORM,
)

OVERRIDES = ("kustomize", "helm", "directory", "plugin")


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each override block of each source that points at this repository."""
    repo = ctx.repo
    for app in _argocd.applications(ctx.index, repo):
        for src in app.sources:
            if not _argocd.same_repo(src.get("repoURL"), repo.repo_url):
                continue
            for key in OVERRIDES:
                value = src.body.get(key)
                # Present at all, even empty, a directory/helm/plugin block picks that source
                # type (Argo CD `ApplicationSource.ExplicitType`); an empty kustomize one
                # changes nothing.
                if value is None or (key == "kustomize" and value == {}):
                    continue
                if isinstance(value, Mapping):
                    what = ", ".join(sorted(value)) or "empty: it still picks the source type"
                else:
                    what = str(value)
                yield Issue(
                    app.owner,
                    app.field(*src.path, key),
                    f"{app} overrides its source with `{key}` ({what}): Argo CD would deploy "
                    "something other than the rendered target",
                )
