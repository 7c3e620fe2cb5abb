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

import dataclasses
import fnmatch
import ipaddress
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kuberay_gitops import checks as registry
from kuberay_gitops.checks import _netpol
from kuberay_gitops.checks._api import CheckContext
from kuberay_gitops.checks._pod import cluster_of, items, mapping, ray_clusters
from kuberay_gitops.checks.exposure_ray_auth_env import AUTH_MODE_VAR, TOKEN
from kuberay_gitops.checks.exposure_ray_ports import exposures
from kuberay_gitops.findings import FieldPath
from kuberay_gitops.index import ObjectIndex
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
PSA_VERSION = "pod-security.kubernetes.io/enforce-version"
# Looser last; no label means the cluster default, which this repository does not set.
PSA_LEVELS = ("restricted", "baseline", "privileged")
_METADATA = ipaddress.ip_address("169.254.169.254")
_WORDS_LIMIT = 8  # peers listed per finding before "and N more"


@dataclass(frozen=True, slots=True)
class Change:
    """One difference of posture in an environment, in words.

    `widened`: the head grants it and the base did not (else the base granted it and the
    head no longer does); `obj`/`field`: the head object that grants a widening, or the
    template of the pod (the Namespace of a probe) a deleted policy no longer restricts;
    None when nothing in the head can be named.
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


# Built-in kinds without a namespace that a rendered target may hold (`kubectl
# api-resources --namespaced=false`); a custom resource's scope comes from its CRD.
_CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)


def cluster_scoped_kinds(objects: Iterable[K8sObject]) -> frozenset[str]:
    """Kinds that have no namespace: the built-in ones and every CRD of `scope: Cluster`."""
    custom = {
        str(mapping(o.spec.get("names")).get("kind", ""))
        for o in objects
        if o.ref.kind == "CustomResourceDefinition" and o.spec.get("scope") == "Cluster"
    }
    return _CLUSTER_SCOPED | frozenset(custom)


def placed(
    objects: Iterable[K8sObject], namespace: str, cluster_kinds: frozenset[str]
) -> list[K8sObject]:
    """The objects of a unit as Argo CD applies them.

    A namespaced object without a namespace lands in the Application's destination
    namespace, never in `default`.
    """
    out = []
    for o in objects:
        if o.ref.namespace or o.ref.kind in cluster_kinds or not namespace:
            out.append(o)
            continue
        meta = {**mapping(o.body.get("metadata")), "namespace": namespace}
        body = {**o.body, "metadata": meta}
        out.append(
            dataclasses.replace(o, ref=dataclasses.replace(o.ref, namespace=namespace), body=body)
        )
    return out


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
Ranges = tuple[tuple[int, int], ...]  # sorted, disjoint, inclusive port ranges
PROTOCOLS = ("TCP", "UDP", "SCTP")
_ALL: Ranges = (_netpol.ALL_PORTS,)
_OTHER_NS = "(another namespace)"
_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True, slots=True)
class _Peer:
    """A probe: a pod (by identity), a pod of a namespace with given labels, or addresses.

    `pod`: a real pod's identity (`_netpol.pod_name`); else `labels`/`ns_labels` make a
    probe pod in `namespace`; `namespace` None is an address range outside the cluster
    (`first`..`last`, uniform for every ipBlock of both sides).
    """

    words: str
    namespace: str | None = None
    pod: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    ns_labels: tuple[tuple[str, str], ...] = ()
    first: Address | None = None
    last: Address | None = None


def _normal(ranges: Iterable[tuple[int, int]]) -> Ranges:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(r for r in ranges if r[0] <= r[1]):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def _intersect(a: Ranges, b: Ranges) -> Ranges:
    return _normal(
        (max(x[0], y[0]), min(x[1], y[1])) for x in a for y in b if x[0] <= y[1] and y[0] <= x[1]
    )


def _subtract(a: Ranges, b: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    for start, hi in a:
        lo = start
        for blo, bhi in b:
            if bhi < lo or blo > hi:
                continue
            if blo > lo:
                out.append((lo, blo - 1))
            lo = max(lo, bhi + 1)
        if lo <= hi:
            out.append((lo, hi))
    return _normal(out)


def _ports_words(protocol: str, ranges: Ranges, names: Mapping[int, str]) -> str:
    if ranges == _ALL:
        return f"every {protocol} port"
    parts = []
    for lo, hi in ranges:
        named = f" ({names[lo]})" if lo == hi and lo in names else ""
        parts.append(f"{lo}{named}" if lo == hi else f"{lo}-{hi}")
    return f"{protocol} {', '.join(parts)}"


class _Side:
    """One side's policies, pods and namespace labels.

    A pod only the other side has stands in as a label-less pod of its namespace (what a
    new workload gets from the old policies is what any new pod there would get), with its
    container ports for resolving named ports.
    """

    def __init__(self, index: ObjectIndex, other: ObjectIndex) -> None:
        self.index = index
        self.policies = _netpol.policies(index)
        self.own = {_netpol.pod_name(p): p for p in index.pods}
        self.stand_ins = {_netpol.pod_name(p): p for p in other.pods}
        self._endpoints: dict[_Peer, _netpol.Endpoint | None] = {}

    def endpoint(self, peer: _Peer) -> _netpol.Endpoint | None:
        if peer not in self._endpoints:
            self._endpoints[peer] = self._endpoint(peer)
        return self._endpoints[peer]

    def _endpoint(self, peer: _Peer) -> _netpol.Endpoint | None:
        if peer.namespace is None:
            return None
        if peer.pod is not None:
            pod = self.own.get(peer.pod)
            if pod is None:
                stand_in = self.stand_ins[peer.pod]
                return _netpol.Endpoint(
                    stand_in.namespace,
                    {},
                    self._ns_labels(stand_in.namespace, ()),
                    _netpol.container_ports(stand_in),
                )
            return _netpol.Endpoint(
                pod.namespace,
                pod.labels,
                self._ns_labels(pod.namespace, ()),
                _netpol.container_ports(pod),
            )
        return _netpol.Endpoint(
            peer.namespace, dict(peer.labels), self._ns_labels(peer.namespace, peer.ns_labels)
        )

    def _ns_labels(self, namespace: str, extra: tuple[tuple[str, str], ...]) -> Mapping[str, str]:
        if namespace == _OTHER_NS:
            return {_NAME_LABEL: _OTHER_NS}
        return {**self.index.namespace_labels(namespace), **dict(extra)}

    def allowed(
        self, direction: str, subject: _Peer, remote: _Peer, protocol: str
    ) -> tuple[Ranges, list[tuple[Ranges, K8sObject, FieldPath]]]:
        """The ports `subject`'s policies let `remote` use in `direction`, and by which rule.

        Everything when no policy restricts `subject` in that direction (or it is an
        address outside, which no NetworkPolicy of ours governs).
        """
        me = self.endpoint(subject)
        if me is None:
            return _ALL, []
        pols = _netpol.restricting(self.policies, me.labels, me.namespace, direction)
        if not pols:
            return _ALL, []
        them = self.endpoint(remote)
        dest = me if direction == _netpol.INGRESS else them
        dest_ports = dest.ports if dest is not None else ()
        rules: list[tuple[Ranges, K8sObject, FieldPath]] = []
        for pol in pols:
            for i, rule in pol.rules(direction):
                if _rule_admits(rule, direction, pol.namespace, remote, them):
                    ranges = _normal(_netpol.rule_intervals(rule, dest_ports, protocol))
                    if ranges:
                        rules.append((ranges, pol.obj, ("spec", pol.rules_key(direction), i)))
        return _normal(r for ranges, *_ in rules for r in ranges), rules

    def reach(self, src: _Peer, dst: _Peer, protocol: str) -> tuple[Ranges, Ranges, Ranges]:
        """(reachable ports, what src's egress allows, what dst's ingress allows)."""
        out, _ = self.allowed(_netpol.EGRESS, src, dst, protocol)
        into, _ = self.allowed(_netpol.INGRESS, dst, src, protocol)
        return _intersect(out, into), out, into


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
    return any(_block_holds(mapping(p).get("ipBlock"), remote.first) for p in items(peers))


def _block_holds(block: Any, address: Address | None) -> bool:
    if not isinstance(block, Mapping) or address is None:
        return False
    net = _network(block.get("cidr"))
    if net is None or address.version != net.version or address not in net:
        return False
    return not any(
        address in n
        for n in map(_network, items(block.get("except")))
        if n and n.version == address.version
    )


def _network(value: Any) -> Network | None:
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return None


def _rule_peers(indexes: Iterable[ObjectIndex]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(policy namespace, peer) of every `from`/`to` entry of every policy of both sides."""
    for index in indexes:
        for pol in _netpol.policies(index):
            for direction in (_netpol.INGRESS, _netpol.EGRESS):
                for _, rule in pol.rules(direction):
                    key = "from" if direction == _netpol.INGRESS else "to"
                    for peer in items(rule.get(key)):
                        yield pol.namespace, mapping(peer)


def _address_peers(indexes: Sequence[ObjectIndex]) -> list[_Peer]:
    """The address space cut at every ipBlock boundary of both sides and the metadata address.

    Inside one range every ipBlock holds alike, so its first address decides for it all.
    """
    cuts: dict[int, set[int]] = {4: {0, 2**32}, 6: set()}
    metadata = ipaddress.ip_network(f"{_METADATA}/32")
    nets: list[Network] = [metadata]
    for _, peer in _rule_peers(indexes):
        block = mapping(peer.get("ipBlock"))
        for value in (block.get("cidr"), *items(block.get("except"))):
            net = _network(value)
            if net is not None:
                nets.append(net)
    for net in nets:
        if net.version == 6 and not cuts[6]:
            cuts[6] = {0, 2**128}
        cuts[net.version] |= {int(net.network_address), int(net.broadcast_address) + 1}
    out: list[_Peer] = []
    for version, points in cuts.items():
        bounds = sorted(points)
        for lo, hi in itertools.pairwise(bounds):
            first = ipaddress.ip_address(lo) if version == 4 else ipaddress.IPv6Address(lo)
            last = ipaddress.ip_address(hi - 1) if version == 4 else ipaddress.IPv6Address(hi - 1)
            out.append(_Peer(_range_words(first, last), first=first, last=last))
    return out


def _range_words(first: Address, last: Address) -> str:
    if first == last == _METADATA:
        return f"the cloud metadata address {_METADATA}"
    nets: list[Network] = list(ipaddress.summarize_address_range(first, last))
    if len(nets) == 1 and nets[0].prefixlen == 0:
        return f"any address ({nets[0]})"
    shown = ", ".join(str(n) for n in nets[:3])
    more = f" and {len(nets) - 3} more blocks" if len(nets) > 3 else ""
    return f"addresses in {shown}{more}"


def _satisfying(selector: Any) -> tuple[tuple[str, str], ...] | None:
    """Labels that a LabelSelector matches (None: it cannot be satisfied simply)."""
    sel = mapping(selector)
    labels = {str(k): str(v) for k, v in mapping(sel.get("matchLabels")).items()}
    for expr in items(sel.get("matchExpressions")):
        e = mapping(expr)
        key, op, values = str(e.get("key")), e.get("operator"), items(e.get("values"))
        if op == "In" and values:
            labels.setdefault(key, str(values[0]))
        elif op == "Exists":
            labels.setdefault(key, "any")
    return tuple(sorted(labels.items()))


def _selector_peers(indexes: Sequence[ObjectIndex]) -> list[_Peer]:
    """A probe pod for every peer of every policy.

    The pods and namespaces a peer selects may not be in the rendered output (kube-system,
    another team's namespace): a pod with the labels it asks for stands for them.
    """
    out: dict[_Peer, None] = {}
    for policy_ns, peer in _rule_peers(indexes):
        if "ipBlock" in peer:
            continue
        pod_labels = _satisfying(peer.get("podSelector")) or ()
        if "namespaceSelector" in peer:
            ns_labels = _satisfying(peer.get("namespaceSelector")) or ()
            named = dict(ns_labels).get(_NAME_LABEL)
            namespace = (
                named
                or "(a namespace labelled " + ", ".join(f"{k}={v}" for k, v in ns_labels) + ")"
            )
            if not ns_labels:
                namespace = _OTHER_NS
        else:
            ns_labels, namespace = (), policy_ns
        who = ", ".join(f"{k}={v}" for k, v in pod_labels)
        words = (
            f"pods labelled {who} in namespace {namespace}"
            if who
            else (
                f"any pod in namespace {namespace}"
                if namespace != _OTHER_NS
                else "pods of any other namespace"
            )
        )
        out.setdefault(_Peer(words, namespace, labels=pod_labels, ns_labels=ns_labels), None)
    return list(out)


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


def _peers(head: _Side, both: Sequence[ObjectIndex]) -> list[_Peer]:
    pods = [
        _Peer(f"pods of {name}", pod.namespace, pod=name) for name, pod in sorted(head.own.items())
    ]
    probes = {_Peer(f"any other pod in namespace {ns}", ns): None for ns in _namespaces(both)}
    probes[_Peer("pods of any other namespace", _OTHER_NS)] = None
    known = set(_namespaces(both))
    for probe in _selector_peers(both):
        # A selector some rendered pod of a rendered namespace answers adds nothing: a new
        # pod with those labels is a stand-in already. Others stand for pods not rendered.
        if probe.namespace in known and any(
            p.namespace == probe.namespace and set(probe.labels) <= set(p.labels.items())
            for index in both
            for p in index.pods
        ):
            continue
        probes.setdefault(probe, None)
    return [*pods, *probes, *_address_peers(both)]


def _reachability(env: str, old: ObjectIndex, new: ObjectIndex) -> Iterator[Change]:
    base, head = _Side(old, new), _Side(new, old)
    peers = _peers(head, (old, new))
    found: dict[tuple[_Peer, _Peer, bool], list[str]] = {}
    causes: dict[tuple[_Peer, _Peer, bool], tuple[K8sObject, FieldPath]] = {}
    for src in peers:
        for dst in peers:
            if src == dst or (src.namespace is None and dst.namespace is None):
                continue
            if src.first == _METADATA:  # the metadata service calls no one
                continue
            names = _port_names(head, dst)
            # A narrowing counts only between pods both sides run.
            in_both = all(p.pod is None or p.pod in base.own for p in (src, dst))
            for protocol in PROTOCOLS:
                now, now_out, _ = head.reach(src, dst, protocol)
                before, before_out, _ = base.reach(src, dst, protocol)
                wider = _subtract(now, before)
                if wider:
                    key = (src, dst, True)
                    found.setdefault(key, []).append(_ports_words(protocol, wider, names))
                    if key not in causes:
                        cause = _cause(head, src, dst, protocol, wider, now_out, before_out)
                        if cause is not None:
                            causes[key] = cause
                narrower = _subtract(before, now) if in_both else ()
                if narrower:
                    found.setdefault((src, dst, False), []).append(
                        _ports_words(protocol, narrower, names)
                    )
    rows = {key: "; ".join(listed) for key, listed in found.items()}
    for (src_words, dst_words, widened, ports), at in _merged(rows, causes).items():
        verb = "can now reach" if widened else "can no longer reach"
        yield Change(
            env,
            "reachability",
            f"{src_words} {verb} {dst_words} on {ports}",
            widened,
            at[0] if at else None,
            at[1] if at else (),
        )


def _merged(
    rows: Mapping[tuple[_Peer, _Peer, bool], str],
    causes: Mapping[tuple[_Peer, _Peer, bool], tuple[K8sObject, FieldPath]],
) -> dict[tuple[str, str, bool, str], tuple[K8sObject, FieldPath] | None]:
    """One row per peer pair, address ranges with the same result joined into one."""
    spans: dict[tuple[_Peer | None, _Peer | None, bool, str], list[_Peer]] = {}
    out: dict[tuple[str, str, bool, str], tuple[K8sObject, FieldPath] | None] = {}
    for (src, dst, widened), ports in rows.items():
        cause = causes.get((src, dst, widened))
        if src.namespace is None:
            spans.setdefault((None, dst, widened, ports), []).append(src)
        elif dst.namespace is None:
            spans.setdefault((src, None, widened, ports), []).append(dst)
        else:
            out.setdefault((src.words, dst.words, widened, ports), cause)
    for (inner, outer, widened, ports), ranges in spans.items():
        words = _addresses_words(ranges)
        found = next(
            (causes[k] for r in ranges if (k := (inner or r, outer or r, widened)) in causes),
            None,
        )
        key = (words if inner is None else inner.words, words if outer is None else outer.words)
        out.setdefault((*key, widened, ports), found)
    return out


def _addresses_words(ranges: Sequence[_Peer]) -> str:
    """Address ranges in words: `any address (0.0.0.0/0)`, `any address except ...`."""
    parts: list[str] = []
    for version, space in (
        (4, ipaddress.ip_network("0.0.0.0/0")),
        (6, ipaddress.ip_network("::/0")),
    ):
        spans = _normal(
            (int(p.first), int(p.last))
            for p in ranges
            if p.first is not None and p.last is not None and p.first.version == version
        )
        if not spans:
            continue
        whole = ((int(space.network_address), int(space.broadcast_address)),)
        if spans == whole:
            parts.append(f"any address ({space})")
            continue
        enclosing = _enclosing(spans, version)
        inside = _cidrs(spans, version)
        holes = _cidrs(
            _subtract(((int(enclosing.network_address), int(enclosing.broadcast_address)),), spans),
            version,
        )
        where = "any address" if enclosing.prefixlen == 0 else f"addresses in {enclosing}"
        if not holes:
            parts.append(f"{where}")
        elif len(holes) < len(inside):
            parts.append(f"{where} except {_listed([str(n) for n in holes])}")
        elif [str(n) for n in inside] == [f"{_METADATA}/32"]:
            parts.append(f"the cloud metadata address {_METADATA}")
        else:
            parts.append(f"addresses in {_listed([str(n) for n in inside])}")
    return " and ".join(parts)


def _enclosing(spans: Ranges, version: int) -> Network:
    """The smallest CIDR block holding every span."""
    make = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    bits = 32 if version == 4 else 128
    lo, hi = spans[0][0], spans[-1][1]
    for prefix in range(bits, 0, -1):
        net: Network = make((lo >> (bits - prefix) << (bits - prefix), prefix))
        if int(net.broadcast_address) >= hi:
            return net
    return make((0, 0))


def _cidrs(spans: Ranges, version: int) -> list[Network]:
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    out: list[Network] = []
    for lo, hi in spans:
        out.extend(ipaddress.summarize_address_range(make(lo), make(hi)))
    return out


def _port_names(side: _Side, dst: _Peer) -> dict[int, str]:
    pod = side.own.get(dst.pod) if dst.pod else None
    return {cp.port: cp.name for cp in _netpol.container_ports(pod) if cp.name} if pod else {}


def _cause(
    head: _Side,
    src: _Peer,
    dst: _Peer,
    protocol: str,
    wider: Ranges,
    now_out: Ranges,
    before_out: Ranges,
) -> tuple[K8sObject, FieldPath] | None:
    """The head's reason for a widening.

    The rule of the direction that now lets more through (egress first) whose ports meet
    the widening; when no policy restricts that direction any more, the template of the
    pod (or the Namespace of a probe) concerned.
    """
    if _intersect(_subtract(now_out, before_out), wider):
        direction, subject, remote = _netpol.EGRESS, src, dst
    else:
        direction, subject, remote = _netpol.INGRESS, dst, src
    _, rules = head.allowed(direction, subject, remote, protocol)
    for ranges, obj, field in rules:
        if _intersect(ranges, wider):
            return obj, field
    return _template(head, subject)


def _template(side: _Side, peer: _Peer) -> tuple[K8sObject, FieldPath] | None:
    """Where a widening no rule grants is shown: the pod's template, or its Namespace."""
    pod = side.own.get(peer.pod) if peer.pod else None
    if pod is not None:
        return pod.owner, pod.path
    ns = side.index.get("Namespace", peer.namespace) if peer.namespace else None
    return (ns, ()) if ns is not None else None


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
            and (
                other.resource in ("*", self.resource)
                or (other.resource.endswith("/*") and self.resource.startswith(other.resource[:-1]))
            )
            and other.verb in ("*", self.verb)
            and (not other.names or (bool(self.names) and self.names <= other.names))
        )

    def words(self, verbs: Sequence[str]) -> str:
        where = "cluster-wide" if not self.scope else f"in namespace {self.scope}"
        if self.verb == "is" or verbs == ["is"]:
            return f"{self.subject} is now {self.resource} {where}"
        what = self.resource if self.group in ("", "*") else f"{self.resource}.{self.group}"
        if self.resource == "*" and self.group == "*":
            what = "every resource"
        named = f" named {', '.join(sorted(self.names))}" if self.names else ""
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
        scope = "" if binding.ref.kind == "ClusterRoleBinding" else ns
        for i, subject in enumerate(items(binding.body.get("subjects"))):
            who = _subject(mapping(subject), ns)
            if role is None or role.body.get("aggregationRule") is not None:
                # Rules not in the repository (a built-in or aggregated role): the binding
                # itself is the grant, whatever the role holds.
                what = (
                    f"{ref.get('kind', 'role')} {ref.get('name', '')} (rules not in the repository)"
                )
                grant = _Grant(who, scope, "", f"bound to {what}", "is", frozenset())
                yield grant, binding, ("subjects", i), binding
                continue
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


_AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-"


def _aggregations(index: ObjectIndex) -> Iterator[tuple[_Grant, K8sObject, FieldPath, K8sObject]]:
    """A ClusterRole labelled aggregate-to-<role> adds its rules to every holder of <role>."""
    for role in index.of_kind("ClusterRole"):
        for label, value in role.labels.items():
            if str(label).startswith(_AGGREGATE) and str(value) == "true":
                target = str(label)[len(_AGGREGATE) :]
                who = f"every holder of ClusterRole {target}"
                what = f"given the rules of ClusterRole {role.ref.name} (aggregation)"
                grant = _Grant(who, "", "", what, "is", frozenset())
                yield grant, role, ("metadata", "labels", str(label)), role


def _rbac(env: str, old: ObjectIndex, new: ObjectIndex) -> Iterator[Change]:
    base = [g for g, *_ in (*_grants(old), *_aggregations(old))]
    head = [*_grants(new), *_aggregations(new)]
    yield from _rbac_changes(env, head, base, widened=True)
    yield from _rbac_changes(
        env, [*_grants(old), *_aggregations(old)], [g for g, *_ in head], widened=False
    )


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
        if not widened:
            text = text.replace(" can now ", " can no longer ").replace(
                " is now ", " is no longer "
            )
        yield Change(
            env,
            "rbac",
            text,
            widened,
            obj if widened else None,
            field if widened else (),
        )


# --------------------------------------------------------------------------- exposure


def _auth(index: ObjectIndex) -> tuple[dict[str, bool], dict[str, tuple[K8sObject, FieldPath]]]:
    """Each Ray cluster's real token auth, and where an env entry turns it off.

    `authOptions.mode: token` that no Ray container's `RAY_AUTH_MODE` env entry overrides
    (KubeRay keeps an existing entry: `exposure-ray-auth-env`).
    """
    on = {c.label: c.token_auth for c in ray_clusters(index)}
    off_at: dict[str, tuple[K8sObject, FieldPath]] = {}
    for pod in index.ray_pods():
        cluster = cluster_of(pod)
        if cluster is None:
            continue
        ray = list(pod.containers())[RAY_CONTAINER_INDEX : RAY_CONTAINER_INDEX + 1]
        for path, container in ray:
            for j, entry in enumerate(items(container.get("env"))):
                env = mapping(entry)
                if env.get("name") == AUTH_MODE_VAR and (
                    "valueFrom" in env or str(env.get("value", "")) != TOKEN
                ):
                    on[cluster.label] = False
                    off_at.setdefault(cluster.label, (pod.owner, (*path, "env", j)))
    return on, off_at


def _auth_words(on: bool | None) -> str:
    return "Ray token auth on" if on else "no Ray token auth"


def _exposure(env: str, old: ObjectIndex, new: ObjectIndex) -> Iterator[Change]:
    (old_auth, _), (new_auth, off_at) = _auth(old), _auth(new)

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
            obj, field = off_at.get(label, (c.owner, (*c.path, "authOptions")))
            yield Change(
                env,
                "exposure",
                f"{label} runs without Ray token auth (it had it)",
                True,
                obj,
                field,
            )


# --------------------------------------------------------------------------- pod security


_UNSET = "privileged (no enforce label: the cluster default)"


def _levels(index: ObjectIndex) -> dict[str, tuple[str, K8sObject]]:
    return {
        ns.ref.name: (str(ns.labels.get(PSA_ENFORCE) or _UNSET), ns)
        for ns in index.of_kind("Namespace")
    }


def _version(value: str) -> tuple[int, ...]:
    """`v1.30` → (1, 30); `latest` (and anything unreadable) ranks above every version."""
    parts = value.removeprefix("v").split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else (10**6,)


def _rank(level: str) -> int:
    """Rank of a level: restricted 0, baseline 1; privileged, unset or unknown 2."""
    return PSA_LEVELS.index(level) if level in PSA_LEVELS[:2] else len(PSA_LEVELS) - 1


def _weaknesses(index: ObjectIndex) -> dict[str, tuple[K8sObject, FieldPath]]:
    """What the pod hardening checks say of every pod (default options), by object and words.

    The message names the container, the object names the pod: one weakness of a new
    Deployment is new even when an old one has a container of the same name.
    """
    out: dict[str, tuple[K8sObject, FieldPath]] = {}
    for check_id in HARDENING_CHECKS:
        module = registry.REGISTRY[check_id]
        ctx = CheckContext(index, registry.spec(module).options)
        for issue in registry.function(module)(ctx):
            out.setdefault(f"{issue.obj.ref}: {issue.message}", (issue.obj, issue.field))
    return out


def _pod_security(env: str, old: ObjectIndex, new: ObjectIndex) -> Iterator[Change]:
    before, now = _levels(old), _levels(new)
    for name, (level, ns) in now.items():
        was = before.get(name)
        version, was_version = (
            str(ns.labels.get(PSA_VERSION) or "latest"),
            str(was[1].labels.get(PSA_VERSION) or "latest") if was is not None else "latest",
        )
        if was is not None and _version(version) < _version(was_version):
            yield Change(
                env,
                "pod-security",
                f"namespace {name} now enforces the Pod Security rules of {version} (was "
                f"{was_version}): an older version checks less",
                True,
                ns,
                ("metadata", "labels", PSA_VERSION),
            )
        if was is None and _rank(level) == len(PSA_LEVELS) - 1 and old.objects:
            yield Change(
                env,
                "pod-security",
                f"new namespace {name} enforces Pod Security {level}",
                True,
                ns,
                ("metadata", "labels", PSA_ENFORCE) if PSA_ENFORCE in ns.labels else ("metadata",),
            )
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
    "destinationServiceAccounts",
)
_PROJECT_DENY = ("clusterResourceBlacklist", "namespaceResourceBlacklist", "signatureKeys")
# Argo CD: an absent namespaceResourceWhitelist allows every namespaced kind.
_EVERY_KIND = "group=*, kind=*"


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


def _negated(value: str) -> bool:
    """`!repo` in sourceRepos, `namespace=!ns` in destinations: an exclusion."""
    return value.startswith("!") or "=!" in value


def _project_entries(obj: K8sObject) -> dict[tuple[str, str], tuple[FieldPath, bool]]:
    """(field, value) → (where, whether it denies) of every breadth entry of a project."""
    out: dict[tuple[str, str], tuple[FieldPath, bool]] = {}
    for key in (*_PROJECT_ALLOW, *_PROJECT_DENY):
        for i, value in enumerate(items(obj.spec.get(key))):
            text = _entry(value)
            deny = key in _PROJECT_DENY or _negated(text)
            out.setdefault((key, text), (("spec", key, i), deny))
    if "namespaceResourceWhitelist" not in obj.spec:
        out[("namespaceResourceWhitelist", _EVERY_KIND)] = (("spec",), False)
    for i, role in enumerate(items(obj.spec.get("roles"))):
        r = mapping(role)
        name = str(r.get("name", i))
        for j, rule in enumerate(items(r.get("policies"))):
            text = ", ".join(part.strip() for part in str(rule).split(","))
            deny = text.endswith(", deny")
            out.setdefault(
                (f"role {name} policy", text), (("spec", "roles", i, "policies", j), deny)
            )
        for j, group in enumerate(items(r.get("groups"))):
            out.setdefault(
                (f"role {name} group", str(group)), (("spec", "roles", i, "groups", j), False)
            )
        for j, token in enumerate(items(r.get("jwtTokens"))):
            text = f"iat={mapping(token).get('iat', '')}"
            out.setdefault(
                (f"role {name} token", text), (("spec", "roles", i, "jwtTokens", j), False)
            )
    return out


def _project(env: str, old: ObjectIndex, new: ObjectIndex) -> Iterator[Change]:
    before = {(o.ref.namespace, o.ref.name): o for o in old.of_kind("AppProject")}
    for proj in new.of_kind("AppProject"):
        label = f"AppProject {proj.ref.namespace or 'default'}/{proj.ref.name}"
        now = _project_entries(proj)
        was_obj = before.get((proj.ref.namespace, proj.ref.name))
        was = _project_entries(was_obj) if was_obj is not None else {}
        allowed_before = [(k, v) for (k, v), (_, deny) in was.items() if not deny]
        allowed_now = [(k, v) for (k, v), (_, deny) in now.items() if not deny]
        for (key, value), (field, deny) in now.items():
            if not deny and not any(k == key and _matches(v, value) for k, v in allowed_before):
                yield Change(env, "project", f"{label} now allows {key} {value}", True, proj, field)
        for (key, value), (_, deny) in was.items():
            if deny and (key, value) not in now:
                yield Change(
                    env,
                    "project",
                    f"{label} no longer denies {key} {value}",
                    True,
                    proj,
                    ("spec", key) if key in proj.spec else ("spec",),
                )
            elif not deny and not any(k == key and _matches(v, value) for k, v in allowed_now):
                yield Change(env, "project", f"{label} no longer allows {key} {value}", False)
