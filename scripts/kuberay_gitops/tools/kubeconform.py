"""kubeconform adapter: one strict, offline run over every rendered object of the run.

`schema_problems` is the schema stage: the built-in schemas of the objects' kinds and the
CRD schemas (configured directories and rendered CRDs) prepared offline (`schemas`), one
kubeconform run, and the versions a CRD marks deprecated. Each problem names its id and
its hint.

kubeconform's result for an object is a function of the object, the schemas (their
directories are named by what they hold: the Kubernetes version, the CRDs' content),
the flags and kubeconform's version: `validate` keeps each distinct object's result under
the cache directory by that key and runs kubeconform only on objects it has not seen. A
changed overlay then costs no schema loading for the objects it did not change, and a
warm run no kubeconform process at all.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kuberay_gitops import diskcache
from kuberay_gitops.exitcodes import ToolFailed
from kuberay_gitops.findings import FieldPath, parse_json_pointer
from kuberay_gitops.manifests import K8sObject
from kuberay_gitops.settings import Settings
from kuberay_gitops.tools import schemas
from kuberay_gitops.tools.runner import Processes, one_line, run
from kuberay_gitops.tools.schemas import BUILTIN_TEMPLATE, CRD_TEMPLATE

_ADDITIONAL = re.compile(r"additional properties? '([^']+)'")
# A version its CRD marks deprecated: what the CRD says, not what kubeconform says.
DEPRECATED = "deprecated-version"
# The fix of each kind of problem, shown under its finding.
HINTS: Mapping[str, str] = MappingProxyType(
    {
        "schema": "fix the field as the schema says "
        "(kubectl explain <kind>.<field> shows the spec)",
        "missing-schema": "add the CRD's directory to crd_dirs, or allow the kind in "
        "schema.allow_missing with a reason",
        "error": "the object could not be validated; see the message",
        DEPRECATED: "move the object to the CRD's current version (for KubeRay: ray.io/v1)",
    }
)


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """One schema complaint about one object; `kind` is its check id."""

    obj: K8sObject
    kind: str  # "schema" | "missing-schema" | "error" | DEPRECATED
    field: FieldPath
    message: str

    @property
    def hint(self) -> str:
        """The fix for this kind of problem."""
        return HINTS[self.kind]

    @property
    def source(self) -> str:
        """Who found it: the CRD's own deprecation mark (`schema`), else `kubeconform`."""
        return "schema" if self.kind == DEPRECATED else "kubeconform"


_GENERIC = "validation failed"
# kubeconform's `msg` of an invalid object: "... - at '/spec': missing property 'serviceName'".
_DETAIL = re.compile(r" - at '([^']*)': (.+)$")
# Under the cache directory: one entry per distinct object, schemas and flags (`validate`).
CACHE_DIR = "kubeconform"
_KEPT = frozenset({"statusValid", "statusInvalid", "statusSkipped"})


def _field(path: str, msg: str) -> FieldPath:
    field = parse_json_pointer(path)
    m = _ADDITIONAL.search(msg)
    if m and "," not in m.group(1):
        field = (*field, m.group(1))
    return field


def without_nulls(node: Any) -> Any:
    """The object as the API server validates it: mapping entries whose value is null dropped.

    A CRD's non-nullable field set to null is pruned before defaulting and validation,
    and a built-in field set to null decodes to its zero value, as if unset
    (`template.metadata: null` is accepted by both); the JSON schema would say "got null".
    """
    if isinstance(node, Mapping):
        return {k: without_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [without_nulls(v) for v in node]
    return node


def validate(
    kubeconform: Path,
    objects: Sequence[K8sObject],
    builtin_root: Path,
    crd_root: Path,
    kubernetes_version: str,
    allow_missing: Sequence[str],
    jobs: int,
    timeout: float,
    scratch: Path,
    cache_dir: Path | None = None,
    version: str = "",
    processes: Processes | None = None,
) -> list[SchemaProblem]:
    """Validate all objects in one kubeconform process; every object is accounted for.

    Kinds in `allow_missing` may lack a schema: only that problem is dropped for them
    (never kubeconform's `-skip`, which would stop validating a kind whose schema exists).
    `cache_dir` keeps each distinct object's result for the next run (None: no cache);
    `version` is kubeconform's, part of the key.
    """
    if not objects:
        return []
    # Identical objects (every environment's CRDs) are validated once; the problems of
    # one are the problems of all. JSON: dumping YAML in Python costs seconds. Identical
    # renders share their parsed bodies (`rendercache.load`): each is dumped once, not
    # once per environment (a hundred copies of the CRDs were most of a warm run).
    by_text: dict[str, list[K8sObject]] = {}
    dumped: dict[int, str] = {}
    for item in objects:
        text = dumped.get(id(item.body))
        if text is None:
            text = dumped[id(item.body)] = json.dumps(without_nulls(item.body), default=str)
        by_text.setdefault(text, []).append(item)
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
    # The schema directories are named by their content; the binary by its pinned version.
    salt = diskcache.digest("kubeconform-verdicts-v2", version, *argv[1:-2])
    results: dict[str, Mapping[str, Any]] = {}
    entries: dict[str, Path] = {}
    if cache_dir is not None:
        entries = {
            t: diskcache.verdict_path(cache_dir, CACHE_DIR, diskcache.digest(salt, t))
            for t in by_text
        }
    for text, entry in entries.items():
        found = diskcache.read_json(entry)
        if isinstance(found, dict):
            results[text] = found
    missed = [t for t in by_text if t not in results]
    for text, res in _run(argv, missed, timeout, scratch, processes).items():
        results[text] = res
        # A verdict on the object is kept; an error (unreadable schema, …) is asked again.
        if text in entries and res.get("status") in _KEPT:
            diskcache.write_json(entries[text], dict(res))
    problems: list[SchemaProblem] = []
    for text, same in by_text.items():
        res = results[text]
        if res.get("status") in ("statusValid", "statusSkipped", "valid", "skipped"):
            continue
        for found in same:
            problems.extend(
                p
                for p in _problems(found, res, kubernetes_version)
                if not (p.kind == "missing-schema" and found.ref.kind in allow_missing)
            )
    return problems


def _run(
    argv: Sequence[str],
    texts: Sequence[str],
    timeout: float,
    scratch: Path,
    processes: Processes | None = None,
) -> dict[str, Mapping[str, Any]]:
    """One kubeconform process over the texts: each text's result, every one accounted for."""
    if not texts:
        return {}
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kubeconform-", dir=scratch) as made:
        # kubeconform names each file as Go's filepath.Join cleans it: give it a clean path
        # (a cache_dir like `../cache` would otherwise leave every result unmatched).
        tmp = os.path.realpath(made)
        by_file: dict[str, str] = {}
        for i, text in enumerate(texts):
            path = Path(tmp) / f"{i:06d}.json"
            path.write_text(text)
            by_file[str(path)] = text
        out = run([*argv, tmp], timeout=timeout, processes=processes)
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
    if seen != len(by_file):
        raise ToolFailed(f"kubeconform read {seen} of {len(by_file)} distinct objects")
    # A valid object has no entry of its own in kubeconform's JSON output; every entry
    # there must be one of ours, or a problem would pass as valid (never a silent pass).
    results: dict[str, Mapping[str, Any]] = {t: {"status": "statusValid"} for t in texts}
    for res in report.get("resources") or []:
        owner = by_file.get(str(res.get("filename")))
        if owner is None:
            raise ToolFailed(f"kubeconform reported a file it was not given: {res.get('filename')}")
        results[owner] = res
    return results


def _problems(
    found: K8sObject, res: Mapping[str, Any], kubernetes_version: str
) -> list[SchemaProblem]:
    """One object's problems from kubeconform's result for its (shared) file."""
    msg = str(res.get("msg", ""))
    errors = res.get("validationErrors") or []
    if errors:
        out = []
        for err in errors:
            path, text = str(err.get("path", "")), str(err.get("msg", ""))
            if text == _GENERIC:
                # Some errors carry only "validation failed"; the words are in `msg`.
                m = _DETAIL.search(msg)
                if m is not None and m.group(1) == path:
                    text = m.group(2)
            out.append(SchemaProblem(found, "schema", _field(path, text), text))
        return out
    if "could not find schema" in msg:
        api = found.body.get("apiVersion", "")
        return [
            SchemaProblem(
                found,
                "missing-schema",
                ("apiVersion",),
                f"no schema for {found.ref.kind} {api}: neither the Kubernetes "
                f"{kubernetes_version} built-ins nor a CRD in crd_dirs serves this apiVersion",
            )
        ]
    kind = "schema" if res.get("status") == "statusInvalid" else "error"
    return [SchemaProblem(found, kind, (), msg)]


def schema_problems(
    settings: Settings,
    kubeconform: Path,
    objects: Sequence[K8sObject],
    cache_dir: Path | None = None,
    processes: Processes | None = None,
) -> list[SchemaProblem]:
    """The schema stage over every object: deprecated versions, then kubeconform's problems.

    `cache_dir` keeps kubeconform's result of each distinct object for the next run;
    `processes` lets the run stop kubeconform from another thread.
    """
    if not objects:
        return []
    cache = settings.cache_path / "schemas"
    builtin_root = schemas.ensure_builtin(
        cache,
        settings.kubernetes_version,
        sorted({schemas.builtin_filename(o.ref.kind, o.ref.api_version) for o in objects}),
    )
    rendered_crds = [o.body for o in objects if o.ref.kind == "CustomResourceDefinition"]
    crd_root = schemas.ensure_crds(
        cache, schemas.iter_crd_files(settings.crd_paths()), rendered_crds
    )
    problems = validate(
        kubeconform,
        objects,
        builtin_root,
        crd_root,
        settings.kubernetes_version,
        [a.kind for a in settings.allow_missing_schemas],
        settings.effective_jobs,
        settings.schema_timeout,
        settings.scratch_path,
        cache_dir,
        settings.toolchain.kubeconform,
        processes,
    )
    deprecated = schemas.load_deprecated(crd_root)
    old_api = [
        SchemaProblem(
            o,
            DEPRECATED,
            ("apiVersion",),
            f"{o.ref.api_version} is a deprecated version of {o.ref.kind}: {warning}",
        )
        for o in objects
        if (warning := deprecated.get(f"{o.ref.api_version} {o.ref.kind}"))
    ]
    return old_api + problems
