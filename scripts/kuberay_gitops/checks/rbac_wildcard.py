"""Role and ClusterRole rules name their verbs, resources and API groups: no `*`.

Risk: a wildcard grants everything that exists and everything added later (new CRDs,
subresources such as pods/exec), so a Ray pod's or the operator's token becomes far more
powerful than reviewed. Every rendered Role and ClusterRole is checked, the upstream
KubeRay operator's included: if a wildcard there is accepted, suppress it in the config
with the reason.
PASS / FAIL examples: tests/unit/checks/test_rbac_wildcard.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import items, mapping
from kuberay_gitops.findings import Profile, Severity

FIELDS = ("apiGroups", "resources", "verbs")

CHECK = CheckSpec(
    id="rbac-wildcard",
    severity=Severity.ERROR,
    summary='Role/ClusterRole rules use no "*" in verbs, resources or apiGroups',
    hint="list the verbs, resources and API groups the subject needs; "
    "suppress in the config with a reason if an upstream role must keep its wildcard",
    profile=Profile.PLATFORM,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Every rule of every Role and ClusterRole."""
    for obj in ctx.index.of_kind("Role", "ClusterRole"):
        for i, rule in enumerate(items(obj.body.get("rules"))):
            for key in FIELDS:
                for j, value in enumerate(items(mapping(rule).get(key))):
                    if "*" in str(value):
                        yield Issue(
                            obj,
                            ("rules", i, key, j),
                            f'rule {i} grants "{value}" in {key}',
                        )
