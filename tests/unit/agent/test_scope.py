"""Planning a few guests is the full plan's part for them (hypothesis).

Worlds come from the planner's property tests; a world with a managed
port-based vswitch is planned whole (``restrict`` answers None)."""
from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from quantum_zvm.agent.planner import Result, apply, plan
from quantum_zvm.agent.scope import merge, restrict, touched_userids
from tests.unit.agent.test_planner_properties import SETTINGS, USERIDS, worlds


def no_port_based(world) -> bool:
    want, truth, _ = world
    return not any(v.port_based for v in truth.vswitches.values())


@SETTINGS
@given(worlds(), st.sets(st.sampled_from(USERIDS)))
def test_a_restricted_plan_is_the_full_plans_part_for_its_guests(world, userids):
    want, truth, _ = world
    cut = restrict(want, truth, userids)
    if not no_port_based(world):
        assert cut is None
        return
    assert cut is not None
    cut_want, cut_truth, scope = cut
    full, part = plan(want, truth), plan(cut_want, cut_truth)
    full_zvm = [op for op in full.zvm_ops if op.userid in scope]
    assert list(part.zvm_ops) == full_zvm
    for port_id, binding in part.bindings.items():
        assert full.bindings.get(port_id) == binding
    for port_id, binding in full.bindings.items():
        if binding.userid in scope:
            assert part.bindings.get(port_id) == binding
    for port_id, outcome in part.outcomes.items():
        assert full.outcomes.get(port_id) == outcome
    assert part.reads == {u for u in full.reads if u in scope}


@SETTINGS
@given(worlds(), st.sets(st.sampled_from(USERIDS)), st.data())
def test_applying_a_closed_scope_and_merging_equals_applying_the_full_plan(world, extra, data):
    # "closed": every guest the full plan acts on is in scope, as after a change
    # of a few ports (the other guests were planned to a fixpoint before)
    want, truth, _ = world
    assume(no_port_based(world))
    # a grant in the agent's records on a vswitch no longer observed nor managed
    truth = truth.replace(granted=truth.granted | {("VSWGONE", "LINUX01")})
    full = plan(want, truth)
    acting = {op.userid for op in full.zvm_ops}
    acting |= touched_userids(want, truth, set(want.ports) | set(want.rejected)
                              | set(truth.bindings))
    cut_want, cut_truth, scope = restrict(want, truth, acting | extra, want.rejected)
    part = plan(cut_want, cut_truth)
    failing = data.draw(st.sets(st.sampled_from(part.ops))) if part.ops else set()
    results = {op: Result.FAILED for op in failing}
    whole = apply(truth, full, results)
    merged = merge(truth, cut_truth, apply(cut_truth, part, results), scope)
    assert merged.bindings == whole.bindings
    assert merged.granted == whole.granted
    assert merged.live_ports == whole.live_ports
    assert merged.vswitches == whole.vswitches
    assert {u: g for u, g in merged.guests.items()} == dict(whole.guests)
    assert merged.reported == whole.reported and merged.rows == whole.rows


@SETTINGS
@given(worlds())
def test_touched_userids_name_every_guest_a_port_concerns(world):
    want, truth, _ = world
    for port_id, port in want.ports.items():
        assert port.userid in touched_userids(want, truth, [port_id])
    for port_id, binding in truth.bindings.items():
        assert binding.userid in touched_userids(want, truth, [port_id])
    for port_id, (userid, _) in want.rejected_nics.items():
        assert userid in touched_userids(want, truth, [port_id])
