"""The cluster stage on real binaries: each defect below is refused by the real API server
or the real KubeRay operator on the control-plane twin, located at the repository line
that causes it, and missed by the static layers (kubeconform and the project's checks).

Every test validates a copy of the repository narrowed to one dev target, so the twin
applies the whole dev environment (five Argo CD units) once; `--no-cluster` on the same
copy shows the static layers alone pass the defect.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kuberay_gitops_dev.mutation import copy_repository
from tests.conftest import REPO_ROOT, TEST_CACHE, TOOLS_DIR, CliResult, require_setup, shared_dir

Run = Callable[..., CliResult]
Row = tuple[str, str, int | None, str]
TWIN = ("etcd", "kube-apiserver", "kuberay-operator")


def _env() -> dict[str, str]:
    return {
        "KUBERAY_GITOPS_SHARED_DIR": str(shared_dir()),
        "KUBERAY_GITOPS_TOOLS_DIR": str(TOOLS_DIR),
        "KUBERAY_GITOPS_CACHE_DIR": str(TEST_CACHE),
    }


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    require_setup()
    missing = [b for b in TWIN if not (TOOLS_DIR / b).is_file()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing from .tools/bin: run `make setup`")
    copy_repository(REPO_ROOT, tmp_path)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the one occurrence of `old`; the 1-based line where `new` starts."""
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: {old!r} found {text.count(old)} times"
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


def _findings(run_cli: Run, root: Path, *args: str) -> tuple[int, list[Row], dict[str, object]]:
    result = run_cli(
        "--repo", str(root), "validate", "--skip-checkov", "--format", "json", *args, env=_env()
    )
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    data = json.loads(result.stdout)
    rows = [(f["check"], f["file"], f["line"], f["message"]) for f in data["findings"]]
    return result.exit_code, rows, data


def _caught_only_by_the_twin(run_cli: Run, root: Path, target: str) -> list[Row]:
    """Findings with the twin; and proof that without it the copy validates clean."""
    code, static, data = _findings(run_cli, root, target, "--no-cluster")
    assert (code, static) == (0, []), static
    assert data["cluster_skipped"] == "--no-cluster"
    code, rows, data = _findings(run_cli, root, target)
    assert code == 1
    assert [c["environment"] for c in data["clusters"]] == ["dev"]  # type: ignore[union-attr]
    return rows


def test_a_cel_rule_of_the_rayjob_crd_is_enforced(run_cli: Run, repo_copy: Path) -> None:
    rayjob = repo_copy / "apps/finetune-job/base/rayjob.yaml"
    line = _edit(
        rayjob,
        "  submissionMode: K8sJobMode\n",
        "  managedBy: example.com/other-controller\n  submissionMode: K8sJobMode\n",
    )
    rows = _caught_only_by_the_twin(run_cli, repo_copy, "apps/finetune-job/overlays/dev")
    [cel] = [r for r in rows if r[0] == "cluster-cel"]
    assert cel[1:3] == ("apps/finetune-job/base/rayjob.yaml", line)
    assert "managedBy field value must be either" in cel[3]


def test_legacy_deletion_policies_with_deletion_rules_break_a_cel_rule(
    run_cli: Run, repo_copy: Path
) -> None:
    rayjob = repo_copy / "apps/finetune-job/base/rayjob.yaml"
    line = _edit(
        rayjob,
        "  submissionMode: K8sJobMode\n",
        "  deletionStrategy:\n"
        "    onSuccess: {policy: DeleteCluster}\n"
        "    onFailure: {policy: DeleteNone}\n"
        "    deletionRules:\n"
        "      - policy: DeleteCluster\n"
        "        condition: {jobStatus: SUCCEEDED, ttlSeconds: 60}\n"
        "  submissionMode: K8sJobMode\n",
    )
    rows = _caught_only_by_the_twin(run_cli, repo_copy, "apps/finetune-job/overlays/dev")
    cel = [r for r in rows if r[0] == "cluster-cel"]
    assert [r[1:3] for r in cel] == [("apps/finetune-job/base/rayjob.yaml", line)], rows
    assert "cannot be used together" in cel[0][3]


def test_a_container_port_name_over_15_characters_stops_the_head_pod(
    run_cli: Run, repo_copy: Path
) -> None:
    raycluster = repo_copy / "base/raycluster/raycluster.yaml"
    line = _edit(
        raycluster,
        "              - name: object-manager\n                containerPort: 8302",
        "              - name: ray-object-manager\n                containerPort: 8302",
    )
    rows = _caught_only_by_the_twin(run_cli, repo_copy, "overlays/dev/raycluster")
    [event] = [r for r in rows if r[0] == "cluster-operator"]
    assert event[1:3] == ("base/raycluster/raycluster.yaml", line)
    assert "must be no more than 15 characters" in event[3]


def test_the_crd_unit_without_server_side_apply_is_refused_at_its_sync_option(
    run_cli: Run, repo_copy: Path
) -> None:
    appset = repo_copy / "argocd/applicationsets/applicationset-kuberay-dev.yaml"
    line = _edit(
        appset,
        "            applySyncOption: ServerSideApply=true         # CRDs are",
        "            applySyncOption: ServerSideApply=false        # CRDs are",
    )
    rows = _caught_only_by_the_twin(run_cli, repo_copy, "overlays/dev/crds")
    at_option = [r for r in rows if r[1] == appset.relative_to(repo_copy).as_posix()]
    assert {r[0] for r in at_option} == {"cluster-apply"}
    assert {r[2] for r in at_option} == {line}
    assert all("needs ServerSideApply=true" in r[3] for r in at_option)
    too_long = [r for r in rows if r not in at_option and "annotations: Too long" in r[3]]
    assert too_long
    assert {r[1] for r in too_long} == {"base/crds/kustomization.yaml"}


def test_a_namespace_synced_after_its_objects_leaves_them_refused(
    run_cli: Run, repo_copy: Path
) -> None:
    # The kuberay Namespace comes with the operator unit, with the operator's RoleBinding in it.
    namespace = repo_copy / "components/namespaced-operator/namespace-kuberay.yaml"
    _edit(
        namespace,
        "  name: kuberay\n",
        '  name: kuberay\n  annotations:\n    argocd.argoproj.io/sync-wave: "5"\n',
    )
    rows = _caught_only_by_the_twin(run_cli, repo_copy, "overlays/dev/operator")
    refused = [r for r in rows if 'namespaces "kuberay" not found' in r[3]]
    assert {r[0] for r in refused} == {"cluster-apply"}
    assert {r[1] for r in refused} == {
        "components/namespaced-operator/rolebinding-kuberay-operator.yaml"
    }
    # Without its RoleBinding the operator is refused what it needs: said too.
    assert any(r[0] == "cluster-operator" and "may not list" in r[3] for r in rows)


def test_a_head_pod_pod_security_refuses_is_found_on_the_pod_kuberay_creates(
    run_cli: Run, repo_copy: Path
) -> None:
    # Pod Security admission judges Pods, never the RayCluster: an unsafe sysctl in the head
    # template passes every static layer and the RayCluster itself, and only the head Pod
    # the operator creates from it is refused.
    raycluster = repo_copy / "base/raycluster/raycluster.yaml"
    anchor = "          fsGroup: 100\n          seccompProfile:\n            type: RuntimeDefault\n"
    line = _edit(
        raycluster,
        anchor + "        affinity:\n",
        anchor + "          sysctls:\n            - name: kernel.msgmax\n"
        '              value: "65536"\n        affinity:\n',
    )
    rows = _caught_only_by_the_twin(run_cli, repo_copy, "overlays/dev/raycluster")
    [psa] = [r for r in rows if r[0] == "cluster-admission"]
    assert psa[1] == "base/raycluster/raycluster.yaml"
    assert psa[2] == line + 3, (line, psa)  # the sysctls line
    assert 'violates PodSecurity "restricted:latest"' in psa[3]
    assert "forbidden sysctls" in psa[3]


MARKER = "KUBERAY_GITOPS_TEST_RUN"


def _twin_processes(marker: str) -> list[str]:
    """Processes of one run: their environment carries the run's marker (the operator gets a
    minimal environment, so it is found by its kubeconfig path under the run's cache)."""
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes().decode(errors="replace")
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "kuberay_gitops" in cmdline:
            continue
        if f"{MARKER}={marker}" in environ or marker in environ:
            out.append(cmdline[:120])
    return out


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_run_stops_every_twin_process(
    repo_copy: Path, tmp_path: Path, signum: int
) -> None:
    cache = tmp_path / "interrupt-cache"  # the operator's kubeconfig lives under it
    env = {**os.environ, **_env(), "KUBERAY_GITOPS_CACHE_DIR": str(cache), MARKER: str(cache)}
    log = tmp_path / "stderr"
    argv = [sys.executable, "-m", "kuberay_gitops", "--repo", str(repo_copy), "validate"]
    with (
        log.open("wb") as err,
        subprocess.Popen(
            [*argv, "--skip-checkov", "--quiet"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        ) as proc,
    ):
        try:
            deadline = time.monotonic() + 180
            # Wait until an operator runs too: every kind of process is then alive.
            while time.monotonic() < deadline and not any(
                "kuberay-operator" in p for p in _twin_processes(str(cache))
            ):
                assert proc.poll() is None, log.read_text()
                time.sleep(0.2)
            running = _twin_processes(str(cache))
            assert any("kube-apiserver" in p for p in running), running
            assert any("kuberay-operator" in p for p in running), running
            proc.send_signal(signum)  # SIGKILL: no finally runs; the kernel must end them
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode != 0
    assert "Traceback" not in log.read_text()
    deadline = time.monotonic() + 15
    while _twin_processes(str(cache)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _twin_processes(str(cache)) == []
    if signum != signal.SIGKILL:  # a killed run cannot remove its work directories
        assert not any((cache / "tmp").glob("twin-*"))


def test_the_pods_of_the_operator_deployment_meet_pod_security(
    run_cli: Run, repo_copy: Path
) -> None:
    # Pod Security admission judges Pods; a Deployment's Pod is sent as a dry run, so an
    # unsafe sysctl no static layer reads is refused at the repository line.
    patch = repo_copy / "base/operator/patch-deployment-security.yaml"
    line = _edit(
        patch,
        "        seccompProfile:\n          type: RuntimeDefault\n      containers:\n",
        "        seccompProfile:\n          type: RuntimeDefault\n"
        '        sysctls:\n          - name: kernel.msgmax\n            value: "65536"\n'
        "      containers:\n",
    )
    rows = _caught_only_by_the_twin(run_cli, repo_copy, "overlays/dev/operator")
    [psa] = [r for r in rows if r[0] == "cluster-admission"]
    assert psa[1] == "base/operator/patch-deployment-security.yaml"
    assert line <= psa[2] <= line + 2, (line, psa)
    assert "would be refused" in psa[3]
    assert "forbidden sysctls" in psa[3]


def test_changed_since_applies_only_the_environments_a_change_reaches(
    run_cli: Run, repo_copy: Path
) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], cwd=repo_copy, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo_copy, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo_copy, check=True)
    patch = repo_copy / "overlays/dev/raycluster/patch-raycluster-size.yaml"
    _edit(patch, "  value: 60\n", "  value: 61\n")
    code, rows, data = _findings(run_cli, repo_copy, "--changed-since", "HEAD")
    assert (code, rows) == (0, [])
    assert [c["environment"] for c in data["clusters"]] == ["dev"]  # type: ignore[union-attr]


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def test_diff_generated_shows_what_the_operator_creates_differently(
    run_cli: Run, repo_copy: Path
) -> None:
    _git(repo_copy, "init", "-q", "-b", "main")
    _git(repo_copy, "add", "-A")
    _git(repo_copy, "commit", "-q", "-m", "base")
    patch = repo_copy / "overlays/dev/raycluster/patch-raycluster-size.yaml"
    head_limit = (
        '    limits:\n      cpu: "{}"\n      memory: 2Gi\n- op: replace\n  path: /spec/worker'
    )
    _edit(patch, head_limit.format(1), head_limit.format(2))
    result = run_cli("--repo", str(repo_copy), "diff", "--base", "main", "--generated", env=_env())
    assert result.exit_code == 0, result.stderr
    generated = result.stdout[result.stdout.index("generated in dev") :]
    assert generated.splitlines()[1:3] == [
        "~ Pod/kuberay/raycluster-autoscaler-head-*",
        # KubeRay hashes the head template to decide on a recreate upgrade: a new hash.
        "    ~ .metadata.annotations.ray.io/upgrade-strategy-recreate-hash: "
        + generated.split("recreate-hash: ", 1)[1].split("\n", 1)[0],
    ]
    assert '.spec.containers[0].resources.limits.cpu: "1" → "2"' in generated
    assert "serve-app" not in generated  # nothing else changed, run state normalised away
    assert "generated in prod" not in result.stdout  # prod is not affected
