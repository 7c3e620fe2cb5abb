"""Posture diff: what a change opens up on the platform, per environment, base against head.

A pull request can weaken the platform without tripping a single absolute check: one more
`to:` peer, a label that takes a pod out of its default-deny, a verb added to a role that
was already allowed to exist, a namespace moved from `restricted` to `baseline`, a new
source repository for a project. None is wrong in itself; each is a widening someone
must have meant. This module computes five facets of the platform's posture the same way
from the base branch's rendered output and from the pull request's, for each Argo CD
environment, and reports every difference in words:

- **reachability**: which pods (and which "any other pod of namespace N", "pods of any
  other namespace" and outside addresses) can reach which pods and addresses on which
  ports, under the NetworkPolicies of each side (`checks/_netpol.py` semantics: a pod
  no policy restricts in a direction is open in that direction). It is evaluated on a
  finite universe of concrete probes, the same on both sides: every pod of either side
  (a pod only the head has is judged under the base's policies with its head labels),
  one label-less probe pod per namespace, one pod of an unknown namespace, and an
  address for every CIDR and `except` the policies name plus the cloud metadata address
  and a public address; ports are the ones each pod declares or Ray opens (the KubeRay
  model), the ones the policies name, and one port nobody names ("any other port");
- **rbac**: each subject's grants, expanded from its (Cluster)RoleBindings and their
  roles, rule by rule, verb by verb; a head grant is covered when a base grant of the
  same subject has an equal or wider scope, group, resource, verb and names (`*` wider
  than anything);
- **exposure**: every way from outside the cluster to a Ray port (`exposure-ray-ports`'
  paths: Service type, externalIPs, Ingress, Gateway routes, hostPort/hostNetwork,
  KubeRay's own Service types and Ingress) with the Ray token auth the Ray container
  will really have (`authOptions.mode: token` that no `RAY_AUTH_MODE` env entry
  overrides), and each Ray cluster's auth;
- **pod-security**: each Namespace's Pod Security `enforce` level, and what the pod
  hardening checks (`pod-privileged`, `pod-capabilities`, ...) say of every pod: a
  weakness the base did not have is a widening even when the config switched the
  check off;
- **project**: each AppProject's source repositories, destinations, source namespaces,
  resource allow-lists and role policies (an entry is covered by a base entry that
  equals it or whose glob matches it) and its deny-lists (a removed entry widens).

A head atom no base atom covers is a *widening*: a `posture-widening[<facet>]` error at
the object of the pull request that grants it, unless a `posture.allow` entry of the
base branch's policy (glob on the words, with a reason) covers it; a base atom the head no
longer has is a *narrowing*, reported in the words only. What is not covered: the real
Pods, Services and RBAC the operator generates (both sides use the KubeRay model, which
`tests/e2e/test_kuberay_model.py` holds to the real operator), ipBlocks matched against
pod IPs (unknown statically, as in `_netpol`), aggregated ClusterRoles, anything outside
the rendered output (the cluster's existing objects, the CNI).
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kuberay_gitops import checks as registry
from kuberay_gitops.checks import _netpol
from kuberay_gitops.checks._api import CheckContext, as_int
from kuberay_gitops.checks._pod import cluster_of, items, mapping, ray_clusters
from kuberay_gitops.checks.exposure_ray_auth_env import AUTH_MODE_VAR, TOKEN
from kuberay_gitops.checks.exposure_ray_ports import exposures
from kuberay_gitops.findings import FieldPath
from kuberay_gitops.index import ObjectIndex, PodView
from kuberay_gitops.kuberay import RAY_CONTAINER_INDEX
from kuberay_gitops.manifests import K8sObject
from kuberay_gitops.settings import PostureAllow

CHECK_ID = "posture-widening"
FACETS = ("reachability", "rbac", "exposure", "pod-security", "project")
CHECK_IDS = tuple(f"{CHECK_ID}[{f}]" for f in FACETS)
HINT = (
    "if the widening is meant, a platform owner adds a posture.allow entry (facet, env, "
    "match, reason) to kuberay-gitops.yaml in its own reviewed pull request; else undo it"
)
# The pod hardening checks whose verdicts the pod-security facet compares.
HARDENING_CHECKS = (
    "pod-capabilities",
    "pod-confinement",
    "pod-host-namespaces",
    "pod-host-path",
    "pod-privilege-escalation",
    "pod-privileged",
    "pod-run-as-non-root",
    "pod-seccomp",
)
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
# Looser last; no label means the cluster default, which this repository does not set.
PSA_LEVELS = ("restricted", "baseline", "privileged")
_METADATA = ipaddress.ip_address("169.254.169.254")
_PUBLIC = ipaddress.ip_address("203.0.113.10")  # TEST-NET-3: stands for "the internet"
_WORDS_LIMIT = 8  # peers listed per finding before "and N more"


@dataclass(frozen=True, slots=True)
class Change:
    """One difference of posture in an environment, in words.

    `widened`: the head grants it and the base did not (else the base granted it and the
    head no longer does); `obj`/`field`: the head object that grants a widening (None
    when nothing in the head does, e.g. a deleted default-deny: then `anchor` names the
    pod owner it is located at).
    """

    env: str
    facet: str
    text: str
    widened: bool
    obj: K8sObject | None = None
    field: FieldPath = ()

    @property
    def words(self) -> str:
        """`dev: pods of ... can now reach ...`."""
        return f"{self.env}: {self.text}"


def allowed_by(change: Change, entries: Sequence[PostureAllow]) -> PostureAllow | None:
    """The first `posture.allow` entry covering a widening (globs, case-sensitive)."""
    for entry in entries:
        if (
            fnmatch.fnmatchcase(change.facet, entry.facet)
            and fnmatch.fnmatchcase(change.env, entry.env)
            and fnmatch.fnmatchcase(change.text, entry.match)
        ):
            return entry
    return None


def diff(base: Mapping[str, ObjectIndex], head: Mapping[str, ObjectIndex]) -> list[Change]:
    """Every widening and narrowing of every environment the head has, sorted."""
    out: list[Change] = []
    for env in sorted(head):
        old = base.get(env) or ObjectIndex((), env)
        new = head[env]
        out.extend(_reachability(env, old, new))
        out.extend(_rbac(env, old, new))
        out.extend(_exposure(env, old, new))
        out.extend(_pod_security(env, old, new))
        out.extend(_project(env, old, new))
    return sorted(out, key=lambda c: (c.env, FACETS.index(c.facet), not c.widened, c.text))


def _listed(parts: Sequence[str]) -> str:
    shown = ", ".join(parts[:_WORDS_LIMIT])
    more = len(parts) - _WORDS_LIMIT
    return f"{shown} and {more} more" if more > 0 else shown


# --------------------------------------------------------------------------- reachability

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class _Peer:
    """A probe: a pod (by identity), a label-less pod of a namespace, or an address."""

    words: str
    namespace: str | None = None  # None: an address outside the cluster
    pod: str | None = None  # the pod identity (`_netpol.pod_name`) of a real pod
    address: Address | None = None


@dataclass(frozen=True, slots=True)
class _Port:
    protocol: str
    number: int
    name: str = ""

    def __str__(self) -> str:
        if self.name == _ANY_OTHER_PORT:
            return f"any other {self.protocol} port"
        return f"{self.protocol} {self.number}" + (f" ({self.name})" if self.name else "")


_OTHER_NS = "(another namespace)"
_ANY_OTHER_PORT = "any other port"


class _Side:
    """One side's policies, pods and namespace labels.

    The other side's pods stand in for the pods this side lacks, so a new pod is judged
    under the old policies with its new labels.
    """

    def __init__(self, index: ObjectIndex, other: ObjectIndex) -> None:
        self.index = index
        self.policies = _netpol.policies(index)
        self.pods: dict[str, PodView] = {_netpol.pod_name(p): p for p in other.pods}
        self.pods.update({_netpol.pod_name(p): p for p in index.pods})
        self.own = frozenset(_netpol.pod_name(p) for p in index.pods)

    def endpoint(self, peer: _Peer) -> _netpol.Endpoint | None:
        if peer.namespace is None:
            return None
        if peer.pod is not None:
            pod = self.pods[peer.pod]
            return _netpol.Endpoint(
                pod.namespace,
                pod.labels,
                self.index.namespace_labels(pod.namespace),
                _netpol.container_ports(pod),
            )
        if peer.namespace == _OTHER_NS:
            return _netpol.Endpoint(_OTHER_NS, {}, {"kubernetes.io/metadata.name": _OTHER_NS})
        return _netpol.Endpoint(peer.namespace, {}, self.index.namespace_labels(peer.namespace))

    def allows(
        self, direction: str, subject: _Peer, remote: _Peer, port: _Port
    ) -> tuple[bool, tuple[K8sObject, FieldPath] | None]:
        """Whether `subject`'s policies let `remote` through in `direction` on `port`.

        Returns (allowed, the policy rule that allows it, None when no policy restricts).
        """
        me = self.endpoint(subject)
        if me is None:  # an address outside: no NetworkPolicy of ours applies to it
            return True, None
        pols = _netpol.restricting(self.policies, me.labels, me.namespace, direction)
        if not pols:
            return True, None
        dest = me if direction == _netpol.INGRESS else self.endpoint(remote)
        dest_ports = dest.ports if dest is not None else ()
        them = self.endpoint(remote)
        for pol in pols:
            for i, rule in pol.rules(direction):
                if not _rule_admits(rule, direction, pol.namespace, remote, them):
                    continue
                intervals = _netpol.rule_intervals(rule, dest_ports, port.protocol)
                if any(lo <= port.number <= hi for lo, hi in intervals):
                    return True, (pol.obj, ("spec", pol.rules_key(direction), i))
        return False, None


def _rule_admits(
    rule: Mapping[str, Any],
    direction: str,
    policy_ns: str,
    remote: _Peer,
    them: _netpol.Endpoint | None,
) -> bool:
    if them is not None:
        return _netpol.rule_matches_peer(rule, direction, policy_ns, them)
    peers = rule.get("from" if direction == _netpol.INGRESS else "to")
    if not peers:
        return True
    return any(_block_holds(mapping(p).get("ipBlock"), remote.address) for p in items(peers))


def _block_holds(block: Any, address: Address | None) -> bool:
    if not isinstance(block, Mapping) or address is None:
        return False
    net = _network(block.get("cidr"))
    if net is None or address not in net:
        return False
    return not any(address in n for n in map(_network, items(block.get("except"))) if n)


def _network(value: Any) -> Network | None:
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return None


def _blocks(indexes: Iterable[ObjectIndex]) -> list[Network]:
    out: list[Network] = []
    for index in indexes:
        for pol in _netpol.policies(index):
            for direction in (_netpol.INGRESS, _netpol.EGRESS):
                for _, rule in pol.rules(direction):
                    for peer in items(rule.get("from" if direction == _netpol.INGRESS else "to")):
                        block = mapping(mapping(peer).get("ipBlock"))
                        for value in (block.get("cidr"), *items(block.get("except"))):
                            net = _network(value)
                            if net is not None and net not in out:
                                out.append(net)
    return out


def _address_peers(blocks: Sequence[Network]) -> list[_Peer]:
    """An address for every named block (its first address), metadata, the internet."""
    points: dict[Address, None] = {_METADATA: None, _PUBLIC: None}
    for net in blocks:
        points.setdefault(net.network_address, None)
    out: list[_Peer] = []
    for address in points:
        holding = [n for n in blocks if address in n]
        if address == _METADATA:
            words = "the cloud metadata address 169.254.169.254"
        elif holding:
            smallest = max(holding, key=lambda n: n.prefixlen)
            words = (
                f"any address ({smallest})"
                if smallest.prefixlen == 0
                else f"addresses in {smallest}"
            )
        else:
            words = "any address (0.0.0.0/0)"
        if all(p.words != words for p in out):  # one probe per region named
            out.append(_Peer(words, address=address))
    return out


def _namespaces(indexes: Sequence[ObjectIndex]) -> list[str]:
    names: dict[str, None] = {}
    for index in indexes:
        for pod in index.pods:
            names.setdefault(pod.namespace, None)
        for ns in index.of_kind("Namespace"):
            names.setdefault(ns.ref.name, None)
        for pol in _netpol.policies(index):
            names.setdefault(pol.namespace, None)
    return sorted(names)


def _pod_ports(pod: PodView) -> list[_Port]:
    out = {_Port(cp.protocol, cp.port, cp.name or ""): None for cp in _netpol.container_ports(pod)}
    for rp in _netpol.ray_ports(pod):
        if not rp.random:
            for n in {rp.lo, rp.hi}:
                if not any(p.number == n and p.protocol == "TCP" for p in out):
                    out[_Port("TCP", n, rp.key)] = None
    return list(out)


def _named_ports(indexes: Sequence[ObjectIndex]) -> list[_Port]:
    """Every numeric port (and range end) a policy names, by protocol."""
    out: dict[_Port, None] = {}
    for index in indexes:
        for pol in _netpol.policies(index):
            for direction in (_netpol.INGRESS, _netpol.EGRESS):
                for _, rule in pol.rules(direction):
                    for entry in items(rule.get("ports")):
                        e = mapping(entry)
                        proto = str(e.get("protocol") or "TCP")
                        for value in (e.get("port"), e.get("endPort")):
                            n = as_int(value)
                            if n is not None:
                                out.setdefault(_Port(proto, n), None)
    return sorted(out, key=lambda p: (p.protocol, p.number))


def _unnamed_port(named: Iterable[_Port]) -> _Port:
    """A TCP port no policy and no pod names: "any other port"."""
    used = {p.number for p in named}
    return _Port("TCP", next(n for n in range(1, 65536) if n not in used), _ANY_OTHER_PORT)


def _reachability(env: str, old: ObjectIndex, new: ObjectIndex) -> Iterator[Change]:
    base, head = _Side(old, new), _Side(new, old)
    both = (old, new)
    pods = [
        _Peer(f"pods of {name}", head.pods[name].namespace, pod=name) for name in sorted(head.pods)
    ]
    peers = [*pods, *(_Peer(f"any other pod in namespace {ns}", ns) for ns in _namespaces(both))]
    peers.append(_Peer("pods of any other namespace", _OTHER_NS))
    peers.extend(_address_peers(_blocks(both)))
    named = _named_ports(both)
    listens = {p.pod: _pod_ports(head.pods[p.pod]) for p in pods if p.pod}
    other = _unnamed_port([*named, *(q for ps in listens.values() for q in ps)])
    ports: dict[tuple[_Peer, _Peer, bool], list[str]] = {}
    causes: dict[tuple[_Peer, _Peer, bool], tuple[K8sObject, FieldPath]] = {}
    for src in peers:
        for dst in peers:
            if src == dst or (src.namespace is None and dst.namespace is None):
                continue
            if src.address == _METADATA:  # the metadata service calls no one
                continue
            # A narrowing only counts between pods both sides run (a deleted pod reaches
            # nothing, which is not news).
            in_both = all(p.pod is None or p.pod in base.own for p in (src, dst))
            for port in [*(listens[dst.pod] if dst.pod else named), other]:
                now, before = _reach(head, src, dst, port), _reach(base, src, dst, port)
                if now.reaches == before.reaches or (not now.reaches and not in_both):
                    continue
                key = (src, dst, now.reaches)
                ports.setdefault(key, []).append(str(port))
                cause = _cause(head, before, now, src, dst) if now.reaches else None
                if cause is not None:
                    causes.setdefault(key, cause)
    for (src, dst, widened), listed in ports.items():
        verb = "can now reach" if widened else "can no longer reach"
        at = causes.get((src, dst, widened))
        yield Change(
            env,
            "reachability",
            f"{src.words} {verb} {dst.words} on {_listed(listed)}",
            widened,
            at[0] if at else None,
            at[1] if at else (),
        )


@dataclass(frozen=True, slots=True)
class _Verdict:
    """src's egress and dst's ingress on one side, with the rules that allow them."""

    out: bool
    into: bool
    out_rule: tuple[K8sObject, FieldPath] | None
    in_rule: tuple[K8sObject, FieldPath] | None

    @property
    def reaches(self) -> bool:
        return self.out and self.into


def _reach(side: _Side, src: _Peer, dst: _Peer, port: _Port) -> _Verdict:
    """Whether src reaches dst on port: src's egress and dst's ingress both allow it."""
    out, out_rule = side.allows(_netpol.EGRESS, src, dst, port)
    into, in_rule = side.allows(_netpol.INGRESS, dst, src, port)
    return _Verdict(out, into, out_rule, in_rule)


def _cause(
    head: _Side, before: _Verdict, now: _Verdict, src: _Peer, dst: _Peer
) -> tuple[K8sObject, FieldPath] | None:
    """The head's reason for a widening.

    The rule of the direction the base refused, or, when no policy restricts that
    direction any more, the template of that pod.
    """
    if not before.out:
        return now.out_rule or _template(head, src)
    return now.in_rule or _template(head, dst)


def _template(side: _Side, *peers: _Peer) -> tuple[K8sObject, FieldPath] | None:
    """Where a widening no rule grants is shown: the template of the pod, source first."""
    for peer in peers:
        if peer.pod is not None and peer.pod in side.own:
            pod = side.pods[peer.pod]
            return pod.owner, pod.path
        ns = side.index.get("Namespace", peer.namespace) if peer.namespace else None
        if ns is not None:  # a probe pod of a namespace: the namespace itself
            return ns, ()
    return None


# --------------------------------------------------------------------------- rbac


@dataclass(frozen=True, slots=True)
class _Grant:
    """One verb on one resource for one subject, where: `scope` "" is cluster-wide."""

    subject: str
    scope: str
    group: str
    resource: str
    verb: str
    names: frozenset[str]  # empty: every object

    def within(self, other: _Grant) -> bool:
        """Whether `other` (same subject) grants at least this."""
        return (
            other.scope in ("", self.scope)
            and other.group in ("*", self.group)
            and other.resource in ("*", self.resource)
            and other.verb in ("*", self.verb)
            and (not other.names or (bool(self.names) and self.names <= other.names))
        )

    def words(self, verbs: Sequence[str]) -> str:
        what = self.resource if self.group in ("", "*") else f"{self.resource}.{self.group}"
        if self.resource == "*" and self.group == "*":
            what = "every resource"
        named = f" named {', '.join(sorted(self.names))}" if self.names else ""
        where = "cluster-wide" if not self.scope else f"in namespace {self.scope}"
        return f"{self.subject} can now {', '.join(verbs)} {what}{named} {where}"


def _subject(entry: Mapping[str, Any], binding_ns: str) -> str:
    kind = str(entry.get("kind", ""))
    name = str(entry.get("name", ""))
    if kind == "ServiceAccount":
        return f"ServiceAccount {entry.get('namespace') or binding_ns}/{name}"
    return f"{kind} {name}"


def _grants(index: ObjectIndex) -> Iterator[tuple[_Grant, K8sObject, FieldPath, K8sObject]]:
    """(grant, role, rule path, binding) for every binding's subjects, rule by rule."""
    for binding in index.of_kind("RoleBinding", "ClusterRoleBinding"):
        ref = mapping(binding.body.get("roleRef"))
        ns = binding.ref.namespace or "default"
        role = index.get(
            str(ref.get("kind", "")),
            str(ref.get("name", "")),
            ns if ref.get("kind") == "Role" else None,
        )
        if role is None:
            continue
        scope = "" if binding.ref.kind == "ClusterRoleBinding" else ns
        for subject in items(binding.body.get("subjects")):
            who = _subject(mapping(subject), ns)
            for j, rule in enumerate(items(role.body.get("rules"))):
                r = mapping(rule)
                names = frozenset(str(n) for n in items(r.get("resourceNames")))
                targets = [
                    (str(g), str(res))
                    for g in items(r.get("apiGroups"))
                    for res in items(r.get("resources"))
                ] + [("", f"URL {u}") for u in items(r.get("nonResourceURLs"))]
                for group, resource in targets:
                    for verb in items(r.get("verbs")):
                        grant = _Grant(who, scope, group, resource, str(verb), names)
                        yield grant, role, ("rules", j), binding


def _rbac(env: str, old: ObjectIndex, new: ObjectIndex) -> Iterator[Change]:
    base = [g for g, *_ in _grants(old)]
    head = list(_grants(new))
    yield from _rbac_changes(env, head, base, widened=True)
    yield from _rbac_changes(env, list(_grants(old)), [g for g, *_ in head], widened=False)


def _rbac_changes(
    env: str,
    grants: Sequence[tuple[_Grant, K8sObject, FieldPath, K8sObject]],
    against: Sequence[_Grant],
    widened: bool,
) -> Iterator[Change]:
    by_subject: dict[str, list[_Grant]] = {}
    for g in against:
        by_subject.setdefault(g.subject, []).append(g)
    verbs: dict[tuple[_Grant, int], list[str]] = {}
    at: dict[tuple[_Grant, int], tuple[K8sObject, FieldPath]] = {}
    for grant, role, path, _ in grants:
        if any(grant.within(o) for o in by_subject.get(grant.subject, ())):
            continue
        key = (_Grant(grant.subject, grant.scope, grant.group, grant.resource, "", grant.names), 0)
        if grant.verb not in verbs.setdefault(key, []):
            verbs[key].append(grant.verb)
        at.setdefault(key, (role, path))
    for (grant, _), listed in verbs.items():
        text = grant.words(listed)
        obj, field = at[(grant, 0)]
        yield Change(
            env,
            "rbac",
            text if widened else text.replace(" can now ", " can no longer "),
            widened,
            obj if widened else None,
            field if widened else (),
        )


# --------------------------------------------------------------------------- exposure


def _auth(index: ObjectIndex) -> dict[str, bool]:
    """Each Ray cluster's real token auth.

    `authOptions.mode: token` that no Ray container's `RAY_AUTH_MODE` env entry overrides
    (KubeRay keeps an existing entry: `exposure-ray-auth-env`).
    """
    out = {c.label: c.token_auth for c in ray_clusters(index)}
    for pod in index.ray_pods():
        cluster = cluster_of(pod)
        if cluster is None:
            continue
        ray = list(pod.containers())[RAY_CONTAINER_INDEX : RAY_CONTAINER_INDEX + 1]
        for _, container in ray:
            for entry in items(container.get("env")):
                env = mapping(entry)
                if env.get("name") == AUTH_MODE_VAR and (
                    "valueFrom" in env or str(env.get("value", "")) != TOKEN
                ):
                    out[cluster.label] = False
    return out


def _auth_words(on: bool | None) -> str:
    return "Ray token auth on" if on else "no Ray token auth"


def _exposure(env: str, old: ObjectIndex, new: ObjectIndex) -> Iterator[Change]:
    old_auth, new_auth = _auth(old), _auth(new)

    def paths(index: ObjectIndex, auth: Mapping[str, bool]) -> dict[str, tuple[bool, Any]]:
        return {
            f"{p.text}": (auth.get(p.cluster.label, False) if p.cluster else False, p)
            for p in exposures(index)
        }

    before, now = paths(old, old_auth), paths(new, new_auth)
    for text, (on, path) in now.items():
        was = before.get(text)
        if was is None or (was[0] and not on):
            change = "now" if was is None else "now, auth turned off:"
            yield Change(
                env, "exposure", f"{change} {text} ({_auth_words(on)})", True, path.obj, path.field
            )
    for text, (on, _) in before.items():
        if text not in now:
            yield Change(env, "exposure", f"no longer: {text} ({_auth_words(on)})", False)
    clusters = {c.label: c for c in ray_clusters(new)}
    for label, on in new_auth.items():
        if old_auth.get(label) and not on:
            c = clusters[label]
            yield Change(
                env,
                "exposure",
                f"{label} runs without Ray token auth (it had it)",
                True,
                c.owner,
                (*c.path, "authOptions"),
            )


# --------------------------------------------------------------------------- pod security


def _levels(index: ObjectIndex) -> dict[str, tuple[str, K8sObject]]:
    return {
        ns.ref.name: (str(ns.labels.get(PSA_ENFORCE) or "privileged"), ns)
        for ns in index.of_kind("Namespace")
    }


def _rank(level: str) -> int:
    return PSA_LEVELS.index(level) if level in PSA_LEVELS else len(PSA_LEVELS)


def _weaknesses(index: ObjectIndex) -> dict[str, tuple[K8sObject, FieldPath]]:
    """What the pod hardening checks say of every pod, with their default options."""
    out: dict[str, tuple[K8sObject, FieldPath]] = {}
    for check_id in HARDENING_CHECKS:
        module = registry.REGISTRY[check_id]
        ctx = CheckContext(index, registry.spec(module).options)
        for issue in registry.function(module)(ctx):
            out.setdefault(issue.message, (issue.obj, issue.field))
    return out


def _pod_security(env: str, old: ObjectIndex, new: ObjectIndex) -> Iterator[Change]:
    before, now = _levels(old), _levels(new)
    for name, (level, ns) in now.items():
        was = before.get(name)
        if was is not None and _rank(level) > _rank(was[0]):
            yield Change(
                env,
                "pod-security",
                f"namespace {name} now enforces Pod Security {level} (was {was[0]})",
                True,
                ns,
                ("metadata", "labels", PSA_ENFORCE) if PSA_ENFORCE in ns.labels else ("metadata",),
            )
        elif was is not None and _rank(level) < _rank(was[0]):
            yield Change(
                env,
                "pod-security",
                f"namespace {name} now enforces Pod Security {level} (was {was[0]})",
                False,
            )
    weak_before, weak_now = _weaknesses(old), _weaknesses(new)
    for message, (obj, field) in weak_now.items():
        if message not in weak_before:
            yield Change(env, "pod-security", f"now: {message}", True, obj, field)
    for message in weak_before:
        if message not in weak_now:
            yield Change(env, "pod-security", f"no longer: {message}", False)


# --------------------------------------------------------------------------- project

# AppProject list fields: what widens when an entry is added (allow) or removed (deny).
_PROJECT_ALLOW = (
    "sourceRepos",
    "sourceNamespaces",
    "destinations",
    "clusterResourceWhitelist",
    "namespaceResourceWhitelist",
)
_PROJECT_DENY = ("clusterResourceBlacklist", "namespaceResourceBlacklist")


def _entry(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={value[k]}" for k in sorted(value))
    return str(value)


def _matches(pattern: str, value: str) -> bool:
    """An AppProject entry (glob) covers another: equal, or its glob matches it."""
    if pattern == value:
        return True
    pk, vk = pattern.split(", "), value.split(", ")
    if len(pk) != len(vk) or not all("=" in part for part in (*pk, *vk)):
        return fnmatch.fnmatchcase(value, pattern)
    return all(
        p.partition("=")[0] == v.partition("=")[0]
        and fnmatch.fnmatchcase(v.partition("=")[2], p.partition("=")[2])
        for p, v in zip(pk, vk, strict=True)
    )


def _project_entries(obj: K8sObject) -> dict[tuple[str, str], FieldPath]:
    out: dict[tuple[str, str], FieldPath] = {}
    for key in (*_PROJECT_ALLOW, *_PROJECT_DENY):
        for i, value in enumerate(items(obj.spec.get(key))):
            out.setdefault((key, _entry(value)), ("spec", key, i))
    for i, role in enumerate(items(obj.spec.get("roles"))):
        for j, rule in enumerate(items(mapping(role).get("policies"))):
            out.setdefault(("roles", str(rule)), ("spec", "roles", i, "policies", j))
    return out


def _project(env: str, old: ObjectIndex, new: ObjectIndex) -> Iterator[Change]:
    before = {(o.ref.namespace, o.ref.name): o for o in old.of_kind("AppProject")}
    for proj in new.of_kind("AppProject"):
        label = f"AppProject {proj.ref.namespace or 'default'}/{proj.ref.name}"
        now = _project_entries(proj)
        was_obj = before.get((proj.ref.namespace, proj.ref.name))
        was = _project_entries(was_obj) if was_obj is not None else {}
        for (key, value), field in now.items():
            if key in _PROJECT_DENY:
                continue
            if not any(k == key and _matches(v, value) for k, v in was):
                yield Change(env, "project", f"{label} now allows {key} {value}", True, proj, field)
        for key, value in was:
            if key in _PROJECT_DENY and (key, value) not in now:
                yield Change(
                    env,
                    "project",
                    f"{label} no longer denies {key} {value}",
                    True,
                    proj,
                    ("spec", key) if key in proj.spec else ("spec",),
                )
            elif key not in _PROJECT_DENY and not any(
                k == key and _matches(v, value) for k, v in now
            ):
                yield Change(env, "project", f"{label} no longer allows {key} {value}", False)
