"""No Secret with values is committed: the rendered output holds no Secret data.

Risk: a value in Git is readable by everyone with the repository, stays in its history
after deletion, and Argo CD shows it in diffs. Secrets come from outside Git (External
Secrets, Sealed Secrets, the CSI driver, or a Secret created out of band and referenced by
name, as `authOptions.secretName` does for the Ray token). A `Secret` whose `data` and
`stringData` hold no non-empty value (a template placeholder such as `<your-token>` is
none: `secretscan.placeholder`) passes; SealedSecret and ExternalSecret are other kinds
and pass. kustomize's secretGenerator output counts too: its inputs are in Git.
PASS / FAIL examples: tests/unit/checks/test_secret_committed.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import mapping
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.secretscan import placeholder

CHECK = CheckSpec(
    id="secret-committed",
    severity=Severity.ERROR,
    summary="no rendered Secret carries data or stringData values",
    hint="remove the values from Git (rotate them: they are in the history) and use an "
    "ExternalSecret or SealedSecret, or create the Secret out of band and reference it by name",
    profile=Profile.CORRECTNESS,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every Secret's data and stringData."""
    for obj in ctx.index.of_kind("Secret"):
        for key in ("data", "stringData"):
            values = mapping(obj.body.get(key))
            keys = sorted(
                str(k)
                for k, v in values.items()
                if v not in (None, "") and not (isinstance(v, str) and placeholder(v))
            )
            if keys:
                yield Issue(
                    obj,
                    (key,),
                    f"Secret carries {key} for {', '.join(repr(k) for k in keys)} in Git",
                )
