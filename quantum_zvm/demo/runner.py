"""The demo's steps, in order, each announced on one progress line.

A step that fails raises :class:`StepFailed` naming the step, the reason and
the logs that explain it; :func:`run_demo` then prints the tail of those logs,
stops every service and returns non-zero.  Services are stopped on every way
out (success, failure, Ctrl-C/SIGTERM), except after a successful
``--keep-running``, which records them for ``--stop``.
"""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

import xcat.simulator
from quantum_zvm.demo import files, render
from quantum_zvm.demo.clients import ApiError, SimControl
from quantum_zvm.demo.services import CommandError, Service, Services, command_path, run_command
from quantum_zvm.quantum_client import QuantumApiError, QuantumClient
from xcat import tables
from xcat.client import XcatClient
from xcat.errors import XcatError

# Two z/VM systems in an SSI cluster under one xCAT MN; the demo's first part runs on
# the first (the MN's), then a second agent serves the second and a guest moves there.
SCENARIO = Path(xcat.simulator.__file__).with_name("ssi_cluster.yaml")
MAPPED = (files.VLAN_VSWITCH, files.FLAT_VSWITCH)
SECOND = files.SYSTEMS[files.ZHCP2]
GUESTS = ("LINUX01", "LINUX02", "LINUX03", "LINUX04", files.DHCP_USERID)
CONFIG_NAME = "zvm_quantum_plugin.ini"
START_TIMEOUT = 30.0
CONVERGE_TIMEOUT = 45.0
POLL = 0.2


@dataclass(frozen=True)
class NicPlan:
    """One guest NIC of the demo: which guest, which network, and which path attaches it."""

    port_name: str
    userid: str
    network: str
    path: str  # "nic": quantum-zvm-nic attach (xCAT hand-off); "api": binding:profile
    vdev: str | None = None
    fixed_ip: str | None = None  # last octet of a fixed address (nic path, --fixed-ip)


PLAN = (
    NicPlan("linux01-flat", "LINUX01", "flat-net", "nic"),
    NicPlan("linux01-vlan", "LINUX01", "vlan-net", "nic", fixed_ip="50"),
    NicPlan("linux04-vlan", "LINUX04", "vlan-net", "nic"),
    NicPlan("linux02-vlan", "LINUX02", "vlan-net", "api", vdev="2000"),
    NicPlan("linux03-flat", "LINUX03", "flat-net", "api"),
)
# A guest of the second system, attached there; the guest that relocates to it.
SECOND_PLAN = NicPlan("linux11-vlan", "LINUX11", "vlan-net", "nic")
MOVER = "LINUX01"
NETWORKS = {
    # name: (provider attributes, CIDR); vlan-net gets its VLAN from VSW1's range
    "flat-net": ({"provider:network_type": "flat",
                  "provider:physical_network": files.FLAT_VSWITCH}, "10.10.0.0/24"),
    "vlan-net": ({}, "10.20.0.0/24"),
}
PATH_LABEL = {"nic": "quantum-zvm-nic", "api": "API binding"}
# What a step may raise besides StepFailed: HTTP and command errors, files, unexpected
# answers (bad JSON, missing keys).  subprocess.TimeoutExpired is not an OSError.
FAILURES = (ApiError, QuantumApiError, CommandError, XcatError, OSError,
            subprocess.TimeoutExpired, ValueError, KeyError)


class StepFailed(Exception):
    """A step failed: ``reason`` says why, ``logs`` are the services whose logs explain it."""

    def __init__(self, step: str, reason: str, logs: tuple[str, ...] = ()):
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason
        self.logs = logs


class Interrupted(Exception):
    """The demo got SIGINT, SIGTERM or SIGHUP."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


T = TypeVar("T")


def _set_up(value: T | None, what: str) -> T:
    """``value``, which an earlier step set up.  The steps run in order, so None here is a
    bug in that order, not a failure of the demo: it is no StepFailed."""
    if value is None:
        raise RuntimeError(f"{what} is used before the step that sets it up")
    return value


@dataclass
class Demo:
    out: TextIO = sys.stdout
    keep_running: bool = False
    started: float = field(default_factory=time.monotonic)
    # Set up by the steps; read them through the properties of the same name.
    _state_dir: Path | None = field(default=None, init=False)
    _services: Services | None = field(default=None, init=False)
    _sim: SimControl | None = field(default=None, init=False)
    _api: QuantumClient | None = field(default=None, init=False)
    _xcat: XcatClient | None = field(default=None, init=False)
    api_url: str = ""
    xcat_url: str = ""
    tls: files.Tls | None = None
    config_path: Path | None = None
    networks: dict[str, dict] = field(default_factory=dict)
    subnets: dict[str, dict] = field(default_factory=dict)
    ports: dict[str, dict] = field(default_factory=dict)  # by plan port name
    current_step: str = ""
    after_section: bool = False

    @property
    def state_dir(self) -> Path:
        return _set_up(self._state_dir, "the state directory")

    @property
    def services(self) -> Services:
        return _set_up(self._services, "the services")

    @property
    def sim(self) -> SimControl:
        return _set_up(self._sim, "the simulator's control plane")

    @property
    def api(self) -> QuantumClient:
        return _set_up(self._api, "the REST API client")

    @property
    def xcat(self) -> XcatClient:
        """The xCAT REST client, as a site's scripts (or nova) would use the MN."""
        return _set_up(self._xcat, "the xCAT REST client")

    # ------------------------------------------------------------------ output
    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @contextmanager
    def step(self, title: str, logs: tuple[str, ...] = ()) -> Iterator[dict]:
        """Announce a step; the body may set ``result["detail"]``; failures become StepFailed."""
        self.current_step = title
        if self.after_section:
            self.say()
            self.after_section = False
        print(f"[{self.elapsed():5.1f}s] {title} ... ", end="", file=self.out, flush=True)
        result: dict = {}
        try:
            yield result
        except StepFailed:
            self.say("FAILED")
            raise
        except FAILURES as exc:
            self.say("FAILED")
            output = getattr(exc, "output", "")
            raise StepFailed(title, str(exc) + (f"\n{output}" if output else ""), logs) from None
        self.say("ok" + (f" ({result['detail']})" if result.get("detail") else ""))

    def section(self, title: str, body: str) -> None:
        """A titled block of text, set off by one blank line from what surrounds it."""
        self.say(f"\n{title}\n{body}" if title else f"\n{body}")
        self.after_section = True

    # ------------------------------------------------------------------ helpers
    def wait(self, what: str, predicate: Callable[[], Any], timeout: float,
             watch: tuple[str, ...], logs: tuple[str, ...]) -> Any:
        """Poll ``predicate`` until truthy; fail early when a watched service exits."""
        deadline = time.monotonic() + timeout
        while True:
            for name in watch:
                service = self.services.get(name)
                if service is not None and not service.alive():
                    raise StepFailed(self.current_step, f"{name} exited with status "
                                     f"{service.exit_status()} while waiting for {what}",
                                     (name,))
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise StepFailed(self.current_step, f"timed out after {timeout:.0f} s "
                                 f"waiting for {what}", logs)
            time.sleep(POLL)

    def model(self) -> dict:
        return self.sim.state()["model"]

    def system(self, zhcp: str) -> dict:
        """The model of the z/VM system ``zhcp`` manages."""
        state = self.sim.state()
        return state["model"] if zhcp == files.ZHCP else state["systems"][zhcp]

    def all_ports(self) -> list[dict]:
        return [self.api.show("port", p["id"]) for p in self.ports.values()]

    def log_path(self, name: str) -> Path:
        return self.state_dir / f"{name}.log"

    # ------------------------------------------------------------------ steps
    def make_state_dir(self) -> None:
        with self.step("Create a temporary state directory") as r:
            self._state_dir = Path(tempfile.mkdtemp(prefix="quantum-zvm-demo-"))
            self._services = Services(self.state_dir, outlive_demo=self.keep_running)
            r["detail"] = str(self.state_dir)

    def start_simulator(self) -> None:
        with self.step("Make a CA and a certificate for the simulated xCAT MN",
                       ("openssl",)) as r:
            self.tls = files.make_tls(self.state_dir / "tls", self.log_path("openssl"))
            r["detail"] = (f"CA {self.tls.ca_file}" if self.tls
                           else "openssl not found: the simulator serves plain HTTP")
        with self.step(f"Start xcat-zvm-simulator (xCAT MN, two z/VM systems in an SSI "
                       f"cluster, a zHCP each: {SCENARIO.name})", ("simulator",)) as r:
            argv = [command_path("xcat-zvm-simulator"), "--listen", "127.0.0.1:0",
                    "--scenario", str(SCENARIO)]
            if self.tls:
                argv += ["--tls-cert", str(self.tls.cert_file),
                         "--tls-key", str(self.tls.key_file)]
            service = self.services.start("simulator", argv)
            url = self.wait("the simulator to listen", lambda: _listening_url(service),
                            START_TIMEOUT, ("simulator",), ("simulator",))
            self.xcat_url = url
            verify = str(self.tls.ca_file) if self.tls else True
            self._sim = SimControl(url, verify=verify)
            self._xcat = XcatClient(url, files.XCAT_USER, files.XCAT_PASSWORD, verify=verify)
            self.sim.health()
            r["detail"] = url + (", TLS verified against the demo CA" if self.tls else "")
        with self.step(f"Define {files.VLAN_VSWITCH} as an operator would: CP DEFINE VSWITCH, "
                       "not in SYSTEM CONFIG", ("simulator",)) as r:
            self.sim.add_vswitch({"name": files.VLAN_VSWITCH, "vlan_aware": True,
                                  "default_vid": 1, "rdevs": [files.RDEVS[files.VLAN_VSWITCH]],
                                  "persistent": False})
            r["detail"] = "an IPL will lose it"

    def configure(self) -> None:
        with self.step(f"Write {CONFIG_NAME}") as r:
            api_port = _free_port()
            self.api_url = f"http://127.0.0.1:{api_port}"
            self.config_path = self.state_dir / CONFIG_NAME
            self.config_path.write_text(files.plugin_ini(
                self.state_dir, api_port, self.xcat_url, self.tls.ca_file if self.tls else None))
            self.config_path.chmod(0o600)
            r["detail"] = f"SQLite and the RPC directory under {self.state_dir}"
        with self.step("Create the database: quantum-zvm-db-manage upgrade head",
                       ("db-manage",)) as r:
            run_command([command_path("quantum-zvm-db-manage"), "--config-file",
                         str(self.config_path), "upgrade", "head"], self.log_path("db-manage"))
            r["detail"] = "SQLite"

    def show_zvm(self, title: str, ports: list[dict] | None = None) -> dict:
        model = self.model()
        self.section(f"{title}: vswitch grants and VLANs",
                     render.grants_table(model, MAPPED))
        self.section(f"{title}: NICs in the user directory (NICDEF) and live",
                     render.nic_table(model, GUESTS, ports or ()))
        return model

    def start_server(self) -> None:
        with self.step("Start quantum-zvm-server (REST API, plugin, RPC)", ("server",)) as r:
            self.services.start("server", [command_path("quantum-zvm-server"), "--config-file",
                                           str(self.config_path)])
            self._api = QuantumClient(self.api_url, admin=False)  # noauth's default admin
            self.wait("the REST API to answer", self._api_up, START_TIMEOUT, ("server",),
                      ("server",))
            r["detail"] = self.api_url

    def _api_up(self) -> bool:
        try:
            self.api.list("network", fields="id")
            return True
        except QuantumApiError:
            return False

    def start_agent(self) -> None:
        with self.step(f"Start quantum-zvm-agent (zHCP {files.ZHCP}, host {files.HOST})",
                       ("agent", "server")) as r:
            self.sim.reset_counters()
            begin = time.monotonic()
            self.services.start("agent", [command_path("quantum-zvm-agent"), "--config-file",
                                          str(self.config_path)])
            self.wait("the agent to report and create its vswitches", self._agent_ready,
                      START_TIMEOUT, ("agent", "server", "simulator"), ("agent",))
            seconds = time.monotonic() - begin
            r["detail"] = f"alive; {files.FLAT_VSWITCH} created"
        self.section("Agent start-up", render.cost_summary(self.sim.counters(), seconds, top=4))

    def _agent_ready(self) -> bool:
        agents = self.api.list("agent")
        alive = any(a["host"] == files.HOST and a["alive"] and a["agent_type"] == "z/VM agent"
                    for a in agents)
        return alive and all(name in self.model()["vswitches"] for name in MAPPED)

    def create_networks(self) -> None:
        with self.step("Create a flat and a VLAN network with subnets (REST API)",
                       ("server",)) as r:
            for name, (provider, cidr) in NETWORKS.items():
                network = self.api.create("network", {"name": name, **provider})
                self.networks[name] = network
                self.subnets[name] = self.api.create("subnet", {
                    "network_id": network["id"], "name": name.replace("-net", "-subnet"),
                    "ip_version": 4, "cidr": cidr})
            vlan = self.networks["vlan-net"]["provider:segmentation_id"]
            r["detail"] = f"vlan-net got VLAN {vlan} from {files.VLAN_VSWITCH}'s range"
        self.section("Networks", render.network_table(list(self.networks.values()),
                                                      list(self.subnets.values())))

    def attach_with_nic_command(self) -> None:
        plans = [p for p in PLAN if p.path == "nic"]
        with self.step(f"Attach {len(plans)} NICs with quantum-zvm-nic (xCAT hand-off path)",
                       ("nic",)) as r:
            nic = command_path("quantum-zvm-nic")
            done = []
            for plan in plans:
                argv = [nic, "--config-file", str(self.config_path), "--quantum-url",
                        self.api_url, "attach", "--userid", plan.userid, "--network",
                        self.networks[plan.network]["id"], "--json"]
                if plan.fixed_ip:
                    subnet = self.subnets[plan.network]
                    address = subnet["cidr"].rsplit(".", 1)[0] + "." + plan.fixed_ip
                    argv += ["--fixed-ip", f"subnet_id={subnet['id']},ip_address={address}"]
                if plan.vdev:
                    argv += ["--vdev", plan.vdev]
                result = json.loads(run_command(argv, self.log_path("nic")))
                self.ports[plan.port_name] = self.api.update(
                    "port", result["port_id"], {"name": plan.port_name})
                done.append(f"{plan.userid} {result['vdev']}")
            r["detail"] = ", ".join(done)

    def attach_through_api(self) -> None:
        plans = [p for p in PLAN if p.path == "api"]
        with self.step(f"Create {len(plans)} ports bound through the API "
                       f"(binding:host_id {files.HOST}, binding:profile zvm_userid)",
                       ("server",)) as r:
            for plan in plans:
                profile = {"zvm_userid": plan.userid}
                if plan.vdev:
                    profile["vdev"] = plan.vdev
                self.ports[plan.port_name] = self.api.create("port", {
                    "name": plan.port_name, "network_id": self.networks[plan.network]["id"],
                    "binding:host_id": files.HOST, "binding:profile": profile})
            r["detail"] = ", ".join(f"{p.userid}" + (f" {p.vdev}" if p.vdev else "")
                                    for p in plans)

    def wait_active(self) -> list[dict]:
        with self.step(f"Wait until all {len(self.ports)} ports are ACTIVE",
                       ("agent", "server")) as r:
            ports = self.wait("every port ACTIVE", self._ports_active, CONVERGE_TIMEOUT,
                              ("agent", "server", "simulator"), ("agent",))
            r["detail"] = f"{self.elapsed():.1f} s since the start"
        return ports

    def _ports_active(self) -> list[dict] | None:
        ports = self.all_ports()
        failed = [p for p in ports if p["status"] == "ERROR"]
        if failed:
            reasons = "; ".join(f"{p['name']}: {(p.get('binding:vif_details') or {}).get('error')}"
                                for p in failed)
            raise StepFailed(self.current_step, f"ports in ERROR: {reasons}", ("agent",))
        return ports if all(p["status"] == "ACTIVE" for p in ports) else None

    def ipl(self, before: dict) -> None:
        with self.step("Fire a z/VM IPL through the simulator control plane",
                       ("simulator",)) as r:
            self.sim.reset_counters()
            begin = time.monotonic()
            self.sim.fire("ipl")
            r["detail"] = (f"{files.VLAN_VSWITCH} and its grants are gone; "
                           "autolog guests logged on again")
        self.section("Right after the IPL: vswitch grants and VLANs",
                     render.grants_table(self.model(), MAPPED))
        with self.step("Wait for the agent to restore vswitches, grants and couplings",
                       ("agent",)) as r:
            want = render.grants(before, MAPPED)
            self.wait("the grants of before the IPL", lambda: self._restored(want),
                      CONVERGE_TIMEOUT, ("agent", "server", "simulator"), ("agent",))
            seconds = time.monotonic() - begin
            counters = self.sim.counters()
            r["detail"] = f"{seconds:.1f} s after the IPL"
        self.section("Restoring after the IPL", render.cost_summary(
            counters, seconds))
        self.show_zvm("z/VM after the IPL", self.all_ports())

    def _restored(self, want: dict) -> bool:
        model = self.model()
        if render.grants(model, MAPPED) != want:
            return False
        for guest in model["guests"].values():
            if not guest.get("logged_on"):
                continue
            for vdev, nic in (guest.get("nicdefs") or {}).items():
                if nic.get("lan_name") in MAPPED:
                    live = (guest.get("active_nics") or {}).get(vdev) or {}
                    if live.get("coupled_to") != nic["lan_name"]:
                        return False
        return True

    # ------------------------------------------------------------------ two systems
    def show_systems(self, title: str) -> None:
        for zhcp, name in files.SYSTEMS.items():
            self.section(f"{title}: {name} (zHCP {zhcp}) vswitch grants and VLANs",
                         render.grants_table(self.system(zhcp), MAPPED))

    def start_second_agent(self) -> None:
        with self.step(f"Start a second quantum-zvm-agent for {SECOND} (zHCP {files.ZHCP2}, "
                       f"host {files.HOST2})", ("agent2", "server")) as r:
            self.second_config.write_text(files.second_agent_ini())
            self.services.start("agent2", [command_path("quantum-zvm-agent"), "--config-file",
                                           str(self.config_path), "--config-file",
                                           str(self.second_config)])
            self.wait("the second agent to report and create its vswitches",
                      self._second_agent_ready, START_TIMEOUT, ("agent2", "server", "simulator"),
                      ("agent2",))
            r["detail"] = f"alive; {', '.join(MAPPED)} created on {SECOND}"

    @property
    def second_config(self) -> Path:
        """The second agent's configuration, read after the plugin's."""
        return self.state_dir / "agent2.ini"

    def _second_agent_ready(self) -> bool:
        alive = any(a["host"] == files.HOST2 and a["alive"] for a in self.api.list("agent"))
        return alive and all(name in self.system(files.ZHCP2)["vswitches"] for name in MAPPED)

    def attach_on_second_system(self) -> None:
        plan = SECOND_PLAN
        with self.step(f"Attach {plan.userid} of {SECOND} to {plan.network} with "
                       f"quantum-zvm-nic (zHCP {files.ZHCP2})", ("nic", "agent2")) as r:
            argv = [command_path("quantum-zvm-nic"), "--config-file", str(self.config_path),
                    "--config-file", str(self.second_config), "--quantum-url", self.api_url,
                    "attach", "--userid", plan.userid, "--network",
                    self.networks[plan.network]["id"], "--json"]
            result = json.loads(run_command(argv, self.log_path("nic")))
            port = self.api.update("port", result["port_id"], {"name": plan.port_name})
            self.ports[plan.port_name] = port
            self.wait(f"{plan.port_name} ACTIVE", lambda: self.api.show(
                "port", port["id"])["status"] == "ACTIVE", CONVERGE_TIMEOUT,
                ("agent2", "server"), ("agent2",))
            vlan = self.networks[plan.network]["provider:segmentation_id"]
            r["detail"] = f"{plan.network} spans both systems, VLAN {vlan} on each"
        self.show_systems("One network on two systems")

    def relocate(self) -> None:
        """Move MOVER to the second system with its network: refused while the destination
        does not authorize it, then rows and bindings handed over, then the move."""
        node, moving = MOVER.lower(), [p for p in PLAN if p.userid == MOVER]
        ports = [self.ports[p.port_name] for p in moving]
        with self.step(f"Relocate {MOVER} to {SECOND} before handing it over "
                       f"(rmigrate {node} destination={SECOND} action=MOVE)", ("simulator",)) as r:
            reply = self.rmigrate(node)
            if "Failed" not in reply:
                raise StepFailed(self.current_step, f"z/VM moved a guest {SECOND} does not "
                                 f"authorize: {reply}", ("simulator",))
            r["detail"] = f"refused, as z/VM must: {SECOND} does not authorize {MOVER} yet"
        with self.step(f"Hand {MOVER}'s {len(ports)} ports to {SECOND}: switch rows to "
                       f"{files.ZHCP2}, then binding:host_id {files.HOST2}",
                       ("agent2", "agent")) as r:
            tables.tabch_upsert(self.xcat, "switch", [({"port": p["id"]},
                                                       {"comments": files.ZHCP2}) for p in ports])
            for port in ports:
                self.api.update("port", port["id"], {"binding:host_id": files.HOST2})
            self.wait(f"{SECOND}'s agent to grant {MOVER} ahead of the move",
                      lambda: self._granted(files.ZHCP2) == set(MAPPED), CONVERGE_TIMEOUT,
                      ("agent2", "agent", "server"), ("agent2",))
            r["detail"] = f"{SECOND} grants {MOVER} ahead; {files.SYSTEMS[files.ZHCP]} still " \
                          f"serves it"
        with self.step(f"Relocate {MOVER} to {SECOND} (rmigrate {node} destination={SECOND} "
                       f"action=MOVE)", ("simulator",)) as r:
            reply = self.rmigrate(node)
            if "Done" not in reply:
                raise StepFailed(self.current_step, reply, ("simulator",))
            r["detail"] = "moved live, its NICs still coupled, same MACs"
        with self.step(f"Wait for {files.SYSTEMS[files.ZHCP]}'s agent to revoke {MOVER} there",
                       ("agent",)) as r:
            self.wait(f"no grant of {MOVER} left on {files.SYSTEMS[files.ZHCP]}",
                      lambda: not self._granted(files.ZHCP), CONVERGE_TIMEOUT,
                      ("agent", "agent2", "server"), ("agent",))
            moved = self.wait(f"{MOVER}'s ports ACTIVE on {files.HOST2}",
                              lambda: self._moved(ports), CONVERGE_TIMEOUT,
                              ("agent", "agent2", "server"), ("agent2", "agent"))
            r["detail"] = f"{len(moved)} ports ACTIVE on {files.ZHCP2}"
        self.show_systems("After the relocation")
        self.section("Where the ports are bound (REST API)",
                     render.placement_table(self.all_ports(), files.SYSTEMS))

    def rmigrate(self, node: str) -> str:
        """``rmigrate <node> destination=SECOND action=MOVE`` through the xCAT REST API: the
        text of its reply."""
        reply = self.xcat.request("PUT", ("nodes", node, "migrate"),
                                  body=[f"destination={SECOND}", "action=MOVE"])
        return "\n".join(line for group in reply.info + reply.error for line in group)

    def _granted(self, zhcp: str) -> set[str]:
        """The managed vswitches of ``zhcp``'s system on which MOVER holds a grant."""
        return {name for name, users in render.grants(self.system(zhcp), MAPPED).items()
                if MOVER in users}

    def _moved(self, ports: list[dict]) -> list[dict] | None:
        shown = [self.api.show("port", p["id"]) for p in ports]
        done = all(p["status"] == "ACTIVE" and p["binding:host_id"] == files.HOST2
                   and (p.get("binding:vif_details") or {}).get("zhcp_node") == files.ZHCP2
                   for p in shown)
        return shown if done else None

    # ------------------------------------------------------------------ the whole run
    def run(self) -> None:
        self.make_state_dir()
        self.start_simulator()
        self.configure()
        self.show_zvm("z/VM before")
        self.start_server()
        self.start_agent()
        self.create_networks()
        self.sim.reset_counters()
        begin = time.monotonic()
        self.attach_with_nic_command()
        self.attach_through_api()
        ports = self.wait_active()
        seconds = time.monotonic() - begin
        attached_by = {self.ports[p.port_name]["id"]: PATH_LABEL[p.path] for p in PLAN}
        self.section("Attaching and converging all NICs", render.cost_summary(
            self.sim.counters(), seconds))
        self.section("Ports (REST API)", render.port_table(
            ports, list(self.networks.values()), attached_by))
        before = self.show_zvm("z/VM after attaching", ports)
        self.ipl(before)
        with self.step("Check every port through the API after the IPL", ("agent",)) as r:
            ports = self.all_ports()
            statuses = sorted({p["status"] for p in ports})
            if statuses != ["ACTIVE"]:
                raise StepFailed(self.current_step, f"port statuses {statuses}", ("agent",))
            r["detail"] = f"{len(ports)} ACTIVE"
        self.section("Ports after the IPL (REST API)", render.port_table(
            ports, list(self.networks.values()), attached_by))
        self.start_second_agent()
        self.attach_on_second_system()
        self.relocate()

    def print_usage(self) -> None:
        """How to use the services left running, and how to stop them."""
        record = self.services.record()
        bin_dir = Path(sys.executable).parent
        openstack = shutil.which("openstack") or (bin_dir / "openstack").exists()
        os_cmd = f"openstack --os-auth-type none --os-endpoint {self.api_url}"
        nic_cmd = (f"quantum-zvm-nic --config-file {self.config_path} "
                   f"--quantum-url {self.api_url}")
        lines = [
            "The services keep running:",
            f"  REST API        {self.api_url}/v2.0  (noauth: no token needed)",
            f"  xCAT simulator  {self.xcat_url}/xcatws  (root/cluster; control plane /_sim)",
            f"  configuration   {self.config_path}",
            f"  logs            {self.state_dir}/*.log",
            "",
            "Try (the commands are in " + str(bin_dir) + "):",
            f"  export PATH={bin_dir}:$PATH",
            f"  {os_cmd} network list",
            f"  {os_cmd} port list --long",
            f"  {os_cmd} network agent list",
            f"  {os_cmd} port create --network flat-net --host {files.HOST} \\",
            "      --binding-profile zvm_userid=LINUX05 linux05-flat",
            f"  {nic_cmd} list --userid LINUX01",
            f"  {nic_cmd} attach --userid LINUX06 --network vlan-net --wait",
        ]
        if not openstack:
            lines.append(f"  (no openstack CLI here: {bin_dir}/pip install python-openstackclient)")
        lines += ["", "Stop them and remove the state directory:",
                  f"  quantum-zvm-demo --stop {self.state_dir}",
                  f"  (their pids are in {record})"]
        self.section("", "\n".join(lines))

    # ------------------------------------------------------------------ the end
    def finish(self, status: int, failure: StepFailed | None) -> None:
        """Report a failure, close the clients, then stop the services and remove the state
        directory (kept after a failed step), or leave both to a successful --keep-running."""
        if failure is not None:
            self.report_failure(failure)
        if self._api:
            self._api.close()
        if self._sim:
            self._sim.close()
        if self._xcat:
            self._xcat.close()
        if self._services is None:
            return
        if status == 0 and self.keep_running:
            self.print_usage()
            return
        with self.step("Stop the services") as r:
            statuses = self._services.stop_all()
            r["detail"] = ", ".join(f"{name} exit {code}" for name, code in statuses.items())
        if status == 0:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            guests = len({p.userid for p in (*PLAN, SECOND_PLAN)})
            self.say(f"\nDemo finished in {self.elapsed():.1f} s: {len(self.ports)} ports ACTIVE "
                     f"on {guests} guests of two z/VM systems, grants restored after the IPL, "
                     f"{MOVER} relocated with its network.")
        elif status == 1:
            self.say(f"Logs and configuration kept in {self.state_dir}")
        else:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def report_failure(self, failure: StepFailed) -> None:
        """The failed step, its reason and the log tails of the services that explain it
        or died."""
        self.say(f"\nThe demo failed at step: {failure.step}\n  {failure.reason}")
        died = [s.name for s in (self._services.started if self._services else ())
                if not s.alive()]
        for name in dict.fromkeys([*failure.logs, *died]):
            path = self.log_path(name) if self._state_dir else None
            if path is not None and path.exists():
                tail = "\n".join(path.read_text(errors="replace").splitlines()[-25:])
                self.say(f"\n--- last lines of {path} ---\n{tail}\n--- end of {path.name} ---")
        self.after_section = True


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening_url(service: Service) -> str | None:
    for line in service.tail(5).splitlines():
        if line.startswith("xcat-zvm-simulator listening on "):
            return line.rsplit(" ", 1)[1]
    return None


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def run_demo(out: TextIO = sys.stdout, keep_running: bool = False) -> int:
    """Run the demo; 0 when every step passed, 1 when one failed, 128+N on signal N."""
    demo = Demo(out=out, keep_running=keep_running)
    handlers = {sig: signal.signal(sig, _raise_interrupted)
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    status = 0
    failure: StepFailed | None = None
    try:
        demo.run()
    except StepFailed as exc:
        failure, status = exc, 1
    except FAILURES as exc:  # between steps (showing state)
        failure, status = StepFailed(f"after: {demo.current_step}", str(exc)), 1
    except Interrupted as exc:
        demo.say(f"\n{exc} during: {demo.current_step or 'start-up'}; stopping everything")
        demo.after_section = True
        status = 128 + exc.signum
    finally:
        for sig in handlers:  # a second Ctrl-C must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        try:
            demo.finish(status, failure)
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
    return status
