"""What the config does to a finding: on or off, its severity, its profile, its suppression.

`kuberay-gitops.yaml`'s `checks:` entries switch a check (or one `[variant]`) on or off,
change its severity and give its options; `profile` says which rules apply (`correctness`,
or `platform` on top); `suppressions` drop single findings by check, target and object.
`check_config` refuses an entry the registry does not know before anything runs;
`conclude` applies the rest to every finding of a run, the policy changes of a pull
request (`--policy-from`) included, and sorts them.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

from kuberay_gitops import checks as registry
from kuberay_gitops import cluster, harden, inputs, policy, secretscan
from kuberay_gitops.exitcodes import ConfigError
from kuberay_gitops.findings import Finding, Profile, Severity, sorted_findings
from kuberay_gitops.settings import CONFIG_FILE, Settings
from kuberay_gitops.tools import yamllint

# The ids of the scans outside the registry (input limits, harden, secrets, cluster).
SCAN_IDS = frozenset(
    i.split("[", 1)[0]
    for i in (*inputs.CHECK_IDS, *harden.CHECK_IDS, *secretscan.CHECK_IDS, *cluster.CHECK_IDS)
)


def check_config(settings: Settings) -> None:
    """Refuse what the registry does not know: a check, or an option of the wrong type (exit 3).

    Wrapped tools' ids (`<source>/<id>`) and the scans' ids take no options.
    """
    known = set(registry.REGISTRY) | SCAN_IDS
    for cid, conf in settings.checks.items():
        if "/" in cid:
            continue  # a wrapped tool's id (kubeconform/schema, yamllint/truthy, checkov/CKV_…)
        base = cid.split("[", 1)[0]
        if base not in known:
            raise ConfigError(
                f'{CONFIG_FILE}: checks: unknown check "{cid}" (see `kuberay-gitops list-checks`)'
            )
        if cid != base or base in SCAN_IDS:
            continue
        declared = registry.spec(registry.REGISTRY[base]).options
        for opt, value in conf.options.items():
            if opt not in declared:
                raise ConfigError(f'{CONFIG_FILE}: check "{cid}": unknown option "{opt}"')
            default = declared[opt]
            if default is not None and not isinstance(value, type(default)):
                raise ConfigError(
                    f'{CONFIG_FILE}: check "{cid}": option "{opt}" expects '
                    f"{type(default).__name__}, got {type(value).__name__}"
                )


def options(settings: Settings, check_id: str) -> Mapping[str, Any]:
    """A registered check's options: its declared defaults, overridden by the config."""
    declared = dict(registry.spec(registry.REGISTRY[check_id]).options)
    conf = settings.checks.get(check_id)
    if conf is not None:
        declared.update(conf.options)
    return declared


def conf_for(settings: Settings, qualified_id: str) -> tuple[bool, Severity | None]:
    """Whether the config leaves a check (or variant) on, and the severity it sets, if any.

    The variant's own entry (`id[variant]`) overrides the check's.
    """
    base = qualified_id.split("[", 1)[0]
    enabled: bool = True
    severity: Severity | None = None
    for key in (base, qualified_id):
        conf = settings.checks.get(key)
        if conf is not None:
            if conf.enabled is not None:
                enabled = conf.enabled
            if conf.severity is not None:
                severity = conf.severity
    return enabled, severity


def _explicitly_enabled(settings: Settings, qualified_id: str) -> bool:
    """Whether the config turns this check (or variant) on by name: above the profile."""
    base = qualified_id.split("[", 1)[0]
    return any(
        (conf := settings.checks.get(key)) is not None and conf.enabled is True
        for key in (base, qualified_id)
    )


def in_profile(settings: Settings, qualified_id: str, profile: Profile) -> bool:
    """Whether a rule of `profile` applies in this run.

    It does when the run's profile includes it, or when the config enables it by name
    (`checks.<id>.enabled: true`): one platform check can be adopted on its own.
    """
    return settings.profile.includes(profile) or _explicitly_enabled(settings, qualified_id)


def _tool_profile(finding: Finding) -> Profile:
    """The profile of a wrapped tool's finding (the project's own checks declare theirs).

    checkov is a hardening benchmark and yamllint's style rules are `.yamllint`'s taste:
    both are a platform's choices. A file that does not parse, a duplicate key, a schema
    error, an unsafe input or a committed secret is wrong for everyone.
    """
    if finding.source == "checkov":
        return Profile.PLATFORM
    if finding.source == "yamllint" and finding.check_id not in yamllint.CORRECTNESS_RULES:
        return Profile.PLATFORM
    return Profile.CORRECTNESS


def _suppressed(settings: Settings, f: Finding) -> bool:
    for s in settings.suppressions:
        if s.check not in (f.qualified_id, f.qualified_id.split("[", 1)[0], f.check_id):
            continue
        if s.target is not None and not fnmatch.fnmatch(f.target, s.target):
            continue
        if f.obj is None:
            continue
        ref = f.obj
        names = {
            f"{ref.kind}/{ref.namespace}/{ref.name}" if ref.namespace else f"{ref.kind}/{ref.name}"
        }
        if any(fnmatch.fnmatch(n, s.object) for n in names):
            return True
    return False


def _apply_config(settings: Settings, findings: Iterable[Finding]) -> tuple[list[Finding], int]:
    kept: list[Finding] = []
    suppressed = 0
    for f in findings:
        enabled, severity = conf_for(settings, f.qualified_id)
        if not enabled or not in_profile(settings, f.qualified_id, _tool_profile(f)):
            continue
        if _suppressed(settings, f):
            suppressed += 1
            continue
        if severity is not None and severity is not f.severity:
            kept.append(dataclasses.replace(f, severity=severity))
        else:
            kept.append(f)
    return kept, suppressed


def conclude(settings: Settings, findings: Iterable[Finding]) -> tuple[list[Finding], list[str]]:
    """The findings every `validate` reports, sorted, and the note on what was suppressed.

    With `--policy-from`, the policy files of the repository under check are data: they
    are compared with the base's (`policy.changes`), never used. Duplicates go (a shared
    base's harden and input findings come once per target that reaches it); then the
    config's switches, severities and suppressions apply, to the policy changes too.
    """
    out = list(findings)
    if settings.policy_dir != settings.repo_root:
        out.extend(policy.changes(settings.policy_dir, settings.repo_root))
    kept, suppressed = _apply_config(settings, dict.fromkeys(out))
    notes = [f"{suppressed} finding(s) suppressed by the config"] if suppressed else []
    return sorted_findings(kept), notes
