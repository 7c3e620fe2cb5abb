"""A pull request cannot change the policy that judges it (`validate --policy-from BASE`).

Each test copies the repository twice: `base` (the base branch's checkout, whose tool and
policy the PR workflow runs) and `pr` (the pull request: data). The attack is made in
`pr`; run as the PR workflow runs it, the verdict follows the base's policy, the attack's
own change is a `policy-change` finding, and nothing outside the repository is read or
run (a canary outside both copies never appears and is never written).
Without `--policy-from`, the same attack would have worked: shown where it is cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult, Row, edit, pr_env, shared_dir, validate_pr

Run = Callable[..., CliResult]
TARGET = "overlays/dev/raycluster"
GCS_PORT = (
    '      port: "6379"  # GCS: the autoscaler sidecar only looks here (ray-project/ray#41072)'
)


def _validate(run_cli: Run, pr: Path, base: Path | None) -> tuple[int, list[Row], str]:
    """`validate_pr` (tests/conftest.py) of this file's one target; `run_cli` is what it runs."""
    return validate_pr(pr, base, TARGET)


def _gcs_off_default(pr: Path) -> None:
    edit(pr / "base/raycluster/raycluster.yaml", GCS_PORT, '      port: "6380"')


def test_a_check_disabled_by_the_pr_still_runs_and_the_change_is_shown(
    run_cli: Run, copies: tuple[Path, Path]
) -> None:
    base, pr = copies
    _gcs_off_default(pr)
    config = pr / "kuberay-gitops.yaml"
    config.write_text(
        config.read_text().replace(
            "checks:\n", "checks:\n  ray-autoscaler-gcs-port:\n    enabled: false\n", 1
        )
    )
    code, rows, _ = _validate(run_cli, pr, None)
    assert "ray-autoscaler-gcs-port" not in {r[0] for r in rows}  # the attack, without the boundary
    code, rows, _ = _validate(run_cli, pr, base)
    assert code == 1
    assert ("ray-autoscaler-gcs-port", "base/raycluster/raycluster.yaml") in {
        (r[0], r[1]) for r in rows
    }
    line = 1 + config.read_text().splitlines().index("  ray-autoscaler-gcs-port:")
    assert (
        "policy-change",
        "kuberay-gitops.yaml",
        line + 1,  # at `enabled: false`
        "check ray-autoscaler-gcs-port is disabled",
    ) in rows


def test_a_suppression_added_by_the_pr_suppresses_nothing(
    run_cli: Run, copies: tuple[Path, Path]
) -> None:
    base, pr = copies
    _gcs_off_default(pr)
    config = pr / "kuberay-gitops.yaml"
    config.write_text(
        config.read_text()
        + "suppressions:\n  - check: ray-autoscaler-gcs-port\n    object: RayCluster/kuberay/"
        "raycluster-autoscaler\n    reason: trust me\n"
    )
    code, rows, _ = _validate(run_cli, pr, base)
    assert code == 1
    checks = [r[0] for r in rows]
    assert "ray-autoscaler-gcs-port" in checks
    assert any(
        r[0] == "policy-change" and r[3].startswith("suppression added: ray-autoscaler-gcs-port")
        for r in rows
    ), rows


def test_a_tool_the_pr_commits_is_never_run(
    run_cli: Run, copies: tuple[Path, Path], tmp_path: Path
) -> None:
    base, pr = copies
    canary = tmp_path / "canary"
    evil = pr / "evil"
    evil.mkdir()
    for name in ("kustomize", "kubeconform"):
        script = evil / name
        script.write_text(f"#!/bin/sh\necho ran > {canary}\n")
        script.chmod(0o755)
    config = pr / "kuberay-gitops.yaml"
    config.write_text(config.read_text() + "tools_dir: evil\n")
    env = pr_env()
    del env["KUBERAY_GITOPS_TOOLS_DIR"]  # let the config decide where the tools are
    result = run_cli(
        "--repo", str(pr), "--policy-from", str(base), "--shared-dir", str(shared_dir()),
        "validate", "--skip-checkov", "--no-cluster", "--format", "json", TARGET, env=env,
    )  # fmt: skip
    assert not canary.exists()
    # The base's own tools_dir (.tools/bin of the base checkout) was not set up: a clear
    # set-up error, exit 3, never the pull request's script.
    assert result.exit_code == 3, result.stdout + result.stderr
    assert str(base) in result.stderr


def test_a_yamllint_config_of_the_pr_is_not_read(
    run_cli: Run, copies: tuple[Path, Path], tmp_path: Path
) -> None:
    base, pr = copies
    secret = tmp_path / "outside.yaml"
    secret.write_text("CANARY-7f3a: [unclosed\n")
    (pr / ".yamllint").write_text(f"extends: {secret}\n")
    code, rows, output = _validate(run_cli, pr, base)
    assert "CANARY-7f3a" not in output
    assert ("policy-change", ".yamllint", 1, ".yamllint changes") in rows
    assert {r[0] for r in rows} == {"policy-change"}  # the content itself is clean
    assert code == 0


PLATFORM_EGRESS = "base/networkpolicy/networkpolicy-ray-egress-platform-services.yaml"
TO_TENS = (
    "    - to:\n        - ipBlock:\n            cidr: 10.0.0.0/8\n"
    "      ports:\n        - protocol: TCP\n          port: 443\n"
)
# The head already reached its API server (10.10.0.10/32) on 443: that part is not new.
WIDENED = (
    "dev: pods of RayCluster/kuberay/raycluster-autoscaler head group headgroup can now reach "
    "addresses in 10.0.0.0/8 except 10.10.0.10/32 on TCP 443"
)


def _widen_egress(pr: Path) -> None:
    path = pr / PLATFORM_EGRESS
    path.write_text(path.read_text() + TO_TENS)


def test_a_widening_no_absolute_check_catches_is_a_posture_error_at_its_rule(
    run_cli: Run, copies: tuple[Path, Path]
) -> None:
    base, pr = copies
    _widen_egress(pr)
    assert _validate(run_cli, pr, None)[0] == 0  # no absolute check minds a private range
    code, rows, _ = _validate(run_cli, pr, base)
    assert code == 1
    lines = (pr / PLATFORM_EGRESS).read_text().splitlines()
    rule_line = max(i for i, line in enumerate(lines, 1) if line == "    - to:")
    (grouped,) = [r for r in rows if r[0] == "posture-widening[reachability]"]
    assert grouped[1:3] == (PLATFORM_EGRESS, rule_line)  # one finding for the rule
    assert grouped[3].startswith("dev: 6 widenings: ")
    assert WIDENED.removeprefix("dev: ") in grouped[3]


def test_a_posture_allow_entry_of_the_base_lets_the_widening_through_with_a_note(
    run_cli: Run, copies: tuple[Path, Path]
) -> None:
    base, pr = copies
    _widen_egress(pr)
    allow = (
        "posture:\n  allow:\n    - facet: reachability\n"
        '      match: "pods of Ray* can now reach addresses in 10.* on TCP 443"\n'
        "      reason: the feature store lives in the corporate range (PLAT-1)\n"
    )
    for side in (base, pr):
        config = side / "kuberay-gitops.yaml"
        config.write_text(config.read_text() + allow)
    code, rows, out = _validate(run_cli, pr, base)
    assert not any(r[0].startswith("posture-widening") for r in rows), rows
    assert code == 0, out
    reason = "the feature store lives in the corporate range (PLAT-1)"
    assert f"allowed by posture.allow ({reason}): {WIDENED}" in out


def test_an_allow_entry_only_the_pull_request_adds_allows_nothing(
    run_cli: Run, copies: tuple[Path, Path]
) -> None:
    base, pr = copies
    _widen_egress(pr)
    config = pr / "kuberay-gitops.yaml"
    config.write_text(
        config.read_text() + "posture:\n  allow:\n    - match: '*'\n      reason: trust me\n"
    )
    code, rows, _ = _validate(run_cli, pr, base)
    assert code == 1
    checks = {r[0] for r in rows}
    assert "posture-widening[reachability]" in checks
    assert "policy-change" in checks
