"""kubeconform adapter: one strict, offline run over every rendered object of the run."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kuberay_gitops.exitcodes import ToolFailed
from kuberay_gitops.findings import FieldPath, parse_json_pointer
from kuberay_gitops.manifests import K8sObject
from kuberay_gitops.tools.runner import one_line, run
from kuberay_gitops.tools.schemas import BUILTIN_TEMPLATE, CRD_TEMPLATE

_ADDITIONAL = re.compile(r"additional properties? '([^']+)'")


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """One kubeconform complaint about one object."""

    obj: K8sObject
    kind: str  # "schema" | "missing-schema" | "error"
    field: FieldPath
    message: str


def _field(path: str, msg: str) -> FieldPath:
    field = parse_json_pointer(path)
    m = _ADDITIONAL.search(msg)
    if m and "," not in m.group(1):
        field = (*field, m.group(1))
    return field


def validate(
    kubeconform: Path,
    objects: Sequence[K8sObject],
    builtin_root: Path,
    crd_root: Path,
    kubernetes_version: str,
    skip_kinds: Sequence[str],
    jobs: int,
    timeout: float,
) -> list[SchemaProblem]:
    """Validate all objects in one kubeconform process; every object is accounted for."""
    if not objects:
        return []
    with tempfile.TemporaryDirectory(prefix="kuberay-gitops-kc-") as tmp:
        by_file: dict[str, K8sObject] = {}
        for i, item in enumerate(objects):
            path = Path(tmp) / f"{i:06d}.json"  # JSON: dumping YAML in Python costs seconds
            path.write_text(json.dumps(item.body, default=str))
            by_file[str(path)] = item
        argv = [
            str(kubeconform),
            "-strict",
            "-output",
            "json",
            "-summary",
            "-kubernetes-version",
            kubernetes_version,
            "-schema-location",
            str(builtin_root / BUILTIN_TEMPLATE),
            "-schema-location",
            str(crd_root / CRD_TEMPLATE),
            "-n",
            str(max(1, jobs)),
        ]
        if skip_kinds:
            argv += ["-skip", ",".join(skip_kinds)]
        out = run([*argv, tmp], timeout=timeout)
        if out.returncode not in (0, 1):
            raise ToolFailed(f"kubeconform exited {out.returncode}: {one_line(out.stderr)}")
        try:
            report = json.loads(out.stdout)
        except json.JSONDecodeError as exc:
            raise ToolFailed(
                f"kubeconform output is not JSON: {one_line(out.stdout or out.stderr)}"
            ) from exc
    summary = report.get("summary") or {}
    seen = sum(int(summary.get(k, 0)) for k in ("valid", "invalid", "errors", "skipped"))
    if seen != len(objects):
        raise ToolFailed(f"kubeconform read {seen} of {len(objects)} objects")
    problems: list[SchemaProblem] = []
    for res in report.get("resources") or []:
        found = by_file.get(str(res.get("filename")))
        status = res.get("status")
        if found is None or status in ("statusValid", "statusSkipped", "valid", "skipped"):
            continue
        msg = str(res.get("msg", ""))
        errors = res.get("validationErrors") or []
        if errors:
            for err in errors:
                emsg = str(err.get("msg", ""))
                problems.append(
                    SchemaProblem(found, "schema", _field(str(err.get("path", "")), emsg), emsg)
                )
        elif "could not find schema" in msg:
            api = found.body.get("apiVersion", "")
            problems.append(
                SchemaProblem(
                    found,
                    "missing-schema",
                    ("apiVersion",),
                    f"no schema for {found.ref.kind} {api}: neither the Kubernetes "
                    f"{kubernetes_version} built-ins nor a CRD in crd_dirs serves this apiVersion",
                )
            )
        else:
            problems.append(
                SchemaProblem(found, "schema" if status == "statusInvalid" else "error", (), msg)
            )
    return problems
