"""Credentials reach containers through secretKeyRef, never as literal env values.

Risk: an env var named like a credential (PASSWORD, TOKEN, SECRET, API_KEY, …) with a
literal `value` puts that credential in Git, in every rendered manifest and in the pod spec
anyone with `get pods` can read. The same holds for the Redis password of Ray GCS fault
tolerance (`gcsFaultToleranceOptions.redisPassword.value`, and `rayStartParams`
`redis-password`). Names match option `name_patterns` (regular expressions, case-
insensitive, searched anywhere in the name) unless they match `exclude_patterns` (file and
path names such as RAY_AUTH_TOKEN_PATH). Values that cannot hold a credential pass: empty
or blank ones, the switches `true`/`false` (`RAY_ENABLE_K8S_TOKEN_AUTH: "true"` names a token
without holding one) and pure variable references: `$(VAR)`, which Kubernetes expands from another
env var, and `$VAR`/`${VAR}`, which the shell expands (KubeRay v1.7.0 runs `ray start` with
its rayStartParams through `/bin/bash -c`, so `redis-password: $REDIS_PASSWORD` reads an env
var filled from a Secret).
PASS / FAIL examples: tests/unit/checks/test_secret_env_literal.py
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import (
    containers,
    items,
    mapping,
    pod_label,
    pod_templates,
    ray_clusters,
)
from kuberay_gitops.findings import Profile, Severity

_REFERENCE = re.compile(
    r"^(\$\([A-Za-z_][A-Za-z0-9_.-]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)+$"
)
_SWITCHES = frozenset({"true", "false"})

CHECK = CheckSpec(
    id="secret-env-literal",
    severity=Severity.ERROR,
    summary="credential-like env vars and the GCS Redis password come from a Secret, "
    "not a literal value",
    hint="replace value: with valueFrom.secretKeyRef pointing at a Secret created outside Git",
    profile=Profile.CORRECTNESS,
    options={
        "name_patterns": [
            "PASSWORD",
            "PASSWD",
            "TOKEN",
            "SECRET",
            "API_?KEY",
            "ACCESS_?KEY",
            "PRIVATE_?KEY",
            "CREDENTIAL",
        ],
        "exclude_patterns": ["_(FILE|PATH|DIR|NAME|MODE)$"],
    },
)


def _compile(patterns: object) -> re.Pattern[str] | None:
    parts = [f"(?:{p})" for p in items(patterns) if str(p)]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _literal(value: object) -> bool:
    """Whether a value could be a credential written into the manifest."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text == "" or text.lower() in _SWITCHES:
        return False
    return not _REFERENCE.match(text)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Container env of every pod template; the Redis password of every Ray cluster."""
    names = _compile(ctx.options.get("name_patterns"))
    exclude = _compile(ctx.options.get("exclude_patterns"))
    if names is not None:
        for pod in pod_templates(ctx.index):
            for c in containers(pod):
                for i, env in enumerate(items(c.body.get("env"))):
                    name = str(mapping(env).get("name", ""))
                    if not names.search(name) or (exclude is not None and exclude.search(name)):
                        continue
                    if _literal(mapping(env).get("value")):
                        yield Issue(
                            pod.owner,
                            (*c.path, "env", i, "value"),
                            f'{c.label} of the {pod_label(pod)} sets env "{name}" '
                            "to a literal value",
                        )
    for cluster in ray_clusters(ctx.index):
        spec = cluster.spec
        gcs = mapping(spec.get("gcsFaultToleranceOptions"))
        if _literal(mapping(gcs.get("redisPassword")).get("value")):
            yield Issue(
                cluster.owner,
                (*cluster.path, "gcsFaultToleranceOptions", "redisPassword", "value"),
                "gcsFaultToleranceOptions.redisPassword is a literal value",
                hint="use redisPassword.valueFrom.secretKeyRef",
            )
        head = mapping(spec.get("headGroupSpec"))
        if _literal(mapping(head.get("rayStartParams")).get("redis-password")):
            yield Issue(
                cluster.owner,
                (*cluster.path, "headGroupSpec", "rayStartParams", "redis-password"),
                "rayStartParams redis-password is a literal value",
                hint="use gcsFaultToleranceOptions.redisPassword.valueFrom.secretKeyRef",
            )
