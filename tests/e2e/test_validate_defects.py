"""`kuberay-gitops validate` on small trees with one defect each, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import KUSTOMIZATION, TOOLS_DIR, CliResult, WriteTree, config_text

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
  workerGroupSpecs:
    - groupName: cpu
      replicas: 1
      minReplicas: 1
      maxReplicas: 2
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
"""

OVERLAY = KUSTOMIZATION.format(resources="  - ../../base")


def _tree(raycluster: str = RAYCLUSTER, **extra: str) -> dict[str, str]:
    return {
        "base/kustomization.yaml": KUSTOMIZATION.format(resources="  - raycluster.yaml"),
        "base/raycluster.yaml": raycluster,
        "overlays/dev/kustomization.yaml": OVERLAY,
        "kuberay-gitops.yaml": config_text(targets=["overlays/*"]),
        **extra,
    }


def _findings(result: CliResult) -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads(result.stdout)
    findings: list[dict[str, Any]] = data["findings"]
    return findings


def _rows(result: CliResult) -> list[tuple[Any, ...]]:
    return [
        (f["check"], f["file"], f["line"], f["kind"], f["name"], f["field"])
        for f in _findings(result)
    ]


Run = Callable[..., CliResult]

# These trees exercise render, lint and schema; the project's checks have their own tests.
FOUNDATION = ("--skip-checks", "--skip-checkov", "--no-cluster")


def test_clean_tree_passes_and_says_what_it_checked(write_tree: WriteTree, run_cli: Run) -> None:
    root = write_tree(_tree())
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "text")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith(
        "checked 1 target, 1 object: 0 errors, 0 warnings; cluster stage skipped (--no-cluster)"
    )


def test_broken_kustomization_is_a_render_finding(write_tree: WriteTree, run_cli: Run) -> None:
    overlay = KUSTOMIZATION.format(resources="  - ../../base\n  - missing.yaml")
    root = write_tree(_tree(**{"overlays/dev/kustomization.yaml": overlay}))
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    assert result.exit_code == 1
    [finding] = _findings(result)
    assert (finding["check"], finding["file"], finding["line"]) == (
        "render",
        "overlays/dev/kustomization.yaml",
        1,
    )
    assert "missing.yaml" in finding["message"]
    assert "\n" not in finding["message"]


def test_typo_in_raycluster_field_is_located_at_the_line(
    write_tree: WriteTree, run_cli: Run
) -> None:
    root = write_tree(_tree(RAYCLUSTER.replace("rayStartParams: {}", "rayStartParam: {}")))
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    assert result.exit_code == 1
    assert _rows(result) == [
        (
            "kubeconform/schema",
            "base/raycluster.yaml",
            8,
            "RayCluster",
            "rc",
            ".spec.headGroupSpec.rayStartParam",
        )
    ]


def test_wrong_type_is_located_at_the_line(write_tree: WriteTree, run_cli: Run) -> None:
    root = write_tree(_tree(RAYCLUSTER.replace("replicas: 1\n", 'replicas: "two"\n', 1)))
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "text")
    assert result.exit_code == 1
    assert (
        "base/raycluster.yaml:16: error [kubeconform/schema] RayCluster/kuberay/rc "
        ".spec.workerGroupSpecs[0].replicas: got string, want integer"
    ) in result.stdout
    assert "    hint: " in result.stdout


def test_a_patch_that_breaks_the_schema_is_located_in_the_patch(
    write_tree: WriteTree, run_cli: Run
) -> None:
    overlay = OVERLAY + "patches:\n  - path: patch-raycluster.yaml\n"
    patch = (
        "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata:\n  name: rc\n  namespace: kuberay\n"
        "spec:\n  headGroupSpec:\n    serviceType: 5\n"
    )
    root = write_tree(
        _tree(
            **{
                "overlays/dev/kustomization.yaml": overlay,
                "overlays/dev/patch-raycluster.yaml": patch,
            }
        )
    )
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    assert result.exit_code == 1
    assert _rows(result) == [
        (
            "kubeconform/schema",
            "overlays/dev/patch-raycluster.yaml",
            8,
            "RayCluster",
            "rc",
            ".spec.headGroupSpec.serviceType",
        )
    ]


WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: kuberay\n"


def test_kind_without_schema_is_an_error(write_tree: WriteTree, run_cli: Run) -> None:
    base = KUSTOMIZATION.format(resources="  - raycluster.yaml\n  - widget.yaml")
    root = write_tree(_tree(**{"base/kustomization.yaml": base, "base/widget.yaml": WIDGET}))
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    assert result.exit_code == 1
    assert _rows(result) == [
        ("kubeconform/missing-schema", "base/widget.yaml", 1, "Widget", "w", ".apiVersion")
    ]
    [finding] = _findings(result)
    assert "no schema for Widget example.com/v1" in finding["message"]


def test_allow_listed_kind_without_schema_passes(write_tree: WriteTree, run_cli: Run) -> None:
    base = KUSTOMIZATION.format(resources="  - raycluster.yaml\n  - widget.yaml")
    config = config_text(
        targets=["overlays/*"],
        extra="schema:\n  allow_missing:\n    - kind: Widget\n      reason: test fixture\n",
    )
    root = write_tree(
        _tree(
            **{
                "base/kustomization.yaml": base,
                "base/widget.yaml": WIDGET,
                "kuberay-gitops.yaml": config,
            }
        )
    )
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["summary"]["objects"] == 2


def test_allowing_a_kind_to_lack_a_schema_keeps_validating_it_where_one_exists(
    write_tree: WriteTree, run_cli: Run
) -> None:
    # RayCluster has a schema: allowing it to lack one must not stop validating it.
    bad = RAYCLUSTER.replace("spec:\n", "spec:\n  notAField: 1\n", 1)
    config = config_text(
        targets=["overlays/*"],
        extra="schema:\n  allow_missing:\n    - kind: RayCluster\n      reason: test fixture\n",
    )
    root = write_tree(_tree(bad, **{"kuberay-gitops.yaml": config}))
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    assert result.exit_code == 1, result.stdout
    assert [r[0] for r in _rows(result)] == ["kubeconform/schema"]


STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: s
  namespace: kuberay
spec:
  serviceName: s
  template:
    metadata:
      labels: {app: s}
    spec:
      containers:
        - name: c
          image: busybox:1.36
"""


def test_a_schema_error_keeps_kubeconforms_own_words(write_tree: WriteTree, run_cli: Run) -> None:
    base = KUSTOMIZATION.format(resources="  - raycluster.yaml\n  - statefulset.yaml")
    tree = _tree(**{"base/kustomization.yaml": base, "base/statefulset.yaml": STATEFULSET})
    root = write_tree(tree)
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    found = [(f["field"], f["message"]) for f in _findings(result) if f["kind"] == "StatefulSet"]
    assert found == [(".spec", "missing property 'selector'")]


def test_a_credential_in_an_env_file_a_generator_reads_is_found(
    write_tree: WriteTree, run_cli: Run
) -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    base = KUSTOMIZATION.format(resources="  - raycluster.yaml") + (
        "configMapGenerator:\n  - name: app-settings\n    envs:\n      - settings.env\n"
    )
    tree = _tree(
        **{
            "base/kustomization.yaml": base,
            "base/settings.env": f"# hub access\nLOG_LEVEL=info\nHUB_TOKEN={token}\n",
        }
    )
    root = write_tree(tree)
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    rows = [(f["check"], f["file"], f["line"]) for f in _findings(result)]
    assert ("secret-high-entropy", "base/settings.env", 3) in rows
    assert result.exit_code == 1


GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def test_a_manifest_in_a_nested_build_directory_is_scanned_too(
    write_tree: WriteTree, run_cli: Run
) -> None:
    # Only the root's build/ is set-up output; kustomize reads a nested one like any other.
    base = KUSTOMIZATION.format(resources="  - raycluster.yaml\n  - build/settings.yaml")
    settings = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n  namespace: kuberay\n"
        f"data:\n  token: {GITHUB_TOKEN}\n"
    )
    tree = _tree(**{"base/kustomization.yaml": base, "base/build/settings.yaml": settings})
    root = write_tree(tree)
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    rows = [(f["check"], f["file"], f["line"]) for f in _findings(result)]
    assert ("secret-high-entropy", "base/build/settings.yaml", 7) in rows


def test_an_env_file_linked_from_outside_the_repository_is_never_read(
    write_tree: WriteTree, run_cli: Run, tmp_path: Path
) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.env"  # tmp_path is the repository
    outside.write_text(f"CANARY_KEY={GITHUB_TOKEN}\n")
    base = KUSTOMIZATION.format(resources="  - raycluster.yaml") + (
        "configMapGenerator:\n  - name: app-settings\n    envs:\n      - app.env\n"
    )
    root = write_tree(_tree(**{"base/kustomization.yaml": base}))
    (root / "base/app.env").symlink_to(outside)
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    checks = {(f["check"], f["file"]) for f in _findings(result)}
    assert ("secret-high-entropy", "base/app.env") not in checks
    assert any(c.startswith("harden-path-escape") for c, _ in checks), checks
    assert "CANARY_KEY" not in result.stdout + result.stderr


def test_duplicate_key_is_a_yamllint_error(write_tree: WriteTree, run_cli: Run) -> None:
    root = write_tree(_tree(RAYCLUSTER.replace("  name: rc\n", "  name: rc\n  name: rc2\n")))
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    assert result.exit_code == 1
    rows = [(f["check"], f["file"], f["line"], f["severity"]) for f in _findings(result)]
    assert ("yamllint/key-duplicates", "base/raycluster.yaml", 5, "error") in rows


def test_target_rendering_nothing_is_an_error(write_tree: WriteTree, run_cli: Run) -> None:
    empty = KUSTOMIZATION.format(resources="  - nothing.yaml")
    root = write_tree(
        _tree(
            **{
                "overlays/empty/kustomization.yaml": empty,
                "overlays/empty/nothing.yaml": "# every object was removed\n",
            }
        )
    )
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    assert result.exit_code == 1
    assert _rows(result) == [("render", "overlays/empty/kustomization.yaml", 1, None, None, None)]
    assert "renders no objects" in _findings(result)[0]["message"]


def test_missing_tool_exits_3_with_the_setup_instruction(
    write_tree: WriteTree, run_cli: Run, tmp_path: Path
) -> None:
    config = config_text(targets=["overlays/*"]).replace(
        "tools_dir:", f"tools_dir: {tmp_path / 'no-tools'}\n# was:"
    )
    root = write_tree(_tree(**{"kuberay-gitops.yaml": config}))
    result = run_cli("--repo", str(root), "validate")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("kuberay-gitops: error: kustomize v")
    assert "run `kuberay-gitops setup` (`make setup` in" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_nothing_discovered_exits_3(write_tree: WriteTree, run_cli: Run) -> None:
    config = config_text(targets=["nowhere/*"])
    root = write_tree(_tree(**{"kuberay-gitops.yaml": config}))
    result = run_cli("--repo", str(root), "validate")
    assert result.exit_code == 3
    assert "no render targets discovered" in result.stderr


def test_unknown_config_key_exits_3_naming_the_key(write_tree: WriteTree, run_cli: Run) -> None:
    config = config_text(targets=["overlays/*"], extra="kubernetes_verison: '1.31'\n")
    root = write_tree(_tree(**{"kuberay-gitops.yaml": config}))
    result = run_cli("--repo", str(root), "validate")
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        'kuberay-gitops: error: kuberay-gitops.yaml: top level: unknown key "kubernetes_verison"'
    )


def test_usage_error_exits_2(run_cli: Run) -> None:
    result = run_cli("validate", *FOUNDATION, "--format", "xml")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_github_format_annotates_the_line(write_tree: WriteTree, run_cli: Run) -> None:
    root = write_tree(_tree(RAYCLUSTER.replace("replicas: 1\n", 'replicas: "two"\n', 1)))
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "github")
    assert result.exit_code == 1
    assert (
        "::error file=base/raycluster.yaml,line=16,title=kubeconform/schema::RayCluster/kuberay/rc "
        ".spec.workerGroupSpecs[0].replicas: got string, want integer (hint: "
    ) in result.stdout
    assert result.stdout.startswith("::group::overlays/dev\n")


def test_extra_reports_are_written_in_their_own_format(
    write_tree: WriteTree, run_cli: Run, tmp_path: Path
) -> None:
    root = write_tree(_tree(RAYCLUSTER.replace("replicas: 1\n", 'replicas: "two"\n', 1)))
    sarif = tmp_path / "out.sarif"
    result = run_cli(
        "--repo",
        str(root),
        "validate",
        *FOUNDATION,
        "--format",
        "text",
        "--report",
        f"sarif={sarif}",
    )
    assert result.exit_code == 1
    run = json.loads(sarif.read_text())["runs"][0]
    assert [
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in run["results"]
    ] == [("kubeconform/schema", 16)]
    # validate fills Report.rules: the rule is described, not just named.
    (rule,) = run["tool"]["driver"]["rules"]
    assert rule["shortDescription"]["text"].startswith("kubeconform/schema: ")
    assert rule["help"]["text"].startswith("fix the field as the schema says")
    assert rule["properties"] == {"security-severity": "8.0"}


def test_exec_plugin_kustomization_is_refused_and_never_built(
    write_tree: WriteTree, run_cli: Run
) -> None:
    overlay = OVERLAY + "generators:\n  - plugin.yaml\n"
    plugin = (
        "apiVersion: builtin\nkind: ExecPlugin\nmetadata:\n  name: x\n"
        "argsOneLiner: touch /tmp/kuberay-gitops-pwned\n"
    )
    root = write_tree(
        _tree(**{"overlays/dev/kustomization.yaml": overlay, "overlays/dev/plugin.yaml": plugin})
    )
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    assert result.exit_code == 1
    assert _rows(result) == [
        ("harden-plugins", "overlays/dev/kustomization.yaml", 6, None, None, ".generators[0]")
    ]
    assert json.loads(result.stdout)["targets"] == [
        {"path": "overlays/dev", "objects": 0, "rendered": False}
    ]


def test_committed_secret_value_is_found_by_the_secret_scan(
    write_tree: WriteTree, run_cli: Run
) -> None:
    raycluster = RAYCLUSTER.replace(
        "            image: rayproject/ray:2.46.0\n  workerGroupSpecs",
        "            image: rayproject/ray:2.46.0\n            env:\n"
        "              - name: API_TOKEN\n"
        "                value: ghp_x9Kq2LmPzR7vT4wY8nB3cD6fH1jS5aE0uQ2i\n  workerGroupSpecs",
    )
    root = write_tree(_tree(raycluster))
    result = run_cli("--repo", str(root), "validate", *FOUNDATION, "--format", "json")
    assert result.exit_code == 1
    rows = [(f["check"], f["file"], f["line"]) for f in _findings(result)]
    assert ("secret-high-entropy", "base/raycluster.yaml", 16) in rows
    assert "ghp_x9Kq2" not in result.stdout


def test_color_always_marks_severities_and_progress_stays_off_without_a_terminal(
    write_tree: WriteTree, run_cli: Run
) -> None:
    root = write_tree(_tree(RAYCLUSTER.replace("replicas: 1\n", 'replicas: "two"\n', 1)))
    colored = run_cli(
        "--repo", str(root), "validate", *FOUNDATION, "--format", "text", "--color", "always"
    )
    assert "\033[31merror\033[0m [kubeconform/schema]" in colored.stdout
    assert colored.stderr == ""
    plain = run_cli(
        "--repo", str(root), "validate", *FOUNDATION, "--format", "text", env={"NO_COLOR": "1"}
    )
    assert "\033[" not in plain.stdout
    assert ": error [kubeconform/schema]" in plain.stdout


def test_kubeconform_removed_from_tools_exits_3_with_the_setup_instruction(
    write_tree: WriteTree, run_cli: Run, tmp_path: Path
) -> None:
    tools = tmp_path / "tools-without-kubeconform"
    tools.mkdir()
    (tools / "kustomize").symlink_to(TOOLS_DIR / "kustomize")
    config = config_text(targets=["overlays/*"]).replace(
        "tools_dir:", f"tools_dir: {tools}\n# was:"
    )
    root = write_tree(_tree(**{"kuberay-gitops.yaml": config}))
    result = run_cli("--repo", str(root), "validate")
    assert result.exit_code == 3
    assert result.stderr == (
        f"kuberay-gitops: error: kubeconform v0.7.0 not found at {tools / 'kubeconform'}; "
        "run `kuberay-gitops setup` (`make setup` in the kuberay-gitops repository)\n"
    )


def test_wrong_tool_version_exits_3_naming_both_versions(
    write_tree: WriteTree, run_cli: Run
) -> None:
    root = write_tree(_tree())
    (root / "toolchain.env").write_text(
        (root / "toolchain.env")
        .read_text()
        .replace("KUSTOMIZE_VERSION=v5.8.1", "KUSTOMIZE_VERSION=v5.4.3")
    )
    result = run_cli("--repo", str(root), "validate")
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "kuberay-gitops: error: kustomize v5.4.3 required, found v5.8.1"
    )
