"""A failed build's finding names the file (and line) to fix, not just the target."""

from __future__ import annotations

from pathlib import Path

from kuberay_gitops.discover import RenderTarget
from kuberay_gitops.findings import Location
from kuberay_gitops.locate import failed_test_op
from kuberay_gitops.render import culprit, tidy_error


def test_a_build_error_names_the_innermost_resource_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "cm.yaml").write_text("x")
    error = (
        "accumulating resources: accumulation err='accumulating resources from '../b': "
        "... accumulating resources from 'cm.yaml': MalformedYAMLError: yaml: line 3: bad"
    )
    assert culprit(error, tmp_path, RenderTarget("t")) == ("b/cm.yaml", 3)


def test_a_build_error_about_a_missing_file_stays_at_the_kustomization(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    error = "accumulating resources from 'missing.yaml': no such file or directory"
    assert culprit(error, tmp_path, RenderTarget("t")) == (None, None)


def test_build_errors_lose_this_machines_paths_and_the_directory_retry(tmp_path: Path) -> None:
    error = (
        f"missing metadata.name': must build at directory: '{tmp_path}/t/cm.yaml': "
        f"file is not directory; see {tmp_path}/t/cm.yaml"
    )
    assert tidy_error(error, tmp_path) == "missing metadata.name'; see t/cm.yaml"


OPS = """\
- op: test
  path: /spec/a
  value: x
- op: test
  path: /spec/b
  value: y
"""


def test_a_failed_test_op_is_located_in_its_patch_file(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t/patch.yaml").write_text(OPS)
    error = "testing value /spec/b failed: test failed"
    assert failed_test_op(tmp_path, ["t/patch.yaml"], error) == Location("t/patch.yaml", 4)


def test_a_failed_test_op_in_an_inline_patch_is_located_in_the_kustomization(
    tmp_path: Path,
) -> None:
    (tmp_path / "t").mkdir()
    inline = "      " + OPS.replace("\n", "\n      ").rstrip() + "\n"
    (tmp_path / "t/kustomization.yaml").write_text(
        "kind: Kustomization\npatches:\n  - target: {kind: X}\n    patch: |-\n" + inline
    )
    error = "testing value /spec/a failed: test failed"
    assert failed_test_op(tmp_path, ["t/kustomization.yaml"], error) == Location(
        "t/kustomization.yaml", 5
    )


def test_other_build_errors_are_not_test_ops(tmp_path: Path) -> None:
    (tmp_path / "patch.yaml").write_text(OPS)
    assert failed_test_op(tmp_path, ["patch.yaml"], "missing metadata.name") is None
