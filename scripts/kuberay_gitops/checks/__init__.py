"""The check registry: every check module imported by name, in one place.

Adding a check = one new module (module name = id with `-` → `_`) + one line here + its
test file `tests/unit/checks/test_<module>.py`. No glob discovery, no import-time
registration.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType, ModuleType

from kuberay_gitops.checks import ray_replicas_range
from kuberay_gitops.checks._api import CheckFn, CheckSpec

_MODULES: tuple[ModuleType, ...] = (ray_replicas_range,)

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
