"""No guest on another tenant's VLAN: a failed attach is undone (issue repro).

Tenant D's network has VLAN 102; a port of it is bound to LINUX05 and the
directory couple fails (SMAPI 500/8, DirMaint not available).  The grant and
the NICDEF that succeeded must not outlive the port: once the port and then
the network are deleted and VLAN 102 goes to tenant C, LINUX05 holds nothing
on VSW1.  Simulator, server and agent are real processes.
"""
from __future__ import annotations

import pytest

from tests.fixtures.agent import HOST
from tests.fixtures.procs import wait_for

pytestmark = pytest.mark.slow

DIRMAINT_DOWN = {"rc": 500, "rs": 8}


def vsw1(stack) -> dict:
    return stack.model()["vswitches"].get("VSW1") or {"grants": {}}


def holds_nothing_on_vsw1(stack, userid: str, vdev: str = "1000") -> bool:
    guest = stack.model()["guests"][userid]
    nic = guest["active_nics"].get(vdev)
    return (userid not in vsw1(stack)["grants"]
            and (nic is None or nic["coupled_to"] is None)
            and (guest["nicdefs"].get(vdev) or {}).get("lan") in (None, "", "*"))


def tenant_network(stack, tenant: str, vlan: int) -> dict:
    net = stack.post("/networks", {"network": {
        "name": f"net-{tenant}", "tenant_id": tenant, "provider:network_type": "vlan",
        "provider:physical_network": "VSW1", "provider:segmentation_id": vlan}})["network"]
    stack.post("/subnets", {"subnet": {"network_id": net["id"], "tenant_id": tenant,
                                       "ip_version": 4, "cidr": f"10.{vlan}.0.0/24"}})
    return net


def delete_handed_off(stack, port: dict) -> None:
    """Remove a handed-off port's row, delete the port, wait until the agent's
    records no longer name it."""
    stack.remove_row(port["id"])
    stack.delete(f"/ports/{port['id']}")
    wait_for(lambda: port["id"] not in stack.agent_records().get("bindings", {}), timeout=30,
             what="the deleted port's record dropped")


def test_failed_attach_leaves_no_grant_for_the_next_tenant_of_the_vlan(zvm_stack):
    stack = zvm_stack()                 # LINUX05: logged on, no NICs (default scenario)
    stack.guest("LINUX08")
    stack.sim.control.fault("smapi", function="Virtual_Network_Adapter_Connect_Vswitch_DM",
                            userid="LINUX05", **DIRMAINT_DOWN)
    net_d = tenant_network(stack, "tenant-d", 102)
    port = stack.port(net_d["id"], tenant_id="tenant-d", **{
        "binding:host_id": HOST, "binding:profile": {"zvm_userid": "LINUX05"}})
    stack.wait_status(port["id"], "ERROR")
    # the steps before the failure happened; the live couple after it did not
    assert vsw1(stack)["grants"]["LINUX05"]["vlans"] == ["102"]
    assert "1000" in stack.model()["guests"]["LINUX05"]["nicdefs"]
    assert (stack.model()["guests"]["LINUX05"]["active_nics"].get("1000") or {}).get(
        "coupled_to") is None

    stack.delete(f"/ports/{port['id']}")
    wait_for(lambda: "LINUX05" not in vsw1(stack)["grants"], timeout=30,
             what="the failed port's grant revoked")
    wait_for(lambda: "1000" not in stack.model()["guests"]["LINUX05"]["nicdefs"], timeout=30,
             what="the failed port's NIC removed")
    stack.delete(f"/networks/{net_d['id']}")
    stack.sim.control.clear_faults()

    net_c = tenant_network(stack, "tenant-c", 102)
    port_c = stack.port(net_c["id"], tenant_id="tenant-c")
    stack.hand_off("LINUX08", port_c["id"])
    stack.wait_status(port_c["id"])
    assert vsw1(stack)["grants"]["LINUX08"]["vlans"] == ["102"]
    assert holds_nothing_on_vsw1(stack, "LINUX05")


def test_a_row_naming_a_missing_nic_is_refused_without_a_grant(zvm_stack):
    stack = zvm_stack()
    stack.guest("LINUX07")              # has NIC 1000 only
    net = tenant_network(stack, "tenant-d", 103)
    port = stack.port(net["id"], tenant_id="tenant-d")
    stack.hand_off("LINUX07", port["id"], vdev="0F00")
    stack.wait_status(port["id"], "ERROR")
    assert "LINUX07" not in vsw1(stack)["grants"]
    stack.remove_row(port["id"])
    stack.delete(f"/ports/{port['id']}")
    wait_for(lambda: holds_nothing_on_vsw1(stack, "LINUX07", "0F00"), timeout=30,
             what="no grant left for LINUX07")
    assert "LINUX07" not in vsw1(stack)["grants"]


def test_a_port_that_never_got_anything_leaves_no_record_once_deleted(zvm_stack):
    stack = zvm_stack()
    stack.guest("LINUX07")
    stack.sim.control.fault("smapi", function="Virtual_Network_Vswitch_Set_Extended",
                            userid="LINUX07", **DIRMAINT_DOWN)
    net = tenant_network(stack, "tenant-d", 104)
    port = stack.port(net["id"], tenant_id="tenant-d")
    stack.hand_off("LINUX07", port["id"])
    stack.wait_status(port["id"], "ERROR")
    assert "LINUX07" not in vsw1(stack)["grants"]
    delete_handed_off(stack, port)
    assert holds_nothing_on_vsw1(stack, "LINUX07")


def test_a_row_naming_a_valid_but_unknown_userid_gets_nothing(zvm_stack):
    stack = zvm_stack()
    stack.sim.control.add_node("ghost01", userid="GHOST01", hcp="zhcp1")  # no such guest
    net = tenant_network(stack, "tenant-d", 105)
    port = stack.port(net["id"], tenant_id="tenant-d")
    stack.hand_off("GHOST01", port["id"])
    stack.wait_status(port["id"], "ERROR")
    assert "GHOST01" not in vsw1(stack)["grants"]
    delete_handed_off(stack, port)
    assert "GHOST01" not in vsw1(stack)["grants"]
