"""RPC benchmarks (issue 6): round trips, a 1,000-port batch call, casts/s.

For each transport (embedded: a temporary directory; rabbit: a private
RabbitMQ started like the test fixture's, or ``--rabbit-url``), in one process
with real connections:

1. ``call``: N sequential ``echo`` calls of a small argument through
   ``RpcClient`` → ``RpcServer``: p50/p99/mean round trip and calls/s, and the
   client's CPU per call (the calling thread's and, on a broker, its reply
   listener's own clocks: what an agent pays for a call, the server's work left
   out; on the embedded transport the caller reads its reply itself).
2. ``details_list``: ``get_devices_details_list`` of P ports (default 1,000,
   all bound to the agent's host, on a VLAN network) in ONE call through
   ``PluginApi`` to the plugin's RPC callbacks on a SQLite file: best and
   median of 5, the plugin's own time for the same request, and the reply
   size.  Target < 1 s for 1,000 ports.
3. ``casts``: C casts published back to back, and the time until the server
   has handled all of them: publish rate and end-to-end casts/s.
4. ``idle``: CPU milliseconds a second, over 2 s with nothing sent, of the
   client's reply listener thread (a broker's only: null on the embedded
   transport, which has none), of a server's consumer thread and of an agent's
   notification consumer thread (each thread's own CPU clock): what an agent or
   a server costs between messages (on the embedded transport a consumer sleeps
   on its doorbell and looks at its queues every 0.2 s anyway).

Prints one JSON document (all numbers, with counts), then a table.

    .venv/bin/python benchmarks/bench_rpc.py
    .venv/bin/python benchmarks/bench_rpc.py --transports embedded --calls 200
    .venv/bin/python benchmarks/bench_rpc.py --rabbit-url rabbit://guest:guest@127.0.0.1:5672/
"""
from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from quantum_zvm import rpc_callbacks  # noqa: E402
from quantum_zvm.common import constants  # noqa: E402
from quantum_zvm.common.constants import ATTR_NOT_SPECIFIED as NS  # noqa: E402
from quantum_zvm.common.context import get_admin_context  # noqa: E402
from quantum_zvm.rpc import agent_api, wire  # noqa: E402
from quantum_zvm.rpc.client import RpcClient  # noqa: E402
from quantum_zvm.rpc.server import RpcServer  # noqa: E402
from quantum_zvm.rpc.transport import Transport, embedded_settings, parse_transport_url  # noqa: E402

ADMIN = get_admin_context()
BULK = 500


class Bench:
    def __init__(self):
        self.casts = 0
        self.lock = threading.Lock()
        self.all_cast = threading.Event()
        self.expected = 0

    def echo(self, ctx, value):
        return value

    def count(self, ctx, n):
        with self.lock:
            self.casts += 1
            if self.casts == self.expected:
                self.all_cast.set()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def thread_clock(name: str | None) -> int | None:
    """The CPU clock of the running thread called ``name``; None for no name (a
    thread this transport does not have); RuntimeError when no such thread runs."""
    if name is None:
        return None
    for thread in threading.enumerate():
        if thread.name == name and thread.ident:
            return time.pthread_getcpuclockid(thread.ident)
    raise RuntimeError(f"thread not found: {name}")


def clock_seconds(clock: int | None) -> float:
    return 0.0 if clock is None else time.clock_gettime(clock)


def idle_cpu(thread_names: dict[str, str | None],
             seconds: float = 2.0) -> dict[str, float | None]:
    """CPU milliseconds a second of each named thread over ``seconds`` of idling (None
    for a label without a thread name)."""
    clocks = {label: thread_clock(name) for label, name in thread_names.items()}
    time.sleep(0.3)  # the polls after the last message end
    before = {label: clock_seconds(clock) for label, clock in clocks.items()}
    time.sleep(seconds)
    return {f"{label}_cpu_ms_per_s": None if clock is None else
            round((clock_seconds(clock) - before[label]) / seconds * 1000, 2)
            for label, clock in clocks.items()}


@contextlib.contextmanager
def rabbit_url(given: str | None, tmp: Path) -> Iterator[str]:
    if given:
        yield given
        return
    from tests.fixtures.rabbitmq import RabbitBroker, _server_binary

    binary = _server_binary()
    if binary is None:
        raise SystemExit("rabbitmq-server is not installed; use --rabbit-url or "
                         "--transports embedded")
    broker = RabbitBroker(tmp / "rabbitmq", binary)
    broker.start()
    try:
        yield broker.url
    finally:
        broker.shutdown()


def make_plugin(tmp: Path, ports: int) -> tuple[Any, list[str]]:
    """A plugin on a SQLite file with ``ports`` ports bound to host zhcp1."""
    from quantum_zvm.db import migration
    from quantum_zvm.db.api import Database
    from quantum_zvm.plugin import ZvmPlugin
    from tests.fixtures.plugin import make_conf

    db = Database(f"sqlite:///{tmp}/bench.sqlite")
    migration.upgrade(db)
    plugin = ZvmPlugin(make_conf(), db=db)
    net = plugin.create_network(ADMIN, {"network": {
        "name": "bench", "admin_state_up": True, "tenant_id": "t", "shared": False,
        "provider:network_type": "vlan", "provider:physical_network": "VSW1",
        "provider:segmentation_id": 100}})
    plugin.create_subnet(ADMIN, {"subnet": {
        "name": "", "network_id": net["id"], "tenant_id": "t", "ip_version": 4,
        "cidr": "10.0.0.0/20", "gateway_ip": NS, "allocation_pools": NS,
        "dns_nameservers": NS, "host_routes": NS, "enable_dhcp": True}})
    ids: list[str] = []
    for start in range(0, ports, BULK):
        body = {"ports": [{"port": {
            "name": f"p{i}", "network_id": net["id"], "tenant_id": "t", "admin_state_up": True,
            "mac_address": NS, "fixed_ips": NS, "device_id": f"vm{i}", "device_owner": "",
            "binding:host_id": "zhcp1",
            "binding:profile": {"zvm_userid": f"U{i // 1000:05d}",
                                "vdev": f"{0x1000 + 3 * (i % 1000):04X}"},
        }} for i in range(start, min(start + BULK, ports))]}
        ids += [p["id"] for p in plugin.create_port_bulk(ADMIN, body)]
    return plugin, ids


def bench_transport(name: str, transport: Transport, calls: int, casts: int,
                    plugin: Any, port_ids: list[str]) -> dict[str, Any]:
    bench = Bench()
    topic = f"bench-{wire.new_id()[:8]}"
    server = RpcServer(transport, [topic], [bench], name="bench-server").start()
    plugin_server = RpcServer(transport, [constants.TOPIC_PLUGIN],
                              rpc_callbacks.endpoints(plugin)).start()
    notifications = agent_api.start_notification_consumer(transport, bench)
    client = RpcClient(transport, timeout=60)
    result: dict[str, Any] = {"transport": name}
    try:
        assert server.wait_ready(30) and plugin_server.wait_ready(30)
        assert notifications.wait_ready(30)
        for _ in range(20):  # warm up connections and the reply queue
            client.call(None, topic, "echo", {"value": "x"})

        times = []
        # a broker's reply listener; on the embedded transport the caller reads
        listener_name = None if transport.embedded else f"rpc-replies-{client.reply_q}"
        listener = thread_clock(listener_name)
        caller_started, listener_started = time.thread_time(), clock_seconds(listener)
        for n in range(calls):
            start = time.perf_counter()
            client.call(None, topic, "echo", {"value": {"n": n, "device": "0" * 36}})
            times.append(time.perf_counter() - start)
        client_cpu = (time.thread_time() - caller_started
                      + clock_seconds(listener) - listener_started)
        result["call"] = {"count": calls, "p50_ms": percentile(times, 50) * 1000,
                          "p99_ms": percentile(times, 99) * 1000,
                          "mean_ms": statistics.mean(times) * 1000,
                          "calls_per_s": calls / sum(times),
                          "client_cpu_ms_per_call": client_cpu / calls * 1000}

        api = agent_api.PluginApi(client, agent_id="bench", host="zhcp1")
        runs, direct = [], []
        for _ in range(5):
            start = time.perf_counter()
            details = api.get_devices_details_list(port_ids)
            runs.append(time.perf_counter() - start)
            start = time.perf_counter()
            plugin.get_devices_details_list(ADMIN, port_ids, "zhcp1")
            direct.append(time.perf_counter() - start)
        assert len(details) == len(port_ids) and all("port_id" in d for d in details)
        result["details_list"] = {
            "ports": len(port_ids), "runs": len(runs), "best_s": min(runs),
            "median_s": statistics.median(runs), "plugin_only_median_s": statistics.median(direct),
            "reply_bytes": len(json.dumps(details))}

        bench.expected = casts
        start = time.perf_counter()
        for n in range(casts):
            client.cast(None, topic, "count", {"n": n})
        published = time.perf_counter() - start
        if not bench.all_cast.wait(120):
            raise RuntimeError(f"only {bench.casts} of {casts} casts arrived")
        handled = time.perf_counter() - start
        result["casts"] = {"count": casts, "publish_per_s": casts / published,
                           "end_to_end_per_s": casts / handled}
        result["idle"] = idle_cpu({"reply_listener": listener_name,
                                   "server_consumer": server.name,
                                   "agent_notifications": notifications.name})
    finally:
        client.close()
        notifications.stop()
        plugin_server.stop()
        server.stop()
    return result


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transports", default="embedded,rabbit")
    parser.add_argument("--rabbit-url")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--casts", type=int, default=2000)
    parser.add_argument("--ports", type=int, default=1000)
    args = parser.parse_args()
    import logging
    logging.basicConfig(level=logging.WARNING)

    results = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        plugin, port_ids = make_plugin(tmp, args.ports)
        for name in args.transports.split(","):
            if name == "embedded":
                transport = Transport(embedded_settings(tmpdir, str(tmp / "rpc")))
                results.append(bench_transport(name, transport, args.calls, args.casts,
                                               plugin, port_ids))
            elif name == "rabbit":
                with rabbit_url(args.rabbit_url, tmp) as url:
                    transport = Transport(parse_transport_url(url),
                                          exchange=f"bench-{wire.new_id()[:8]}")
                    results.append(bench_transport(name, transport, args.calls, args.casts,
                                                   plugin, port_ids))
            else:
                raise SystemExit(f"unknown transport {name!r}")
        plugin.db.dispose()

    print(json.dumps({"benchmark": "rpc", "results": results}, indent=2))
    print()
    print(f"{'transport':10} {'call p50':>9} {'call p99':>9} {'calls/s':>8} {'cpu/call':>9} "
          f"{'1k details':>11} {'plugin':>8} {'casts/s pub':>12} {'casts/s e2e':>12} "
          f"{'idle ms/s: replies':>19} {'server':>7} {'agent':>6}")
    for r in results:
        print(f"{r['transport']:10} {r['call']['p50_ms']:7.2f}ms {r['call']['p99_ms']:7.2f}ms "
              f"{r['call']['calls_per_s']:8.0f} {r['call']['client_cpu_ms_per_call']:7.3f}ms "
              f"{r['details_list']['median_s']:10.3f}s "
              f"{r['details_list']['plugin_only_median_s']:7.3f}s "
              f"{r['casts']['publish_per_s']:12.0f} {r['casts']['end_to_end_per_s']:12.0f} "
              f"{_ms(r['idle']['reply_listener_cpu_ms_per_s']):>19} "
              f"{r['idle']['server_consumer_cpu_ms_per_s']:7.2f} "
              f"{r['idle']['agent_notifications_cpu_ms_per_s']:6.2f}")


if __name__ == "__main__":
    main()
