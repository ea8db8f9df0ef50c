"""No guest on another tenant's VLAN: what a failed attach leaves behind is undone.

The repro of the isolation hole: a port's grant (and NICDEF) succeed, its
directory couple fails, the port is deleted, its network is deleted, and the
VLAN goes to another tenant.  Whatever succeeded must be undone when the
port goes, and nothing of a failed port may run after its failed step.
"""
from __future__ import annotations

from quantum_zvm.agent.model import (
    CoupleDirectory,
    CoupleLive,
    DefineNic,
    DefineNicLive,
    DeleteNic,
    DeleteNicLive,
    GrantOp,
    NicDef,
    Revoke,
    UncoupleDirectory,
    UncoupleLive,
)
from quantum_zvm.agent.planner import Result, apply, leftover_id, plan
from tests.unit.agent.states import access, desired, executed, guest, observed, ops_of, port, row


def api_port(port_id="p1", userid="LINUX05", vlan=102):
    return port(port_id, userid=userid, vdev=None, vlan=vlan, api=True,
                mac="02:00:0a:00:00:07", macid="000007")


def first_attach():
    """(state, plan) of an API-bound port on logged-on LINUX05, which has no NIC yet."""
    state = observed(guests=[guest("LINUX05")])
    return state, plan(desired(api_port()), state)


def test_failed_directory_couple_stops_the_live_couple_and_is_undone_when_the_port_goes():
    state, first = first_attach()
    couple = ops_of(first, CoupleDirectory)[0]
    results = executed(first, [couple])
    assert results[ops_of(first, CoupleLive)[0]] == Result.SKIPPED
    after = apply(state, first, results)
    # the grant, the NICDEF and the live NIC exist: all recorded for undoing
    assert after.vswitches["VSWVLAN"].grants["LINUX05"] == access(102)
    assert ("VSWVLAN", "LINUX05") in after.granted
    assert after.guest("LINUX05").nicdef("1000") is not None
    assert not after.vswitches["VSWVLAN"].connections
    assert after.bindings["p1"].api and after.bindings["p1"].vdev == "1000"
    # the port is deleted (then its network; VLAN 102 may go to another tenant)
    undo = plan(desired(), after)
    assert set(ops_of(undo, Revoke)) == {Revoke("VSWVLAN", "LINUX05")}
    assert ops_of(undo, DeleteNic) == [DeleteNic("LINUX05", "1000")]
    assert ops_of(undo, DeleteNicLive) == [DeleteNicLive("LINUX05", "1000")]
    clean = apply(after, undo)
    assert "LINUX05" not in clean.vswitches["VSWVLAN"].grants
    assert clean.guest("LINUX05").nicdef("1000") is None
    assert not clean.bindings and not clean.granted
    assert plan(desired(), clean).empty


def test_a_refused_port_gives_up_the_grant_its_failed_attach_left():
    p = port("p1", userid="LINUX05", vdev="0700", vlan=102)
    state = observed(guests=[guest("LINUX05", NicDef("0700"))], rows={"p1": row(p)})
    first = plan(desired(p), state)
    after = apply(state, first, executed(first, ops_of(first, CoupleDirectory)))
    assert "LINUX05" in after.vswitches["VSWVLAN"].grants
    refused = desired(rejected={"p1": "port not found"}, rejected_nics={"p1": p.nic})
    undo = plan(refused, after)
    assert Revoke("VSWVLAN", "LINUX05") in undo.ops
    clean = apply(after, undo)
    assert "LINUX05" not in clean.vswitches["VSWVLAN"].grants


def test_a_grant_the_agent_made_is_revoked_when_no_port_needs_it_even_without_a_binding():
    state = observed(grants={"VSWVLAN": {"LINUX05": access(102), "LINUX06": access(103)}},
                     granted={("VSWVLAN", "LINUX05")})
    step = plan(desired(), state)
    assert ops_of(step, Revoke) == [Revoke("VSWVLAN", "LINUX05")]   # never LINUX06's
    assert apply(state, step).granted == frozenset()


def test_a_grant_the_agent_did_not_make_is_kept_when_its_port_goes():
    p = port("p1")
    state = observed(grants={"VSWVLAN": {"LINUX01": access(100)}},
                     guests=[guest("LINUX01", NicDef("1000"))], rows={"p1": row(p)})
    after = apply(state, plan(desired(p), state))
    assert after.bindings["p1"] and not after.granted   # satisfied, never re-granted
    undo = plan(desired(), after)
    assert not ops_of(undo, Revoke)
    assert ops_of(undo, UncoupleDirectory)


def test_a_grant_a_waiting_port_needs_is_kept():
    p = api_port()
    state = observed(grants={"VSWVLAN": {"LINUX05": access(102)}},
                     guests=[guest("LINUX05", complete=False)],
                     granted={("VSWVLAN", "LINUX05")})
    step = plan(desired(p), state)
    assert "p1" in step.deferred and "LINUX05" in step.reads
    assert not ops_of(step, Revoke)


def test_a_failed_undo_keeps_the_old_nic_recorded_and_stops_the_move():
    old = port("p1", userid="LINUX05", vdev="0700", vlan=102)
    moved = port("p1", userid="LINUX05", vdev="0800", vlan=102)
    state = observed(grants={"VSWVLAN": {"LINUX05": access(102)}},
                     connections={"VSWVLAN": {("LINUX05", "0700")}},
                     guests=[guest("LINUX05", NicDef("0700", "VSWVLAN"), NicDef("0800"))],
                     rows={"p1": row(moved)})
    state = apply(state, plan(desired(old), state))
    step = plan(desired(moved), state)
    uncouple = ops_of(step, UncoupleLive)[0]
    results = executed(step, [uncouple])
    assert all(results[op] == Result.SKIPPED for op in step.zvm_ops
               if isinstance(op, (CoupleDirectory, CoupleLive, GrantOp)))
    after = apply(state, step, results)
    assert ("LINUX05", "0800") not in after.vswitches["VSWVLAN"].connections
    assert after.bindings["p1"].vdev == "0800"
    assert after.bindings[leftover_id("p1", state.bindings["p1"])].vdev == "0700"
    # once z/VM answers again the old NIC is uncoupled and its record dropped
    retry = plan(desired(moved), after)
    assert UncoupleLive("LINUX05", "0700") in retry.ops
    clean = apply(after, retry)
    assert list(clean.bindings) == ["p1"] and clean.bindings["p1"].vdev == "0800"
    assert ("LINUX05", "0700") not in clean.vswitches["VSWVLAN"].connections


def test_define_nic_failure_stops_grant_and_couples():
    state, first = first_attach()
    define = ops_of(first, DefineNic)[0]
    results = executed(first, [define])
    for op in first.zvm_ops:
        if op != define:
            assert results[op] == Result.SKIPPED, op
    assert {type(op) for op in first.zvm_ops} == {DefineNic, DefineNicLive, GrantOp,
                                                 CoupleDirectory, CoupleLive}
    after = apply(state, first, results)
    assert not after.vswitches["VSWVLAN"].grants and not after.granted


def test_a_handed_off_port_waits_for_its_guests_directory_before_any_grant():
    p = port("p1", userid="GHOST01", vdev="1000", vlan=105)
    step = plan(desired(p), observed(rows={"p1": row(p)}))
    assert step.reads == {"GHOST01"} and step.deferred == {"p1"}
    assert not step.zvm_ops


def test_a_handed_off_port_naming_no_nic_of_the_directory_is_refused_without_a_grant():
    missing = port("p1", userid="LINUX07", vdev="0F00", vlan=103)
    ghost = port("p2", userid="GHOST01", vdev="1000", vlan=105, order=1)
    state = observed(guests=[guest("LINUX07", NicDef("1000")), guest("GHOST01")],
                     rows={"p1": row(missing), "p2": row(ghost)})
    step = plan(desired(missing, ghost), state)
    assert not ops_of(step, GrantOp)
    assert step.outcomes["p1"].error == "NIC 0F00 is not defined in the directory of LINUX07"
    assert step.outcomes["p2"].error == "NIC 1000 is not defined in the directory of GHOST01"
