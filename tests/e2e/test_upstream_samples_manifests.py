"""The upstream KubeRay v1.7.0 samples under `validate --manifests` and the correctness profile.

Done when (issue 18): no schema error and no finding but the ones docs/upstream-samples.md
lists, each with its reason. The samples are read from the shared directory, never
committed; without it the test fails with the set-up instruction.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kuberay_gitops.findings import Report
from kuberay_gitops.pipeline import Stages, validate_manifests
from kuberay_gitops.settings import load
from tests.conftest import REPO_ROOT, config_text, require_setup, shared_dir
from tests.e2e.test_upstream_samples import SAMPLES, UNSERVED

DOC = REPO_ROOT / "docs" / "upstream-samples.md"
Row = tuple[str, str, str, str]
_CELL = re.compile(r"`([^`]*)`")


def _table(heading: str) -> list[list[str]]:
    """The rows of the markdown table under `heading` in the doc, as cell texts."""
    text = DOC.read_text().split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return [[c.strip() for c in row.strip("|").split(" | ")] for row in rows]


def _code(cell: str) -> str:
    """The text of a cell written as one `code` span."""
    m = _CELL.fullmatch(cell)
    assert m is not None, f"{DOC.name}: expected a `code` cell, got {cell!r}"
    return m.group(1)


def _documented() -> list[Row]:
    out = []
    for cells in _table("Findings, each right"):
        file, check, obj, field = (_code(c) for c in cells[:4])
        assert cells[4].strip(), f"{file} {check}: the doc gives no reason"
        out.append((file, check, obj, field))
    return out


def _allowed() -> dict[str, str]:
    return {_code(c[0]): c[1] for c in _table("Not judged: no CRD in the shared directory")}


def _samples() -> tuple[Path, list[Path]]:
    require_setup()
    root = shared_dir() / SAMPLES
    if not root.is_dir():
        pytest.fail(
            f"KubeRay samples not found at {root}: put ../shared (with src/kuberay/v1.7.0) "
            "beside the repository or set KUBERAY_GITOPS_SHARED_DIR"
        )
    files = sorted(p for p in root.rglob("*.y*ml") if p.is_file())
    assert len(files) == 94, "the v1.7.0 samples directory changed"
    return root, files


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    root, files = _samples()
    allow = "".join(
        f"    - kind: {kind}\n      reason: {json.dumps(reason)}\n"
        for kind, reason in _allowed().items()
    )
    repo = tmp_path_factory.mktemp("repo")
    (repo / "toolchain.env").write_text((REPO_ROOT / "toolchain.env").read_text())
    (repo / "kuberay-gitops.yaml").write_text(
        config_text(profile="correctness", extra=f"schema:\n  allow_missing:\n{allow}")
    )
    settings = load(repo, env={})
    stages = Stages(cluster=False)  # checkov is platform policy: it does not start
    return root, validate_manifests(settings, [str(f) for f in files], stages, cwd=repo)


def test_the_findings_are_exactly_the_documented_ones(report: tuple[Path, Report]) -> None:
    root, result = report
    found = sorted(
        (
            Path(f.location.file).relative_to(root).as_posix(),
            f.qualified_id,
            f"{f.obj.kind}/{f.obj.name}" if f.obj else "",
            f.field_str,
        )
        for f in result.findings
    )
    assert found == sorted(_documented())


def test_every_sample_is_read_and_none_fails_to_render(report: tuple[Path, Report]) -> None:
    _, result = report
    assert (len(result.targets), all(t.rendered for t in result.targets)) == (94, True)
    assert result.objects > 150


def test_the_kinds_allowed_without_a_schema_are_those_no_shared_crd_serves() -> None:
    assert set(_allowed()) == {kind for _, kind in UNSERVED}
