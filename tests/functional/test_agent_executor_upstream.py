"""The executor against a simulator that behaves as zHCP's sources say it does
(zVMopenstack/zhcp b6f01c6): a persisted revoke of an unpersisted grant (620/58)
and a Vswitch_Query_Extended that exits 1 after complete records."""
from __future__ import annotations

import pytest

from quantum_zvm.agent.executor import Executor
from quantum_zvm.agent.model import Plan, Revoke
from quantum_zvm.agent.planner import Result
from xcat.client import XcatClient

SMCLI = "/opt/zhcp/bin/smcli"


@pytest.fixture
def zvm(simulator):
    simulator.control.add_vswitch("VSW1", transport="ETHERNET", vlan_aware=True, default_vid=1)
    client = XcatClient(simulator.url, simulator.username, simulator.password)
    yield simulator, Executor(client, "zhcp1", "ZHCP", "xcat")
    client.close()


def _grants(sim, name):
    return sim.control.state()["model"]["vswitches"][name]["grants"]


def test_revoking_a_grant_system_config_never_held_is_done(zvm):
    sim, executor = zvm
    sim.dsh("zhcp1", f"{SMCLI} Virtual_Network_Vswitch_Set_Extended -T LINUX07 "
                     "-k switch_name=VSW1 -k grant_userid=LINUX07 -k persist=NO")
    assert "LINUX07" in _grants(sim, "VSW1")
    op = Revoke("VSW1", "LINUX07", ports=("p1",))
    run = executor.execute(Plan(ops=(op,)))
    assert run.results[op] == Result.OK and not run.errors
    assert "LINUX07" not in _grants(sim, "VSW1")


def test_observe_reads_the_vswitches_when_query_extended_exits_1_after_complete_records(zvm):
    sim, executor = zvm
    for line in (f"{SMCLI} Virtual_Network_Vswitch_Create -T ZHCP -n DISCSW -r 6100 -c 2 -t 2",
                 f"{SMCLI} Virtual_Network_Vswitch_Set_Extended -T ZHCP -k switch_name=VSW1 "
                 "-k grant_userid=LINUX07 -k user_vlan_id=150"):
        assert sim.dsh("zhcp1", line)["data"][-1] == {"errorcode": ["0"]}
    vswitches, _, problems = executor.observe(["VSW1", "DISCSW"])
    assert not problems
    assert set(vswitches) == {"VSW1", "DISCSW"}
    assert vswitches["VSW1"].grants["LINUX07"].vlans == frozenset({150})
