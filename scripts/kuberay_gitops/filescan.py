"""The per-file stages: input limits, yamllint and the secret scan over repository files.

Every YAML file of the repository (or, for `--changed-since`, the changed ones) and every
file a render target's build reads, wherever it lives, is read once under the input
limits (`inputs`), linted under the policy's `.yamllint` (`yamllint.scope`: the files the
targets read and the config, unless the repository has its own) and scanned for secrets;
the non-YAML files a build reads (generator `.env` files) are scanned too. `text_findings`
does the same for the texts `validate --manifests` read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kuberay_gitops import inputs, secretscan
from kuberay_gitops.discover import RenderTarget
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.findings import Finding
from kuberay_gitops.kgraph import dependencies
from kuberay_gitops.settings import CONFIG_FILE, Settings
from kuberay_gitops.tools import yamllint

YAML_SUFFIXES = frozenset({".yaml", ".yml"})


def file_findings(
    settings: Settings,
    files: Sequence[str] | None,
    cache: RunCache,
    targets: Sequence[RenderTarget] = (),
    *,
    lint: bool = True,
    secrets: bool = True,
    cache_dir: Path | None = None,
) -> list[Finding]:
    """Input limits, yamllint and the secret scan over repository files (all, or `files`).

    `cache_dir` keeps yamllint's verdict on each file text for the next run.
    """
    root = settings.repo_root
    lint_paths = (
        yamllint.yaml_files(root)
        if files is None
        else yamllint.only_yaml([root / f for f in files], root)
    )
    # What a target's build reads is linted and scanned wherever it lives.
    read = [
        root / d
        for d in _read_files(root, targets, cache)
        if Path(d).suffix in YAML_SUFFIXES and (root / d).is_file()
    ]
    wanted = None if files is None else {root / f for f in files}
    lint_paths = sorted({*lint_paths, *(p for p in read if wanted is None or p in wanted)})
    out, texts = inputs.inspect_all(root, lint_paths)
    if lint:
        own = [CONFIG_FILE, *(p.relative_to(root).as_posix() for p in read)]
        scope = yamllint.scope(settings.policy_dir, own)
        linted = texts if scope is None else [(rel, text) for rel, text in texts if rel in scope]
        conf = yamllint.load_config(settings.policy_dir)
        out.extend(yamllint.lint_texts(conf, linted, cache_dir))
    if secrets:
        out.extend(secretscan.scan_texts(texts))
        out.extend(_plainread_files(settings, targets, files, cache))
    return out


def _read_files(root: Path, targets: Sequence[RenderTarget], cache: RunCache) -> set[str]:
    """Repository files the targets' builds read; never one that leads outside it.

    A symlink out of the repository is harden's finding and is never read here: its
    content would reach the report (and CI logs) otherwise.
    """
    real_root = root.resolve()
    deps = {d for t in targets for d in dependencies(root, t.path, cache)}
    return {d for d in deps if not d.endswith("/") and cache.inside(real_root, d)}


def _plainread_files(
    settings: Settings,
    targets: Sequence[RenderTarget],
    files: Sequence[str] | None,
    cache: RunCache,
) -> list[Finding]:
    """The secret scan of the non-YAML files the targets' builds read (generator `.env`s).

    What a configMapGenerator reads from an env file ends up in the cluster just as a
    YAML value does, but no YAML scan ever sees it.
    """
    root = settings.repo_root
    read = _read_files(root, targets, cache)
    wanted = read if files is None else read & set(files)
    out: list[Finding] = []
    for rel in sorted(wanted):
        path = root / rel
        if path.suffix in YAML_SUFFIXES or path.suffix == ".json" or not path.is_file():
            continue
        problems, data = inputs.unsafe(path, rel)
        out.extend(problems)
        try:
            text = data.decode("utf-8") if data is not None else None
        except UnicodeDecodeError:
            continue  # binary: nothing a generator turns into a readable value
        if text is not None:
            out.extend(secretscan.scan_plain(rel, text))
    return out


def text_findings(
    settings: Settings, texts: Sequence[tuple[str, str]], *, lint: bool, secrets: bool
) -> list[Finding]:
    """Yamllint and the secret scan over texts already read (`validate --manifests`)."""
    out: list[Finding] = []
    if lint:
        conf = yamllint.load_config(settings.policy_dir)
        out.extend(yamllint.lint_texts(conf, texts))
    if secrets:
        out.extend(secretscan.scan_texts(texts))
    return out
