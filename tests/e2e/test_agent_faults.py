"""The agent under faults: z/VM IPL, xCAT MN restart, xCAT and RPC outages, kill -9.

Simulator, server and agent are real processes; faults come from the
simulator's control plane (events, fault rules) or from stopping processes.
"""
from __future__ import annotations

import signal
import time

import pytest

from tests.fixtures.procs import Process, command, port_open, wait_for
from xcat import tables
from xcat.client import XcatClient

pytestmark = pytest.mark.slow


def grants(stack, vswitch):
    vsw = stack.model()["vswitches"].get(vswitch)
    return None if vsw is None else vsw["grants"]


def coupled(stack, userid, vdev):
    nic = stack.model()["guests"][userid]["active_nics"].get(vdev)
    return nic and nic["coupled_to"]


def test_ipl_reapplies_every_binding_in_one_pass(zvm_stack):
    stack = zvm_stack(start_agent=False)
    # an administrator's VLAN-aware VSW1 that is not in SYSTEM CONFIG: an IPL loses it
    stack.sim.control.add_vswitch("VSW1", transport="ETHERNET", vlan_aware=True, default_vid=1)
    net = stack.network("blue", "vlan", "VSW1", 150)
    ports = []
    for userid in ("LINUX07", "LINUX08", "LINUX09"):
        stack.guest(userid, ("1000",), autolog=True)
        port = stack.port(net["id"])
        stack.hand_off(userid, port["id"])
        ports.append(port)
    stack.start_agent()
    for port in ports:
        stack.wait_status(port["id"])
    stack.sim.control.fire("ipl")
    assert "VSW1" not in stack.model()["vswitches"]
    wait_for(lambda: grants(stack, "VSW1") and len(grants(stack, "VSW1")) >= 3, timeout=20,
             what="VSW1 re-created and grants re-applied")
    model = stack.model()
    assert model["vswitches"]["VSW1"]["persistent"]
    for userid in ("LINUX07", "LINUX08", "LINUX09"):
        assert model["vswitches"]["VSW1"]["grants"][userid]["vlans"] == ["150"]
        wait_for(lambda u=userid: coupled(stack, u, "1000") == "VSW1", timeout=10,
                 what=f"{userid} coupled after the IPL")
    assert "IPLed" in stack.agent_log()
    # the re-grant went in one batch: one dsh carried all three grants
    counters = stack.sim.control.counters()
    assert counters["smcli"]["by_function"]["Virtual_Network_Vswitch_Set_Extended"] >= 6


def mgt_addresses(stack):
    nic = stack.model()["guests"]["XCAT"]["active_nics"].get("0800")
    return nic and [a["local"] for a in nic["addresses"]]


def agent_errors(stack):
    agents = [a for a in stack.get("/agents")["agents"] if a["agent_type"] == "z/VM agent"]
    return agents[0]["configurations"]["errors"] if agents else None


def test_xcat_mn_restart_redoes_the_management_nic(zvm_stack):
    stack = zvm_stack(ini="xcat_mgt_ip = 10.9.0.1\nxcat_mgt_mask = 255.255.0.0\n")
    wait_for(lambda: coupled(stack, "XCAT", "0800") == "FLATSW"
             and mgt_addresses(stack) == ["10.9.0.1/16"], timeout=20,
             what="management NIC 0800 on FLATSW with 10.9.0.1/16")
    nic = stack.model()["guests"]["XCAT"]["active_nics"]["0800"]
    assert nic["link_up"] and nic["online"]   # znetconf -a before the address (s390-tools)
    wait_for(lambda: agent_errors(stack) == [], timeout=10, what="a report without errors")
    stack.sim.control.fire("xcat_restart")
    assert coupled(stack, "XCAT", "0800") is None
    wait_for(lambda: coupled(stack, "XCAT", "0800") == "FLATSW"
             and mgt_addresses(stack) == ["10.9.0.1/16"], timeout=20,
             what="management NIC 0800 and its address again after the xCAT MN restart")
    # an address the agent did not choose is reported, never overwritten
    stack.stop_agent()
    stack.sim.control.fire("xcat_restart")
    out = stack.sim.dsh("xcat", "vmcp define nic 0800 type qdio; znetconf -a 0800; "
                                "ip addr add 10.9.0.7/24 dev enccw0.0.0800")
    assert out["data"][-1] == {"errorcode": ["0"]}, out
    stack.start_agent()
    wait_for(lambda: any("enccw0.0.0800" in e and "refusing" in e
                         for e in agent_errors(stack) or []), timeout=20,
             what="the conflicting management address reported")
    assert mgt_addresses(stack) == ["10.9.0.7/24"]


def test_xcat_outage_backs_off_and_resyncs(zvm_stack):
    stack = zvm_stack()
    net = stack.network("blue", "vlan", "VSW1", 150)
    stack.guest("LINUX07", ("1000",))
    wait_for(lambda: "VSW1" in stack.model()["vswitches"], timeout=20, what="agent start-up")
    stack.sim.control.fault("outage", duration=4, mode="reset")
    port = stack.port(net["id"])
    time.sleep(1.5)
    assert stack.agent.alive()
    stack.wait_status(port["id"], "DOWN", timeout=5)  # nothing applied during the outage
    time.sleep(3)
    stack.hand_off("LINUX07", port["id"])
    stack.wait_status(port["id"], timeout=30)
    assert "retrying" in stack.agent_log()
    assert grants(stack, "VSW1")["LINUX07"]["vlans"] == ["150"]


def test_plugin_outage_keeps_the_agent_running_and_resyncs(zvm_stack):
    stack = zvm_stack()
    net = stack.network("blue", "vlan", "VSW1", 150)
    stack.guest("LINUX07", ("1000",))
    first = stack.port(net["id"])
    stack.hand_off("LINUX07", first["id"])
    stack.wait_status(first["id"])
    second = stack.port(net["id"])
    stack.guest("LINUX08", ("1000",))
    stack.server.stop()
    stack.hand_off("LINUX08", second["id"])
    time.sleep(3)
    assert stack.agent.alive()
    assert "LINUX08" not in grants(stack, "VSW1")  # no details, nothing applied
    stack.server.process = Process([command("quantum-zvm-server"), "--config-file",
                                    str(stack.server.config_path)], stack.tmp / "server2.log")
    wait_for(lambda: port_open(stack.server.port), timeout=30, what="server restart")
    stack.wait_status(second["id"], timeout=40)
    assert grants(stack, "VSW1")["LINUX08"]["vlans"] == ["150"]


def test_agent_killed_mid_batch_converges_on_restart(zvm_stack):
    stack = zvm_stack(start_agent=False)
    stack.sim.control.fault(smcli_latency=0.1)
    blue = stack.network("blue", "vlan", "VSW1", 150)
    red = stack.network("red", "vlan", "VSW1", 160)
    ports = {}
    for i in range(16):
        userid = f"LNX{i:04d}"
        stack.guest(userid, ("1000",))
        port = stack.port((blue if i % 2 else red)["id"])
        stack.hand_off(userid, port["id"])
        ports[userid] = (port, 150 if i % 2 else 160)
    stack.start_agent()
    wait_for(lambda: stack.sim.control.counters()["smcli"]["by_function"].get(
        "Virtual_Network_Vswitch_Set_Extended", 0) >= 4, timeout=30, interval=0.02,
        what="the batch to be under way")
    stack.stop_agent(signal.SIGKILL)
    done = stack.sim.control.counters()["smcli"]["by_function"].get(
        "Virtual_Network_Adapter_Connect_Vswitch", 0)
    assert done < len(ports)  # really killed in the middle
    stack.sim.control.fault(smcli_latency=0)
    stack.start_agent()
    for port, _ in ports.values():
        stack.wait_status(port["id"], timeout=40)
    model = stack.model()
    vsw = model["vswitches"]["VSW1"]
    config = model["system_config"]["grants"]["VSW1"]
    for userid, (_, vlan) in ports.items():
        assert vsw["grants"][userid]["vlans"] == [str(vlan)]
        assert config[userid]["vlans"] == [str(vlan)]
        assert model["guests"][userid]["nicdefs"]["1000"]["lan_name"] == "VSW1"
        assert model["guests"][userid]["active_nics"]["1000"]["coupled_to"] == "VSW1"
    assert set(vsw["grants"]) == set(ports)


def zvm_agent(stack):
    agents = [a for a in stack.get("/agents")["agents"] if a["agent_type"] == "z/VM agent"]
    return agents[0] if agents else None


def test_heartbeat_outlives_a_thousand_failing_ports_and_a_hostile_reason(zvm_stack):
    stack = zvm_stack()
    net = stack.post("/networks", {"network": {"name": "wide"}})["network"]  # no subnet
    wait_for(lambda: zvm_agent(stack), timeout=20, what="the first heartbeat")
    ports = stack.post("/ports", {"ports": [{"network_id": net["id"]}
                                            for _ in range(1000)]})["ports"]
    with XcatClient(stack.sim.url, stack.sim.username, stack.sim.password) as client:
        tables.run_tabch_script(client, "xcat", [  # 999 rows whose vdev is no device number
            tables.tabch_upsert_argv("switch", {"port": p["id"]},
                                     {"node": f"ghost{i}", "interface": f"BAD{i:04d}{'X' * 200}",
                                      "comments": "zhcp1"}) for i, p in enumerate(ports[1:])])
    hostile = "$(reboot)\u202e\"\\" + "\u00e9" * 3000  # and one long hostile value
    assert stack.sim.xcat("PUT", "tables/switch", body=[
        f"node=ghost,interface={hostile} switch.port={ports[0]['id']} switch.comments=zhcp1",
    ]).status_code == 200
    wait_for(lambda: zvm_agent(stack)["configurations"].get("error_count", 0) >= 1000,
             timeout=60, what="1,000 port errors in the heartbeat")
    beat = zvm_agent(stack)["heartbeat_timestamp"]
    wait_for(lambda: zvm_agent(stack)["heartbeat_timestamp"] != beat, timeout=10,
             what="heartbeats going on after the errors")
    agent = zvm_agent(stack)
    assert agent["alive"] and stack.agent.alive()
    errors = agent["configurations"]["errors"]
    assert 0 < len(errors) <= 5
    assert all(e.isascii() and e.isprintable() and len(e) <= 300 for e in errors)
    assert "Traceback" not in stack.agent_log()


def cycles_logged(stack):
    return stack.agent_log().count(" cycle: ")  # only cycles that were not idle are logged


def quiet_for(stack, seconds):
    before = cycles_logged(stack)
    time.sleep(seconds)
    return cycles_logged(stack) == before


def test_a_failing_port_once_deleted_leaves_the_agent_idle(zvm_stack):
    stack = zvm_stack()
    net = stack.network("blue", "vlan", "VSW1", 150)
    stack.guest("LINUX07", ("1000",))
    stack.sim.control.fault("smapi", function="Virtual_Network_Vswitch_Set_Extended",
                            userid="LINUX07", rc=396, rs=2838)  # every grant fails
    port = stack.port(net["id"])
    stack.hand_off("LINUX07", port["id"])
    stack.wait_status(port["id"], "ERROR")
    stack.delete(f"/ports/{port['id']}")
    stack.remove_row(port["id"])
    before = cycles_logged(stack)
    wait_for(lambda: cycles_logged(stack) > before, timeout=20, what="a cycle after the deletion")
    wait_for(lambda: quiet_for(stack, 3), timeout=30, what="idle cycles after the deletion")


def test_a_probe_finds_the_xcat_mn_back_within_seconds_after_a_burst_of_500s(zvm_stack):
    stack = zvm_stack()
    net = stack.network("blue", "vlan", "VSW1", 150)
    stack.guest("LINUX07", ("1000",))
    port = stack.port(net["id"])
    wait_for(lambda: "VSW1" in stack.model()["vswitches"], timeout=20, what="agent start-up")
    stack.sim.control.fault("http_error", status=500)  # every xCAT request, until cleared
    wait_for(lambda: "retrying in 32s" in stack.agent_log(), timeout=60, interval=0.5,
             what="the back-off to reach 32 s")
    # The back-off starts with a probe: one that answers says the failure lies elsewhere
    # and the full back-off stands.  Clear the outage only once a probe of this back-off
    # has met it (a version request after the log line), else the test races the agent.
    probes = stack.sim.control.counters()["rest"]["by_resource"].get("version", 0)
    wait_for(lambda: stack.sim.control.counters()["rest"]["by_resource"].get("version", 0)
             > probes, timeout=10, interval=0.2, what="a probe during the 32 s back-off")
    stack.sim.control.clear_faults()
    stack.hand_off("LINUX07", port["id"])  # a row change: nothing wakes the agent but a probe
    stack.wait_status(port["id"], timeout=10)  # the back-off alone would wait ~30 s more
    assert "xCAT MN answers again" in stack.agent_log()
