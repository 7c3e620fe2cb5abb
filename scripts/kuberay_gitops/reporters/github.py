"""GitHub Actions workflow commands, escaped as actions/toolkit escapes them."""

from __future__ import annotations

from kuberay_gitops.findings import Report, Severity
from kuberay_gitops.reporters._common import headline, summary_line


def escape_data(value: str) -> str:
    """Message escaping (`%`, CR, LF)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Property escaping: data escaping plus `:` and `,`."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    """`::error file=…,line=…,col=…,title=…::message (hint: …)` grouped per target."""
    lines: list[str] = []
    groups: dict[str, list[str]] = {}
    for f in report.findings:
        level = "error" if f.severity is Severity.ERROR else "warning"
        props = [f"file={escape_property(f.location.file)}"]
        if f.location.line is not None:
            props.append(f"line={f.location.line}")
            if f.location.column is not None:
                props.append(f"col={f.location.column}")
        props.append(f"title={escape_property(f.qualified_id)}")
        msg = headline(f) + (f" (hint: {f.hint})" if f.hint else "")
        groups.setdefault(f.target or "repository", []).append(
            f"::{level} {','.join(props)}::{escape_data(msg)}"
        )
    for target in sorted(groups):
        lines.append(f"::group::{escape_data(target)}")
        lines.extend(groups[target])
        lines.append("::endgroup::")
    lines.extend(report.notes)
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
