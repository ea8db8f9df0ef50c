"""Plan what changed: the desired and observed state cut down to some guests, and
the result put back.

Every planning rule (:mod:`quantum_zvm.agent.planner`) is about one guest: its
ports, NICs, directory, grants and the agent's records of them.  Two things
are shared: the vswitch port numbers of a port-based vswitch (a free number is
free of every guest), and the DHCP guest's trunk (it follows every network).
So, with no port-based vswitch managed, the plan of the state restricted to a
set of userids that holds the DHCP guest is the full plan's part for them
(``tests/unit/agent/test_scope.py`` checks it on generated states), and a
cycle in which a few ports changed plans, applies and records only their
guests, not everything bound.  The caller falls back to a full plan when
:func:`restrict` answers None, after a resync, and whenever it cannot say
what changed.  The per-port maps are :class:`~quantum_zvm.agent.by_guest.ByGuest`
maps and a vswitch's NICs a :class:`~quantum_zvm.agent.nic_set.NicSet`, so
cutting a few guests out of 10,000 ports (their ports, and their grants and
NICs on each vswitch) and merging them back walks those guests' entries only.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from quantum_zvm.agent.by_guest import NIC_USERID, USERID, ByGuest
from quantum_zvm.agent.model import Binding, DesiredPort, DesiredState, Observed, ObservedVswitch
from quantum_zvm.agent.persistent import PSet, as_map, replaced


def touched_userids(desired: DesiredState, observed: Observed,
                    ports: Iterable[str]) -> set[str]:
    """The guests whose plan a change of ``ports`` may alter: the port's desired
    guest, the guest of its binding (and of bindings it left behind), and the
    guest of the NIC a refused port names."""
    userids: set[str] = set()
    for port_id in ports:
        port = desired.ports.get(port_id)
        if port is not None:
            userids.add(port.userid)
        binding = observed.bindings.get(port_id)
        if binding is not None:
            userids.add(binding.userid)
        nic = desired.rejected_nics.get(port_id)
        if nic is not None:
            userids.add(nic[0])
    return userids


def _close(bindings: ByGuest[Binding], ports: ByGuest[DesiredPort],
           nics: ByGuest[tuple[str, str]], userids: set[str]) -> set[str]:
    """``userids`` and every guest tied to one of them by a port that names two
    guests (its NIC moved, or a refused port's NIC is not its binding's): such a
    port's old and new guest are planned together.  Walks the ports of the
    guests reached only."""
    closed, todo = set(userids), list(userids)
    while todo:
        userid = todo.pop()
        bound = bindings.guests.get(userid, ())
        others = [ports[p].userid for p in bound if p in ports]
        others += [nics[p][0] for p in bound if p in nics]
        others += [bindings[p].userid for wanted in (ports, nics)
                   for p in wanted.guests.get(userid, ()) if p in bindings]
        for other in others:
            if other not in closed:
                closed.add(other)
                todo.append(other)
    return closed


def restrict(desired: DesiredState, observed: Observed, userids: Iterable[str],
             ports: Iterable[str] = ()) -> tuple[DesiredState, Observed, frozenset[str]] | None:
    """The desired and observed state of ``userids`` (and the DHCP guest), with the
    refused ``ports`` that name no guest; and the userids in scope.  None when a
    managed vswitch is port-based (its port numbers are shared: plan everything)."""
    if any(vsw.port_based for name, vsw in observed.vswitches.items()
           if name in desired.vswitches):
        return None
    scope = set(userids)
    if desired.dhcp_userid:
        scope.add(desired.dhcp_userid)
    all_bindings = ByGuest.of(observed.bindings, USERID)
    all_ports = ByGuest.of(desired.ports, USERID)
    all_nics = ByGuest.of(desired.rejected_nics, NIC_USERID)
    scope = _close(all_bindings, all_ports, all_nics, scope)
    wanted = set(ports)
    bindings = all_bindings.of_guests(scope)
    rejected_nics = all_nics.of_guests(scope)
    rejected = {p: reason for p, reason in desired.rejected.items()
                if p in wanted or p in rejected_nics or p in bindings}
    cut_desired = dataclasses.replace(desired, ports=all_ports.of_guests(scope),
                                      rejected=rejected, rejected_nics=rejected_nics)
    return (cut_desired, cut(observed, frozenset(scope), bindings, desired.vswitches),
            frozenset(scope))


def cut(observed: Observed, scope: frozenset[str], bindings: dict | None = None,
        managed: Iterable[str] = ()) -> Observed:
    """The observed state of the guests of ``scope`` (a scope :func:`restrict`
    closed): of each vswitch, their grants and NICs (its port numbers stay whole);
    rows and reports stay whole.  Of the agent's grants, those on the observed and
    ``managed`` vswitches: a plan and its outcome touch no other (``merge`` keeps
    those as they are)."""
    if bindings is None:
        bindings = ByGuest.of(observed.bindings, USERID).of_guests(scope)
    names = observed.vswitches.keys() | set(managed)
    return observed.replace(
        vswitches={name: _vswitch_cut(vsw, scope) for name, vsw in observed.vswitches.items()},
        guests={u: observed.guests[u] for u in scope if u in observed.guests},
        bindings=bindings,
        granted=frozenset((name, u) for name in names for u in scope) & observed.granted,
        live_ports={nic: n for nic, n in observed.live_ports.items() if nic[0] in scope})


def _vswitch_cut(vsw: ObservedVswitch, scope: frozenset[str]) -> ObservedVswitch:
    grants = vsw.grants
    return dataclasses.replace(vsw, grants={u: grants[u] for u in scope if u in grants},
                               connections=vsw.connections.of_guests(scope))


def _vswitch_merged(whole: ObservedVswitch | None, after: ObservedVswitch,
                    scope: frozenset[str]) -> ObservedVswitch:
    """``after`` (a vswitch cut to ``scope``, then changed) with the grants and NICs of
    the guests out of scope that ``whole`` has."""
    if whole is None:
        return after
    grants = replaced(whole.grants, scope, after.grants)
    return dataclasses.replace(after, grants=grants,
                               connections=whole.connections.replaced(scope, after.connections))


def merge(observed: Observed, cut_before: Observed, cut_after: Observed,
          scope: frozenset[str]) -> Observed:
    """``observed`` with the guests of ``scope`` as ``cut_after`` (the restricted state
    after applying its plan) has them, where ``observed`` held what ``cut_before`` (its
    cut to ``scope``) holds.  Rows and reports are whole in the restricted state, so
    they are taken from it; so are the vswitches, but for the other guests' grants
    and NICs."""
    bindings = ByGuest.of(observed.bindings, USERID).updated(cut_before.bindings,
                                                            cut_after.bindings)
    guests = as_map(observed.guests).update(cut_after.guests)
    live_ports = replaced(observed.live_ports, cut_before.live_ports, cut_after.live_ports)
    granted = PSet(observed.granted).changed(cut_before.granted - cut_after.granted,
                                             cut_after.granted - cut_before.granted)
    vswitches = {name: _vswitch_merged(observed.vswitches.get(name), vsw, scope)
                 for name, vsw in cut_after.vswitches.items()}
    return cut_after.replace(vswitches=vswitches, guests=guests, bindings=bindings,
                             granted=granted, live_ports=live_ports)
