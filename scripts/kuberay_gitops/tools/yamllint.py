"""yamllint adapter: the repository's own YAML, through yamllint's Python API."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from yamllint import linter
from yamllint.config import YamlLintConfig, YamlLintConfigError

from kuberay_gitops.discover import SKIP_DIRS
from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.findings import Finding, Location, Severity

CONFIG = ".yamllint"


def yaml_files(repo_root: Path) -> list[Path]:
    """Every *.yaml / *.yml of the repository, outside tool and cache directories."""
    out: list[Path] = []
    stack = [repo_root]
    while stack:
        d = stack.pop()
        for p in sorted(d.iterdir()):
            if p.is_dir():
                if p.name not in SKIP_DIRS and not p.is_symlink():
                    stack.append(p)
            elif p.suffix in (".yaml", ".yml") or p.name == CONFIG:
                out.append(p)
    return sorted(out)


def lint(repo_root: Path, files: Sequence[Path] | None = None) -> Iterator[Finding]:
    """Yamllint findings for every repository YAML file, with the project config."""
    cfg_path = repo_root / CONFIG
    try:
        conf = (
            YamlLintConfig(file=str(cfg_path))
            if cfg_path.is_file()
            else YamlLintConfig("extends: default")
        )
    except YamlLintConfigError as exc:
        raise ConfigError(f"{CONFIG}: {exc}") from exc
    for path in yaml_files(repo_root) if files is None else files:
        rel = path.relative_to(repo_root).as_posix()
        if conf.is_file_ignored(rel):
            continue
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            yield Finding(Location(rel), "unreadable", Severity.ERROR, str(exc), source="yamllint")
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
