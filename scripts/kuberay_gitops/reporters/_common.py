"""Helpers shared by reporters."""

from __future__ import annotations

from kuberay_gitops.findings import Finding, Report, Severity


def plural(n: int, word: str) -> str:
    """`1 error`, `2 errors`."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(report: Report) -> str:
    """`checked N targets, M objects: E errors, W warnings`."""
    return (
        f"checked {plural(len(report.targets), 'target')}, {plural(report.objects, 'object')}: "
        f"{plural(report.count(Severity.ERROR), 'error')}, "
        f"{plural(report.count(Severity.WARNING), 'warning')}"
    )


def headline(f: Finding) -> str:
    """`Kind/ns/name .field: message` (object and field only when known)."""
    parts = []
    if f.obj is not None:
        parts.append(str(f.obj))
    if f.field:
        parts.append(f.field_str)
    where = " ".join(parts)
    return f"{where}: {f.message}" if where else f.message
