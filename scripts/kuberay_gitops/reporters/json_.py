"""Machine-readable JSON (documented in docs/output.md; keys are stable)."""

from __future__ import annotations

import json

from kuberay_gitops.findings import Report, Severity

VERSION = 1


def render(report: Report) -> str:
    """`{"version": 1, "summary": {...}, "targets": [...], "findings": [...]}`."""
    data = {
        "version": VERSION,
        "summary": {
            "targets": len(report.targets),
            "objects": report.objects,
            "errors": report.count(Severity.ERROR),
            "warnings": report.count(Severity.WARNING),
        },
        "targets": [
            {"path": t.path, "objects": t.objects, "rendered": t.rendered} for t in report.targets
        ],
        "clusters": [
            {
                "environment": c.environment,
                "applied": c.applied,
                "generated": c.generated,
                "seconds": round(c.seconds, 1),
                "cached": c.cached,
            }
            for c in report.clusters
        ],
        "cluster_skipped": report.cluster_skipped,
        "findings": [
            {
                "check": f.qualified_id,
                "severity": f.severity.value,
                "message": f.message,
                "hint": f.hint,
                "file": f.location.file,
                "line": f.location.line,
                "column": f.location.column,
                "kind": f.obj.kind if f.obj else None,
                "namespace": f.obj.namespace if f.obj else None,
                "name": f.obj.name if f.obj else None,
                "field": f.field_str or None,
                "source": f.source,
                "target": f.target or None,
            }
            for f in report.findings
        ],
        "notes": list(report.notes),
    }
    return json.dumps(data, indent=2) + "\n"
