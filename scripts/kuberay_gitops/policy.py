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

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.findings import Finding, Location, Severity
from kuberay_gitops.settings import CONFIG_FILE, TOOLCHAIN_FILE, Settings, load

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


def _files(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for name in POLICY_FILES:
        if (root / name).is_file() and not (root / name).is_symlink():
            out[name] = (root / name).read_bytes()
    for top in POLICY_DIRS:
        for dirpath, dirnames, filenames in os.walk(root / top):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            for f in filenames:
                p = Path(dirpath) / f
                if p.is_file() and not p.is_symlink() and p.suffix != ".pyc":
                    out[p.relative_to(root).as_posix()] = p.read_bytes()
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
    if head.settings is None:
        yield _finding(CONFIG_FILE, 1, f"the pull request's config is not valid: {head.error}")
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
        b_sev = bc.severity if bc else None
        h_sev = hc.severity if hc else None
        if h_sev is not None and h_sev != b_sev and h_sev is not Severity.ERROR:
            line = at("checks", check_id, "severity")
            yield _finding(CONFIG_FILE, line, f"check {check_id} is downgraded to {h_sev.value}")
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
    for remote in _added(b.allowed_remotes, h.allowed_remotes):
        yield _finding(CONFIG_FILE, at("allowed_remotes"), f"remote base {remote} is allowed")
    if b.checkov_enabled and not h.checkov_enabled:
        yield _finding(CONFIG_FILE, at("checkov"), "checkov is disabled")
    if b.cluster_enabled and not h.cluster_enabled:
        yield _finding(CONFIG_FILE, at("cluster"), "the cluster stage is disabled")
    for attr, key in (
        ("tools_dir", "tools_dir"),
        ("cache_dir", "cache_dir"),
        ("shared_dir", "shared_dir"),
        ("targets", "targets"),
        ("mirrors", "mirrors"),
        ("crd_dirs", "crd_dirs"),
        ("cluster_prerequisites", "cluster"),
        ("kubernetes_version", "kubernetes_version"),
    ):
        if getattr(b, attr) != getattr(h, attr):
            yield _finding(CONFIG_FILE, at(key), f"{key} changes")


def changes(base_root: Path, head_root: Path) -> list[Finding]:
    """Every policy change from the base checkout to the pull request's, as findings."""
    out = list(_config_changes(_config(base_root), _config(head_root)))
    base_files, head_files = _files(base_root), _files(head_root)
    for path in sorted(set(base_files) | set(head_files)):
        if path not in head_files:
            out.append(_finding(path, 1, f"{path} is deleted"))
        elif path not in base_files:
            out.append(_finding(path, 1, f"{path} is added"))
        elif base_files[path] != head_files[path]:
            out.append(_finding(path, 1, f"{path} changes"))
    return out
