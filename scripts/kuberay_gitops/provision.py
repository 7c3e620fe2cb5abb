"""`kuberay-gitops setup`: find or build the pinned binaries into the tools directory.

Why in the package: a team that installs the wheel has no Makefile and no `toolchain/`,
yet `validate` refuses any binary but the pinned one. So the one place that builds them
is here, used by `make setup` in this repository and by `kuberay-gitops setup` anywhere:

- kustomize and kubeconform: `go install MODULE@VERSION` (the pins of `toolchain.env`),
  skipped when the binary's Go build information already names that module and version;
- the control-plane twin: etcd and kube-apiserver built from the wrapper modules the
  package carries (`bundle`; their go.mod pins the versions), the KubeRay operator from a
  source tree of the pinned release (the Go module proxy refuses that module's zip). Each
  gets a stamp beside it: the digest of its sources, flags and Go version, its own sha256,
  and its size and mtime. `twin.locate` checks the sha256 before every use; the digest
  makes a second set-up a no-op, and a changed source a rebuild;
- the KubeRay CRDs of that source tree (`config/crd/bases`), copied into the cache, so a
  repository that does not render them still has schemas for the ray.io kinds.

Every Go command runs through `tools/runner.py`: its own process group, a timeout. Go
writes only to its own caches and the tools directory, never to a source tree
(`-mod=readonly`, output elsewhere).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kuberay_gitops import bundle
from kuberay_gitops.exitcodes import ToolFailed, ToolNotFound
from kuberay_gitops.settings import Settings, Toolchain
from kuberay_gitops.tools import runner, toolchain, twin
from kuberay_gitops.tools.runner import one_line

# A cold build of kube-apiserver takes about 10 minutes on 2 cores.
BUILD_SECONDS = 3600.0
GO_HINT = "install Go >= 1.24 (https://go.dev/dl/) and put `go` on PATH"
# kube-apiserver reports the version it was built as (the operator and Pod Security read it).
_VERSION_PKG = "k8s.io/component-base/version"
# Where a KubeRay source tree names its own release.
_OPERATOR_VERSION_FILE = "controllers/ray/utils/constant.go"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One binary (or the CRDs) after set-up: where it is and whether this run made it."""

    name: str
    path: Path
    built: bool
    seconds: float


Progress = Callable[[str], None]


def go_command() -> str:
    """The `go` on PATH, or exit 3 naming what is missing."""
    go = shutil.which("go")
    if go is None:
        raise ToolNotFound(f"`go` not found on PATH: setup builds the pinned tools; {GO_HINT}")
    return go


def operator_source(settings: Settings, given: Path | None) -> Path | None:
    """The KubeRay operator source tree: the one given, else the shared directory's."""
    if given is not None:
        return given.resolve()
    default = settings.shared_path / settings.toolchain.operator_source
    return default if settings.toolchain.operator_source and default.is_dir() else None


def apiserver_ldflags(version: str) -> str:
    """The -X flags that make kube-apiserver report `version` (as `make twin` did)."""
    major, minor = version.removeprefix("v").split(".")[:2]
    return (
        f"-X {_VERSION_PKG}.gitVersion={version} -X {_VERSION_PKG}.gitMajor={major} "
        f"-X {_VERSION_PKG}.gitMinor={minor}"
    )


def setup(
    settings: Settings,
    *,
    twin_too: bool,
    source: Path | None,
    progress: Progress,
) -> list[Outcome]:
    """Find or build every pinned binary of this run's toolchain; return what was done.

    `twin_too` adds etcd, kube-apiserver and the KubeRay operator (which needs `source`).
    The KubeRay CRDs are copied whenever a source tree is known.
    """
    pins = settings.toolchain
    bindir = settings.resolve(settings.tools_dir)
    go = go_command()
    if twin_too and source is None:
        raise ToolNotFound(
            f"the control-plane twin needs the KubeRay operator {pins.operator} source: pass "
            f"--operator-source DIR (the ray-operator directory of a KubeRay {pins.operator} "
            "checkout), or run `kuberay-gitops setup --no-cluster`"
        )
    if source is not None:
        _check_operator_source(source, pins.operator)
    bindir.mkdir(parents=True, exist_ok=True)
    out = [
        _install(go, bindir, "kustomize", pins.kustomize_module, pins.kustomize, progress),
        _install(go, bindir, "kubeconform", pins.kubeconform_module, pins.kubeconform, progress),
    ]
    toolchain.locate(settings)  # what validate will check, checked now
    if source is not None:
        out.append(_copy_crds(source, settings.kuberay_crd_path))
    if twin_too and source is not None:
        version = _go_version(go)
        builds = (
            (twin.ETCD, bundle.wrapper("etcd"), ""),
            (twin.KUBE_APISERVER, bundle.wrapper("kube-apiserver"), _ldflags(pins)),
            (twin.KUBERAY_OPERATOR, source, ""),
        )
        for name, src, flags in builds:
            out.append(_build(go, version, bindir, name, src, flags, progress))
        twin.locate(bindir, pins.etcd, pins.kube_apiserver, pins.operator_module)
    return out


def _ldflags(pins: Toolchain) -> str:
    return apiserver_ldflags(pins.kube_apiserver)


def _check_operator_source(source: Path, version: str) -> None:
    """The tree is the pinned KubeRay release (scripts/check-pins.sh asks the same)."""
    if not (source / "go.mod").is_file():
        raise ToolNotFound(f"{source}: no go.mod: not a KubeRay ray-operator source directory")
    try:
        text = (source / _OPERATOR_VERSION_FILE).read_text()
    except OSError:
        text = ""
    if f'KUBERAY_VERSION = "{version}"' not in text:
        raise ToolNotFound(f"{source} is not the KubeRay {version} operator (toolchain.env)")


def _env(**extra: str) -> dict[str, str]:
    """Go's environment: no workspace file of the caller's, no cgo (static binaries)."""
    return {"GOWORK": "off", "CGO_ENABLED": "0", **extra}


def _go(go: str, args: list[str], cwd: Path | None, env: dict[str, str], what: str) -> None:
    done = runner.run([go, *args], cwd=cwd, env=env, timeout=BUILD_SECONDS)
    if done.returncode != 0:
        raise ToolFailed(f"setup: {what} failed: {one_line(done.stderr or done.stdout)}")


def _go_version(go: str) -> str:
    done = runner.run([go, "env", "GOVERSION"], timeout=60.0)
    if done.returncode != 0:
        raise ToolFailed(f"setup: `go env GOVERSION` failed: {one_line(done.stderr)}")
    return done.stdout.strip()


def _installed(path: Path, module: str, version: str) -> bool:
    """A binary `go install` made of exactly this main package at this module version."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    main = re.search(rb"path\t([^\t\n]+)\nmod\t", data)
    return (
        main is not None
        and main.group(1).decode() == module
        and toolchain.module_version(path) == version
    )


def _install(
    go: str, bindir: Path, name: str, module: str, version: str, progress: Progress
) -> Outcome:
    path = bindir / name
    start = time.monotonic()
    if _installed(path, module, version):
        return Outcome(name, path, False, time.monotonic() - start)
    progress(f"go install {module}@{version}")
    env = _env(GOBIN=str(bindir), GOFLAGS="-mod=mod")
    _go(go, ["install", f"{module}@{version}"], None, env, f"go install {module}@{version}")
    return Outcome(name, path, True, time.monotonic() - start)


def source_digest(src: Path, ldflags: str, go_version: str) -> str:
    """What a build depends on: every .go, go.mod and go.sum file, the flags, the Go version.

    Byte for byte what scripts/build-go-main.sh computed (`sha256sum` lines of the sorted
    `./path`s, `ldflags ...`, the Go version), so stamps written by either agree.
    """
    names = []
    for dirpath, _dirs, files in os.walk(src):
        rel = Path(dirpath).relative_to(src).as_posix()
        prefix = "./" if rel == "." else f"./{rel}/"
        for f in files:
            path = Path(dirpath, f)
            wanted = f.endswith(".go") or f in ("go.mod", "go.sum")
            if wanted and path.is_file() and not path.is_symlink():  # find -type f
                names.append(prefix + f)
    lines = [f"{_sha256(src / name)}  {name}\n" for name in sorted(names)]
    text = "".join(lines) + f"ldflags {ldflags}\n{go_version}\n"
    return hashlib.sha256(text.encode()).hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _meta(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}.{int(st.st_mtime)}"


def _current(binary: Path, digest: str) -> bool:
    """The binary was built from these sources and is still the file the stamp describes."""
    stamp = binary.with_name(binary.name + ".stamp")
    try:
        recorded = stamp.read_text().split()
    except OSError:
        return False
    if not binary.is_file() or len(recorded) < 2 or recorded[0] != digest:
        return False
    # Size and mtime as recorded spare hashing 100+ MB on every set-up.
    return (len(recorded) > 2 and recorded[2] == _meta(binary)) or _sha256(binary) == recorded[1]


def _build(
    go: str,
    go_version: str,
    bindir: Path,
    name: str,
    src: Path,
    ldflags: str,
    progress: Progress,
) -> Outcome:
    binary = bindir / name
    start = time.monotonic()
    digest = source_digest(src, ldflags, go_version)
    if _current(binary, digest):
        return Outcome(name, binary, False, time.monotonic() - start)
    progress(f"go build {name} from {src} (minutes the first time; Go caches it afterwards)")
    stamp = binary.with_name(name + ".stamp")
    stamp.unlink(missing_ok=True)
    tmp = binary.with_name(name + ".tmp")
    env = _env(GOFLAGS="-mod=readonly -buildvcs=false -trimpath")
    _go(go, ["build", "-ldflags", ldflags, "-o", str(tmp), "."], src, env, f"go build {name}")
    tmp.replace(binary)
    stamp.write_text(f"{digest} {_sha256(binary)} {_meta(binary)}\n")
    return Outcome(name, binary, True, time.monotonic() - start)


def _copy_crds(source: Path, dest: Path) -> Outcome:
    """The release's CRDs into the cache, replaced whole (never half-written)."""
    start = time.monotonic()
    crds = sorted((source / "config" / "crd" / "bases").glob("*.yaml"))
    if not crds:
        raise ToolNotFound(f"{source}/config/crd/bases holds no CRD: not a KubeRay source tree")
    same = dest.is_dir() and sorted(p.name for p in dest.iterdir()) == [p.name for p in crds]
    if same and all((dest / p.name).read_bytes() == p.read_bytes() for p in crds):
        return Outcome("kuberay-crds", dest, False, time.monotonic() - start)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    for p in crds:
        shutil.copyfile(p, tmp / p.name)
    if dest.exists():
        shutil.rmtree(dest)
    tmp.replace(dest)
    return Outcome("kuberay-crds", dest, True, time.monotonic() - start)
