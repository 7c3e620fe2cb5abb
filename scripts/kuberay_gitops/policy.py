"""What a pull request changes in the policy that judges it: each change is a finding.

The trust boundary: on a pull request the verdict comes from the base branch's tool and
policy (`validate --policy-from <base checkout>`), applied to the pull request's content.
The pull request's own policy files are data. They are never used, but a change to them
is what reviewers must see: each becomes a `policy-change` finding (a warning: it does not
block, `.github/CODEOWNERS` makes the platform team review it), and a change that weakens
the check says how: a check disabled or downgraded, a suppression or skip added, an
allow-list widened, a tool, cache or mirror moved.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from kuberay_gitops import checks as registry
from kuberay_gitops import inputs
from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.findings import Finding, Location, Severity
from kuberay_gitops.repotree import skipped_dir
from kuberay_gitops.settings import CONFIG_FILE, TOOLCHAIN_FILE, CheckConfig, Settings, load

CHECK_ID = "policy-change"
CHECK_IDS = (CHECK_ID,)
# The files that decide a verdict, besides the config compared key by key: the tool
# itself, what sets it up, what runs it.
POLICY_FILES = (TOOLCHAIN_FILE, ".yamllint", "Makefile", "pyproject.toml", "requirements.txt")
POLICY_DIRS = ("scripts", "toolchain", ".github", ".ci")
HINT = (
    "policy comes from the base branch: this change takes effect only once merged; "
    "a platform owner (.github/CODEOWNERS) must review it"
)
_SKIP_DIRS = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})


@dataclass(frozen=True, slots=True)
class _Config:
    settings: Settings | None
    error: str | None
    lines: Mapping[tuple[str, ...], int]


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """1-based line of every mapping key path of a YAML document (for locating changes)."""
    out: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = (*path, str(k.value))
                out.setdefault(key, k.start_mark.line + 1)
                walk(v, key)

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return out
    if root is not None:
        walk(root, ())
    return out


def _config(root: Path) -> _Config:
    path = root / CONFIG_FILE
    text = path.read_text(errors="replace") if path.is_file() else ""
    try:
        settings = load(root, env={})
    except ConfigError as exc:
        return _Config(None, str(exc), _key_lines(text))
    return _Config(settings, None, _key_lines(text))


def _entry(path: Path) -> str:
    """What a policy path is, compared across checkouts: kind, executable bit, content hash.

    `lstat`, so a symlink or FIFO is reported as what it is and never followed or read;
    content is hashed in chunks up to a cap (a huge file is its size and first bytes).
    """
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        return f"symlink to {os.readlink(path)}"
    if not stat.S_ISREG(st.st_mode):
        return f"special file {stat.filemode(st.st_mode)}"
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for _ in range(_MAX_BYTES // _CHUNK):
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            digest.update(chunk)
    return f"file {'x' if st.st_mode & 0o111 else '-'} {st.st_size} {digest.hexdigest()}"


_CHUNK = 1 << 20
_MAX_BYTES = 64 << 20


def _files(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in POLICY_FILES:
        if os.path.lexists(root / name):
            out[name] = _entry(root / name)
    for top in POLICY_DIRS:
        if (root / top).is_symlink():
            out[top] = _entry(root / top)
            continue
        for dirpath, dirnames, filenames in os.walk(root / top):
            here = Path(dirpath)
            kept = []
            for d in sorted(dirnames):
                if d in _SKIP_DIRS:
                    continue
                if (here / d).is_symlink():  # not walked: reported as the link it is
                    out[(here / d).relative_to(root).as_posix()] = _entry(here / d)
                else:
                    kept.append(d)
            dirnames[:] = kept
            for f in filenames:
                if not f.endswith(".pyc"):
                    out[(here / f).relative_to(root).as_posix()] = _entry(here / f)
    return out


def _finding(path: str, line: int, message: str) -> Finding:
    return Finding(Location(path, line), CHECK_ID, Severity.WARNING, message, hint=HINT)


def _line(cfg: _Config, *keys: str) -> int:
    for end in range(len(keys), 0, -1):
        if keys[:end] in cfg.lines:
            return cfg.lines[keys[:end]]
    return 1


def _added(old: Sequence[Any], new: Sequence[Any]) -> list[Any]:
    return [x for x in new if x not in old]


def _config_changes(base: _Config, head: _Config) -> Iterator[Finding]:
    """Key by key, what the pull request's config would change."""
    if head.settings is None:  # would break main once merged: this one blocks
        yield Finding(
            Location(CONFIG_FILE, 1),
            CHECK_ID,
            Severity.ERROR,
            f"the pull request's config is not valid: {head.error}",
            hint=HINT,
        )
        return
    if base.settings is None:
        return  # the base has no valid config to compare with: the file diff says it changed
    b, h = base.settings, head.settings

    def at(*keys: str) -> int:
        return _line(head, *keys)

    for check_id in sorted(set(b.checks) | set(h.checks)):
        bc, hc = b.checks.get(check_id), h.checks.get(check_id)
        was = bc.enabled if bc and bc.enabled is not None else True
        now = hc.enabled if hc and hc.enabled is not None else True
        if was and not now:
            line = at("checks", check_id, "enabled")
            yield _finding(CONFIG_FILE, line, f"check {check_id} is disabled")
        b_sev = _severity(check_id, bc)
        h_sev = _severity(check_id, hc)
        if b_sev is not None and h_sev is not None and h_sev.rank < b_sev.rank:
            line = at("checks", check_id, "severity")
            yield _finding(
                CONFIG_FILE,
                line,
                f"check {check_id} is downgraded from {b_sev.value} to {h_sev.value}",
            )
        b_opt = dict(bc.options) if bc else {}
        h_opt = dict(hc.options) if hc else {}
        for key in sorted(set(b_opt) | set(h_opt)):
            if b_opt.get(key) != h_opt.get(key):
                line = at("checks", check_id, "options", key)
                yield _finding(
                    CONFIG_FILE,
                    line,
                    f"option {key} of check {check_id} changes from {b_opt.get(key)!r} "
                    f"to {h_opt.get(key)!r}",
                )
    for sup in _added(b.suppressions, h.suppressions):
        yield _finding(
            CONFIG_FILE,
            at("suppressions"),
            f"suppression added: {sup.check} on {sup.object} ({sup.reason})",
        )
    for skip in _added(b.checkov_skips, h.checkov_skips):
        yield _finding(
            CONFIG_FILE, at("checkov"), f"checkov check {skip.id} skipped ({skip.reason})"
        )
    for kind in _added(b.allow_missing_schemas, h.allow_missing_schemas):
        yield _finding(
            CONFIG_FILE, at("schema"), f"kind {kind.kind} may now lack a schema ({kind.reason})"
        )
    for entry in _added(b.posture_allow, h.posture_allow):
        yield _finding(
            CONFIG_FILE,
            at("posture", "allow"),
            f"posture.allow entry added: {entry.facet} widenings in {entry.env} matching "
            f'"{entry.match}" ({entry.reason})',
        )
    for remote in _added(b.allowed_remotes, h.allowed_remotes):
        yield _finding(CONFIG_FILE, at("allowed_remotes"), f"remote base {remote} is allowed")
    if b.checkov_enabled and not h.checkov_enabled:
        yield _finding(CONFIG_FILE, at("checkov"), "checkov is disabled")
    if b.cluster_enabled is not False and h.cluster_enabled is False:
        yield _finding(CONFIG_FILE, at("cluster"), "the cluster stage is disabled")
    elif b.cluster_enabled and h.cluster_enabled is None:
        yield _finding(
            CONFIG_FILE, at("cluster"), "the cluster stage is no longer required (cluster.enabled)"
        )
    if b.profile is not h.profile:
        change = "downgraded" if b.profile.includes(h.profile) else "changed"
        yield _finding(
            CONFIG_FILE,
            at("profile"),
            f"profile is {change} from {b.profile.value} to {h.profile.value}"
            + (": the platform checks no longer run" if change == "downgraded" else ""),
        )
    compared = {"checks", "suppressions", "checkov_skips", "allow_missing_schemas", "profile"}
    compared |= {"posture_allow"}
    compared |= {"allowed_remotes", "checkov_enabled", "cluster_enabled"}
    for attr in sorted(f.name for f in fields(Settings)):
        if attr in compared or attr in _NOT_POLICY:
            continue
        if getattr(b, attr) != getattr(h, attr):
            key = _CONFIG_KEYS.get(attr, attr)
            yield _finding(
                CONFIG_FILE,
                at(*key.split(".")),
                f"{key} changes from {_show(getattr(b, attr))} to {_show(getattr(h, attr))}",
            )


def _severity(check_id: str, conf: CheckConfig | None) -> Severity | None:
    """The severity a check runs at: its config, else its own default."""
    if conf is not None and conf.severity is not None:
        return conf.severity
    module = registry.REGISTRY.get(check_id.split("[", 1)[0])
    return registry.spec(module).severity if module is not None else None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


# Settings fields and the config key that sets them (where the names differ).
_CONFIG_KEYS = MappingProxyType(
    {
        "render_timeout": "render.timeout_seconds",
        "schema_timeout": "schema.timeout_seconds",
        "checkov_timeout": "checkov.timeout_seconds",
        "cluster_timeout": "cluster.timeout_seconds",
        "cluster_prerequisites": "cluster.prerequisites",
        "render_cache": "render.cache",
        "render_output_mib": "render.output_limit_mib",
        "render_memory_mib": "render.memory_limit_mib",
        "use_mirrors": "render.mirrors",
        "jobs": "render.jobs",
        "repo_url": "argocd.repo_url",
    }
)
# Where the run happens, not what it judges.
_NOT_POLICY = frozenset({"repo_root", "policy_root", "toolchain"})


# checkov skips a check on an object whose annotation key contains one of these
# (checkov.kubernetes.kubernetes_utils.SKIP_ANNOTATION_PREFIXES, a substring test).
SKIP_ANNOTATIONS = ("checkov.io/skip", "bridgecrew.io/skip", "cortex.io/skip")


def _mentions_skip(text: str) -> bool:
    """Whether a string names a skip annotation, also as a JSON pointer (`~1`) or escaped."""
    plain = text.replace("\\", "").replace("~1", "/")
    return any(prefix in plain for prefix in SKIP_ANNOTATIONS)


def _skip_annotations(root: Path) -> dict[tuple[str, str], list[int]]:
    """(file, text) of every checkov skip annotation in the content, and its lines.

    A skip annotation is policy written into content: it switches a check off for one
    object. Every content file is read (kustomize reads resources of any name), never a
    policy file, a symlink or a file the input limits refuse; YAML is read by scalar (so
    escapes, flow style and inline patches are seen as kustomize sees them), anything else
    line by line.
    """
    out: dict[tuple[str, str], list[int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel_dir = here.relative_to(root)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".")
            and not (here / d).is_symlink()
            and not skipped_dir((*rel_dir.parts, d))
            and (rel_dir / d).as_posix() not in POLICY_DIRS
        )
        for name in sorted(filenames):
            rel = (rel_dir / name).as_posix()
            if rel in POLICY_FILES or rel == CONFIG_FILE or (here / name).is_symlink():
                continue
            text = inputs.inspect(root, here / name).text
            if text is None or not _mentions_skip(text):
                continue
            for line, shown in _skip_lines(text):
                out.setdefault((rel, shown), []).append(line)
    return out


def _skip_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line, what it says) of each skip annotation in one file."""
    try:
        nodes = [n for n in yaml.compose_all(text, Loader=yaml.SafeLoader) if n is not None]
    except yaml.YAMLError:
        nodes = None
    if nodes is None:
        for i, line in enumerate(text.splitlines(), 1):
            if _mentions_skip(line):
                yield i, line.strip()
        return
    stack: list[yaml.Node] = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and _mentions_skip(str(key.value)):
                    said = value.value if isinstance(value, yaml.ScalarNode) else "..."
                    yield key.start_mark.line + 1, f"{key.value}: {said}"
                else:
                    stack.extend((value, key))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.ScalarNode) and _mentions_skip(str(node.value)):
            lines = str(node.value).splitlines() or [""]
            i, said = next((i, s) for i, s in enumerate(lines) if _mentions_skip(s))
            block = node.style in ("|", ">")  # its content starts on the line after the indicator
            yield node.start_mark.line + 1 + i + (1 if block else 0), said.strip()


def _skip_changes(base_root: Path, head_root: Path) -> Iterator[Finding]:
    """Skip annotations the pull request adds (a copy of one the base has counts too)."""
    base = _skip_annotations(base_root)
    for (rel, shown), lines in sorted(_skip_annotations(head_root).items()):
        for line in lines[len(base.get((rel, shown), [])) :]:
            yield _finding(rel, line, f"checkov skip added by annotation ({shown})")


def changes(base_root: Path, head_root: Path) -> list[Finding]:
    """Every policy change from the base checkout to the pull request's, as findings."""
    out = list(_config_changes(_config(base_root), _config(head_root)))
    out.extend(_skip_changes(base_root, head_root))
    base_files, head_files = _files(base_root), _files(head_root)
    for path in sorted(set(base_files) | set(head_files)):
        if path not in head_files:
            out.append(_finding(path, 1, f"{path} is deleted"))
        elif path not in base_files:
            out.append(_finding(path, 1, f"{path} is added"))
        elif base_files[path] != head_files[path]:
            out.append(_finding(path, 1, f"{path} changes"))
    return out
