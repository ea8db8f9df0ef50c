"""quantum-zvm-nic end to end: the real command against simulator, server and agent."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.fixtures.procs import command

pytestmark = pytest.mark.slow


def nic(stack, *args, expect=0):
    result = subprocess.run([command("quantum-zvm-nic"), "--config-file", str(stack.agent_ini),
                             "--quantum-url", stack.server.url, *args],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == expect, (result.stdout, result.stderr, stack.agent_log()[-3000:])
    return result


def model_guest(stack, userid):
    return stack.model()["guests"][userid]


def test_attach_two_nics_list_detach(zvm_stack):
    stack = zvm_stack()
    vlan_net = stack.network("blue", "vlan", "VSW1", 120)
    flat_net = stack.network("flat", "flat", "FLATSW")

    first = json.loads(nic(stack, "attach", "--userid", "linux02", "--network", "blue",
                           "--wait", "--json").stdout)
    second = json.loads(nic(stack, "attach", "--userid", "LINUX02", "--network", flat_net["id"],
                            "--wait", "--json").stdout)
    assert (first["vdev"], second["vdev"]) == ("1000", "1003")
    assert first["status"] == second["status"] == "ACTIVE"

    guest = model_guest(stack, "LINUX02")
    for result in (first, second):
        macid = result["mac"].replace(":", "")[6:].upper()
        assert guest["nicdefs"][result["vdev"]]["macid"] == macid
    assert guest["nicdefs"]["1000"]["lan_name"] == "VSW1"
    assert guest["nicdefs"]["1003"]["lan_name"] == "FLATSW"
    # the xCAT mac table is keyed by node: both MACs in the guest's one row
    (mac_row,) = [r for r in stack.rows("mac") if r["node"] == "linux02"]
    assert (mac_row["interface"], mac_row["mac"]) == (
        "1000", f"{first['mac']}|{second['mac']}!linux02-1003")
    rows = {r["port"]: r for r in stack.rows("switch")}
    assert rows[first["port_id"]]["node"] == "linux02"
    assert rows[first["port_id"]]["interface"] == "1000"
    assert rows[first["port_id"]]["vlan"] == "120"
    port = stack.get(f"/ports/{first['port_id']}")["port"]
    assert port["network_id"] == vlan_net["id"]
    assert port["binding:host_id"] == "zvmhost1" and port["device_id"] == "LINUX02"

    table = nic(stack, "list", "--userid", "LINUX02").stdout
    assert "1000" in table and "1003" in table and table.count("ACTIVE") == 2
    listed = {n["vdev"]: n for n in json.loads(nic(stack, "list", "--userid", "LINUX02",
                                                   "--json").stdout)}
    assert listed["1000"]["mac"] == first["mac"]
    assert listed["1003"]["vswitch"] == "FLATSW" and listed["1003"]["vlan"] == "-1"

    out = nic(stack, "detach", "--userid", "LINUX02", "--port", first["port_id"]).stdout
    assert "detached 1000" in out
    guest = model_guest(stack, "LINUX02")
    assert "1000" not in guest["nicdefs"] and "1003" in guest["nicdefs"]
    assert first["port_id"] not in {r["port"] for r in stack.rows("switch")}
    (mac_row,) = [r for r in stack.rows("mac") if r["node"] == "linux02"]
    assert (mac_row["interface"], mac_row["mac"]) == ("1003", second["mac"])
    assert not stack.get(f"/ports/{first['port_id']}")["port"]["binding:host_id"]
    # the flat NIC stays as it was
    assert stack.port_status(second["port_id"]) == "ACTIVE"
    # idempotent
    again = nic(stack, "detach", "--userid", "LINUX02", "--port", first["port_id"]).stdout
    assert "detached nothing" in again


def test_precise_errors(zvm_stack):
    stack = zvm_stack(start_agent=False)
    net = stack.network("blue", "vlan", "VSW1", 121)
    ports_before = len(stack.get("/ports")["ports"])

    err = nic(stack, "attach", "--userid", "NOSUCH", "--network", "blue", expect=1).stderr
    assert "unknown guest NOSUCH" in err

    nic(stack, "attach", "--userid", "LINUX03", "--network", "blue", "--vdev", "1000")
    err = nic(stack, "attach", "--userid", "LINUX03", "--network", "blue", "--vdev", "1001",
              expect=1).stderr
    assert "vdev 1001 of LINUX03 is in use" in err

    other = stack.port(net["id"], **{"binding:host_id": "elsewhere"})
    err = nic(stack, "attach", "--userid", "LINUX03", "--port", other["id"], expect=1).stderr
    assert "bound to host elsewhere, not to this agent's host zvmhost1" in err

    err = nic(stack, "attach", "--userid", "LINUX03;rm", "--network", "blue", expect=2).stderr
    assert "is not a z/VM userid" in err
    # failed attaches on --network leave no port behind (one port made, one by hand)
    assert len(stack.get("/ports")["ports"]) == ports_before + 2


def test_mac_prefix_mismatch_is_refused_and_loses_nothing(zvm_stack):
    stack = zvm_stack(start_agent=False, server_ini="base_mac = 02:00:0b:00:00:00\n")
    stack.network("blue", "vlan", "VSW1", 122)
    err = nic(stack, "attach", "--userid", "LINUX04", "--network", "blue", expect=1).stderr
    assert "does not start with the z/VM USER PREFIX FA163E" in err
    assert "base_mac = fa:16:3e:00:00:00" in err
    assert stack.get("/ports")["ports"] == []
    assert model_guest(stack, "LINUX04")["nicdefs"] == {}


def test_the_api_address_comes_from_bind_host_and_bind_port_of_the_config_file(zvm_stack):
    """Without --quantum-url the tool reaches the server the config file describes (the
    stack's server listens on a free port, not 9696)."""
    stack = zvm_stack()
    stack.network("flat", "flat", "FLATSW")
    result = subprocess.run([command("quantum-zvm-nic"), "--config-file", str(stack.agent_ini),
                             "attach", "--userid", "LINUX01", "--network", "flat", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    port_id = json.loads(result.stdout)["port_id"]
    assert stack.get(f"/ports/{port_id}")["port"]["device_id"]
