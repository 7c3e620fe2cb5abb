from __future__ import annotations

from collections.abc import Callable

from tests.builders import (
    Body,
    container,
    deployment,
    head_group,
    issues,
    raycluster,
    to_yaml,
    worker_group,
)
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


def test_a_pod_level_selinux_type_outside_the_container_types_is_an_error() -> None:
    web = deployment("web", securityContext={"seLinuxOptions": {"type": "spc_t"}})
    assert issues(CHECK, web) == [
        (
            f"{CHECK}[selinux]",
            "Deployment/web",
            ".spec.template.spec.securityContext.seLinuxOptions.type",
            'the pod template sets SELinux type "spc_t"; expected none or one of container_t, '
            "container_init_t, container_kvm_t, container_engine_t",
        )
    ]


def test_every_pod_security_standards_container_type_passes_at_pod_and_container() -> None:
    for allowed in ("container_t", "container_init_t", "container_kvm_t", "container_engine_t"):
        selinux = {"seLinuxOptions": {"type": allowed, "level": "s0:c123,c456"}}
        web = deployment(
            "web",
            containers=[container("web", securityContext=selinux)],
            securityContext=selinux,
        )
        assert issues(CHECK, web) == []


def test_an_unconfined_apparmor_profile_on_a_container_is_an_error() -> None:
    unconfined = {"appArmorProfile": {"type": "Unconfined"}}
    cs = [container("web"), container("debug", securityContext=unconfined)]
    assert issues(CHECK, deployment("web", containers=cs)) == [
        (
            f"{CHECK}[apparmor]",
            "Deployment/web",
            ".spec.template.spec.containers[1].securityContext.appArmorProfile.type",
            'container "debug" of the pod template sets appArmorProfile.type Unconfined; '
            "expected RuntimeDefault or Localhost",
        )
    ]


def test_runtime_default_and_localhost_apparmor_profiles_pass() -> None:
    localhost = {"appArmorProfile": {"type": "Localhost", "localhostProfile": "ray"}}
    runtime = {"appArmorProfile": {"type": "RuntimeDefault"}}
    web = deployment(
        "web", containers=[container("web", securityContext=localhost)], securityContext=runtime
    )
    assert issues(CHECK, web) == []


def test_the_unconfined_annotation_names_its_container_whatever_the_case() -> None:
    annotated = {
        "metadata": {
            "annotations": {
                "container.apparmor.security.beta.kubernetes.io/web": "Unconfined",
                "container.apparmor.security.beta.kubernetes.io/sidecar": "runtime/default",
                "example.com/profile": "unconfined",
            }
        },
        "spec": {"containers": [container("web"), container("sidecar")]},
    }
    web = deployment("web")
    web["spec"]["template"] = annotated
    assert issues(CHECK, web) == [
        (
            f"{CHECK}[apparmor]",
            "Deployment/web",
            ".spec.template.metadata.annotations"
            ".container.apparmor.security.beta.kubernetes.io/web",
            'the pod template annotates container "web" AppArmor "unconfined"; expected '
            "runtime/default or localhost/<profile>",
        )
    ]
