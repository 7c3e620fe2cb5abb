"""Bounded rendering: a kustomization that multiplies itself is a finding, never a dead machine.

The tree includes its base twice per level (issue 17); the real kustomize builds it under
the configured caps (`render.output_limit_mib`, `render.memory_limit_mib`).
"""

from __future__ import annotations

import re
import resource

import pytest

from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.findings import Finding
from kuberay_gitops.pipeline import Stages, validate
from kuberay_gitops.settings import load
from tests.conftest import WriteTree, config_text, exponential_tree

RENDER_ONLY = Stages(
    lint=False,
    secrets=False,
    schema=False,
    checks=False,
    checkov=False,
    cluster=False,
)


def render_findings(
    write_tree: WriteTree, levels: int, leaf_kib: int, render: str
) -> list[Finding]:
    tree = exponential_tree(levels, leaf_kib)
    tree["kuberay-gitops.yaml"] = config_text(extra=f"render:\n{render}")
    root = write_tree(tree)
    report = validate(load(root, env={}), (), RENDER_ONLY, use_cache=False)
    return [f for f in report.findings if f.check_id.startswith("render")]


def test_a_build_over_the_memory_cap_is_a_memory_limit_finding_at_the_target(
    write_tree: WriteTree,
) -> None:
    # 2**7 ConfigMaps of 1 MiB: kustomize maps about 560 MiB without the cap
    [finding] = render_findings(write_tree, 7, 1024, "  memory_limit_mib: 256\n")
    assert (finding.check_id, finding.target, finding.location.file, finding.location.line) == (
        "render[memory-limit]",
        "t",
        "t/kustomization.yaml",
        1,
    )
    assert finding.message == (
        "kustomize build t failed: memory over render.memory_limit_mib (256 MiB): kustomize "
        "ran out of memory; a base included more than once per level multiplies what it holds"
    )


def test_a_build_over_the_output_cap_is_an_output_limit_finding_at_the_target(
    write_tree: WriteTree,
) -> None:
    # 2**3 ConfigMaps of 256 KiB: 2 MiB of output
    [finding] = render_findings(write_tree, 3, 256, "  output_limit_mib: 1\n")
    assert (finding.check_id, finding.target, finding.location.file, finding.location.line) == (
        "render[output-limit]",
        "t",
        "t/kustomization.yaml",
        1,
    )
    assert finding.message == (
        "kustomize build t failed: output over render.output_limit_mib (1 MiB): the build was "
        "killed; a base included more than once per level multiplies the output"
    )


def test_a_build_within_the_caps_renders(write_tree: WriteTree) -> None:
    assert render_findings(write_tree, 3, 64, "  output_limit_mib: 1\n") == []


def test_the_memory_cap_limits_the_child_never_this_process(write_tree: WriteTree) -> None:
    before = resource.getrlimit(resource.RLIMIT_DATA)
    render_findings(write_tree, 2, 1, "  memory_limit_mib: 256\n")
    assert resource.getrlimit(resource.RLIMIT_DATA) == before


def test_caps_default_to_64_mib_of_output_and_2_gib_of_memory(write_tree: WriteTree) -> None:
    settings = load(write_tree({}), env={})
    assert (settings.render_output_mib, settings.render_memory_mib) == (64, 2048)


@pytest.mark.parametrize(
    ("render", "message"),
    [
        ("  memory_limit_mib: 64\n", "render.memory_limit_mib: expected at least 256, got 64"),
        ("  output_limit_mib: 0\n", "render.output_limit_mib: expected at least 1, got 0"),
        ("  output_limit_mib: 1.5\n", "render.output_limit_mib: expected int, got float"),
    ],
    ids=["memory-below-go-start-up", "no-output", "fractional"],
)
def test_a_cap_too_small_to_build_anything_is_a_config_error(
    write_tree: WriteTree, render: str, message: str
) -> None:
    root = write_tree({"kuberay-gitops.yaml": config_text(extra=f"render:\n{render}")})
    with pytest.raises(ConfigError, match=f"^{re.escape(f'kuberay-gitops.yaml: {message}')}$"):
        load(root, env={})
