"""Rule descriptions for the report, from the check registry and the repository scans.

Why: SARIF consumers (GitHub code scanning) show a rule's summary, rationale, fix and
documentation link next to every alert; a rule that carries only its id sends the reader
to the source. Everything here comes from what already documents a check: `CHECK.summary`
and `CHECK.hint`, and the module docstring that `docs/checks.md` is generated from, so
the report and the docs cannot disagree.

`rules(repo_url)` is pure: the same URL gives the same mapping. Links point at the
default branch (`blob/HEAD`) of `argocd.repo_url`, the repository Argo CD syncs, with any
credentials in that URL dropped; with no usable URL a rule has no link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType, ModuleType
from urllib.parse import quote, urlsplit

from kuberay_gitops import checks as registry
from kuberay_gitops import cluster, harden, inputs, policy, posture, secretscan
from kuberay_gitops.findings import RuleInfo

CHECKS_DOC = "docs/checks.md"
README = "README.md"
VALIDATE_SECTION = "What `kuberay-gitops validate` does"  # README heading

# Check-id prefixes of security weaknesses (GitHub shows their security severity); the
# other checks catch mistakes that break a deployment or leave it unobserved.
SECURITY_PREFIXES = (
    "exposure-",
    "harden-",
    "input-unsafe",
    "pod-",
    "rbac-",
    "secret-",
    "argocd-project-breadth",
    "argocd-source-overrides",
    "netpol-default-deny",
    "netpol-egress-broad",
    "policy-change",
    "posture-",
)

# The repository scans document several ids per module; one line each for the rule list.
SCAN_SUMMARIES: Mapping[str, str] = MappingProxyType(
    {
        inputs.UNSAFE: "repository files are regular files of bounded size, depth and aliases",
        inputs.ENCODING: "repository YAML is UTF-8 without a byte order mark or control characters",
        inputs.DOCUMENT: "YAML documents are plain objects: no stray empty documents, foreign "
        "tags or kind: List",
        harden.PLUGINS: "kustomizations use no plugins, KRM functions or Helm",
        harden.PATH_ESCAPE: "kustomization paths and symlinks stay inside the repository",
        harden.REMOTE_BASE: "remote bases come from an allowed repository",
        harden.UNPINNED: "allowed remote bases are pinned to a tag or a commit",
        harden.FILE_URL: "remote file URLs carry their tag or commit in the path kustomize "
        "fetches over HTTP",
        harden.AMBIGUOUS: "kustomizations are plain YAML that reads the same to kustomize and "
        "to the scan",
        secretscan.CHECK_ID: "no credential-shaped or high-entropy string in repository YAML",
        secretscan.SECRET_OBJECT: "no plain-text value in a Secret or a secretGenerator literal",
        cluster.APPLY: "the API server of a control-plane twin accepts every object as Argo "
        "CD applies it",
        cluster.CEL: "objects keep the validation rules (CEL) of their CRDs",
        cluster.ADMISSION: "admission (Pod Security, webhooks) admits every object and every "
        "Pod the operator creates",
        cluster.OPERATOR: "the real KubeRay operator reconciles every Ray object without a warning",
        policy.CHECK_ID: "a pull request's changes to the policy that judges it are shown for "
        "review (with --policy-from)",
        **{
            check_id: f"a pull request widens no {check_id[len(posture.CHECK_ID) + 1 : -1]} "
            "posture of an environment against the base branch unless posture.allow covers it "
            "(with --policy-from)"
            for check_id in posture.CHECK_IDS
        },
    }
)


def anchor(heading: str) -> str:
    """The fragment GitHub gives a markdown heading: `` `ports-reserved` `` → `ports-reserved`."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def docs_url(repo_url: str, path: str, heading: str) -> str:
    """`https://host/owner/repo/blob/HEAD/<path>#<anchor>`, or "" when `repo_url` is unusable.

    Accepts `https://host/owner/repo(.git)`, `ssh://git@host/owner/repo.git` and
    `git@host:owner/repo.git`; user names and tokens never reach the link.
    """
    url = repo_url.strip()
    scp = re.fullmatch(r"(?:ssh://)?[\w.-]+@([\w.-]+)[:/](?!/)(.+)", url)
    if scp:
        url = f"https://{scp[1]}/{scp[2]}"
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # `host:abc`: not a URL a browser opens
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname + (f":{port}" if port else "")
    repo = parts.path.strip("/").removesuffix(".git").strip("/")
    if repo.count("/") < 1:
        return ""
    return f"https://{host}/{quote(repo)}/blob/HEAD/{quote(path)}#{anchor(heading)}"


def description(doc: str | None) -> str:
    """A module docstring's first paragraph and its `Why:`/`Risk:` paragraph, unwrapped.

    Lines pointing at the tests (`PASS / FAIL examples: …`) are left out.
    """
    paragraphs = [p.strip() for p in (doc or "").strip().split("\n\n") if p.strip()]
    why = [p for p in paragraphs[1:] if p.startswith(("Why:", "Risk:"))]
    out = []
    for paragraph in paragraphs[:1] + why[:1]:
        lines = [
            line.strip()
            for line in paragraph.splitlines()
            if line.strip() and not line.strip().startswith("PASS / FAIL")
        ]
        text = ""
        for line in lines:
            text += ("\n" if line.startswith("- ") else " ") + line if text else line
        out.append(text)
    return "\n\n".join(out)


def _security(check_id: str) -> bool:
    return check_id.startswith(SECURITY_PREFIXES)


def _check_rules(repo_url: str) -> dict[str, RuleInfo]:
    out = {}
    for spec in registry.all_specs():
        module = registry.REGISTRY[spec.id]
        out[spec.id] = RuleInfo(
            summary=spec.summary,
            description=description(module.__doc__),
            hint=spec.hint,
            help_uri=docs_url(repo_url, CHECKS_DOC, f"`{spec.id}`"),
            security=_security(spec.id),
        )
    return out


def _scan_rules(repo_url: str) -> dict[str, RuleInfo]:
    hints: list[tuple[ModuleType, dict[str, str]]] = [
        (inputs, {i: inputs.HINTS[i.split("[", 1)[0]] for i in inputs.CHECK_IDS}),
        (
            harden,
            {i: harden.HINTS.get(i, harden.HINTS[i.split("[", 1)[0]]) for i in harden.CHECK_IDS},
        ),
        (secretscan, dict.fromkeys(secretscan.CHECK_IDS, secretscan.HINT)),
        (cluster, dict(cluster.HINTS)),
        (policy, dict.fromkeys(policy.CHECK_IDS, policy.HINT)),
        (posture, dict.fromkeys(posture.CHECK_IDS, posture.HINT)),
    ]
    out = {}
    for module, by_id in hints:
        name = module.__name__.rsplit(".", 1)[1]
        for check_id, hint in by_id.items():
            out[check_id] = RuleInfo(
                summary=SCAN_SUMMARIES[check_id],
                description=description(module.__doc__),
                hint=hint,
                help_uri=docs_url(repo_url, CHECKS_DOC, f"`{name}`"),
                security=_security(check_id),
            )
    return out


def _tool_rules(repo_url: str) -> dict[str, RuleInfo]:
    validate_docs = docs_url(repo_url, README, VALIDATE_SECTION)
    return {
        "render": RuleInfo(
            summary="every render target builds with kustomize and renders at least one object",
            description="A target that fails `kustomize build`, or renders nothing, is what "
            "Argo CD would fail to sync, or sync as an empty application.",
            hint="run `kuberay-gitops render TARGET` and fix the kustomization it names",
            help_uri=validate_docs,
        ),
        "yamllint/*": RuleInfo(
            summary="yamllint rule (configured in .yamllint)",
            description="Every YAML file of the repository is linted with yamllint as "
            "configured in `.yamllint`; duplicate keys are errors, as a parser keeps only one.",
            hint="fix the line as the rule asks, or change the rule in .yamllint",
            help_uri="https://yamllint.readthedocs.io/en/stable/rules.html",
        ),
        "kubeconform/*": RuleInfo(
            summary="rendered objects are valid against their Kubernetes or CRD schema",
            description="One strict, offline kubeconform run validates every rendered object "
            "against the configured Kubernetes version and the CRDs of the shared directory; "
            "the API server would reject what fails here.",
            hint="fix the field as the schema says (kubectl explain <kind>.<field> shows the spec)",
            help_uri=validate_docs,
        ),
        "schema/*": RuleInfo(
            summary="objects use a current, non-deprecated version of their CRD",
            description="A deprecated CRD version (ray.io/v1alpha1) is served only until the "
            "operator drops it; then Argo CD can no longer sync the object.",
            hint="move the object to the CRD's current version (for KubeRay: ray.io/v1)",
            help_uri=validate_docs,
        ),
        "checkov/*": RuleInfo(
            summary="checkov Kubernetes policy on the rendered built-in objects",
            description="checkov runs once over the rendered built-in objects (Ray pods are "
            "covered by the pod-* checks, which checkov cannot see).",
            hint="fix the object, or skip with a reason (checkov.io/skipN annotation or "
            "checkov.skip)",
            help_uri="https://www.checkov.io/5.Policy%20Index/kubernetes.html",
            security=True,
        ),
    }


def rules(repo_url: str) -> Mapping[str, RuleInfo]:
    """Every rule a report can hold, keyed as `Report.rules` documents."""
    return MappingProxyType(
        {**_tool_rules(repo_url), **_scan_rules(repo_url), **_check_rules(repo_url)}
    )
