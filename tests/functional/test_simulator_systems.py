"""One xCAT MN, two z/VM systems: the simulator keeps each system's CP and directory
state apart, runs a node's SMAPI calls on the system its ``zvm.hcp`` names, and lets
an IPL, a fault or a worker limit of one system leave the other alone."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml

import xcat.simulator
from xcat.simulator import scenario

TWO_SYSTEMS = Path(xcat.simulator.__file__).with_name("two_systems.yaml")


def grant_command(userid: str) -> str:
    return (f"smcli Virtual_Network_Vswitch_Set_Extended -T ZHCP -k switch_name=XCATVSW2 "
            f"-k grant_userid={userid}")


def dsh_ok(sim, zhcp: str, command: str) -> bool:
    """Whether ``command`` ran on ``zhcp`` with exit status 0 (xCAT's errorcode)."""
    messages = sim.dsh(zhcp, command)["data"]
    return messages[-1] == {"errorcode": ["0"]}


@pytest.fixture
def sim(simulator_factory):
    return simulator_factory(scenario=TWO_SYSTEMS)


def system(state: dict, zhcp: str) -> dict:
    return state["model"] if zhcp == "zhcp1" else state["systems"][zhcp]


def test_each_zhcp_runs_smapi_on_its_own_system(sim):
    state = sim.control.state()
    assert system(state, "zhcp1")["system"]["name"] == "ZVMSYS1"
    assert system(state, "zhcp2")["system"]["name"] == "ZVMSYS2"
    hcps = {r["node"]: r["hcp"] for r in state["tables"]["zvm"]["rows"]}
    assert hcps["linux01"] == "zhcp1" and hcps["linux11"] == "zhcp2"
    assert "LINUX11" not in system(state, "zhcp1")["guests"]
    assert "LINUX01" not in system(state, "zhcp2")["guests"]

    assert dsh_ok(sim, "zhcp2", grant_command("LINUX11"))
    state = sim.control.state()
    assert "LINUX11" in system(state, "zhcp2")["vswitches"]["XCATVSW2"]["grants"]
    assert "LINUX11" not in system(state, "zhcp1")["vswitches"]["XCATVSW2"]["grants"]
    assert not dsh_ok(sim, "zhcp2", "smcli Image_Query_DM -T LINUX01")  # system 1's guest
    assert dsh_ok(sim, "zhcp1", "smcli Image_Query_DM -T LINUX01")
    assert sim.control.counters()["smcli"]["by_zhcp"] == {"zhcp1": 1, "zhcp2": 2}


def test_a_nodes_vms_request_runs_on_its_zhcp(sim):
    response = sim.xcat("GET", "vms/linux11")
    assert response.status_code == 200, response.text
    assert "USER LINUX11 " in response.text
    assert sim.control.counters()["smcli"]["by_zhcp"] == {"zhcp2": 1}


def test_ipl_of_one_system_leaves_the_other_untouched(sim):
    assert dsh_ok(sim, "zhcp1", grant_command("LINUX01"))
    assert dsh_ok(sim, "zhcp2", grant_command("LINUX11"))
    before = sim.control.state()
    result = sim.control.fire("ipl", system="zhcp2")
    assert result["system"] == "zhcp2"
    after = sim.control.state()
    assert system(after, "zhcp1") == system(before, "zhcp1")
    two = system(after, "zhcp2")
    assert two["system"]["ipl_time"] != system(before, "zhcp2")["system"]["ipl_time"]
    assert "LINUX11" not in two["vswitches"]["XCATVSW2"]["grants"]  # not in SYSTEM CONFIG
    assert two["guests"]["LINUX11"]["logged_on"]                      # autolog
    assert not two["guests"]["LINUX13"]["logged_on"]


def test_guest_events_find_the_guests_system_and_ambiguous_userids_need_one(sim):
    assert sim.control.fire("logon", "LINUX13")["system"] == "zhcp2"
    assert sim.control.state()["systems"]["zhcp2"]["guests"]["LINUX13"]["logged_on"]
    with pytest.raises(AssertionError, match="several z/VM systems"):
        sim.control.fire("logoff", "ZHCP")
    with pytest.raises(AssertionError, match="no z/VM system is managed by zHCP 'zhcp9'"):
        sim.control.fire("ipl", system="zhcp9")
    with pytest.raises(AssertionError, match="xCAT MN runs on the system of zhcp1"):
        sim.control.fire("xcat_restart", system="zhcp2")
    sim.control.add_guest("LINUX01", "linux21", hcp="zhcp2", logged_on=True)
    assert "LINUX01" in sim.control.state()["systems"]["zhcp2"]["guests"]
    sim.control._call("DELETE", "/guests/LINUX01", {"system": "zhcp2"})
    state = sim.control.state()
    assert "LINUX01" not in state["systems"]["zhcp2"]["guests"]
    assert "LINUX01" in state["model"]["guests"]


def test_smapi_workers_and_faults_count_per_system(sim):
    """One worker per system: a call on each system at once both run (the gauge sees
    two in workers); a smapi rule naming zhcp2 fails only zhcp2's call."""
    sim.control.fault(smapi_workers=1, smcli_latency=0.5)
    barrier = threading.Barrier(2)
    outputs = {}

    def query(zhcp: str) -> None:
        barrier.wait()
        outputs[zhcp] = dsh_ok(sim, zhcp, "smcli Virtual_Network_Vswitch_Query -T ZHCP -s XCATVSW2")
    threads = [threading.Thread(target=query, args=(z,)) for z in ("zhcp1", "zhcp2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outputs == {"zhcp1": True, "zhcp2": True}
    assert sim.control.counters()["smcli"]["peak_in_workers"] == 2
    sim.control.clear_faults()
    sim.control.fault("smapi", function="Virtual_Network_Vswitch_Query", zhcp="zhcp2",
                      rc=8, rs=3002, count=1)
    query = "smcli Virtual_Network_Vswitch_Query -T ZHCP -s XCATVSW2"
    assert dsh_ok(sim, "zhcp1", query)
    assert not dsh_ok(sim, "zhcp2", query)
    assert dsh_ok(sim, "zhcp2", query)      # the rule is spent


def test_state_file_round_trip_keeps_every_system(simulator_factory, tmp_path):
    state_file = tmp_path / "sim-state.json"
    first = simulator_factory(scenario=TWO_SYSTEMS, state=state_file)
    assert dsh_ok(first, "zhcp2", grant_command("LINUX11"))
    first.stop()
    second = simulator_factory(scenario=TWO_SYSTEMS, state=state_file)
    state = second.control.state()
    assert "LINUX11" in state["systems"]["zhcp2"]["vswitches"]["XCATVSW2"]["grants"]
    assert "LINUX11" not in state["model"]["vswitches"]["XCATVSW2"]["grants"]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["systems"][0]["guests"].append({"userid": "X1", "node": "linux01"}),
     "systems[0].guests[4].node: linux01 is used twice"),
    (lambda d: d["systems"][0]["zhcp"].update(node="zhcp1"),
     "systems[0].zhcp.node: zhcp1 manages another system"),
    (lambda d: d["systems"][0]["system"].update(name="ZVMSYS1"),
     "systems[0].system.name: ZVMSYS1 is used twice"),
    (lambda d: d["systems"][0].update(xcat={}),
     "systems[0]: unknown key 'xcat'"),
    (lambda d: d["systems"][0]["guests"].pop(0),
     "systems[0].guests: the ZHCP guest (node zhcp2) is missing"),
    (lambda d: d["systems"][0]["vswitches"][0].update(transport="X"),
     "systems[0].vswitches[0].transport: expected ETHERNET or IP"),
])
def test_scenario_errors_name_the_system(edit, message):
    data = yaml.safe_load(TWO_SYSTEMS.read_text())
    edit(data)
    with pytest.raises(scenario.ScenarioError) as caught:
        scenario.build(data)
    assert str(caught.value) == message
