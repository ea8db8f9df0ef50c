"""The z/VM agent with a stock server: Neutron 29 ML2 and quantum-zvm-server give the same z/VM.

Real processes on loopback: a private RabbitMQ, the simulator (xCAT MN, zHCP, z/VM),
``quantum-zvm-agent`` and either ``quantum-zvm-server`` or neutron-server 29 from its
own venv (``neutron-rpc-server`` plus the API WSGI application, ML2 with this
package's ``zvm`` mechanism driver, flat and vlan type drivers, noauth, MariaDB;
``tests/fixtures/neutron.py``).  Against Neutron the agent runs in plain mode (the
standard L2 agent RPC only).  The scenario is nova-zvm's: a port created through the
API with ``binding:host_id``, the NIC handed over by an xCAT ``switch`` row; then
admin-down and up, a z/VM IPL and the port's deletion (its row left behind).  After
each step the z/VM state must be the one literal below, whichever server runs.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from quantum_zvm.rpc import wire
from tests.fixtures.agent import HOST, ZHCP, agent_section
from tests.fixtures.neutron import MAPPINGS, NEUTRON_VENV, Neutron
from tests.fixtures.procs import Process, command, wait_for
from tests.fixtures.server import Server, start_server
from tests.fixtures.simulator import SimulatorProcess, start_simulator

pytestmark = [pytest.mark.slow, pytest.mark.rabbitmq]

GUESTS = ("LINUX07", "LINUX08")

# (vswitch grants {userid: VLANs}, NIC couplings {userid.vdev: (directory, live)},
#  switch rows {userid.vdev: (switch, vlan)}) -- identical under both servers.
BOTH_ACTIVE = ({"VSW1": {"LINUX07": ("150",)}, "FLATSW": {"LINUX08": ()}},
               {"LINUX07.1000": ("VSW1", "VSW1"), "LINUX08.1000": ("FLATSW", "FLATSW")},
               {"LINUX07.1000": ("VSW1", "150"), "LINUX08.1000": ("FLATSW", "-1")})
FIRST_ADMIN_DOWN = ({"VSW1": {"LINUX07": ("150",)}, "FLATSW": {"LINUX08": ()}},
                    {"LINUX07.1000": (None, None), "LINUX08.1000": ("FLATSW", "FLATSW")},
                    BOTH_ACTIVE[2])
SECOND_DELETED = ({"VSW1": {"LINUX07": ("150",)}, "FLATSW": {}},
                  {"LINUX07.1000": ("VSW1", "VSW1"), "LINUX08.1000": (None, None)},
                  BOTH_ACTIVE[2])


@dataclasses.dataclass
class Site:
    """The server under test, seen through its REST API (v2.0) only.  Bodies name their
    project: neutron's noauth (the API's admin context) requires it."""
    api: str
    log: Callable[[], str]
    host: str = HOST

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        response = requests.request(method, self.api + path, json=body, timeout=30,
                                    headers={"X-Project-Id": "tenant1", "X-Roles": "admin"})
        assert response.status_code == expect, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    def network(self, name: str, network_type: str, physnet: str,
                vlan: int | None = None) -> dict:
        attrs = {"name": name, "tenant_id": "tenant1", "provider:network_type": network_type,
                 "provider:physical_network": physnet}
        if vlan is not None:
            attrs["provider:segmentation_id"] = vlan
        net = self.call("POST", "/networks", {"network": attrs}, 201)["network"]
        self.call("POST", "/subnets", {"subnet": {
            "network_id": net["id"], "tenant_id": "tenant1", "ip_version": 4, "enable_dhcp": False,
            "cidr": f"10.{vlan or 99}.0.0/24"}}, 201)
        return net

    def port(self, network_id: str, device_id: str) -> dict:
        """A port as nova creates it for an instance on the agent's host."""
        return self.call("POST", "/ports", {"port": {
            "network_id": network_id, "tenant_id": "tenant1", "device_id": device_id,
            "device_owner": "compute:nova",
            "binding:host_id": self.host}}, 201)["port"]

    def status(self, port_id: str) -> str:
        return self.call("GET", f"/ports/{port_id}")["port"]["status"]

    def zvm_agent(self) -> dict | None:
        for agent in self.call("GET", "/agents")["agents"]:
            if agent["agent_type"] == "z/VM agent" and agent["host"] == self.host:
                return agent
        return None


def settled(output: Callable[[], str], quiet: float = 1.5) -> bool:
    """Whether a process's output stays the same for ``quiet`` seconds."""
    before = output()
    time.sleep(quiet)
    return output() == before

def zvm_state(sim: SimulatorProcess) -> tuple:
    """Grants, couplings and switch-row write-backs of the test's guests."""
    state = sim.control.state()
    model = state["model"]
    grants = {name: {user: tuple(grant.get("vlans") or ())
                     for user, grant in sorted(model["vswitches"][name]["grants"].items())
                     if user in GUESTS}
              for name in ("VSW1", "FLATSW") if name in model["vswitches"]}
    nics = {}
    for userid in GUESTS:
        guest = model["guests"][userid]
        live = guest.get("active_nics", {}).get("1000") or {}
        nics[f"{userid}.1000"] = (guest["nicdefs"]["1000"].get("lan_name"),
                                  live.get("coupled_to"))
    rows = {f"{row['node'].upper()}.{row['interface']}": (row.get("switch"), row.get("vlan"))
            for row in state["tables"]["switch"]["rows"]}
    return grants, nics, rows


def agent_ini(tmp: Path, sim: SimulatorProcess, transport_url: str, exchange: str,
              host: str = HOST) -> Path:
    path = tmp / "agent.ini"
    (tmp / "agent-state").mkdir(exist_ok=True)
    path.write_text(textwrap.dedent(f"""\
        [DEFAULT]
        state_path = {tmp}/agent-state
        transport_url = {transport_url}
        control_exchange = {exchange}
        rpc_response_timeout = 20
        """) + agent_section(sim, host=host) + f"vswitch_mappings = {MAPPINGS}\n")
    return path


@pytest.fixture(params=["neutron-ml2", "quantum-zvm-server"])
def site(request, tmp_path: Path, rabbitmq) -> Iterator[tuple[str, Site, str]]:
    """(kind, the server's REST API, its exchange) on the session's RabbitMQ."""
    exchange = f"qzvm-{wire.new_id()[:8]}"
    if request.param == "neutron-ml2":
        neutron: Neutron = request.getfixturevalue("neutron_factory")(rabbitmq.url, exchange)
        yield request.param, Site(neutron.api, neutron.output), exchange
        return
    server: Server = start_server(tmp_path / "server", vswitch_mappings=MAPPINGS, extra_ini=(
        f"[DEFAULT]\ntransport_url = {rabbitmq.url}\ncontrol_exchange = {exchange}\n"
        "agent_down_time = 30\n"))
    try:
        yield request.param, Site(server.api, server.process.output), exchange
    finally:
        server.stop()


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines()
            if re.search(r" (ERROR|CRITICAL) ", line) or "cycle failed" in line]


def test_same_zvm_state_under_both_servers(site, rabbitmq, tmp_path):
    kind, api, exchange = site
    sim = start_simulator(tmp_path)
    # an administrator's VSW1 that is not in SYSTEM CONFIG: the IPL below loses it
    sim.control.add_vswitch("VSW1", transport="ETHERNET", vlan_aware=True, default_vid=1)
    for userid in GUESTS:
        sim.control.add_guest(userid, userid.lower(), logged_on=True, autolog=True,
                              nicdefs=[{"vdev": "1000"}])
    agent = Process([command("quantum-zvm-agent"), "--config-file",
                     str(agent_ini(tmp_path, sim, rabbitmq.url, exchange))],
                    tmp_path / "agent.log")
    try:
        def wait(predicate, what, timeout=30.0):
            try:
                return wait_for(predicate, timeout=timeout, interval=0.2, what=what)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n--- agent ---\n{agent.output()[-4000:]}\n"
                                     f"--- server ---\n{api.log()[-3000:]}") from None

        wait(lambda: (api.zvm_agent() or {}).get("alive"), "the z/VM agent to register", 60)
        vlan_net = api.network("blue", "vlan", "VSW1", 150)
        flat_net = api.network("flat", "flat", "FLATSW")
        p1, p2 = api.port(vlan_net["id"], "vm-1"), api.port(flat_net["id"], "vm-2")
        assert p1["binding:vif_type"] == p2["binding:vif_type"] == "zvm"
        for userid, port in (("LINUX07", p1), ("LINUX08", p2)):  # what nova-zvm writes
            response = sim.xcat("PUT", "tables/switch", body=[
                f"node={userid.lower()},interface=1000 switch.port={port['id']} "
                f"switch.comments={ZHCP}"])
            assert response.status_code == 200, response.text
        wait(lambda: api.status(p1["id"]) == api.status(p2["id"]) == "ACTIVE", "ports ACTIVE")
        wait(lambda: zvm_state(sim) == BOTH_ACTIVE, "z/VM state of two ACTIVE ports")

        api.call("PUT", f"/ports/{p1['id']}", {"port": {"admin_state_up": False}})
        wait(lambda: zvm_state(sim) == FIRST_ADMIN_DOWN, "the admin-down NIC uncoupled")
        wait(lambda: api.status(p1["id"]) == "DOWN", "the admin-down port DOWN")
        api.call("PUT", f"/ports/{p1['id']}", {"port": {"admin_state_up": True}})
        wait(lambda: zvm_state(sim) == BOTH_ACTIVE, "the NIC coupled again")
        wait(lambda: api.status(p1["id"]) == "ACTIVE", "the port ACTIVE again")

        sim.control.fire("ipl")
        assert "VSW1" not in sim.control.state()["model"]["vswitches"]
        wait(lambda: zvm_state(sim) == BOTH_ACTIVE, "the state restored after the IPL")
        assert "IPLed" in agent.output()

        api.call("DELETE", f"/ports/{p2['id']}", expect=204)  # its switch row stays
        wait(lambda: zvm_state(sim) == SECOND_DELETED, "the deleted port's grant and NIC undone")
        # z/VM shows the undo before the cycle that made it ends (and logs): let it end
        wait(lambda: settled(agent.output), "the agent's cycle to end")
        # A few idle cycles (QZVM_ML2_E2E_IDLE=<seconds> for longer): nothing comes back,
        # nothing fails, and the agent's log does not grow by a line.
        idle_from = len(agent.output().splitlines())
        time.sleep(float(os.environ.get("QZVM_ML2_E2E_IDLE", "3")))
        assert agent.output().splitlines()[idle_from:] == []
        assert zvm_state(sim) == SECOND_DELETED
        assert api.status(p1["id"]) == "ACTIVE"
        assert agent.alive()
        assert not error_lines(agent.output()), "\n".join(error_lines(agent.output())[:20])
        configurations = api.zvm_agent()["configurations"]
        assert configurations["error_count"] == 0, configurations
        assert configurations["rpc_mode"] == ("plain" if kind == "neutron-ml2" else "zvm")
    finally:
        agent.stop(timeout=20)
        sim.stop()


SEGMENT_CHECK = textwrap.dedent("""\
    import json, sys
    from quantum_zvm.ml2.mech_zvm import ZvmMechanismDriver
    driver = ZvmMechanismDriver()
    agent = {"agent_type": "z/VM agent", "host": "zvmhost1", "alive": True,
             "configurations": {"vswitch_mappings": {"VSW1": ["100:199"], "FLATSW": []}}}
    other = dict(agent, agent_type="Open vSwitch agent")
    def seg(kind, physnet):
        return {"id": "s", "network_id": "n", "network_type": kind,
                "physical_network": physnet, "segmentation_id": 150}
    json.dump({"vif_type": driver.vif_type, "vif_details": driver.vif_details,
               "vlan VSW1": driver.check_segment_for_agent(seg("vlan", "VSW1"), agent),
               "flat FLATSW": driver.check_segment_for_agent(seg("flat", "FLATSW"), agent),
               "vlan VSW9": driver.check_segment_for_agent(seg("vlan", "VSW9"), agent),
               "local": driver.check_segment_for_agent(seg("local", None), agent),
               "vxlan": driver.check_segment_for_agent(seg("vxlan", None), agent),
               "ovs agent": driver.check_segment_for_agent(seg("vlan", "VSW1"), other)},
              sys.stdout)
    """)


def test_mechanism_driver_binds_the_vswitches_the_agent_reports(neutron_overlay):
    """The driver as neutron loads it (its venv, the installed wheel): segments on a
    reported vswitch of a z/VM agent bind, with vif type zvm; others do not."""
    result = subprocess.run([str(NEUTRON_VENV / "bin" / "python"), "-c", SEGMENT_CHECK],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(neutron_overlay)})
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout)
    assert found == {"vif_type": "zvm",
                     "vif_details": {"port_filter": False, "connectivity": "l2"},
                     "vlan VSW1": True, "flat FLATSW": True, "vlan VSW9": False,
                     "local": True, "vxlan": False, "ovs agent": False}


def test_the_core_package_imports_no_neutron():
    """quantum_zvm (and quantum_zvm.ml2 itself) load without neutron installed."""
    result = subprocess.run(
        [sys.executable, "-c",
         "import sys, quantum_zvm, quantum_zvm.ml2, quantum_zvm.agent.daemon, "
         "quantum_zvm.plugin; print(sorted(m for m in sys.modules if m.startswith('neutron')))"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# VLANs 151 and 152: the session's neutron database keeps other tests' networks
@pytest.mark.parametrize(("heartbeat_timeout", "vlan"), [(3, 151), (60, 152)],
                         ids=["heartbeat-times-out", "heartbeat-waits-for-neutron"])
def test_a_server_swap_switches_the_mode(rabbitmq, neutron_factory, tmp_path,
                                         heartbeat_timeout, vlan):
    """quantum-zvm-server replaced by neutron on the same exchange: a heartbeat that timed
    out meanwhile, or neutron reporting the agent "new" when none did, makes the agent
    resync, probe again and go plain; a handed-off port then goes ACTIVE in Neutron.
    With a 60 s RPC timeout, the heartbeat sent while no server runs waits in the queue
    until neutron takes it and answers "new".

    The agent's host is this test's own: the session's neutron database keeps earlier
    tests' agents, and to one of those it still holds alive neutron answers "alive",
    which asks for no resync, whenever it takes a heartbeat before that times out (the
    agent then goes plain only at its next z/VM call, not what this test waits for)."""
    exchange = f"qzvm-{wire.new_id()[:8]}"
    host = f"swap-{wire.new_id()[:8]}"
    sim = start_simulator(tmp_path)
    sim.control.add_guest("LINUX07", "linux07", logged_on=True, autolog=True,
                          nicdefs=[{"vdev": "1000"}])
    server = start_server(tmp_path / "server", vswitch_mappings=MAPPINGS, extra_ini=(
        f"[DEFAULT]\ntransport_url = {rabbitmq.url}\ncontrol_exchange = {exchange}\n"))
    ini = agent_ini(tmp_path, sim, rabbitmq.url, exchange, host)
    ini.write_text(ini.read_text().replace("rpc_response_timeout = 20",
                                           f"rpc_response_timeout = {heartbeat_timeout}"))
    agent = Process([command("quantum-zvm-agent"), "--config-file", str(ini)],
                    tmp_path / "agent.log")
    try:
        ours = Site(server.api, server.process.output, host)
        wait_for(lambda: (ours.zvm_agent() or {}).get("configurations", {}).get("rpc_mode")
                 == "zvm", timeout=30, what="the agent in z/VM mode")
        server.stop()
        neutron = Site(neutron_factory(rabbitmq.url, exchange).api, lambda: "", host)
        wait_for(lambda: (neutron.zvm_agent() or {}).get("configurations", {}).get("rpc_mode")
                 == "plain", timeout=30, what="plain mode",
                 details=lambda: agent.output()[-3000:])
        net = neutron.network("green", "vlan", "VSW1", vlan)
        port = neutron.port(net["id"], "vm-1")
        response = sim.xcat("PUT", "tables/switch", body=[
            f"node=linux07,interface=1000 switch.port={port['id']} switch.comments={ZHCP}"])
        assert response.status_code == 200, response.text
        wait_for(lambda: neutron.status(port["id"]) == "ACTIVE", timeout=30,
                 what="the port ACTIVE")
        assert not [line for line in agent.output().splitlines() if " ERROR " in line]
    finally:
        agent.stop(timeout=20)
        server.stop()
        sim.stop()
