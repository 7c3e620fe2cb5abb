"""Application syncOptions are options Argo CD v3.5 knows, spelt exactly.

Risk: Argo CD matches each sync option as an exact, case-sensitive string
(`SyncOptions.HasOption`), so a typo (`ServerSideApply=True`, `PruneLast: true`,
`Prune=False`) or an option that only works as a resource annotation (`Force=true`) is
silently ignored, and the behaviour the author relied on (server-side apply for big CRDs,
no prune) never happens. Known application-level options, from the Argo CD sync-options
documentation and gitops-engine's option constants: Validate=false, CreateNamespace,
PrunePropagationPolicy=foreground|background|orphan, PruneLast=true, ApplyOutOfSyncOnly,
Replace, ServerSideApply, FailOnSharedResource=true, RespectIgnoreDifferences=true,
Prune=false|confirm, Delete=false|confirm, SkipDryRunOnMissingResource=true,
ClientSideApplyMigration (true/false where both are accepted). Two values of the same
option in one list are reported too (variant `conflict`).
PASS / FAIL examples: tests/unit/checks/test_argocd_sync_options.py
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from kuberay_gitops.checks import _argocd
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="argocd-sync-options",
    severity=Severity.ERROR,
    summary="Application syncOptions are known Argo CD v3.5 options, spelt exactly",
    hint="use an option from the Argo CD sync-options documentation, spelt exactly "
    "(Name=value, case-sensitive)",
    profile=Profile.CORRECTNESS,
)

_ORDER: tuple[str, ...] = (
    "Validate=false",
    "CreateNamespace=true",
    "CreateNamespace=false",
    "PrunePropagationPolicy=foreground",
    "PrunePropagationPolicy=background",
    "PrunePropagationPolicy=orphan",
    "PruneLast=true",
    "ApplyOutOfSyncOnly=true",
    "ApplyOutOfSyncOnly=false",
    "Replace=true",
    "Replace=false",
    "ServerSideApply=true",
    "ServerSideApply=false",
    "FailOnSharedResource=true",
    "RespectIgnoreDifferences=true",
    "Prune=false",
    "Prune=confirm",
    "Delete=false",
    "Delete=confirm",
    "SkipDryRunOnMissingResource=true",
    "ClientSideApplyMigration=true",
    "ClientSideApplyMigration=false",
)
KNOWN: frozenset[str] = frozenset(_ORDER)
_ANNOTATION_ONLY: Mapping[str, str] = MappingProxyType(
    {"Force=true": "Force=true works only as a resource annotation"}
)


def _name(known: str) -> str:
    """The name of a known option: the text before its `=`."""
    return known.partition("=")[0]


def _suggest(option: str) -> str:
    """A likely intended option: same text up to case and spaces, or a close name."""
    folded = {k.casefold(): k for k in KNOWN}
    exact = folded.get(re.sub(r"\s+", "", option).replace(":", "=").casefold())
    if exact:
        return f'; did you mean "{exact}"?'
    name, _, value = option.partition("=")
    names = sorted({_name(k) for k in KNOWN})
    if name not in names:
        close = difflib.get_close_matches(name, names, cutoff=0.8)  # the closest first
        if not close:
            return ""
        name = close[0]
        if f"{name}={value}" in KNOWN:
            return f'; did you mean "{name}={value}"?'
    values = [k for k in _ORDER if _name(k) == name]
    return "; known: " + ", ".join(values)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each sync option of every Application against the known set."""
    for app in _argocd.applications(ctx.index, ctx.repo):
        seen: dict[str, str] = {}
        for i, opt in app.sync_options:
            field = app.field("spec", "syncPolicy", "syncOptions", i)
            if opt not in KNOWN:
                why = _ANNOTATION_ONLY.get(opt, "Argo CD ignores it")
                yield Issue(
                    app.owner,
                    field,
                    f'sync option "{opt}" of {app} is not an application sync option '
                    f"({why}){_suggest(opt)}",
                )
                continue
            name = _name(opt)
            if name in seen and seen[name] != opt:
                yield Issue(
                    app.owner,
                    field,
                    f'sync option "{opt}" of {app} contradicts "{seen[name]}"',
                    variant="conflict",
                )
            seen.setdefault(name, opt)
