"""checkov adapter: one run over every rendered object of the validation.

checkov's Kubernetes runner is pointed at the *rendered* objects (its kustomize framework
passes silently when a build fails), offline, in one process per validation (its import
alone costs ~1.5 s) with one resource graph per render target (`checkov_driver`). Each
object is written to its own file so every result maps back to exactly one rendered
object; `evaluated_keys` gives the field. Per-object `checkov.io/skipN` annotations keep
working. Only built-in kinds are scanned (`scannable`), and the driver starts only when
the config would keep a finding of it (`start_if_wanted`).
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
from kuberay_gitops.findings import FieldPath, Profile
from kuberay_gitops.manifests import K8sObject
from kuberay_gitops.settings import Settings
from kuberay_gitops.tools.runner import Started, one_line
from kuberay_gitops.tools.runner import start as start_process

SKIP_HINT = "fix the object, or skip with a reason (checkov.io/skipN annotation or checkov.skip)"


@dataclass(frozen=True, slots=True)
class CheckovResult:
    """One failed checkov check on one object."""

    obj: K8sObject
    check_id: str
    name: str
    field: FieldPath
    guideline: str

    @property
    def hint(self) -> str:
        """Checkov's guideline for the check, when it has one, and how to skip it."""
        return (f"see {self.guideline}; " if self.guideline else "") + SKIP_HINT


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
    """The checkov console script of the running virtualenv (proves checkov is installed)."""
    path = Path(sys.executable).parent / "checkov"
    if not path.is_file():
        raise ToolNotFound(f"checkov not found at {path}; run `make setup`")
    return path


def scannable(obj: K8sObject) -> bool:
    """Whether checkov has checks for this kind (built-in kinds only).

    Custom resources and CRDs (megabytes each) only cost time; Ray pods are covered by
    the project's own checks.
    """
    group = obj.ref.api_version.rpartition("/")[0]
    if obj.ref.kind == "CustomResourceDefinition":
        return False
    return group in ("", "apps", "batch", "policy", "autoscaling") or group.endswith(".k8s.io")


def start_if_wanted(settings: Settings) -> Started | None:
    """The driver, started ahead of its input (`start`), when the config would use it.

    checkov's rules are a platform's: under the correctness profile, only a `checkov/…`
    entry the config enables by name keeps a finding of it (`configured`).
    """
    if not settings.checkov_enabled:
        return None
    wanted = settings.profile.includes(Profile.PLATFORM) or any(
        cid.startswith("checkov/") and conf.enabled is True for cid, conf in settings.checks.items()
    )
    if not wanted:
        return None  # every finding of it would be dropped
    return start([s.id for s in settings.checkov_skips])


def start(skip_checks: Sequence[str]) -> Started:
    """Start the driver now, so checkov's import overlaps rendering; `scan` feeds it."""
    binary()
    argv = [sys.executable, "-m", "kuberay_gitops.tools.checkov_driver"]
    if skip_checks:
        argv += ["--skip-check", ",".join(skip_checks)]
    return start_process(argv)


def scan(objects: Sequence[K8sObject], driver: Started, timeout: float) -> list[CheckovResult]:
    """Failed checks for all objects: one checkov process, one graph per render target."""
    if not objects:
        driver.cancel()
        return []
    # The system temporary directory, not the cache: checkov silently skips every file
    # below a hidden directory, and the cache is usually ~/.cache.
    with tempfile.TemporaryDirectory(prefix="kuberay-gitops-checkov-") as tmp:
        by_file: dict[tuple[str, str], K8sObject] = {}
        dirs: dict[str, str] = {}
        for i, obj in enumerate(objects):
            directory = dirs.setdefault(obj.target, str(Path(tmp) / f"t{len(dirs):04d}"))
            Path(directory).mkdir(exist_ok=True)
            name = f"{i:06d}.json"  # JSON: dumping YAML in Python costs seconds
            (Path(directory) / name).write_text(json.dumps(obj.body, default=str))
            by_file[(directory, name)] = obj
        out = driver.finish(json.dumps(list(dirs.values())), timeout)
    if out.returncode != 0:
        raise ToolFailed(f"checkov exited {out.returncode}: {one_line(out.stderr[-2000:])}")
    try:
        data = json.loads(out.stdout)
        failed, parsed = data["failed"], data["parsed"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ToolFailed(
            f"checkov output is not the driver's JSON: {one_line(out.stdout)}"
        ) from exc
    written = len(by_file)
    read = sum(int(n) for n in parsed.values())
    if read != written:  # never a silent partial pass
        raise ToolFailed(f"checkov read {read} of the {written} objects written for it")
    results: list[CheckovResult] = []
    for item in failed if isinstance(failed, list) else []:
        owner = by_file.get((str(item.get("dir")), str(item.get("file"))))
        if owner is None:
            continue
        results.append(
            CheckovResult(
                owner,
                str(item.get("check_id")),
                str(item.get("check_name", "")),
                _field(item.get("evaluated_keys") or []),
                str(item.get("guideline") or ""),
            )
        )
    return results
