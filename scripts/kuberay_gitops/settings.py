"""Settings: defaults < config file < environment (KUBERAY_GITOPS_*) < command line.

The config file is `kuberay-gitops.yaml` at the repository root. Unknown keys and wrong
types are configuration errors (exit 3) naming the key, so a typo never silently turns
a check off.
"""

from __future__ import annotations

import os
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from kuberay_gitops import bundle
from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.findings import Profile, Severity
from kuberay_gitops.gitops import Engine

CONFIG_FILE = "kuberay-gitops.yaml"
TOOLCHAIN_FILE = "toolchain.env"
ENV_PREFIX = "KUBERAY_GITOPS_"
MAX_CLUSTER_TIMEOUT = 600.0  # seconds an environment's operator may be waited for


@dataclass(frozen=True, slots=True)
class Mirror:
    """A remote kustomize base served offline from a local copy under the shared dir."""

    url: str
    ref: str
    source: str
    path: str


@dataclass(frozen=True, slots=True)
class AllowedKind:
    """A kind that may lack a schema, with the reason a reviewer accepted."""

    kind: str
    reason: str


@dataclass(frozen=True, slots=True)
class CheckovSkip:
    """A checkov check skipped for the whole repository, with the reviewed reason."""

    id: str
    reason: str


@dataclass(frozen=True, slots=True)
class CheckConfig:
    """Per-check overrides from the config file."""

    enabled: bool | None = None
    severity: Severity | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Suppression:
    """An accepted finding: check id, object `Kind/ns/name` (or `Kind/name`), optional target."""

    check: str
    object: str
    reason: str
    target: str | None = None


@dataclass(frozen=True, slots=True)
class PostureAllow:
    """A reviewed widening of the platform's posture (`posture.allow`, `posture.py`).

    Globs on the facet, the environment and the words of the widening, and why.
    """

    facet: str
    env: str
    match: str
    reason: str


@dataclass(frozen=True, slots=True)
class Prerequisites:
    """What an environment's cluster has before Argo CD syncs it, not owned by the repository.

    `crds`: CRD directories (relative to shared_dir); `namespaces`: namespaces that exist.
    """

    crds: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Toolchain:
    """Pinned versions (and the Go modules they are versions of) from toolchain.env."""

    kustomize: str
    kubeconform: str
    etcd: str = ""
    kube_apiserver: str = ""
    kustomize_module: str = ""
    kubeconform_module: str = ""
    operator: str = ""
    operator_module: str = ""
    operator_source: str = ""  # the operator's source tree, relative to shared_dir

    @property
    def key(self) -> str:
        """The name of the cache directory holding binaries of exactly these pins."""
        pins = (
            ("kustomize", self.kustomize),
            ("kubeconform", self.kubeconform),
            ("etcd", self.etcd),
            ("kube-apiserver", self.kube_apiserver),
            ("kuberay", self.operator),
        )
        return "_".join(f"{name}-{version}" for name, version in pins if version)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run needs to know, resolved once."""

    repo_root: Path
    toolchain: Toolchain
    kubernetes_version: str = "1.32.0"
    shared_dir: str = "../shared"
    crd_dirs: tuple[str, ...] = ()
    targets: tuple[str, ...] = ("overlays/*/*", "apps/*/overlays/*", "argocd")
    mirrors: tuple[Mirror, ...] = ()
    use_mirrors: bool = True
    render_timeout: float = 120.0  # one kustomize build
    # Caps per kustomize build (runner.Bounds): a hostile kustomization (a base included
    # twice per level) is a render[output-limit] / render[memory-limit] finding, not a
    # machine out of memory. 2 GiB is ~20x what this repository's largest build maps.
    render_output_mib: int = 64
    render_memory_mib: int = 2048
    schema_timeout: float = 480.0  # the one kubeconform run over every object
    checkov_timeout: float = 480.0  # the one checkov run
    render_cache: bool = True
    jobs: int = 0
    # Where the pinned binaries are; `load` fills it: the config's, else the cache's
    # `tools/<pins>` directory that `kuberay-gitops setup` builds into.
    tools_dir: str = ""
    cache_dir: str = "~/.cache/kuberay-gitops"
    allow_missing_schemas: tuple[AllowedKind, ...] = ()
    checks: Mapping[str, CheckConfig] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()
    repo_url: str = ""
    checkov_enabled: bool = True
    checkov_skips: tuple[CheckovSkip, ...] = ()
    allowed_remotes: tuple[str, ...] = ("https://github.com/ray-project/kuberay",)
    # True: the cluster stage must run (a twin not set up is exit 3); None (not configured):
    # it runs when the twin is set up and is a stated skip otherwise; False: never.
    cluster_enabled: bool | None = None
    cluster_timeout: float = 90.0
    cluster_prerequisites: Mapping[str, Prerequisites] = field(default_factory=dict)
    policy_root: Path | None = None
    posture_allow: tuple[PostureAllow, ...] = ()
    # Correctness unless the config says otherwise: a repository that never chose this
    # platform's policy is judged only by what is wrong for everyone.
    profile: Profile = Profile.CORRECTNESS
    # Who syncs the repository, as messages name it: detected once per run by `validate`
    # (`gitops.detect`), never configured.
    engine: Engine = Engine.NONE

    @property
    def policy_dir(self) -> Path:
        """Where policy comes from: `--policy-from` (the base branch), else the repository.

        Policy is the config, `.yamllint`, `toolchain.env` and the tools they name; with
        a separate policy root the repository under check is only data.
        """
        return self.policy_root or self.repo_root

    def resolve(self, path: str) -> Path:
        """A configured path, relative to the policy root unless absolute."""
        p = Path(os.path.expanduser(path))
        return p if p.is_absolute() else (self.policy_dir / p)

    @property
    def shared_path(self) -> Path:
        """The directory of read-only upstream material."""
        return self.resolve(self.shared_dir)

    @property
    def cache_path(self) -> Path:
        """Schemas, mirrors and renders: outside the checkout by default.

        So a read-only checkout validates, and a run never writes into the repository.
        """
        return self.resolve(self.cache_dir)

    @property
    def scratch_path(self) -> Path:
        """Temporary files of a run (objects handed to tools, base trees), inside the cache."""
        return self.cache_path / "tmp"

    @property
    def kuberay_crd_path(self) -> Path:
        """The KubeRay CRDs of the pinned operator module, fetched by `kuberay-gitops setup`."""
        return self.cache_path / "crds" / f"kuberay-{self.toolchain.operator}"

    def crd_paths(self) -> list[Path]:
        """CRD directories; relative entries are relative to the shared dir.

        A config naming none gets the KubeRay CRDs `setup` fetched (when it has run), so
        a RayCluster has a schema in any repository.
        """
        if not self.crd_dirs:
            crds = self.kuberay_crd_path
            return [crds] if self.toolchain.operator and crds.is_dir() else []
        out = []
        for entry in self.crd_dirs:
            p = Path(os.path.expanduser(entry))
            out.append(p if p.is_absolute() else self.shared_path / p)
        return out

    def prerequisite_paths(self, environment: str) -> list[Path]:
        """The CRD directories an environment's cluster has before Argo CD syncs it.

        Always inside the shared directory: the config may come from a pull request.
        """
        shared = self.shared_path.resolve()
        out = []
        for entry in self.cluster_prerequisites.get(environment, Prerequisites()).crds:
            p = (shared / entry).resolve()
            if not p.is_relative_to(shared):
                raise ConfigError(
                    f"{CONFIG_FILE}: cluster.prerequisites.{environment}.crds: {entry!r} is "
                    "not a directory inside shared_dir"
                )
            out.append(p)
        return out

    @property
    def effective_jobs(self) -> int:
        """Parallel renders: configured, else one per core."""
        return self.jobs if self.jobs > 0 else max(1, os.cpu_count() or 1)


_TOP_KEYS = frozenset(
    {
        "version",
        "kubernetes_version",
        "shared_dir",
        "crd_dirs",
        "targets",
        "mirrors",
        "render",
        "schema",
        "checks",
        "suppressions",
        "argocd",
        "checkov",
        "allowed_remotes",
        "cluster",
        "cache_dir",
        "tools_dir",
        "profile",
        "posture",
    }
)

_ENV_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "SHARED_DIR": "shared_dir",
        "KUBERNETES_VERSION": "kubernetes_version",
        "CACHE_DIR": "cache_dir",
        "TOOLS_DIR": "tools_dir",
        "JOBS": "jobs",
        "MIRRORS": "use_mirrors",
    }
)


def _at_least(value: int, low: int, key: str) -> int:
    if value < low:
        raise ConfigError(f"config: {key}: expected at least {low}, got {value}")
    return value


def _expect(value: Any, typ: type | tuple[type, ...], key: str) -> Any:
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        names = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise ConfigError(f"config: {key}: expected {names}, got {type(value).__name__}")
    return value


def _only_keys(data: Mapping[str, Any], allowed: Container[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise ConfigError(f'config: {where}: unknown key "{key}"')


def _str_list(value: Any, key: str) -> tuple[str, ...]:
    items = _expect(value, list, key)
    return tuple(_expect(v, str, f"{key}[{i}]") for i, v in enumerate(items))


def _reason(entry: Mapping[str, Any], key: str) -> str:
    """A reviewed exception (allow-listed kind, suppression, skipped check) needs its why."""
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ConfigError(f"config: {key}.reason: a non-empty reason is required")
    return reason


def _normalize_k8s_version(value: str, key: str) -> str:
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?", value.strip())
    if not m:
        raise ConfigError(f'config: {key}: "{value}" is not a Kubernetes version like 1.32')
    return f"{m.group(1)}.{m.group(2)}.{m.group(3) or 0}"


def read_toolchain(repo_root: Path) -> Toolchain:
    """Parse toolchain.env, the single place versions are pinned.

    The repository's own when it has one (this repository, whose `make setup` builds from
    it), else the copy the installed package carries (`bundle`): the same file.
    """
    path = repo_root / TOOLCHAIN_FILE
    if not path.is_file():
        path = bundle.toolchain_file()
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{TOOLCHAIN_FILE}: cannot read ({exc.strerror})") from exc
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            values[k.strip()] = v.strip()
    try:
        return Toolchain(
            kustomize=values["KUSTOMIZE_VERSION"],
            kubeconform=values["KUBECONFORM_VERSION"],
            etcd=values.get("ETCD_VERSION", ""),
            kube_apiserver=values.get("KUBE_APISERVER_VERSION", ""),
            kustomize_module=values.get("KUSTOMIZE_MODULE", ""),
            kubeconform_module=values.get("KUBECONFORM_MODULE", ""),
            operator=values.get("KUBERAY_OPERATOR_VERSION", ""),
            operator_module=values.get("KUBERAY_OPERATOR_MODULE", ""),
            operator_source=values.get("KUBERAY_OPERATOR_SOURCE", ""),
        )
    except KeyError as exc:
        raise ConfigError(f"{TOOLCHAIN_FILE}: missing {exc.args[0]}") from exc


def _parse_file(data: Mapping[str, Any], base: Settings) -> Settings:
    _only_keys(data, _TOP_KEYS, "top level")
    s = base
    if "version" in data and data["version"] != 1:
        raise ConfigError(f"config: version: unsupported version {data['version']!r} (expected 1)")
    if "kubernetes_version" in data:
        v = _expect(data["kubernetes_version"], (str, int, float), "kubernetes_version")
        s = replace(s, kubernetes_version=_normalize_k8s_version(str(v), "kubernetes_version"))
    if "profile" in data:
        p = _expect(data["profile"], str, "profile")
        if p not in {x.value for x in Profile}:
            names = " or ".join(x.value for x in Profile)
            raise ConfigError(f"config: profile: expected {names}, got {p!r}")
        s = replace(s, profile=Profile(p))
    if "shared_dir" in data:
        s = replace(s, shared_dir=_expect(data["shared_dir"], str, "shared_dir"))
    if "cache_dir" in data:
        s = replace(s, cache_dir=_expect(data["cache_dir"], str, "cache_dir"))
    if "tools_dir" in data:
        s = replace(s, tools_dir=_expect(data["tools_dir"], str, "tools_dir"))
    if "crd_dirs" in data:
        s = replace(s, crd_dirs=_str_list(data["crd_dirs"], "crd_dirs"))
    if "targets" in data:
        s = replace(s, targets=_str_list(data["targets"], "targets"))
    if "mirrors" in data:
        mirrors = []
        for i, m in enumerate(_expect(data["mirrors"], list, "mirrors")):
            key = f"mirrors[{i}]"
            _expect(m, dict, key)
            _only_keys(m, {"url", "ref", "source", "path"}, key)
            try:
                mirrors.append(
                    Mirror(
                        url=_expect(m["url"], str, f"{key}.url"),
                        ref=_expect(m["ref"], str, f"{key}.ref"),
                        source=_expect(m["source"], str, f"{key}.source"),
                        path=_expect(m["path"], str, f"{key}.path"),
                    )
                )
            except KeyError as exc:
                raise ConfigError(f'config: {key}: missing key "{exc.args[0]}"') from exc
        s = replace(s, mirrors=tuple(mirrors))
    if "render" in data:
        r = _expect(data["render"], dict, "render")
        _only_keys(
            r,
            {"timeout_seconds", "jobs", "mirrors", "cache", "output_limit_mib", "memory_limit_mib"},
            "render",
        )
        if "output_limit_mib" in r:
            mib = _expect(r["output_limit_mib"], int, "render.output_limit_mib")
            s = replace(s, render_output_mib=_at_least(mib, 1, "render.output_limit_mib"))
        if "memory_limit_mib" in r:
            mib = _expect(r["memory_limit_mib"], int, "render.memory_limit_mib")
            # Below ~128 MiB the Go runtime of kustomize cannot even start.
            s = replace(s, render_memory_mib=_at_least(mib, 256, "render.memory_limit_mib"))
        if "cache" in r:
            s = replace(s, render_cache=_expect(r["cache"], bool, "render.cache"))
        if "timeout_seconds" in r:
            t = _expect(r["timeout_seconds"], (int, float), "render.timeout_seconds")
            s = replace(s, render_timeout=float(t))
        if "jobs" in r:
            s = replace(s, jobs=_expect(r["jobs"], int, "render.jobs"))
        if "mirrors" in r:
            s = replace(s, use_mirrors=_expect(r["mirrors"], bool, "render.mirrors"))
    if "schema" in data:
        sc = _expect(data["schema"], dict, "schema")
        _only_keys(sc, {"allow_missing", "timeout_seconds"}, "schema")
        if "timeout_seconds" in sc:
            t = _expect(sc["timeout_seconds"], (int, float), "schema.timeout_seconds")
            s = replace(s, schema_timeout=float(t))
        allowed = []
        for i, a in enumerate(_expect(sc.get("allow_missing", []), list, "schema.allow_missing")):
            key = f"schema.allow_missing[{i}]"
            _expect(a, dict, key)
            _only_keys(a, {"kind", "reason"}, key)
            reason = _reason(a, key)
            allowed.append(
                AllowedKind(kind=_expect(a.get("kind"), str, f"{key}.kind"), reason=reason)
            )
        s = replace(s, allow_missing_schemas=tuple(allowed))
    if "checks" in data:
        checks: dict[str, CheckConfig] = {}
        for cid, conf in _expect(data["checks"], dict, "checks").items():
            key = f'checks "{cid}"'
            _expect(conf, dict, key)
            _only_keys(conf, {"enabled", "severity", "options"}, key)
            sev = conf.get("severity")
            if sev is not None and sev not in {x.value for x in Severity}:
                raise ConfigError(f"config: {key}: severity must be error or warning, got {sev!r}")
            checks[str(cid)] = CheckConfig(
                enabled=_expect(conf["enabled"], bool, f"{key}.enabled")
                if "enabled" in conf
                else None,
                severity=Severity(sev) if sev is not None else None,
                options=_expect(conf.get("options", {}), dict, f"{key}.options"),
            )
        s = replace(s, checks=checks)
    if "suppressions" in data:
        sups = []
        for i, sup in enumerate(_expect(data["suppressions"], list, "suppressions")):
            key = f"suppressions[{i}]"
            _expect(sup, dict, key)
            _only_keys(sup, {"check", "object", "target", "reason"}, key)
            reason = _reason(sup, key)
            sups.append(
                Suppression(
                    check=_expect(sup.get("check"), str, f"{key}.check"),
                    object=_expect(sup.get("object"), str, f"{key}.object"),
                    target=_expect(sup["target"], str, f"{key}.target")
                    if "target" in sup
                    else None,
                    reason=reason,
                )
            )
        s = replace(s, suppressions=tuple(sups))
    if "checkov" in data:
        c = _expect(data["checkov"], dict, "checkov")
        _only_keys(c, {"enabled", "skip", "timeout_seconds"}, "checkov")
        if "timeout_seconds" in c:
            t = _expect(c["timeout_seconds"], (int, float), "checkov.timeout_seconds")
            s = replace(s, checkov_timeout=float(t))
        if "enabled" in c:
            s = replace(s, checkov_enabled=_expect(c["enabled"], bool, "checkov.enabled"))
        skips = []
        for i, sk in enumerate(_expect(c.get("skip", []), list, "checkov.skip")):
            key = f"checkov.skip[{i}]"
            _expect(sk, dict, key)
            _only_keys(sk, {"id", "reason"}, key)
            reason = _reason(sk, key)
            skips.append(CheckovSkip(_expect(sk.get("id"), str, f"{key}.id"), reason))
        s = replace(s, checkov_skips=tuple(skips))
    if "allowed_remotes" in data:
        s = replace(s, allowed_remotes=_str_list(data["allowed_remotes"], "allowed_remotes"))
    if "cluster" in data:
        s = _parse_cluster(_expect(data["cluster"], dict, "cluster"), s)
    if "posture" in data:
        s = _parse_posture(_expect(data["posture"], dict, "posture"), s)
    if "argocd" in data:
        a = _expect(data["argocd"], dict, "argocd")
        _only_keys(a, {"repo_url"}, "argocd")
        if "repo_url" in a:
            s = replace(s, repo_url=_expect(a["repo_url"], str, "argocd.repo_url"))
    return s


def _parse_posture(p: Mapping[str, Any], s: Settings) -> Settings:
    """The `posture:` section: reviewed widenings the posture diff lets through."""
    _only_keys(p, {"allow"}, "posture")
    entries = []
    for i, entry in enumerate(_expect(p.get("allow", []), list, "posture.allow")):
        key = f"posture.allow[{i}]"
        _expect(entry, dict, key)
        _only_keys(entry, {"facet", "env", "match", "reason"}, key)
        entries.append(
            PostureAllow(
                facet=_expect(entry.get("facet", "*"), str, f"{key}.facet"),
                env=_expect(entry.get("env", "*"), str, f"{key}.env"),
                match=_expect(entry.get("match"), str, f"{key}.match"),
                reason=_reason(entry, key),
            )
        )
    return replace(s, posture_allow=tuple(entries))


def _parse_cluster(c: Mapping[str, Any], s: Settings) -> Settings:
    """The `cluster:` section: the control-plane twin of every environment."""
    _only_keys(c, {"enabled", "timeout_seconds", "prerequisites"}, "cluster")
    if "enabled" in c:
        s = replace(s, cluster_enabled=_expect(c["enabled"], bool, "cluster.enabled"))
    if "timeout_seconds" in c:
        t = _expect(c["timeout_seconds"], (int, float), "cluster.timeout_seconds")
        if not 0 < t <= MAX_CLUSTER_TIMEOUT:
            raise ConfigError(
                f"config: cluster.timeout_seconds: must be above 0 and at most "
                f"{MAX_CLUSTER_TIMEOUT:g}"
            )
        s = replace(s, cluster_timeout=float(t))
    if "prerequisites" in c:
        pre = _expect(c["prerequisites"], dict, "cluster.prerequisites")
        out: dict[str, Prerequisites] = {}
        for env, entry in pre.items():
            key = f"cluster.prerequisites.{env}"
            _expect(entry, dict, key)
            _only_keys(entry, {"crds", "namespaces"}, key)
            out[str(env)] = Prerequisites(
                crds=_str_list(entry.get("crds", []), f"{key}.crds"),
                namespaces=_str_list(entry.get("namespaces", []), f"{key}.namespaces"),
            )
        s = replace(s, cluster_prerequisites=out)
    return s


def _apply_overrides(s: Settings, overrides: Mapping[str, str | None], origin: str) -> Settings:
    for key, raw in overrides.items():
        if raw is None:
            continue
        if key == "kubernetes_version":
            s = replace(s, kubernetes_version=_normalize_k8s_version(raw, f"{origin} {key}"))
        elif key == "jobs":
            if not raw.isdigit():
                raise ConfigError(f"{origin} {key}: expected a whole number, got {raw!r}")
            s = replace(s, jobs=int(raw))
        elif key == "use_mirrors":
            if raw.lower() not in {"0", "1", "true", "false", "on", "off"}:
                raise ConfigError(f"{origin} {key}: expected on or off, got {raw!r}")
            s = replace(s, use_mirrors=raw.lower() in {"1", "true", "on"})
        elif key == "shared_dir":
            s = replace(s, shared_dir=raw)
        elif key == "cache_dir":
            s = replace(s, cache_dir=raw)
        elif key == "tools_dir":
            s = replace(s, tools_dir=raw)
        else:  # pragma: no cover - the key sets above are closed
            raise ConfigError(f"{origin}: unknown setting {key}")
    return s


def default_cache_dir(environ: Mapping[str, str]) -> str:
    """The XDG base-directory cache: $XDG_CACHE_HOME/kuberay-gitops, else ~/.cache/kuberay-gitops.

    A relative XDG_CACHE_HOME is invalid per the specification and ignored.
    """
    xdg = environ.get("XDG_CACHE_HOME", "")
    base = xdg if xdg and os.path.isabs(xdg) else os.path.join("~", ".cache")
    return os.path.join(base, "kuberay-gitops")


def load(
    repo_root: Path,
    cli: Mapping[str, str | None] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    policy_root: Path | None = None,
) -> Settings:
    """Resolve settings with the documented precedence CLI > environment > file > defaults.

    With `policy_root` (a checkout of the base branch) the config and toolchain come from
    there, and configured paths are relative to it: nothing in `repo_root` decides.
    """
    root = repo_root.resolve()
    policy = policy_root.resolve() if policy_root is not None else None
    environ = os.environ if env is None else env
    s = Settings(
        repo_root=root,
        toolchain=read_toolchain(policy or root),
        cache_dir=default_cache_dir(environ),
        policy_root=policy,
    )
    path = config_file or (policy or root) / CONFIG_FILE
    if path.exists():
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{path.name}{where}: not valid YAML") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path.name}: expected a mapping at the top level")
        try:
            s = _parse_file(data, s)
        except ConfigError as exc:  # name the file the key is in
            raise ConfigError(str(exc).replace("config:", f"{path.name}:", 1)) from exc
    elif config_file is not None:
        raise ConfigError(f"config file {config_file} does not exist")
    env_over = {attr: environ.get(ENV_PREFIX + name) for name, attr in _ENV_KEYS.items()}
    s = _apply_overrides(s, env_over, "environment")
    s = _apply_overrides(s, dict(cli or {}), "option")
    if not s.tools_dir:  # one directory per set of pins: a new pin never reuses an old build
        s = replace(s, tools_dir=os.path.join(s.cache_dir, "tools", s.toolchain.key))
    return s
