"""xcat-zvm-simulator as a program: --state persistence across restarts and crashes,
HTTPS, custom scenarios, argument and scenario errors."""
from __future__ import annotations

import json
import signal
import subprocess

import requests
import trustme

from tests.fixtures.procs import command, free_port


def test_state_survives_restart_and_kill(tmp_path, simulator_factory):
    state = tmp_path / "sim-state.json"
    port = free_port()
    sim = simulator_factory(state=state, port=port)
    sim.dsh("zhcp1", "smcli Virtual_Network_Vswitch_Create_Extended -T ZHCP "
                     "-k switch_name=VSW1 -k transport_type=ETHERNET -k vlan_id=AWARE")
    sim.xcat("PUT", "tables/switch", body=["switch.node=linux01 switch.port=p1 "
                                           "switch.interface=1000 switch.comments=zhcp1"])
    sim.dsh("zhcp1", "echo keep > notes.txt")
    sim.control.fire("ipl", at="2014-07-01 00:00:00")
    sim.dsh("zhcp1", "smcli Virtual_Network_Vswitch_Create -T ZHCP -n VSW2 -t 2 -v 0")
    assert sim.stop() == 0
    assert json.loads(state.read_text())["format"] == 1

    again = simulator_factory(state=state, port=free_port())
    info = again.dsh("zhcp1", "smcli System_Info_Query")["data"][0]["data"][0]
    assert "The z/VM CP IPL time: 2014-07-01 00:00:00 EDT" in info
    vswitches = again.control.state()["model"]["vswitches"]
    assert "VSW2" in vswitches and "VSW1" not in vswitches
    assert '"linux01",,"p1",,"1000","zhcp1",' in again.xcat("GET", "tables/switch").json()[
        "data"][0]["data"]
    assert again.dsh("zhcp1", "cat notes.txt")["data"][0]["data"] == ["zhcp1: keep"]

    # A crash right after a change loses nothing: the file is written before the reply.
    again.xcat("PUT", "tables/site", body=["key=marker site.value=1"])
    again.process.stop(signal.SIGKILL)
    third = simulator_factory(state=state, port=free_port())
    assert third.xcat("GET", "tables/site", "&col=key&value=marker&attribute=value").json() == \
        {"data": [{"data": ["1"]}]}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".sim-state.json.")]


def test_https_with_verified_certificate(tmp_path, simulator_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file, ca_file = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    sim = simulator_factory(tls=(cert_file, key_file), verify=str(ca_file))
    assert sim.url.startswith("https://127.0.0.1:")
    assert sim.xcat("GET", "tables/site", "&col=key&value=master&attribute=value").json() == \
        {"data": [{"data": ["10.1.0.1"]}]}
    try:
        requests.get(sim.xcat_url + "/version", timeout=10)
        raise AssertionError("an unverified certificate was accepted")
    except requests.exceptions.SSLError:
        pass
    assert sim.control.counters()["connections"] >= 2


def test_custom_json_scenario(tmp_path, simulator_factory):
    scenario = {
        "system": {"ipl_time": "2020-01-01 00:00:00", "timezone": "UTC"},
        "vmlan": {"macprefix": "02AB00"},
        "xcat": {"username": "admin", "password": "s3cret", "zvm_table": "long",
                 "node": "mn", "userid": "MN"},
        "zhcp": {"node": "hcp", "userid": "HCP"},
        "vswitches": [{"name": "VSWX", "vlan_aware": True, "default_vid": 10,
                       "grants": [{"userid": "G1", "vlans": ["10"]}]}],
        "guests": [{"userid": "MN", "node": "mn", "logged_on": True},
                   {"userid": "HCP", "node": "hcp", "logged_on": True},
                   {"userid": "G1", "node": "g1", "logged_on": True,
                    "nicdefs": [{"vdev": "1000", "lan": "VSWX"}]}],
        "tables": {"site": [{"key": "master", "value": "192.0.2.1"}]},
    }
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    sim = simulator_factory(scenario=path)
    sim.username, sim.password = "admin", "s3cret"
    zvm = sim.xcat("GET", "tables/zvm").json()["data"][0]["data"]
    assert zvm[0] == "#node,hcp,userid,nodetype,parent,comments,disable,discovered,status"
    assert '"g1","hcp","G1",,,,,,' in zvm
    nic = sim.dsh("g1", "vmcp q v nic")["data"][0]["data"][0]
    assert "VSWITCH: SYSTEM VSWX" in nic and "MAC: 02-AB-00-" in nic
    info = sim.dsh("hcp", "smcli System_Info_Query")["data"][0]["data"][0]
    assert "hcp: The z/VM CP IPL time: 2020-01-01 00:00:00 UTC" in info


def test_bad_arguments_and_scenarios_exit_2_with_a_message(tmp_path):
    exe = command("xcat-zvm-simulator")
    bad = tmp_path / "bad.yaml"
    bad.write_text("guests:\n  - {userid: XCAT, node: xcat}\n  - {userid: ZHCP, node: zhcp1,"
                   " nicdefs: [{vdev: '12345'}]}\n")
    result = subprocess.run([exe, "--listen", "127.0.0.1:0", "--scenario", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("xcat-zvm-simulator: guests[1].nicdefs[0].vdev:")
    result = subprocess.run([exe, "--listen", "nowhere"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "HOST:PORT" in result.stderr
    result = subprocess.run([exe, "--listen", "127.0.0.1:0", "--tls-cert", "x.pem"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--tls-key" in result.stderr
