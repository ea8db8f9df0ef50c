"""z/VM agent benchmarks (issue 7), against a real simulator and server.

For each simulator latency setting (default: 200 ms per REST request and
20 ms per smcli call, then 0; or the simulator's ``realistic`` profile, with
DirMaint's serialized directory time) and each size N (default 100, 1,000,
5,000):

1. ``converge``: N VLAN ports on N guests are handed over at once (xCAT
   switch rows, as nova-zvm writes them) to an agent that has already
   started; the agent's cycles run until every port is reported ACTIVE.
   Counted by the simulator: REST requests in total (target <= 20), smcli
   calls per port (target <= 3); wall time; plus the RPC calls the agent made.
2. ``ipl``: z/VM is IPLed with those N bindings (guests log on again); the
   cycles until the re-apply is done: requests, smcli calls and time.
3. ``idle``: the switch table is filled to 10,000 rows (the others belong to
   other zHCPs); an idle cycle's requests (target 1) and the agent's CPU.
4. ``anchor``: the same numbers for the anchor agent's call pattern
   (reference xcat-rest-api.md §5.2, computed with the same latencies: 11
   REST calls and 5 smcli calls per VLAN port, one port after another, each
   call on a new TLS connection, one of the smcli calls a directory
   (``_DM``) call; IPL: 2 tabdumps + 2 dsh per 1,000 ports; idle: one
   tabdump per poll).

The agent runs in this process (the real :class:`quantum_zvm.agent.daemon.Agent`
with its xCAT client and RPC client), so its CPU time per cycle is measured
directly; the simulator and the server are separate processes.

    .venv/bin/python benchmarks/bench_agent.py                    # full run (long: 5,000 ports
                                                                  # at 20 ms per smcli)
    .venv/bin/python benchmarks/bench_agent.py --sizes 100,1000 --latencies 0.2:0.02,0:0
    .venv/bin/python benchmarks/bench_agent.py --sizes 100 --latencies realistic

Prints one JSON document (all numbers, with counts) and a table.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fixtures.agent import write_agent_ini  # noqa: E402
from tests.fixtures.server import start_server  # noqa: E402
from tests.fixtures.simulator import start_simulator  # noqa: E402
from xcat.simulator.faults import PROFILES  # noqa: E402

HEADERS = {"X-Project-Id": "bench", "X-Roles": "admin"}
IDLE_ROWS = 10_000
BULK = 500
ANCHOR_REST_PER_VLAN_PORT = 11
ANCHOR_SMCLI_PER_VLAN_PORT = 5
ANCHOR_DM_PER_VLAN_PORT = 1            # Connect_Vswitch_DM


@dataclass(frozen=True)
class Timing:
    """A simulator latency setting: its label, its fault spec and the mean
    seconds per REST request, SMAPI call and extra DirMaint time."""
    label: str
    spec: dict[str, Any]
    rest: float
    smcli: float
    dirmaint: float = 0.0


ZERO = {"profile": "zero"}


def timing(text: str) -> Timing:
    """``REST:smcli`` seconds, or the name of a simulator latency profile."""
    if text in PROFILES:
        profile = PROFILES[text]

        def mean(key: str) -> float:
            value = profile[key]
            return float(value["fixed"] if isinstance(value, dict) else value)
        return Timing(text, {"profile": text}, mean("rest_latency"), mean("smcli_latency"),
                      mean("dirmaint_latency"))
    rest, smcli = (float(x) for x in text.split(":"))
    return Timing(text, {"rest_latency": {"fixed": rest, "jitter": 0}, "smcli_latency": smcli,
                         "dirmaint_latency": 0}, rest, smcli)


def _session():
    import requests
    session = requests.Session()
    session.headers.update(HEADERS)
    return session


def make_agent(ini: Path):
    from quantum_zvm.agent.daemon import Agent
    from quantum_zvm.agent.main import state_file
    from quantum_zvm.common import config
    from quantum_zvm.common.xcat_conf import xcat_client
    from quantum_zvm.rpc.agent_api import PluginApi
    from quantum_zvm.rpc.client import RpcClient
    from quantum_zvm.rpc.transport import Transport

    conf, problems = config.load(["--config-file", str(ini)], "bench-agent", role="agent")
    if problems:
        raise SystemExit("\n".join(map(str, problems)))
    client = xcat_client(conf)
    rpc = RpcClient(Transport.from_conf(conf), timeout=300)
    api = PluginApi(rpc, agent_id="zvm-zhcp1", host=conf.AGENT.host)
    counting = CountingApi(api)
    agent = Agent(conf, client, rpc, counting, state_file=state_file(conf),
                  system_check_seconds=3600)
    return agent, counting, rpc, client


class CountingApi:
    """PluginApi wrapper counting RPC calls by method."""

    def __init__(self, api):
        self.api = api
        self.calls: dict[str, int] = {}

    def __getattr__(self, name):
        method = getattr(self.api, name)

        def counted(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            return method(*args, **kwargs)
        return counted

    def reset(self) -> None:
        self.calls = {}


def setup_ports(sim, server, session, count: int, offset: int) -> list[str]:
    """``count`` guests with NIC 1000 and ``count`` VLAN ports handed over by switch rows."""
    net = session.post(server.api + "/networks", json={"network": {
        "name": f"bench{offset}", "provider:network_type": "vlan",
        "provider:physical_network": "VSW1", "provider:segmentation_id": 100 + offset % 900}})
    net.raise_for_status()
    net_id = net.json()["network"]["id"]
    ports: list[str] = []
    for start in range(0, count, BULK):
        body = {"ports": [{"network_id": net_id} for _ in range(min(BULK, count - start))]}
        response = session.post(server.api + "/ports", json=body)
        response.raise_for_status()
        ports += [p["id"] for p in response.json()["ports"]]
    lines = []
    for i, port in enumerate(ports):
        userid = f"B{offset + i:07d}"
        sim.control.add_guest(userid, userid.lower(), logged_on=True, autolog=True,
                              nicdefs=[{"vdev": "1000"}])
        lines.append(f"/opt/xcat/sbin/tabch node={userid.lower()},interface=1000 "
                     f"switch.port={port} switch.comments=zhcp1")
    for start in range(0, len(lines), 1000):
        sim.dsh("xcat", "\n".join(lines[start:start + 1000]))
    return ports


def fill_table(sim, rows: int) -> None:
    lines = [f"/opt/xcat/sbin/tabch node=other{i},interface=1000 switch.port=other-{i} "
             f"switch.comments=zhcp9" for i in range(rows)]
    for start in range(0, len(lines), 1000):
        sim.dsh("xcat", "\n".join(lines[start:start + 1000]))


def run_until(agent, done, max_cycles: int = 50) -> dict[str, Any]:
    started = time.monotonic()
    cycles = []
    for _ in range(max_cycles):
        summary = agent.cycle()
        cycles.append(summary)
        if done():
            break
    return {"seconds": round(time.monotonic() - started, 3), "cycles": len(cycles),
            "agent_cpu_seconds": round(sum(c.cpu_seconds for c in cycles), 3),
            "errors": sum(len(c.errors) for c in cycles)}


def counted(sim) -> dict[str, Any]:
    counters = sim.control.counters()
    return {"rest_requests": counters["rest"]["total"], "smcli_calls": counters["smcli"]["total"],
            "tcp_connections": counters["connections"], "by_key": counters["rest"]["by_key"]}


def bench_size(size: int, t: Timing, tmp: Path) -> dict[str, Any]:
    sim = start_simulator(tmp)
    server = start_server(tmp / "server", vswitch_mappings="VSW1:100:999,FLATSW")
    session = _session()
    agent = rpc = client = None
    try:
        ini = write_agent_ini(tmp, server, sim, "smcli_batch_size = 1000\n")
        agent, api, rpc, client = make_agent(ini)
        agent.cycle()                                   # start-up, nothing to do yet
        ports = setup_ports(sim, server, session, size, 0)
        sim.control.fault(**t.spec)
        sim.control.reset_counters()
        api.reset()

        def all_active():
            reported = agent.observed.reported
            return sum(1 for p in ports if getattr(reported.get(p), "status", None) == "ACTIVE") \
                == size
        converge = run_until(agent, all_active)
        converge.update(counted(sim))
        converge["smcli_per_port"] = round(converge["smcli_calls"] / size, 3)
        converge["rpc_calls"] = dict(api.calls)
        statuses = session.get(server.api + "/ports", params={"fields": ["id", "status"]}).json()
        converge["ports_active"] = sum(1 for p in statuses["ports"] if p["status"] == "ACTIVE")

        # IPL with N bindings
        sim.control.fault(**ZERO)
        sim.control.fire("ipl")
        sim.control.fault(**t.spec)
        sim.control.reset_counters()
        api.reset()
        agent.next_system_check = 0.0
        before = agent.ipl_time

        def reapplied():
            return agent.ipl_time != before and agent.resync is None and not agent.replan
        ipl = run_until(agent, reapplied)
        ipl.update(counted(sim))
        ipl["rpc_calls"] = dict(api.calls)
        model = sim.control.state()["model"]
        ipl["coupled_after"] = sum(
            1 for g in model["guests"].values()
            if g.get("active_nics", {}).get("1000", {}).get("coupled_to") == "VSW1")

        # idle with a 10,000-row switch table
        sim.control.fault(**ZERO)
        fill_table(sim, max(0, IDLE_ROWS - size))
        agent.cycle()                                   # sees the new rows once
        sim.control.fault(**t.spec)
        sim.control.reset_counters()
        api.reset()
        idle_cycles = [agent.cycle() for _ in range(5)]
        idle = counted(sim)
        idle.update(cycles=5, requests_per_cycle=idle["rest_requests"] / 5,
                    agent_cpu_per_cycle=round(sum(c.cpu_seconds for c in idle_cycles) / 5, 4),
                    seconds_per_cycle=round(sum(c.seconds for c in idle_cycles) / 5, 4),
                    rpc_calls=dict(api.calls), table_rows=IDLE_ROWS)
        return {"size": size, "latency": t.label, "rest_latency": t.rest,
                "smcli_latency": t.smcli, "dirmaint_latency": t.dirmaint,
                "converge": converge, "ipl": ipl, "idle": idle, "anchor": anchor(size, t)}
    finally:
        for thing in (rpc, client):
            if thing is not None:
                thing.close()
        server.stop()
        sim.stop()


def anchor(size: int, t: Timing) -> dict[str, Any]:
    """The anchor agent's cost for the same work (reference §5.2), computed."""
    requests = ANCHOR_REST_PER_VLAN_PORT * size
    smcli_calls = ANCHOR_SMCLI_PER_VLAN_PORT * size
    directory = ANCHOR_DM_PER_VLAN_PORT * size
    ipl_requests = 2 + 2 * math.ceil(size / 1000) + 3   # regrant + uptime checks
    return {
        "converge": {"rest_requests": requests, "smcli_calls": smcli_calls,
                     "smcli_per_port": ANCHOR_SMCLI_PER_VLAN_PORT,
                     "tcp_connections": requests,
                     "seconds": round(requests * t.rest + smcli_calls * t.smcli
                                      + directory * t.dirmaint, 3)},
        "ipl": {"rest_requests": ipl_requests, "smcli_calls": size + 2,
                "seconds": round(ipl_requests * t.rest + (size + 2) * t.smcli, 3)},
        "idle": {"requests_per_cycle": 1, "note": "whole-table tabdump every 2 s poll"},
    }


def table(results: list[dict[str, Any]]) -> str:
    head = (f"{'ports':>6} {'latency':>11} | {'conv req':>8} {'smcli/port':>10} {'conv s':>8} "
            f"{'anchor req':>10} {'anchor s':>9} | {'ipl req':>7} {'ipl s':>7} "
            f"{'anchor ipl s':>12} | {'idle req':>8} {'idle cpu ms':>11}")
    lines = [head, "-" * len(head)]
    for r in results:
        c, i, d, a = r["converge"], r["ipl"], r["idle"], r["anchor"]
        lines.append(
            f"{r['size']:>6} {r['latency']:>11} | "
            f"{c['rest_requests']:>8} {c['smcli_per_port']:>10} {c['seconds']:>8} "
            f"{a['converge']['rest_requests']:>10} {a['converge']['seconds']:>9} | "
            f"{i['rest_requests']:>7} {i['seconds']:>7} {a['ipl']['seconds']:>12} | "
            f"{d['requests_per_cycle']:>8} {d['agent_cpu_per_cycle'] * 1000:>11.1f}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--latencies", default="0.2:0.02,0:0",
                        help="REST:smcli seconds pairs or simulator latency profiles "
                             f"({', '.join(PROFILES)}), comma separated")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    timings = [timing(text) for text in args.latencies.split(",")]
    results = []
    for t in timings:
        for size in sizes:
            with tempfile.TemporaryDirectory(prefix="bench-agent-") as tmp:
                result = bench_size(size, t, Path(tmp))
            results.append(result)
            print(f"# {size} ports at {t.label}: converge {result['converge']['seconds']}s",
                  file=sys.stderr, flush=True)
    for result in results:
        for part in ("converge", "ipl", "idle"):
            result[part].pop("by_key", None) if result[part].get("rest_requests", 0) > 50 else None
    print(json.dumps({"benchmark": "agent", "results": results}, indent=1))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
