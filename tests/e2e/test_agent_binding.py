"""The agent end to end: simulator, server and agent as real processes."""
from __future__ import annotations

import pytest

from tests.fixtures.agent import HOST
from tests.fixtures.procs import wait_for

pytestmark = pytest.mark.slow


def grant(stack, vswitch, userid):
    return stack.model()["vswitches"][vswitch]["grants"].get(userid)


def nicdef(stack, userid, vdev):
    return stack.model()["guests"][userid]["nicdefs"].get(vdev)


def test_hand_off_and_api_ports_converge_then_idle_costs_one_request(zvm_stack):
    stack = zvm_stack()
    vlan_net = stack.network("blue", "vlan", "VSW1", 150)
    flat_net = stack.network("flat", "flat", "FLATSW")
    stack.guest("LINUX07", ("1000",))
    p_vlan = stack.port(vlan_net["id"])
    p_flat = stack.port(flat_net["id"])
    stack.hand_off("LINUX07", p_vlan["id"], "1000")
    # API-driven: the agent defines the NIC itself (LINUX01 has no NICDEF)
    p_api = stack.port(flat_net["id"], **{"binding:host_id": HOST,
                                          "binding:profile": {"zvm_userid": "LINUX01"}})
    for port in (p_vlan, p_api):
        stack.wait_status(port["id"])
    assert stack.port_status(p_flat["id"]) == "DOWN"  # never handed to z/VM

    assert grant(stack, "VSW1", "LINUX07")["vlans"] == ["150"]
    assert nicdef(stack, "LINUX07", "1000")["lan_name"] == "VSW1"
    assert stack.model()["guests"]["LINUX07"]["active_nics"]["1000"]["coupled_to"] == "VSW1"
    assert grant(stack, "FLATSW", "LINUX01") is not None
    api_nic = nicdef(stack, "LINUX01", "1000")
    assert api_nic["macid"] == p_api["mac_address"].replace(":", "")[6:].upper()
    assert api_nic["lan_name"] == "FLATSW"
    rows = {r["port"]: r for r in stack.rows("switch")}
    assert rows[p_vlan["id"]]["switch"] == "VSW1" and rows[p_vlan["id"]]["vlan"] == "150"
    assert rows[p_api["id"]]["switch"] == "FLATSW" and rows[p_api["id"]]["vlan"] == "-1"
    assert rows[p_api["id"]]["node"] == "linux01" and rows[p_api["id"]]["interface"] == "1000"
    assert any(r["node"] == "linux01" and r["mac"] == p_api["mac_address"]
               for r in stack.rows("mac"))
    details = stack.get(f"/ports/{p_vlan['id']}")["port"]["binding:vif_details"]
    assert details["vswitch"] == "VSW1" and details["vlan"] == 150

    agents = stack.get("/agents")["agents"]
    (agent,) = [a for a in agents if a["agent_type"] == "z/VM agent"]
    assert agent["host"] == HOST and agent["alive"]
    assert agent["configurations"]["zhcp_node"] == "zhcp1"
    assert set(agent["configurations"]["vswitch_mappings"]) == {"VSW1", "FLATSW"}

    # idle: one tabdump per cycle, nothing else
    other, tabdumps = stack.idle_requests(4)
    assert not other, other
    assert 2 <= tabdumps <= 6


def test_admin_state_and_removal(zvm_stack):
    stack = zvm_stack()
    net = stack.network("blue", "vlan", "VSW1", 150)
    stack.guest("LINUX07", ("1000", "1003"))
    p1, p2 = stack.port(net["id"]), stack.port(net["id"])
    stack.hand_off("LINUX07", p1["id"], "1000")
    stack.hand_off("LINUX07", p2["id"], "1003")
    stack.wait_status(p1["id"]), stack.wait_status(p2["id"])

    stack.put(f"/ports/{p1['id']}", {"port": {"admin_state_up": False}})
    stack.wait_status(p1["id"], "DOWN")
    # a notified port's cycle plans its userid only, not every port bound; the cycle's
    # summary is logged after its reports, so it may follow the status by a moment
    wait_for(lambda: "scoped to the changed ports" in stack.agent_log(), timeout=10,
             what="a cycle scoped to the changed ports", details=stack.agent_log)
    wait_for(lambda: nicdef(stack, "LINUX07", "1000")["lan_name"] is None, timeout=10,
             what="NIC 1000 uncoupled")
    assert grant(stack, "VSW1", "LINUX07") is not None  # binding kept
    stack.put(f"/ports/{p1['id']}", {"port": {"admin_state_up": True}})
    stack.wait_status(p1["id"], "ACTIVE")
    wait_for(lambda: nicdef(stack, "LINUX07", "1000")["lan_name"] == "VSW1", timeout=10,
             what="NIC 1000 coupled again")

    # one of two ports goes: uncoupled, the userid keeps its grant for the other
    stack.remove_row(p2["id"])
    wait_for(lambda: nicdef(stack, "LINUX07", "1003")["lan_name"] is None, timeout=10,
             what="NIC 1003 uncoupled")
    assert grant(stack, "VSW1", "LINUX07")["vlans"] == ["150"]
    # the last one goes: revoked
    stack.remove_row(p1["id"])
    wait_for(lambda: grant(stack, "VSW1", "LINUX07") is None, timeout=10, what="revoke")
    assert nicdef(stack, "LINUX07", "1000")["lan_name"] is None


def test_second_nic_in_another_vlan_is_refused_with_a_reason(zvm_stack):
    stack = zvm_stack()
    blue = stack.network("blue", "vlan", "VSW1", 150)
    red = stack.network("red", "vlan", "VSW1", 160)
    stack.guest("LINUX07", ("1000", "1003"))
    p_blue, p_red = stack.port(blue["id"]), stack.port(red["id"])
    stack.hand_off("LINUX07", p_blue["id"], "1000")
    stack.wait_status(p_blue["id"])
    stack.hand_off("LINUX07", p_red["id"], "1003")
    port = stack.wait_status(p_red["id"], "ERROR")
    assert "VLAN 150" in port["binding:vif_details"]["error"]
    assert grant(stack, "VSW1", "LINUX07")["vlans"] == ["150"]  # never re-granted
    assert nicdef(stack, "LINUX07", "1003")["lan_name"] is None
    assert stack.port_status(p_blue["id"]) == "ACTIVE"


def test_api_unbinding_detaches_the_nic(zvm_stack):
    stack = zvm_stack()
    net = stack.network("blue", "vlan", "VSW1", 150)
    port = stack.port(net["id"], **{"binding:host_id": HOST,
                                    "binding:profile": {"zvm_userid": "LINUX02"}})
    stack.wait_status(port["id"])
    assert nicdef(stack, "LINUX02", "1000")["lan_name"] == "VSW1"
    stack.put(f"/ports/{port['id']}", {"port": {"binding:host_id": "",
                                                "binding:profile": {}}})
    wait_for(lambda: nicdef(stack, "LINUX02", "1000") is None, timeout=30,
             what="NIC removed from the directory")
    # the rows go in a later request than the directory change
    wait_for(lambda: all(r["port"] != port["id"] for r in stack.rows("switch")), timeout=30,
             what="the port's switch row removed")
    assert grant(stack, "VSW1", "LINUX02") is None


def test_dhcp_guest_is_trunked_on_the_vlans_of_dhcp_networks(zvm_stack):
    stack = zvm_stack(ini="dhcp_userid = DHCPAGT\n")
    with_dhcp = stack.network("blue", "vlan", "VSW1", 150, dhcp=True)
    without = stack.network("red", "vlan", "VSW1", 160, dhcp=False)
    stack.guest("LINUX07", ("1000",))
    stack.guest("LINUX08", ("1000",))
    p1, p2 = stack.port(with_dhcp["id"]), stack.port(without["id"])
    stack.hand_off("LINUX07", p1["id"])
    stack.hand_off("LINUX08", p2["id"])
    stack.wait_status(p1["id"]), stack.wait_status(p2["id"])
    dhcp = wait_for(lambda: grant(stack, "VSW1", "DHCPAGT"), timeout=10, what="DHCP grant")
    assert dhcp["porttype"] == "TRUNK" and dhcp["vlans"] == ["150"]
    # the last port of the DHCP network goes: so does the VLAN (and the grant)
    stack.remove_row(p1["id"])
    wait_for(lambda: grant(stack, "VSW1", "DHCPAGT") is None, timeout=10,
             what="DHCP guest revoked")


def test_deleting_an_api_bound_port_detaches_its_nic(zvm_stack):
    stack = zvm_stack()
    net = stack.network("blue", "vlan", "VSW1", 150)
    port = stack.port(net["id"], **{"binding:host_id": HOST,
                                    "binding:profile": {"zvm_userid": "LINUX02"}})
    stack.wait_status(port["id"])
    stack.delete(f"/ports/{port['id']}")
    wait_for(lambda: nicdef(stack, "LINUX02", "1000") is None, timeout=30,
             what="NIC removed from the directory")
    # the rows go in a later request than the directory change
    wait_for(lambda: all(r["port"] != port["id"] for r in stack.rows("switch")), timeout=30,
             what="the port's switch row removed")
    assert not any(r["node"] == "linux02" for r in stack.rows("mac"))
    assert grant(stack, "VSW1", "LINUX02") is None


def test_refused_port_nic_left_on_a_vlan_aware_vswitch_is_uncoupled(zvm_stack):
    stack = zvm_stack(start_agent=False)
    # LINUX09's NIC 1000 is on VSW1 in VLAN 150 (granted and coupled by someone else)
    stack.sim.control.add_vswitch("VSW1", transport="ETHERNET", vlan_aware=True, default_vid=1,
                                  grants=[{"userid": "LINUX09", "porttype": "ACCESS",
                                           "vlans": [150]}])
    # and an administrator made FLATSW VLAN-aware: no flat network can be bound on it
    stack.sim.control.add_vswitch("FLATSW", transport="ETHERNET", vlan_aware=True,
                                  default_vid=1)
    stack.sim.control.add_guest("LINUX09", "linux09", logged_on=True,
                                nicdefs=[{"vdev": "1000", "lan": "VSW1"}])
    assert stack.model()["guests"]["LINUX09"]["active_nics"]["1000"]["coupled_to"] == "VSW1"
    flat = stack.network("flat", "flat", "FLATSW")
    port = stack.port(flat["id"])
    stack.start_agent()
    wait_for(lambda: any(a["agent_type"] == "z/VM agent" and a["alive"]
                         for a in stack.get("/agents")["agents"]), timeout=20, what="agent")
    # handed over to a running agent: LINUX09's directory was never read
    stack.hand_off("LINUX09", port["id"], "1000")
    refused = stack.wait_status(port["id"], "ERROR")
    assert "FLATSW is VLAN-aware" in refused["binding:vif_details"]["error"]

    def uncoupled():
        guest = stack.model()["guests"]["LINUX09"]
        return (guest["nicdefs"]["1000"]["lan_name"] is None
                and not guest["active_nics"]["1000"]["coupled_to"])
    wait_for(uncoupled, timeout=10, what="NIC 1000 uncoupled from VSW1")

    # the refused port costs nothing more: idle cycles are one tabdump each
    other, _ = stack.idle_requests(3)
    assert not other, other


def test_a_nic_moved_to_another_vlan_holds_only_the_new_vlan(zvm_stack):
    # CP adds a GRANT's VLANs to a user's set and a second grant takes the user's NICs
    # down (simulator, after feilong af368e633): the agent uncouples, revokes, grants anew
    stack = zvm_stack()
    blue = stack.network("blue", "vlan", "VSW1", 150)
    red = stack.network("red", "vlan", "VSW1", 160)
    stack.guest("LINUX07", ("1000",))
    old = stack.port(blue["id"])
    stack.hand_off("LINUX07", old["id"], "1000")
    stack.wait_status(old["id"])
    stack.stop_agent()
    new = stack.port(red["id"])
    stack.remove_row(old["id"])
    stack.hand_off("LINUX07", new["id"], "1000")
    stack.start_agent()
    stack.wait_status(new["id"])
    assert grant(stack, "VSW1", "LINUX07")["vlans"] == ["160"]
    wait_for(lambda: stack.model()["guests"]["LINUX07"]["active_nics"]["1000"]["coupled_to"]
             == "VSW1", timeout=10, what="NIC 1000 coupled again")
    assert grant(stack, "VSW1", "LINUX07")["vlans"] == ["160"]
