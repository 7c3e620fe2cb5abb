"""An ingress rule port should be one that a pod selected by the policy listens on.

Why: a port that no selected pod exposes is a typo or a leftover (the real port stays
closed while the policy looks right in review), or opens a port someone may later bind
by accident.
For each ingress rule `ports[].port` of a policy that selects pods in this target: a name
must be a container port name of a selected pod, a number (or `port..endPort` range) must
overlap a container port, with the same protocol. Ray pods also listen on their
rayStartParams ports (and the KubeRay/Ray defaults), which count as exposed. Rules without
`port` and policies selecting no pod (see netpol-selects-nothing) are skipped.
PASS / FAIL examples: tests/unit/checks/test_netpol_unused_port.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue, as_int
from kuberay_gitops.checks._netpol import (
    INGRESS,
    all_pods,
    container_ports,
    listens_on,
    policies,
)
from kuberay_gitops.findings import Profile, Severity

CHECK = CheckSpec(
    id="netpol-unused-port",
    severity=Severity.WARNING,
    summary="ingress rule ports are exposed by a pod the policy selects",
    hint="use a containerPort name or number of the selected pods (or the rayStartParams "
    "port of the Ray group), or remove the port",
    profile=Profile.CORRECTNESS,
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each ingress port of a policy names or numbers a port of a selected pod."""
    pods = all_pods(ctx.index)
    for pol in policies(ctx.index):
        selected = [p for p in pods if pol.selects(p.labels, p.namespace)]
        if not selected:
            continue
        declared = [cp for p in selected for cp in container_ports(p)]
        for i, rule in pol.rules(INGRESS):
            ports = rule.get("ports")
            for j, entry in enumerate(ports if isinstance(ports, list) else []):
                if not isinstance(entry, Mapping) or entry.get("port") is None:
                    continue
                proto = str(entry.get("protocol") or "TCP")
                port = entry.get("port")
                number = as_int(port)
                if number is None:
                    ok = any(cp.name == str(port) and cp.protocol == proto for cp in declared)
                    shown = f'"{port}"/{proto}'
                    known = sorted(
                        {f'"{cp.name}"' for cp in declared if cp.name and cp.protocol == proto}
                    )
                else:
                    end = as_int(entry.get("endPort"))
                    hi = (
                        number if end is None else max(end, number)
                    )  # an endPort below port: port alone
                    ok = any(listens_on(p, number, hi, proto) for p in selected)
                    shown = f"{number}/{proto}" if hi == number else f"{number}-{hi}/{proto}"
                    known = [
                        str(n) for n in sorted({cp.port for cp in declared if cp.protocol == proto})
                    ]
                if ok:
                    continue
                listed = ", ".join(known) if known else "none"
                yield Issue(
                    pol.obj,
                    ("spec", "ingress", i, "ports", j, "port"),
                    f"ingress port {shown} is not exposed by any of the {len(selected)} pod "
                    f"template(s) the policy selects; their {proto} container ports: {listed}",
                )
