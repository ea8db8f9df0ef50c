"""Builders of desired/observed states for the agent's unit tests."""
from __future__ import annotations

from quantum_zvm.agent.model import (ACCESS, DesiredPort, DesiredState, Grant, NicDef,
                                     Observed, ObservedGuest, ObservedVswitch, SwitchRow,
                                     VswitchSpec)

SPECS = {
    "VSWFLAT": VswitchSpec("VSWFLAT"),
    "VSWVLAN": VswitchSpec("VSWVLAN", ((100, 199),)),
}


def port(port_id: str, userid: str = "LINUX01", vdev: str | None = "1000",
         vswitch: str = "VSWVLAN", vlan: int | None = 100, order: int = 0,
         admin_up: bool = True, network: str | None = None, **kw) -> DesiredPort:
    if vswitch == "VSWFLAT" and vlan == 100 and "vlan" not in kw:
        vlan = None
    return DesiredPort(port_id, userid, vdev, vswitch, vlan,
                       network or f"net-{vswitch}-{vlan}", admin_up, order,
                       node=userid.lower(), **kw)


def desired(*ports: DesiredPort, rejected=None, dhcp_userid=None, dhcp_vlans=None,
            specs=None, rejected_nics=None) -> DesiredState:
    return DesiredState({p.port_id: p for p in ports}, dict(rejected or {}),
                        specs or SPECS, dhcp_userid, dhcp_vlans, dict(rejected_nics or {}))


def vswitches(grants=None, connections=None, port_based=()) -> dict[str, ObservedVswitch]:
    """``grants`` {vsw: {uid: Grant}}, ``connections`` {vsw: {(uid, vdev)}}."""
    grants = grants or {}
    connections = connections or {}
    return {name: ObservedVswitch(name, spec.vlan_aware, name in port_based,
                                  grants.get(name, {}), frozenset(connections.get(name, ())))
            for name, spec in SPECS.items()}


def guest(userid: str, *nicdefs: NicDef, complete: bool = True,
          logged_on: bool | None = True) -> ObservedGuest:
    return ObservedGuest(userid, {n.vdev: n for n in nicdefs}, complete, logged_on)


def observed(grants=None, connections=None, guests=(), rows=None, bindings=None,
             reported=None, port_based=()) -> Observed:
    return Observed(vswitches(grants, connections, port_based),
                    {g.userid: g for g in guests}, dict(rows or {}), dict(bindings or {}),
                    dict(reported or {}))


def row(p: DesiredPort, switch: str | None = None, vlan: str | None = None) -> SwitchRow:
    return SwitchRow(p.node, p.vdev, switch, vlan)


def access(vlan: int) -> Grant:
    return Grant(ACCESS, frozenset({vlan}))
