"""SSI cluster SSI1 (ssi_cluster.yaml: ZVMSYS1/zhcp1 and ZVMSYS2/zhcp2) and live guest
relocation: the shared user directory, smcli VMRELOCATE / VMRELOCATE_Status on a member's
zHCP, and xCAT ``rmigrate`` (``PUT /xcatws/nodes/<node>/migrate``), over a simulator
process."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import xcat.simulator
from xcat.simulator import scenario

SSI_CLUSTER = Path(xcat.simulator.__file__).with_name("ssi_cluster.yaml")
NIC = {"vdev": "1000", "lan": "VSW1", "macid": "000107"}
MAC = "FA163E000107"          # USERPREFIX + MACID: the same on both members


@pytest.fixture
def sim(simulator_factory):
    return simulator_factory(scenario=SSI_CLUSTER)


def system(state: dict, zhcp: str) -> dict:
    return state["model"] if zhcp == "zhcp1" else state["systems"][zhcp]


def smcli(sim, zhcp: str, command: str) -> tuple[bool, str]:
    """(exit status 0, the output without the node prefixes) of smcli on ``zhcp``."""
    messages = sim.dsh(zhcp, "smcli " + command)["data"]
    text = "".join(chunk for m in messages for chunk in m.get("data", []))
    text = "\n".join(line.removeprefix(f"{zhcp}: ") for line in text.splitlines())
    return messages[-1] == {"errorcode": ["0"]}, text


def migrate(sim, node: str, *operands: str) -> list[dict]:
    response = sim.xcat("PUT", f"nodes/{node}/migrate", body=list(operands))
    assert response.status_code == 200, response.text
    return response.json()["data"]


def zvm_row(sim, node: str) -> dict:
    rows = sim.control.state()["tables"]["zvm"]["rows"]
    return next(r for r in rows if r["node"] == node)


def relocatable_guest(sim, dest_grant: dict | None = None, dest_vswitch: bool = True,
                      vlan_aware: bool = True) -> None:
    """LINUX07 (node linux07) on ZVMSYS1, logged on, NIC 1000 coupled to VSW1 (VLAN 100);
    ZVMSYS2's VSW1 grants ``dest_grant`` (default: the same)."""
    grant = {"userid": "LINUX07", "vlans": ["100"]} if vlan_aware else {"userid": "LINUX07"}
    sim.control.add_vswitch("VSW1", system="zhcp1", vlan_aware=vlan_aware, grants=[grant])
    if dest_vswitch:
        sim.control.add_vswitch("VSW1", system="zhcp2", vlan_aware=vlan_aware,
                                grants=[dest_grant or grant] if dest_grant != {} else [])
    sim.control.add_guest("LINUX07", "linux07", ip="10.1.0.7", logged_on=True, nicdefs=[NIC])


def guest_states(sim, userid: str = "LINUX07") -> tuple[dict, dict, dict]:
    state = sim.control.state()
    return (system(state, "zhcp1")["guests"][userid], system(state, "zhcp2")["guests"][userid],
            {r["node"]: r for r in state["tables"]["zvm"]["rows"]})


# --------------------------------------------------------------- the cluster
def test_a_nicdef_change_on_one_member_shows_on_the_other(sim):
    """LINUX03 is defined on ZVMSYS1 only: a single-configuration guest, one directory."""
    ok, _ = smcli(sim, "zhcp1", "Image_Definition_Update_DM -T LINUX03 -k "
                                "'NICDEF=VDEV=1000 TYPE=QDIO LAN=SYSTEM SWITCHNAME=VSW1 "
                                "MACID=000103'")
    assert ok
    ok, text = smcli(sim, "zhcp2", "Image_Query_DM -T LINUX03")
    assert ok, text
    assert "NICDEF 1000 TYPE QDIO LAN SYSTEM VSW1 MACID 000103" in text
    ok, _ = smcli(sim, "zhcp2", "Virtual_Network_Adapter_Delete_DM -T LINUX03 -v 1000")
    assert ok
    assert "NICDEF 1000" not in smcli(sim, "zhcp1", "Image_Query_DM -T LINUX03")[1]
    state = sim.control.state()
    assert system(state, "zhcp1")["guests"]["LINUX03"]["logged_on"]
    assert not system(state, "zhcp2")["guests"]["LINUX03"]["logged_on"]   # own CP state
    # ZHCP, defined on each member, is a multiconfiguration guest: nothing shared
    smcli(sim, "zhcp1", "Image_Definition_Update_DM -T ZHCP -k 'NICDEF=VDEV=1000 TYPE=QDIO'")
    assert "NICDEF 1000" in smcli(sim, "zhcp1", "Image_Query_DM -T ZHCP")[1]
    assert "NICDEF 1000" not in smcli(sim, "zhcp2", "Image_Query_DM -T ZHCP")[1]


def test_a_control_guest_is_on_every_member_and_logs_on_at_one(sim):
    sim.control.add_guest("LINUX21", "linux21", hcp="zhcp2", logged_on=True)
    one, two, rows = guest_states(sim, "LINUX21")
    assert not one["logged_on"] and two["logged_on"] and rows["linux21"]["hcp"] == "zhcp2"
    with pytest.raises(AssertionError, match="logged on at ZVMSYS2"):
        sim.control.fire("logon", "LINUX21", system="zhcp1")
    assert sim.control.fire("logoff", "LINUX21")["system"] == "zhcp2"
    sim.control.remove_guest("LINUX21")
    state = sim.control.state()
    assert "LINUX21" not in system(state, "zhcp1")["guests"]
    assert "LINUX21" not in system(state, "zhcp2")["guests"]


def test_defining_a_members_guest_on_another_member_makes_it_multiconfiguration(sim):
    """LINUX01 (single-configuration, defined on ZVMSYS1) defined again on ZVMSYS2: two
    separate entries, as an IDENTITY with a SUBCONFIG per member; no longer relocatable."""
    with pytest.raises(AssertionError, match="guest LINUX01 already exists"):
        sim.control.add_guest("LINUX01", "linux21", hcp="zhcp1")
    sim.control.add_guest("LINUX01", "linux21", hcp="zhcp2", logged_on=True)
    smcli(sim, "zhcp2", "Image_Definition_Update_DM -T LINUX01 -k 'NICDEF=VDEV=1000 TYPE=QDIO'")
    assert "NICDEF 1000" not in smcli(sim, "zhcp1", "Image_Query_DM -T LINUX01")[1]
    one, two, _ = guest_states(sim, "LINUX01")
    assert one["logged_on"] and two["logged_on"]
    text = smcli(sim, "zhcp1", "VMRELOCATE -T LINUX01 -k destination=ZVMSYS2 -k action=TEST")[1]
    assert "Reason Code: 1823" in text
    # a guest relocated to ZVMSYS2 runs there: ZVMSYS2 cannot get its own entry of it
    relocatable_guest(sim)
    assert migrate(sim, "linux07", "destination=ZVMSYS2", "action=MOVE")[0]["info"]
    with pytest.raises(AssertionError, match="guest LINUX07 already exists"):
        sim.control.add_guest("LINUX07", "linux27", hcp="zhcp2")


def test_sharing_survives_a_state_file_and_a_reset(simulator_factory, tmp_path):
    state_file = tmp_path / "sim-state.json"
    first = simulator_factory(scenario=SSI_CLUSTER, state=state_file)
    assert smcli(first, "zhcp1", "Image_Definition_Update_DM -T LINUX04 -k "
                                 "'NICDEF=VDEV=1000 TYPE=QDIO'")[0]
    first.stop()
    second = simulator_factory(scenario=SSI_CLUSTER, state=state_file)
    assert "NICDEF 1000" in smcli(second, "zhcp2", "Image_Query_DM -T LINUX04")[1]
    assert smcli(second, "zhcp2", "Image_Definition_Update_DM -T LINUX04 -k "
                                  "'NICDEF=VDEV=2000 TYPE=QDIO'")[0]
    assert "NICDEF 2000" in smcli(second, "zhcp1", "Image_Query_DM -T LINUX04")[1]
    assert "NICDEF 1000" not in smcli(second, "zhcp1", "Image_Query_DM -T ZHCP")[1]
    second.control.reset()
    assert smcli(second, "zhcp2", "Image_Definition_Update_DM -T LINUX04 -k "
                                  "'NICDEF=VDEV=3000 TYPE=QDIO'")[0]
    text = smcli(second, "zhcp1", "Image_Query_DM -T LINUX04")[1]
    assert "NICDEF 3000" in text and "NICDEF 1000" not in text


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["systems"][0]["vmlan"].update(macprefix="020000"),
     "systems[0].vmlan.macprefix: 020000 is also the MACPREFIX of ZVMSYS1; the members of "
     "SSI SSI1 need different ones"),
    (lambda d: d["systems"][0]["vmlan"].update(userprefix="02AAAA"),
     "systems[0].vmlan.userprefix: 02AAAA differs from ZVMSYS1's FA163E; the members of "
     "SSI SSI1 need the same USERPREFIX"),
    (lambda d: d["system"].update(ssi="TOO-LONG-NAME"), "system.ssi: "),
])
def test_ssi_members_need_distinct_macprefixes_and_one_userprefix(edit, message):
    data = yaml.safe_load(SSI_CLUSTER.read_text())
    edit(data)
    with pytest.raises(scenario.ScenarioError) as caught:
        scenario.build(data)
    assert str(caught.value).startswith(message)


# ---------------------------------------------------------------- relocation
def zvm_lines(sim) -> list[str]:
    """The ``zvm`` table as the REST API dumps it (what an agent reads)."""
    return sim.xcat("GET", "tables/zvm").json()["data"][0]["data"]


def test_rmigrate_move_relocates_the_guest_and_moves_its_zhcp(sim):
    relocatable_guest(sim)
    before, _, _ = guest_states(sim)
    assert before["active_nics"]["1000"]["mac"] == MAC
    assert '"linux07","zhcp1","LINUX07",,,,' in zvm_lines(sim)  # a dump the simulator keeps
    sim.control.reset_counters()
    data = migrate(sim, "linux07", "destination=ZVMSYS2", "action=MOVE", "immediate=NO",
                   "max_total=NOLIMIT", "max_quiesce=010")
    assert data == [{"info": ["linux07: Running VMRELOCATE action=MOVE against LINUX07... "
                              "Done\n"]}]
    one, two, rows = guest_states(sim)
    assert not one["logged_on"] and one["active_nics"] == {}
    assert two["logged_on"] and two["activation_time"] == before["activation_time"]
    nic = two["active_nics"]["1000"]
    assert (nic["mac"], nic["coupled_to"]) == (MAC, "VSW1")
    assert rows["linux07"]["hcp"] == "zhcp2" and rows["linux07"]["parent"] == "ZVMSYS2"
    assert '"linux07","zhcp2","LINUX07",,"ZVMSYS2",,' in zvm_lines(sim)
    counters = sim.control.counters()["smcli"]
    assert counters["by_function"] == {"VMRELOCATE": 1, "VMRELOCATE_Status": 1}
    assert counters["by_zhcp"] == {"zhcp1": 2}
    # the node now runs on ZVMSYS2: its SMAPI calls go to zhcp2, its CP state is there
    assert "LINUX07 was activated" in smcli(sim, "zhcp2",
                                            "Image_Query_Activate_Time -T LINUX07 -f 1")[1]
    assert "USER LINUX07 " in sim.xcat("GET", "vms/linux07").text
    with pytest.raises(AssertionError, match="logged on at ZVMSYS2"):
        sim.control.fire("logon", "LINUX07", system="zhcp1")
    # and back again, with smcli on zhcp2
    ok, text = smcli(sim, "zhcp2", "VMRELOCATE -T LINUX07 -k destination=ZVMSYS1 "
                                   "-k action=MOVE")
    assert ok, text
    one, two, _ = guest_states(sim)
    assert one["logged_on"] and one["active_nics"]["1000"]["mac"] == MAC
    assert not two["logged_on"]


@pytest.mark.parametrize(("setup", "reason"), [
    ({"dest_grant": {}}, "NIC 1000: LINUX07 is not authorized for VSW1 on ZVMSYS2"),
    ({"dest_vswitch": False}, "NIC 1000: VSWITCH VSW1 does not exist on ZVMSYS2"),
    ({"dest_grant": {"userid": "LINUX07", "vlans": ["200"]}},
     "NIC 1000: LINUX07 is granted VLANs 200 on VSWITCH VSW1 on ZVMSYS2, 100 on ZVMSYS1"),
])
def test_move_is_refused_when_the_destination_cannot_couple_the_nic(sim, setup, reason):
    relocatable_guest(sim, **setup)
    before = guest_states(sim)
    ok, text = smcli(sim, "zhcp1", "VMRELOCATE -T LINUX07 -k destination=ZVMSYS2 "
                                   "-k action=MOVE")
    assert not ok
    assert text == ("Running VMRELOCATE action=MOVE against LINUX07... Failed\n"
                    "  Return Code: 8\n  Reason Code: 3000\n"
                    "  Description: VMRELOCATE MOVE error\n"
                    f"Details: {reason}")
    assert guest_states(sim) == before
    ok, text = smcli(sim, "zhcp1", "VMRELOCATE -T LINUX07 -k destination=ZVMSYS2 "
                                   "-k action=TEST")
    assert not ok and "Return Code: 4\n  Reason Code: 3000\n" in text
    assert "Description: VMRELOCATE TEST error" in text and f"Details: {reason}" in text
    data = migrate(sim, "linux07", "destination=ZVMSYS2", "action=MOVE")
    assert data[0]["errorcode"] == ["1"] and "Reason Code: 3000" in data[0]["error"][0]
    assert len(data) == 1
    assert guest_states(sim) == before          # zvm.hcp stays zhcp1


def test_move_needs_the_same_vlan_awareness(sim):
    relocatable_guest(sim, vlan_aware=False, dest_vswitch=False)
    sim.control.add_vswitch("VSW1", system="zhcp2", vlan_aware=True, grants=["LINUX07"])
    text = smcli(sim, "zhcp1", "VMRELOCATE -T LINUX07 -k destination=ZVMSYS2 -k action=MOVE")[1]
    assert "Details: NIC 1000: VSWITCH VSW1 is VLAN UNAWARE on ZVMSYS1 but VLAN AWARE on " \
           "ZVMSYS2" in text


def test_test_action_checks_and_changes_nothing(sim):
    relocatable_guest(sim)
    before = guest_states(sim)
    data = migrate(sim, "linux07", "destination=ZVMSYS2", "action=TEST")
    assert data == [{"info": ["linux07: Running VMRELOCATE action=TEST against LINUX07... "
                              "Done\n"]}]
    assert guest_states(sim) == before
    assert sim.control.counters()["smcli"]["by_function"] == {"VMRELOCATE": 1}


@pytest.mark.parametrize(("userid", "action", "lines"), [
    ("LINUX04", "MOVE", ["Return Code: 8", "Reason Code: 3000",
                         "Description: VMRELOCATE MOVE error", "Details: 0045"]),
    ("LINUX04", "TEST", ["Return Code: 4", "Reason Code: 3000",
                         "Description: VMRELOCATE TEST error", "Details: 0045"]),
    ("ZHCP", "MOVE", ["Return Code: 8", "Reason Code: 1823",
                      "Description: A multiconfiguration virtual machine cannot be relocated"]),
])
def test_vmrelocate_refuses_a_guest_not_logged_on_and_a_multiconfiguration_one(
        sim, userid, action, lines):
    ok, text = smcli(sim, "zhcp1", f"VMRELOCATE -T {userid} -k destination=ZVMSYS2 "
                                   f"-k action={action}")
    assert not ok
    assert [line.strip() for line in text.splitlines()] == [
        f"Running VMRELOCATE action={action} against {userid}... Failed", *lines]


@pytest.mark.parametrize(("destination", "action", "rc"), [
    ("ZVMSYS9", "MOVE", 8), ("ZVMSYS9", "TEST", 4), ("ZVMSYS1", "MOVE", 8)])
def test_vmrelocate_needs_another_member_of_the_ssi(sim, destination, action, rc):
    ok, text = smcli(sim, "zhcp1", f"VMRELOCATE -T LINUX01 -k destination={destination} "
                                   f"-k action={action}")
    assert not ok
    assert f"Return Code: {rc}\n  Reason Code: 3008\n" in text
    assert "Description: System is not a member of an SSI cluster" in text


def test_outside_an_ssi_nothing_relocates(simulator_factory, tmp_path):
    data = yaml.safe_load(SSI_CLUSTER.read_text())
    del data["system"]["ssi"], data["systems"][0]["system"]["ssi"]
    path = tmp_path / "separate.yaml"
    path.write_text(yaml.safe_dump(data))
    sim = simulator_factory(scenario=path)
    text = smcli(sim, "zhcp1", "VMRELOCATE -T LINUX01 -k destination=ZVMSYS2 -k action=MOVE")[1]
    assert "Return Code: 8\n  Reason Code: 3008\n" in text


def test_vmrelocate_status_and_usage(sim):
    ok, text = smcli(sim, "zhcp1", "VMRELOCATE_Status -T ZHCP -k status_target=LINUX01")
    assert not ok
    assert text == ("Failed\n  Return Code: 4\n  Reason Code: 3001\n"
                    "  Description: No active relocations found")
    ok, text = smcli(sim, "zhcp1", "VMRELOCATE -T LINUX01 -k action=MOVE -k immediate=YES")
    assert not ok and "ERROR: Missing required options" in text
    ok, text = smcli(sim, "zhcp1", "VMRELOCATE -T LINUX01 -k destination=ZVMSYS2 "
                                   "-k action=JUMP")
    assert "Reason Code: 3003" in text


def test_vmrelocate_needs_smapi_level_620(simulator_factory, tmp_path):
    data = yaml.safe_load(SSI_CLUSTER.read_text())
    data["system"]["smapi_level"] = 611
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(data))
    sim = simulator_factory(scenario=path)
    ok, text = smcli(sim, "zhcp1", "VMRELOCATE -T LINUX01 -k destination=ZVMSYS2 "
                                   "-k action=TEST")
    assert not ok and "ERROR: Unsupported API function name" in text
    sim.stop()
    data["system"]["smapi_level"] = 620
    path.write_text(yaml.safe_dump(data))
    sim = simulator_factory(scenario=path)
    assert smcli(sim, "zhcp1", "VMRELOCATE -T LINUX01 -k destination=ZVMSYS2 "
                               "-k action=TEST")[0]


# ------------------------------------------------------------ xCAT rmigrate
@pytest.mark.parametrize(("operands", "messages"), [
    (["destination=ZVMSYS2"],
     [{"error": ["linux01: (Error) One or more required operands was not specified: "
                 "'action' or 'destination'."], "errorcode": ["1"]}]),
    (["action=MOVE"],
     [{"error": ["linux01: (Error) One or more required operands was not specified: "
                 "'action' or 'destination'."], "errorcode": ["1"]}]),
    (["destination=ZVMSYS9", "action=MOVE"],
     [{"error": ["linux01: (Error) Failed to find zHCP of ZVMSYS9"], "errorcode": ["1"]},
      {"info": ["linux01: (Solution) Set the hcp appropriately in the zvm table"]}]),
])
def test_rmigrate_operand_errors(sim, operands, messages):
    sim.control.reset_counters()
    assert migrate(sim, "linux01", *operands) == messages
    assert sim.control.counters()["smcli"]["total"] == 0
    assert zvm_row(sim, "linux01")["hcp"] == "zhcp1"


def test_rmigrate_finds_the_destination_node_in_lower_or_upper_case(sim):
    relocatable_guest(sim)
    sim.control.remove_node("zvmsys2")
    sim.control.add_node("ZVMSYS2", hcp="zhcp2")
    data = migrate(sim, "linux07", "destination=zvmsys2", "action=MOVE")
    assert "Done" in data[-1]["info"][0]
    row = zvm_row(sim, "linux07")
    assert (row["hcp"], row["parent"]) == ("zhcp2", "zvmsys2")


def test_rmigrate_needs_a_body_and_put(sim):
    response = sim.xcat("PUT", "nodes/linux01/migrate", body=[])
    assert response.status_code == 400 and "No set attribute was supplied." in response.text
    assert sim.xcat("GET", "nodes/linux01/migrate").status_code == 405
    assert sim.xcat("PUT", "nodes/nosuch/migrate",
                    body=["destination=ZVMSYS2", "action=MOVE"]).status_code == 403
