"""The simulator's control plane over real HTTP: events, guests and nodes, faults, counters."""
from __future__ import annotations

import concurrent.futures
import time

import pytest
import requests

from tests.fixtures.simulator import start_simulator


def _ipl_time(sim) -> str:
    text = sim.dsh("zhcp1", "smcli System_Info_Query")["data"][0]["data"][0]
    return text.split("\n")[4].split(": ", 3)[2]


def test_ipl_event_drops_non_persistent_state(simulator):
    before = _ipl_time(simulator)
    script = ("smcli Virtual_Network_Vswitch_Create -T ZHCP -n TEMP -t 2 -v 5 -u 1\n"
              "smcli Virtual_Network_Vswitch_Create_Extended -T ZHCP -k switch_name=KEEP "
              "-k transport_type=ETHERNET -k vlan_id=AWARE -k persist=YES\n"
              "smcli Virtual_Network_Vswitch_Set_Extended -T LINUX01 -k switch_name=KEEP "
              "-k grant_userid=LINUX01 -k user_vlan_id=10 -k persist=YES\n"
              "smcli Virtual_Network_Vswitch_Set_Extended -T LINUX02 -k switch_name=KEEP "
              "-k grant_userid=LINUX02\n")
    assert simulator.dsh("zhcp1", script)["data"][-1] == {"errorcode": ["0"]}
    result = simulator.control.fire("ipl")
    assert result["ipl_time"] != before.rsplit(" ", 1)[0]
    assert _ipl_time(simulator) == result["ipl_time"] + " EDT"
    state = simulator.control.state()["model"]
    assert "TEMP" not in state["vswitches"] and set(state["vswitches"]["KEEP"]["grants"]) == \
        {"LINUX01"}
    assert state["guests"]["LINUX01"]["logged_on"] and not state["guests"]["LINUX03"]["logged_on"]
    gone = simulator.dsh("zhcp1", "smcli Virtual_Network_Vswitch_Set_Extended -T LINUX01 "
                                  "-k switch_name=TEMP -k grant_userid=LINUX01")
    assert "zhcp1:   Return Code: 212\nzhcp1:   Reason Code: 40" in gone["data"][0]["data"][0]
    down = simulator.dsh("linux03", "true")
    assert down["data"][-1] == {"errorcode": ["1"]}


def test_xcat_restart_drops_cp_defined_nic_and_changes_activation_time(simulator):
    define = simulator.dsh("xcat", "vmcp define nic 0800 type qdio\n"
                                   "vmcp couple 0800 system XCATVSW2")
    assert define["data"][0]["data"] == ["xcat: NIC 0800 is created; devices 0800-0802 defined\n"
                                         "xcat: NIC 0800 is connected to VSWITCH SYSTEM XCATVSW2"]
    query = "smcli Image_Query_Activate_Time -T XCAT -f 4"
    before = simulator.dsh("zhcp1", query)["data"][0]["data"][0]
    simulator.control.fire("xcat_restart", at="2014-06-13 08:00:00")
    after = simulator.dsh("zhcp1", query)["data"][0]["data"][0]
    assert before != after == "zhcp1: XCAT was activated on 2014-06-13 at 08:00:00"
    assert "does not exist" in simulator.dsh("xcat", "vmcp q v nic 800")["data"][0]["data"][0]


def test_logon_logoff_and_bad_events(simulator):
    simulator.control.fire("logon", "LINUX04")
    assert simulator.dsh("linux04", "echo up")["data"][0]["data"] == ["linux04: up"]
    simulator.control.fire("logoff", "linux04")
    assert simulator.dsh("linux04", "echo up")["data"][-1] == {"errorcode": ["1"]}
    bad = requests.post(simulator.url + "/_sim/events", json={"event": "logoff",
                                                               "userid": "LINUX04"}, timeout=10)
    assert bad.status_code == 400 and "not logged on" in bad.json()["error"]
    assert requests.post(simulator.url + "/_sim/events", json={"event": "explode"},
                         timeout=10).status_code == 400


def test_add_and_remove_guests_and_nodes(simulator):
    simulator.control.add_guest("OS000001", "os000001", logged_on=True, ip="10.1.0.50",
                                nicdefs=[{"vdev": "1000", "macid": "0E4E8E"}])
    zvm = simulator.xcat("GET", "tables/zvm", "&col=node&value=os000001&attribute=userid")
    assert zvm.json() == {"data": [{"data": ["OS000001"]}]}
    nic = simulator.dsh("os000001", "vmcp q v nic 1000")["data"][0]["data"][0]
    assert "MAC: FA-16-3E-0E-4E-8E" in nic and "LAN: * None" in nic
    clash = requests.post(simulator.url + "/_sim/guests", json={
        "userid": "OS000002", "nicdefs": [{"vdev": "1000", "macid": "0E4E8E"}]}, timeout=10)
    assert clash.status_code == 400 and "MACID" in clash.json()["error"]
    invalid = requests.post(simulator.url + "/_sim/guests", json={"userid": "TOO-LONG-ID"},
                            timeout=10)
    assert invalid.status_code == 400 and invalid.json()["error"].startswith("guest.userid")
    simulator.control.remove_guest("OS000001")
    assert simulator.xcat("PUT", "nodes/os000001/dsh", body=["command=true"]).status_code == 403
    simulator.control.add_node("phantom", userid="PHANTOM")
    assert simulator.dsh("phantom", "true")["data"][-1] == {"errorcode": ["1"]}
    simulator.control.remove_node("phantom")
    assert simulator.xcat("GET", "tables/nodelist").json()["data"][0]["data"][-1].startswith(
        '"linux06"')


def test_fault_rules_http_error_non_json_truncate_reset(simulator):
    c = simulator.control
    c.fault("http_error", status=503, count=1, match={"resource": "nodes/dsh"})
    assert simulator.xcat("GET", "tables/switch").status_code == 200
    first = simulator.xcat("PUT", "nodes/zhcp1/dsh", body=["command=true"])
    assert first.status_code == 503
    assert simulator.xcat("PUT", "nodes/zhcp1/dsh", body=["command=true"]).status_code == 200
    c.fault("non_json", count=1, match={"table": "switch"})
    odd = simulator.xcat("GET", "tables/switch")
    assert odd.status_code == 200 and odd.text.startswith("<html>")
    c.fault("truncate", count=1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        simulator.xcat("GET", "tables/zvm")
    c.fault("reset", count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        simulator.xcat("GET", "tables/zvm")
    assert simulator.xcat("GET", "tables/zvm").status_code == 200
    assert c.faults()["rules"] == []


def test_timeout_and_outage_window(simulator):
    c = simulator.control
    c.fault("timeout", seconds=2, count=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        simulator.xcat("GET", "version", timeout=0.5)
    c.fault("outage", duration=1.0)
    assert simulator.xcat("GET", "version").status_code == 503
    time.sleep(1.1)
    assert simulator.xcat("GET", "version").status_code == 200


def test_smapi_failure_and_dsh_unreachable(simulator):
    c = simulator.control
    c.fault("smapi", function="Virtual_Network_Vswitch_Set_Extended", userid="LINUX02",
            rc=396, rs=2838, count=1)
    script = "\n".join(f"smcli Virtual_Network_Vswitch_Set_Extended -T LINUX0{i} "
                       f"-k switch_name=XCATVSW2 -k grant_userid=LINUX0{i}; echo \"#rc $?\""
                       for i in (1, 2, 3))
    text = "\n".join(simulator.dsh("zhcp1", script)["data"][0]["data"])
    assert "zhcp1:   Return Code: 396\nzhcp1:   Reason Code: 2838" in text
    assert [ln.split(": ")[1] for ln in text.split("\n") if "#rc" in ln] == \
        ["#rc 0", "#rc 1", "#rc 0"]
    c.fault("dsh_unreachable", node="zhcp1", count=1)
    reply = simulator.dsh("zhcp1", "true")
    assert reply["data"][0]["error"][0].startswith("zhcp1: ssh: connect to host zhcp1")
    assert reply["data"][-1] == {"errorcode": ["1"]}
    assert simulator.dsh("zhcp1", "true") == {"data": [{"errorcode": ["0"]}]}


def test_latency_and_smapi_worker_queue(simulator):
    c = simulator.control
    c.fault(rest_latency=0.2)
    start = time.monotonic()
    simulator.xcat("GET", "version")
    assert time.monotonic() - start >= 0.2
    c.fault(rest_latency=0, smcli_latency=0.3, smapi_workers=1)

    def call(_):
        return simulator.dsh("zhcp1", "smcli System_Info_Query")
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(call, range(2)))
    assert time.monotonic() - start >= 0.6
    bad = requests.post(simulator.url + "/_sim/faults", json={"smapi_workers": 0}, timeout=10)
    assert bad.status_code == 400 and "smapi_workers" in bad.json()["error"]


def test_directory_calls_go_through_dirmaint_one_at_a_time(simulator):
    # three SMAPI workers, but one DirMaint: two directory queries queue, two
    # CP-only queries do not wait for each other's directory time
    c = simulator.control
    c.fault(rest_latency=0, smcli_latency=0, dirmaint_latency=0.3, smapi_workers=3)

    def call(command):
        return simulator.dsh("zhcp1", command)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        outputs = list(pool.map(call, ["smcli Image_Query_DM -T LINUX01"] * 2))
    assert time.monotonic() - start >= 0.6
    assert all("USER LINUX01" in out["data"][0]["data"][0] for out in outputs)
    assert c.faults()["dirmaint_latency"] == {"fixed": 0.3, "jitter": 0.0}


def test_smapi_workers_run_calls_in_parallel_and_the_peak_is_counted(simulator):
    # SMAPI's worker servers (VSMWORK1..3) take requests side by side: four concurrent
    # dsh requests of one CP query each keep at most three workers busy at once
    c = simulator.control
    c.fault(rest_latency=0, smcli_latency=0.3, smapi_workers=3)
    c.reset_counters()

    def call(_):
        return simulator.dsh("zhcp1", "smcli System_Info_Query")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(call, range(4)))
    counters = c.counters()
    assert counters["smcli"]["peak_in_workers"] == 3
    assert counters["dsh"]["peak_in_flight"] == 4
    c.fault(smapi_workers=1)
    c.reset_counters()
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        list(pool.map(call, range(3)))
    assert c.counters()["smcli"]["peak_in_workers"] == 1


def test_rest_requests_in_flight_at_once_are_counted(simulator):
    # a table read and a dsh request sent side by side are both in flight (each takes
    # the REST latency); one after the other, never more than one
    c = simulator.control
    c.fault(rest_latency={"fixed": 0.3, "jitter": 0}, smcli_latency=0)
    c.reset_counters()

    def call(kind):
        if kind == "table":
            return simulator.xcat("GET", "tables/zvm")
        return simulator.dsh("zhcp1", "smcli Image_Query_DM -T LINUX01")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(call, ["table", "dsh"]))
    counters = c.counters()
    assert counters["rest"]["peak_in_flight"] == 2
    assert counters["dsh"]["peak_in_flight"] == 1
    c.reset_counters()
    call("table")
    call("dsh")
    assert c.counters()["rest"]["peak_in_flight"] == 1


def test_latency_profiles(simulator_factory):
    sim = simulator_factory("--latency-profile", "realistic")
    faults = sim.control.faults()
    assert faults["rest_latency"] == {"fixed": 0.5, "jitter": 0.2}
    assert faults["smcli_latency"] == {"fixed": 0.3, "jitter": 0.1}
    assert faults["dirmaint_latency"] == {"fixed": 1.0, "jitter": 0.3}
    assert faults["smapi_workers"] == 3
    zero = sim.control.fault(profile="zero", smapi_workers=2)
    assert zero["rest_latency"] == {"fixed": 0.0, "jitter": 0.0} and zero["smapi_workers"] == 2
    bad = requests.post(sim.url + "/_sim/faults", json={"profile": "fast"}, timeout=10)
    assert bad.status_code == 400 and "profile" in bad.json()["error"]


def test_counters_by_method_resource_table_and_function(simulator):
    c = simulator.control
    c.reset_counters()
    simulator.xcat("GET", "tables/switch")
    simulator.xcat("PUT", "tables/switch", body=["switch.node=n1 switch.port=p1"])
    simulator.dsh("zhcp1", "/opt/zhcp/bin/smcli Virtual_Network_Vswitch_Query -T ZHCP -s XCATVSW2")
    simulator.dsh("xcat", "vmcp q v nic")
    counts = c.counters()
    assert counts["rest"]["total"] == 4
    assert counts["rest"]["by_key"] == {
        "GET tables/switch": 1, "PUT tables/switch": 1,
        "PUT nodes/dsh Virtual_Network_Vswitch_Query": 1, "PUT nodes/dsh vmcp": 1}
    assert counts["rest"]["by_table"] == {"switch": 2}
    assert counts["smcli"]["by_function"] == {"Virtual_Network_Vswitch_Query": 1}
    assert counts["vmcp"]["total"] == 1 and counts["bytes"]["out"] > 0
    assert c.reset_counters()["rest"]["total"] == 0


def test_same_seed_same_fault_sequence(tmp_path):
    def statuses(seed):
        sim = start_simulator(tmp_path, seed=seed)
        try:
            sim.control.fault("http_error", status=500, probability=0.5)
            sim.control.fault(smcli_latency={"fixed": 0.0, "jitter": 0.0})
            return [sim.xcat("GET", "version").status_code for _ in range(24)]
        finally:
            sim.stop()
    first, second, other = statuses(7), statuses(7), statuses(8)
    assert first == second and 500 in first and 200 in first
    assert first != other


def test_reset_restores_the_scenario(simulator):
    simulator.xcat("PUT", "tables/switch", body=["switch.node=n1 switch.port=p1"])
    simulator.control.fire("ipl")
    simulator.control.reset()
    assert simulator.xcat("GET", "tables/switch").json()["data"][0]["data"] == [
        "#node,switch,port,vlan,interface,comments,disable"]
    assert _ipl_time(simulator) == "2014-06-11 01:38:37 EDT"
