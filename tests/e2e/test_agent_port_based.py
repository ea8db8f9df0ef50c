"""End to end: two NICs of one guest in two VLANs on a port-based vswitch."""
from __future__ import annotations

import pytest

from tests.fixtures.procs import wait_for

pytestmark = pytest.mark.slow


def test_two_nics_in_two_vlans_each_get_their_own_port_then_one_is_released(zvm_stack):
    stack = zvm_stack(start_agent=False)
    stack.sim.control.add_vswitch("VSW1", vlan_aware=True, user_based=False, rdevs=["6000"])
    stack.start_agent()
    blue = stack.network("blue", "vlan", "VSW1", 150)
    red = stack.network("red", "vlan", "VSW1", 160)
    stack.guest("LINUX07", ("1000", "1003"))
    p_blue, p_red = stack.port(blue["id"]), stack.port(red["id"])
    stack.hand_off("LINUX07", p_blue["id"], "1000")
    stack.hand_off("LINUX07", p_red["id"], "1003")
    stack.wait_status(p_blue["id"]), stack.wait_status(p_red["id"])

    model = stack.model()
    vsw = model["vswitches"]["VSW1"]
    ports = {int(n): (p["userid"], p["vlans"]) for n, p in vsw["ports"].items()}
    assert ports == {1: ("LINUX07", ["150"]), 2: ("LINUX07", ["160"])}
    assert "LINUX07" not in vsw["grants"]  # the ports carry the VLANs, no user grant
    guest = model["guests"]["LINUX07"]
    live = {v: (n["coupled_to"], n["port"]) for v, n in guest["active_nics"].items()}
    assert live == {"1000": ("VSW1", 1), "1003": ("VSW1", 2)}
    directory = {v: (n["lan_name"], n["portnumber"]) for v, n in guest["nicdefs"].items()}
    assert directory == {"1000": ("VSW1", 1), "1003": ("VSW1", 2)}

    stack.remove_row(p_red["id"])

    def released():
        return "2" not in stack.model()["vswitches"]["VSW1"]["ports"]
    wait_for(released, timeout=15, what="vswitch port 2 released")
    model = stack.model()
    guest = model["guests"]["LINUX07"]
    assert guest["active_nics"]["1003"]["coupled_to"] is None
    assert guest["nicdefs"]["1003"]["lan_name"] is None
    assert {n: p["vlans"] for n, p in model["vswitches"]["VSW1"]["ports"].items()} == {
        "1": ["150"]}
    assert (guest["active_nics"]["1000"]["coupled_to"], guest["active_nics"]["1000"]["port"],
            guest["nicdefs"]["1000"]["portnumber"]) == ("VSW1", 1, 1)
    assert stack.port_status(p_blue["id"]) == "ACTIVE"
