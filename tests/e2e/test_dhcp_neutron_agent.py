"""The real neutron-dhcp-agent (PyPI neutron 29.0.0) serves a network of quantum-zvm-server.

Real processes all the way: a private RabbitMQ, ``quantum-zvm-server``, the agent from
its own virtual environment (``scripts/install-neutron-venv.sh``), the ``qdhcp-<net>``
namespace and dnsmasq it manages, and ``dhclient`` in another namespace on the same
segment (a Linux bridge; ``neutron_driver/qzvm_veth_driver.py`` plugs the agent's DHCP
port into it, standing in for Open vSwitch).  Network, subnet and port are created
through the REST API; the client must get exactly the port's MAC -> IP lease; deleting
the port removes it from dnsmasq's hosts file; deleting the network removes the
namespace.  Skipped only where network namespaces are not permitted.
"""
from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from quantum_zvm.rpc import wire
from tests.fixtures.procs import Process, pid_alive, processes_of, unavailable, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.rabbitmq]

NEUTRON_VENV = Path(os.environ.get("QZVM_NEUTRON_VENV", "/opt/quantum-zvm/neutron-29.0.0"))
DRIVER_DIR = Path(__file__).resolve().parent / "neutron_driver"


def run(*argv: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=check)


def namespaces() -> set[str]:
    return {line.split()[0] for line in run("ip", "netns", "list").stdout.splitlines()
            if line.strip()}


@dataclasses.dataclass
class Segment:
    """A Linux bridge (the network segment) and the DHCP client's namespace on it."""
    suffix: str
    bridge: str
    client_ns: str


@pytest.fixture
def segment() -> Iterator[Segment]:
    suffix = uuid.uuid4().hex[:6]
    probe = f"qzvm-probe-{suffix}"
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (ip netns add)")
    result = run("ip", "netns", "add", probe, check=False)
    if result.returncode != 0:
        pytest.skip(f"network namespaces are not permitted here: {result.stderr.strip()}")
    run("ip", "netns", "delete", probe)
    seg = Segment(suffix, f"qzbr{suffix}", f"qzvm-client-{suffix}")
    run("ip", "link", "add", seg.bridge, "type", "bridge")
    try:
        run("ip", "link", "set", seg.bridge, "up")
        run("ip", "netns", "add", seg.client_ns)
        yield seg
    finally:
        run("ip", "netns", "delete", seg.client_ns, check=False)
        run("ip", "link", "delete", seg.bridge, check=False)


def agent_config(path: Path, state: Path, host: str, url: str, exchange: str) -> None:
    path.write_text(textwrap.dedent(f"""\
        [DEFAULT]
        host = {host}
        state_path = {state}
        transport_url = {url}
        control_exchange = {exchange}
        interface_driver = qzvm_veth_driver.VethBridgeDriver
        dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq
        resync_interval = 5
        debug = true
        [AGENT]
        # The test runs as root: no sudo. A non-empty prefix is needed, or oslo.privsep
        # falls back to sudo; env runs privsep-helper from the agent's PATH.
        root_helper = env
        [oslo_concurrency]
        lock_path = {state}/lock
        """))


class Api:
    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def get(self, path: str) -> dict:
        response = self.http.get(self.base + path, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, kind: str, **attrs: object) -> dict:
        response = self.http.post(f"{self.base}/{kind}s", json={kind: attrs}, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()[kind]

    def delete(self, path: str) -> None:
        response = self.http.delete(self.base + path, timeout=30)
        assert response.status_code == 204, response.text


def dhcp_agent(api: Api, host: str) -> dict | None:
    for agent in api.get("/agents")["agents"]:
        if agent["agent_type"] == "DHCP agent" and agent["host"] == host:
            return agent
    return None


def read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def diagnostics(namespace: str, seg: Segment) -> str:
    """Links and addresses of the segment, for a failure message."""
    out = []
    for argv in (["ip", "netns", "exec", namespace, "ip", "-br", "addr"],
                 ["ip", "netns", "exec", seg.client_ns, "ip", "-br", "link"],
                 ["ip", "-br", "link", "show", "master", seg.bridge],
                 ["ip", "netns", "exec", namespace, "ss", "-ulpn"],
                 ["pgrep", "-a", "dnsmasq"]):
        result = run(*argv, check=False)
        out.append(f"$ {' '.join(argv)}\n{result.stdout}{result.stderr}")
    return "\n" + "\n".join(out)


def stop_pid_file(pid_file: Path) -> None:
    """Stop a process that recorded its PID in ``pid_file`` (a dnsmasq the agent
    left behind, the test's dhclient)."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    stop_pid(pid)


def stop_pid(pid: int) -> None:
    if pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not pid_alive(pid), timeout=10, what=f"process {pid} to exit")


def stop_dhclient(pid_file: Path, leases: Path) -> None:
    """Stop the test's dhclient.  Given a lease, it forks into the background and
    writes its PID file from there, maybe after the command has returned; so it is
    also found by its leases file, which no other command line names."""
    stop_pid_file(pid_file)
    for pid in processes_of(leases):
        stop_pid(pid)


def test_neutron_dhcp_agent_serves_a_port(segment, rabbitmq, server_factory, tmp_path):
    agent_bin = NEUTRON_VENV / "bin" / "neutron-dhcp-agent"
    if not agent_bin.exists():
        unavailable(f"no neutron-dhcp-agent at {agent_bin}: run scripts/install-neutron-venv.sh")
    for tool in ("dnsmasq", "dhcp_release", "dhclient", "iptables"):
        if run("sh", "-c", f"command -v {tool}", check=False).returncode != 0:
            unavailable(f"{tool} is not installed: run scripts/install-neutron-venv.sh")

    exchange = f"qzvm-{wire.new_id()[:8]}"
    server = server_factory(extra_ini=f"[DEFAULT]\ntransport_url = {rabbitmq.url}\n"
                                      f"control_exchange = {exchange}\n")
    api = Api(server.api)
    host = f"qzvm-dhcp-{segment.suffix}"
    # dnsmasq drops to nobody and re-reads its hosts file on SIGHUP: the agent's state
    # must be readable by it (pytest's tmp_path is not), as /var/lib/neutron is.
    state = Path(tempfile.mkdtemp(prefix="qzvm-dhcp-agent-"))
    state.chmod(0o755)
    config = tmp_path / "dhcp_agent.ini"
    agent_config(config, state, host, rabbitmq.url, exchange)
    agent = Process([str(agent_bin), "--config-file", str(config)], tmp_path / "dhcp-agent.log",
                    env={"PATH": f"{NEUTRON_VENV / 'bin'}:{os.environ.get('PATH', '')}",
                         "PYTHONPATH": str(DRIVER_DIR), "QZVM_E2E_BRIDGE": segment.bridge})
    net_id = None
    try:
        wait_for(lambda: (dhcp_agent(api, host) or {}).get("alive"), timeout=90,
                 what=f"the DHCP agent to register:\n{agent.output()[-3000:]}")

        net = api.post("network", name="dhcp-e2e")
        net_id = net["id"]
        subnet = api.post("subnet", network_id=net_id, ip_version=4, cidr="10.66.0.0/24")
        port = api.post("port", network_id=net_id, device_id="vm-e2e",
                        device_owner="compute:nova")
        (fixed,) = port["fixed_ips"]
        assert fixed["subnet_id"] == subnet["id"]
        mac, ip = port["mac_address"], fixed["ip_address"]

        namespace = f"qdhcp-{net_id}"
        hosts_file = state / "dhcp" / net_id / "host"
        wait_for(lambda: namespace in namespaces(), timeout=90,
                 what=f"the agent to create {namespace}:\n{agent.output()[-3000:]}")
        wait_for(lambda: mac in read(hosts_file), timeout=60,
                 what=f"{mac} in dnsmasq's hosts file:\n{agent.output()[-3000:]}")
        assert f"{mac},host-{ip.replace('.', '-')}" in read(hosts_file)

        # The guest: a NIC with the port's MAC in another namespace on the segment.
        nic, peer = f"qzc{segment.suffix}", f"qzp{segment.suffix}"
        run("ip", "link", "add", nic, "type", "veth", "peer", "name", peer)
        run("ip", "link", "set", nic, "netns", segment.client_ns)
        run("ip", "netns", "exec", segment.client_ns, "ip", "link", "set", nic,
            "address", mac)
        run("ip", "netns", "exec", segment.client_ns, "ip", "link", "set", nic, "up")
        run("ip", "link", "set", peer, "master", segment.bridge)
        run("ip", "link", "set", peer, "up")
        leases, pid_file = tmp_path / "dhclient.leases", tmp_path / "dhclient.pid"
        try:
            # -1: one try, exit non-zero without a lease; -sf /bin/true: the lease is only
            # recorded (no script touching the host's resolv.conf).
            result = run("ip", "netns", "exec", segment.client_ns, "dhclient", "-1", "-v",
                         "-sf", "/bin/true", "-lf", str(leases), "-pf", str(pid_file), nic,
                         check=False, timeout=120)
            assert result.returncode == 0, (result.stdout + result.stderr)[-2000:] + \
                diagnostics(namespace, segment)
        finally:
            stop_dhclient(pid_file, leases)
        offered = re.findall(r"fixed-address ([0-9.]+);", read(leases))
        assert offered == [ip], read(leases)

        # QZVM_DHCP_E2E_SOAK=<seconds> keeps the network served that long (several report
        # intervals of 30 s) while the agent must stay alive and log no error.
        soak_until = time.monotonic() + float(os.environ.get("QZVM_DHCP_E2E_SOAK", "0"))
        while time.monotonic() < soak_until:
            time.sleep(5)
            assert agent.alive() and dhcp_agent(api, host)["alive"], agent.output()[-3000:]

        api.delete(f"/ports/{port['id']}")
        wait_for(lambda: mac not in read(hosts_file), timeout=60,
                 what=f"{mac} to leave dnsmasq's hosts file:\n{agent.output()[-3000:]}")

        api.delete(f"/networks/{net_id}")
        wait_for(lambda: namespace not in namespaces(), timeout=60,
                 what=f"the agent to remove {namespace}:\n{agent.output()[-3000:]}")

        assert agent.alive(), agent.output()[-3000:]
        assert dhcp_agent(api, host)["alive"]
        log = agent.output()
        problems = [line for line in log.splitlines()
                    if re.match(r"\S+ \S+ \d+ (ERROR|CRITICAL) ", line)]
        assert not problems, "\n".join(problems[:20])
    finally:
        agent.stop(timeout=30)
        if net_id:
            stop_pid_file(state / "dhcp" / net_id / "pid")
            if f"qdhcp-{net_id}" in namespaces():
                run("ip", "netns", "delete", f"qdhcp-{net_id}", check=False)
        shutil.rmtree(state, ignore_errors=True)
