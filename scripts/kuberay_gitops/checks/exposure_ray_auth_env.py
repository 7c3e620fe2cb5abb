"""A Ray container's own env never overrides the token auth its cluster asks for.

Risk: ShadowRay (CVE-2023-48022) through a side door. With `authOptions.mode: token` KubeRay
v1.7.0 adds `RAY_AUTH_MODE=token` to the Ray container only when the container does not
already set the variable: `SetContainerTokenAuthEnvVars`,
ray-operator/controllers/ray/common/pod.go line 388, `if
!utils.EnvVarExists(utils.RAY_AUTH_MODE_ENV_VAR, container.Env)`, applied to the Ray
container by `configureTokenAuth` (line 346) for head and worker pods (lines 299 and 703).
So `RAY_AUTH_MODE: disabled` in a head's env turns token auth off while the RayCluster still
says `token`, and every check that trusts `authOptions` (exposure-ray-ports, a reviewer)
sees an authenticated cluster whose dashboard runs any job it is sent. A value other than
`token`, or one from `valueFrom` (not known here), in the env of the Ray container (the
first container) of a head or worker group of a cluster with token auth is an error.
(`envFrom` cannot override it: an `env` entry wins.)
PASS / FAIL examples: tests/unit/checks/test_exposure_ray_auth_env.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops import kuberay
from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._pod import cluster_of, items, mapping, pod_label, pod_templates
from kuberay_gitops.findings import Profile, Severity

AUTH_MODE_VAR = "RAY_AUTH_MODE"
TOKEN = "token"

CHECK = CheckSpec(
    id="exposure-ray-auth-env",
    severity=Severity.ERROR,
    summary="no Ray container of a cluster with authOptions.mode: token sets RAY_AUTH_MODE to "
    "anything but token",
    hint="delete the RAY_AUTH_MODE env entry: KubeRay sets it from authOptions; to turn auth "
    "off, change authOptions in review, never the env",
    profile=Profile.CORRECTNESS,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """The env of the Ray container of every head and worker group with token auth."""
    for pod in pod_templates(ctx.index):
        cluster = cluster_of(pod)
        if cluster is None or not cluster.token_auth:
            continue
        ray = list(pod.containers())[kuberay.RAY_CONTAINER_INDEX : kuberay.RAY_CONTAINER_INDEX + 1]
        for path, container in ray:
            for j, entry in enumerate(items(container.get("env"))):
                env = mapping(entry)
                if env.get("name") != AUTH_MODE_VAR:
                    continue
                if "valueFrom" in env:
                    field = (*path, "env", j, "valueFrom")
                    what = "from valueFrom, which cannot be verified here"
                elif str(env.get("value", "")) != TOKEN:
                    field = (*path, "env", j, "value") if "value" in env else (*path, "env", j)
                    what = f'to "{env.get("value", "")}"'
                else:
                    continue
                yield Issue(
                    pod.owner,
                    field,
                    f'container "{container.get("name", "")}" of the {pod_label(pod)} of '
                    f"{cluster.label} sets {AUTH_MODE_VAR} {what}: KubeRay keeps it, so token "
                    "auth (authOptions.mode: token) is not what Ray runs with",
                )
