"""`python -m kuberay_gitops_dev.bench`: a smoke run of the cheapest pipelines, no timing
assertions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kuberay_gitops import rendercache
from kuberay_gitops.discover import RenderTarget
from kuberay_gitops.filememo import RunCache
from kuberay_gitops.settings import load
from kuberay_gitops_dev import bench
from tests.conftest import REPO_ROOT, require_setup


def test_bench_smoke_writes_table_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_setup()
    out = tmp_path / "results"
    code = bench.main(
        [
            "--repo",
            str(REPO_ROOT),
            "--sizes",
            "1",
            "--repeat",
            "1",
            "--only",
            "floor,validate-warm",
            "--out",
            str(out),
        ]
    )
    stdout = capsys.readouterr().out
    assert code == 0
    rows = {
        cells[2]: float(cells[4])
        for line in stdout.splitlines()
        if (cells := [c.strip() for c in line.split("|")])[1:2] == ["1"]
    }
    assert set(rows) == {"floor", "validate-warm"}
    assert all(seconds > 0 for seconds in rows.values())
    [written] = out.glob("bench-*.json")
    data = json.loads(written.read_text())
    assert {(m["pipeline"], m["n"]) for m in data["measurements"]} == {
        ("floor", 1),
        ("validate-warm", 1),
    }
    assert all(m["wall_seconds"] > 0 and m["objects"] > 0 for m in data["measurements"])


def test_synthetic_argocd_lists_one_applicationset_per_environment() -> None:
    text = (
        "resources:\n"
        "  - projects/appproject-kuberay-platform.yaml\n"
        "  - applicationsets/applicationset-kuberay-dev.yaml\n"
        "  - applicationsets/applicationset-kuberay-prod.yaml\n"
    )
    assert bench._argocd_kustomization(text, ["env-001", "env-002"]) == (
        "resources:\n"
        "  - projects/appproject-kuberay-platform.yaml\n"
        "  - applicationsets/applicationset-kuberay-env-001.yaml\n"
        "  - applicationsets/applicationset-kuberay-env-002.yaml\n"
    )


def test_slope_is_least_squares_and_flags_superlinear_growth() -> None:
    def series(pipeline: str, walls: dict[int, float]) -> list[bench.Measurement]:
        return [bench.Measurement(pipeline, n, walls=[w]) for n, w in walls.items()]

    linear = series("validate-warm", {3: 2.0, 30: 11.0, 100: 34.3})
    quadratic = series("validate-cold", {3: 1.0, 30: 9.0, 100: 100.0})
    fitted = {s.pipeline: s for s in bench.slopes([*linear, *quadratic])}
    assert fitted["validate-warm"].seconds_per_env == pytest.approx(1 / 3, rel=1e-2)
    assert fitted["validate-warm"].linear
    assert not fitted["validate-cold"].linear


def test_a_size_that_fails_stops_the_bench_and_still_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_size(
        n: int, opts: bench.Options, real: object, tmp: Path, fan_outs: object = None
    ) -> list[bench.Measurement]:
        if n == 2:
            raise bench.BenchError("N=2: kuberay-gitops validate: exit 1, 1 error(s)\n  detail")
        return [bench.Measurement("floor", n, walls=[1.5], objects=10)]

    monkeypatch.setattr(bench, "bench_size", fake_size)
    out = tmp_path / "results"
    code = bench.main(["--repo", str(REPO_ROOT), "--sizes", "1,2,3", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert "| 1 | floor | 1 | 1.50 |" in captured.out
    assert "stopped at N=2: kuberay-gitops validate: exit 1, 1 error(s)" in captured.out
    [written] = out.glob("bench-*.json")
    data = json.loads(written.read_text())
    assert data["failure"]["n"] == 2
    assert [(m["pipeline"], m["n"]) for m in data["measurements"]] == [("floor", 1)]


def test_synthetic_environments_are_distinct_builds_except_their_crds(tmp_path: Path) -> None:
    require_setup()
    repo = bench.generate(load(REPO_ROOT, env={}), tmp_path / "n2", 2)
    envs = repo.envs

    def key(unit: str, env: str) -> str:
        return rendercache.key(
            repo.root, RenderTarget(f"overlays/{env}/{unit}"), "v", {}, RunCache()
        )

    assert key("crds", envs[0]) == key("crds", envs[1])
    for unit in ("operator", "raycluster"):
        assert key(unit, envs[0]) != key(unit, envs[1])


def _fan_out(n: int, single: float, entry: float, envs: int) -> bench.FanOut:
    return bench.FanOut(n, 1.0, single, entry, 0.5, 20, envs, envs)


def test_the_fan_out_crossover_is_interpolated_between_the_sizes_measured() -> None:
    # fanned out = 40 + entry + 40 + 0.5: 95.5 at N=30 (one job 50), 96.5 at N=100 (150)
    runs = [_fan_out(30, 50.0, 15.0, 2), _fan_out(100, 150.0, 16.0, 5)]
    cross = bench.crossover(runs, 40.0)
    assert cross.how == "interpolated between N=30 and N=100"
    assert cross.n == pytest.approx(30 + 70 * 45.5 / (45.5 + 53.5))
    assert bench.crossover(runs[:1], 40.0) == bench.Crossover(
        None, "one size only, and fan-out does not win there"
    )


def test_the_twin_adds_its_first_environment_to_each_job_and_the_rest_to_the_one_job() -> None:
    twin = bench.TwinCost(alone=20.0, marginal=2.0)
    run = _fan_out(30, 50.0, 15.0, 2)
    assert run.one_job(twin) == 50.0 + 20.0 + 2.0 * 29
    assert run.fanned(40.0, twin) == 40.0 + 15.0 + 20.0 + 2.0 + 40.0 + 0.5
    text = bench.fan_out_table([run], 40.0, 20, twin)
    assert (
        "| 30 | 1.00 | 50.00 | 20 | 2 / 2 | 15.00 | 0.50 | 95.50 | one job "
        "| 128.00 / 117.50 / fan-out |" in text
    )


def test_update_doc_rewrites_only_the_generated_fan_out_block(tmp_path: Path) -> None:
    doc = (
        f"# Performance\n\nprose\n\n{bench.FAN_OUT_DOC_BEGIN}\nold figures\n"
        f"{bench.FAN_OUT_DOC_END}\n\nmore prose\n"
    )
    opts = bench._parse(["--repo", str(REPO_ROOT), "--only", "fan-out", "--repeat", "1"])
    text = bench.fan_out_doc(doc, [_fan_out(3, 10.0, 9.0, 1)], opts, "20261207T000000Z", "abc1234")
    assert text.startswith(
        f"# Performance\n\nprose\n\n{bench.FAN_OUT_DOC_BEGIN}\n\n"
        "Run 20261207T000000Z, commit `abc1234`"
    )
    assert "old figures" not in text
    assert "| 3 | 1.00 | 10.00 | 20 | 1 / 1 | 9.00 | 0.50 | 89.50 | one job |" in text
    assert text.endswith(f"{bench.FAN_OUT_DOC_END}\n\nmore prose\n")


def _verdicts(walls: dict[str, float]) -> dict[str, bool | None]:
    measured = [bench.Measurement(p, 100, walls=[w]) for p, w in walls.items()]
    return {t.name: t.met for t in bench.targets(measured, [])}


def test_issue_19_targets_warm_within_a_tenth_of_the_floor_and_one_overlay_in_a_second() -> None:
    met = _verdicts({"floor": 190.0, "validate-warm": 19.0, "changed-since": 1.0})
    assert met["validate-warm at N=100 ≤ 0.1x the render floor"] is True
    assert met["changed-since (one overlay) at N=100 ≤ 1 s"] is True
    missed = _verdicts({"floor": 190.0, "validate-warm": 19.1, "changed-since": 1.01})
    assert missed["validate-warm at N=100 ≤ 0.1x the render floor"] is False
    assert missed["changed-since (one overlay) at N=100 ≤ 1 s"] is False


def test_changed_since_is_judged_against_cold_not_the_warm_run_it_shares_caches_with() -> None:
    names = set(_verdicts({"validate-cold": 60.0, "validate-warm": 5.0, "changed-since": 1.0}))
    assert "changed-since at N=100 ≤ 10% of validate-cold" in names
    assert not any("of validate-warm" in n for n in names)


def test_update_doc_rewrites_the_results_block_with_this_runs_tables(tmp_path: Path) -> None:
    doc = (
        f"# Performance\n\n{bench.RESULTS_DOC_BEGIN}\nold tables\n{bench.RESULTS_DOC_END}\n\n"
        f"{bench.FAN_OUT_DOC_BEGIN}\nfan-out\n{bench.FAN_OUT_DOC_END}\n"
    )
    opts = bench._parse(["--repo", str(REPO_ROOT), "--sizes", "3", "--repeat", "1"])
    measured = [
        bench.Measurement("floor", 3, walls=[6.0]),
        bench.Measurement("validate-warm", 3, walls=[0.5]),
    ]
    verdicts = bench.targets(measured, [])
    text = bench.results_doc(doc, measured, [], verdicts, opts, "20261207T000000Z", "abc1234", 90)
    assert "old tables" not in text
    assert "Run 20261207T000000Z, commit `abc1234`" in text
    assert "| 3 | validate-warm | 1 | 0.50 |" in text
    assert "| validate-warm at N=3 ≤ 0.1x the render floor | 0.083x (0.5 s vs 6.0 s) |" in text
    assert text.endswith(f"{bench.FAN_OUT_DOC_BEGIN}\nfan-out\n{bench.FAN_OUT_DOC_END}\n")


def test_update_doc_without_the_markers_is_an_error_not_a_silent_pass() -> None:
    with pytest.raises(bench.BenchError, match="not found"):
        bench.splice("no markers here\n", bench.RESULTS_DOC_BEGIN, bench.RESULTS_DOC_END, "x")
