"""ApplicationSets use only what the offline expander evaluates, so the argocd checks see them.

Risk: the other `argocd-*` checks see an ApplicationSet's Applications only by expanding it
offline. Supported: `list` (elements, elementsYaml without templates), `git` directories
of this repository, `matrix` of two of those, Go templates `{{.a.b}}` and
`{{index .x N}}` (and fasttemplate `{{a.b}}`). Anything else (`templatePatch`, other
generators, generator `selector`/`template`/`values`, template functions) would leave the
ApplicationSet unchecked, so it is refused as an error: what Argo CD deploys from this
repository is never unseen. A template that references a param no generator provides is
the variant `missing-key`: with `missingkey=error` Argo CD itself refuses to generate the
Applications, and nothing of it is deployed.
PASS / FAIL examples: tests/unit/checks/test_argocd_appset_unsupported.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="argocd-appset-unsupported",
    severity=Severity.ERROR,
    summary="ApplicationSets can be expanded offline, so everything they deploy is checked",
    hint="use list, git directories or matrix generators with plain {{.param}} references",
    profile=Profile.CORRECTNESS,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """One issue per ApplicationSet the expander could not evaluate."""
    for exp in _argocd.expansions(ctx.index, ctx.repo):
        for p in exp.problems:
            yield Issue(
                p.owner,
                p.field,
                f"ApplicationSet {p.owner.ref.name} is not checked: {p.message}",
                variant=None if p.kind == "unsupported" else p.kind,
            )
