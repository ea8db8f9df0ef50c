"""The observed state from parsed smcli output (pure functions).

The agent reads z/VM with few queries and keeps what it learnt between
cycles: one ``Virtual_Network_Vswitch_Query_Extended`` gives grants, VLANs
and live couplings of every vswitch; ``Image_Query_DM`` gives a guest's whole
directory (NICDEFs and every device it defines).  Operations it runs update the
same state (:func:`quantum_zvm.agent.planner.apply`), so a quiet cycle
needs no query at all.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from quantum_zvm.agent.model import (
    ACCESS,
    TRUNK,
    Grant,
    NicDef,
    Observed,
    ObservedGuest,
    ObservedVswitch,
    VswitchPort,
)
from quantum_zvm.agent.nic_set import NicSet
from quantum_zvm.agent.persistent import as_map
from xcat import vdevs, zvm_names
from xcat.smcli_parsers import DirectoryEntry, VswitchExtended


def vswitch_state(info: VswitchExtended) -> ObservedVswitch:
    """An :class:`ObservedVswitch` from one Vswitch_Query_Extended block.

    User grants are the entries without a port number; entries with one are
    the ports of a port-based vswitch (number, userid, VLANs).  A VLAN-unaware
    vswitch lists a dummy VLAN for every user: it is dropped.  A grant whose
    port type is not shown gets None (unknown), which the planner accepts as
    either type.
    """
    aware = info.vlan_aware
    grants: dict[str, Grant] = {}
    ports: dict[int, VswitchPort] = {}
    for entry in info.grants:
        porttype = (entry.port_type or "").upper() or None
        if porttype not in (ACCESS, TRUNK):
            porttype = None
        vlans = frozenset(v for v in entry.vlan_ids if v) if aware else frozenset()
        if entry.port_num:
            ports[entry.port_num] = VswitchPort(entry.userid.upper(), porttype, vlans)
        else:
            grants[entry.userid.upper()] = Grant(porttype, vlans)
    connections = set()
    for conn in info.connections:
        try:
            connections.add((zvm_names.userid(conn.owner), zvm_names.device(conn.vdev)))
        except ValueError:
            continue  # not a NIC the agent could ever manage
    return ObservedVswitch(info.name.upper(), aware, info.port_based, grants,
                           NicSet(connections), tuple(r.address for r in info.rdevs), ports)


def guest_directory(entry: DirectoryEntry, logged_on: bool | None = None) -> ObservedGuest:
    """A guest whose whole directory is known (from Image_Query_DM): its NICDEFs
    and the device spans of every statement."""
    directory = {}
    for nic in entry.nicdefs.values():
        try:
            vdev = zvm_names.device(nic.vdev)
        except ValueError:
            continue
        directory[vdev] = NicDef(vdev, nic.vswitch.upper() if nic.vswitch else None,
                                 nic.macid.upper() if nic.macid else None, nic.devices or 3,
                                 nic.port_number)
    return ObservedGuest(entry.userid.upper(), directory, True, logged_on,
                         devices=tuple(vdevs.devices_in_use(entry.statements)))


def with_vswitches(observed: Observed, vswitches: Mapping[str, ObservedVswitch]) -> Observed:
    """``observed`` with fresh vswitch states (others kept)."""
    return observed.replace(vswitches={**observed.vswitches, **vswitches})


def with_guests(observed: Observed, guests: Iterable[ObservedGuest]) -> Observed:
    """``observed`` with freshly read guests; their logon state is kept when known."""
    merged = as_map(observed.guests).mutate()
    for guest in guests:
        old = merged.get(guest.userid)
        if guest.logged_on is None and old is not None:
            guest = dataclasses.replace(guest, logged_on=old.logged_on,
                                        live_absent=old.live_absent)
        merged[guest.userid] = guest
    return observed.replace(guests=merged.finish())


def directories_unsure(observed: Observed, userids: Iterable[str]) -> Observed:
    """``observed`` with the directories of ``userids`` no longer known to be
    complete (their known NICs kept): a NIC a new xCAT row names may have been
    defined since the last read, so a NIC not known yet is read, not refused."""
    unsure = {userid: dataclasses.replace(guest, directory_complete=False)
              for userid in userids
              if (guest := observed.guests.get(userid)) is not None and guest.directory_complete}
    if not unsure:  # nothing to change (a new guest's first NIC, say): no copy
        return observed
    return observed.replace(guests=as_map(observed.guests).update(unsure))


def after_ipl(observed: Observed) -> Observed:
    """Forget what an IPL changes: who is logged on and live NICs (directories stay)."""
    guests = {uid: dataclasses.replace(g, logged_on=None, live_absent=frozenset())
              for uid, g in observed.guests.items()}
    return observed.replace(guests=guests, live_ports={})
