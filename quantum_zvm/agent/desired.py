"""The desired state: xCAT ``switch`` rows of this zHCP joined with ``zvm``
rows, ports bound to this host through the API, and the plugin's details.

Everything from xCAT tables and the plugin is untrusted: a row or a port
whose values are not valid z/VM names is *rejected* with a reason (reported
ERROR when its port id is a real port id, logged otherwise) and never
reaches a command.  Pure functions; the daemon does the I/O.
"""
from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from immutables import MapMutation

from quantum_zvm.agent.by_guest import NIC_USERID, USERID, ByGuest
from quantum_zvm.agent.model import Binding, DesiredPort, DesiredState, SwitchRow, VswitchSpec
from quantum_zvm.agent.persistent import as_map, maps_of, replaced
from quantum_zvm.common import constants
from quantum_zvm.rpc.errors import MalformedMessage
from xcat import zvm_names

# API-bound ports come after every switch row (and among themselves by port id: the
# planner orders ports by (order, port id))
API_ORDER = 1 << 30


def port_id(value: object) -> str | None:
    """The canonical form of a Quantum port id (a UUID), or None."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def details_by_port(reply: object, key: str, method: str
                    ) -> tuple[dict[str, Mapping[str, Any]], list[str]]:
    """The device details of an RPC reply (a list) by the port id in each item's ``key``,
    and the reasons items were left out (not an object, no port id).  A reply
    that is not a list raises :class:`MalformedMessage`."""
    if not isinstance(reply, list):
        raise MalformedMessage(f"{method} answered {type(reply).__name__}, not a list of "
                               f"device details")
    found: dict[str, Mapping[str, Any]] = {}
    problems: list[str] = []
    for item in reply:
        pid = port_id(item.get(key)) if isinstance(item, Mapping) else None
        if pid is None:
            problems.append(f"{method}: ignored an item without a port id in {key!r}: "
                            f"{item!r:.200}")
            continue
        found[pid] = item
    return found, problems


@dataclass(frozen=True)
class RowSet:
    """The valid switch rows of this zHCP, by port id.

    ``rejected`` maps port ids to reasons; ``invalid`` holds reasons for rows
    without a usable port id (only logged).  ``peer_rows`` are the valid rows
    handed to the zHCPs of the other members of this system's SSI cluster.
    """
    rows: Mapping[str, SwitchRow] = field(default_factory=dict)
    order: Mapping[str, int] = field(default_factory=dict)
    rejected: Mapping[str, str] = field(default_factory=dict)
    invalid: tuple[str, ...] = ()
    peer_rows: Mapping[str, SwitchRow] = field(default_factory=dict)  # of ``peers``
    next_order: int = 0   # the order a row added next gets (see rows_changed)

    def __post_init__(self) -> None:
        maps_of(self, "rows", "order", "rejected", "peer_rows")


def _disabled(value: str | None) -> bool:
    return value not in (None, "", "0") and str(value).lower() != "no"


def _column(raw: Any, name: str) -> Any:
    """A column of a table row given as a mapping or as an object with attributes."""
    return raw.get(name) if isinstance(raw, Mapping) else getattr(raw, name, None)


class Verdicts:
    """What a pure check said of each object, kept while the object is the same one:
    rows from :class:`xcat.tables.RowCache` and the plugin's details stay the same
    objects until they change, so each is checked once.  :meth:`start` begins a
    round; what the round did not ask about is forgotten at the next."""

    def __init__(self) -> None:
        self.previous: dict[int, tuple[Any, Any]] = {}
        self.current: dict[int, tuple[Any, Any]] = {}

    def start(self) -> Verdicts:
        self.previous, self.current = self.current, {}
        return self

    def of(self, thing: Any, check: Callable[[Any], Any]) -> Any:
        key = id(thing)
        kept = self.current.get(key) or self.previous.get(key)
        if kept is None or kept[0] is not thing:
            kept = (thing, check(thing))
        self.current[key] = kept
        return kept[1]

    def of_inputs(self, key: Any, inputs: tuple, compute: Callable[[], Any]) -> Any:
        """What ``compute()`` (a pure function of ``inputs``) gave ``key`` last time its
        inputs were equal to these (objects kept from the last build compare by
        identity first), else computed now."""
        kept = self.current.get(key) or self.previous.get(key)
        if kept is None or kept[0] != inputs:
            kept = (inputs, compute())
        self.current[key] = kept
        return kept[1]


def switch_rows(rows: Iterable[Any], zhcp_node: str, verdicts: Verdicts | None = None,
                peers: frozenset[str] = frozenset(), earlier: RowSet | None = None) -> RowSet:
    """Select and validate the ``switch`` rows handed to ``zhcp_node`` (and, as
    ``peer_rows``, to the zHCPs in ``peers``).

    ``rows`` are objects or mappings with the switch table's columns.  Rows
    of other zHCPs and disabled rows are skipped; a port listed twice is
    rejected in every row.  ``verdicts`` keeps each row's verdict by row object.
    ``order`` follows the table; with the ``earlier`` rows, a port keeps its
    order and new ports come after every earlier one, in table order (so which
    of two ports claiming one NIC is earlier never changes while both stay and the
    agent runs).
    """
    owners = frozenset({zhcp_node}) | peers
    peer_rows: dict[str, SwitchRow] = {}
    valid: dict[str, SwitchRow] = {}
    order: dict[str, int] = {}
    rejected: dict[str, str] = {}
    invalid: list[str] = []
    seen: dict[str, int] = {}
    verdicts = (verdicts or Verdicts()).start()
    for index, raw in enumerate(rows):
        kind, pid, value = verdicts.of(raw, lambda r: _row_verdict(r, owners))
        if kind == "skip":
            continue
        if kind == "invalid":
            invalid.append(f"switch row {index} {value}")
            continue
        seen[pid] = seen.get(pid, 0) + 1
        if seen[pid] > 1:
            rejected[pid] = (f"port {pid} appears in {seen[pid]} switch rows of "
                             f"{', '.join(sorted(owners))}")
            valid.pop(pid, None)
            peer_rows.pop(pid, None)
            continue
        if kind == "rejected":
            rejected[pid] = value
            continue
        if _column(raw, "comments") == zhcp_node:
            valid[pid] = value
        else:
            peer_rows[pid] = value
    if earlier is not None:
        order.update((pid, earlier.order[pid]) for pid in valid if pid in earlier.order)
    next_order = _number_new(order, valid, earlier.next_order if earlier is not None else 0)
    return RowSet(valid, order, rejected, tuple(invalid), peer_rows, next_order)


def _number_new(order: MutableMapping[str, int] | MapMutation[str, int], pids: Iterable[str],
                next_order: int) -> int:
    """Give the ``pids`` not in ``order`` the orders from ``next_order`` on, in turn;
    the order a port added next gets."""
    for pid in pids:
        if pid not in order:
            order[pid] = next_order
            next_order += 1
    return next_order


def rows_changed(earlier: RowSet, removed: Iterable[Any], added: Iterable[Any],
                 zhcp_node: str, peers: frozenset[str] = frozenset()) -> RowSet | None:
    """``earlier`` (the rows of the last dump) with the ``removed`` rows taken out and the
    ``added`` ones put in (in table order), judged as :func:`switch_rows` judges them
    with ``earlier``: what walking the whole new dump gives, at the cost of the rows
    that changed.  None when that cannot be said without the whole dump: a changed
    row without a usable port id, a changed port that was refused (it may be named
    by several rows), or one named by two rows now."""
    owners = frozenset({zhcp_node}) | peers
    gone = [_row_verdict(raw, owners) for raw in removed]
    new = [(raw, _row_verdict(raw, owners)) for raw in added]
    ports = _changed_ports(earlier, gone, [verdict for _, verdict in new])
    if ports is None:
        return None
    here: dict[str, SwitchRow] = {}
    elsewhere: dict[str, SwitchRow] = {}
    refused: dict[str, str] = {}
    for raw, (kind, new_pid, value) in new:
        if kind == "rejected":
            refused[str(new_pid)] = value
        elif kind == "valid":
            (here if _column(raw, "comments") == zhcp_node else elsewhere)[str(new_pid)] = value
    rows = replaced(earlier.rows, ports, here)
    rejected = replaced(earlier.rejected, ports, refused)
    peer_rows = replaced(earlier.peer_rows, ports, elsewhere)
    order = as_map(earlier.order).mutate()
    for pid in ports:
        if pid not in rows:
            order.pop(pid, None)
    next_order = _number_new(order, [str(pid) for _, (_, pid, _) in new if pid in rows],
                             earlier.next_order)  # the new rows in table order
    return RowSet(rows, order.finish(), rejected, earlier.invalid, peer_rows, next_order)


def _changed_ports(earlier: RowSet, gone: list[tuple[str, str | None, Any]],
                   new: list[tuple[str, str | None, Any]]) -> list[str] | None:
    """The ports of the changed rows, or None when :func:`rows_changed` cannot judge
    them alone."""
    if any(kind == "invalid" for kind, _, _ in [*gone, *new]):
        return None
    counts: dict[str, int] = {}
    for step, verdicts in ((-1, gone), (1, new)):
        for kind, pid, _ in verdicts:
            if kind != "skip":
                counts[str(pid)] = counts.get(str(pid), 0) + step
    for pid, count in counts.items():
        had = pid in earlier.rows or pid in earlier.peer_rows
        if pid in earlier.rejected or had + count not in (0, 1):
            return None  # a refused port (maybe in several rows), or one more row
    return list(counts)


def _row_verdict(raw: Any, owners: frozenset[str]) -> tuple[str, str | None, Any]:
    """(kind, port id, value) of one switch row: ("skip"), ("invalid", None, reason),
    ("rejected", pid, reason) or ("valid", pid, SwitchRow)."""
    if _column(raw, "comments") not in owners or _disabled(_column(raw, "disable")):
        return "skip", None, None
    pid = port_id(_column(raw, "port"))
    if pid is None:
        return "invalid", None, (f"(node {_column(raw, 'node')!r}): port "
                                 f"{_column(raw, 'port')!r} is not a port id")
    try:
        node = zvm_names.xcat_node(_column(raw, "node"), "node")
        vdev = zvm_names.nic_vdev(_column(raw, "interface"), "interface (vdev)")
    except ValueError as exc:
        return "rejected", pid, f"switch row of port {pid}: {exc}"
    return "valid", pid, SwitchRow(node, vdev, _column(raw, "switch"), _column(raw, "vlan"))


@dataclass(frozen=True)
class Nodes:
    """xCAT nodes: node → userid (every valid row) and, for this z/VM host, back;
    bad rows rejected.  ``hcps``: node → the ``hcp`` managing it; ``own_hcp`` is
    this zHCP's (None when its row names none: every node counts as this host's)."""
    userids: Mapping[str, str] = field(default_factory=dict)
    by_userid: Mapping[str, str] = field(default_factory=dict)
    bad: Mapping[str, str] = field(default_factory=dict)
    hcps: Mapping[str, str | None] = field(default_factory=dict)
    own_hcp: str | None = None

    def __post_init__(self) -> None:
        maps_of(self, "userids", "by_userid", "bad", "hcps")

    def elsewhere(self, node: str) -> str | None:
        """The hcp of a node managed through another zHCP than this one, else None."""
        hcp = self.hcps.get(node)
        return hcp if self.own_hcp is not None and hcp != self.own_hcp else None

    def hcps_of(self, zhcp_nodes: Iterable[str]) -> frozenset[str]:
        """The ``hcp`` values naming the given zHCP nodes in ``zvm.hcp`` (each zHCP's
        own row says; xCAT may hold a host name there rather than the node name)."""
        return frozenset(self.hcps.get(node) or node for node in zhcp_nodes)


def zvm_nodes(rows: Iterable[Any], zhcp_node: str, verdicts: Verdicts | None = None) -> Nodes:
    """Map xCAT nodes to z/VM userids from ``zvm`` rows.

    When the zHCP's own row names its ``hcp`` host, nodes managed through
    another hcp are left out of the userid → node map (userids are unique
    per z/VM host only).  A row whose node is not an xCAT node name or whose
    userid is not a z/VM userid is in ``bad`` (the agent writes node names
    into the ``mac`` and ``switch`` rows of API-bound ports).
    """
    entries = [(_column(raw, "node"), _column(raw, "hcp"), raw) for raw in rows
               if not _disabled(_column(raw, "disable"))]
    own_hcp = next((hcp for node, hcp, _ in entries if node == zhcp_node and hcp), None)
    userids: dict[str, str] = {}
    by_userid: dict[str, str] = {}
    bad: dict[str, str] = {}
    hcps: dict[str, str | None] = {}
    verdicts = (verdicts or Verdicts()).start()
    for node, hcp, raw in entries:
        if not isinstance(node, str) or not node:
            continue
        userid, problem = verdicts.of(raw, _zvm_row_verdict)
        if problem is not None:
            bad[node] = problem
            continue
        userids[node] = userid
        hcps[node] = hcp if isinstance(hcp, str) else None
        if own_hcp is None or hcp == own_hcp:
            by_userid.setdefault(userid, node)
    return Nodes(userids, by_userid, bad, hcps, own_hcp)


def with_node(nodes: Nodes, node: str, userid: str, hcp: str | None) -> Nodes:
    """``nodes`` and one more node from its ``zvm`` row's ``userid`` and ``hcp``, judged as
    :func:`zvm_nodes` judges a row (the node is another than the zHCP's own, so
    ``own_hcp`` stays).  The maps are persistent: changed, not copied or walked."""
    found, problem = _zvm_row_verdict({"node": node, "userid": userid})
    if found is None:
        return dataclasses.replace(nodes, bad=as_map(nodes.bad).set(node, str(problem)))
    by_userid = as_map(nodes.by_userid)
    if (nodes.own_hcp is None or hcp == nodes.own_hcp) and found not in by_userid:
        by_userid = by_userid.set(found, node)
    return dataclasses.replace(nodes, userids=as_map(nodes.userids).set(node, found),
                               by_userid=by_userid, hcps=as_map(nodes.hcps).set(node, hcp))


def _zvm_row_verdict(raw: Any) -> tuple[str | None, str | None]:
    """(userid, None) of a valid ``zvm`` row's node and userid, or (None, problem)."""
    node = _column(raw, "node")
    try:
        zvm_names.xcat_node(node, "zvm.node")
        return zvm_names.userid(_column(raw, "userid"), f"zvm.userid of node {node}"), None
    except ValueError as exc:
        return None, str(exc)


@dataclass(frozen=True)
class Network:
    """The network of a port as the agent needs it; ``vlan`` None for flat."""
    network_id: str
    vswitch: str
    vlan: int | None


def network_of(details: Mapping[str, Any]) -> Network | str:
    """The validated network of a port's details, or the reason it is unusable."""
    network_type = details.get("network_type")
    network_id = str(details.get("network_id"))
    if network_type not in (constants.TYPE_FLAT, constants.TYPE_VLAN):
        return (f"network {network_id} has type {network_type}; z/VM supports flat and "
                f"vlan networks")
    try:
        vswitch = zvm_names.vswitch(details.get("physical_network"),
                                    f"physical network of network {network_id}")
        vlan = None
        if network_type == constants.TYPE_VLAN:
            vlan = zvm_names.vlan_id(details.get("segmentation_id"),
                                     f"segmentation id of network {network_id}")
    except ValueError as exc:
        return str(exc)
    return Network(network_id, vswitch, vlan)


def _profile(details: Mapping[str, Any]) -> Mapping[str, Any]:
    profile = details.get("binding:profile")
    return profile if isinstance(profile, Mapping) else {}


def api_bound(details: Mapping[str, Any], host: str) -> bool:
    """True when the port asks this agent to attach it (host + zvm_userid profile)."""
    return (details.get("binding:host_id") == host
            and bool(_profile(details).get(constants.PROFILE_USERID)))


@dataclass(frozen=True)
class Inputs:
    """Everything the desired state is built from (all already fetched)."""
    rowset: RowSet
    nodes: Nodes
    details: Mapping[str, Mapping[str, Any]]      # port id -> plugin device details
    bound: Iterable[str]                          # port ids bound to this host (API)
    vswitches: Mapping[str, VswitchSpec]
    host: str
    zhcp_node: str
    bindings: Mapping[str, Binding] = field(default_factory=dict)
    user_prefix: str | None = None                # z/VM USER PREFIX (6 hex digits)
    dhcp_userid: str | None = None
    dhcp_vlans: Mapping[str, frozenset[int]] | None = None
    networks: Verdicts | None = None              # network_of by details, across builds
    peers: frozenset[str] = frozenset()           # zHCPs of the other SSI members
    row_ports: Verdicts | None = None             # each row's port, across builds


@dataclass(frozen=True)
class Refusal:
    """Why a port is rejected, and the NIC it names when its userid (a node of
    this zHCP) and vdev are valid."""
    reason: str
    nic: tuple[str, str] | None = None


@dataclass(frozen=True)
class Since:
    """An earlier build (its result and inputs) and the ports whose row, details or
    binding (:func:`attached_through_api`) may have changed since (see :func:`build`)."""
    desired: DesiredState
    inputs: Inputs
    touched: Collection[str]


def build(inputs: Inputs, since: Since | None = None) -> DesiredState:
    """Join rows, bindings and details into a :class:`DesiredState`.

    A port whose details are missing from ``inputs.details`` is left out
    (the plugin does not know it: it was deleted); a row of a port that this
    agent attached through the API but that is no longer API-bound here is
    left out too, so the planner detaches it.

    With ``since``, only the ``touched`` ports are judged again and the rest is
    the earlier build's: what a whole build gives when every port whose row,
    details or binding changed is touched (``tests/unit/agent/test_desired.py``
    checks it on generated changes).  What every port depends on (this host's and
    zHCP's names, the USER PREFIX, ``own_hcp``) must be the same, the bound ports
    too but for touched ones, and no SSI peer set (a relocation is judged whole); a
    node added touches the ports bound through the API.  Otherwise everything is
    judged.
    """
    if since is not None and _same_context(since.inputs, inputs, since.touched):
        return _rebuilt(inputs, since)
    networks = (inputs.networks or Verdicts()).start()
    from_rows: dict[str, DesiredPort | Refusal | None] = {
        pid: Refusal(reason) for pid, reason in inputs.rowset.rejected.items()}
    leaving = {pid: row for pid, row in inputs.rowset.peer_rows.items()
               if inputs.nodes.elsewhere(row.node) is None}
    row_ports = (inputs.row_ports or Verdicts()).start()
    nodes, order = inputs.nodes, inputs.rowset.order
    # everything _row_port reads, but the network verdict (a function of the details);
    # of a row, its NIC only: the vswitch and VLAN the agent writes into it are not read
    constant = (inputs.host, inputs.zhcp_node, nodes.own_hcp, nodes.hcps_of(inputs.peers))
    for pid, row in [*inputs.rowset.rows.items(), *leaving.items()]:
        node = row.node
        from_rows[pid] = row_ports.of_inputs(
            pid, (node, row.vdev, inputs.details.get(pid), inputs.bindings.get(pid),
                  nodes.userids.get(node), nodes.bad.get(node), nodes.hcps.get(node),
                  pid in leaving, order.get(pid, 0), constant),
            functools.partial(_row_port, pid, row, inputs, networks, leaving=pid in leaving))
    ports: dict[str, DesiredPort] = {}
    rejected: dict[str, str] = {}
    rejected_nics: dict[str, tuple[str, str]] = {}
    bound = frozenset(inputs.bound)
    for pid in dict.fromkeys([*from_rows, *inputs.bound]):
        _settle(pid, from_rows.get(pid), _bound_port(pid, inputs) if pid in bound else None,
                ports, rejected, rejected_nics)
    return DesiredState(ByGuest(ports, USERID), rejected, dict(inputs.vswitches),
                        inputs.dhcp_userid, inputs.dhcp_vlans,
                        ByGuest(rejected_nics, NIC_USERID), _away(ports, inputs),
                        frozenset(leaving) & frozenset(ports))


def _same_context(earlier: Inputs, now: Inputs, touched: Collection[str]) -> bool:
    """Whether what every port's verdict depends on is the same in both inputs, but
    for the ``touched`` ports, which are judged again (a port bound through the API
    to this host, or no longer, is judged by that alone)."""
    return (not earlier.peers and not now.peers
            and (earlier.bound is now.bound
                 or frozenset(earlier.bound) ^ frozenset(now.bound) <= set(touched))
            and (earlier.host, earlier.zhcp_node, earlier.user_prefix, earlier.nodes.own_hcp)
            == (now.host, now.zhcp_node, now.user_prefix, now.nodes.own_hcp))


def _rebuilt(inputs: Inputs, since: Since) -> DesiredState:
    """The earlier build with the touched ports judged again (see :func:`build`)."""
    touched = set(since.touched)
    if since.inputs.nodes is not inputs.nodes:
        touched.update(inputs.bound)  # a port bound through the API names its guest's node
    networks = Verdicts()  # a verdict per port judged: none to keep
    bound = frozenset(inputs.bound) & touched
    rowset = inputs.rowset
    rejected = {p: reason for p, reason in since.desired.rejected.items() if p not in touched}
    ports: dict[str, DesiredPort] = {}
    nics: dict[str, tuple[str, str]] = {}
    for pid in touched:
        from_row: DesiredPort | Refusal | None = None
        if pid in rowset.rejected:
            from_row = Refusal(rowset.rejected[pid])
        elif pid in rowset.rows:
            from_row = _row_port(pid, rowset.rows[pid], inputs, networks)
        _settle(pid, from_row, _bound_port(pid, inputs) if pid in bound else None,
                ports, rejected, nics)
    return DesiredState(
        ByGuest.of(since.desired.ports, USERID).updated(touched, ports), rejected,
        dict(inputs.vswitches), inputs.dhcp_userid, inputs.dhcp_vlans,
        ByGuest.of(since.desired.rejected_nics, NIC_USERID).updated(touched, nics))


def _settle(pid: str, from_row: DesiredPort | Refusal | None,
            from_api: DesiredPort | Refusal | None, ports: dict[str, DesiredPort],
            rejected: dict[str, str], nics: dict[str, tuple[str, str]]) -> None:
    """Record a port's verdict from its row and from its API binding: the API's refusal
    is the last word; a row's refusal beats the API's port (a port API-bound here is
    no row's port)."""
    result = from_api if isinstance(from_api, Refusal) or from_row is None else from_row
    if isinstance(result, Refusal):
        rejected[pid] = result.reason
        if result.nic is not None:
            nics[pid] = result.nic
    elif result is not None:
        ports[pid] = result


def _bound_port(pid: str, inputs: Inputs) -> DesiredPort | Refusal | None:
    """The port of a port bound to this host through the API, or why it is refused;
    None when its details are missing or it is not API-bound any more."""
    details = inputs.details.get(pid)
    if details is None or not api_bound(details, inputs.host):
        return None
    return _api_port(pid, details, inputs)


def _away(ports: Mapping[str, DesiredPort], inputs: Inputs) -> frozenset[str]:
    """Userids of this agent's ports and bindings whose guest runs on another member
    of the SSI cluster (its node is managed by a peer zHCP)."""
    if not inputs.peers:
        return frozenset()
    peer_hcps = inputs.nodes.hcps_of(inputs.peers)
    nodes = [p.node for p in ports.values() if p.node] + [
        b.node for b in inputs.bindings.values() if b.node]
    return frozenset(inputs.nodes.userids[node] for node in nodes
                     if inputs.nodes.elsewhere(node) in peer_hcps)


def attached_through_api(binding: Binding | None) -> bool:
    """All a port's verdict reads of its binding: whether the agent attached it
    through the API (a binding that changes otherwise touches no verdict)."""
    return binding is not None and binding.api


def _row_port(pid: str, row: SwitchRow, inputs: Inputs, networks: Verdicts,
              leaving: bool = False) -> DesiredPort | Refusal | None:
    """The port of a switch row, or why it is refused; None for a row that is not
    a hand-off port: its details are missing, it is API-bound (see :func:`_api_port`)
    or it was attached through the API and is no longer (the planner detaches it).

    A guest relocating between SSI members is handed over in three steps: its rows
    name the destination's zHCP, its ports' ``binding:host_id`` the destination's
    host, then it moves.  A ``leaving`` port (rows handed on, guest still here) is
    served whatever its binding host; an arriving one waits (None) while its
    binding still names another host."""
    details = inputs.details.get(pid)
    if not details or "network_id" not in details or api_bound(details, inputs.host):
        return None
    if attached_through_api(inputs.bindings.get(pid)):
        return None
    userid = inputs.nodes.userids.get(row.node)
    if userid is None:
        return Refusal(inputs.nodes.bad.get(row.node) or (
            f"node {row.node} of port {pid} has no row in the xCAT zvm table"))
    hcp = inputs.nodes.elsewhere(row.node)
    if hcp is not None and hcp not in inputs.nodes.hcps_of(inputs.peers):
        # its userid names a guest of another z/VM system: never a NIC to touch here
        return Refusal(f"node {row.node} of port {pid} is managed by zHCP {hcp}, not by "
                       f"{inputs.zhcp_node} or a member of its SSI cluster")
    nic = None if row.vdev is None else (userid, row.vdev)
    other_host = details.get("binding:host_id")
    network = networks.of(details, network_of)
    if other_host and other_host != inputs.host and not leaving:
        if hcp is not None:
            return None  # arriving: its binding has not moved here yet
        return Refusal(f"port {pid} is bound to host {other_host}, not {inputs.host}", nic)
    if isinstance(network, str):
        return Refusal(network, nic)
    return DesiredPort(pid, userid, row.vdev, network.vswitch, network.vlan,
                       network.network_id, bool(details.get("admin_state_up")),
                       inputs.rowset.order.get(pid, 0), node=row.node)


def _api_port(pid: str, details: Mapping[str, Any], inputs: Inputs) -> DesiredPort | Refusal:
    profile = _profile(details)
    try:
        userid = zvm_names.userid(profile.get(constants.PROFILE_USERID),
                                  "binding:profile zvm_userid")
        vdev = profile.get(constants.PROFILE_VDEV)
        vdev = zvm_names.nic_vdev(vdev, "binding:profile vdev") if vdev else None
    except ValueError as exc:
        return Refusal(f"port {pid}: {exc}")
    node = inputs.nodes.by_userid.get(userid)
    if node is None:
        return Refusal(f"port {pid}: z/VM userid {userid} is not an xCAT node of zHCP "
                       f"{inputs.zhcp_node} (zvm table)")
    row = inputs.rowset.rows.get(pid)
    if vdev is None and row is not None and row.node == node:
        vdev = row.vdev
    nic = None if vdev is None else (userid, vdev)
    mac = details.get("mac_address")
    try:
        octets = zvm_names.mac_octets(mac, "mac_address")
    except ValueError as exc:
        return Refusal(f"port {pid}: {exc}", nic)
    macid, prefix = "".join(octets[3:]), "".join(octets[:3])  # the MACID and the z/VM prefix
    if inputs.user_prefix and prefix != inputs.user_prefix.upper():
        return Refusal(f"port {pid}: MAC {mac} does not start with the z/VM USER PREFIX "
                       f"{inputs.user_prefix.upper()} (vmcp q vmlan), so the guest would get "
                       f"another MAC", nic)
    network = network_of(details)
    if isinstance(network, str):
        return Refusal(network, nic)
    return DesiredPort(pid, userid, vdev, network.vswitch, network.vlan, network.network_id,
                       bool(details.get("admin_state_up")), API_ORDER, node=node, api=True,
                       mac=str(mac).lower(), macid=macid)


def ports_needing_details(rowset: RowSet, known: Mapping[str, Any],
                          dirty: Iterable[str] = (),
                          among: Collection[str] | None = None) -> list[str]:
    """Port ids of rows whose details are not cached yet or were notified (``dirty``),
    in order: of every row, or only of the ports ``among`` (when the others are known
    to have details: a cycle that knows which rows changed looks at those only)."""
    dirty = set(dirty)
    ports = sorted(rowset.rows if among is None else (p for p in among if p in rowset.rows))
    return [p for p in ports if p not in known or p in dirty]
