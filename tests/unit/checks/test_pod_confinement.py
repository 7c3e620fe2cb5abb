from __future__ import annotations

from collections.abc import Callable

from tests.builders import Body, head_group, issues, raycluster, to_yaml, worker_group
from tests.conftest import CheckRun

CHECK = "pod-confinement"
APPARMOR = "container.apparmor.security.beta.kubernetes.io/ray-head"


def _cluster(
    autoscaler_selinux: str = "container_t",
    annotation: str = "runtime/default",
    share: bool = False,
    worker_apparmor: str = "RuntimeDefault",
) -> Body:
    """An autoscaling RayCluster confined everywhere unless a parameter says otherwise."""
    return raycluster(
        head=head_group(annotations={APPARMOR: annotation}, shareProcessNamespace=share),
        workers=[
            worker_group(
                min_replicas=0,
                securityContext={"appArmorProfile": {"type": worker_apparmor}},
            )
        ],
        enableInTreeAutoscaling=True,
        autoscalerOptions={"securityContext": {"seLinuxOptions": {"type": autoscaler_selinux}}},
    )


def test_container_types_and_runtime_default_profiles_pass() -> None:
    assert issues(CHECK, _cluster()) == []


def test_spc_t_on_the_autoscaler_sidecar_is_an_error() -> None:
    assert issues(CHECK, _cluster(autoscaler_selinux="spc_t")) == [
        (
            f"{CHECK}[selinux]",
            "RayCluster/rc",
            ".spec.autoscalerOptions.securityContext.seLinuxOptions.type",
            "the autoscaler sidecar (autoscalerOptions) of the head group headgroup sets SELinux "
            'type "spc_t"; expected none or one of container_t, container_init_t, '
            "container_kvm_t, container_engine_t",
        )
    ]


def test_an_unconfined_apparmor_annotation_is_an_error(run_check: Callable[..., CheckRun]) -> None:
    tree = {"t/raycluster.yaml": to_yaml(_cluster(annotation="unconfined"))}
    assert run_check(CHECK, tree).rows() == [
        (
            f"{CHECK}[apparmor]",
            "rc",
            f".spec.headGroupSpec.template.metadata.annotations.{APPARMOR}",
            "t/raycluster.yaml",
            12,
        )
    ]


def test_an_unconfined_apparmor_profile_on_a_worker_pod_is_an_error() -> None:
    assert issues(CHECK, _cluster(worker_apparmor="Unconfined")) == [
        (
            f"{CHECK}[apparmor]",
            "RayCluster/rc",
            ".spec.workerGroupSpecs[0].template.spec.securityContext.appArmorProfile.type",
            "the worker group cpu sets appArmorProfile.type Unconfined; expected RuntimeDefault "
            "or Localhost",
        )
    ]


def test_a_shared_process_namespace_is_an_error() -> None:
    assert issues(CHECK, _cluster(share=True)) == [
        (
            f"{CHECK}[share-process-namespace]",
            "RayCluster/rc",
            ".spec.headGroupSpec.template.spec.shareProcessNamespace",
            "the head group headgroup sets shareProcessNamespace: true: each container sees the "
            "others' processes, environment and files",
        )
    ]
