"""Builders of desired/observed states for the agent's unit tests."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from quantum_zvm.agent.executor import guard_for
from quantum_zvm.agent.model import (
    ACCESS,
    ZVM_OPS,
    DesiredPort,
    DesiredState,
    Grant,
    NicDef,
    Observed,
    ObservedGuest,
    ObservedVswitch,
    Op,
    Plan,
    SwitchRow,
    VswitchSpec,
    legacy_granted,
    legacy_live_ports,
)
from quantum_zvm.agent.planner import Result
from xcat.batch import skips

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
             reported=None, port_based=(), granted=None) -> Observed:
    """An observed state; the grant ledger defaults to the one a record without
    a ledger gets (every binding's grant is the agent's)."""
    bindings = dict(bindings or {})
    return Observed(vswitches(grants, connections, port_based),
                    {g.userid: g for g in guests}, dict(rows or {}), bindings,
                    dict(reported or {}),
                    legacy_granted(bindings) if granted is None else frozenset(granted),
                    legacy_live_ports(bindings))


def row(p: DesiredPort, switch: str | None = None, vlan: str | None = None) -> SwitchRow:
    return SwitchRow(p.node, p.vdev, switch, vlan)


def access(vlan: int) -> Grant:
    return Grant(ACCESS, frozenset({vlan}))


def ops_of(step: Plan, cls) -> list:
    """The operations of ``step`` of type ``cls``, in order."""
    return [op for op in step.ops if isinstance(op, cls)]


def executed(step: Plan, failing: Iterable[Op],
             results: Mapping[Op, str] | None = None) -> dict[Op, str]:
    """The results of running ``step`` when the ``failing`` operations fail, as the
    executor's guarded batch gives them (later constructive steps of a port
    whose step failed are skipped); ``results`` adds other results (LOGGED_OFF...)
    of operations that run.  Live results such as LOGGED_OFF exit non-zero in
    the batch too, so they stop later steps of their ports the same way."""
    out = dict(results or {})
    failing = set(failing)
    zvm = [op for op in step.ops if isinstance(op, ZVM_OPS)]
    nonzero = {i for i, op in enumerate(zvm)
               if op in failing or out.get(op, Result.OK) not in (Result.OK,)}
    skipped = skips([guard_for(op) for op in zvm], nonzero)
    for index, op in enumerate(zvm):
        if index in skipped:
            out[op] = Result.SKIPPED
        elif op in failing:
            out[op] = Result.FAILED
    for op in step.ops:
        if not isinstance(op, ZVM_OPS) and op in failing:
            out[op] = Result.FAILED
    return out
