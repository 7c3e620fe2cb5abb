"""The `make mutmut` driver: scores from mutmut's result files, the table, the gate.

The inputs are written as mutmut 3.8.1 writes them (mutmut/mutation/data.py
`SourceFileMutationData.save`: one `<module>.py.meta` JSON per mutated file, its five keys,
mutant names `<module path>.x_<function>__mutmut_<n>`, exit codes or null).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kuberay_gitops_dev import mutscore

PREFIX = "kuberay_gitops.checks"


def _meta(directory: Path, module: str, codes: list[int | None]) -> None:
    keys = [f"{PREFIX}.{module}.x_run__mutmut_{n}" for n in range(1, len(codes) + 1)]
    data = {
        "exit_code_by_key": dict(zip(keys, codes, strict=True)),
        "hash_by_function_name": {f"{PREFIX}.{module}.x_run": "0123456789ab"},
        "type_check_error_by_key": {},
        "durations_by_key": {k: 0.25 for k, c in zip(keys, codes, strict=True) if c is not None},
        "estimated_durations_by_key": {k: 0.25 for k in keys},
    }
    (directory / f"{module}.py.meta").write_text(json.dumps(data, indent=4))


@pytest.fixture
def results(tmp_path: Path) -> Path:
    # strong: 9 killed (exit 1) + 1 timeout (36) of 10 → 100 %
    _meta(tmp_path, "strong", [1] * 9 + [36])
    # edge: 9 killed of 10 (one survived, exit 0) → exactly 90 %, passes
    _meta(tmp_path, "edge", [1] * 9 + [0])
    # weak: 3 killed, a pytest internal error (3, a kill), 1 survived, 1 no tests (33),
    # 1 suspicious (an unknown code), 1 skipped (34, not counted) → 4/7
    _meta(tmp_path, "weak", [1, 1, 1, 3, 0, 33, 99, 34])
    # partial: one mutant not run yet (null) → not measured
    _meta(tmp_path, "partial", [1, None])
    return tmp_path


def test_scores_count_killed_and_timeout_over_all_but_skipped(results: Path) -> None:
    scores = mutscore.read_results(results)
    assert sorted(scores) == ["edge", "partial", "strong", "weak"]
    assert (scores["strong"].detected, scores["strong"].tested) == (10, 10)
    assert scores["edge"].score == pytest.approx(90.0)
    weak = scores["weak"]
    assert (weak.detected, weak.tested, weak.total) == (4, 7, 8)
    assert weak.score == pytest.approx(400 / 7)
    assert weak.counts == {
        "killed": 4,
        "survived": 1,
        "no tests": 1,
        "suspicious": 1,
        "skipped": 1,
    }
    assert weak.survivors == tuple(f"{PREFIX}.weak.x_run__mutmut_{n}" for n in (5, 6, 7))
    assert not scores["partial"].measured
    assert scores["edge"].measured


def test_survivors_are_in_mutant_number_order() -> None:
    score = mutscore.module_score("m", {f"m.x_f__mutmut_{n}": 0 for n in (10, 2, 1)})
    assert score.survivors == ("m.x_f__mutmut_1", "m.x_f__mutmut_2", "m.x_f__mutmut_10")


def test_gate_names_modules_below_the_bar_and_unmeasured(results: Path) -> None:
    verdict = mutscore.gate(mutscore.read_results(results))
    assert verdict == mutscore.Verdict(below=("weak",), unmeasured=("partial",))
    assert not verdict.passed
    measured = {m: s for m, s in mutscore.read_results(results).items() if m in {"strong", "edge"}}
    assert mutscore.gate(measured).passed
    assert mutscore.gate(measured, bar=95.0).below == ("edge",)


def test_table_is_spliced_between_the_markers(results: Path, tmp_path: Path) -> None:
    doc = tmp_path / "mutation.md"
    doc.write_text(f"# Title\n\nbefore\n\n{mutscore.BEGIN}\nold\n{mutscore.END}\n\nafter\n")
    block = mutscore.markdown(mutscore.read_results(results))
    doc.write_text(mutscore.splice(doc.read_text(), block))
    text = doc.read_text()
    assert text.startswith("# Title\n\nbefore\n\n" + mutscore.BEGIN)
    assert text.endswith(mutscore.END + "\n\nafter\n")
    assert "old" not in text
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert rows == [
        "| `weak` | 7 | 4 | 1 | 1 | 0 | 57.1 % | **no** |",
        "| `edge` | 10 | 9 | 1 | 0 | 0 | 90.0 % | yes |",
        "| `strong` | 10 | 9 | 0 | 0 | 1 | 100.0 % | yes |",
        "| `partial` | 2 | | | | | not measured (1/2 run) | |",
    ]
    assert "3 of 4 modules measured, 2 at or above 90 %." in text


def test_main_exits_1_naming_the_modules(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert mutscore.main(["--results", str(results)]) == 1
    out = capsys.readouterr().out
    assert "below 90 %: weak\n" in out
    assert "not measured: partial\n" in out


def test_main_judges_only_the_modules_asked_for(results: Path) -> None:
    assert mutscore.main(["--results", str(results), "--only", "strong", "edge"]) == 0
    assert mutscore.main(["--results", str(results), "--only", "weak"]) == 1


def test_main_without_results_is_exit_3(tmp_path: Path) -> None:
    assert mutscore.main(["--results", str(tmp_path)]) == 3
