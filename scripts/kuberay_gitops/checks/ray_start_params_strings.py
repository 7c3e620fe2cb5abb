"""Every rayStartParams value is a string.

Why: the KubeRay v1.7.0 CRDs declare rayStartParams as map[string]string, so YAML
`port: 6380` or `block: true` (an int, a bool) is rejected by the API server and the whole
sync fails; quoting the value (`port: "6380"`) is the fix.
PASS / FAIL examples: tests/unit/checks/test_ray_start_params_strings.py
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="ray-start-params-strings",
    severity=Severity.ERROR,
    summary="rayStartParams values are strings (KubeRay CRD: map[string]string)",
    hint='quote the value in YAML, e.g. port: "6380" and block: "true"',
    profile=Profile.CORRECTNESS,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each non-string value of each group's rayStartParams."""
    for pod in ctx.index.ray_pods():
        if pod.ray_params_path is None:
            continue
        for key, value in pod.ray_params.items():
            if not isinstance(value, str):
                yield Issue(
                    pod.owner,
                    (*pod.ray_params_path, str(key)),
                    f"{pod.ray_role} group {pod.group}: rayStartParams {key} is "
                    f'{_type(value)} {_yaml(value)}, expected the string "{_yaml(value)}"',
                )


def _type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a bool", int: "an int", float: "a float"}.get(type(value), "a structure")


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)
