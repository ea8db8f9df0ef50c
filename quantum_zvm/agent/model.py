"""Desired state, observed state and operations of the z/VM agent.

Everything here is plain immutable data so the planner can be a pure
function and tests can build states by hand.  Names follow z/VM: a *vswitch*
is a Quantum physical network, a *grant* is a vswitch access-list entry, a
*NIC* is identified by (userid, vdev).

Knowledge of z/VM is partial on purpose: the agent reads only what changed,
so a guest's directory may be unknown (``directory is None``) or known only
for some devices (``directory_complete`` False).  The planner treats unknown
as "might be wrong" and emits idempotent operations, or asks for a read
(:attr:`Plan.reads`) when a wrong guess could put a NIC on another network.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from quantum_zvm.agent.by_guest import USERID, ByGuest
from quantum_zvm.agent.nic_set import NicSet
from quantum_zvm.agent.persistent import PSet, maps_of

ACCESS = "ACCESS"
TRUNK = "TRUNK"

STATUS_ACTIVE = "ACTIVE"
STATUS_DOWN = "DOWN"
STATUS_ERROR = "ERROR"


# ------------------------------------------------------------------ desired


@dataclass(frozen=True)
class VswitchSpec:
    """A vswitch this agent manages (from ``vswitch_mappings``)."""
    name: str
    vlan_ranges: tuple[tuple[int, int], ...] = ()
    rdevs: tuple[str, ...] = ()

    @property
    def vlan_aware(self) -> bool:
        return bool(self.vlan_ranges)


@dataclass(frozen=True)
class DesiredPort:
    """One Quantum port that should be on a NIC of a guest.

    ``vlan`` is None for a flat network.  ``order`` decides which of two
    conflicting ports is "earlier" (the switch-table row order, API-bound
    ports after the rows).  ``api`` marks a port bound through the API
    (binding:profile): the agent defines its NIC (with ``macid``) and writes
    its xCAT rows itself; ``vdev`` may then be None until one is allocated.
    """
    port_id: str
    userid: str
    vdev: str | None
    vswitch: str
    vlan: int | None
    network_id: str
    admin_up: bool = True
    order: int = 0
    node: str | None = None
    api: bool = False
    mac: str | None = None
    macid: str | None = None

    @property
    def nic(self) -> tuple[str, str | None]:
        return (self.userid, self.vdev)


@dataclass(frozen=True)
class DesiredState:
    """What z/VM should look like.

    ``rejected`` maps port ids to the reason their row or details were
    refused (they are reported ERROR and never reach a command).
    ``dhcp_vlans`` maps vswitches to the VLANs the DHCP guest must trunk
    (an empty set on a VLAN-unaware vswitch means a plain grant); None
    means "not known this cycle" and leaves the DHCP guest's grants alone.
    ``rejected_nics`` maps rejected ports to the NIC (userid, vdev) they name
    when those names are valid: a NIC coupled to a managed vswitch for no
    accepted port could carry another network's VLAN, so it is uncoupled.
    """
    ports: Mapping[str, DesiredPort] = field(default_factory=dict)
    rejected: Mapping[str, str] = field(default_factory=dict)
    vswitches: Mapping[str, VswitchSpec] = field(default_factory=dict)
    dhcp_userid: str | None = None
    dhcp_vlans: Mapping[str, frozenset[int]] | None = None
    rejected_nics: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # Relocation within an SSI cluster (``ssi_zhcp_nodes``): ``away`` are userids of
    # this agent's ports or bindings whose guest runs on another member (its
    # directory is shared, its NICs are not here); ``leaving`` are ports whose row
    # names another member's zHCP while the guest still runs here.
    away: frozenset[str] = frozenset()
    leaving: frozenset[str] = frozenset()


# ------------------------------------------------------------------ observed


@dataclass(frozen=True)
class Grant:
    """A vswitch access-list entry; ``vlans`` empty means the default VLAN.
    ``porttype`` None: not shown by the query (either type)."""
    porttype: str | None = ACCESS
    vlans: frozenset[int] = frozenset()


@dataclass(frozen=True)
class VswitchPort:
    """A configured port of a port-based vswitch (PORTNUMBER n USERID u) and its
    VLANs; ``porttype`` None: not shown by the query (either type)."""
    userid: str
    porttype: str | None = ACCESS
    vlans: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ObservedVswitch:
    """A vswitch as Vswitch_Query_Extended shows it.

    ``connections`` are the NICs coupled to it right now: (userid, vdev)
    (the query does not say which port a NIC uses), a :class:`NicSet` (any
    set of pairs given is made one).  ``ports`` are the configured ports of a
    port-based vswitch by number.
    """
    name: str
    vlan_aware: bool
    port_based: bool = False
    grants: Mapping[str, Grant] = field(default_factory=dict)
    connections: NicSet = field(default_factory=NicSet)
    rdevs: tuple[str, ...] = ()
    ports: Mapping[int, VswitchPort] = field(default_factory=dict)

    def __post_init__(self) -> None:
        maps_of(self, "grants")
        if not isinstance(self.connections, NicSet):
            object.__setattr__(self, "connections", NicSet(self.connections))


@dataclass(frozen=True)
class NicDef:
    """A directory NICDEF; ``vswitch`` is its ``LAN SYSTEM`` (None: uncoupled),
    ``portnum`` its ``PORTNUMBER`` on a port-based vswitch."""
    vdev: str
    vswitch: str | None = None
    macid: str | None = None
    devices: int = 3
    portnum: int | None = None


@dataclass(frozen=True)
class ObservedGuest:
    """What is known of one guest.

    ``directory`` holds the NICDEFs known; it is complete only when
    ``directory_complete`` (read with a directory query).  ``logged_on`` is
    None when unknown.  ``live_absent`` are devices known to have no active
    NIC while the guest is logged on.  ``devices`` are the (first, count)
    spans of every device the directory defines (minidisks, links, NICs...),
    known with a complete directory.
    """
    userid: str
    directory: Mapping[str, NicDef] = field(default_factory=dict)
    directory_complete: bool = False
    logged_on: bool | None = None
    live_absent: frozenset[str] = frozenset()
    devices: tuple[tuple[int, int], ...] = ()

    def nicdef(self, vdev: str) -> NicDef | None:
        return self.directory.get(vdev)


@dataclass(frozen=True)
class SwitchRow:
    """The agent-owned columns of an xCAT ``switch`` row (of this zHCP)."""
    node: str
    vdev: str | None
    switch: str | None
    vlan: str | None


@dataclass(frozen=True)
class Binding:
    """What this agent applied for a port (remembered across restarts), so a
    port that disappears can be undone.  ``portnum`` is the vswitch port the
    NIC was given on a port-based vswitch (kept stable across cycles)."""
    userid: str
    vdev: str
    vswitch: str
    vlan: int | None
    node: str | None = None
    api: bool = False
    portnum: int | None = None


@dataclass(frozen=True)
class Outcome:
    """A port's state as reported to the plugin."""
    status: str
    userid: str | None = None
    vdev: str | None = None
    vswitch: str | None = None
    vlan: int | None = None
    porttype: str | None = None
    error: str | None = None


# What a port is reported as once what z/VM held for it is undone (the row is gone): DOWN
# with nothing applied, as the 2015 agent's update_device_down.
RELEASED = Outcome(STATUS_DOWN)


@dataclass(frozen=True)
class Observed:
    """What the agent knows of z/VM, the xCAT rows and its own records.

    ``bindings`` record what the agent applied for each port, including the
    partial effects of a port whose later steps failed; ``granted`` are the
    (vswitch, userid) grants the agent made and has not revoked, so a grant
    no accepted port needs is revoked even when no binding names it (grants
    the agent did not make are never in it); ``live_ports`` the vswitch port
    of each NIC the agent coupled live on a port-based vswitch (the query
    does not show which port a NIC uses).
    """
    vswitches: Mapping[str, ObservedVswitch] = field(default_factory=dict)
    guests: Mapping[str, ObservedGuest] = field(default_factory=dict)
    rows: Mapping[str, SwitchRow] = field(default_factory=dict)
    bindings: Mapping[str, Binding] = field(default_factory=dict)
    reported: Mapping[str, Outcome] = field(default_factory=dict)
    granted: AbstractSet[tuple[str, str]] = field(default_factory=PSet)
    live_ports: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # persistent maps and set (see quantum_zvm.agent.persistent), the bindings
        # indexed by guest
        maps_of(self, "guests", "rows", "reported", "live_ports")
        object.__setattr__(self, "bindings", ByGuest.of(self.bindings, USERID))
        if not isinstance(self.granted, PSet):
            object.__setattr__(self, "granted", PSet(self.granted))

    def guest(self, userid: str) -> ObservedGuest:
        return self.guests.get(userid) or ObservedGuest(userid)

    def replace(self, **changes) -> Observed:
        return dataclasses.replace(self, **changes)


def legacy_granted(bindings: Mapping[str, Binding]) -> frozenset[tuple[str, str]]:
    """The grant ledger of a record written before the agent kept one: agents
    then revoked the grant of every binding they undid, so each binding's
    user grant counts as the agent's."""
    return frozenset((b.vswitch, b.userid) for b in bindings.values() if b.portnum is None)


def legacy_live_ports(bindings: Mapping[str, Binding]) -> dict[tuple[str, str], int]:
    """The live ports of a record written before the agent kept them: a binding's
    port number was the one its NIC was coupled to."""
    return {(b.userid, b.vdev): b.portnum for b in bindings.values() if b.portnum is not None}


# ------------------------------------------------------------------ operations


@dataclass(frozen=True)
class Op:
    """Base of every operation; ``ports`` are the ports it serves (their
    outcome depends on its success)."""
    ports: tuple[str, ...] = field(default=(), kw_only=True, compare=False)

    phase = 0

    def describe(self) -> str:
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}"
                           for f in dataclasses.fields(self) if f.name != "ports")
        return f"{type(self).__name__}({fields})"


@dataclass(frozen=True)
class UncoupleLive(Op):
    userid: str
    vdev: str
    phase = 0


@dataclass(frozen=True)
class UncoupleDirectory(Op):
    userid: str
    vdev: str
    phase = 1


@dataclass(frozen=True)
class DeleteNicLive(Op):
    userid: str
    vdev: str
    phase = 2


@dataclass(frozen=True)
class DeleteNic(Op):
    """Remove a NIC the agent defined for an API-bound port (directory)."""
    userid: str
    vdev: str
    phase = 3


@dataclass(frozen=True)
class Revoke(Op):
    vswitch: str
    userid: str
    phase = 4


@dataclass(frozen=True)
class RemovePort(Op):
    """Release a port of a port-based vswitch (``portnum_remove``)."""
    vswitch: str
    portnum: int
    userid: str
    phase = 4


@dataclass(frozen=True)
class DefineNic(Op):
    """NICDEF vdev TYPE QDIO MACID macid in the directory (API-bound ports)."""
    userid: str
    vdev: str
    macid: str
    phase = 5


@dataclass(frozen=True)
class DefineNicLive(Op):
    userid: str
    vdev: str
    phase = 6


@dataclass(frozen=True)
class GrantOp(Op):
    """Persistent grant; ``vlans`` empty = no VLAN (flat or default)."""
    vswitch: str
    userid: str
    porttype: str | None = None
    vlans: tuple[int, ...] = ()
    phase = 7


@dataclass(frozen=True)
class SetPort(Op):
    """Configure port ``portnum`` of a port-based vswitch for ``userid`` with its
    port type and VLANs (persistent); ``vlans`` empty = no VLAN."""
    vswitch: str
    portnum: int
    userid: str
    porttype: str | None = None
    vlans: tuple[int, ...] = ()
    phase = 7


@dataclass(frozen=True)
class CoupleDirectory(Op):
    """``LAN SYSTEM <vswitch>`` (and ``PORTNUMBER`` on a port-based vswitch)."""
    userid: str
    vdev: str
    vswitch: str
    portnum: int | None = None
    phase = 8


@dataclass(frozen=True)
class CoupleLive(Op):
    """Couple the live NIC (to port ``portnum`` on a port-based vswitch)."""
    userid: str
    vdev: str
    vswitch: str
    portnum: int | None = None
    phase = 9


UNDO_OPS = (UncoupleLive, UncoupleDirectory, DeleteNicLive, DeleteNic, Revoke, RemovePort)
# Steps that give a guest a NIC, a grant, a vswitch port or a coupling: each is
# worth doing only while the earlier steps of the same port succeeded.
CONSTRUCTIVE_OPS = (DefineNic, DefineNicLive, GrantOp, SetPort, CoupleDirectory, CoupleLive)
ZVM_OPS = UNDO_OPS + CONSTRUCTIVE_OPS


@dataclass(frozen=True)
class WriteSwitchRow(Op):
    """``tabch port=<port> switch.switch=<vswitch> switch.vlan=<vlan>``."""
    port_id: str
    vswitch: str
    vlan: str
    phase = 20


@dataclass(frozen=True)
class AddRows(Op):
    """The xCAT ``mac`` and ``switch`` rows of an API-bound port's NIC (the
    switch row complete with vswitch and VLAN)."""
    node: str
    port_id: str
    vdev: str
    mac: str
    vswitch: str
    vlan: str
    phase = 21


@dataclass(frozen=True)
class DeleteRows(Op):
    """Remove the rows of an API-bound port that was unbound."""
    node: str | None
    port_id: str
    vdev: str
    phase = 22


@dataclass(frozen=True)
class Report(Op):
    """Record the port's outcome in the plugin (record_zvm_binding)."""
    port_id: str
    outcome: Outcome
    phase = 30


@dataclass(frozen=True)
class Plan:
    """The planner's answer.

    ``ops`` are ordered by phase (z/VM changes, then table writes, then
    reports).  ``deferred`` ports wait for operations of this plan to
    succeed first (plan again after executing); ``reads`` are guests whose
    directory must be read before their ports can be decided.
    ``bindings`` is the binding record once every op has succeeded.
    ``released`` are ports whose binding is dropped with only the grant (or
    vswitch port) undone, their guest having relocated to another member.
    """
    ops: tuple[Op, ...] = ()
    deferred: frozenset[str] = frozenset()
    reads: frozenset[str] = frozenset()
    outcomes: Mapping[str, Outcome] = field(default_factory=dict)
    bindings: Mapping[str, Binding] = field(default_factory=dict)
    # bindings dropped without undoing their NIC: the guest left for another member
    released: frozenset[str] = frozenset()

    @property
    def zvm_ops(self) -> tuple[Op, ...]:
        return tuple(op for op in self.ops if isinstance(op, ZVM_OPS))

    @property
    def row_ops(self) -> tuple[Op, ...]:
        return tuple(op for op in self.ops if isinstance(op, (WriteSwitchRow, AddRows,
                                                              DeleteRows)))

    @property
    def reports(self) -> tuple[Report, ...]:
        return tuple(op for op in self.ops if isinstance(op, Report))

    @property
    def empty(self) -> bool:
        return not self.ops and not self.deferred and not self.reads
