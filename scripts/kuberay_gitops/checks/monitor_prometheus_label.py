"""ServiceMonitors, PodMonitors and PrometheusRules carry the label Prometheus selects on.

Why: kube-prometheus-stack's Prometheus only loads monitors and rules whose labels match
its `*Selector` (by default `release: <helm release>`); without the label the object is
applied, looks healthy, and is ignored: no scrape, no alert.
Every label of the option `labels` (default `release: kube-prometheus-stack`) must be
present with that value. Reported at the label when its value differs, else at
`metadata.labels` (or `metadata` when the object has no labels).
PASS / FAIL examples: tests/unit/checks/test_monitor_prometheus_label.py
"""

from __future__ import annotations

from collections.abc import Iterator

from kuberay_gitops.checks._api import CheckContext, CheckSpec, Issue
from kuberay_gitops.findings import FieldPath, Profile, Severity

CHECK = CheckSpec(
    id="monitor-prometheus-label",
    severity=Severity.ERROR,
    summary="monitors and rules carry the Prometheus selection label",
    hint="add the label (kustomize `labels:` in the monitoring kustomization keeps it on "
    "every object), or set the check's `labels` option to your Prometheus selector",
    profile=Profile.PLATFORM,
    options={"labels": {"release": "kube-prometheus-stack"}},
)


def run(ctx: CheckContext) -> Iterator[Issue]:
    """Each monitor/rule has every configured label with the configured value."""
    wanted = {str(k): str(v) for k, v in dict(ctx.options["labels"]).items()}
    for obj in ctx.index.of_kind("ServiceMonitor", "PodMonitor", "PrometheusRule"):
        labels = {str(k): str(v) for k, v in obj.labels.items()}
        for key, value in sorted(wanted.items()):
            if labels.get(key) == value:
                continue
            field: FieldPath
            if key in labels:
                field = ("metadata", "labels", key)
                msg = f'label {key}="{labels[key]}", expected "{value}"'
            else:
                field = ("metadata", "labels") if labels else ("metadata",)
                msg = f'missing label {key}="{value}"'
            yield Issue(obj, field, f"{msg}: Prometheus will not load this {obj.ref.kind}")
