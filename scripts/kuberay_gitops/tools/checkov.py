"""checkov adapter: one run over every rendered object of the validation.

checkov's Kubernetes runner is pointed at the *rendered* objects (its kustomize framework
passes silently when a build fails), offline, in one process per validation (its import
alone costs ~1.5 s) with one resource graph per render target (`checkov_driver`). Each
object is written to its own file so every result maps back to exactly one rendered
object; `evaluated_keys` gives the field. Per-object `checkov.io/skipN` annotations keep
working. Only built-in kinds are scanned (`scannable`), and checkov runs only when the
config would keep a finding of it (`wanted`).

A target's verdicts are a function of its scannable objects, checkov's version, the
skipped checks and the driver (one graph per target): `scan_cached` keeps them under the
cache directory by that key, and starts checkov only for the targets it has not seen. A
change that leaves every built-in object as it was (a RayCluster edit) costs no checkov
process at all; its interpreter start and import alone are about 1.5 s.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from kuberay_gitops import diskcache
from kuberay_gitops.exitcodes import ToolFailed, ToolNotFound
from kuberay_gitops.findings import FieldPath, Profile
from kuberay_gitops.manifests import K8sObject
from kuberay_gitops.settings import Settings
from kuberay_gitops.tools.runner import Processes, Started, one_line
from kuberay_gitops.tools.runner import start as start_process

SKIP_HINT = "fix the object, or skip with a reason (checkov.io/skipN annotation or checkov.skip)"
# Under the cache directory: one entry per target's scannable objects (`scan_cached`).
CACHE_DIR = "checkov"


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


def wanted(settings: Settings) -> bool:
    """Whether checkov runs: the config would keep a finding of it.

    checkov's rules are a platform's: under the correctness profile, only a `checkov/…`
    entry the config enables by name keeps a finding of it (`configured`).
    """
    if not settings.checkov_enabled:
        return False
    return settings.profile.includes(Profile.PLATFORM) or any(
        cid.startswith("checkov/") and conf.enabled is True for cid, conf in settings.checks.items()
    )


def start(skip_checks: Sequence[str]) -> Started:
    """Start the driver now, so checkov's import overlaps other work; `scan` feeds it."""
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


def _salt(skip_checks: Sequence[str]) -> bytes:
    """What a target's verdicts depend on besides its objects."""
    driver = Path(__file__).with_name("checkov_driver.py").read_bytes()
    return diskcache.digest(
        "checkov-verdicts-v1", metadata.version("checkov"), ",".join(sorted(skip_checks)), driver
    ).encode()


def _key(salt: bytes, objects: Sequence[K8sObject]) -> str:
    return diskcache.digest(salt, json.dumps([o.body for o in objects], default=str))


def _stored(results: Sequence[CheckovResult], objects: Sequence[K8sObject]) -> list[list[object]]:
    at = {id(o): i for i, o in enumerate(objects)}
    return [[at[id(r.obj)], r.check_id, r.name, list(r.field), r.guideline] for r in results]


def _loaded(data: object, objects: Sequence[K8sObject]) -> list[CheckovResult] | None:
    """A stored entry's results on this run's (identical) objects; None if unreadable."""
    if not isinstance(data, list):
        return None
    try:
        return [
            CheckovResult(objects[int(i)], str(cid), str(name), tuple(field), str(guide))
            for i, cid, name, field, guide in data
        ]
    except (ValueError, TypeError, IndexError):
        return None


def early(skip_checks: Sequence[str], cache_dir: Path | None) -> Started | None:
    """The driver, started now, when no verdict of an earlier run can spare it.

    With no checkov verdict under `cache_dir` (a fresh CI machine, `--no-cache`), checkov
    will run: started ahead, its import (~1.5 s) overlaps rendering and the twin. With
    verdicts there, most runs need no checkov at all, and `scan_cached` starts it only
    for the targets it has not seen.
    """
    if cache_dir is not None and (cache_dir / CACHE_DIR).is_dir():
        return None
    return start(skip_checks)


def scan_cached(
    by_target: Mapping[str, Sequence[K8sObject]],
    skip_checks: Sequence[str],
    timeout: float,
    cache_dir: Path | None,
    driver: Started | None = None,
    processes: Processes | None = None,
) -> list[CheckovResult]:
    """`scan` of the targets' scannable objects, reusing the verdicts of targets seen before.

    Each target's verdicts are kept under `cache_dir` (None: no cache) by the key of its
    objects; checkov runs only when some target has no entry, and scans only those, in
    `driver` when one was started `early` (always stopped here), else in one started now;
    `processes` lets the run stop it from another thread.
    """
    try:
        return _scan_cached(by_target, skip_checks, timeout, cache_dir, driver, processes)
    finally:
        if driver is not None:
            driver.cancel()  # reaped, or stopped when nothing was left for it


def _scan_cached(
    by_target: Mapping[str, Sequence[K8sObject]],
    skip_checks: Sequence[str],
    timeout: float,
    cache_dir: Path | None,
    driver: Started | None,
    processes: Processes | None,
) -> list[CheckovResult]:
    binary()  # a missing checkov is the set-up instruction, not an error of its version
    salt = _salt(skip_checks)
    results: list[CheckovResult] = []
    missed: dict[str, tuple[Path | None, Sequence[K8sObject]]] = {}
    for target, objects in by_target.items():
        if not objects:
            continue
        entry = (
            diskcache.verdict_path(cache_dir, CACHE_DIR, _key(salt, objects))
            if cache_dir is not None
            else None
        )
        found = _loaded(diskcache.read_json(entry), objects) if entry is not None else None
        if found is None:
            missed[target] = (entry, objects)
        else:
            results.extend(found)
    if not missed:
        return results
    running = driver if driver is not None else start(skip_checks)
    if processes is not None:
        processes.add(running)
    try:
        scanned = scan([o for _, objects in missed.values() for o in objects], running, timeout)
    finally:
        if processes is not None:
            processes.discard(running)
        running.cancel()  # reaped, or stopped if the scan failed before it finished
    by_owner: dict[str, list[CheckovResult]] = {}
    for r in scanned:
        by_owner.setdefault(r.obj.target, []).append(r)
    for target, (entry, objects) in missed.items():
        mine = by_owner.get(target, [])
        results.extend(mine)
        if entry is not None:
            diskcache.write_json(entry, _stored(mine, objects))
    return results
