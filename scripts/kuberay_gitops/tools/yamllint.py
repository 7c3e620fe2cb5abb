"""yamllint adapter: the repository's own YAML, through yamllint's Python API."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from yamllint import linter
from yamllint.config import YamlLintConfig, YamlLintConfigError

from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.findings import Finding, Location, Severity
from kuberay_gitops.repotree import skipped_dir

CONFIG = ".yamllint"
# The rules whose findings are wrong for everyone (the correctness profile): a file that
# does not parse, a key twice in one mapping (parsers keep one of them). The other rules
# are the `.yamllint` style of a platform.
CORRECTNESS_RULES = frozenset({"syntax", "key-duplicates"})


def _is_yaml(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml") or path.name == CONFIG


def yaml_files(repo_root: Path) -> list[Path]:
    """Every *.yaml / *.yml of the repository, outside tool and cache directories."""
    out: list[Path] = []
    stack = [repo_root]
    while stack:
        d = stack.pop()
        for p in sorted(d.iterdir()):
            if p.is_dir():
                if not skipped_dir(p.relative_to(repo_root).parts) and not p.is_symlink():
                    stack.append(p)
            elif _is_yaml(p):
                out.append(p)
    return sorted(out)


def only_yaml(paths: Iterable[Path], repo_root: Path) -> list[Path]:
    """The given paths that `yaml_files` would list: present YAML outside skipped dirs."""
    out = []
    for p in paths:
        parts = p.relative_to(repo_root).parts
        skipped = any(skipped_dir(parts[: i + 1]) for i in range(len(parts) - 1))
        if not skipped and _is_yaml(p) and os.path.lexists(p):
            out.append(p)
    return sorted(out)


def scope(policy_dir: Path, wanted: Iterable[str]) -> set[str] | None:
    """The files yamllint judges (repo-relative), or None for every YAML file.

    A repository with its own `.yamllint` chose yamllint for its YAML: every file its
    `ignore` leaves in, as its own yamllint run sees them. Any other repository (another
    team's, where Helm templates are no YAML until rendered) gets `wanted`, the files its
    targets read and the config: what the tool renders, nothing it was not asked about.
    """
    return None if (policy_dir / CONFIG).is_file() else set(wanted)


def load_config(repo_root: Path) -> YamlLintConfig:
    """The repository's .yamllint, else yamllint's default."""
    cfg_path = repo_root / CONFIG
    try:
        if cfg_path.is_file():
            return YamlLintConfig(file=str(cfg_path))
        return YamlLintConfig("extends: default")
    except YamlLintConfigError as exc:
        raise ConfigError(f"{CONFIG}: {exc}") from exc


def lint_texts(conf: YamlLintConfig, files: Iterable[tuple[str, str]]) -> Iterator[Finding]:
    """Yamllint findings for (repo-relative path, text) pairs already read by `inputs`.

    The text keeps its line endings (read as bytes), so the new-lines rule sees CRLF.
    """
    for rel, text in files:
        if conf.is_file_ignored(rel):
            continue
        for p in linter.run(text, conf, rel):
            rule = p.rule or "syntax"
            yield Finding(
                Location(rel, p.line, p.column),
                rule,
                Severity.ERROR if p.level == "error" else Severity.WARNING,
                p.desc,
                hint="fix the YAML as yamllint says; the rules are in .yamllint",
                source="yamllint",
            )
