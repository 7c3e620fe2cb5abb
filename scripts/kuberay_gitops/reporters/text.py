"""Human text: grouped by target, one line per finding plus its hint, then a summary."""

from __future__ import annotations

from kuberay_gitops.findings import Report
from kuberay_gitops.reporters._common import headline, summary_line


def render(report: Report) -> str:
    """`file:line:col: severity [id] Kind/ns/name .field: message` + `    hint: …`."""
    lines: list[str] = []
    groups: dict[str, list[str]] = {}
    for f in report.findings:
        entry = f"{f.location}: {f.severity.value} [{f.qualified_id}] {headline(f)}"
        if f.hint:
            entry += f"\n    hint: {f.hint}"
        groups.setdefault(f.target or "repository", []).append(entry)
    for target in sorted(groups):
        lines.append(f"== {target}")
        lines.extend(groups[target])
    lines.extend(report.notes)
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
