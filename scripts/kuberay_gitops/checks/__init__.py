"""The check registry: every check module imported by name, in one place.

Adding a check = one new module (module name = id with `-` → `_`) + one line here + its
test file `tests/unit/checks/test_<module>.py`. No glob discovery, no import-time
registration.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from types import MappingProxyType, ModuleType

from kuberay_gitops.checks._api import CheckFn, CheckSpec

# Each check module by name: the one line a new check adds here.
_NAMES: tuple[str, ...] = (
    "argocd_appset_unsupported",
    "argocd_crd_sync",
    "argocd_ignore_replicas",
    "argocd_project",
    "argocd_project_breadth",
    "argocd_rayjob_lifecycle",
    "argocd_source_overrides",
    "argocd_source_path",
    "argocd_sync_options",
    "argocd_target_coverage",
    "argocd_target_revision",
    "exposure_netpol_ingress",
    "exposure_ray_auth_env",
    "exposure_ray_ports",
    "monitor_port_exists",
    "monitor_prometheus_label",
    "monitor_selects_nothing",
    "netpol_default_deny",
    "netpol_dns_egress",
    "netpol_egress_broad",
    "netpol_gcs_redis_egress",
    "netpol_ray_ports",
    "netpol_selects_nothing",
    "netpol_uncovered_pod",
    "netpol_unused_port",
    "pod_capabilities",
    "pod_confinement",
    "pod_host_namespaces",
    "pod_host_path",
    "pod_image_registry",
    "pod_image_tag",
    "pod_privilege_escalation",
    "pod_privileged",
    "pod_resources",
    "pod_run_as_non_root",
    "pod_seccomp",
    "pod_security_label",
    "pod_service_account_token",
    "ports_duplicate",
    "ports_head_service",
    "ports_ray_declared",
    "ports_reserved",
    "ports_service_target",
    "ray_autoscaler_gcs_port",
    "ray_cluster_isolation",
    "ray_container_first",
    "ray_control_plane",
    "ray_dashboard_port_name",
    "ray_gpu_consistency",
    "ray_kueue_autoscaling",
    "ray_name_length",
    "ray_production_gcs_ft",
    "ray_replicas_range",
    "ray_start_params_strings",
    "ray_unread_metadata",
    "rbac_broad_subject",
    "rbac_cluster_scoped",
    "rbac_operator_scope",
    "rbac_sensitive_grant",
    "rbac_wildcard",
    "secret_committed",
    "secret_env_literal",
    "selector_operator_and_ray",
    "selector_service_no_pods",
)
_MODULES: tuple[ModuleType, ...] = tuple(import_module(f"{__name__}.{n}") for n in _NAMES)

REGISTRY: Mapping[str, ModuleType] = MappingProxyType({m.CHECK.id: m for m in _MODULES})


def spec(module: ModuleType) -> CheckSpec:
    """The CheckSpec of a check module."""
    s = module.CHECK
    assert isinstance(s, CheckSpec)
    return s


def function(module: ModuleType) -> CheckFn:
    """The run function of a check module."""
    fn: CheckFn = module.run
    return fn


def all_specs() -> list[CheckSpec]:
    """Every registered check spec, sorted by id."""
    return sorted((spec(m) for m in REGISTRY.values()), key=lambda s: s.id)
