"""Properties of the planner over generated worlds (hypothesis).

A *world* is the full truth of z/VM (grants, couplings, directories, who is
logged on, and which port of a port-based vswitch each live NIC uses, which
Vswitch_Query_Extended does not show); the planner may see all of it or
only part (directories unknown until read).  Operations are "executed" by applying them to the
truth with the results z/VM would give (live operations on a logged-off
guest report LOGGED_OFF).
"""
from __future__ import annotations

import dataclasses
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quantum_zvm.agent.model import (
    ACCESS,
    STATUS_ACTIVE,
    STATUS_DOWN,
    STATUS_ERROR,
    TRUNK,
    ZVM_OPS,
    Binding,
    CoupleDirectory,
    CoupleLive,
    DefineNicLive,
    DeleteNicLive,
    DesiredPort,
    Grant,
    GrantOp,
    NicDef,
    Observed,
    ObservedGuest,
    RemovePort,
    Revoke,
    UncoupleLive,
    VswitchPort,
    legacy_granted,
)
from quantum_zvm.agent.planner import Result, apply, plan
from tests.unit.agent.states import SPECS, desired, executed, vswitches

USERIDS = ("LINUX01", "LINUX02", "DHCPAGT")
VDEVS = ("1000", "1003", "1006")
VLANS = (100, 101, 102)
VSWITCHES = tuple(SPECS)
LANS = (None,) + VSWITCHES
LIVE_OPS = (CoupleLive, UncoupleLive, DefineNicLive, DeleteNicLive)


@st.composite
def worlds(draw):
    """(desired state, truth, live ports) with consistent, plausible contents;
    live ports map NICs coupled to a port-based vswitch to their port (None:
    not a configured port)."""
    n_ports = draw(st.integers(0, 6))
    ports = []
    for i in range(n_ports):
        userid = draw(st.sampled_from(USERIDS))
        vswitch = draw(st.sampled_from(VSWITCHES))
        aware = SPECS[vswitch].vlan_aware
        # mostly the right network type for the vswitch, sometimes not
        right = draw(st.integers(0, 9)) > 0
        vlan = draw(st.sampled_from(VLANS)) if aware == right else None
        ports.append(DesiredPort(
            f"p{i}", userid, draw(st.sampled_from(VDEVS)), vswitch, vlan,
            f"net-{vswitch}-{vlan}", draw(st.booleans()), i, node=userid.lower()))
    # ports refused before planning (bad network, MAC prefix...) that name a NIC
    rejected, rejected_nics = {}, {}
    for i in range(draw(st.integers(0, 2))):
        rejected[f"r{i}"] = "refused before planning"
        rejected_nics[f"r{i}"] = (draw(st.sampled_from(USERIDS)), draw(st.sampled_from(VDEVS)))
    dhcp = draw(st.booleans())
    dhcp_vlans = None
    if dhcp and draw(st.booleans()):
        dhcp_vlans = {"VSWVLAN": frozenset(draw(st.sets(st.sampled_from(VLANS), max_size=3)))}
        if draw(st.booleans()):
            dhcp_vlans["VSWFLAT"] = frozenset()
    want = desired(*ports, rejected=rejected, rejected_nics=rejected_nics,
                   dhcp_userid="DHCPAGT" if dhcp else None, dhcp_vlans=dhcp_vlans)

    grants = {}
    for name in VSWITCHES:
        grants[name] = {}
        for userid in USERIDS:
            if draw(st.integers(0, 2)) == 0:
                if SPECS[name].vlan_aware:
                    vlans = frozenset(draw(st.sets(st.sampled_from(VLANS), min_size=1,
                                                   max_size=1 if userid != "DHCPAGT" else 3)))
                    shown = draw(st.booleans())  # Query_Extended may not show the type
                    kind = TRUNK if userid == "DHCPAGT" else ACCESS
                    grants[name][userid] = Grant(kind if shown else None, vlans)
                else:
                    grants[name][userid] = Grant(ACCESS)
    port_based = draw(st.sets(st.sampled_from(VSWITCHES)))
    vports = {name: {} for name in VSWITCHES}
    for name in port_based:
        for number in draw(st.sets(st.integers(1, 3))):
            vlans = (frozenset({draw(st.sampled_from(VLANS))}) if SPECS[name].vlan_aware
                     else frozenset())
            vports[name][number] = VswitchPort(draw(st.sampled_from(USERIDS)), ACCESS, vlans)
    guests = {}
    connections = {name: set() for name in VSWITCHES}
    live_ports = {}
    for userid in USERIDS:
        logged_on = draw(st.booleans())
        nicdefs = {}
        for vdev in VDEVS:
            lan = draw(st.sampled_from(LANS))
            nicdefs[vdev] = NicDef(vdev, lan)
            if logged_on and draw(st.booleans()):
                live = draw(st.sampled_from(LANS))
                if live is not None:
                    connections[live].add((userid, vdev))
                    if live in port_based:
                        live_ports[(userid, vdev)] = draw(st.sampled_from((None, 1, 2, 3)))
        guests[userid] = ObservedGuest(userid, nicdefs, True, logged_on)
    bindings = {}
    for i in range(draw(st.integers(0, 3))):
        userid = draw(st.sampled_from(USERIDS))
        vswitch = draw(st.sampled_from(VSWITCHES))
        vlan = draw(st.sampled_from(VLANS)) if SPECS[vswitch].vlan_aware else None
        port_id = draw(st.sampled_from([f"p{j}" for j in range(n_ports)] + list(rejected)
                                       + [f"old{i}"]))
        bindings[port_id] = Binding(userid, draw(st.sampled_from(VDEVS)), vswitch, vlan,
                                    userid.lower())
    switches = {name: dataclasses.replace(v, ports=vports[name])
                for name, v in vswitches(grants, connections, port_based).items()}
    truth = Observed(switches, guests, {}, bindings, {}, legacy_granted(bindings))
    return want, truth, live_ports


def hide(truth: Observed, userids) -> Observed:
    """The truth with the directories of ``userids`` unknown and logon state unknown."""
    guests = dict(truth.guests)
    for userid in userids:
        guests[userid] = ObservedGuest(userid, {}, False, None)
    return truth.replace(guests=guests)


def results_for(truth: Observed, step) -> dict:
    out = {}
    for op in step.ops:
        if isinstance(op, LIVE_OPS) and truth.guest(op.userid).logged_on is False:
            out[op] = Result.LOGGED_OFF
    return out


def read(known: Observed, truth: Observed, userids) -> Observed:
    guests = dict(known.guests)
    for userid in userids:
        guests[userid] = truth.guest(userid)
    return known.replace(guests=guests)


def track_live_ports(live_ports: dict, step, results) -> dict:
    """The port each live NIC uses after ``step`` (z/VM's side of the truth)."""
    out = dict(live_ports)
    for op in step.ops:
        if results.get(op, Result.OK) != Result.OK:
            continue
        if isinstance(op, CoupleLive):
            out[(op.userid, op.vdev)] = op.portnum
        elif isinstance(op, (UncoupleLive, DeleteNicLive)):
            out.pop((op.userid, op.vdev), None)
    return out


def run(want, truth, known, live_ports=None, passes=6):
    """Plan/execute until empty; returns (truth, known, plans, live ports)."""
    plans = []
    live_ports = dict(live_ports or {})
    for _ in range(passes):
        step = plan(want, known)
        plans.append((step, known, truth))
        if step.empty:
            return truth, known, plans, live_ports
        results = results_for(truth, step)
        live_ports = track_live_ports(live_ports, step, results)
        truth = apply(truth, step, results)
        known = apply(known, step, results)
        if step.reads:
            known = read(known, truth, step.reads)
    raise AssertionError(f"no convergence in {passes} passes: {plans[-1][0]}")


def coupled(state: Observed, userid: str, vdev: str) -> set[str]:
    out = {name for name, v in state.vswitches.items() if (userid, vdev) in v.connections}
    nicdef = state.guest(userid).nicdef(vdev)
    if nicdef is not None and nicdef.vswitch:
        out.add(nicdef.vswitch)
    return out


def grants_are_safe(want, step, before: Observed) -> None:
    """Every ACCESS grant carries the VLAN of the guest's ports on that vswitch, and no
    NIC of the guest coupled to the vswitch belongs to another network."""
    for op in step.ops:
        if not isinstance(op, GrantOp):
            continue
        mine = [p for p in want.ports.values()
                if p.userid == op.userid and p.vswitch == op.vswitch]
        if op.porttype == TRUNK:
            assert op.userid == want.dhcp_userid
            continue
        if op.porttype != ACCESS:
            assert not op.vlans
            continue
        (vlan,) = op.vlans
        assert any(p.vlan == vlan for p in mine), (op, mine)
        served = [want.ports[p] for p in op.ports]
        assert served and all(p.vlan == vlan for p in served)
        holders = {p.vdev for p in served}
        for vdev in VDEVS:
            if op.vswitch in coupled(before, op.userid, vdev):
                assert vdev in holders, (op, vdev, "coupled NIC of another network")


def port_vlans(final: Observed, name: str, number: int | None) -> frozenset | None:
    """The VLANs of a port of a port-based vswitch (None: no such port)."""
    shown = final.vswitches[name].ports.get(number)
    return None if shown is None else shown.vlans


def final_state_is_right(want, final: Observed, last, live_ports) -> None:
    outcomes = last.reported
    for p in want.ports.values():
        outcome = outcomes.get(p.port_id)
        assert outcome is not None, p
        nics = coupled(final, p.userid, p.vdev)
        if outcome.status == STATUS_ACTIVE and final.vswitches[p.vswitch].port_based:
            number = last.bindings[p.port_id].portnum
            assert final.vswitches[p.vswitch].ports[number] == VswitchPort(
                p.userid, ACCESS if p.vlan is not None else None,
                frozenset({p.vlan} - {None}))
            assert final.guest(p.userid).nicdef(p.vdev).portnum == number
            if (p.userid, p.vdev) in final.vswitches[p.vswitch].connections:
                assert live_ports[(p.userid, p.vdev)] == number
            assert nics <= {p.vswitch}
        elif outcome.status == STATUS_ACTIVE:
            grant = final.vswitches[p.vswitch].grants.get(p.userid)
            assert grant is not None
            if p.vlan is not None:
                assert p.vlan in grant.vlans
                if grant.porttype == ACCESS:
                    assert grant.vlans == {p.vlan}
            assert final.guest(p.userid).nicdef(p.vdev).vswitch == p.vswitch
            assert nics <= {p.vswitch}
        elif outcome.status == STATUS_DOWN:
            assert not nics
        else:
            assert outcome.status == STATUS_ERROR and outcome.error
    # no NIC of a quantum port sits on a VLAN that is not its network's
    for p in want.ports.values():
        carriers = [q for q in want.ports.values()
                    if q.nic == p.nic and outcomes[q.port_id].status != STATUS_ERROR]
        for name in coupled(final, p.userid, p.vdev):
            if final.vswitches[name].port_based:
                if not final.vswitches[name].vlan_aware:
                    continue  # no VLANs: as a flat grant above
                seen = []
                if (p.userid, p.vdev) in final.vswitches[name].connections:
                    seen.append(port_vlans(final, name, live_ports.get(p.nic)))
                nicdef = final.guest(p.userid).nicdef(p.vdev)
                if nicdef is not None and nicdef.vswitch == name:
                    seen.append(port_vlans(final, name, nicdef.portnum))
                assert carriers, (p, name, "refused port still coupled")
                for vlans in seen:
                    assert vlans is not None, (p, name, "coupled to no known port")
                    assert all(vlans == frozenset({q.vlan} - {None}) and q.vswitch == name
                               for q in carriers), (p, name, vlans)
                continue
            grant = final.vswitches[name].grants.get(p.userid)
            if grant is None or grant.porttype != ACCESS or not grant.vlans:
                continue
            assert carriers, (p, name, "refused port still coupled")
            assert all(q.vlan in grant.vlans and q.vswitch == name for q in carriers)


def refused_nics_are_uncoupled(want, final: Observed, outcomes) -> None:
    """No NIC of a refused port stays coupled (directory or live) to a managed
    vswitch, unless a port that is not refused is on that NIC."""
    refused = {p.port_id: p.nic for p in want.ports.values()
               if outcomes[p.port_id].status == STATUS_ERROR and p.vdev is not None}
    refused.update(want.rejected_nics)
    carried = {p.nic for p in want.ports.values()
               if outcomes[p.port_id].status != STATUS_ERROR}
    for port_id, (userid, vdev) in sorted(refused.items()):
        assert outcomes[port_id].status == STATUS_ERROR
        if (userid, vdev) in carried:
            continue
        assert not coupled(final, userid, vdev) & set(want.vswitches), (
            port_id, userid, vdev, "refused port's NIC still coupled")


EXAMPLES = int(os.environ.get("QZVM_HYPOTHESIS_EXAMPLES", "300"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def converged_safely(want, plans, final, known, live_ports, fixpoint_of):
    """Every plan's grants were safe given what the agent knew; the run ends right
    (refused ports' NICs uncoupled) and planning ``fixpoint_of`` changes nothing."""
    for step, before_known, _ in plans:
        grants_are_safe(want, step, before_known)
    assert plan(want, fixpoint_of).empty
    final_state_is_right(want, final, known, live_ports)
    refused_nics_are_uncoupled(want, final, known.reported)


@SETTINGS
@given(worlds())
def test_full_knowledge_converges_safely_to_a_fixpoint(world):
    want, truth, live_ports = world
    final, known, plans, live_ports = run(want, truth, truth, live_ports)
    converged_safely(want, plans, final, known, live_ports, fixpoint_of=final)


@SETTINGS
@given(worlds(), st.sets(st.sampled_from(USERIDS)))
def test_partial_knowledge_converges_with_reads(world, hidden):
    want, truth, live_ports = world
    final, known, plans, live_ports = run(want, truth, hide(truth, hidden), live_ports)
    converged_safely(want, plans, final, known, live_ports, fixpoint_of=known)


@SETTINGS
@given(worlds())
def test_a_failed_operation_never_breaks_safety_and_is_retried(world):
    want, truth, live_ports = world
    first = plan(want, truth)
    if not first.ops:
        return
    results = {**results_for(truth, first), first.ops[0]: Result.FAILED}
    live_ports = track_live_ports(live_ports, first, results)
    truth = apply(truth, first, results)
    final, known, plans, live_ports = run(want, truth, truth, live_ports)
    converged_safely(want, plans, final, known, live_ports, fixpoint_of=final)


@SETTINGS
@given(worlds())
def test_planning_is_deterministic_and_pure(world):
    want, truth, _live_ports = world
    snapshot = dataclasses.replace(truth)
    assert plan(want, truth) == plan(want, truth)
    assert truth == snapshot


# ------------------------------------------------------------ any step may fail
#
# The safety rule: a userid holds a grant on a managed vswitch, and a NIC is
# coupled to one, only while an accepted port needs it.  While operations
# fail that cannot hold at every instant (a revoke may fail), so after every
# step with failures the agent must still *know* every effect it made that
# no port needs (a binding or its grant ledger), and once failures stop the
# rule holds exactly.  Grants the agent did not make are never revoked.


@dataclasses.dataclass
class Made:
    """What the agent has done to z/VM and not undone (the test's own record)."""
    grants: set = dataclasses.field(default_factory=set)       # (vswitch, userid)
    couplings: set = dataclasses.field(default_factory=set)    # (userid, vdev)

    @classmethod
    def from_bindings(cls, truth: Observed) -> Made:
        """The agent's past, as its record tells it (a record without a grant
        ledger counts every binding's grant as the agent's)."""
        made = cls()
        made.grants |= set(truth.granted)
        made.couplings |= {(b.userid, b.vdev) for b in truth.bindings.values()}
        return made

    def record(self, step, results, dhcp_userid) -> None:
        for op in step.ops:
            if not isinstance(op, ZVM_OPS) or results.get(op, Result.OK) in Result.UNDONE:
                continue
            if isinstance(op, Revoke):
                assert (op.vswitch, op.userid) in self.grants or op.userid == dhcp_userid, (
                    op, "revoked a grant the agent did not make")
                self.grants.discard((op.vswitch, op.userid))
            elif isinstance(op, GrantOp):
                self.grants.add((op.vswitch, op.userid))
            elif isinstance(op, (CoupleDirectory, CoupleLive)) and \
                    results.get(op, Result.OK) == Result.OK:
                self.couplings.add((op.userid, op.vdev))


def unneeded_effects_are_known(want, truth: Observed, known: Observed, made: Made) -> None:
    """Every grant and coupling the agent made is needed by a desired port or
    recorded (a binding, the grant ledger), so a later pass undoes it."""
    bound_nics = {(b.userid, b.vdev) for b in known.bindings.values()}
    bound_grants = {(b.vswitch, b.userid) for b in known.bindings.values()}
    for vswitch, userid in made.grants:
        if userid == want.dhcp_userid or userid not in truth.vswitches[vswitch].grants:
            continue
        assert (vswitch, userid) in known.granted | bound_grants, (vswitch, userid)
    for userid, vdev in made.couplings:
        if coupled(truth, userid, vdev) & set(want.vswitches):
            assert (userid, vdev) in bound_nics or (userid, vdev) in {
                p.nic for p in want.ports.values()}, (userid, vdev, "coupling forgotten")


def only_needed_effects_remain(want, final: Observed, reported, made: Made) -> None:
    """The safety rule, exactly: what the agent made is held only for a port
    that is not refused (on a user-based vswitch, for a grant)."""
    def needing(userid, vswitch):
        return [p for p in want.ports.values() if p.userid == userid and p.vswitch == vswitch
                and reported[p.port_id].status != STATUS_ERROR]
    for vswitch, userid in made.grants:
        if userid == want.dhcp_userid or userid not in final.vswitches[vswitch].grants:
            continue
        holders = [p for p in needing(userid, vswitch)
                   if not final.vswitches[vswitch].port_based]
        assert holders, (vswitch, userid, "grant held for no port")
    for userid, vdev in made.couplings:
        for vswitch in coupled(final, userid, vdev) & set(want.vswitches):
            assert any(p.vdev == vdev and reported[p.port_id].status == STATUS_ACTIVE
                       for p in needing(userid, vswitch)), (userid, vdev, vswitch)


def failing_steps(want, truth: Observed, live_ports: dict, data, least: int, most: int):
    """Plan and execute ``least``..``most`` times (fewer once a plan is empty) with a random
    set of each plan's operations failing; after each step every effect the agent made
    and no port needs is known.  Returns (truth, known, live ports, what was made)."""
    made = Made.from_bindings(truth)
    known = truth
    for _ in range(data.draw(st.integers(least, most), label="failing steps")):
        step = plan(want, known)
        if step.empty:
            break
        candidates = [op for op in step.ops if op not in step.reports]
        failing = data.draw(st.sets(st.sampled_from(candidates)) if candidates
                            else st.just(set()), label="failing")
        results = executed(step, failing, results_for(truth, step))
        made.record(step, results, want.dhcp_userid)
        live_ports = track_live_ports(live_ports, step, results)
        truth = apply(truth, step, results)
        known = apply(known, step, results)
        if step.reads:
            known = read(known, truth, step.reads)
        unneeded_effects_are_known(want, truth, known, made)
    return truth, known, live_ports, made


@SETTINGS
@given(worlds(), st.data())
def test_any_operation_may_fail_and_every_effect_is_undone_once_unneeded(world, data):
    """Steps with random failure sets, then some ports go away (deleted while
    failing, as in a failed attach), then passes without failures."""
    want, truth, live_ports = world
    truth, known, live_ports, made = failing_steps(want, truth, live_ports, data, 1, 4)
    gone = data.draw(st.sets(st.sampled_from(sorted(want.ports))) if want.ports
                     else st.just(set()), label="deleted ports")
    want = dataclasses.replace(want, ports={k: p for k, p in want.ports.items()
                                            if k not in gone})
    final, known, plans, live_ports = run(want, truth, known, live_ports)
    for step, _, before in plans:
        made.record(step, results_for(before, step), want.dhcp_userid)
    converged_safely(want, plans, final, known, live_ports, fixpoint_of=known)
    only_needed_effects_remain(want, final, known.reported, made)


# ----------------------------------------------------------------------- SSI relocation
# A guest relocates to another member of the SSI cluster: its NICs go with it
# (nothing of it is coupled or logged on here any more), its directory is shared
# (the destination's now) and its rows name the destination's zHCP (no desired
# port of it here).  Whatever failed before, this system must end with nothing
# the agent made for it, and must never touch its directory or NICs after it left.

MOVERS = ("LINUX01", "LINUX02")


def relocated(state: Observed, movers: frozenset[str]) -> Observed:
    """``state`` after ``movers``' guests left for another member."""
    switches = {name: dataclasses.replace(v, connections=frozenset(
                    nic for nic in v.connections if nic[0] not in movers))
                for name, v in state.vswitches.items()}
    guests = {u: dataclasses.replace(g, logged_on=False) if u in movers else g
              for u, g in state.guests.items()}
    return state.replace(vswitches=switches, guests=guests)


@SETTINGS
@given(worlds(), st.data())
def test_a_relocated_guest_loses_every_grant_here_and_its_directory_is_never_touched(
        world, data):
    want, truth, live_ports = world
    truth, known, live_ports, made = failing_steps(want, truth, live_ports, data, 0, 3)
    movers = frozenset(data.draw(st.sets(st.sampled_from(MOVERS), min_size=1), label="movers"))
    truth, known = relocated(truth, movers), relocated(known, movers)
    live_ports = {nic: n for nic, n in live_ports.items() if nic[0] not in movers}
    directories = {u: truth.guest(u).directory for u in movers}
    want = dataclasses.replace(
        want, ports={k: p for k, p in want.ports.items() if p.userid not in movers},
        rejected_nics={k: nic for k, nic in want.rejected_nics.items() if nic[0] not in movers},
        away=movers)
    final, known, plans, live_ports = run(want, truth, known, live_ports)
    for step, _, before in plans:
        made.record(step, results_for(before, step), want.dhcp_userid)
        touched = [op for op in step.ops if getattr(op, "userid", None) in movers]
        assert all(isinstance(op, (Revoke, RemovePort)) for op in touched), touched
    converged_safely(want, plans, final, known, live_ports, fixpoint_of=known)
    assert {u: final.guest(u).directory for u in movers} == directories
    made.couplings = {nic for nic in made.couplings if nic[0] not in movers}
    only_needed_effects_remain(want, final, known.reported, made)
    assert not {(v, u) for v, u in made.grants if u in movers} & {
        (name, u) for name, v in final.vswitches.items() for u in v.grants}
