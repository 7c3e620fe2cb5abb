"""checkov adapter: one run over every rendered object of the validation.

checkov is pointed at the *rendered* objects with `--framework kubernetes` (its
kustomize framework passes silently when a build fails), offline (`--skip-download`),
once per validation (its import alone costs ~1.5 s). Each object is written to its own
file so every result maps back to exactly one rendered object; `evaluated_keys` gives
the field. Per-object `checkov.io/skipN` annotations keep working.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kuberay_gitops.exitcodes import ToolFailed, ToolNotFound
from kuberay_gitops.findings import FieldPath
from kuberay_gitops.manifests import K8sObject
from kuberay_gitops.tools.runner import one_line, run


@dataclass(frozen=True, slots=True)
class CheckovResult:
    """One failed checkov check on one object."""

    obj: K8sObject
    check_id: str
    name: str
    field: FieldPath
    guideline: str


def _field(keys: Sequence[str]) -> FieldPath:
    if not keys:
        return ()
    parts: list[str | int] = []
    for raw in str(keys[0]).split("/"):
        m = re.fullmatch(r"\[(\d+)\]", raw)
        if m:
            parts.append(int(m.group(1)))
        elif raw:
            parts.append(raw)
    return tuple(parts)


def binary() -> Path:
    """The checkov console script of the running virtualenv."""
    path = Path(sys.executable).parent / "checkov"
    if not path.is_file():
        raise ToolNotFound(f"checkov not found at {path}; run `make setup`")
    return path


def scan(
    objects: Sequence[K8sObject], skip_checks: Sequence[str], timeout: float
) -> list[CheckovResult]:
    """Failed checks for all objects, from a single checkov process."""
    if not objects:
        return []
    exe = binary()
    with tempfile.TemporaryDirectory(prefix="kuberay-gitops-checkov-") as tmp:
        by_name: dict[str, K8sObject] = {}
        for i, obj in enumerate(objects):
            name = f"{i:06d}.json"  # JSON: dumping YAML in Python costs seconds
            (Path(tmp) / name).write_text(json.dumps(obj.body, default=str))
            by_name[name] = obj
        argv = [
            str(exe),
            "--directory",
            tmp,
            "--framework",
            "kubernetes",
            "--output",
            "json",
            "--skip-download",
            "--quiet",
            "--compact",
        ]
        if skip_checks:
            argv += ["--skip-check", ",".join(skip_checks)]
        out = run(
            argv,
            timeout=timeout,
            env={"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        )
    if out.returncode not in (0, 1):
        raise ToolFailed(f"checkov exited {out.returncode}: {one_line(out.stderr)}")
    try:
        data = json.loads(out.stdout) if out.stdout.strip() else {}
    except json.JSONDecodeError as exc:
        raise ToolFailed(f"checkov output is not JSON: {one_line(out.stdout)}") from exc
    reports = data if isinstance(data, list) else [data]
    results: list[CheckovResult] = []
    for report in reports:
        if not isinstance(report, dict) or report.get("check_type") not in (None, "kubernetes"):
            continue
        for failed in (report.get("results") or {}).get("failed_checks") or []:
            owner = by_name.get(Path(str(failed.get("file_path", ""))).name)
            if owner is None:
                continue
            keys = (failed.get("check_result") or {}).get("evaluated_keys") or []
            results.append(
                CheckovResult(
                    owner,
                    str(failed.get("check_id")),
                    str(failed.get("check_name", "")),
                    _field(keys),
                    str(failed.get("guideline") or ""),
                )
            )
    return results
