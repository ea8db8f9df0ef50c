"""z/VM agent benchmarks, against a real simulator and server.

For each simulator latency setting (default: 200 ms per REST request and
20 ms per smcli call, then 0; or the simulator's ``realistic`` profile, with
DirMaint's serialized directory time), each number of SMAPI workers W (the
simulator's and the agent's ``smapi_workers``; default 1 and 3) and each size
N (default 100, 1,000, 5,000):

1. ``converge``: N VLAN ports on N guests are handed over at once (xCAT
   switch rows, as nova-zvm writes them) to an agent that has already
   started; the agent's cycles run until every port is reported ACTIVE.
   Counted by the simulator: REST requests, smcli calls (per port, and the
   directory calls among them), the most dsh requests in flight at once;
   wall time; the RPC calls the agent made; then the cycles until one is idle
   (``after_active``: those that were not, and their CPU time); ``timeline``:
   each xCAT request as ``[method and path, start s, seconds]``.  ``limit`` is
   the physical limit for those calls: directory calls one at a time through
   DirMaint, every call holding one of W workers, plus three REST round trips
   (read the switch table, run the commands, write the rows):
   ``max(dm * dirmaint, (calls * smcli + dm * dirmaint) / W) + 3 * rest``;
   ``ratio`` = converge seconds / limit.
2. ``first_add`` then ``add_one``: one more port handed over with the N bound,
   then ``--adds`` more (default 5), one after the other: the cycles until it
   is ACTIVE, the agent's CPU time, and the same minus an idle cycle's, and the
   part of it spent in xCAT requests (the requesting threads' CPU while a request
   ran: building it, TLS, reading and parsing the answer) and in RPC calls (the
   process's CPU while a call waited: publishing, waiting for and reading the reply,
   decoding);
   then the cycles after it that were not idle (a dump showing the agent's own
   write of the row is not a change) and their CPU time, and the CPU time of the
   idle cycle that reads that write (``after_active``; the table's ``+1 next``
   is both).
   The first also reads the N rows the agent wrote when they converged (their
   lines are new to it); the others are the steady state: ``add_one`` is the
   one of median CPU time, with every one's in ``cpu_ms_of_each`` (a few
   milliseconds vary from one to the next on a busy machine).
   ``add_notified``: the same, each port also notified (``port_update``, as
   the port's binding update by nova sends it to every agent; the in-process
   agent gets the call its consumer would make).
3. ``ipl``: z/VM is IPLed with those N bindings (guests log on again); the
   cycles until the re-apply is done: requests, smcli calls and time.
4. ``idle``: the switch table is filled to 10,000 rows (the others belong to
   other zHCPs); an idle cycle's requests (target 1) and the agent's CPU.
5. ``anchor``: the 2015 agent's call pattern run on a simulator of its own
   with the same latencies (:mod:`benchmarks.replay_2015`: 11 REST requests
   and 5 smcli calls per VLAN port, one port after another, a new TLS
   connection per request) for sizes up to ``--anchor-max`` (default 100:
   at the realistic profile it takes about 9 s a port), measured once per
   latency and size; the IPL re-grant likewise.

The agent prices its requests (``smcli_call_seconds``,
``dirmaint_call_seconds``) at twice the simulator's mean latencies, as a
site sets them from what it measures; ``dsh_request_seconds`` stays 30.

The agent runs in this process (the real :class:`quantum_zvm.agent.daemon.Agent`
with its xCAT client and RPC client, and the garbage collector set as
``quantum-zvm-agent`` sets it: :func:`quantum_zvm.agent.main.collect_less`;
``--cpython-gc`` keeps CPython's thresholds), so its CPU time per cycle is
measured directly, and the part of it the garbage collector took
(``gc_cpu_seconds``, ``gc_collections`` by generation, in every phase that runs
cycles until done; ``converge.gc_tracked_objects``: the objects it tracks
once the N ports converged); the simulator and the server are separate
processes.

    .venv/bin/python benchmarks/bench_agent.py                    # full run (long)
    .venv/bin/python benchmarks/bench_agent.py --sizes 100,1000 --workers 1,3,4
    .venv/bin/python benchmarks/bench_agent.py --sizes 100 --latencies realistic

Prints one JSON document (all numbers, with counts) and a table.
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.replay_2015 import replay_ipl_regrant, replay_vlan_ports  # noqa: E402
from quantum_zvm.agent.main import collect_less  # noqa: E402
from tests.fixtures.agent import in_process_agent, is_active, write_agent_ini  # noqa: E402
from tests.fixtures.server import start_server  # noqa: E402
from tests.fixtures.simulator import start_simulator  # noqa: E402
from xcat import smcli as smcli_functions  # noqa: E402
from xcat.simulator.faults import PROFILES  # noqa: E402

HEADERS = {"X-Project-Id": "bench", "X-Roles": "admin"}
IDLE_ROWS = 10_000
BULK = 500
ZHCP_USERID = "ZHCP"


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


def agent_prices(t: Timing, workers: int) -> str:
    """The agent's options for ``t``: calls priced at twice their mean (at least 10 ms)."""
    return (f"smapi_workers = {workers}\n"
            f"smcli_call_seconds = {max(0.01, 2 * t.smcli)}\n"
            f"dirmaint_call_seconds = {max(0.01, 2 * (t.smcli + t.dirmaint))}\n")


def physical_limit(by_function: dict[str, int], t: Timing, workers: int) -> float:
    """The least time z/VM needs for these smcli calls (see the module docstring)."""
    calls = sum(by_function.values())
    directory = sum(n for f, n in by_function.items() if smcli_functions.goes_through_dirmaint(f))
    zvm = max(directory * t.dirmaint, (calls * t.smcli + directory * t.dirmaint) / workers)
    return round(zvm + 3 * t.rest, 3)


def _session():
    import requests
    session = requests.Session()
    session.headers.update(HEADERS)
    return session


class CountingApi:
    """PluginApi wrapper counting RPC calls by method, and the process CPU time spent
    while one runs (the caller's publish and reading of the reply, and the reply
    listener's thread on a broker: the agent makes its calls one at a time)."""

    def __init__(self, api):
        self.api = api
        self.calls: dict[str, int] = {}
        self.cpu_seconds = 0.0

    def __getattr__(self, name):
        method = getattr(self.api, name)

        def counted(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            started = time.process_time()
            try:
                return method(*args, **kwargs)
            finally:
                self.cpu_seconds += time.process_time() - started
        return counted

    def reset(self) -> None:
        self.calls = {}
        self.cpu_seconds = 0.0


class RequestCpu:
    """The CPU time of the threads that made the xCAT client's requests, while they
    ran (its own thread's clock: a directory read ahead runs beside a look-up); and,
    after :meth:`record`, each request as ``[method and path, start s, seconds]``."""

    def __init__(self, client):
        self.cpu_seconds = 0.0
        self.timeline: list[list[Any]] | None = None
        self._origin = 0.0
        self._lock = threading.Lock()
        request = client.request

        def timed(method, path, *args, **kwargs):
            started, wall = time.thread_time(), time.monotonic()
            try:
                return request(method, path, *args, **kwargs)
            finally:
                with self._lock:
                    self.cpu_seconds += time.thread_time() - started
                    if self.timeline is not None:
                        shown = path if isinstance(path, str) else "/".join(map(str, path))
                        self.timeline.append([f"{method} {shown}",
                                              round(wall - self._origin, 3),
                                              round(time.monotonic() - wall, 3)])
        client.request = timed

    def record(self) -> None:
        """Note each request from now on, its start counted from now."""
        with self._lock:
            self.timeline, self._origin = [], time.monotonic()


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


class GcClock:
    """The process CPU time the garbage collector took, and its collections by
    generation, from when it was last reset (``gc.callbacks``)."""

    def __init__(self):
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._started = 0.0
        gc.callbacks.append(self._phase)

    def _phase(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started
            self.collections[info["generation"]] += 1

    def reset(self) -> None:
        self.seconds, self.collections = 0.0, [0, 0, 0]


GC = GcClock()


def run_until(agent, done, max_cycles: int = 50) -> dict[str, Any]:
    started = time.monotonic()
    GC.reset()
    cycles = []
    for _ in range(max_cycles):
        summary = agent.cycle()
        cycles.append(summary)
        if done():
            break
    return {"seconds": round(time.monotonic() - started, 3), "cycles": len(cycles),
            "agent_cpu_seconds": round(sum(c.cpu_seconds for c in cycles), 4),
            "gc_cpu_seconds": round(GC.seconds, 4), "gc_collections": list(GC.collections),
            "errors": sum(len(c.errors) for c in cycles)}


def add_port(agent, sim, server, session, offset: int, spec: dict[str, Any],
             idle_cpu: float, api: CountingApi, requests: RequestCpu,
             notify: bool = False) -> dict[str, Any]:
    """One more port handed over (and notified, with ``notify``): the cycles until it
    is ACTIVE, their requests and CPU (also above ``idle_cpu`` a cycle; and the part
    spent in xCAT requests and in RPC calls), then the busy cycles until an idle one."""
    (new,) = setup_ports(sim, server, session, 1, offset)
    if notify:
        agent.port_update(None, port={"id": new})
    sim.control.fault(**spec)
    sim.control.reset_counters()
    api.reset()
    requests.cpu_seconds = 0.0
    added = run_until(agent, lambda: is_active(agent, new))
    added.update(rest_requests=sim.control.counters()["rest"]["total"],
                 rpc_calls=dict(api.calls),
                 xcat_request_cpu_seconds=round(requests.cpu_seconds, 4),
                 rpc_call_cpu_seconds=round(api.cpu_seconds, 4),
                 idle_cycle_cpu_seconds=round(idle_cpu, 4),
                 agent_cpu_above_idle=round(added["agent_cpu_seconds"]
                                            - added["cycles"] * idle_cpu, 4))
    added["after_active"] = until_idle(agent)
    sim.control.fault(**ZERO)
    return added


def median_add(adds: list[dict[str, Any]]) -> dict[str, Any]:
    """The add of median agent CPU time, with the CPU time of each (milliseconds)."""
    ranked = sorted(adds, key=lambda added: added["agent_cpu_seconds"])
    return {**ranked[len(ranked) // 2],
            "cpu_ms_of_each": [round(added["agent_cpu_seconds"] * 1000, 1) for added in adds]}


def until_idle(agent, max_cycles: int = 5) -> dict[str, Any]:
    """The cycles that were not idle before the first idle one, their CPU time, and
    that idle cycle's (it reads the rows the agent wrote: a dump that changed)."""
    busy = []
    idle_cpu = None
    for _ in range(max_cycles):
        summary = agent.cycle()
        if summary.idle:
            idle_cpu = summary.cpu_seconds
            break
        busy.append(summary)
    return {"cycles": len(busy), "agent_cpu_seconds": round(sum(c.cpu_seconds for c in busy), 4),
            "then_idle_cpu_seconds": None if idle_cpu is None else round(idle_cpu, 4)}


def counted(sim) -> dict[str, Any]:
    counters = sim.control.counters()
    return {"rest_requests": counters["rest"]["total"], "smcli_calls": counters["smcli"]["total"],
            "smcli_by_function": counters["smcli"]["by_function"],
            "dsh_peak_in_flight": counters["dsh"]["peak_in_flight"],
            "tcp_connections": counters["connections"], "by_key": counters["rest"]["by_key"]}


def bench_size(size: int, t: Timing, workers: int, tmp: Path, adds: int = 5) -> dict[str, Any]:
    sim = start_simulator(tmp)
    server = start_server(tmp / "server", vswitch_mappings="VSW1:100:999,FLATSW")
    session = _session()
    agent = rpc = client = None
    spec = {**t.spec, "smapi_workers": workers}
    try:
        ini = write_agent_ini(tmp, server, sim, "smcli_batch_size = 1000\n"
                              + agent_prices(t, workers))
        agent, api, rpc, client = in_process_agent(ini, CountingApi)
        requests = RequestCpu(client)
        agent.cycle()                                   # start-up, nothing to do yet
        ports = setup_ports(sim, server, session, size, 0)
        sim.control.fault(**spec)
        sim.control.reset_counters()
        api.reset()
        requests.record()

        converge = run_until(agent, lambda: all(is_active(agent, p) for p in ports))
        converge["timeline"], requests.timeline = requests.timeline, None
        converge.update(counted(sim))
        converge["smcli_per_port"] = round(converge["smcli_calls"] / size, 3)
        converge["limit"] = physical_limit(converge["smcli_by_function"], t, workers)
        converge["ratio"] = (round(converge["seconds"] / converge["limit"], 2)
                             if converge["limit"] else None)   # no latency: no limit
        converge["rpc_calls"] = dict(api.calls)
        converge["gc_tracked_objects"] = len(gc.get_objects())   # the agent's state, mostly
        converge["after_active"] = until_idle(agent)
        statuses = session.get(server.api + "/ports", params={"fields": ["id", "status"]}).json()
        converge["ports_active"] = sum(1 for p in statuses["ports"] if p["status"] == "ACTIVE")

        # one more port with the N bound, twice, against an idle cycle's CPU
        sim.control.fault(**ZERO)
        idle_cpu = min(agent.cycle().cpu_seconds for _ in range(3))
        first_add = add_port(agent, sim, server, session, size, spec, idle_cpu, api, requests)
        add_one = median_add([add_port(agent, sim, server, session, size + 1 + k, spec, idle_cpu,
                                       api, requests)
                              for k in range(adds)])
        add_notified = median_add([add_port(agent, sim, server, session, size + 1 + adds + k,
                                            spec, idle_cpu, api, requests, notify=True)
                                   for k in range(adds)])

        # IPL with N bindings
        sim.control.fault(**ZERO)
        sim.control.fire("ipl")
        sim.control.fault(**spec)
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
        fill_table(sim, max(0, IDLE_ROWS - size - 1 - 2 * adds))  # the ports added above count
        agent.cycle()                                   # sees the new rows once
        sim.control.fault(**spec)
        sim.control.reset_counters()
        api.reset()
        idle_cycles = [agent.cycle() for _ in range(5)]
        idle = counted(sim)
        idle.update(cycles=5, requests_per_cycle=idle["rest_requests"] / 5,
                    agent_cpu_per_cycle=round(sum(c.cpu_seconds for c in idle_cycles) / 5, 4),
                    seconds_per_cycle=round(sum(c.seconds for c in idle_cycles) / 5, 4),
                    rpc_calls=dict(api.calls), table_rows=IDLE_ROWS)
        return {"size": size, "latency": t.label, "workers": workers, "rest_latency": t.rest,
                "smcli_latency": t.smcli, "dirmaint_latency": t.dirmaint,
                "converge": converge, "first_add": first_add, "add_one": add_one,
                "add_notified": add_notified, "ipl": ipl,
                "idle": idle}
    finally:
        for thing in (rpc, client):
            if thing is not None:
                thing.close()
        server.stop()
        sim.stop()


def anchor(size: int, t: Timing, tmp: Path) -> dict[str, Any]:
    """The 2015 agent's call pattern for the same work, run on a simulator of its
    own with the same latencies (one SMAPI worker: it kept one request in flight)."""
    sim = start_simulator(tmp)
    try:
        sim.control.add_vswitch("VSW1", transport="ETHERNET", vlan_aware=True, default_vid=1,
                                persistent=True)
        rows = []
        for i in range(size):
            userid = f"A{i:07d}"
            sim.control.add_guest(userid, userid.lower(), logged_on=True, autolog=True,
                                  nicdefs=[{"vdev": "1000"}])
            rows.append({"node": userid.lower(), "port": f"anchor-{i}", "interface": "1000",
                         "comments": "zhcp1"})
        sim.control.insert_rows("switch", rows)
        sim.control.fault(**t.spec)
        sim.control.reset_counters()
        converge = replay_vlan_ports(
            sim.url, sim.username, sim.password,
            [(f"anchor-{i}", "VSW1", 100 + i % 900) for i in range(size)],
            zhcp_node="zhcp1", zhcp_userid=ZHCP_USERID, verify=sim.verify)
        converge.update(counted(sim), smcli_per_port=round(converge["smcli_calls"] / size, 3))
        converge.pop("by_call")
        sim.control.fault(**ZERO)
        sim.control.fire("ipl")
        sim.control.fault(**t.spec)
        sim.control.reset_counters()
        ipl = replay_ipl_regrant(sim.url, sim.username, sim.password, zhcp_node="zhcp1",
                                 verify=sim.verify)
        ipl.update(counted(sim))
        ipl.pop("by_call")
        return {"converge": converge, "ipl": ipl,
                "idle": {"requests_per_cycle": 1, "note": "whole-table tabdump every 2 s poll"}}
    finally:
        sim.stop()


def next_cycles_ms(after_active: dict[str, Any]) -> float:
    """The CPU milliseconds of the cycles after a port went ACTIVE, the idle one included."""
    return (after_active["agent_cpu_seconds"] + (after_active["then_idle_cpu_seconds"] or 0)) * 1000


def table(results: list[dict[str, Any]]) -> str:
    head = (f"{'ports':>6} {'latency':>10} {'W':>2} | {'req':>5} {'smcli/p':>7} {'peak':>4} "
            f"{'conv s':>8} {'limit s':>8} {'ratio':>5} {'next ms':>7} | "
            f"{'anchor req':>10} {'anchor s':>9} | "
            f"{'1st +1 ms':>9} {'+1 cpu ms':>9} {'+1 >idle':>8} {'xcat':>5} {'rpc':>5} "
            f"{'+1 next':>7} {'+1 ntf':>6} | "
            f"{'ipl req':>7} {'ipl s':>7} "
            f"{'anchor ipl s':>12} | {'idle req':>8} {'idle cpu ms':>11}")
    lines = [head, "-" * len(head)]
    for r in results:
        c, o, i, d, a = r["converge"], r["add_one"], r["ipl"], r["idle"], r.get("anchor")
        lines.append(
            f"{r['size']:>6} {r['latency']:>10} {r['workers']:>2} | "
            f"{c['rest_requests']:>5} {c['smcli_per_port']:>7} {c['dsh_peak_in_flight']:>4} "
            f"{c['seconds']:>8} {c['limit']:>8} {c['ratio'] or '-':>5} "
            f"{next_cycles_ms(c['after_active']):>7.0f} | "
            f"{a['converge']['rest_requests'] if a else '-':>10} "
            f"{a['converge']['seconds'] if a else '-':>9} | "
            f"{r['first_add']['agent_cpu_seconds'] * 1000:>9.1f} "
            f"{o['agent_cpu_seconds'] * 1000:>9.1f} {o['agent_cpu_above_idle'] * 1000:>8.1f} "
            f"{o['xcat_request_cpu_seconds'] * 1000:>5.1f} "
            f"{o['rpc_call_cpu_seconds'] * 1000:>5.1f} "
            f"{next_cycles_ms(o['after_active']):>7.1f} "
            f"{r['add_notified']['agent_cpu_seconds'] * 1000:>6.1f} | "
            f"{i['rest_requests']:>7} {i['seconds']:>7} "
            f"{a['ipl']['seconds'] if a else '-':>12} | "
            f"{d['requests_per_cycle']:>8} {d['agent_cpu_per_cycle'] * 1000:>11.1f}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--latencies", default="0.2:0.02,0:0",
                        help="REST:smcli seconds pairs or simulator latency profiles "
                             f"({', '.join(PROFILES)}), comma separated")
    parser.add_argument("--workers", default="1,3",
                        help="SMAPI workers of the simulator and the agent, comma separated")
    parser.add_argument("--adds", type=int, default=5,
                        help="steady-state ports added one after the other (their median "
                             "is add_one)")
    parser.add_argument("--cpython-gc", action="store_true",
                        help="keep CPython's garbage collection thresholds instead of "
                             "the agent's (to compare)")
    parser.add_argument("--anchor-max", type=int, default=100,
                        help="largest size the 2015 agent's pattern is run for (0: none)")
    args = parser.parse_args()
    if args.adds < 1:
        parser.error(f"--adds: {args.adds} is not a positive number of ports")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    timings = [timing(text) for text in args.latencies.split(",")]
    workers = [int(w) for w in args.workers.split(",") if w]
    if not args.cpython_gc:
        collect_less()  # the agent's process settings (this process runs the agent)
    results = []
    for t in timings:
        for size in sizes:
            anchored = None
            if size <= args.anchor_max:
                with tempfile.TemporaryDirectory(prefix="bench-anchor-") as tmp:
                    anchored = anchor(size, t, Path(tmp))
            for count in workers:
                with tempfile.TemporaryDirectory(prefix="bench-agent-") as tmp:
                    result = bench_size(size, t, count, Path(tmp), args.adds)
                if anchored is not None:
                    result["anchor"] = anchored
                results.append(result)
                print(f"# {size} ports at {t.label}, {count} workers: converge "
                      f"{result['converge']['seconds']}s (limit {result['converge']['limit']}s)",
                      file=sys.stderr, flush=True)
    for result in results:
        for part in ("converge", "ipl", "idle"):
            if result[part].get("rest_requests", 0) > 50:
                result[part].pop("by_key", None)
    print(json.dumps({"benchmark": "agent", "results": results}, indent=1))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
