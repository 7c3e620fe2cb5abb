from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

CHECK = "netpol-selects-nothing"

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
      minReplicas: 1
      maxReplicas: 2
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
"""


def policy(name: str, namespace: str, selector: str) -> str:
    return (
        "apiVersion: networking.k8s.io/v1\n"
        "kind: NetworkPolicy\n"
        "metadata:\n"
        f"  name: {name}\n"
        f"  namespace: {namespace}\n"
        "spec:\n"
        f"  podSelector:{selector}\n"
        "  policyTypes:\n"
        "    - Ingress\n"
    )


HEAD = "\n    matchLabels:\n      ray.io/node-type: head\n"
TYPO = "\n    matchLabels:\n      ray.io/node-type: haed\n"


def test_selectors_matching_kuberay_labels_and_empty_selectors_pass(
    run_check: Callable[..., CheckRun],
) -> None:
    expressions = (
        "\n    matchExpressions:\n      - key: ray.io/group\n        operator: In\n"
        "        values: [cpu]\n"
    )
    result = run_check(
        CHECK,
        {
            "t/raycluster.yaml": RAYCLUSTER,
            "t/networkpolicy-head.yaml": policy("head", "kuberay", HEAD),
            "t/networkpolicy-workers.yaml": policy("workers", "kuberay", expressions),
            "t/networkpolicy-deny.yaml": policy("deny", "kuberay", " {}"),
            "t/networkpolicy-other-deny.yaml": policy("deny", "elsewhere", " {}"),
        },
    )
    assert result.rows() == []


def test_networkpolicy_selecting_no_pods_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(
        CHECK,
        {"t/raycluster.yaml": RAYCLUSTER, "t/networkpolicy.yaml": policy("head", "kuberay", TYPO)},
    )
    assert result.rows() == [(CHECK, "head", ".spec.podSelector", "t/networkpolicy.yaml", 7)]
    assert "RayCluster/kuberay/rc head group headgroup" in result.findings[0].message


def test_policy_in_a_namespace_without_pods_is_reported_as_no_pods(
    run_check: Callable[..., CheckRun],
) -> None:
    result = run_check(
        CHECK,
        {
            "t/raycluster.yaml": RAYCLUSTER,
            "t/networkpolicy.yaml": policy("operator", "kuberay-system", HEAD),
        },
    )
    assert result.rows() == [
        (f"{CHECK}[no-pods]", "operator", ".spec.podSelector", "t/networkpolicy.yaml", 7)
    ]


def test_pods_of_another_target_can_be_declared_with_external_pods(
    run_check: Callable[..., CheckRun],
) -> None:
    submitter = "\n    matchLabels:\n      app.kubernetes.io/component: ray-job-submitter\n"
    files = {
        "t/raycluster.yaml": RAYCLUSTER,
        "t/networkpolicy.yaml": policy("submitter", "kuberay", submitter),
    }
    assert run_check(CHECK, files).rows() == [
        (CHECK, "submitter", ".spec.podSelector", "t/networkpolicy.yaml", 7)
    ]
    extra = """\
    checks:
      netpol-selects-nothing:
        options:
          external_pods:
            - app.kubernetes.io/component: ray-job-submitter
    """
    assert run_check(CHECK, files, config_extra=extra).rows() == []


def test_rayjob_submitter_pod_template_counts_as_a_pod(
    run_check: Callable[..., CheckRun],
) -> None:
    rayjob = """\
apiVersion: ray.io/v1
kind: RayJob
metadata:
  name: job
  namespace: kuberay
spec:
  entrypoint: python -c "print(1)"
  submitterPodTemplate:
    metadata:
      labels:
        app.kubernetes.io/component: ray-job-submitter
    spec:
      restartPolicy: Never
      containers:
        - name: submitter
          image: rayproject/ray:2.46.0
  rayClusterSpec:
    headGroupSpec:
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-head
              image: rayproject/ray:2.46.0
"""
    submitter = "\n    matchLabels:\n      app.kubernetes.io/component: ray-job-submitter\n"
    files = {
        "t/rayjob.yaml": rayjob,
        "t/networkpolicy.yaml": policy("submitter", "kuberay", submitter),
    }
    assert run_check(CHECK, files).rows() == []


SANDBOX_TEMPLATE = """\
apiVersion: extensions.agents.x-k8s.io/v1beta1
kind: SandboxTemplate
metadata:
  name: python-runtime
  namespace: kuberay
spec:
  podTemplate:
    metadata:
      labels:
        app: python-runtime-pool
    spec:
      containers:
        - name: runtime
          image: registry.k8s.io/agent-sandbox/python-runtime-sandbox:v0.4.6
"""


def test_pods_of_a_custom_resource_template_count(run_check: Callable[..., CheckRun]) -> None:
    selector = "\n    matchLabels:\n      app: python-runtime-pool\n"
    files = {
        "t/sandbox.yaml": SANDBOX_TEMPLATE,
        "t/networkpolicy.yaml": policy("sandbox-egress", "kuberay", selector),
    }
    assert run_check(CHECK, files).rows() == []
