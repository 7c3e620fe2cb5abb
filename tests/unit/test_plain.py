"""validate --manifests: plain manifest files judged with the pipeline's own stages."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kuberay_gitops.exitcodes import NothingToCheck
from kuberay_gitops.findings import Finding, Report
from kuberay_gitops.pipeline import Stages, validate_manifests
from kuberay_gitops.settings import load
from tests.conftest import REPO_ROOT, CliResult, WriteTree, cli, config_text

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: {name}
spec:
  headGroupSpec:
    rayStartParams: {{}}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.52.0
  workerGroupSpecs:
    - groupName: cpu
      replicas: {replicas}
      minReplicas: 1
      maxReplicas: 2
      rayStartParams: {{}}
      template:
        metadata: null
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.52.0
"""
RAYJOB = """\
apiVersion: ray.io/v1
kind: RayJob
metadata:
  generateName: {prefix}
spec:
  entrypoint: python -c "print(1)"
  rayClusterSpec:
    headGroupSpec:
      rayStartParams: {{}}
      template:
        spec:
          containers:
            - name: ray-head
              image: rayproject/ray:2.52.0
    workerGroupSpecs:
      - groupName: cpu
        rayStartParams: {{}}
        template:
          spec:
            containers:
              - name: ray-worker
                image: rayproject/ray:2.52.0
"""
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: b\n"
# Everything but checkov and the twin: the stages --manifests runs.
STAGES = Stages(checkov=False, cluster=False)


def _run(root: Path, *paths: str, stages: Stages = STAGES) -> Report:
    return validate_manifests(load(root, env={}), paths, stages, cwd=root)


def _rows(findings: list[Finding] | tuple[Finding, ...]) -> list[tuple[str, str, str, int | None]]:
    return [
        (f.qualified_id, f.obj.name if f.obj else "", f.location.file, f.location.line)
        for f in findings
    ]


def test_a_finding_is_located_at_the_line_of_the_file(write_tree: WriteTree) -> None:
    root = write_tree({"m/rc.yaml": RAYCLUSTER.format(name="rc", replicas=5)})
    report = _run(root, "m/rc.yaml")
    assert [r for r in _rows(report.findings) if r[0] == "ray-replicas-range"] == [
        ("ray-replicas-range", "rc", "m/rc.yaml", 15)
    ]


def test_defaulted_required_fields_and_null_metadata_are_no_schema_error(
    write_tree: WriteTree,
) -> None:
    worker = RAYCLUSTER.format(name="rc", replicas=1).replace(
        "      minReplicas: 1\n      maxReplicas: 2\n", ""
    )
    assert "maxReplicas" not in worker
    statefulset = (
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: s\nspec:\n"
        "  selector:\n    matchLabels: {app: s}\n  template:\n    metadata:\n"
        "      labels: {app: s}\n    spec:\n      containers:\n        - name: c\n"
        "          image: busybox:1.36\n"
    )
    root = write_tree({"m/rc.yaml": worker, "m/sts.yaml": statefulset})
    report = _run(root, "m")
    assert [r for r in _rows(report.findings) if r[0].startswith("kubeconform/")] == []


def test_a_directory_is_one_unit_per_directory_of_manifests(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "m/a.yaml": CONFIGMAP.format(name="a"),
            "m/b.yml": CONFIGMAP.format(name="b"),
            "m/sub/c.json": '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}',
            "m/notes.txt": "not a manifest",
        }
    )
    report = _run(root, "m")
    assert [(t.path, t.objects) for t in report.targets] == [("m", 2), ("m/sub", 1)]


def test_an_object_twice_in_a_unit_is_a_render_finding(write_tree: WriteTree) -> None:
    root = write_tree(
        {"m/a.yaml": CONFIGMAP.format(name="x"), "m/b.yaml": CONFIGMAP.format(name="x")}
    )
    report = _run(root, "m")
    assert _rows(report.findings) == [("render", "", "m/b.yaml", 1)]
    assert "ConfigMap/x is defined twice in m: at m/a.yaml:1 and m/b.yaml:1" in (
        report.findings[0].message
    )
    assert [(t.path, t.rendered) for t in report.targets] == [("m", False)]


def test_separate_files_are_separate_units(write_tree: WriteTree) -> None:
    root = write_tree(
        {"m/a.yaml": CONFIGMAP.format(name="x"), "m/b.yaml": CONFIGMAP.format(name="x")}
    )
    report = _run(root, "m/a.yaml", "m/b.yaml")
    assert _rows(report.findings) == []
    assert [t.path for t in report.targets] == ["m/a.yaml", "m/b.yaml"]


def test_generate_name_is_the_object_identity(write_tree: WriteTree) -> None:
    root = write_tree({"m/job.yaml": RAYJOB.format(prefix="demo-")})
    report = _run(root, "m/job.yaml", stages=Stages(checkov=False, cluster=False, lint=False))
    assert [t.objects for t in report.targets] == [1]
    assert [r for r in _rows(report.findings) if r[0] in ("render", "ray-name-length")] == []


def test_a_generate_name_is_judged_with_its_random_suffix(write_tree: WriteTree) -> None:
    prefix = "j" * 43  # + 5 random characters = 48, over the RayJob limit of 47
    root = write_tree({"m/job.yaml": RAYJOB.format(prefix=prefix)})
    report = _run(root, "m/job.yaml")
    found = [f for f in report.findings if f.check_id == "ray-name-length"]
    assert [(f.field_str, f.location.line) for f in found] == [(".metadata.generateName", 4)]


def test_plain_rayjobs_are_not_taken_for_argo_cd_synced_ones(write_tree: WriteTree) -> None:
    root = write_tree({"m/job.yaml": RAYJOB.format(prefix="demo-")})
    report = _run(root, "m/job.yaml")
    assert [f for f in report.findings if f.check_id.startswith("argocd-")] == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- a\n- b\n", "m/x.yaml: the document at line 1 is a list, not a Kubernetes object"),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
            "ConfigMap has neither metadata.name nor metadata.generateName",
        ),
        (
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
            "is a kustomize Kustomization: validate its directory as a render target",
        ),
        ("a: [\n", "m/x.yaml is not valid YAML"),
    ],
    ids=["not-a-mapping", "no-name", "kustomization", "bad-yaml"],
)
def test_a_document_that_is_not_an_object_is_a_render_finding(
    write_tree: WriteTree, text: str, words: str
) -> None:
    root = write_tree({"m/x.yaml": text})
    report = _run(root, "m/x.yaml", stages=Stages(checkov=False, cluster=False, lint=False))
    [finding] = [f for f in report.findings if f.check_id == "render"]
    assert (finding.location.file, words in finding.message) == ("m/x.yaml", True)


def test_a_fifo_is_never_read(write_tree: WriteTree) -> None:
    root = write_tree({"m/a.yaml": CONFIGMAP.format(name="a")})
    os.mkfifo(root / "m" / "pipe.yaml")
    report = _run(root, "m")
    assert ("input-unsafe[not-regular]", "", "m/pipe.yaml", None) in _rows(report.findings)
    assert [(t.path, t.rendered) for t in report.targets] == [("m", False)]


def test_a_symlink_out_of_the_directory_is_never_read(
    write_tree: WriteTree, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.yaml"
    outside.write_text(CONFIGMAP.format(name="outside"))
    root = write_tree({"m/a.yaml": CONFIGMAP.format(name="a")})
    (root / "m" / "link.yaml").symlink_to(outside)
    report = _run(root, "m")
    assert ("harden-path-escape", "", "m/link.yaml", None) in _rows(report.findings)


def test_files_outside_the_repository_are_shown_by_their_absolute_path(
    write_tree: WriteTree, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "rc.yaml"
    elsewhere.write_text(RAYCLUSTER.format(name="rc", replicas=5))
    root = write_tree({})
    report = _run(root, str(elsewhere))
    assert ("ray-replicas-range", "rc", str(elsewhere), 15) in _rows(report.findings)


def test_a_path_that_does_not_exist_is_nothing_to_check(write_tree: WriteTree) -> None:
    root = write_tree({})
    with pytest.raises(NothingToCheck, match=r"^nope\.yaml: no such file or directory$"):
        _run(root, "nope.yaml")


def test_a_directory_without_manifests_is_nothing_to_check(write_tree: WriteTree) -> None:
    root = write_tree({"docs/readme.md": "# hi\n"})
    with pytest.raises(NothingToCheck, match=r"^docs: no \*\.yaml, \*\.yml, \*\.json file"):
        _run(root, "docs")


def _cli(root: Path, *args: str) -> CliResult:
    return cli("--repo", str(root), "validate", "--manifests", "--skip-checkov", *args)


def test_the_cli_exit_code_of_a_bad_path_is_three_with_one_line(write_tree: WriteTree) -> None:
    root = write_tree({})
    result = _cli(root, str(root / "nope.yaml"))
    assert result.exit_code == 3
    assert (
        result.stderr == f"kuberay-gitops: error: {root / 'nope.yaml'}: no such file or directory\n"
    )


def test_the_cli_exit_codes_of_clean_and_failing_manifests(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "good/cm.yaml": CONFIGMAP.format(name="a"),
            "bad/rc.yaml": RAYCLUSTER.format(name="rc", replicas=5),
        }
    )
    assert _cli(root, str(root / "good")).exit_code == 0
    assert _cli(root, str(root / "bad")).exit_code == 1


def test_the_cli_refuses_manifests_with_changed_since(write_tree: WriteTree) -> None:
    root = write_tree({"m/cm.yaml": CONFIGMAP.format(name="a")})
    assert _cli(root, "--changed-since", "HEAD", str(root / "m")).exit_code == 2


def test_a_check_the_pull_request_disables_still_runs_and_the_change_is_shown(
    write_tree: WriteTree,
) -> None:
    disabled = "checks:\n  ray-replicas-range:\n    enabled: false\n"
    policy = {name: (REPO_ROOT / name).read_text() for name in ("toolchain.env", ".yamllint")}
    root = write_tree(
        {
            **{f"base/{name}": text for name, text in policy.items()},
            **{f"pr/{name}": text for name, text in policy.items()},
            "base/kuberay-gitops.yaml": config_text(),
            "pr/kuberay-gitops.yaml": config_text(extra=disabled),
            "pr/m/rc.yaml": RAYCLUSTER.format(name="rc", replicas=5),
        }
    )
    pr, base = root / "pr", root / "base"
    line = (pr / "kuberay-gitops.yaml").read_text().splitlines().index("    enabled: false") + 1
    result = cli("--repo", str(pr), "--policy-from", str(base), "validate", "--manifests",
                 "--skip-checkov", "--format", "json", str(pr / "m"))  # fmt: skip
    assert result.exit_code == 1, result.stderr
    rows = [
        (f["check"], f["file"], f["line"], f["name"], f["message"])
        for f in json.loads(result.stdout)["findings"]
        if f["check"] in ("policy-change", "ray-replicas-range")
    ]
    assert rows == [
        (
            "policy-change",
            "kuberay-gitops.yaml",
            line,
            None,
            "check ray-replicas-range is disabled",
        ),
        (
            "ray-replicas-range",
            "m/rc.yaml",
            15,
            "rc",
            "worker group cpu: replicas 5 > maxReplicas 2",
        ),
    ]
