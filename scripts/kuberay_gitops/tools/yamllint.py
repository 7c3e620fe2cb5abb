"""yamllint adapter: the repository's own YAML, through yamllint's Python API.

A file's problems are a function of its text, its path, yamllint's version and the
rules yamllint applies to that path (the config resolved: `extends`, per-rule `ignore`
and `ignore-from-file` folded in): `lint_texts` keeps them under the cache directory by
that key, so a warm run lints only what changed. yamllint is pure Python and was half of
a warm run over a repository of a hundred environments.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path

from yamllint import linter
from yamllint.config import YamlLintConfig, YamlLintConfigError

from kuberay_gitops import diskcache
from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.findings import Finding, Location, Severity
from kuberay_gitops.repotree import skipped_dir

CONFIG = ".yamllint"
# The rules whose findings are wrong for everyone (the correctness profile): a file that
# does not parse, a key twice in one mapping (parsers keep one of them). The other rules
# are the `.yamllint` style of a platform.
CORRECTNESS_RULES = frozenset({"syntax", "key-duplicates"})
# Under the cache directory: one entry per file text, path and config (`lint_texts`).
CACHE_DIR = "yamllint"
HINT = "fix the YAML as yamllint says; the rules are in .yamllint"
DEFAULT_CONFIG = "extends: default"
# A rule's settings that choose the files it applies to, not what it finds in them.
_SCOPE_KEYS = frozenset({"ignore", "ignore-from-file"})


def _is_yaml(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml") or path.name == CONFIG


def yaml_files(repo_root: Path) -> list[Path]:
    """Every *.yaml / *.yml of the repository, outside tool and cache directories."""
    out: list[Path] = []
    # os.scandir: an entry knows its type without a stat of its own (the walk is run on
    # every validate, by the engine detection among others).
    stack: list[tuple[Path, tuple[str, ...]]] = [(repo_root, ())]
    while stack:
        d, rel = stack.pop()
        with os.scandir(d) as entries:
            for entry in entries:
                p = d / entry.name
                # A link's target as Path.is_dir reads it: a loop or a dangling link is no
                # directory (DirEntry.is_dir would raise ELOOP/ENOTDIR and stop the run).
                if p.is_dir() if entry.is_symlink() else entry.is_dir():
                    parts = (*rel, entry.name)
                    if not skipped_dir(parts) and not entry.is_symlink():
                        stack.append((p, parts))
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
        return YamlLintConfig(DEFAULT_CONFIG)
    except YamlLintConfigError as exc:
        raise ConfigError(f"{CONFIG}: {exc}") from exc


# One problem of one file: line, column, rule, level, description.
Problem = tuple[int, int, str, str, str]


def _problems(conf: YamlLintConfig, rel: str, text: str) -> list[Problem]:
    """Yamllint's problems of one file."""
    return [
        (p.line, p.column, p.rule or "syntax", p.level, p.desc) for p in linter.run(text, conf, rel)
    ]


def _rules_for(conf: YamlLintConfig, rel: str) -> str:
    """The rules yamllint applies to `rel`, with their settings, as a stable text."""
    rules = {
        r.ID: {k: v for k, v in conf.rules[r.ID].items() if k not in _SCOPE_KEYS}
        for r in conf.enabled_rules(rel)
    }
    return json.dumps([conf.locale, rules], sort_keys=True, default=str)


def _stored(found: object) -> list[Problem] | None:
    """A cache entry's problems, or None when it is not what `_cached` writes."""
    if not isinstance(found, list):
        return None
    out: list[Problem] = []
    for item in found:
        if not (isinstance(item, list) and len(item) == 5):
            return None
        line, column, rule, level, desc = item
        if not (isinstance(line, int) and isinstance(column, int)):
            return None
        out.append((line, column, str(rule), str(level), str(desc)))
    return out


def _cached(
    conf: YamlLintConfig, rel: str, text: str, cache_dir: Path | None, salt: str
) -> list[Problem]:
    """`_problems`, from the entry of a run that linted this very text, path and rules."""
    if cache_dir is None:
        return _problems(conf, rel, text)
    key = diskcache.digest(salt, _rules_for(conf, rel), rel, text)
    entry = diskcache.verdict_path(cache_dir, CACHE_DIR, key)
    found = _stored(diskcache.read_json(entry))
    if found is not None:
        return found
    problems = _problems(conf, rel, text)
    diskcache.write_json(entry, problems)
    return problems


def lint_texts(
    conf: YamlLintConfig, files: Iterable[tuple[str, str]], cache_dir: Path | None = None
) -> Iterator[Finding]:
    """Yamllint findings for (repo-relative path, text) pairs already read by `inputs`.

    The text keeps its line endings (read as bytes), so the new-lines rule sees CRLF.
    `cache_dir` keeps each file's problems for the next run (None: not read, not kept).
    """
    salt = diskcache.digest("yamllint-verdicts-v2", metadata.version("yamllint"))
    for rel, text in files:
        if conf.is_file_ignored(rel):
            continue
        for line, column, rule, level, desc in _cached(conf, rel, text, cache_dir, salt):
            yield Finding(
                Location(rel, line, column),
                rule,
                Severity.ERROR if level == "error" else Severity.WARNING,
                desc,
                hint=HINT,
                source="yamllint",
            )
