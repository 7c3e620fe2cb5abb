from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CheckRun

CHECK = "pod-confinement"

RAYCLUSTER = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: kuberay
spec:
  enableInTreeAutoscaling: true
  autoscalerOptions:
    securityContext:
      seLinuxOptions:
        type: {autoscaler_selinux}
  headGroupSpec:
    rayStartParams: {{}}
    template:
      metadata:
        annotations:
          container.apparmor.security.beta.kubernetes.io/ray-head: {annotation}
      spec:
        shareProcessNamespace: {share}
        containers:
          - name: ray-head
            image: rayproject/ray:2.46.0
  workerGroupSpecs:
    - groupName: cpu
      minReplicas: 0
      maxReplicas: 2
      rayStartParams: {{}}
      template:
        spec:
          securityContext:
            appArmorProfile:
              type: {worker_apparmor}
          containers:
            - name: ray-worker
              image: rayproject/ray:2.46.0
"""
CONFINED = {
    "autoscaler_selinux": "container_t",
    "annotation": "runtime/default",
    "share": "false",
    "worker_apparmor": "RuntimeDefault",
}


def raycluster(**change: str) -> dict[str, str]:
    return {"t/raycluster.yaml": RAYCLUSTER.format(**{**CONFINED, **change})}


def test_container_types_and_runtime_default_profiles_pass(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check(CHECK, raycluster()).rows() == []


def test_spc_t_on_the_autoscaler_sidecar_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    result = run_check(CHECK, raycluster(autoscaler_selinux="spc_t"))
    assert result.rows() == [
        (
            "pod-confinement[selinux]",
            "rc",
            ".spec.autoscalerOptions.securityContext.seLinuxOptions.type",
            "t/raycluster.yaml",
            11,
        )
    ]
    assert result.findings[0].message == (
        "the autoscaler sidecar (autoscalerOptions) of the head group headgroup sets SELinux "
        'type "spc_t"; expected none or one of container_t, container_init_t, container_kvm_t, '
        "container_engine_t"
    )


def test_an_unconfined_apparmor_annotation_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    assert run_check(CHECK, raycluster(annotation="unconfined")).rows() == [
        (
            "pod-confinement[apparmor]",
            "rc",
            ".spec.headGroupSpec.template.metadata.annotations."
            "container.apparmor.security.beta.kubernetes.io/ray-head",
            "t/raycluster.yaml",
            17,
        )
    ]


def test_an_unconfined_apparmor_profile_on_a_worker_pod_is_an_error(
    run_check: Callable[..., CheckRun],
) -> None:
    assert run_check(CHECK, raycluster(worker_apparmor="Unconfined")).rows() == [
        (
            "pod-confinement[apparmor]",
            "rc",
            ".spec.workerGroupSpecs[0].template.spec.securityContext.appArmorProfile.type",
            "t/raycluster.yaml",
            32,
        )
    ]


def test_a_shared_process_namespace_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    assert run_check(CHECK, raycluster(share="true")).rows() == [
        (
            "pod-confinement[share-process-namespace]",
            "rc",
            ".spec.headGroupSpec.template.spec.shareProcessNamespace",
            "t/raycluster.yaml",
            19,
        )
    ]
