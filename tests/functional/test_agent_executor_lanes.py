"""The executor's lanes (one dsh request in flight per SMAPI worker) against a real
xcat-zvm-simulator process."""
from __future__ import annotations

import uuid

import pytest

from quantum_zvm.agent.executor import Executor
from quantum_zvm.agent.model import STATUS_ACTIVE, DesiredPort, DesiredState, Observed, VswitchSpec
from quantum_zvm.agent.planner import apply, plan
from xcat.client import XcatClient

SPECS = {"VSW1": VswitchSpec("VSW1", ((100, 199),))}
GUESTS = [f"LANE{n:02d}" for n in range(1, 7)]


@pytest.fixture
def zvm(simulator):
    sim = simulator
    sim.control.add_vswitch("VSW1", transport="ETHERNET", vlan_aware=True, default_vid=1)
    for userid in GUESTS:
        sim.control.add_guest(userid, userid.lower(), logged_on=True, nicdefs=[{"vdev": "1000"}])
    return sim


def executor_for(sim, workers: int) -> Executor:
    client = XcatClient(sim.url, sim.username, sim.password, pool_size=workers + 1)
    return Executor(client, "zhcp1", "ZHCP", "xcat", workers=workers)


def attach_all(sim, executor: Executor, *fault: dict):
    """Plan one VLAN port per guest from a fresh read, inject ``fault`` rules, run
    the plan; (step, run, state)."""
    ports = {str(uuid.UUID(int=n + 1)): DesiredPort(
        str(uuid.UUID(int=n + 1)), userid, "1000", "VSW1", 101 + n, "net", node=userid.lower())
        for n, userid in enumerate(GUESTS)}
    vswitches, read, problems = executor.observe(["VSW1"], GUESTS)
    assert not problems
    state = Observed(vswitches, {g.userid: g for g in read})
    step = plan(DesiredState(ports, {}, SPECS), state)
    for rule in fault:
        sim.control.fault(**rule)
    return step, executor.execute(step), state


def zvm_grants(sim) -> set[tuple[str, str]]:
    grants = sim.control.state()["model"]["vswitches"]["VSW1"]["grants"]
    return {("VSW1", userid) for userid in grants}


@pytest.mark.parametrize("workers", [1, 3])
def test_independent_guests_go_out_side_by_side_up_to_the_workers(zvm, workers):
    sim = zvm
    sim.control.fault(rest_latency=0, smcli_latency=0.05, smapi_workers=3)
    sim.control.reset_counters()
    executor = executor_for(sim, workers)
    _, run, _ = attach_all(sim, executor)
    assert not run.errors and run.unknown is None and run.failure is None
    assert [r.outcome.status for r in run.reports] == [STATUS_ACTIVE] * len(GUESTS)
    counters = sim.control.counters()
    # the rows' tabch script on the MN and the plan's lanes on the zHCP
    assert counters["dsh"]["peak_in_flight"] == workers
    assert counters["smcli"]["peak_in_workers"] == workers
    model = sim.control.state()["model"]
    for n, userid in enumerate(GUESTS):
        assert model["vswitches"]["VSW1"]["grants"][userid]["vlans"] == [str(101 + n)]
        assert model["guests"][userid]["active_nics"]["1000"]["coupled_to"] == "VSW1"


@pytest.mark.parametrize("status, maybe_ran", [(400, False), (504, True)])
def test_a_lane_that_fails_leaves_every_grant_on_z_vm_in_the_records(zvm, status, maybe_ran):
    # one of three concurrent requests fails: the other lanes' work stands and is
    # recorded; the failed lane's ports are not reported (planned again), and a
    # grant that may exist on z/VM is never missing from the records (it would
    # look like somebody else's grant, and its port would be refused)
    sim = zvm
    sim.control.fault(rest_latency=0, smcli_latency=0.02, smapi_workers=3)
    executor = executor_for(sim, 3)
    step, run, state = attach_all(sim, executor, {
        "kind": "http_error", "status": status, "count": 1, "match": {"resource": "nodes/dsh"}})
    reported = {r.port_id for r in run.reports if r.outcome.status == STATUS_ACTIVE}
    assert 0 < len(reported) < len(GUESTS)
    assert (run.unknown is not None) is maybe_ran
    assert (run.failure is not None) is (not maybe_ran)
    records = apply(state, step, run.results)
    assert zvm_grants(sim) <= records.granted
    for port_id in reported:
        userid = step.bindings[port_id].userid
        assert ("VSW1", userid) in zvm_grants(sim)
    if not maybe_ran:  # refused before xdsh ran: its guests were not touched
        untouched = {b.userid for p, b in step.bindings.items() if p not in reported}
        assert not {u for _, u in zvm_grants(sim)} & untouched
