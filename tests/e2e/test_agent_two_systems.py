"""Two z/VM systems under one xCAT MN, an agent on each zHCP, one server.

After every step what each system holds equals what the database says: a
userid is granted on a managed vswitch of a system exactly when an ACTIVE port
bound to that system's zHCP needs it, with that port's VLAN; and each port's
binding names the host and zHCP of the agent that applied it.
"""
from __future__ import annotations

import time

import pytest

from tests.fixtures.procs import wait_for

pytestmark = pytest.mark.slow

MANAGED = ("VSW1", "FLATSW")
HOSTS = {"zhcp1": "zvmhost1", "zhcp2": "zvmhost2"}


def systems(stack) -> dict[str, dict]:
    state = stack.sim.control.state()
    return {"zhcp1": state["model"], **state["systems"]}


def held_grants(model: dict) -> dict[tuple[str, str], list[str]]:
    return {(name, userid): grant["vlans"]
            for name in MANAGED if name in model["vswitches"]
            for userid, grant in model["vswitches"][name]["grants"].items()}


def needed_grants(stack) -> dict[str, dict[tuple[str, str], list[str]]]:
    needed: dict[str, dict[tuple[str, str], list[str]]] = {z: {} for z in HOSTS}
    for port in stack.get("/ports")["ports"]:
        if port["status"] != "ACTIVE":
            continue
        details = port["binding:vif_details"]
        assert port["binding:host_id"] == HOSTS[details["zhcp_node"]], port
        vlans = [str(details["vlan"])] if details["vlan"] else []
        needed[details["zhcp_node"]][(details["vswitch"], details["userid"])] = vlans
    return needed


def mismatch(stack) -> dict | None:
    """What z/VM holds that the database does not say, per system (None: they agree)."""
    needed = needed_grants(stack)
    found = {zhcp: held_grants(model) for zhcp, model in systems(stack).items()}
    return None if found == needed else {"held": found, "needed": needed}


def assert_zvm_matches_db(stack, timeout: float = 30) -> None:
    wait_for(lambda: mismatch(stack) is None, timeout=timeout, interval=0.5,
             what=f"z/VM to equal the database: {mismatch(stack)}")


def port_on(stack, network: dict) -> dict:
    """A port nova created for an instance on ``stack``'s host (binding:host_id set)."""
    return stack.port(network["id"], **{"binding:host_id": stack.host})


def coupled(stack, zhcp: str, userid: str, vdev: str = "1000") -> str | None:
    nic = systems(stack)[zhcp]["guests"][userid]["active_nics"].get(vdev)
    return nic["coupled_to"] if nic else None


def test_one_vlan_network_spans_both_systems_and_each_agent_keeps_to_its_own(two_systems):
    one, two = two_systems()
    blue = one.network("blue", "vlan", "VSW1", 150)
    flat = one.network("flat", "flat", "FLATSW")
    # each system has a LINUX31: a userid names a guest only within a system
    one.guest("LINUX31")
    two.guest("LINUX32")
    two.guest_node("LINUX31", "linux41")
    on_one = port_on(one, blue)
    on_two = port_on(two, blue)
    twin = port_on(two, flat)
    one.hand_off("LINUX31", on_one["id"])
    two.hand_off("LINUX32", on_two["id"])
    two.hand_off_node("linux41", twin["id"])
    for port in (on_one, on_two, twin):
        one.wait_status(port["id"])

    details = {p: one.get(f"/ports/{p}")["port"]["binding:vif_details"]
               for p in (on_one["id"], on_two["id"], twin["id"])}
    assert details[on_one["id"]]["zhcp_node"] == "zhcp1"
    assert details[on_two["id"]]["zhcp_node"] == "zhcp2"
    assert details[twin["id"]] | {"zhcp_node": "zhcp2", "userid": "LINUX31",
                                  "vswitch": "FLATSW"} == details[twin["id"]]
    assert details[on_one["id"]]["vlan"] == details[on_two["id"]]["vlan"] == 150
    assert_zvm_matches_db(one)
    assert coupled(one, "zhcp1", "LINUX31") == "VSW1"
    assert coupled(one, "zhcp2", "LINUX32") == "VSW1"
    assert coupled(one, "zhcp2", "LINUX31") == "FLATSW"
    assert ("FLATSW", "LINUX31") not in held_grants(systems(one)["zhcp1"])

    agents = {a["host"]: a for a in one.get("/agents")["agents"]
              if a["agent_type"] == "z/VM agent"}
    assert set(agents) == {"zvmhost1", "zvmhost2"}
    assert {h: a["configurations"]["zhcp_node"] for h, a in agents.items()} == \
        {"zvmhost1": "zhcp1", "zvmhost2": "zhcp2"}
    assert all(a["alive"] for a in agents.values())

    # the port leaves system 2: only system 2 changes
    before = systems(one)["zhcp1"]
    two.remove_row(on_two["id"])
    one.wait_status(on_two["id"], "DOWN")
    assert_zvm_matches_db(one)
    assert coupled(one, "zhcp2", "LINUX32") is None
    after = systems(one)["zhcp1"]
    assert (after["vswitches"], after["guests"]) == (before["vswitches"], before["guests"])
    for stack in (one, two):
        assert "Traceback" not in stack.agent_log()


def test_an_ipl_of_one_system_is_repaired_by_its_agent_and_leaves_the_other_alone(two_systems):
    one, two = two_systems()
    blue = one.network("blue", "vlan", "VSW1", 150)
    ports = [port_on(one, blue), port_on(two, blue), port_on(two, blue)]
    one.guest("LINUX31")
    two.guest("LINUX32")
    two.guest("LINUX33")
    one.hand_off("LINUX31", ports[0]["id"])
    two.hand_off("LINUX32", ports[1]["id"])
    two.hand_off("LINUX33", ports[2]["id"])
    for port in ports:
        one.wait_status(port["id"])
    assert_zvm_matches_db(one)
    before = systems(one)

    result = one.sim.control.fire("ipl", system="zhcp2")
    assert result["system"] == "zhcp2"
    assert systems(one)["zhcp2"]["system"]["ipl_time"] != before["zhcp2"]["system"]["ipl_time"]
    wait_for(lambda: "IPLed" in two.agent_log(), timeout=30, what="agent 2 to see the IPL")
    assert_zvm_matches_db(one)
    wait_for(lambda: coupled(one, "zhcp2", "LINUX33") == "VSW1", timeout=30,
             what="LINUX33 coupled again")
    after = systems(one)
    assert (after["zhcp1"]["vswitches"], after["zhcp1"]["guests"]) == \
        (before["zhcp1"]["vswitches"], before["zhcp1"]["guests"])
    assert "IPLed" not in one.agent_log()
    assert all(one.port_status(p["id"]) == "ACTIVE" for p in ports)


def test_with_one_agent_killed_the_other_system_keeps_working(two_systems):
    one, two = two_systems(agent_down_time=4)
    blue = one.network("blue", "vlan", "VSW1", 150)
    for stack, userid in ((one, "LINUX31"), (one, "LINUX34"), (two, "LINUX32")):
        stack.guest(userid)
    first = port_on(one, blue)
    one.hand_off("LINUX31", first["id"])
    one.wait_status(first["id"])
    one.stop_agent()

    on_two = port_on(two, blue)
    on_one = port_on(one, blue)
    two.hand_off("LINUX32", on_two["id"])
    one.hand_off("LINUX34", on_one["id"])
    one.wait_status(on_two["id"])
    assert one.port_status(on_one["id"]) != "ACTIVE"
    assert ("VSW1", "LINUX34") not in held_grants(systems(one)["zhcp1"])
    assert_zvm_matches_db(one)

    def alive() -> dict[str, bool]:
        return {a["host"]: a["alive"] for a in one.get("/agents")["agents"]
                if a["agent_type"] == "z/VM agent"}
    wait_for(lambda: alive() == {"zvmhost1": False, "zvmhost2": True}, timeout=30,
             what="agent 1 reported down, agent 2 alive")

    one.start_agent()
    one.wait_status(on_one["id"])
    assert_zvm_matches_db(one)
    assert alive() == {"zvmhost1": True, "zvmhost2": True}


def test_a_row_naming_a_node_of_the_other_system_is_refused_and_touches_no_guest(two_systems):
    """zvm.hcp says linux31 runs on system 1; a row handing it to zhcp2 must not put
    system 2's own LINUX31 (another guest) on the network."""
    one, two = two_systems()
    blue = one.network("blue", "vlan", "VSW1", 150)
    one.guest("LINUX31")
    two.guest_node("LINUX31", "linux41")
    port = port_on(two, blue)
    two.hand_off_node("linux31", port["id"])
    failed = one.wait_status(port["id"], "ERROR")
    assert "managed by zHCP zhcp1" in failed["binding:vif_details"]["error"]
    assert_zvm_matches_db(one)
    for zhcp in HOSTS:
        assert ("VSW1", "LINUX31") not in held_grants(systems(one)[zhcp])
    assert coupled(one, "zhcp2", "LINUX31") is None
    assert systems(one)["zhcp2"]["guests"]["LINUX31"]["nicdefs"]["1000"]["lan_name"] is None


def relocate(stack, node: str, destination: str) -> list:
    """``rmigrate <node> destination=<system> action=MOVE`` through the xCAT REST API."""
    response = stack.sim.xcat("PUT", f"nodes/{node}/migrate",
                              body=[f"destination={destination}", "action=MOVE"])
    assert response.status_code == 200, response.text
    return response.json()["data"]


def hcp_of(stack, node: str) -> str:
    return next(r["hcp"] for r in stack.rows("zvm") if r["node"] == node)


def test_a_guest_relocates_with_its_network_and_nothing_stays_granted_on_the_source(
        two_systems):
    one, two = two_systems(ssi=True)
    blue = one.network("blue", "vlan", "VSW1", 150)
    one.guest("LINUX35")
    port = port_on(one, blue)
    one.hand_off("LINUX35", port["id"])
    one.wait_status(port["id"])
    assert_zvm_matches_db(one)
    mac = systems(one)["zhcp1"]["guests"]["LINUX35"]["active_nics"]["1000"]["mac"]

    # not yet granted on ZVMSYS2: z/VM refuses to move it, nothing changes (once both
    # agents are idle: the second may still be starting up, its vswitches and DHCP guest)
    wait_for(lambda: one.idle_requests(1.0, settle=0.5)[0] == {}, timeout=30,
             what="both agents idle")
    before = systems(one)
    refused = relocate(one, "linux35", "ZVMSYS2")
    assert "Failed" in str(refused) and hcp_of(one, "linux35") == "zhcp1"
    assert systems(one) == before

    # hand it over: its rows, then its binding; the destination grants ahead
    two.hand_off("LINUX35", port["id"])
    one.put(f"/ports/{port['id']}", {"port": {"binding:host_id": "zvmhost2"}})
    wait_for(lambda: ("VSW1", "LINUX35") in held_grants(systems(one)["zhcp2"]),
             timeout=30, what="the destination's grant ahead of the move")
    assert held_grants(systems(one)["zhcp2"])[("VSW1", "LINUX35")] == ["150"]
    assert coupled(one, "zhcp1", "LINUX35") == "VSW1"          # still served at the source
    assert ("VSW1", "LINUX35") in held_grants(systems(one)["zhcp1"])
    # waiting for the move costs a zvm read per cycle, no planning, no log line
    time.sleep(1.5)
    waiting = one.agent_log()
    time.sleep(2.5)
    assert one.agent_log() == waiting

    moved = relocate(one, "linux35", "ZVMSYS2")
    assert "Done" in str(moved), moved
    assert hcp_of(one, "linux35") == "zhcp2"
    assert coupled(one, "zhcp2", "LINUX35") == "VSW1"
    assert systems(one)["zhcp2"]["guests"]["LINUX35"]["active_nics"]["1000"]["mac"] == mac
    try:
        wait_for(lambda: ("VSW1", "LINUX35") not in held_grants(systems(one)["zhcp1"]),
                 timeout=30, what="the source's grant revoked")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- source agent ---\n{one.agent_log()[-3000:]}") from None
    assert_zvm_matches_db(one)
    shown = one.get(f"/ports/{port['id']}")["port"]
    assert shown["status"] == "ACTIVE" and shown["binding:host_id"] == "zvmhost2"
    assert shown["binding:vif_details"]["zhcp_node"] == "zhcp2"
    nicdef = systems(one)["zhcp2"]["guests"]["LINUX35"]["nicdefs"]["1000"]
    assert nicdef["lan_name"] == "VSW1"          # the shared directory was never uncoupled
    for stack in (one, two):
        assert "Traceback" not in stack.agent_log()
