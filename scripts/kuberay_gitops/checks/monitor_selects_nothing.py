"""A ServiceMonitor must select a Service, and a PodMonitor a pod, of its target.

Why: Prometheus silently scrapes nothing for a monitor whose selector or namespaceSelector
matches nothing; the first sign is an empty dashboard or an absent() alert much later.
Candidates are the objects in the monitor's namespaces (`namespaceSelector.any: true`: all;
`matchNames`: those; otherwise the monitor's own namespace) whose labels match
`.spec.selector`. Services include the ones KubeRay generates for Ray clusters and never
appear in the rendered output (head Service `<cluster>-head-svc`, RayService head and
serve Services; see checks/_netpol.py); pods include Ray head/worker pods with KubeRay's
labels.
PASS / FAIL examples: tests/unit/checks/test_monitor_selects_nothing.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.checks._netpol import monitor_scope, monitored_pods, monitored_services
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="monitor-selects-nothing",
    severity=Severity.ERROR,
    summary="ServiceMonitors select a Service and PodMonitors a pod of the target",
    hint="match .spec.selector to the Service (pod) labels, e.g. ray.io/node-type: head for "
    "the KubeRay head Service, and list its namespace in .spec.namespaceSelector.matchNames",
    profile=Profile.CORRECTNESS,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each monitor's selector and namespaceSelector match at least one object."""
    for obj in ctx.index.of_kind("ServiceMonitor", "PodMonitor"):
        if obj.ref.kind == "ServiceMonitor":
            found = bool(monitored_services(ctx.index, obj))
            noun = "Service"
        else:
            found = bool(monitored_pods(ctx.index, obj))
            noun = "pod"
        if found:
            continue
        scope = monitor_scope(obj)
        where = (
            "any namespace"
            if scope.any_ns
            else "namespace " + ", ".join(f'"{n}"' for n in sorted(scope.namespaces))
        )
        yield Issue(
            obj,
            ("spec", "selector"),
            f"selector matches no {noun} in {where} of this target",
        )
