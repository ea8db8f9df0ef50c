"""The pure planner: ``plan(desired, observed) -> Plan``, and ``apply`` (the
effect model of operations on the observed state).

Rules (issue "z/VM agent", reference zvm-smapi.md §1):

- flat network → grant without VLAN on a VLAN-unaware vswitch; vlan network →
  grant ACCESS with the port's VLAN on a VLAN-aware vswitch.  Any other
  combination is refused with a reason.
- admin up → couple the NIC in the directory and live (live only when the
  guest may be logged on); admin down → uncouple, keep the grant.
- a port that is gone (or whose NIC moved) → uncouple its old NIC; revoke the
  userid only when no other port of it remains on that vswitch and the
  agent made the grant (``Observed.granted``).
- a refused port's NIC that no accepted port carries is uncoupled from every
  managed vswitch (``DesiredState.vswitches``; others are never touched), in
  the directory and live; an unknown directory is read (``Plan.reads``) and
  the guest's grants wait for the read.
- on a user-based vswitch a userid has one VLAN: of two NICs of one guest in
  different VLANs, the one in effect (observed grant) or else the earlier
  (``order``) wins and the other is refused.  On a port-based vswitch each
  NIC gets its own vswitch port (the lowest free number, kept in the binding
  across cycles) configured with its network's VLAN, and is coupled to that
  port (directory ``PORTNUMBER`` and live); a port that goes away releases
  its vswitch port.  A NIC found coupled live to a port-based vswitch on a
  port the agent did not choose is uncoupled and coupled again to its port.
- a grant never moves a userid into a VLAN while a NIC of it that is not a
  port of that VLAN's network is coupled to the vswitch: such NICs are
  uncoupled first and the grant is deferred to the next pass.  Changing the
  VLAN of an existing grant needs the guest's complete directory (a read).
- the DHCP guest (``dhcp_userid``) is granted TRUNK with exactly the VLANs
  of networks with DHCP-enabled subnets (plus the VLANs of its own ports).
- a grant the agent made (``Observed.granted``) that no accepted port needs
  is revoked, whatever bindings say (the DHCP guest's grants excepted, they
  are decided with the DHCP VLANs).
- a port that is gone (no row, no API binding) is reported DOWN with no
  binding, with the operations that undo it (as the 2015 agent's
  ``update_device_down``): the plugin's binding never outlives z/VM's.
- a guest that runs on another member of the SSI cluster (``DesiredState.away``)
  has no NICs here and its directory is shared: its ports are granted (and
  coupled in the directory) ahead of its arrival, never coupled live, and
  undoing its binding undoes only the grant or vswitch port (``Plan.released``).
  A port whose row names another member while its guest still runs here
  (``leaving``) is kept as it is and not reported: the destination reports it.
- nothing to change → an empty plan (no operations, no reports).

``apply`` records the planned binding of a port whose steps failed, so what
z/VM holds for it is undone when the port is refused, removed or moved,
like a complete binding; and keeps a binding whose NIC is still coupled
(its undo failed) as a leftover until the coupling is undone or another
binding records the NIC.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any, Literal

from quantum_zvm.agent.model import (
    ACCESS,
    RELEASED,
    STATUS_ACTIVE,
    STATUS_DOWN,
    STATUS_ERROR,
    TRUNK,
    AddRows,
    Binding,
    CoupleDirectory,
    CoupleLive,
    DefineNic,
    DefineNicLive,
    DeleteNic,
    DeleteNicLive,
    DeleteRows,
    DesiredPort,
    DesiredState,
    Grant,
    GrantOp,
    NicDef,
    Observed,
    ObservedGuest,
    ObservedVswitch,
    Op,
    Outcome,
    Plan,
    RemovePort,
    Report,
    Revoke,
    SetPort,
    SwitchRow,
    UncoupleDirectory,
    UncoupleLive,
    VswitchPort,
    WriteSwitchRow,
)
from quantum_zvm.agent.nic_set import NicSet
from quantum_zvm.agent.persistent import as_map
from xcat import vdevs, zvm_names

NIC_VDEV_STEP = vdevs.NIC_DEVICES
FLAT_VLAN_TEXT = "-1"
LEFTOVER_MARK = "@"   # never in a port id (a UUID)
_SAFE, _WAIT, _REFUSED = "safe", "wait", "refused"


class Result:
    """How an operation ended, as the executor classifies it."""
    OK = "ok"
    LOGGED_OFF = "logged_off"        # live op on a guest that is not logged on
    NO_LIVE_NIC = "no_live_nic"      # live op on a device the running guest lacks
    FAILED = "failed"
    SKIPPED = "skipped"              # not run: an earlier step of the same port failed

    UNDONE = frozenset({FAILED, SKIPPED})   # results with no effect on z/VM


def grant_text(grant: Grant) -> str:
    """A grant as an operator reads it: ``TRUNK VLAN 100 101``, ``no VLAN``."""
    vlans = " ".join(str(v) for v in sorted(grant.vlans))
    words = [grant.porttype or "", f"VLAN {vlans}" if vlans else "no VLAN"]
    return " ".join(w for w in words if w)


def vlan_text(vlan: int | None) -> str:
    """The ``switch.vlan`` value: the VLAN id, or -1 for flat."""
    return FLAT_VLAN_TEXT if vlan is None else str(vlan)


def _vlans(ports: list[DesiredPort]) -> frozenset[int]:
    """The VLANs of ports (a port of a flat network has none; on a VLAN-aware
    vswitch :meth:`_Planner.check_port` accepts VLAN networks only)."""
    return frozenset(p.vlan for p in ports if p.vlan is not None)


def _nic_vdev(port: DesiredPort) -> str:
    """The vdev of a port's NIC once :meth:`_Planner.candidates` accepted it (an
    API-bound port gets one there)."""
    if port.vdev is None:
        raise ValueError(f"port {port.port_id} has no NIC yet")
    return port.vdev


# ===================================================================== planning


class _Planner:
    def __init__(self, desired: DesiredState, observed: Observed):
        self.d = desired
        self.o = observed
        self.ops: list[Op] = []
        self.positions: dict[Op, int] = {}
        self.uncoupling: dict[str, set[str]] = defaultdict(set)  # userid -> vdevs
        self.errors: dict[str, str] = dict(desired.rejected)
        self.deferred: set[str] = set()
        self.reads: set[str] = set()
        self.accepted: dict[str, DesiredPort] = {}
        self.taken: dict[str, list[int]] = defaultdict(list)  # userid -> NIC vdevs of ports
        self.portnums: dict[str, int] = {}        # port id -> its port on a port-based vswitch
        self.released: set[str] = set()

    # ----------------------------------------------------------------- helpers
    def add(self, op: Op) -> None:
        """Add an operation; an equal one already planned serves the new ports too."""
        position = self.positions.get(op)
        if position is not None:
            existing = self.ops[position]
            merged = tuple(dict.fromkeys(existing.ports + op.ports))
            self.ops[position] = dataclasses.replace(existing, ports=merged)
            return
        self.positions[op] = len(self.ops)
        self.ops.append(op)
        if isinstance(op, (UncoupleLive, UncoupleDirectory)):
            self.uncoupling[op.userid].add(op.vdev)

    def guest(self, userid: str) -> ObservedGuest:
        """The guest as this system has it: one that runs on another member of the SSI
        cluster is not logged on here (its directory, shared, is what reads showed)."""
        guest = self.o.guest(userid)
        if userid in self.d.away and guest.logged_on is not False:
            return dataclasses.replace(guest, logged_on=False)
        return guest

    def carriers(self) -> dict[tuple[str, str | None], str]:
        """NIC -> the accepted port on it."""
        return {p.nic: p.port_id for p in self.accepted.values()}

    def vswitch(self, name: str) -> ObservedVswitch | None:
        return self.o.vswitches.get(name)

    def known_vswitch(self, name: str) -> ObservedVswitch:
        """A vswitch z/VM shows: that of an accepted port (:meth:`check_port`), or
        one of the observed state."""
        return self.o.vswitches[name]

    def managed(self, name: str | None) -> bool:
        """Whether ``name`` is a vswitch of this agent (``vswitch_mappings``)."""
        return name in self.d.vswitches

    def live_vswitch(self, userid: str, vdev: str) -> str | None:
        """The managed vswitch the NIC is coupled to right now, if any."""
        for vsw in self.o.vswitches.values():
            if (userid, vdev) in vsw.connections and self.managed(vsw.name):
                return vsw.name
        return None

    def dir_coupled(self, userid: str, vdev: str) -> str | Literal[True] | None:
        """The vswitch of the NIC's directory LAN; None uncoupled/absent; True unknown."""
        guest = self.guest(userid)
        nicdef = guest.nicdef(vdev)
        if nicdef is not None:
            return nicdef.vswitch
        return None if guest.directory_complete else True

    # ----------------------------------------------------------------- checks
    def check_port(self, port: DesiredPort) -> str | None:
        if port.vswitch not in self.d.vswitches:
            return (f"physical network {port.vswitch} is not a vswitch of this agent "
                    f"(vswitch_mappings)")
        vsw = self.vswitch(port.vswitch)
        if vsw is None:
            return f"vswitch {port.vswitch} does not exist on z/VM"
        if port.vlan is None and vsw.vlan_aware:
            return (f"flat network {port.network_id} needs a VLAN-unaware vswitch; "
                    f"{port.vswitch} is VLAN-aware")
        if port.vlan is not None and not vsw.vlan_aware:
            return (f"VLAN network {port.network_id} (VLAN {port.vlan}) needs a VLAN-aware "
                    f"vswitch; {port.vswitch} is VLAN-unaware")
        return None

    def resolve_api_nic(self, port: DesiredPort) -> DesiredPort | None:
        """Give an API-bound port its vdev and check its NIC; None = not decided yet."""
        guest = self.guest(port.userid)
        if port.vdev is not None:
            nicdef = guest.nicdef(port.vdev)
            if nicdef is not None and nicdef.macid == port.macid:
                return port
            if not guest.directory_complete:
                self.reads.add(port.userid)
                self.deferred.add(port.port_id)
                return None
            if nicdef is not None:
                self.errors[port.port_id] = (
                    f"vdev {port.vdev} of {port.userid} is already used by another NIC"
                    + (f" (MACID {nicdef.macid})" if nicdef.macid else ""))
                return None
            clash = vdevs.overlap(self.spans(port.userid, guest), int(port.vdev, 16))
            if clash:
                self.errors[port.port_id] = (
                    f"vdev {port.vdev} of {port.userid} overlaps device {clash[0]:04X} "
                    f"({clash[1]} devices) of its directory")
                return None
            return port
        for nicdef in guest.directory.values():
            if port.macid is not None and nicdef.macid == port.macid:
                return dataclasses.replace(port, vdev=nicdef.vdev)
        if not guest.directory_complete:
            self.reads.add(port.userid)
            self.deferred.add(port.port_id)
            return None
        try:
            return dataclasses.replace(port, vdev=self.free_vdev(port.userid, guest))
        except ValueError as exc:
            self.errors[port.port_id] = f"{port.userid}: {exc}"
            return None

    def check_row_nic(self, port: DesiredPort) -> DesiredPort | None:
        """A handed-off port's NIC must be in the guest's directory before anything is
        granted for it: an unread directory is read first (the port waits), a NIC
        (or a guest) the directory does not have refuses the port."""
        guest = self.guest(port.userid)
        if port.vdev is not None and guest.nicdef(port.vdev) is not None:
            return port
        if not guest.directory_complete:
            self.reads.add(port.userid)
            self.deferred.add(port.port_id)
            return None
        self.errors[port.port_id] = (f"NIC {port.vdev} is not defined in the directory of "
                                     f"{port.userid}")
        return None

    def spans(self, userid: str, guest: ObservedGuest) -> list[vdevs.Span]:
        """Devices the guest's directory uses (every statement, and NICs learnt since)."""
        spans = list(guest.devices)
        spans += [(int(n.vdev, 16), n.devices) for n in guest.directory.values()]
        return spans

    def free_vdev(self, userid: str, guest: ObservedGuest) -> str:
        spans = self.spans(userid, guest)
        spans += [(vdev, NIC_VDEV_STEP) for vdev in self.taken[userid]]
        return vdevs.next_free_nic_vdev(spans)

    # ----------------------------------------------------------------- main
    def run(self) -> Plan:
        candidates = self.candidates()
        self.resolve_conflicts(candidates)
        self.allocate_ports()
        holders = self.holders()
        self.undo_bindings()
        self.uncouple_refused()
        blocked = self.grants(holders)
        self.revoke_unneeded_grants(self.holders())  # grants() may have refused holders
        self.port_ops(blocked)
        return self.finish()

    def candidates(self) -> list[DesiredPort]:
        ports = sorted(self.d.ports.values(), key=lambda p: (p.order, p.port_id))
        out: list[DesiredPort] = []
        nics: dict[tuple[str, str], DesiredPort] = {}
        for port in ports:
            if port.vdev is not None:
                self.taken[port.userid].append(int(port.vdev, 16))
        for port in ports:
            if port.port_id in self.errors:
                continue
            reason = self.check_port(port)
            if reason:
                self.errors[port.port_id] = reason
                continue
            resolved = self.resolve_api_nic(port) if port.api else self.check_row_nic(port)
            if resolved is None:
                continue
            port = resolved
            vdev = _nic_vdev(port)
            owner = nics.get((port.userid, vdev))
            if owner is not None:
                self.errors[port.port_id] = (f"NIC {vdev} of {port.userid} already "
                                             f"carries port {owner.port_id}")
                continue
            nics[(port.userid, vdev)] = port
            self.taken[port.userid].append(int(vdev, 16))
            out.append(port)
        return out

    def resolve_conflicts(self, candidates: list[DesiredPort]) -> None:
        """One VLAN per userid on a user-based vswitch (DHCP guest excepted)."""
        groups: dict[tuple[str, str], list[DesiredPort]] = defaultdict(list)
        for port in candidates:
            groups[(port.userid, port.vswitch)].append(port)
        for (userid, vswitch), ports in groups.items():
            vlans = {p.vlan for p in ports}
            if len(vlans) <= 1 or userid == self.d.dhcp_userid \
                    or self.known_vswitch(vswitch).port_based:
                for port in ports:
                    self.accepted[port.port_id] = port
                continue
            grant = self.known_vswitch(vswitch).grants.get(userid)
            winner_vlan = None
            if grant is not None and grant.porttype != TRUNK and len(grant.vlans) == 1:
                (current,) = grant.vlans
                if current in vlans:
                    winner_vlan = current
            first = ports[0]  # candidates are in order
            if winner_vlan is None:
                winner_vlan = first.vlan
            winner = next(p for p in ports if p.vlan == winner_vlan)
            for port in ports:
                if port.vlan == winner_vlan:
                    self.accepted[port.port_id] = port
                else:
                    self.errors[port.port_id] = (
                        f"{userid} already has VLAN {winner_vlan} on vswitch {vswitch} "
                        f"(port {winner.port_id}); a second NIC in VLAN {port.vlan} "
                        f"(network {port.network_id}) cannot be on {vswitch}, which is "
                        f"user-based")

    def allocate_ports(self) -> None:
        """A vswitch port for each accepted port on a port-based vswitch: the one
        its binding records (while the vswitch does not show it given to another
        userid), else the lowest number no port and no binding uses."""
        used: dict[str, set[int]] = defaultdict(set)
        for vsw in self.o.vswitches.values():
            used[vsw.name] |= set(vsw.ports)
        for binding in self.o.bindings.values():
            if binding.portnum is not None:
                used[binding.vswitch].add(binding.portnum)
        fresh = []
        for port in sorted(self.accepted.values(), key=lambda p: (p.order, p.port_id)):
            if not self.known_vswitch(port.vswitch).port_based:
                continue
            kept = self.kept_portnum(port)
            if kept is None:
                fresh.append(port)
            else:
                self.portnums[port.port_id] = kept
        for port in fresh:
            free = next((n for n in range(zvm_names.PORT_NUMBER_MIN,
                                          zvm_names.PORT_NUMBER_MAX + 1)
                         if n not in used[port.vswitch]), None)
            if free is None:
                self.errors[port.port_id] = f"vswitch {port.vswitch} has no free port number"
                self.accepted.pop(port.port_id)
                continue
            used[port.vswitch].add(free)
            self.portnums[port.port_id] = free

    def kept_portnum(self, port: DesiredPort) -> int | None:
        binding = self.o.bindings.get(port.port_id)
        if binding is None or binding.portnum is None or binding.vswitch != port.vswitch \
                or (binding.userid, binding.vdev) != port.nic:
            return None
        shown = self.known_vswitch(port.vswitch).ports.get(binding.portnum)
        if shown is not None and shown.userid != port.userid:
            return None
        return binding.portnum

    def holders(self) -> dict[tuple[str, str], list[DesiredPort]]:
        """Accepted ports by (userid, vswitch) that need a user grant (ports on a
        port-based vswitch have their own vswitch port instead)."""
        out: dict[tuple[str, str], list[DesiredPort]] = defaultdict(list)
        for port in self.accepted.values():
            if port.port_id not in self.portnums:
                out[(port.userid, port.vswitch)].append(port)
        return out

    # ----------------------------------------------------------------- undo
    def undo_bindings(self) -> None:
        """Uncouple (and clean up) NICs of ports that are gone, refused or moved; their
        grants go in :meth:`revoke_unneeded_grants`."""
        accepted_nics = {p.nic: p for p in self.accepted.values()}
        for port_id, binding in sorted(self.o.bindings.items()):
            current = self.accepted.get(port_id)
            if current is not None and current.nic == (binding.userid, binding.vdev) \
                    and current.vswitch == binding.vswitch:
                continue
            if port_id in self.deferred:
                continue
            if binding.userid in self.d.away:
                # the guest and its NICs left for another member, which holds the
                # shared directory now: only this system's grant or port is undone
                self.release_port(binding, port_id)
                self.released.add(port_id)
                continue
            nic = (binding.userid, binding.vdev)
            reuser = accepted_nics.get(nic)
            if reuser is None:
                self.uncouple(binding.userid, binding.vdev, (port_id,))
            unbound_api = binding.api and port_id not in self.errors and (
                current is None or not current.api)
            if unbound_api and reuser is None:
                guest = self.guest(binding.userid)
                if guest.logged_on is not False:
                    self.add(DeleteNicLive(binding.userid, binding.vdev, ports=(port_id,)))
                if guest.nicdef(binding.vdev) is not None or not guest.directory_complete:
                    self.add(DeleteNic(binding.userid, binding.vdev, ports=(port_id,)))
            if unbound_api and port_id in self.o.rows:
                self.add(DeleteRows(binding.node, port_id, binding.vdev, ports=(port_id,)))
            self.release_port(binding, port_id)

    def revoke_unneeded_grants(self, holders: Mapping[tuple[str, str], list[DesiredPort]]
                               ) -> None:
        """Revoke the grants the agent made (``Observed.granted``) that no accepted
        port needs; a deferred port (new or with its old binding) still needs its
        grant.  The revoke serves the bindings of ports that left the grant, so a
        failure keeps them for a retry; the DHCP guest's grant is decided in grants()."""
        waiting = {(self.d.ports[p].userid, self.d.ports[p].vswitch)
                   for p in self.deferred if p in self.d.ports}
        waiting |= {(self.o.bindings[p].userid, self.o.bindings[p].vswitch)
                    for p in self.deferred if p in self.o.bindings}
        leavers: dict[tuple[str, str], list[str]] = defaultdict(list)
        for port_id, binding in sorted(self.o.bindings.items()):
            if binding.portnum is None and port_id not in self.accepted:
                leavers[(binding.userid, binding.vswitch)].append(port_id)
        for vswitch, userid in sorted(self.o.granted):
            vsw = self.vswitch(vswitch)
            if vsw is None or userid not in vsw.grants or not self.managed(vswitch) \
                    or userid == self.d.dhcp_userid:
                continue
            if (userid, vswitch) in holders or (userid, vswitch) in waiting:
                continue
            self.add(Revoke(vswitch, userid, ports=tuple(leavers[(userid, vswitch)])))

    def release_port(self, binding: Binding, port_id: str) -> None:
        """Remove the vswitch port a binding held, if any (while it is still the guest's)."""
        vsw = self.vswitch(binding.vswitch)
        if binding.portnum is None or vsw is None:
            return
        shown = vsw.ports.get(binding.portnum)
        if shown is not None and shown.userid == binding.userid:
            self.add(RemovePort(binding.vswitch, binding.portnum, binding.userid,
                                ports=(port_id,)))

    def uncouple(self, userid: str, vdev: str, ports: tuple[str, ...]) -> None:
        if self.live_vswitch(userid, vdev) is not None:
            self.add(UncoupleLive(userid, vdev, ports=ports))
        if self.dir_coupled(userid, vdev) is not None:
            self.add(UncoupleDirectory(userid, vdev, ports=ports))

    def uncouple_refused(self) -> None:
        """A refused port's NIC must not stay coupled to a managed vswitch, where it
        could carry another network's VLAN (a NIC carried by an accepted port
        is left alone)."""
        carriers = self.carriers()
        for port_id in sorted(self.errors):
            self.uncouple_port(port_id, carriers)

    def refused_nic(self, port_id: str) -> tuple[str, str] | None:
        """The NIC a refused port names, when it names one."""
        port = self.d.ports.get(port_id)
        if port is not None:
            return None if port.vdev is None else (port.userid, port.vdev)
        return self.d.rejected_nics.get(port_id)

    def uncouple_port(self, port_id: str, carriers: Mapping | None = None) -> None:
        """Uncouple a refused port's NIC from the managed vswitch it is coupled to
        (NICs on vswitches of others are not the agent's).  Live couplings
        are known from the vswitch query; an unknown directory is read first."""
        nic = self.refused_nic(port_id)
        if nic is None or nic[0] in self.d.away:
            return
        carrier = (carriers if carriers is not None else self.carriers()).get(nic)
        if carrier is not None and carrier != port_id:
            return
        userid, vdev = nic
        served = (port_id,)
        if self.live_vswitch(userid, vdev) is not None:
            self.add(UncoupleLive(userid, vdev, ports=served))
        directory = self.dir_coupled(userid, vdev)
        if directory is True:
            self.reads.add(userid)
        elif self.managed(directory):
            self.add(UncoupleDirectory(userid, vdev, ports=served))

    # ----------------------------------------------------------------- grants
    def wanted_grant(self, userid: str, vsw: ObservedVswitch,
                     ports: list[DesiredPort]) -> Grant | None:
        vlans = _vlans(ports)
        if userid == self.d.dhcp_userid and self.d.dhcp_userid:
            if self.d.dhcp_vlans is None:
                current = vsw.grants.get(userid)
                if current is None and not ports:
                    return None
                if not vsw.vlan_aware:
                    return Grant(ACCESS) if (ports or current) else None
                keep = current.vlans if current is not None and current.porttype == TRUNK \
                    else frozenset()
                return Grant(TRUNK, frozenset(vlans | keep))
            if vsw.name not in self.d.dhcp_vlans and not ports:
                return None
            if not vsw.vlan_aware:
                return Grant(ACCESS)
            trunk = set(self.d.dhcp_vlans.get(vsw.name, frozenset())) | vlans
            return Grant(TRUNK, frozenset(trunk)) if trunk else None
        if not ports:
            return None
        if not vsw.vlan_aware:
            return Grant(ACCESS)
        return Grant(ACCESS, frozenset(vlans))

    @staticmethod
    def grant_satisfied(vsw: ObservedVswitch, wanted: Grant, current: Grant | None) -> bool:
        if current is None:
            return False
        if not vsw.vlan_aware:
            return True
        return current.porttype in (None, wanted.porttype) and current.vlans == wanted.vlans

    def grants(self, holders: Mapping[tuple[str, str], list[DesiredPort]]) -> set[tuple[str, str]]:
        """Grant/revoke per (userid, vswitch); returns the pairs whose grant is blocked."""
        pairs = set(holders)
        if self.d.dhcp_userid:
            pairs |= {(self.d.dhcp_userid, name) for name in self.o.vswitches
                      if name in self.d.vswitches}
        blocked: set[tuple[str, str]] = set()
        for userid, name in sorted(pairs):
            if self.grant(userid, name, holders.get((userid, name), [])):
                blocked.add((userid, name))
        return blocked

    def grant(self, userid: str, name: str, ports: list[DesiredPort]) -> bool:
        """Give ``userid`` the grant its ``ports`` (its holders) need on vswitch ``name``;
        True when the grant is blocked (its holders wait, or are refused)."""
        vsw = self.known_vswitch(name)
        wanted = self.wanted_grant(userid, vsw, ports)
        current = vsw.grants.get(userid)
        served = tuple(p.port_id for p in ports)
        if wanted is None:
            if current is not None and userid == self.d.dhcp_userid \
                    and self.d.dhcp_vlans is not None:
                self.add(Revoke(name, userid, ports=served))
            return False
        if self.grant_satisfied(vsw, wanted, current):
            return False
        if current is not None and (name, userid) not in self.o.granted \
                and userid != self.d.dhcp_userid:
            self.refuse(ports, f"{userid} holds a grant on {name} that this agent did not "
                               f"make ({grant_text(current)}); refusing to change it to "
                               f"{grant_text(wanted)}")
            return True
        if wanted.porttype == ACCESS and vsw.vlan_aware:
            verdict = self.grant_safe(userid, vsw, ports, current)
            if verdict == _WAIT:
                self.deferred.update(served)
            if verdict != _SAFE:
                return True
        if current is not None:
            if self.uncouple_before_regrant(userid, vsw, ports):
                return True
            self.add(Revoke(name, userid, ports=served))
        self.add(GrantOp(name, userid, wanted.porttype if vsw.vlan_aware else None,
                         tuple(sorted(wanted.vlans)), ports=served))
        return False

    def uncouple_before_regrant(self, userid: str, vsw: ObservedVswitch,
                                ports: list[DesiredPort]) -> bool:
        """Whether a changed grant must wait for the holders' NICs to be uncoupled.

        A grant is never issued to a userid that holds one on the vswitch: it
        takes the user's NICs there down (feilong af368e633, PR #810) and CP's
        documentation read here does not say whether its VLANs replace the
        user's set or are added to it (control block VNABK keeps a set).  So a
        changed grant is revoked and granted anew, and the holders' NICs coupled
        live are uncoupled first (this pass; the grant and the couple follow in
        the next), so no NIC of the user is on the vswitch while its VLANs change.
        """
        coupled = vsw.connections.of(userid)
        waits = False
        for port in ports:
            if port.vdev is not None and port.vdev in coupled:
                self.add(UncoupleLive(userid, port.vdev, ports=(port.port_id,)))
                waits = True
        if waits:
            self.deferred.update(p.port_id for p in ports)
        return waits

    def grant_safe(self, userid: str, vsw: ObservedVswitch, ports: list[DesiredPort],
                   current: Grant | None) -> str:
        """Whether granting the holders' VLAN cannot put another network's NIC on it:
        _SAFE, _WAIT (deferred to the next pass) or _REFUSED (holders refused).

        - Changing an existing grant's VLAN needs the guest's whole directory.
        - NICs of ``userid`` coupled to the vswitch (live, or in the directory)
          must all be the holders' NICs; quantum's others (gone or refused
          ports) are uncoupled by this plan and the grant waits for the next
          pass; a foreign one refuses the holders.
        - Any uncouple of the guest in this plan also makes the grant wait, so
          a failed uncouple can never be followed by the grant in one batch;
          so does a read of its directory (a refused port's NIC may be coupled).
        """
        own = {p.vdev for p in ports}
        guest = self.guest(userid)
        if current is not None and not guest.directory_complete:
            self.reads.add(userid)
            return _WAIT
        if userid in self.reads:
            return _WAIT
        strangers = vsw.connections.of(userid) - own
        strangers |= {n.vdev for n in guest.directory.values() if n.vswitch == vsw.name} - own
        planned = self.uncoupling.get(userid, set())
        foreign = sorted(strangers - planned)
        if foreign:
            self.refuse(ports, f"{userid} has NIC {', '.join(foreign)} coupled to {vsw.name} "
                               f"that is not a port of this network; refusing to grant VLAN "
                               f"{', '.join(str(v) for v in sorted(_vlans(ports)))}")
            return _REFUSED
        return _WAIT if planned else _SAFE

    def refuse(self, ports: list[DesiredPort], reason: str) -> None:
        """Refuse ports (their NICs are uncoupled from managed vswitches)."""
        for port in ports:
            self.errors[port.port_id] = reason
            self.accepted.pop(port.port_id, None)
            self.uncouple_port(port.port_id)

    # ----------------------------------------------------------------- per port
    def port_ops(self, blocked: set[tuple[str, str]]) -> None:
        for port in sorted(self.accepted.values(), key=lambda p: (p.order, p.port_id)):
            if port.port_id in self.errors:
                continue
            if (port.userid, port.vswitch) in blocked or port.port_id in self.deferred:
                self.deferred.add(port.port_id)
                continue
            vdev = _nic_vdev(port)
            guest = self.guest(port.userid)
            if port.api and guest.nicdef(vdev) is None:
                self.define_nic(port, vdev, guest)
            live = self.live_vswitch(port.userid, vdev)
            directory = self.dir_coupled(port.userid, vdev)
            if port.port_id in self.portnums:
                self.port_based_ops(port, vdev, guest, live, directory)
            elif port.admin_up:
                self.couple(port, vdev, guest, live, directory)
            else:
                self.uncouple_down(port, vdev, live, directory)
            self.rows_for(port, vdev)

    def define_nic(self, port: DesiredPort, vdev: str, guest: ObservedGuest) -> None:
        """Define an API-bound port's NIC: in the directory, and live unless the guest
        is known to be logged off."""
        if port.macid is None:
            raise ValueError(f"API-bound port {port.port_id} has no MACID")
        served = (port.port_id,)
        self.add(DefineNic(port.userid, vdev, port.macid, ports=served))
        if guest.logged_on is not False:
            self.add(DefineNicLive(port.userid, vdev, ports=served))

    def uncouple_down(self, port: DesiredPort, vdev: str, live: str | None,
                      directory: str | Literal[True] | None) -> None:
        """An admin-down port's NIC is uncoupled (live and in the directory); its grant
        or vswitch port stays."""
        served = (port.port_id,)
        if live is not None:
            self.add(UncoupleLive(port.userid, vdev, ports=served))
        if directory is not None:
            self.add(UncoupleDirectory(port.userid, vdev, ports=served))

    @staticmethod
    def may_couple_live(guest: ObservedGuest, vdev: str) -> bool:
        """Whether the guest may be logged on with the NIC active."""
        return guest.logged_on is not False and vdev not in guest.live_absent

    def couple(self, port: DesiredPort, vdev: str, guest: ObservedGuest, live: str | None,
               directory: str | Literal[True] | None) -> None:
        """Couple an admin-up port's NIC to its user-based vswitch, in the directory and
        live (uncoupled live first from another vswitch)."""
        served = (port.port_id,)
        if live is not None and live != port.vswitch:
            self.add(UncoupleLive(port.userid, vdev, ports=served))
        if directory != port.vswitch:
            self.add(CoupleDirectory(port.userid, vdev, port.vswitch, ports=served))
        if live != port.vswitch and self.may_couple_live(guest, vdev):
            self.add(CoupleLive(port.userid, vdev, port.vswitch, ports=served))

    def port_based_ops(self, port: DesiredPort, vdev: str, guest: ObservedGuest,
                       live: str | None, directory: str | Literal[True] | None) -> None:
        """Configure the port's vswitch port with its VLAN and couple its NIC to it
        (uncouple it when the port is admin down)."""
        number = self.portnums[port.port_id]
        self.configure_port(port, number)
        if port.admin_up:
            self.couple_to_port(port, vdev, number, guest, live, directory)
        else:
            self.uncouple_down(port, vdev, live, directory)

    def couple_to_port(self, port: DesiredPort, vdev: str, number: int, guest: ObservedGuest,
                       live: str | None, directory: str | Literal[True] | None) -> None:
        """Couple the NIC to vswitch port ``number``, in the directory and live.  A live
        coupling to that vswitch counts only when the agent coupled the NIC live to
        this port number (``Observed.live_ports``: the query does not show NICs'
        ports)."""
        served = (port.port_id,)
        recorded = self.o.live_ports.get((port.userid, vdev)) == number
        if live is not None and (live != port.vswitch or not recorded):
            self.add(UncoupleLive(port.userid, vdev, ports=served))
            live = None
        nicdef = guest.nicdef(vdev)
        if directory != port.vswitch or nicdef is None or nicdef.portnum != number:
            self.add(CoupleDirectory(port.userid, vdev, port.vswitch, number, ports=served))
        if live != port.vswitch and self.may_couple_live(guest, vdev):
            self.add(CoupleLive(port.userid, vdev, port.vswitch, number, ports=served))

    def configure_port(self, port: DesiredPort, number: int) -> None:
        """Set vswitch port ``number`` for the port's userid and VLAN, unless the vswitch
        shows it so already."""
        vsw = self.known_vswitch(port.vswitch)
        wanted = self.wanted_port(port, vsw)
        shown = vsw.ports.get(number)
        if shown is None or shown.userid != wanted.userid or shown.vlans != wanted.vlans \
                or shown.porttype not in (None, wanted.porttype):
            self.add(SetPort(port.vswitch, number, port.userid, wanted.porttype,
                             tuple(sorted(wanted.vlans)), ports=(port.port_id,)))

    @staticmethod
    def wanted_port(port: DesiredPort, vsw: ObservedVswitch) -> VswitchPort:
        if not vsw.vlan_aware:
            return VswitchPort(port.userid, None, frozenset())
        return VswitchPort(port.userid, ACCESS, _vlans([port]))

    def rows_for(self, port: DesiredPort, vdev: str) -> None:
        row = self.o.rows.get(port.port_id)
        vlan = vlan_text(port.vlan)
        served = (port.port_id,)
        if row is None:
            if port.api and port.node:
                self.add(AddRows(port.node, port.port_id, vdev, port.mac or "",
                                 port.vswitch, vlan, ports=served))
            return
        if row.switch != port.vswitch or row.vlan != vlan:
            self.add(WriteSwitchRow(port.port_id, port.vswitch, vlan, ports=served))

    # ----------------------------------------------------------------- result
    def outcome(self, port: DesiredPort) -> Outcome:
        vsw = self.vswitch(port.vswitch)
        porttype = None
        if vsw is not None and vsw.vlan_aware:
            porttype = TRUNK if port.userid == self.d.dhcp_userid else ACCESS
        return Outcome(STATUS_ACTIVE if port.admin_up else STATUS_DOWN, port.userid,
                       port.vdev, port.vswitch, port.vlan, porttype)

    def finish(self) -> Plan:
        outcomes: dict[str, Outcome] = {}
        bindings: dict[str, Binding] = {
            port_id: b for port_id, b in self.o.bindings.items()
            if port_id in self.deferred or port_id in self.accepted}
        for port_id, reason in sorted(self.errors.items()):
            outcomes[port_id] = Outcome(STATUS_ERROR, error=reason)
            binding = self.o.bindings.get(port_id)
            if binding is not None and binding.api:
                bindings[port_id] = binding  # its NIC and rows are removed when unbound
            else:
                bindings.pop(port_id, None)
        for port in self.accepted.values():
            if port.port_id in self.errors or port.port_id in self.deferred:
                continue
            outcomes[port.port_id] = self.outcome(port)
            bindings[port.port_id] = Binding(port.userid, _nic_vdev(port), port.vswitch, port.vlan,
                                             port.node, port.api,
                                             self.portnums.get(port.port_id))
        for port_id in self.o.bindings:
            if port_id not in outcomes and port_id not in self.deferred \
                    and LEFTOVER_MARK not in port_id:
                outcomes[port_id] = RELEASED
        for port_id in self.d.leaving:
            outcomes.pop(port_id, None)  # the destination's agent reports it
        for port_id, outcome in sorted(outcomes.items()):
            if self.o.reported.get(port_id) != outcome:
                self.add(Report(port_id, outcome, ports=(port_id,)))
        ops = sorted(self.ops, key=lambda op: op.phase)
        return Plan(ops=tuple(ops), deferred=frozenset(self.deferred),
                    reads=frozenset(self.reads), outcomes=outcomes, bindings=bindings,
                    released=frozenset(self.released))


def plan(desired: DesiredState, observed: Observed) -> Plan:
    """The operations that take z/VM from ``observed`` to ``desired``.

    Pure: reads its arguments only.  Operations come ordered by phase
    (uncouple, delete, revoke, define, grant, couple; then xCAT rows; then
    reports), so one sequential batch is safe.
    """
    return _Planner(desired, observed).run()


# ===================================================================== effects


def apply(observed: Observed, result_plan: Plan,
          results: Mapping[Op, str] | None = None) -> Observed:
    """The observed state after executing ``result_plan``.

    ``results`` maps operations to a :class:`Result` value (default: every
    operation succeeded).  A port's report is recorded only when every
    operation serving it succeeded.  Its binding becomes the planned one even
    when some of its operations failed (it records what to undo), and a
    binding replaced or dropped while its NIC is still coupled is kept under
    :func:`leftover_id` until undone.
    """
    results = results or {}
    failed_ports: set[str] = set()
    for op in result_plan.ops:
        if results.get(op, Result.OK) in Result.UNDONE:
            failed_ports.update(op.ports)
    effects = _Effects(observed, failed_ports)
    granted = set(observed.granted)
    live_ports = dict(observed.live_ports)
    for op in result_plan.ops:
        result = results.get(op, Result.OK)
        if result in Result.UNDONE:
            continue
        effects.apply(op, result)
        _track_agent_records(op, result, granted, live_ports)

    frozen = {name: v.freeze() for name, v in effects.vswitches.items()}
    bindings = dict(observed.bindings)
    for port_id in set(observed.bindings) | set(result_plan.bindings):
        planned = result_plan.bindings.get(port_id)
        if planned is not None:
            bindings[port_id] = planned
        elif port_id not in failed_ports:
            bindings.pop(port_id, None)
    recorded = {(b.userid, b.vdev) for b in bindings.values()}
    for port_id, old in observed.bindings.items():
        if port_id in result_plan.released and port_id not in failed_ports:
            continue
        if bindings.get(port_id) != old and (old.userid, old.vdev) not in recorded \
                and _still_coupled(old, frozen, effects.guests):
            bindings[leftover_id(port_id, old)] = old
    return observed.replace(
        vswitches=frozen, guests={uid: g.freeze() for uid, g in effects.guests.items()},
        rows=effects.rows.finish(), bindings=bindings,
        reported=as_map(observed.reported).update(effects.reports),
        granted=frozenset(_still_granted(granted, frozen)), live_ports=live_ports)


def _track_agent_records(op: Op, result: str, granted: set[tuple[str, str]],
                         live_ports: dict[tuple[str, str], int]) -> None:
    """The grants the agent made, and the vswitch ports of the NICs it coupled live."""
    if isinstance(op, GrantOp):
        granted.add((op.vswitch, op.userid))
    elif isinstance(op, Revoke):
        granted.discard((op.vswitch, op.userid))
    elif isinstance(op, CoupleLive) and result == Result.OK and op.portnum is not None:
        live_ports[(op.userid, op.vdev)] = op.portnum
    elif isinstance(op, (CoupleLive, UncoupleLive, DeleteNicLive)):
        live_ports.pop((op.userid, op.vdev), None)


def leftover_id(port_id: str, binding: Binding) -> str:
    """The record key of a binding a port left behind still coupled (its NIC moved
    or the port went while undoing failed): no port has it, so the planner
    undoes it like a gone port's."""
    return port_id if LEFTOVER_MARK in port_id \
        else f"{port_id}{LEFTOVER_MARK}{binding.userid}.{binding.vdev}"


def _still_coupled(binding: Binding, vswitches: Mapping[str, ObservedVswitch],
                   guests: Mapping[str, _MutableGuest]) -> bool:
    """Whether a binding's NIC is still coupled: live to a vswitch the agent
    watches, or in the directory (what undoing it uncouples)."""
    nic = (binding.userid, binding.vdev)
    if any(nic in vsw.connections for vsw in vswitches.values()):
        return True
    g = guests.get(binding.userid)
    nicdef = g.directory.get(binding.vdev) if g is not None else None
    return nicdef is not None and nicdef.vswitch is not None


def _still_granted(granted: set[tuple[str, str]],
                   vswitches: Mapping[str, ObservedVswitch]) -> set[tuple[str, str]]:
    """The agent's grants that z/VM still shows, or that cannot be seen now."""
    return {(name, userid) for name, userid in granted
            if name not in vswitches or userid in vswitches[name].grants}


class _MutableVswitch:
    def __init__(self, vsw: ObservedVswitch):
        self.base = vsw
        self.grants = dict(vsw.grants)
        self.connections = vsw.connections.index()  # {userid: vdevs}
        self.ports = dict(vsw.ports)

    def couple(self, userid: str, vdev: str) -> None:
        self.connections[userid] = self.connections.get(userid, frozenset()) | {vdev}

    def uncouple(self, userid: str, vdev: str) -> None:
        vdevs = self.connections.get(userid)
        if vdevs is None or vdev not in vdevs:
            return
        if len(vdevs) == 1:
            del self.connections[userid]  # a NicSet has no guest without a NIC
        else:
            self.connections[userid] = vdevs - {vdev}

    def freeze(self) -> ObservedVswitch:
        return dataclasses.replace(self.base, grants=self.grants,
                                   connections=NicSet.of_index(self.connections),
                                   ports=self.ports)


class _MutableGuest:
    def __init__(self, guest: ObservedGuest):
        self.base = guest
        self.directory = dict(guest.directory)
        self.logged_on = guest.logged_on
        self.live_absent = set(guest.live_absent)

    def freeze(self) -> ObservedGuest:
        return dataclasses.replace(self.base, directory=self.directory,
                                   logged_on=self.logged_on,
                                   live_absent=frozenset(self.live_absent))

    def set_lan(self, vdev: str, vswitch: str | None, portnum: int | None = None) -> None:
        nicdef = self.directory.get(vdev)
        if nicdef is None:
            if self.base.directory_complete and vswitch is None:
                return  # known absent: nothing was uncoupled
            nicdef = NicDef(vdev)
        self.directory[vdev] = dataclasses.replace(nicdef, vswitch=vswitch, portnum=portnum)


class _Effects:
    """The observed state :func:`apply` changes, one operation at a time: the effect
    of each kind of operation is one method, found in :data:`_EFFECTS`."""

    def __init__(self, observed: Observed, failed_ports: set[str]):
        self.vswitches = {name: _MutableVswitch(v) for name, v in observed.vswitches.items()}
        self.guests = {uid: _MutableGuest(g) for uid, g in observed.guests.items()}
        self.rows = as_map(observed.rows).mutate()  # whole in a scoped plan: not copied
        self.reports: dict[str, Outcome] = {}  # the reports recorded (few: no copy of all)
        self.failed_ports = failed_ports   # a report of one of these is not recorded

    def apply(self, op: Op, result: str) -> None:
        """Record the effect of ``op``, which ended with ``result`` (not undone)."""
        effect = _EFFECTS.get(type(op))
        if effect is not None:
            effect(self, op, result)

    def guest(self, userid: str) -> _MutableGuest:
        if userid not in self.guests:
            self.guests[userid] = _MutableGuest(ObservedGuest(userid))
        return self.guests[userid]

    def drop_connection(self, userid: str, vdev: str) -> None:
        for vsw in self.vswitches.values():
            vsw.uncouple(userid, vdev)

    def lose_live_nic(self, userid: str, vdev: str, result: str) -> None:
        """The NIC is coupled live nowhere now (a guest found logged off is noted)."""
        self.drop_connection(userid, vdev)
        if result == Result.LOGGED_OFF:
            self.guest(userid).logged_on = False

    # ------------------------------------------------- one method per kind of operation
    def uncouple_live(self, op: UncoupleLive, result: str) -> None:
        self.lose_live_nic(op.userid, op.vdev, result)

    def uncouple_directory(self, op: UncoupleDirectory, result: str) -> None:
        self.guest(op.userid).set_lan(op.vdev, None)

    def delete_nic_live(self, op: DeleteNicLive, result: str) -> None:
        self.lose_live_nic(op.userid, op.vdev, result)
        if result == Result.OK:
            self.guest(op.userid).live_absent.add(op.vdev)

    def delete_nic(self, op: DeleteNic, result: str) -> None:
        self.guest(op.userid).directory.pop(op.vdev, None)

    def revoke(self, op: Revoke, result: str) -> None:
        if op.vswitch in self.vswitches:
            self.vswitches[op.vswitch].grants.pop(op.userid, None)

    def remove_port(self, op: RemovePort, result: str) -> None:
        if op.vswitch in self.vswitches:
            self.vswitches[op.vswitch].ports.pop(op.portnum, None)

    def define_nic(self, op: DefineNic, result: str) -> None:
        self.guest(op.userid).directory[op.vdev] = NicDef(op.vdev, None, op.macid)

    def define_nic_live(self, op: DefineNicLive, result: str) -> None:
        guest = self.guest(op.userid)
        guest.live_absent.discard(op.vdev)
        guest.logged_on = result != Result.LOGGED_OFF

    def grant(self, op: GrantOp, result: str) -> None:
        if op.vswitch in self.vswitches:
            self.vswitches[op.vswitch].grants[op.userid] = Grant(op.porttype or ACCESS,
                                                                 frozenset(op.vlans))

    def set_port(self, op: SetPort, result: str) -> None:
        if op.vswitch in self.vswitches:
            self.vswitches[op.vswitch].ports[op.portnum] = VswitchPort(
                op.userid, op.porttype, frozenset(op.vlans))

    def couple_directory(self, op: CoupleDirectory, result: str) -> None:
        self.guest(op.userid).set_lan(op.vdev, op.vswitch, op.portnum)

    def couple_live(self, op: CoupleLive, result: str) -> None:
        guest = self.guest(op.userid)
        guest.logged_on = result != Result.LOGGED_OFF
        if result == Result.NO_LIVE_NIC:
            guest.live_absent.add(op.vdev)
        elif result != Result.LOGGED_OFF:
            self.drop_connection(op.userid, op.vdev)
            if op.vswitch in self.vswitches:
                self.vswitches[op.vswitch].couple(op.userid, op.vdev)

    def write_switch_row(self, op: WriteSwitchRow, result: str) -> None:
        row = self.rows.get(op.port_id)
        if row is not None:
            self.rows[op.port_id] = dataclasses.replace(row, switch=op.vswitch, vlan=op.vlan)

    def add_rows(self, op: AddRows, result: str) -> None:
        self.rows[op.port_id] = SwitchRow(op.node, op.vdev, op.vswitch, op.vlan)

    def delete_rows(self, op: DeleteRows, result: str) -> None:
        self.rows.pop(op.port_id, None)

    def report(self, op: Report, result: str) -> None:
        if op.port_id not in self.failed_ports:
            self.reports[op.port_id] = op.outcome


# Each method takes its own kind of operation: the table pairs them (hence Any).
_EFFECTS: dict[type[Op], Callable[[_Effects, Any, str], None]] = {
    UncoupleLive: _Effects.uncouple_live,
    UncoupleDirectory: _Effects.uncouple_directory,
    DeleteNicLive: _Effects.delete_nic_live,
    DeleteNic: _Effects.delete_nic,
    Revoke: _Effects.revoke,
    RemovePort: _Effects.remove_port,
    DefineNic: _Effects.define_nic,
    DefineNicLive: _Effects.define_nic_live,
    GrantOp: _Effects.grant,
    SetPort: _Effects.set_port,
    CoupleDirectory: _Effects.couple_directory,
    CoupleLive: _Effects.couple_live,
    WriteSwitchRow: _Effects.write_switch_row,
    AddRows: _Effects.add_rows,
    DeleteRows: _Effects.delete_rows,
    Report: _Effects.report,
}
