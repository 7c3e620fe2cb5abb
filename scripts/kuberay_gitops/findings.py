"""The one error model: every check, tool adapter and reporter speaks in Findings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from kuberay_gitops.exitcodes import ExitCode

FieldPath = tuple[str | int, ...]

_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")  # RFC 6901; str.isdigit() also takes "²", "01"


class Severity(StrEnum):
    """How bad a finding is; `--fail-on` decides which severities fail the run."""

    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        """Higher is worse."""
        return 2 if self is Severity.ERROR else 1


class Profile(StrEnum):
    """Which rules a run applies: what is wrong for anyone, or also this platform's policy.

    `correctness`: wrong for any KubeRay or Kubernetes user (a port KubeRay cannot find,
    a selector that selects nothing, a schema error). `platform`: a platform's own
    decisions on top (its port plan, registries, placement, hardening level). A run at
    `platform` applies both; a repository without a `profile` key gets `correctness`.
    """

    CORRECTNESS = "correctness"
    PLATFORM = "platform"

    def includes(self, other: Profile) -> bool:
        """Whether a run at this profile applies a rule of profile `other`."""
        return self is Profile.PLATFORM or other is Profile.CORRECTNESS


@dataclass(frozen=True, slots=True)
class Location:
    """A place in the repository: repo-relative POSIX path, 1-based line and column."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A Kubernetes object by kind, namespace and name."""

    kind: str
    name: str
    namespace: str | None = None
    api_version: str = ""

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"


def format_field(path: FieldPath) -> str:
    """Render a field path the way kubectl users read it: `.spec.ports[1].targetPort`."""
    out = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(f".{part}")
    return "".join(out)


def parse_json_pointer(pointer: str) -> FieldPath:
    """Turn `/spec/ports/0/name` (JSON pointer) into a FieldPath."""
    parts: list[str | int] = []
    for raw in pointer.split("/")[1:] if pointer.startswith("/") else pointer.split("/"):
        if raw == "":
            continue
        token = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(token) if _ARRAY_INDEX.fullmatch(token) else token)
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, located in the repository and explained.

    `source` is `kuberay-gitops` for the project's own checks and the tool's name
    (`kubeconform`, `yamllint`, `checkov`, `kustomize`) for wrapped tools.
    """

    location: Location
    check_id: str
    severity: Severity
    message: str
    obj: ObjectRef | None = None
    field: FieldPath = ()
    hint: str = ""
    source: str = "kuberay-gitops"
    target: str = ""

    @property
    def field_str(self) -> str:
        """The field path as `.spec.x[0].y`."""
        return format_field(self.field)

    @property
    def qualified_id(self) -> str:
        """`<source>/<id>` for wrapped tools, the bare id for the project's own checks."""
        if self.source == "kuberay-gitops":
            return self.check_id
        return f"{self.source}/{self.check_id}"

    def sort_key(self) -> tuple[str, int, int, str, str, str, str, str]:
        """Stable order: file, line, column, check, object, field, message.

        Ties (the same finding in two targets, or differing only in hint or severity)
        are broken on every field, via the repr: `sorted_findings` sorts a set, so a tie
        would leave the order to string hashes, which change from run to run.
        """
        return (
            self.location.file,
            self.location.line or 0,
            self.location.column or 0,
            self.qualified_id,
            str(self.obj or ""),
            self.field_str,
            self.message,
            repr(self),
        )


@dataclass(frozen=True, slots=True)
class TargetSummary:
    """What one render target contributed to a run."""

    path: str
    objects: int
    rendered: bool


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a rule checks and how to fix it, for reporters that describe rules (SARIF).

    `summary` is one line, `description` says why the rule exists, `hint` what to do,
    `help_uri` where it is documented ("" when unknown); `security` marks rules whose
    findings are security weaknesses rather than mistakes that break the deployment.
    """

    summary: str
    description: str
    hint: str
    help_uri: str = ""
    security: bool = False


def _no_rules() -> Mapping[str, RuleInfo]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    """What one environment's control-plane twin did: objects applied and generated."""

    environment: str
    applied: int
    generated: int
    seconds: float
    cached: bool = False


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a reporter needs; reporters only format it.

    `rules` describes the rules findings may come from (`ruleinfo.rules`), keyed by check
    id without its `[variant]`, by a sub-id that has its own description, and by
    `<source>/*` for all rules of a wrapped tool. A rule missing from it is still reported,
    described by its id only.
    """

    findings: Sequence[Finding]
    targets: Sequence[TargetSummary]
    notes: Sequence[str] = field(default_factory=tuple)
    rules: Mapping[str, RuleInfo] = field(default_factory=_no_rules)
    clusters: Sequence[ClusterSummary] = field(default_factory=tuple)
    # Why the cluster stage did not run (`--no-cluster`, disabled), None when it ran or
    # when the command has no cluster stage: the summary line always says which.
    cluster_skipped: str | None = None
    # A run that rendered nothing but still linted and scanned changed files
    # (`--changed-since` touching no render target): how many, for the summary line.
    files: int | None = None
    # A run with nothing to check (`--changed-since` touching no render target and no
    # file): what `validate` says instead of a text report; it passes.
    nothing_affected: str | None = None

    @property
    def objects(self) -> int:
        """Objects checked across all targets."""
        return sum(t.objects for t in self.targets)

    def count(self, severity: Severity) -> int:
        """Number of findings of one severity."""
        return sum(1 for f in self.findings if f.severity is severity)

    def exit_code(self, fail_on: Severity = Severity.ERROR) -> ExitCode:
        """The exit code of the run: FINDINGS when a finding is at or above `fail_on`."""
        threshold = fail_on.rank
        if any(f.severity.rank >= threshold for f in self.findings):
            return ExitCode.FINDINGS
        return ExitCode.OK


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings deduplicated and in their stable order."""
    return sorted(set(findings), key=Finding.sort_key)
