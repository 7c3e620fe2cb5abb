"""Human text: grouped by target, one line per finding plus its hint, then a summary."""

from __future__ import annotations

import re

from kuberay_gitops.findings import Report
from kuberay_gitops.reporters._common import headline, summary_line

# C0 and C1 controls except tab, and the Unicode line and paragraph separators.
_CONTROLS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(value: str) -> str:
    r"""`value` with line breaks and terminal controls shown as escapes (`\n`, `\x1b`).

    Messages quote repository text (paths, names, keys, values); escaping keeps each
    finding on its own line and keeps that text from driving the terminal.
    """
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)


def render(report: Report) -> str:
    """`file:line:col: severity [id] Kind/ns/name .field: message` + `    hint: …`."""
    lines: list[str] = []
    groups: dict[str, list[str]] = {}
    for f in report.findings:
        entry = escape_controls(
            f"{f.location}: {f.severity.value} [{f.qualified_id}] {headline(f)}"
        )
        if f.hint:
            entry += f"\n    hint: {escape_controls(f.hint)}"
        groups.setdefault(f.target or "repository", []).append(entry)
    for target in sorted(groups):
        lines.append(f"== {escape_controls(target)}")
        lines.extend(groups[target])
    lines.extend(report.notes)
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
