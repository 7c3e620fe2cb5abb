"""The ray.io health checks in argocd/health/*.lua, run the way Argo CD runs them.

Argo CD evaluates `resource.customizations.health.<group>_<kind>` from argocd-cm with
gopher-lua, a Lua 5.1: the live object is the global `obj` (JSON-shaped: maps, arrays,
strings, numbers, booleans), only the base and table libraries (plus a safe `os`) are open
unless `resource.customizations.useOpenLibs.<group>_<kind>` says otherwise, and the chunk
returns a table whose `status` must be one of six health codes (anything else becomes
Unknown). The harness here is a real Lua 5.1 (`lupa.lua51`) with the same globals, and it
fails a script that reaches for `string`, `math` or string methods.

Then the delivery: the rendered argocd/bootstrap target carries exactly these files under
the argocd-cm keys Argo CD reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
import yaml
from lupa import lua51

from tests.conftest import REPO_ROOT, CliResult, require_setup

HEALTH_DIR = REPO_ROOT / "argocd" / "health"
SCRIPTS = {
    "RayCluster": "raycluster.lua",
    "RayJob": "rayjob.lua",
    "RayService": "rayservice.lua",
    "RayCronJob": "raycronjob.lua",
}
HEALTH_CODES = frozenset({"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"})
KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name"

# What gopher-lua's OpenBase, OpenTable, OpenPackage and Argo CD's OpenSafeOs give a script
# (util/lua/lua.go runLua). `string`, `math`, `io`, `debug` and `coroutine` are absent.
_SANDBOX = """
local names = {
  "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget",
  "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "unpack", "xpcall",
  "print", "_VERSION",
}
local env = {}
for _, name in ipairs(names) do
  env[name] = _G[name]
end
env.table = table
env.os = { time = os.time, clock = os.clock, date = os.date, difftime = os.difftime }
env._G = env
-- Without the string library gopher-lua has no string methods: ("x"):sub(1) fails.
getmetatable("").__index = nil
return function(chunk, obj)
  env.obj = obj
  setfenv(chunk, env)
  return chunk()
end
"""


def _to_lua(runtime: Any, value: Any) -> Any:
    if isinstance(value, Mapping):
        table = runtime.table()
        for key, item in value.items():
            table[key] = _to_lua(runtime, item)
        return table
    if isinstance(value, list):
        table = runtime.table()
        for index, item in enumerate(value, start=1):
            table[index] = _to_lua(runtime, item)
        return table
    return value


def run_lua(script: str, obj: Mapping[str, Any]) -> tuple[str, str]:
    """(status, message) that Argo CD would take from `script` for the live object `obj`."""
    runtime = lua51.LuaRuntime()
    assert runtime.eval("_VERSION") == "Lua 5.1"
    execute = runtime.execute(_SANDBOX)
    # A syntax error (not Lua 5.1) raises LuaError with the compiler's message.
    chunk = runtime.eval("function(s) local f, err = loadstring(s); return f or error(err) end")(
        script
    )
    # Through JSON, as Argo CD decodes the unstructured object: no tuples, no Python objects.
    result = execute(chunk, _to_lua(runtime, json.loads(json.dumps(obj))))
    assert lua51.lua_type(result) == "table", f"the script returned {result!r}, not a table"
    fields = dict(result.items())
    assert set(fields) <= {"status", "message"}, f"unexpected keys {sorted(fields)}"
    status, message = fields.get("status"), fields.get("message", "")
    assert status in HEALTH_CODES, f"{status!r} is no Argo CD health status (would be Unknown)"
    assert isinstance(message, str)
    return status, message


def health(kind: str) -> Callable[[Mapping[str, Any]], tuple[str, str]]:
    """The check Argo CD runs for `kind`, read from argocd/health/."""
    script = (HEALTH_DIR / SCRIPTS[kind]).read_text()
    return lambda obj: run_lua(script, obj)


# Fixture builders: objects carry only the fields the checks read.


def _obj(
    kind: str,
    spec: Mapping[str, Any],
    status: Mapping[str, Any] | None,
    generation: int = 1,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "ray.io/v1",
        "kind": kind,
        "metadata": {"name": "ray", "namespace": "kuberay", "generation": generation},
        "spec": dict(spec),
    }
    if labels:
        obj["metadata"]["labels"] = dict(labels)
    if status is not None:
        obj["status"] = dict(status)
    return obj


def condition(
    type_: str, status: str, reason: str = "", message: str = "", observed_generation: int = 1
) -> dict[str, Any]:
    """A metav1.Condition as the operator writes it."""
    cond: dict[str, Any] = {
        "type": type_,
        "status": status,
        "reason": reason,
        "lastTransitionTime": "2026-01-05T10:00:00Z",
        "observedGeneration": observed_generation,
    }
    if message:
        cond["message"] = message
    return cond


def raycluster_status(
    state: str = "",
    conditions: Sequence[Mapping[str, Any]] = (),
    ready_workers: int = 0,
    desired_workers: int = 2,
    observed_generation: int = 1,
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "desiredWorkerReplicas": desired_workers,
        "observedGeneration": observed_generation,
    }
    if state:
        status["state"] = state
    if ready_workers:
        status["readyWorkerReplicas"] = ready_workers
    if conditions:
        status["conditions"] = [dict(c) for c in conditions]
    return status


def raycluster(
    status: Mapping[str, Any] | None,
    suspend: bool | None = None,
    generation: int = 1,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"headGroupSpec": {}, "workerGroupSpecs": []}
    if suspend is not None:
        spec["suspend"] = suspend
    return _obj("RayCluster", spec, status, generation, labels)


def rayjob_status(
    deployment: str = "",
    job: str = "",
    reason: str = "",
    message: str = "",
    failed: int = 0,
    cluster: str = "ray-abcde",
) -> dict[str, Any]:
    status: dict[str, Any] = {"failed": failed, "succeeded": 0, "rayClusterName": cluster}
    for key, value in (
        ("jobDeploymentStatus", deployment),
        ("jobStatus", job),
        ("reason", reason),
        ("message", message),
    ):
        if value:
            status[key] = value
    return status


def rayjob(
    status: Mapping[str, Any] | None,
    suspend: bool = False,
    backoff_limit: int | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"entrypoint": "python job.py", "rayClusterSpec": {}}
    if suspend:
        spec["suspend"] = True
    if backoff_limit is not None:
        spec["backoffLimit"] = backoff_limit
    return _obj("RayJob", spec, status, labels=labels)


def serve_apps(**apps: str) -> dict[str, Any]:
    """activeServiceStatus/pendingServiceStatus with the given Serve application statuses."""
    return {
        "rayClusterName": "ray-abcde",
        "applicationStatuses": {name: {"status": status} for name, status in apps.items()},
    }


def rayservice_status(
    conditions: Sequence[Mapping[str, Any]] = (),
    observed_generation: int = 1,
    active: Mapping[str, Any] | None = None,
    pending: Mapping[str, Any] | None = None,
    endpoints: int = 0,
) -> dict[str, Any]:
    status: dict[str, Any] = {"observedGeneration": observed_generation}
    if conditions:
        status["conditions"] = [dict(c) for c in conditions]
    if active is not None:
        status["activeServiceStatus"] = dict(active)
    if pending is not None:
        status["pendingServiceStatus"] = dict(pending)
    if endpoints:
        status["numServeEndpoints"] = endpoints
    return status


def rayservice(
    status: Mapping[str, Any] | None, suspend: bool = False, generation: int = 1
) -> dict[str, Any]:
    spec: dict[str, Any] = {"serveConfigV2": "applications: []", "rayClusterConfig": {}}
    if suspend:
        spec["suspend"] = True
    return _obj("RayService", spec, status, generation)


def raycronjob(
    last_schedule_time: str | None = None, suspend: bool | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"schedule": "0 3 * * *", "jobTemplate": {}}
    if suspend is not None:
        spec["suspend"] = suspend
    status = None if last_schedule_time is None else {"lastScheduleTime": last_schedule_time}
    return _obj("RayCronJob", spec, status)


# The harness itself.


def test_harness_is_lua_5_1_like_gopher_lua() -> None:
    assert lua51.LuaRuntime().eval("_VERSION") == "Lua 5.1"


@pytest.mark.parametrize(
    "expression",
    ['string.format("%d", 1)', 'math.floor(1.5) .. ""', '("abc"):sub(1, 1)', "io.write('x')"],
    ids=["string-library", "math-library", "string-method", "io-library"],
)
def test_harness_refuses_what_argo_cd_does_not_load(expression: str) -> None:
    with pytest.raises(lua51.LuaError, match="attempt to index"):
        run_lua(f'return {{status = "Healthy", message = {expression}}}', {})


def test_harness_refuses_syntax_newer_than_lua_5_1() -> None:
    with pytest.raises(lua51.LuaError, match="unexpected symbol"):
        run_lua('return {status = "Healthy", message = tostring(7 // 2)}', {})


def test_harness_refuses_an_invalid_health_status() -> None:
    with pytest.raises(AssertionError, match="no Argo CD health status"):
        run_lua('return {status = "Ready", message = ""}', {})


# RayCluster.

HEAD_READY = condition("HeadPodReady", "True", "HeadPodRunningAndReady")
PROVISIONED = condition(
    "RayClusterProvisioned", "True", "AllPodRunningAndReadyFirstTime", "All Ray Pods are ready"
)
PROVISIONING = condition(
    "RayClusterProvisioned", "False", "RayClusterPodsProvisioning", "Pods are being provisioned"
)
HEAD_CRASHING = condition(
    "HeadPodReady", "False", "CrashLoopBackOff", "back-off 5m0s restarting failed container"
)


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (
            raycluster(None),
            (
                "Progressing",
                "waiting for the KubeRay operator to report status (an invalid spec shows only "
                "as a Warning event on the RayCluster)",
            ),
        ),
        (
            raycluster(raycluster_status("ready", [PROVISIONED, HEAD_READY], ready_workers=2)),
            ("Healthy", "Ray cluster ready: head Pod ready, 2/2 worker Pods ready"),
        ),
        (
            raycluster(raycluster_status("", [PROVISIONING, HEAD_READY], ready_workers=1)),
            ("Progressing", "provisioning Ray Pods: head Pod ready; 1/2 worker Pods ready"),
        ),
        (
            raycluster(
                raycluster_status(
                    "",
                    [
                        PROVISIONING,
                        condition("HeadPodReady", "False", "PodInitializing", "pulling image"),
                    ],
                )
            ),
            (
                "Progressing",
                "provisioning Ray Pods: head Pod not ready (PodInitializing): pulling image; "
                "0/2 worker Pods ready",
            ),
        ),
        (
            raycluster(raycluster_status("ready", [PROVISIONED, HEAD_CRASHING], ready_workers=2)),
            (
                "Degraded",
                "head Pod not ready (CrashLoopBackOff): back-off 5m0s restarting failed "
                "container; 2/2 worker Pods ready",
            ),
        ),
        (
            raycluster(
                raycluster_status(
                    "",
                    [
                        PROVISIONING,
                        HEAD_READY,
                        condition(
                            "ReplicaFailure",
                            "True",
                            "FailedCreateWorkerPod",
                            'pods "ray-worker-x" is forbidden: exceeded quota',
                        ),
                    ],
                )
            ),
            (
                "Degraded",
                'Pod creation or deletion failed (FailedCreateWorkerPod): pods "ray-worker-x" '
                "is forbidden: exceeded quota",
            ),
        ),
        (
            raycluster(
                raycluster_status(
                    "suspended", [condition("RayClusterSuspended", "True", "RayClusterSuspended")]
                ),
                suspend=True,
            ),
            ("Suspended", "suspended: spec.suspend is true and all Ray Pods are deleted"),
        ),
        (
            raycluster(
                raycluster_status("suspended"), suspend=True, labels={KUEUE_QUEUE_LABEL: "kuberay"}
            ),
            ("Suspended", 'suspended until Kueue admits it (LocalQueue "kuberay")'),
        ),
        (
            raycluster(raycluster_status("ready", [PROVISIONED, HEAD_READY]), suspend=True),
            ("Progressing", "suspending: deleting all Ray Pods"),
        ),
        (
            raycluster(
                raycluster_status(
                    "ready", [condition("RayClusterSuspending", "True", "RayClusterSuspending")]
                ),
                suspend=False,
            ),
            (
                "Progressing",
                "suspending: a started suspension deletes all Ray Pods before the cluster resumes",
            ),
        ),
        (
            raycluster(raycluster_status("suspended", [PROVISIONING]), suspend=False),
            ("Progressing", "resuming: recreating Ray Pods, 0/2 worker Pods ready"),
        ),
        (
            raycluster(raycluster_status("ready", ready_workers=2)),
            ("Healthy", "Ray cluster ready (state ready), 2/2 worker Pods ready"),
        ),
        (
            raycluster(raycluster_status("")),
            ("Progressing", "waiting for all Ray Pods to run and be ready, 0/2 worker Pods ready"),
        ),
    ],
    ids=[
        "status-absent",
        "healthy",
        "provisioning",
        "provisioning-head-not-ready",
        "degraded-head-not-ready",
        "degraded-replica-failure",
        "suspended",
        "suspended-by-kueue",
        "suspending",
        "suspending-after-suspend-cleared",
        "resuming",
        "no-conditions-ready",
        "no-conditions-not-ready",
    ],
)
def test_raycluster_health(obj: Mapping[str, Any], expected: tuple[str, str]) -> None:
    assert health("RayCluster")(obj) == expected


def test_raycluster_ignores_lagging_observed_generation() -> None:
    # The operator skips status writes that change only observedGeneration, so a lag can last.
    status = raycluster_status("ready", [PROVISIONED, HEAD_READY], 2, observed_generation=3)
    assert health("RayCluster")(raycluster(status, generation=5))[0] == "Healthy"


# RayJob.


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (rayjob(None), ("Progressing", "waiting for the KubeRay operator to report status")),
        (
            rayjob(rayjob_status()),
            ("Progressing", "new: waiting for the operator to initialize it"),
        ),
        (
            rayjob(rayjob_status("Initializing")),
            ("Progressing", 'initializing: waiting for RayCluster "ray-abcde" to be ready'),
        ),
        (rayjob(rayjob_status("Running", "RUNNING")), ("Progressing", "running: Ray job RUNNING")),
        (
            rayjob(rayjob_status("Running")),
            ("Progressing", "running: job submitted, no Ray job status yet"),
        ),
        (rayjob(rayjob_status("Complete", "SUCCEEDED")), ("Healthy", "job SUCCEEDED")),
        (
            rayjob(rayjob_status("Complete", "STOPPED", message="stopped by user")),
            ("Degraded", "job ended STOPPED without succeeding: stopped by user"),
        ),
        (
            rayjob(rayjob_status("Failed", "FAILED", "AppFailed", "exit code 1", failed=3)),
            ("Degraded", "job failed (AppFailed): exit code 1"),
        ),
        (
            rayjob(rayjob_status("Failed", "RUNNING", "DeadlineExceeded", "deadline 14400s")),
            ("Degraded", "job failed (DeadlineExceeded): deadline 14400s"),
        ),
        (
            rayjob(rayjob_status("ValidationFailed", reason="ValidationFailed", message="bad")),
            ("Degraded", "the operator rejected the RayJob (ValidationFailed): bad"),
        ),
        (
            rayjob(rayjob_status("Retrying", "FAILED", "AppFailed", failed=1), backoff_limit=2),
            ("Progressing", "retrying: attempt 1 of 3 failed (AppFailed)"),
        ),
        (
            rayjob(rayjob_status("Suspending"), suspend=True),
            ("Progressing", "suspending: deleting its RayCluster and submitter"),
        ),
        (
            rayjob(rayjob_status("Running", "RUNNING"), suspend=True),
            ("Progressing", "suspending: spec.suspend is true"),
        ),
        (
            rayjob(rayjob_status("Suspended", cluster=""), suspend=True),
            (
                "Suspended",
                "suspended: spec.suspend is true; its RayCluster and submitter are deleted",
            ),
        ),
        (
            rayjob(
                rayjob_status("Suspended", cluster=""),
                suspend=True,
                labels={KUEUE_QUEUE_LABEL: "kuberay"},
            ),
            ("Suspended", 'suspended until Kueue admits it (LocalQueue "kuberay")'),
        ),
        (
            rayjob(rayjob_status("Suspended", cluster="")),
            ("Progressing", "resuming: spec.suspend was cleared"),
        ),
        (
            rayjob(rayjob_status("Waiting")),
            ("Healthy", "RayCluster ready, waiting for a job to be submitted (InteractiveMode)"),
        ),
        (
            rayjob(rayjob_status("Paused")),
            ("Unknown", 'unknown jobDeploymentStatus "Paused"'),
        ),
    ],
    ids=[
        "status-absent",
        "new",
        "initializing",
        "running",
        "running-before-job-status",
        "healthy-succeeded",
        "degraded-stopped",
        "degraded-failed",
        "degraded-deadline-exceeded",
        "degraded-validation-failed",
        "retrying",
        "suspending",
        "suspend-requested",
        "suspended",
        "suspended-by-kueue",
        "resuming",
        "interactive-waiting",
        "unknown-deployment-status",
    ],
)
def test_rayjob_health(obj: Mapping[str, Any], expected: tuple[str, str]) -> None:
    assert health("RayJob")(obj) == expected


# RayService.

READY = condition("Ready", "True", "NonZeroServeEndpoints", "Number of serve endpoints is > 0")
NO_UPGRADE = condition("UpgradeInProgress", "False", "NoPendingCluster")
INITIALIZING = condition("Ready", "False", "Initializing", "RayService is initializing")


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (rayservice(None), ("Progressing", "waiting for the KubeRay operator to report status")),
        (
            rayservice(
                rayservice_status(
                    [READY, NO_UPGRADE],
                    active=serve_apps(llm="RUNNING", web="RUNNING"),
                    endpoints=2,
                )
            ),
            ("Healthy", "serving: 2 Serve endpoints, applications RUNNING: llm, web"),
        ),
        (
            rayservice(
                rayservice_status(
                    [INITIALIZING, condition("UpgradeInProgress", "False", "Initializing")],
                    pending=serve_apps(llm="DEPLOYING"),
                )
            ),
            ("Progressing", 'initializing: pending cluster: Serve application "llm" is DEPLOYING'),
        ),
        (
            rayservice(
                rayservice_status([READY, NO_UPGRADE], active=serve_apps(llm="RUNNING")),
                generation=4,
            ),
            ("Progressing", "generation 4 not yet in the status (it reports generation 1)"),
        ),
        (
            rayservice(
                rayservice_status(
                    [INITIALIZING, condition("UpgradeInProgress", "False", "Initializing")],
                    observed_generation=2,
                    pending=serve_apps(llm="NOT_STARTED"),
                ),
                generation=3,
            ),
            (
                "Progressing",
                'initializing: pending cluster: Serve application "llm" is NOT_STARTED',
            ),
        ),
        (
            rayservice(
                rayservice_status(
                    [
                        READY,
                        condition(
                            "UpgradeInProgress",
                            "True",
                            "BothActivePendingClustersExist",
                            "Both active and pending Ray clusters exist",
                        ),
                    ],
                    active=serve_apps(llm="RUNNING"),
                    pending=serve_apps(llm="DEPLOYING"),
                )
            ),
            (
                "Progressing",
                'upgrade in progress: pending cluster: Serve application "llm" is DEPLOYING',
            ),
        ),
        (
            rayservice(
                rayservice_status(
                    [READY, NO_UPGRADE],
                    active={
                        "applicationStatuses": {
                            "llm": {"status": "DEPLOY_FAILED", "message": "ImportError: app"}
                        }
                    },
                )
            ),
            (
                "Degraded",
                'active cluster: Serve application "llm" is DEPLOY_FAILED: ImportError: app',
            ),
        ),
        (
            rayservice(
                rayservice_status(
                    [
                        condition("Ready", "False", "ZeroServeEndpoints", "dropped to 0"),
                        NO_UPGRADE,
                    ],
                    active=serve_apps(llm="RUNNING"),
                )
            ),
            ("Degraded", "not serving (ZeroServeEndpoints): dropped to 0"),
        ),
        (
            rayservice(
                rayservice_status(
                    [condition("Ready", "False", "ValidationFailed", "bad spec", 0)],
                    observed_generation=0,
                ),
                generation=1,
            ),
            ("Degraded", "the operator rejected the RayService (ValidationFailed): bad spec"),
        ),
        (
            rayservice(
                rayservice_status(
                    [condition("Ready", "False", "ValidationFailed", "bad spec", 1)],
                    observed_generation=2,
                ),
                generation=2,
            ),
            ("Progressing", "initializing: no Serve endpoint ready yet"),
        ),
        (
            rayservice(
                rayservice_status(
                    [condition("Ready", "False", "InitializingTimeout", "not ready after 30m")],
                    observed_generation=1,
                ),
                generation=3,
            ),
            (
                "Degraded",
                "initializing timed out, the operator gave up (delete and recreate it) "
                "(InitializingTimeout): not ready after 30m",
            ),
        ),
        (
            rayservice(
                rayservice_status(
                    [
                        condition("Suspended", "True", "SuspendComplete"),
                        condition("Ready", "False", "SuspendComplete"),
                    ],
                    observed_generation=2,
                ),
                suspend=True,
                generation=3,
            ),
            (
                "Suspended",
                "suspended: spec.suspend is true; its RayClusters and Services are deleted",
            ),
        ),
        (
            rayservice(
                rayservice_status([condition("Suspending", "True", "SuspendInProgress")]),
                suspend=True,
            ),
            ("Progressing", "suspending: deleting its RayClusters and Services"),
        ),
        (
            rayservice(rayservice_status([condition("Suspended", "True", "SuspendComplete")])),
            ("Progressing", "resuming: spec.suspend was cleared"),
        ),
        (
            rayservice(
                rayservice_status(
                    [
                        READY,
                        NO_UPGRADE,
                        condition("RollbackInProgress", "True", "", "traffic back to active"),
                    ],
                    active=serve_apps(llm="RUNNING"),
                )
            ),
            ("Progressing", "rolling back an upgrade: traffic back to active"),
        ),
    ],
    ids=[
        "status-absent",
        "healthy",
        "initializing",
        "generation-not-in-status",
        "generation-lag-while-initializing",
        "upgrade-in-progress",
        "degraded-deploy-failed",
        "degraded-zero-endpoints",
        "degraded-validation-failed",
        "validation-failure-of-older-generation",
        "degraded-initializing-timeout",
        "suspended",
        "suspending",
        "resuming",
        "rollback",
    ],
)
def test_rayservice_health(obj: Mapping[str, Any], expected: tuple[str, str]) -> None:
    assert health("RayService")(obj) == expected


# RayCronJob: its status is only lastScheduleTime, so there is no Progressing or Degraded.


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (raycronjob(), ("Healthy", 'no RayJob scheduled yet (schedule "0 3 * * *")')),
        (
            raycronjob("2026-01-05T03:00:00Z"),
            ("Healthy", 'last RayJob scheduled at 2026-01-05T03:00:00Z (schedule "0 3 * * *")'),
        ),
        (
            raycronjob("2026-01-05T03:00:00Z", suspend=True),
            ("Suspended", "scheduling suspended: spec.suspend is true, no new RayJobs are created"),
        ),
    ],
    ids=["status-absent", "healthy", "suspended"],
)
def test_raycronjob_health(obj: Mapping[str, Any], expected: tuple[str, str]) -> None:
    assert health("RayCronJob")(obj) == expected


# Delivery: the rendered argocd-cm.


def test_rendered_argocd_cm_carries_each_script_under_its_key(
    run_cli: Callable[..., CliResult],
) -> None:
    require_setup()
    result = run_cli("--repo", str(REPO_ROOT), "render", "argocd/bootstrap")
    assert result.exit_code == 0, result.stderr
    [argocd_cm] = [
        doc
        for doc in yaml.safe_load_all(result.stdout)
        if doc and doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "argocd-cm"
    ]
    assert argocd_cm["metadata"]["namespace"] == "argocd"
    # Argo CD's settings informer only sees ConfigMaps labelled part-of=argocd.
    assert argocd_cm["metadata"]["labels"]["app.kubernetes.io/part-of"] == "argocd"
    assert argocd_cm["data"] == {
        f"resource.customizations.health.ray.io_{kind}": (HEALTH_DIR / name).read_text()
        for kind, name in SCRIPTS.items()
    }


def test_every_health_script_is_delivered() -> None:
    assert sorted(p.name for p in HEALTH_DIR.glob("*.lua")) == sorted(SCRIPTS.values())
