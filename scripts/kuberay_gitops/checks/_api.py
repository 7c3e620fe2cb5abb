"""The contract between the runner and a check module.

A check module exposes `CHECK: CheckSpec` and `run(ctx: CheckContext) -> Iterator[Issue]`.
`run` is a pure function of the context: it never reads files, the environment or
globals. The runner turns each Issue into a Finding (configured severity, the spec's
hint, and the repository file and line located from the object and field).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kuberay_gitops.findings import FieldPath, Profile, Severity
from kuberay_gitops.index import ObjectIndex
from kuberay_gitops.manifests import K8sObject


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """Identity, default severity, one-line summary, fix hint, profile and declared options.

    `profile` has no default on purpose: every check says whether it is correctness
    (wrong for any KubeRay/Kubernetes user) or this platform's policy, so a repository
    without the platform's config is never judged by the platform's choices.
    """

    id: str
    severity: Severity
    summary: str
    hint: str
    profile: Profile
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Issue:
    """What a check reports: the object, the field, and what is wrong.

    `variant` makes the id `check-id[variant]`, suppressible on its own; `hint`
    overrides the spec's hint when the fix depends on the case; `severity` overrides the
    spec's default severity for this variant (the config still has the last word);
    `profile` overrides the spec's profile for a variant that is policy where the rest of
    the check is correctness, or the reverse.
    """

    obj: K8sObject
    field: FieldPath
    message: str
    variant: str | None = None
    hint: str | None = None
    severity: Severity | None = None
    profile: Profile | None = None


@dataclass(frozen=True, slots=True)
class RepoFacts:
    """Repository-wide facts a check may need, computed by the runner (never read by checks).

    `targets`: every discovered render target (repo-relative); `rendered`: target → object
    count, None when the build failed; `directories`: every directory of the repository
    (for expanding Argo CD git-directory generators offline); `repo_url`: this
    repository's URL from the config; `argocd_synced`: whether Argo CD keeps the objects
    in sync (render targets: the repository is what Argo CD syncs; plain manifests given
    with `--manifests`: not known, they may be applied once by hand).
    """

    targets: frozenset[str] = frozenset()
    rendered: Mapping[str, int | None] = field(default_factory=dict)
    directories: frozenset[str] = frozenset()
    repo_url: str = ""
    argocd_synced: bool = True


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Everything a check sees: one target's index, its options, repository facts."""

    index: ObjectIndex
    options: Mapping[str, Any]
    repo: RepoFacts = field(default_factory=RepoFacts)


CheckFn = Callable[[CheckContext], Iterator[Issue]]


def as_int(value: Any) -> int | None:
    """An int from an int or a decimal string (rayStartParams are strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
