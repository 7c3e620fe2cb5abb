"""`make mutation`: seed one realistic defect at a time and prove the named check catches it.

A check that passes the clean repository proves little on its own: it could pass
everything. This self-test applies each entry of a catalogue of single, realistic edits
(a port, a selector label, a NetworkPolicy rule, a ServiceMonitor endpoint, a replica
bound, an image tag, a securityContext field, an Argo CD path or sync wave, a schema
field, a secret) to a fresh copy of the real repository, runs the real `kuberay-gitops
validate` on it in a subprocess (exactly what CI runs, with the pinned kustomize and
kubeconform and the shared render/schema cache), and records whether a finding of the
expected check was reported. A miss is a bug in a check (or a catalogue entry that no
longer describes a defect): fix it, or report it. The unmutated copy must have zero
findings, otherwise a "detection" could be a finding that was there all along.

Each edit is a literal text replacement whose `old` text must occur exactly once in its
file: when the repository changes under the catalogue, the entry fails loudly (exit 3)
instead of silently mutating something else or nothing. Settings (shared dir, tools dir,
cache dir) are resolved like the CLI resolves them (config file, `KUBERAY_GITOPS_*`
environment) from the real repository, and passed to each run as absolute paths.

Exit codes: 0 every entry detected by its expected check and the clean copy has no
finding; 1 otherwise; 2 usage; 3 catalogue error or tool failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kuberay_gitops import checks as registry
from kuberay_gitops.cli import find_repo_root
from kuberay_gitops.configured import SCAN_IDS
from kuberay_gitops.exitcodes import ExitCode, ToolError, ToolFailed
from kuberay_gitops.settings import CONFIG_FILE, ENV_PREFIX, TOOLCHAIN_FILE, Settings, load

# What a render, lint and secret scan of the repository reads: the manifests and the config.
COPIED_DIRS = ("base", "components", "overlays", "apps", "argocd")
COPIED_FILES = (CONFIG_FILE, TOOLCHAIN_FILE, ".yamllint")
RUN_TIMEOUT_SECONDS = 600


class CatalogueError(ToolError):
    """A catalogue entry that cannot be applied as written (exit 3, never a silent skip)."""


@dataclass(frozen=True, slots=True)
class Mutation:
    """One realistic defect: replace `old` (which occurs exactly once) by `new` in `file`.

    `paths` narrows the validation to the render targets the edit can affect (speed
    only; empty = every target). `checkov` runs checkov too, which most entries skip
    because checkov is the slowest stage and only checkov entries need it.
    """

    id: str
    description: str
    file: str
    old: str
    new: str
    expected_check: str
    paths: tuple[str, ...] = ()
    checkov: bool = False


@dataclass(frozen=True, slots=True)
class Fired:
    """A finding reported on a mutated (or the clean) copy."""

    check: str
    file: str
    line: int | None
    message: str

    @property
    def base_id(self) -> str:
        """The check id without its variant: `ports-ray-declared[name]` → `ports-ray-declared`."""
        return self.check.split("[", 1)[0]

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where} [{self.check}] {self.message}"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The verdict on one catalogue entry (or on the clean copy: `mutation` is None)."""

    mutation: Mutation | None
    findings: tuple[Fired, ...]
    seconds: float

    @property
    def detected(self) -> bool:
        """A finding of the expected check (any variant) was reported."""
        if self.mutation is None:
            return False
        expected = self.mutation.expected_check
        return any(f.base_id == expected for f in self.findings)

    @property
    def expected_findings(self) -> tuple[Fired, ...]:
        """The findings of the expected check."""
        if self.mutation is None:
            return ()
        return tuple(f for f in self.findings if f.base_id == self.mutation.expected_check)

    @property
    def located_at_edit(self) -> bool:
        """Some expected finding names the edited file (where a reviewer has to look)."""
        return self.mutation is not None and any(
            f.file == self.mutation.file for f in self.expected_findings
        )

    @property
    def fired(self) -> tuple[str, ...]:
        """The distinct checks that reported something, variants kept."""
        return tuple(sorted({f.check for f in self.findings}))


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Where the real repository, the pinned tools, the shared material and the cache are."""

    repo_root: Path
    shared_dir: Path
    tools_dir: Path
    cache_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> RunConfig:
        """Absolute paths, so a copy in a temporary directory resolves them the same way."""
        return cls(
            repo_root=settings.repo_root,
            shared_dir=settings.shared_path.resolve(),
            tools_dir=settings.resolve(settings.tools_dir).resolve(),
            cache_dir=settings.cache_path.resolve(),
        )

    def environ(self) -> dict[str, str]:
        """The caller's environment with the three directories pinned for the copy."""
        env = dict(os.environ)
        env.pop("GITHUB_ACTIONS", None)  # --format json is explicit; no annotations wanted
        env[f"{ENV_PREFIX}SHARED_DIR"] = str(self.shared_dir)
        env[f"{ENV_PREFIX}TOOLS_DIR"] = str(self.tools_dir)
        env[f"{ENV_PREFIX}CACHE_DIR"] = str(self.cache_dir)
        return env


@dataclass(frozen=True, slots=True)
class Summary:
    """Every outcome of one self-test run."""

    clean: Outcome
    outcomes: tuple[Outcome, ...]
    seconds: float

    @property
    def detected(self) -> int:
        """How many entries were caught by their expected check."""
        return sum(o.detected for o in self.outcomes)

    @property
    def misses(self) -> tuple[Outcome, ...]:
        """Entries the expected check did not catch."""
        return tuple(o for o in self.outcomes if not o.detected)

    @property
    def rate(self) -> float:
        """Detection rate in percent."""
        return 100.0 * self.detected / len(self.outcomes) if self.outcomes else 0.0

    @property
    def passed(self) -> bool:
        """100 % detected and a clean baseline."""
        return bool(self.outcomes) and not self.misses and not self.clean.findings


# --- the catalogue --------------------------------------------------------------------

_RC = "base/raycluster/raycluster.yaml"
_DEV_RC = ("overlays/dev/raycluster",)
_DEV_OP = ("overlays/dev/operator",)
_ARGOCD = ("argocd",)

CATALOGUE: tuple[Mutation, ...] = (
    # ports
    Mutation(
        "gcs-port-undeclared",
        "head GCS port moved in rayStartParams but not in the container ports",
        _RC,
        '      port: "6379"  #',
        '      port: "6390"  #',
        "ports-ray-declared",
        _DEV_RC,
    ),
    Mutation(
        "apiserver-egress-to-internet",
        "dev's API server egress widened to 0.0.0.0/0 (the heads and the operator reach anywhere)",
        "overlays/dev/apiserver/apiserver-endpoint.yaml",
        "  cidr: 10.10.0.10/32\n",
        "  cidr: 0.0.0.0/0\n",
        "netpol-egress-broad",
        ("overlays/dev/raycluster",),
    ),
    Mutation(
        "prod-rayservice-without-gcs-ft",
        "the prod RayService loses GCS fault tolerance (its overlay drops the component)",
        "apps/serve-app/overlays/prod/kustomization.yaml",
        "components:\n  - ../../../../components/gcs-fault-tolerance\n",
        "",
        "ray-production-gcs-ft",
        ("apps/serve-app/overlays/prod",),
    ),
    Mutation(
        "volcano-scheduler-name-label",
        "the Volcano component labels the RayCluster ray.io/scheduler-name (v1.7.0 never reads it)",
        "components/volcano/patch-raycluster-volcano.yaml",
        "- op: add\n  path: /metadata/labels/volcano.sh~1queue-name\n",
        "- op: add\n  path: /metadata/labels/ray.io~1scheduler-name\n  value: volcano\n"
        "- op: add\n  path: /metadata/labels/volcano.sh~1queue-name\n",
        "ray-unread-metadata",
        ("overlays/prod/raycluster",),
    ),
    Mutation(
        "operator-cluster-wide-rbac",
        "the dev operator, watching one namespace, gets its cluster-wide ClusterRoleBinding back",
        "overlays/dev/operator/kustomization.yaml",
        "  - ../../../components/namespaced-operator\n",
        "",
        "rbac-operator-scope",
        ("overlays/dev/operator",),
    ),
    Mutation(
        "rayservice-gcs-port-off-default",
        'autoscaling RayService head GCS port back to "6380" (the autoscaler only looks on 6379)',
        "apps/serve-app/base/rayservice.yaml",
        '        port: "6379"\n',
        '        port: "6380"\n',
        "ray-autoscaler-gcs-port",
        ("apps/serve-app/overlays/dev",),
    ),
    Mutation(
        "dashboard-port-reserved",
        "head dashboard-port set to KubeRay's default 8265, which the platform reserves",
        _RC,
        'dashboard-port: "8266"',
        'dashboard-port: "8265"',
        "ports-reserved",
        _DEV_RC,
    ),
    Mutation(
        "serve-port-duplicate",
        "head serve containerPort copy-pasted from the dashboard port",
        _RC,
        "              - name: serve\n                containerPort: 8001\n",
        "              - name: serve\n                containerPort: 8266\n",
        "ports-duplicate",
        _DEV_RC,
    ),
    Mutation(
        "rayjob-gcs-port-renamed",
        'RayJob head port "gcs-server" renamed "gcs" (off the planned head Service port names)',
        "apps/finetune-job/base/rayjob.yaml",
        "- name: gcs-server\n",
        "- name: gcs\n",
        "ports-head-service",
        ("apps/finetune-job/overlays/dev",),
    ),
    Mutation(
        "rayservice-dashboard-port-renamed",
        'RayService head port "dashboard" renamed "dash"',
        "apps/serve-app/base/rayservice.yaml",
        "- name: dashboard\n",
        "- name: dash\n",
        "ray-dashboard-port-name",
        ("apps/serve-app/overlays/dev",),
    ),
    Mutation(
        "rayservice-serve-port-moved",
        "RayService serveConfigV2 http_options.port moved to 8002; the serve port stays 8001",
        "apps/serve-app/base/rayservice.yaml",
        "      port: 8001\n",
        "      port: 8002\n",
        "ports-ray-declared",
        ("apps/serve-app/overlays/dev",),
    ),
    Mutation(
        "operator-service-target-port",
        'operator Service targetPort back to the upstream port name "http"',
        "base/operator/patch-service-metrics.yaml",
        "      targetPort: metrics\n",
        "      targetPort: http\n",
        "ports-service-target",
        _DEV_OP,
    ),
    # selector labels
    Mutation(
        "operator-service-selector-typo",
        "operator Service patch adds a selector with a typo in the component label",
        "base/operator/patch-service-metrics.yaml",
        "spec:\n  ports:\n",
        "spec:\n  selector:\n    app.kubernetes.io/component: kuberay-operatr\n  ports:\n",
        "selector-service-no-pods",
        _DEV_OP,
    ),
    Mutation(
        "operator-netpol-selects-by-name",
        "operator Prometheus ingress policy selects app.kubernetes.io/name=kuberay "
        "(Ray pods carry it too)",
        "base/networkpolicy/operator/networkpolicy-operator-ingress-prometheus.yaml",
        "      app.kubernetes.io/component: kuberay-operator\n",
        "      app.kubernetes.io/name: kuberay\n",
        "selector-operator-and-ray",
        _DEV_OP,
    ),
    Mutation(
        "head-netpol-selector-typo",
        'client ingress policy selects ray.io/node-type "haed"',
        "base/networkpolicy/networkpolicy-ray-head-ingress-clients.yaml",
        "      ray.io/node-type: head\n",
        "      ray.io/node-type: haed\n",
        "netpol-selects-nothing",
        _DEV_RC,
    ),
    Mutation(
        "operator-servicemonitor-selector",
        'operator ServiceMonitor selects component "operator" instead of "kuberay-operator"',
        "base/monitoring/operator/servicemonitor.yaml",
        "      app.kubernetes.io/component: kuberay-operator\n",
        "      app.kubernetes.io/component: operator\n",
        "monitor-selects-nothing",
        _DEV_OP,
    ),
    Mutation(
        "podmonitor-selector-typo",
        'worker PodMonitor selects ray.io/node-type "workers"',
        "base/monitoring/podmonitor.yaml",
        "      ray.io/node-type: worker\n",
        "      ray.io/node-type: workers\n",
        "monitor-selects-nothing",
        _DEV_RC,
    ),
    # NetworkPolicy rules
    Mutation(
        "intra-cluster-ingress-drops-gcs",
        "intra-cluster ingress rule loses the GCS port 6379",
        "base/networkpolicy/networkpolicy-ray-intra-cluster.yaml",
        "    - from:\n        - podSelector:\n            matchLabels:\n"
        "              ray.io/cluster: raycluster-autoscaler\n"
        '              ray.io/is-ray-node: "yes"\n'
        "      ports:\n        - protocol: TCP\n          port: 6379\n",
        "    - from:\n        - podSelector:\n            matchLabels:\n"
        "              ray.io/cluster: raycluster-autoscaler\n"
        '              ray.io/is-ray-node: "yes"\n'
        "      ports:\n",
        "netpol-ray-ports",
        _DEV_RC,
    ),
    Mutation(
        "intra-cluster-worker-range-short",
        "intra-cluster ingress port range ends at 8500, below max-worker-port 8600",
        "base/networkpolicy/networkpolicy-ray-intra-cluster.yaml",
        "          endPort: 8600\n  egress:\n",
        "          endPort: 8500\n  egress:\n",
        "netpol-ray-ports",
        _DEV_RC,
    ),
    Mutation(
        "operator-dns-egress-port",
        "operator DNS egress on UDP 5353 instead of 53",
        "base/networkpolicy/operator/networkpolicy-operator-egress-dns.yaml",
        "        - protocol: UDP\n          port: 53\n",
        "        - protocol: UDP\n          port: 5353\n",
        "netpol-dns-egress",
        _DEV_OP,
    ),
    Mutation(
        "client-ingress-from-anywhere",
        "Ray client/dashboard ingress opened to 0.0.0.0/0 instead of labelled namespaces",
        "base/networkpolicy/networkpolicy-ray-head-ingress-clients.yaml",
        "        - namespaceSelector:\n            matchLabels:\n"
        '              kuberay.io/ray-client: "true"\n',
        "        - ipBlock:\n            cidr: 0.0.0.0/0\n",
        "exposure-netpol-ingress",
        _DEV_RC,
    ),
    Mutation(
        "prometheus-ingress-wrong-port",
        "Prometheus ingress opens 44228, a port no Ray pod exposes (dashboard metrics are 44227)",
        "base/networkpolicy/networkpolicy-ray-ingress-prometheus.yaml",
        "          port: 44227\n",
        "          port: 44228\n",
        "netpol-unused-port",
        _DEV_RC,
    ),
    # ServiceMonitor / PodMonitor endpoints and labels
    Mutation(
        "operator-servicemonitor-port",
        'operator ServiceMonitor scrapes port "http-metrics", which the Service does not name',
        "base/monitoring/operator/servicemonitor.yaml",
        "    - port: metrics\n",
        "    - port: http-metrics\n",
        "monitor-port-exists",
        _DEV_OP,
    ),
    Mutation(
        "podmonitor-endpoint-port",
        'worker PodMonitor scrapes port "metrics-export", which no worker container names',
        "base/monitoring/podmonitor.yaml",
        "    - port: metrics\n",
        "    - port: metrics-export\n",
        "monitor-port-exists",
        _DEV_RC,
    ),
    Mutation(
        "operator-monitor-release-label",
        'operator monitoring labelled release "prometheus" instead of kube-prometheus-stack',
        "base/monitoring/operator/kustomization.yaml",
        "release: kube-prometheus-stack",
        "release: prometheus",
        "monitor-prometheus-label",
        _DEV_OP,
    ),
    # replica bounds
    Mutation(
        "prod-max-replicas-below-replicas",
        "prod cpu-workers maxReplicas 1 while replicas and minReplicas are 2",
        "overlays/prod/raycluster/patch-raycluster-size.yaml",
        "  path: /spec/workerGroupSpecs/0/maxReplicas\n  value: 10\n",
        "  path: /spec/workerGroupSpecs/0/maxReplicas\n  value: 1\n",
        "ray-replicas-range",
        ("overlays/prod/raycluster",),
    ),
    Mutation(
        "gpu-min-replicas-above-max",
        "gpu-workers component minReplicas 2 above maxReplicas 1",
        "components/gpu-workers/patch-raycluster-gpu-workers.yaml",
        "    minReplicas: 0\n",
        "    minReplicas: 2\n",
        "ray-replicas-range",
        ("overlays/staging/raycluster",),
    ),
    Mutation(
        "serve-prod-max-replicas",
        "prod RayService workers maxReplicas 1 below minReplicas 2",
        "apps/serve-app/overlays/prod/patch-rayservice-size.yaml",
        "  path: /spec/rayClusterConfig/workerGroupSpecs/0/maxReplicas\n  value: 6\n",
        "  path: /spec/rayClusterConfig/workerGroupSpecs/0/maxReplicas\n  value: 1\n",
        "ray-replicas-range",
        ("apps/serve-app/overlays/prod",),
    ),
    Mutation(
        "appset-ignores-first-group-only",
        "prod ApplicationSet ignores replicas of worker group 0 only",
        "argocd/applicationsets/applicationset-kuberay-prod.yaml",
        "            - .spec.workerGroupSpecs[].replicas\n",
        "            - .spec.workerGroupSpecs[0].replicas\n",
        "argocd-ignore-replicas",
        _ARGOCD,
    ),
    # image tags and registries
    Mutation(
        "head-image-latest",
        "RayCluster head image tagged latest",
        _RC,
        "          - name: ray-head\n            image: rayproject/ray:2.55.1\n",
        "          - name: ray-head\n            image: rayproject/ray:latest\n",
        "pod-image-tag",
        _DEV_RC,
    ),
    Mutation(
        "operator-image-latest",
        "operator image newTag latest in the kustomization images:",
        "base/operator/kustomization.yaml",
        "    newTag: v1.7.0\n",
        "    newTag: latest\n",
        "pod-image-tag",
        _DEV_OP,
    ),
    Mutation(
        "gpu-image-registry",
        "gpu-workers image pulled from an unreviewed registry",
        "components/gpu-workers/patch-raycluster-gpu-workers.yaml",
        "image: rayproject/ray:2.55.1-gpu",
        "image: nvcr.io/nvidia/ray:2.55.1-gpu",
        "pod-image-registry",
        ("overlays/prod/raycluster",),
    ),
    # securityContext and pod security
    Mutation(
        "worker-privilege-escalation",
        "cpu-workers container allows privilege escalation",
        _RC,
        "                allowPrivilegeEscalation: false\n",
        "                allowPrivilegeEscalation: true\n",
        "pod-privilege-escalation",
        _DEV_RC,
    ),
    Mutation(
        "head-privileged",
        "head container privileged",
        _RC,
        "\n              privileged: false\n",
        "\n              privileged: true\n",
        "pod-privileged",
        _DEV_RC,
    ),
    Mutation(
        "operator-runs-as-root",
        "operator pod runAsUser 0",
        "base/operator/patch-deployment-security.yaml",
        "        runAsUser: 65532\n",
        "        runAsUser: 0\n",
        "pod-run-as-non-root",
        _DEV_OP,
    ),
    Mutation(
        "autoscaler-adds-capability",
        "autoscaler sidecar adds SYS_ADMIN",
        _RC,
        "\n      capabilities:\n        drop:\n          - ALL\n",
        "\n      capabilities:\n        drop:\n          - ALL\n"
        "        add:\n          - SYS_ADMIN\n",
        "pod-capabilities",
        _DEV_RC,
    ),
    Mutation(
        "operator-seccomp-unconfined",
        "operator container seccompProfile Unconfined",
        "base/operator/patch-deployment-security.yaml",
        "            seccompProfile:\n              type: RuntimeDefault\n",
        "            seccompProfile:\n              type: Unconfined\n",
        "pod-seccomp",
        _DEV_OP,
    ),
    Mutation(
        "head-host-network",
        "head pod on the host network",
        _RC,
        "\n        terminationGracePeriodSeconds: 60\n",
        "\n        hostNetwork: true\n        terminationGracePeriodSeconds: 60\n",
        "pod-host-namespaces",
        _DEV_RC,
    ),
    Mutation(
        "worker-logs-on-host-path",
        "cpu-workers log volume becomes a hostPath",
        _RC,
        "              emptyDir:\n                sizeLimit: 20Gi\n",
        "              hostPath:\n                path: /var/log/ray\n",
        "pod-host-path",
        _DEV_RC,
    ),
    Mutation(
        "worker-mounts-token",
        "cpu-workers mount a service-account token they never use",
        _RC,
        "          automountServiceAccountToken: false\n",
        "          automountServiceAccountToken: true\n",
        "pod-service-account-token",
        _DEV_RC,
    ),
    Mutation(
        "autoscaler-no-limits",
        "autoscaler sidecar resources lose their limits",
        _RC,
        "      requests:\n        cpu: 200m\n        memory: 512Mi\n"
        "      limits:\n        cpu: 500m\n        memory: 512Mi\n",
        "      requests:\n        cpu: 200m\n        memory: 512Mi\n",
        "pod-resources",
        _DEV_RC,
    ),
    Mutation(
        "operator-writable-root-fs",
        "operator container root filesystem writable (checkov)",
        "base/operator/patch-deployment-security.yaml",
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false",
        "checkov/CKV_K8S_22",
        _DEV_OP,
        checkov=True,
    ),
    # Ray scheduling
    Mutation(
        "gpu-num-gpus-mismatch",
        'gpu-workers num-gpus "2" with one nvidia.com/gpu per pod',
        "components/gpu-workers/patch-raycluster-gpu-workers.yaml",
        '      num-gpus: "1"\n',
        '      num-gpus: "2"\n',
        "ray-gpu-consistency",
        ("overlays/prod/raycluster",),
    ),
    Mutation(
        "head-on-control-plane",
        "head node affinity flipped to require control-plane nodes",
        _RC,
        "                    - key: node-role.kubernetes.io/control-plane\n"
        "                      operator: DoesNotExist\n",
        "                    - key: node-role.kubernetes.io/control-plane\n"
        "                      operator: Exists\n",
        "ray-control-plane",
        _DEV_RC,
    ),
    Mutation(
        "sidecar-before-ray-container",
        "a log-shipper sidecar inserted before the Ray head container",
        _RC,
        "        containers:\n"
        "          # The Ray container must stay first: KubeRay addresses it by index 0.\n",
        "        containers:\n"
        "          - name: log-shipper\n            image: fluent/fluent-bit:3.0.4\n"
        "            resources:\n              requests: {cpu: 100m, memory: 64Mi}\n"
        "              limits: {cpu: 100m, memory: 64Mi}\n",
        "ray-container-first",
        _DEV_RC,
    ),
    Mutation(
        "rayservice-name-too-long",
        "RayService renamed to 51 characters (KubeRay appends a suffix to its RayCluster)",
        "apps/serve-app/base/rayservice.yaml",
        "  name: serve-app\n  namespace: kuberay\n",
        "  name: serve-app-large-language-model-inference-production\n  namespace: kuberay\n",
        "ray-name-length",
        ("apps/serve-app/overlays/staging",),
    ),
    # Argo CD paths, waves, options, revisions, projects
    Mutation(
        "appset-path-typo",
        "dev ApplicationSet points the raycluster unit at overlays/dev/ray-cluster",
        "argocd/applicationsets/applicationset-kuberay-dev.yaml",
        "target: overlays/dev/raycluster ",
        "target: overlays/dev/ray-cluster",
        "argocd-source-path",
        _ARGOCD,
    ),
    Mutation(
        "root-app-path-typo",
        "bootstrap root Application syncs path argo-cd",
        "argocd/bootstrap/application-root.yaml",
        "    path: argocd\n",
        "    path: argo-cd\n",
        "argocd-source-path",
        ("argocd/bootstrap",),
    ),
    Mutation(
        "appset-rollout-crds-after-operator",
        "dev RollingSync steps reordered: the operator unit syncs before the CRDs",
        "argocd/applicationsets/applicationset-kuberay-dev.yaml",
        "              values: [crds]\n        - matchExpressions:\n"
        "            - key: kuberay-gitops/unit\n              operator: In\n"
        "              values: [operator]\n",
        "              values: [operator]\n        - matchExpressions:\n"
        "            - key: kuberay-gitops/unit\n              operator: In\n"
        "              values: [crds]\n",
        "argocd-crd-sync",
        _ARGOCD,
    ),
    Mutation(
        "appset-crd-pruned",
        "staging CRD unit allowed to prune (deleting a CRD deletes every RayCluster)",
        "argocd/applicationsets/applicationset-kuberay-staging.yaml",
        "pruneSyncOption: Prune=false",
        "pruneSyncOption: Prune=true ",
        "argocd-crd-sync",
        _ARGOCD,
    ),
    Mutation(
        "appset-sync-option-typo",
        "staging syncOption ApplyOutofSyncOnly (wrong case: Argo CD ignores it)",
        "argocd/applicationsets/applicationset-kuberay-staging.yaml",
        "- ApplyOutOfSyncOnly=true",
        "- ApplyOutofSyncOnly=true",
        "argocd-sync-options",
        _ARGOCD,
    ),
    Mutation(
        "prod-tracks-branch",
        "prod ApplicationSet follows main instead of a release tag",
        "argocd/applicationsets/applicationset-kuberay-prod.yaml",
        "targetRevision: v0.1.0",
        "targetRevision: main  ",
        "argocd-target-revision",
        _ARGOCD,
    ),
    Mutation(
        "gcs-redis-egress-namespace-typo",
        "the Ray egress policy to the platform services names namespace platform-service",
        "base/networkpolicy/networkpolicy-ray-egress-platform-services.yaml",
        "kubernetes.io/metadata.name: platform-services",
        "kubernetes.io/metadata.name: platform-service",
        "netpol-gcs-redis-egress",
        ("overlays/prod/raycluster",),
    ),
    Mutation(
        "appset-kustomize-image-override",
        "dev ApplicationSet swaps the Ray image with a source-level kustomize override",
        "argocd/applicationsets/applicationset-kuberay-dev.yaml",
        '        path: "{{.target}}"\n',
        '        path: "{{.target}}"\n        kustomize:\n          images:\n'
        "            - rayproject/ray:nightly\n",
        "argocd-source-overrides",
        _ARGOCD,
    ),
    Mutation(
        "appset-default-project",
        "dev Applications in the default AppProject",
        "argocd/applicationsets/applicationset-kuberay-dev.yaml",
        "      project: kuberay-platform\n",
        "      project: default\n",
        "argocd-project",
        _ARGOCD,
    ),
    Mutation(
        "appproject-drops-prod-destination",
        "AppProject no longer allows namespace kuberay on the prod cluster",
        "argocd/projects/appproject-kuberay-platform.yaml",
        "    - name: prod\n      namespace: kuberay\n",
        "",
        "argocd-project",
        _ARGOCD,
    ),
    Mutation(
        "appset-two-apps-one-target",
        "dev finetune-job element copy-pasted from serve-app: two Applications, one target",
        "argocd/applicationsets/applicationset-kuberay-dev.yaml",
        "target: apps/finetune-job/overlays/dev ",
        "target: apps/serve-app/overlays/dev    ",
        "argocd-target-coverage",
        _ARGOCD,
    ),
    # schema fields (kubeconform) and types the CRD rejects
    Mutation(
        "raycluster-field-typo",
        "headGroupSpec.serviceType misspelt serviceTyp",
        _RC,
        "    serviceType: ClusterIP\n",
        "    serviceTyp: ClusterIP\n",
        "kubeconform/schema",
        _DEV_RC,
    ),
    Mutation(
        "servicemonitor-wrong-type",
        'operator ServiceMonitor honorLabels: "true" (a string, the schema wants a boolean)',
        "base/monitoring/operator/servicemonitor.yaml",
        "      honorLabels: true\n",
        '      honorLabels: "true"\n',
        "kubeconform/schema",
        _DEV_OP,
    ),
    Mutation(
        "ray-start-param-int",
        "head rayStartParams num-cpus unquoted (an int, not a string)",
        _RC,
        '      num-cpus: "0"\n',
        "      num-cpus: 0\n",
        "ray-start-params-strings",
        _DEV_RC,
    ),
    # secrets and RBAC
    Mutation(
        "submitter-token-literal",
        "RayJob submitter RAY_AUTH_TOKEN as a literal value",
        "apps/finetune-job/base/rayjob.yaml",
        "        - name: ray-job-submitter\n          image: rayproject/ray:2.55.1\n",
        "        - name: ray-job-submitter\n          image: rayproject/ray:2.55.1\n"
        "          env:\n            - name: RAY_AUTH_TOKEN\n"
        "              value: change-me-before-prod\n",
        "secret-env-literal",
        ("apps/finetune-job/overlays/dev",),
    ),
    Mutation(
        "gcs-redis-password-literal",
        "GCS fault tolerance Redis password written inline instead of from the Secret",
        "components/gcs-fault-tolerance/patch-raycluster-gcs-ft.yaml",
        "    redisPassword:\n      valueFrom:\n        secretKeyRef:\n"
        "          name: ray-gcs-redis\n          key: password\n",
        "    redisPassword:\n      value: changeme\n",
        "secret-env-literal",
        ("overlays/prod/raycluster",),
    ),
    Mutation(
        "app-secret-generator",
        "finetune-job gets a kustomize secretGenerator with a literal token",
        "apps/finetune-job/base/kustomization.yaml",
        "\nlabels:\n",
        "\nsecretGenerator:\n  - name: finetune-hub-token\n    literals:\n"
        "      - HF_TOKEN=replace-me\n\nlabels:\n",
        "secret-committed",
        ("apps/finetune-job/overlays/staging",),
    ),
    Mutation(
        "redis-password-in-url",
        "GCS Redis address with the password embedded in the URL",
        "components/gcs-fault-tolerance/patch-raycluster-gcs-ft.yaml",
        "redisAddress: redis-master.platform-services",
        "redisAddress: redis://default:Gcs5ecretPw@redis-master.platform-services",
        "secret-high-entropy",
        ("overlays/prod/raycluster",),
    ),
    Mutation(
        "volcano-rule-wildcard",
        "prod Volcano ClusterRole rule grants every resource of the group",
        "overlays/prod/operator/patch-clusterrole-volcano.yaml",
        "      - podgroups\n",
        '      - "*"\n',
        "rbac-wildcard",
        ("overlays/prod/operator",),
    ),
    # kustomize graph and YAML hygiene
    Mutation(
        "remote-base-unpinned",
        "upstream RBAC base follows the master branch instead of the v1.7.0 tag",
        "base/operator/kustomization.yaml",
        "config/rbac?ref=v1.7.0",
        "config/rbac?ref=master",
        "harden-remote-base",
        _DEV_OP,
    ),
    Mutation(
        "alert-renamed-under-prod-patch",
        "base alert RayHeadDown renamed; the prod patch's test op no longer matches",
        "base/monitoring/prometheusrule.yaml",
        "- alert: RayHeadDown\n",
        "- alert: RayHeadUnavailable\n",
        "render",
        ("overlays/prod/raycluster",),
    ),
    Mutation(
        "namespace-duplicate-label",
        "operator Namespace carries pod-security enforce twice (a bad merge)",
        "base/operator/namespace.yaml",
        "    pod-security.kubernetes.io/warn: restricted\n",
        "    pod-security.kubernetes.io/warn: restricted\n"
        "    pod-security.kubernetes.io/enforce: baseline\n",
        "yamllint/key-duplicates",
        _DEV_OP,
    ),
    # issue 15: Kueue, isolation, RayJob lifecycle, placement
    Mutation(
        "kueue-queues-autoscaled-raycluster",
        "the kueue component labels the autoscaled RayCluster with its queue again",
        "components/kueue/kustomization.yaml",
        "resources:\n  - localqueue.yaml\n",
        "resources:\n  - localqueue.yaml\n\nlabels:\n  - pairs:\n"
        "      kueue.x-k8s.io/queue-name: kuberay\n",
        "ray-kueue-autoscaling",
        ("overlays/staging/raycluster",),
    ),
    Mutation(
        "rayjob-updated-in-place",
        "the RayJob loses Force=true,Replace=true: a change after its run never runs",
        "apps/finetune-job/base/rayjob.yaml",
        "SkipDryRunOnMissingResource=true,Force=true,Replace=true",
        "SkipDryRunOnMissingResource=true",
        "argocd-rayjob-lifecycle",
        ("apps/finetune-job/overlays/dev",),
    ),
    Mutation(
        "intra-cluster-any-ray-peer",
        "the shared cluster's intra-cluster ingress admits Ray pods of every cluster",
        "base/networkpolicy/networkpolicy-ray-intra-cluster.yaml",
        "  ingress:\n    - from:\n        - podSelector:\n            matchLabels:\n"
        "              ray.io/cluster: raycluster-autoscaler\n",
        "  ingress:\n    - from:\n        - podSelector:\n            matchLabels:\n",
        "ray-cluster-isolation",
        _DEV_RC,
    ),
    Mutation(
        "shared-auth-token-secret",
        "the shared RayCluster takes its token from a Secret every cluster can name",
        _RC,
        "  authOptions:\n    mode: token\n",
        "  authOptions:\n    mode: token\n    secretName: ray-auth-token\n",
        "ray-cluster-isolation",
        _DEV_RC,
    ),
    Mutation(
        "cpu-workers-on-gpu-node",
        "cpu-workers no longer keep off GPU nodes",
        _RC,
        "                      # and no GPU node: those are for GPU workers (and in prod also the "
        "control plane)\n"
        "                      - key: nvidia.com/gpu.present\n"
        "                        operator: DoesNotExist\n",
        "",
        "ray-control-plane",
        _DEV_RC,
    ),
    Mutation(
        "gpu-worker-crowds-control-plane",
        "the GPU worker, which may land on prod's control-plane node, asks for 7 of its 7.9 CPUs",
        "components/gpu-workers/patch-raycluster-gpu-workers.yaml",
        '              requests:\n                cpu: "4"\n',
        '              requests:\n                cpu: "7"\n',
        "ray-control-plane",
        ("overlays/prod/raycluster",),
    ),
    Mutation(
        "head-without-priority",
        "the shared RayCluster's head loses its PriorityClass",
        _RC,
        "        priorityClassName: kuberay-ray-head\n",
        "",
        "ray-control-plane",
        _DEV_RC,
    ),
    # issue 17: breadth and weakening by omission (absolute checks)
    Mutation(
        "operator-binding-every-user",
        "the operator's RoleBinding in kuberay also binds system:authenticated",
        "components/namespaced-operator/rolebinding-kuberay-operator.yaml",
        "subjects:\n",
        "subjects:\n  - kind: Group\n    apiGroup: rbac.authorization.k8s.io\n"
        "    name: system:authenticated\n",
        "rbac-broad-subject",
        _DEV_OP,
    ),
    Mutation(
        "operator-clusterrole-pods-exec",
        "the prod operator ClusterRole patch also grants pods/exec",
        "overlays/prod/operator/patch-clusterrole-volcano.yaml",
        "      - watch\n",
        "      - watch\n- op: add\n  path: /rules/-\n  value:\n    apiGroups:\n"
        '      - ""\n    resources:\n      - pods/exec\n    verbs:\n      - create\n',
        "rbac-sensitive-grant",
        ("overlays/prod/operator",),
    ),
    Mutation(
        "appproject-any-source-repo",
        'the kuberay-platform AppProject allows sources from any repository ("*")',
        "argocd/projects/appproject-kuberay-platform.yaml",
        "  sourceRepos:\n    - https://github.com/platform-team/kuberay-gitops.git\n",
        "  sourceRepos:\n    - '*'\n",
        "argocd-project-breadth",
        _ARGOCD,
    ),
    Mutation(
        "default-deny-egress-only",
        "the kuberay default-deny NetworkPolicy becomes Egress-only",
        "base/networkpolicy/networkpolicy-ray-default-deny.yaml",
        "    - Ingress\n    - Egress\n",
        "    - Egress\n",
        "netpol-default-deny",
        _DEV_RC,
    ),
    Mutation(
        "client-ingress-all-namespaces",
        "Ray client/dashboard ingress opened to every namespace (namespaceSelector: {})",
        "base/networkpolicy/networkpolicy-ray-head-ingress-clients.yaml",
        "        - namespaceSelector:\n            matchLabels:\n"
        '              kuberay.io/ray-client: "true"\n',
        "        - namespaceSelector: {}\n",
        "exposure-netpol-ingress",
        _DEV_RC,
    ),
    Mutation(
        "namespace-pod-security-privileged",
        "namespace kuberay enforces the privileged Pod Security level",
        "components/namespaced-operator/namespace-kuberay.yaml",
        "    pod-security.kubernetes.io/enforce: restricted\n",
        "    pod-security.kubernetes.io/enforce: privileged\n",
        "pod-security-label",
        _DEV_OP,
    ),
    Mutation(
        "head-selinux-spc-t",
        "the head pod runs as SELinux type spc_t (super privileged container)",
        _RC,
        "          fsGroup: 100\n          seccompProfile:\n            type: RuntimeDefault\n"
        "        affinity:\n",
        "          fsGroup: 100\n          seLinuxOptions:\n            type: spc_t\n"
        "          seccompProfile:\n            type: RuntimeDefault\n        affinity:\n",
        "pod-confinement",
        _DEV_RC,
    ),
    Mutation(
        "head-auth-mode-disabled",
        "the head container sets RAY_AUTH_MODE=disabled under authOptions.mode: token",
        _RC,
        "            env:\n              # Default address",
        "            env:\n              - name: RAY_AUTH_MODE\n                value: disabled\n"
        "              # Default address",
        "exposure-ray-auth-env",
        _DEV_RC,
    ),
    Mutation(
        "serve-service-load-balancer",
        "serve-app's Serve Service becomes a LoadBalancer and its cluster drops token auth",
        "apps/serve-app/base/rayservice.yaml",
        '  rayClusterConfig:\n    rayVersion: "2.55.1"\n    # Its own token: KubeRay creates one '
        "Secret per RayCluster, named after it (a new cluster on\n    # upgrade gets a new token; "
        "clients read it from the active cluster's Secret,\n    # status.activeServiceStatus."
        "rayClusterName). Never a Secret shared with other clusters.\n    authOptions:\n"
        "      mode: token\n",
        "  serveService:\n    spec:\n      type: LoadBalancer\n"
        '  rayClusterConfig:\n    rayVersion: "2.55.1"\n',
        "exposure-ray-ports",
        ("apps/serve-app/overlays/dev",),
    ),
    Mutation(
        "serve-image-nightly",
        "the dev serve-app overlay moves Ray to the nightly tag with an images: entry",
        "apps/serve-app/overlays/dev/kustomization.yaml",
        "resources:\n  - ../../base\n",
        "resources:\n  - ../../base\n\nimages:\n  - name: rayproject/ray\n    newTag: nightly\n",
        "pod-image-tag",
        ("apps/serve-app/overlays/dev",),
    ),
)


# --- applying and running -------------------------------------------------------------


def known_check_ids() -> frozenset[str]:
    """Check ids a catalogue entry may expect (wrapped tools' `<source>/<id>` ids aside)."""
    return frozenset({*registry.REGISTRY, *SCAN_IDS, "render"})


def verify(catalogue: Sequence[Mutation], repo_root: Path) -> list[str]:
    """Every problem of the catalogue against the repository at repo_root, one line each."""
    problems: list[str] = []
    seen: set[str] = set()
    known = known_check_ids()
    for m in catalogue:
        if m.id in seen:
            problems.append(f"{m.id}: duplicate id")
        seen.add(m.id)
        if m.old == m.new:
            problems.append(f"{m.id}: old and new text are the same")
        if "[" in m.expected_check:
            problems.append(f"{m.id}: expected_check {m.expected_check!r} must be a base id")
        elif "/" not in m.expected_check and m.expected_check not in known:
            problems.append(f"{m.id}: unknown expected_check {m.expected_check!r}")
        parts = Path(m.file).parts
        if not parts or parts[0] not in COPIED_DIRS or ".." in parts:
            problems.append(f"{m.id}: {m.file} is outside {', '.join(COPIED_DIRS)}")
            continue
        problems.extend(
            f"{m.id}: path {p} is not a directory" for p in m.paths if not (repo_root / p).is_dir()
        )
        try:
            count = (repo_root / m.file).read_text().count(m.old)
        except OSError as exc:
            problems.append(f"{m.id}: cannot read {m.file} ({exc.strerror})")
            continue
        if count != 1:
            problems.append(f"{m.id}: old text occurs {count} times in {m.file} (must be once)")
    return problems


def copy_repository(source: Path, dest: Path) -> None:
    """Copy what validate reads (manifest dirs and config files) from source into dest."""
    for name in COPIED_DIRS:
        shutil.copytree(source / name, dest / name)
    for name in COPIED_FILES:
        shutil.copy2(source / name, dest / name)


def apply(mutation: Mutation, root: Path) -> None:
    """Apply the edit to the copy at root; a catalogue error unless `old` occurs exactly once."""
    path = root / mutation.file
    try:
        text = path.read_text()
    except OSError as exc:
        raise CatalogueError(
            f"{mutation.id}: cannot read {mutation.file} ({exc.strerror})"
        ) from exc
    count = text.count(mutation.old)
    if count != 1:
        raise CatalogueError(
            f"{mutation.id}: old text occurs {count} times in {mutation.file} (must be once)"
        )
    path.write_text(text.replace(mutation.old, mutation.new))


@contextmanager
def repository_copy(config: RunConfig) -> Iterator[Path]:
    """A fresh copy of the real repository in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="kuberay-gitops-mutation-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        copy_repository(config.repo_root, root)
        yield root


def validate_copy(
    config: RunConfig, root: Path, paths: Sequence[str], checkov: bool
) -> tuple[Fired, ...]:
    """Findings of `kuberay-gitops validate --format json` on the copy (a subprocess: CI's path).

    Exit 0 and 1 carry a report; anything else is a tool failure (exit 3 here).
    """
    argv = [
        sys.executable,
        "-m",
        "kuberay_gitops",
        "--repo",
        str(root),
        "validate",
        "--format",
        "json",
        "--quiet",
        # The catalogue seeds defects for the static checks; the cluster stage (a twin per
        # environment) has its own real-binary tests in tests/e2e/test_cluster.py.
        "--no-cluster",
        *([] if checkov else ["--skip-checkov"]),
        *(str(root / p) for p in paths),
    ]
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=config.environ(),
            cwd=root,
            check=False,
            timeout=RUN_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolFailed(f"validate timed out after {RUN_TIMEOUT_SECONDS} s on {root}") from exc
    if proc.returncode not in (ExitCode.OK, ExitCode.FINDINGS):
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
        raise ToolFailed(f"validate exited {proc.returncode}: {tail[0]}")
    try:
        data = json.loads(proc.stdout)
        return tuple(
            Fired(str(f["check"]), str(f["file"]), f["line"], str(f["message"]))
            for f in data["findings"]
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ToolFailed(f"validate printed no readable JSON report: {exc}") from exc


def run_mutation(mutation: Mutation, config: RunConfig) -> Outcome:
    """One entry: fresh copy, one edit, one validate run."""
    start = time.monotonic()
    with repository_copy(config) as root:
        apply(mutation, root)
        findings = validate_copy(config, root, mutation.paths, mutation.checkov)
    return Outcome(mutation, findings, time.monotonic() - start)


def run_clean(config: RunConfig) -> Outcome:
    """The unmutated copy, every target and every stage: it must report nothing."""
    start = time.monotonic()
    with repository_copy(config) as root:
        findings = validate_copy(config, root, (), checkov=True)
    return Outcome(None, findings, time.monotonic() - start)


def run(
    catalogue: Sequence[Mutation],
    config: RunConfig,
    on_outcome: Callable[[Outcome], None] = lambda _o: None,
) -> Summary:
    """The clean baseline, then every entry; the catalogue is verified before anything runs."""
    problems = verify(catalogue, config.repo_root)
    if problems:
        raise CatalogueError("catalogue: " + "; ".join(problems))
    start = time.monotonic()
    clean = run_clean(config)
    on_outcome(clean)
    outcomes = []
    for m in catalogue:
        outcome = run_mutation(m, config)
        on_outcome(outcome)
        outcomes.append(outcome)
    return Summary(clean, tuple(outcomes), time.monotonic() - start)


# --- reporting ------------------------------------------------------------------------

_ROW = "{:<36} {:<28} {:<8} {:>7}  {}"


def header() -> str:
    """The table header printed before the first row."""
    return _ROW.format("id", "expected check", "detected", "seconds", "checks fired")


def row(outcome: Outcome) -> str:
    """One table line per outcome (the clean copy first)."""
    fired = ", ".join(outcome.fired) or "-"
    if outcome.mutation is None:
        verdict = "clean" if not outcome.findings else "DIRTY"
        return _ROW.format(
            "(unmutated copy)", "no finding", verdict, f"{outcome.seconds:.1f}", fired
        )
    m = outcome.mutation
    verdict = "yes" if outcome.detected else "NO"
    return _ROW.format(m.id, m.expected_check, verdict, f"{outcome.seconds:.1f}", fired)


def footer(summary: Summary) -> str:
    """Detection rate, the clean verdict and every miss with the findings that did fire."""
    total = len(summary.outcomes)
    lines = [
        "",
        f"detected {summary.detected}/{total} ({summary.rate:.0f} %) in {summary.seconds:.0f} s",
    ]
    if summary.clean.findings:
        lines.append(f"the unmutated copy has {len(summary.clean.findings)} finding(s):")
        lines += [f"  {f}" for f in summary.clean.findings]
    else:
        lines.append("the unmutated copy has zero findings")
    elsewhere = [o for o in summary.outcomes if o.detected and not o.located_at_edit]
    if elsewhere:
        lines.append("")
        lines.append("detected, but reported at another file than the edited one (informational):")
        for o in elsewhere:
            assert o.mutation is not None
            where = ", ".join(sorted({f"{f.file}:{f.line}" for f in o.expected_findings}))
            lines.append(f"  {o.mutation.id}: edited {o.mutation.file}; reported at {where}")
    for o in summary.misses:
        assert o.mutation is not None
        m = o.mutation
        lines.append("")
        lines.append(f"MISS {m.id}: {m.description}")
        lines.append(f"  expected {m.expected_check} after editing {m.file}")
        if o.findings:
            lines += [f"  fired: {f}" for f in o.findings]
        else:
            lines.append("  nothing fired")
    return "\n".join(lines) + "\n"


def _outcome_json(o: Outcome) -> dict[str, Any]:
    m = o.mutation
    return {
        "id": m.id if m else None,
        "description": m.description if m else "the unmutated copy",
        "file": m.file if m else None,
        "expected_check": m.expected_check if m else None,
        "detected": o.detected if m else not o.findings,
        "located_at_edit": o.located_at_edit if m else None,
        "fired": list(o.fired),
        "findings": [
            {"check": f.check, "file": f.file, "line": f.line, "message": f.message}
            for f in o.findings
        ],
        "seconds": round(o.seconds, 2),
    }


def to_json(summary: Summary) -> str:
    """The whole run as JSON (`--json FILE`)."""
    data: Mapping[str, Any] = {
        "version": 1,
        "detected": summary.detected,
        "total": len(summary.outcomes),
        "rate": round(summary.rate, 1),
        "passed": summary.passed,
        "seconds": round(summary.seconds, 1),
        "clean": _outcome_json(summary.clean),
        "mutations": [_outcome_json(o) for o in summary.outcomes],
    }
    return json.dumps(data, indent=2) + "\n"


def catalogue_markdown(catalogue: Sequence[Mutation] = CATALOGUE) -> str:
    """The catalogue as the markdown table of docs/mutation.md (`--list`)."""
    lines = ["| id | edit | file | expected check |", "| --- | --- | --- | --- |"]
    lines += [
        f"| `{m.id}` | {m.description} | `{m.file}` | `{m.expected_check}` |" for m in catalogue
    ]
    return "\n".join(lines) + "\n"


# --- command line ---------------------------------------------------------------------


def _parse(argv: Sequence[str] | None, catalogue: Sequence[Mutation]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m kuberay_gitops_dev.mutation",
        description="Mutation self-test: each catalogued defect must be caught by its check.",
        epilog="Exit codes: 0 all detected and clean, 1 a miss or a dirty baseline, "
        "2 usage, 3 catalogue error or tool failure.",
    )
    parser.add_argument(
        "--only", nargs="+", action="extend", metavar="ID", help="run only these entries"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument("--repo", type=Path, help="repository root (default: found from the cwd)")
    parser.add_argument(
        "--list", action="store_true", help="print the catalogue as a markdown table and exit"
    )
    opts = parser.parse_args(argv)
    known = {m.id for m in catalogue}
    unknown = [i for i in opts.only or [] if i not in known]
    if unknown:
        parser.error(f"unknown mutation id(s): {', '.join(unknown)}")
    return opts


def main(argv: Sequence[str] | None = None, catalogue: Sequence[Mutation] = CATALOGUE) -> int:
    """`python -m kuberay_gitops_dev.mutation [--only ID ...] [--json FILE]`."""
    opts = _parse(argv, catalogue)
    if opts.list:
        sys.stdout.write(catalogue_markdown(catalogue))
        return ExitCode.OK
    chosen = [m for m in catalogue if not opts.only or m.id in opts.only]
    try:
        root = opts.repo.resolve() if opts.repo else find_repo_root(Path.cwd().resolve())
        config = RunConfig.from_settings(load(root))
        print(header(), flush=True)
        summary = run(chosen, config, lambda o: print(row(o), flush=True))
    except ToolError as exc:
        print(f"mutation: error: {exc}", file=sys.stderr)
        return ExitCode.TOOL_ERROR
    sys.stdout.write(footer(summary))
    if opts.json:
        opts.json.write_text(to_json(summary))
    return ExitCode.OK if summary.passed else ExitCode.FINDINGS


if __name__ == "__main__":
    sys.exit(main())
