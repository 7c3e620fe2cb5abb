"""A hostile pull request, one test per attack class of issue 17, judged as the PR workflow does.

Each test applies every attack of its class to one copy of the repository (`pr`) and runs
`validate --policy-from base` once, static stages only, on the render targets the attacks
reach. It asserts exit 1 and each expected check id at the file and line a reviewer must
look at, and that a canary file outside the repository appears in no output and in no
cache file the run wrote (rendered output included: the render cache holds it).
Checks the attacks rely on: tests/unit/checks/ (one file per check), tests/unit/test_harden.py,
test_render_bounds.py, test_policy.py; the trust boundary itself: test_trust_boundary.py.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from tests.conftest import TEST_CACHE, Row, edit, exponential_tree, validate_pr

Found = set[tuple[str, str, int | None]]


def _canary(tmp_path: Path) -> tuple[Path, str]:
    """A file beside the two checkouts, outside both, with text found nowhere else."""
    text = f"CANARY-{uuid.uuid4().hex}"
    path = tmp_path / "canary.yaml"
    path.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {text.lower()}\n")
    return path, text


def _assert_canary_nowhere(text: str, output: str, since: float, *dirs: Path) -> None:
    """Not in the output, nor in any file the run wrote under the cache directories."""
    assert text not in output
    assert text.lower() not in output
    for directory in dirs:
        for dirpath, _, filenames in os.walk(directory):
            for name in filenames:
                path = Path(dirpath) / name
                try:
                    if path.is_symlink() or path.stat().st_mtime < since:
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue  # removed by a concurrent run meanwhile
                assert text.lower().encode() not in data, path
                assert text.encode() not in data, path


def _line(path: Path, needle: str) -> int:
    """1-based line of the one line of `path` that contains `needle`."""
    hits = [n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"{path}: {needle!r} on lines {hits}"
    return hits[0]


def _found(rows: Iterable[Row]) -> Found:
    return {(check, file, line) for check, file, line, _ in rows}


def _judge(pr: Path, base: Path, *targets: str, cache: bool = True) -> tuple[Found, str, float]:
    """One run as the PR workflow runs it: exit 1, the findings and the output."""
    since = time.time() - 1  # file times have a coarse clock
    code, rows, output = validate_pr(pr, base, *targets, cache=cache)
    assert code == 1, output
    return _found(rows), output, since


# -- (a) the check trusts what the pull request brings ----------------------------------------

GCS_PORT = (
    '      port: "6379"  # GCS: the autoscaler sidecar only looks here (ray-project/ray#41072)'
)
DEV_RAYCLUSTER = "overlays/dev/raycluster"


def _forge_render_cache(pr: Path, workshop: Path) -> Path:
    """The pull request's own cache in its checkout, with an entry hiding a defect.

    Built with the tool itself, as a PR author would, in a cache of their own outside the
    checkout (the tool never writes a cache inside the repository it judges): the clean
    render, then the defect (GCS off the port the autoscaler looks at), whose key is
    pointed at the clean render; the forged cache is then committed into the checkout.
    Even without the boundary the tool does not read it (a cache inside the repository
    under check that git does not ignore is never used), so the defect is found.
    """
    config = pr / "kuberay-gitops.yaml"
    clean_config = config.read_text()
    config.write_text(clean_config + f"cache_dir: {workshop}\n")
    refs = workshop / "render"
    validate_pr(pr, None, DEV_RAYCLUSTER, cache=False)
    [clean] = [p.read_text() for p in refs.glob("*.ref")]
    before = {p.name for p in refs.glob("*.ref")}
    edit(pr / "base/raycluster/raycluster.yaml", GCS_PORT, '      port: "6380"')
    checks = {r[0] for r in validate_pr(pr, None, DEV_RAYCLUSTER, cache=False)[1]}
    assert "ray-autoscaler-gcs-port" in checks
    [defect] = [p for p in refs.glob("*.ref") if p.name not in before]
    defect.write_text(clean)
    checks = {r[0] for r in validate_pr(pr, None, DEV_RAYCLUSTER, cache=False)[1]}
    assert "ray-autoscaler-gcs-port" not in checks  # the forged entry works where it is ours
    forged = pr / ".cache-forged"
    shutil.copytree(workshop, forged)
    config.write_text(clean_config + "cache_dir: .cache-forged\n")
    alone = workshop.with_name("pr-without-the-boundary")  # a copy: the run writes scratch
    shutil.copytree(pr, alone)
    _, rows, output = validate_pr(alone, None, DEV_RAYCLUSTER, cache=False)
    assert "ray-autoscaler-gcs-port" in {r[0] for r in rows}  # committed, it is never read
    assert "caches not used: cache_dir .cache-forged is inside the repository" in output
    return forged


def _symlinked_mirror(pr: Path, canary: Path) -> None:
    """A mirror of the operator's upstream tree: its manifests, a symlink out of the checkout."""
    source = pr / "evil-mirror"
    for unit in ("crd", "rbac", "manager"):
        (source / unit).mkdir(parents=True)
        (source / unit / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources:\n  - environ.yaml\n"
        )
        (source / unit / "environ.yaml").symlink_to(canary)
    edit(pr / "kuberay-gitops.yaml", "source: crds/kuberay/v1.7.0/operator", f"source: {source}")


def test_what_the_pr_brings_for_the_check_is_never_used(
    copies: tuple[Path, Path], tmp_path: Path
) -> None:
    base, pr = copies
    canary, text = _canary(tmp_path)
    # The platform's own cache (the base branch's policy); the job sets no cache variable.
    (base / "kuberay-gitops.yaml").write_text(
        (base / "kuberay-gitops.yaml").read_text() + f"cache_dir: {TEST_CACHE}\n"
    )
    forged = _forge_render_cache(pr, tmp_path / "workshop")
    _symlinked_mirror(pr, canary)
    found, output, since = _judge(pr, base, DEV_RAYCLUSTER, "overlays/dev/operator", cache=False)
    config = pr / "kuberay-gitops.yaml"
    config_lines = config.read_text().splitlines()
    assert {
        (
            "ray-autoscaler-gcs-port",
            "base/raycluster/raycluster.yaml",
            _line(pr / "base/raycluster/raycluster.yaml", 'port: "6380"'),
        ),
        ("policy-change", "kuberay-gitops.yaml", _line(config, "cache_dir: .cache-forged")),
        ("policy-change", "kuberay-gitops.yaml", 1 + config_lines.index("mirrors:")),
    } <= found, output
    _assert_canary_nowhere(text, output, since, TEST_CACHE, forged)
    assert not [p for p in forged.rglob("*") if p.stat().st_mtime >= since]  # never touched


# -- (b) Argo CD settings that change what is deployed ----------------------------------------

APPSETS = "argocd/applicationsets"


def test_argo_cd_settings_that_change_what_is_deployed_are_refused(
    copies: tuple[Path, Path], tmp_path: Path
) -> None:
    base, pr = copies
    _, text = _canary(tmp_path)
    dev = pr / APPSETS / "applicationset-kuberay-dev.yaml"
    staging = pr / APPSETS / "applicationset-kuberay-staging.yaml"
    prod = pr / APPSETS / "applicationset-kuberay-prod.yaml"
    root = pr / "argocd/bootstrap/application-root.yaml"
    edit(
        dev,
        '        path: "{{.target}}"\n',
        '        path: "{{.target}}"\n        kustomize:\n          images:\n'
        "            - rayproject/ray:nightly\n",
    )
    edit(
        prod,
        "  template:\n",
        "  templatePatch: |\n    spec:\n      project: default\n  template:\n",
    )
    edit(staging, "  generators:\n", "  generators:\n    - clusters: {}\n")
    edit(root, "targetRevision: main", "targetRevision: refs/pull/42/head")
    found, output, since = _judge(pr, base, "argocd", "argocd/bootstrap")
    assert {
        ("argocd-source-overrides", f"{APPSETS}/{dev.name}", _line(dev, "kustomize:")),
        ("argocd-appset-unsupported", f"{APPSETS}/{prod.name}", _line(prod, "templatePatch:")),
        ("argocd-appset-unsupported", f"{APPSETS}/{staging.name}", _line(staging, "clusters:")),
        (
            "argocd-target-revision[change-ref]",
            "argocd/bootstrap/application-root.yaml",
            _line(root, "targetRevision:"),
        ),
    } <= found, output
    _assert_canary_nowhere(text, output, since, TEST_CACHE)


# -- (c) breadth ------------------------------------------------------------------------------

PROJECT = "argocd/projects/appproject-kuberay-platform.yaml"
HOSTILE_RBAC = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: everyone-admin
  namespace: kuberay
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: system:authenticated
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ray-helper
rules:
  - apiGroups: [""]
    resources: [users, groups, serviceaccounts]
    verbs: [impersonate]
  - apiGroups: [""]
    resources: [secrets]
    verbs: [get, list]
  - apiGroups: [""]
    resources: [pods/exec]
    verbs: [create]
  - apiGroups: [""]
    resources: [nodes/proxy]
    verbs: [get]
  - apiGroups: [""]
    resources: [serviceaccounts/token]
    verbs: [create]
"""


def test_breadth_added_by_the_pr_is_judged(copies: tuple[Path, Path], tmp_path: Path) -> None:
    base, pr = copies
    _, text = _canary(tmp_path)
    project = pr / PROJECT
    edit(
        project,
        "  sourceRepos:\n    - https://github.com/platform-team/kuberay-gitops.git\n",
        "  sourceRepos:\n    - https://github.com/platform-team/kuberay-gitops.git\n"
        "    - \"*\"\n  sourceNamespaces:\n    - '*'\n",
    )
    edit(
        project,
        "  clusterResourceWhitelist:\n",
        "  clusterResourceWhitelist:\n    - {group: '*', kind: '*'}\n",
    )
    edit(
        project,
        "  namespaceResourceWhitelist:\n",
        "  namespaceResourceWhitelist:\n    - {group: '*', kind: '*'}\n",
    )
    edit(
        project,
        "        - p, proj:kuberay-platform:developer, logs, get, kuberay-platform/*, allow\n",
        "        - p, proj:kuberay-platform:developer, logs, get, kuberay-platform/*, allow\n"
        "        - p, proj:kuberay-platform:developer, exec, create, kuberay-platform/*, allow\n",
    )
    rbac = pr / DEV_RAYCLUSTER / "rbac-helper.yaml"
    rbac.write_text(HOSTILE_RBAC)
    edit(
        pr / DEV_RAYCLUSTER / "kustomization.yaml",
        "  - ../../../base/monitoring\n",
        "  - ../../../base/monitoring\n  - rbac-helper.yaml\n",
    )
    raycluster = pr / "base/raycluster/raycluster.yaml"
    edit(
        raycluster,
        "    argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true\n",
        "    argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true\n"
        "    checkov.io/skip1: CKV_K8S_21=trust me\n",
    )
    found, output, since = _judge(pr, base, "argocd", DEV_RAYCLUSTER)
    rbac_file = f"{DEV_RAYCLUSTER}/rbac-helper.yaml"
    assert {
        ("argocd-project-breadth[source-repos]", PROJECT, _line(project, '- "*"')),
        (
            "argocd-project-breadth[source-namespaces]",
            PROJECT,
            1 + _line(project, "sourceNamespaces:"),
        ),
        (
            "argocd-project-breadth[whitelist]",
            PROJECT,
            1 + _line(project, "  clusterResourceWhitelist:"),
        ),
        (
            "argocd-project-breadth[whitelist]",
            PROJECT,
            1 + _line(project, "  namespaceResourceWhitelist:"),
        ),
        ("argocd-project-breadth[role-policy]", PROJECT, _line(project, "developer, exec,")),
        ("rbac-broad-subject", rbac_file, _line(rbac, "system:authenticated")),
        ("rbac-sensitive-grant[impersonate]", rbac_file, _line(rbac, "[impersonate]")),
        ("rbac-sensitive-grant[secrets-read]", rbac_file, _line(rbac, "[secrets]")),
        ("rbac-sensitive-grant[pods-exec]", rbac_file, _line(rbac, "[pods/exec]")),
        ("rbac-sensitive-grant[nodes-proxy]", rbac_file, _line(rbac, "[nodes/proxy]")),
        (
            "rbac-sensitive-grant[serviceaccount-token]",
            rbac_file,
            _line(rbac, "[serviceaccounts/token]"),
        ),
        (
            "policy-change",
            "base/raycluster/raycluster.yaml",
            _line(raycluster, "checkov.io/skip1"),
        ),
    } <= found, output
    _assert_canary_nowhere(text, output, since, TEST_CACHE)


# -- (d) weakening by omission ----------------------------------------------------------------

DELETE_DEFAULT_DENY = """\
  - patch: |-
      $patch: delete
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: ray-default-deny
        namespace: kuberay
"""
EGRESS_ONLY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ray-default-deny
  namespace: kuberay
spec:
  policyTypes:
    - Egress
"""
NETPOL = "base/networkpolicy"


def test_weakening_by_omission_is_caught(copies: tuple[Path, Path], tmp_path: Path) -> None:
    base, pr = copies
    _, text = _canary(tmp_path)
    # dev: the default-deny deleted; staging: made egress-only
    edit(
        pr / DEV_RAYCLUSTER / "kustomization.yaml", "patches:\n", "patches:\n" + DELETE_DEFAULT_DENY
    )
    egress_only = pr / "overlays/staging/raycluster/patch-default-deny.yaml"
    egress_only.write_text(EGRESS_ONLY)
    edit(
        pr / "overlays/staging/raycluster/kustomization.yaml",
        "  - ../../../components/kueue\n",
        "  - ../../../components/kueue\n\npatches:\n  - path: patch-default-deny.yaml\n",
    )
    clients = pr / NETPOL / "networkpolicy-ray-head-ingress-clients.yaml"
    edit(
        clients,
        "        - namespaceSelector:\n            matchLabels:\n"
        '              kuberay.io/ray-client: "true"\n',
        "        - namespaceSelector: {}\n",
    )
    egress = pr / NETPOL / "networkpolicy-ray-egress-platform-services.yaml"
    edit(egress, "  egress:\n", "  egress:\n    - {}\n")
    namespace = pr / "components/namespaced-operator/namespace-kuberay.yaml"
    edit(
        namespace,
        "    pod-security.kubernetes.io/enforce: restricted\n",
        "    pod-security.kubernetes.io/enforce: privileged\n",
    )
    raycluster = pr / "base/raycluster/raycluster.yaml"
    edit(
        raycluster,
        "        priorityClassName: kuberay-ray-head\n",
        "        priorityClassName: kuberay-ray-head\n        shareProcessNamespace: true\n",
    )
    edit(
        raycluster,
        "          fsGroup: 100\n          seccompProfile:\n            type: RuntimeDefault\n"
        "        affinity:\n",
        "          fsGroup: 100\n          seLinuxOptions:\n            type: spc_t\n"
        "          seccompProfile:\n            type: RuntimeDefault\n"
        "          appArmorProfile:\n            type: Unconfined\n        affinity:\n",
    )
    found, output, since = _judge(
        pr, base, DEV_RAYCLUSTER, "overlays/staging/raycluster", "overlays/dev/operator"
    )
    first_ray_object = ("base/raycluster/raycluster.yaml", _line(raycluster, "namespace: kuberay"))
    assert {
        ("netpol-default-deny[ingress]", *first_ray_object),
        ("netpol-default-deny[egress]", *first_ray_object),
        (
            "netpol-default-deny[ingress]",
            "overlays/staging/raycluster/patch-default-deny.yaml",
            _line(egress_only, "policyTypes:"),
        ),
        (
            "exposure-netpol-ingress[all-namespaces]",
            f"{NETPOL}/{clients.name}",
            _line(clients, "namespaceSelector: {}"),
        ),
        ("netpol-egress-broad[internet]", f"{NETPOL}/{egress.name}", _line(egress, "- {}")),
        (
            "pod-security-label",
            "components/namespaced-operator/namespace-kuberay.yaml",
            _line(namespace, "enforce: privileged"),
        ),
        (
            "pod-confinement[share-process-namespace]",
            "base/raycluster/raycluster.yaml",
            _line(raycluster, "shareProcessNamespace"),
        ),
        ("pod-confinement[selinux]", "base/raycluster/raycluster.yaml", _line(raycluster, "spc_t")),
        (
            "pod-confinement[apparmor]",
            "base/raycluster/raycluster.yaml",
            _line(raycluster, "type: Unconfined"),
        ),
    } <= found, output
    _assert_canary_nowhere(text, output, since, TEST_CACHE)


# -- (e) ShadowRay through another door -------------------------------------------------------


def test_ray_auth_turned_off_or_exposed_another_way_is_caught(
    copies: tuple[Path, Path], tmp_path: Path
) -> None:
    base, pr = copies
    _, text = _canary(tmp_path)
    raycluster = pr / "base/raycluster/raycluster.yaml"
    edit(
        raycluster,
        "            env:\n              # Default address",
        "            env:\n              - name: RAY_AUTH_MODE\n                value: disabled\n"
        "              # Default address",
    )
    rayservice = pr / "apps/serve-app/base/rayservice.yaml"
    edit(
        rayservice,
        "  rayClusterDeletionDelaySeconds: 60\n",
        "  rayClusterDeletionDelaySeconds: 60\n"
        "  serveService:\n    spec:\n      type: LoadBalancer\n",
    )
    found, output, since = _judge(pr, base, DEV_RAYCLUSTER, "apps/serve-app/overlays/dev")
    assert {
        (
            "exposure-ray-auth-env",
            "base/raycluster/raycluster.yaml",
            _line(raycluster, "value: disabled"),
        ),
        (
            "posture-widening[exposure]",
            "apps/serve-app/base/rayservice.yaml",
            _line(rayservice, "type: LoadBalancer"),
        ),
    } <= found, output
    _assert_canary_nowhere(text, output, since, TEST_CACHE)


# -- (f) secrets outside YAML -----------------------------------------------------------------


def test_secrets_in_files_a_generator_reads_are_caught(
    copies: tuple[Path, Path], tmp_path: Path
) -> None:
    base, pr = copies
    _, text = _canary(tmp_path)
    overlay = pr / DEV_RAYCLUSTER
    (overlay / "app.env").write_text(
        "LOG_LEVEL=info\nAWS_ACCESS_KEY_ID=AKIAZ7QH3KX2M4PLW9RT\n"
        "AWS_SECRET_ACCESS_KEY=q8Vf2xK9mL3pR7tW1yB5nC4hJ6dS0aE2gU8iO3zQ\n"
    )
    (overlay / "db.env").write_text("DB_USER=ray\nDB_PASSWORD=Xk9#mQ2$vL7pW4zR8tYb\n")
    kustomization = overlay / "kustomization.yaml"
    edit(
        kustomization,
        "patches:\n",
        "configMapGenerator:\n  - name: app-settings\n    namespace: kuberay\n    envs:\n"
        "      - app.env\n\nsecretGenerator:\n  - name: db-credentials\n    namespace: kuberay\n"
        "    envs:\n      - db.env\n\npatches:\n",
    )
    found, output, since = _judge(pr, base, DEV_RAYCLUSTER)
    assert {
        ("secret-high-entropy", f"{DEV_RAYCLUSTER}/app.env", 2),
        ("secret-high-entropy", f"{DEV_RAYCLUSTER}/app.env", 3),
        (
            "secret-committed",
            f"{DEV_RAYCLUSTER}/kustomization.yaml",
            _line(kustomization, "- name: db-credentials"),
        ),
    } <= found, output
    _assert_canary_nowhere(text, output, since, TEST_CACHE)


# -- (g) pins and resources -------------------------------------------------------------------

FILE_URL = (
    "https://github.com/ray-project/kuberay/raw/master/ray-operator/config/crd/bases/"
    "ray.io_rayclusters.yaml?ref=v1.7.0"
)


def test_unpinned_files_floating_images_and_a_build_bomb_are_caught(
    copies: tuple[Path, Path], tmp_path: Path
) -> None:
    base, pr = copies
    _, text = _canary(tmp_path)
    # The platform's policy caps a build at 256 MiB (the default 2 GiB would take a minute
    # and 2 GiB of this machine to trip): the same bomb, a smaller bound.
    for side in (base, pr):
        edit(
            side / "kuberay-gitops.yaml",
            "render:\n  timeout_seconds: 120\n",
            "render:\n  timeout_seconds: 120\n  memory_limit_mib: 256\n",
        )
    operator = pr / "overlays/staging/operator/kustomization.yaml"
    edit(operator, "  - ../../../base/operator\n", f"  - ../../../base/operator\n  - {FILE_URL}\n")
    staging = pr / "overlays/staging/raycluster/kustomization.yaml"
    edit(
        staging,
        "  - ../../../components/kueue\n",
        "  - ../../../components/kueue\n\nimages:\n  - name: rayproject/ray\n    newTag: nightly\n",
    )
    serve = pr / "apps/serve-app/overlays/dev/kustomization.yaml"
    edit(
        serve,
        "  - ../../base\n",
        "  - ../../base\n\nimages:\n  - name: rayproject/ray\n    newTag: latest-gpu\n",
    )
    for rel, body in exponential_tree(7, 1024, target="bomb/top").items():
        (pr / rel).parent.mkdir(parents=True, exist_ok=True)
        (pr / rel).write_text(body)
    edit(
        pr / DEV_RAYCLUSTER / "kustomization.yaml",
        "  - ../../../base/monitoring\n",
        "  - ../../../base/monitoring\n  - ../../../bomb/top\n",
    )
    found, output, since = _judge(
        pr,
        base,
        DEV_RAYCLUSTER,
        "overlays/staging/operator",
        "overlays/staging/raycluster",
        "apps/serve-app/overlays/dev",
    )
    assert {
        (
            "harden-remote-base[file-url]",
            "overlays/staging/operator/kustomization.yaml",
            _line(operator, "/raw/master/"),
        ),
        (
            "pod-image-tag",
            "overlays/staging/raycluster/kustomization.yaml",
            _line(staging, "- name: rayproject/ray"),  # the images: entry
        ),
        (
            "pod-image-tag",
            "apps/serve-app/overlays/dev/kustomization.yaml",
            _line(serve, "- name: rayproject/ray"),  # the images: entry
        ),
        ("render[memory-limit]", f"{DEV_RAYCLUSTER}/kustomization.yaml", 1),
    } <= found, output
    _assert_canary_nowhere(text, output, since, TEST_CACHE)
