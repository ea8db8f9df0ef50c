"""REST API benchmarks of quantum-zvm-server (issue 5).

For each database backend (SQLite; PostgreSQL when one is available) a real
``quantum-zvm-server`` is started on a free loopback port and measured:

1. ``port_create``: N ports created one after another through the API
   (keep-alive HTTP, binding:host_id and binding:profile set): ports/s and
   latency percentiles; ``port_create_concurrent``: the same from several
   clients at once.  Target >= 200 ports/s on SQLite.
2. ``statements_per_create``: SQL statements the API + plugin run per port
   create, show, delete, tenant network create and per list request, counted
   in-process with a SQLAlchemy cursor listener on the same database (the HTTP
   server adds none).
3. ``list``: the network is filled to M ports (bulk creates of 500), then
   ``GET /v2.0/ports`` with all fields and with ``fields=id&fields=status``,
   best and median of 5.  Target < 0.5 s for 10,000 ports.  ``show``: S
   ``GET /v2.0/ports/<id>`` one after another, latency percentiles.
4. ``vlan_networks``: C concurrent clients create K tenant networks that get
   VLANs from the vswitch ranges; time, and the number of VLANs given twice
   (must be 0).

Prints one JSON document (all numbers, including counts) and a table.

    .venv/bin/python benchmarks/bench_api.py                  # SQLite (+ PostgreSQL if found)
    .venv/bin/python benchmarks/bench_api.py --backends sqlite --ports 200 --list-ports 2000
    .venv/bin/python benchmarks/bench_api.py --postgres-url postgresql://u:p@127.0.0.1/postgres

Without ``--postgres-url`` a private PostgreSQL server is started from the
installed Debian binaries (the test fixture's: fsync off), so PostgreSQL
numbers are for the API and plugin, not for a disk.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fixtures.server import Server, start_server  # noqa: E402

VSWITCHES = "BENCH:1:4000,FLATSW"
BULK = 500


@dataclasses.dataclass
class Endpoint:
    """A server as the clients see it: its loopback port, the headers (identity) every
    request sends and the seconds a response may take.  A :class:`Server` is one
    without headers and with the default timeout."""
    port: int
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    timeout: float = 300


class Client:
    """One keep-alive HTTP connection (http.client: little client-side overhead)."""

    def __init__(self, server: Server | Endpoint):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port,
                                               timeout=getattr(server, "timeout", 300))
        self.headers = {"Content-Type": "application/json",
                        **getattr(server, "headers", {})}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body)
        self.conn.request(method, "/v2.0" + path, body=data, headers=self.headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path)

    def close(self) -> None:
        self.conn.close()


def post(client: Client, path: str, body: dict) -> dict:
    status, data = client.request("POST", path, body)
    if status != 201:
        raise RuntimeError(f"POST {path}: {status} {data[:300]!r}")
    return json.loads(data)


def setup_network(client: Client) -> str:
    net = post(client, "/networks", {"network": {"name": "bench"}})["network"]
    post(client, "/subnets", {"subnet": {"network_id": net["id"], "ip_version": 4,
                                         "cidr": "10.64.0.0/16"}})
    return net["id"]


def port_body(network_id: str, name: str) -> dict:
    return {"port": {"network_id": network_id, "name": name, "binding:host_id": "zhcp1",
                     "binding:profile": {"zvm_userid": "U" + uuid.uuid4().hex[:7].upper()}}}


def concurrent_posts(server: Server | Endpoint, path: str, count: int, clients: int,
                     body: Callable[[int, int], dict]) -> tuple[list[dict], list[str],
                                                             list[float], float]:
    """``count`` POSTs of ``body(client index, i)`` to ``path`` spread over ``clients``
    concurrent keep-alive connections: the responses, the errors, the sorted latencies
    and the elapsed seconds."""
    created: list[dict] = []
    errors: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    share = [count // clients + (1 if i < count % clients else 0) for i in range(clients)]

    def run(index: int) -> None:
        client = Client(server)
        try:
            for i in range(share[index]):
                t0 = time.perf_counter()
                try:
                    response = post(client, path, body(index, i))
                except RuntimeError as exc:
                    with lock:
                        errors.append(str(exc))
                else:
                    with lock:
                        created.append(response)
                with lock:
                    latencies.append(time.perf_counter() - t0)
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return created, errors, sorted(latencies), time.perf_counter() - start


def bench_port_create(server: Server | Endpoint, network_id: str, count: int,
                      clients: int) -> dict:
    """``count`` port creates spread over ``clients`` concurrent keep-alive connections."""
    _created, errors, latencies, elapsed = concurrent_posts(
        server, "/ports", count, clients,
        lambda index, i: port_body(network_id, f"c{index}-{i}"))
    return {"ports": count, "clients": clients, "errors": len(errors),
            "first_error": errors[0] if errors else None, "seconds": round(elapsed, 3),
            "ports_per_s": round(count / elapsed, 1),
            "latency_ms_p50": round(1000 * latencies[len(latencies) // 2], 2),
            "latency_ms_p95": round(1000 * latencies[int(len(latencies) * 0.95)], 2)}


def count_statements(server: Server, network_id: str, creates: int) -> dict:
    """SQL statements per port create and per list request, counted in-process.

    The same API and plugin code the server runs, on the same database, with a
    SQLAlchemy cursor listener.  Port creates are counted without and with the
    DHCP agent notifier the server wires (which asks the scheduler which DHCP
    agent hosts the network).
    """
    import webob
    from sqlalchemy import event

    from quantum_zvm import agent_notify_api
    from quantum_zvm.api import router
    from quantum_zvm.common import config
    from quantum_zvm.plugin import ZvmPlugin
    from quantum_zvm.rpc.client import RpcClient
    from quantum_zvm.rpc.transport import Transport

    conf, problems = config.load(["--config-file", str(server.config_path)], "bench",
                                 role="server")
    assert not problems, problems
    plugin = ZvmPlugin(conf)
    app, api = router.build_app(plugin, conf)
    rpc_client = RpcClient(Transport.from_conf(conf))
    statements = [0]

    def count(*_args: Any) -> None:
        statements[0] += 1
    event.listen(plugin.db.engine, "before_cursor_execute", count)

    def measure(method: str, path: str, body: dict | None = None, status: int = 200) -> int:
        return request(method, path, body, status)[0]

    def request(method: str, path: str, body: dict | None = None, status: int = 200
                ) -> tuple[int, Any]:
        """Statements one request ran, and its JSON answer (None when it has none)."""
        req = webob.Request.blank(path, method=method)
        if body is not None:
            req.json_body = body
        statements[0] = 0
        response = req.get_response(app)
        assert response.status_int == status, response.text
        return statements[0], response.json_body if response.body else None

    def per_create() -> float:
        return sum(measure("POST", "/v2.0/ports", port_body(network_id, f"s{i}"), 201)
                   for i in range(creates)) / creates

    try:
        plain = per_create()
        api.dhcp_notifier = agent_notify_api.DhcpAgentNotifyAPI(rpc_client, plugin)
        notified = per_create()
        port = request("POST", "/v2.0/ports", port_body(network_id, "shown"), 201)[1]["port"]
        shown = measure("GET", f"/v2.0/ports/{port['id']}")
        deleted = measure("DELETE", f"/v2.0/ports/{port['id']}", status=204)
        api.dhcp_notifier = None
        return {"creates": 2 * creates, "per_port_create": round(plain, 2),
                "per_port_create_with_dhcp_notifier": round(notified, 2),
                "per_port_show": shown, "per_port_delete_with_dhcp_notifier": deleted,
                "per_network_create": measure("POST", "/v2.0/networks",
                                              {"network": {"name": "counted"}}, 201),
                "per_list_all_fields": measure("GET", "/v2.0/ports"),
                "per_list_id_status": measure("GET", "/v2.0/ports?fields=id&fields=status")}
    finally:
        rpc_client.close()
        plugin.db.dispose()


def fill_ports(client: Client, network_id: str, total: int) -> dict:
    have = len(json.loads(client.get("/ports?fields=id")[1])["ports"])
    start = time.perf_counter()
    made = 0
    while have + made < total:
        batch = min(BULK, total - have - made)
        post(client, "/ports", {"ports": [{"network_id": network_id, "name": f"f{made + i}"}
                                          for i in range(batch)]})
        made += batch
    elapsed = time.perf_counter() - start
    return {"ports": have + made, "bulk_created": made, "bulk_seconds": round(elapsed, 3),
            "bulk_ports_per_s": round(made / elapsed, 1) if made else None}


def bench_list(client: Client, total: int, runs: int = 5) -> dict:
    result: dict[str, Any] = {}
    for label, query in (("all_fields", ""), ("id_status", "?fields=id&fields=status")):
        times, size = [], 0
        for _ in range(runs):
            t0 = time.perf_counter()
            status, data = client.get(f"/ports{query}")
            ports = json.loads(data)["ports"]
            times.append(time.perf_counter() - t0)
            size = len(data)
            if status != 200 or len(ports) != total:
                raise RuntimeError(f"listed {len(ports)} ports ({status}), expected {total}")
        result[label] = {"ports": total, "best_s": round(min(times), 3),
                         "median_s": round(statistics.median(times), 3), "bytes": size}
    return result


def bench_port_delete(client: Client, count: int) -> dict:
    """``count`` port deletes one after another on one connection."""
    ids = [p["id"] for p in json.loads(client.get(f"/ports?fields=id&limit={count}")[1])["ports"]]
    start = time.perf_counter()
    for port_id in ids:
        status, data = client.request("DELETE", f"/ports/{port_id}")
        if status != 204:
            raise RuntimeError(f"port delete answered {status}: {data[:200]!r}")
    elapsed = time.perf_counter() - start
    return {"ports": len(ids), "seconds": round(elapsed, 3),
            "ports_per_s": round(len(ids) / elapsed, 1)}


def bench_show(client: Client, count: int) -> dict:
    """``count`` GETs of single ports, one after another on one connection."""
    ids = [p["id"] for p in json.loads(client.get(f"/ports?fields=id&limit={count}")[1])["ports"]]
    latencies = []
    for index in range(count):
        t0 = time.perf_counter()
        status, _data = client.get(f"/ports/{ids[index % len(ids)]}")
        latencies.append(time.perf_counter() - t0)
        if status != 200:
            raise RuntimeError(f"port show answered {status}")
    latencies.sort()
    return {"shows": count, "latency_ms_p50": round(1000 * latencies[count // 2], 2),
            "latency_ms_p95": round(1000 * latencies[int(count * 0.95)], 2)}


def bench_vlan_networks(server: Server | Endpoint, networks: int, clients: int) -> dict:
    responses, errors, _latencies, elapsed = concurrent_posts(
        server, "/networks", networks, clients,
        lambda index, i: {"network": {"name": f"vlan-{index}-{i}"}})
    created = [response["network"] for response in responses]
    segments = [(n.get("provider:physical_network"), n.get("provider:segmentation_id"))
                for n in created]
    return {"clients": clients, "networks": len(created), "errors": len(errors),
            "first_error": errors[0] if errors else None, "seconds": round(elapsed, 3),
            "networks_per_s": round(len(created) / elapsed, 1),
            "without_vlan": sum(1 for _, seg in segments if seg is None),
            "duplicate_vlans": len(segments) - len(set(segments))}


@contextlib.contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL server of ``base_url``, dropped afterwards."""
    import sqlalchemy as sa

    name = f"qzvm_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(base_url).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def private_postgres() -> Iterator[str | None]:
    """A private PostgreSQL server (the test fixture's, fsync off); None when not installed."""
    from tests.fixtures import postgres

    try:
        server = postgres.start_private_server()
    except LookupError:
        yield None
        return
    try:
        yield server.url()
    finally:
        server.remove()


def run_backend(backend: str, sql_connection: str | None, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-api-{backend}-") as tmp:
        server = start_server(Path(tmp), sql_connection=sql_connection,
                              vswitch_mappings=VSWITCHES)
        client = Client(server)
        try:
            network_id = setup_network(client)
            result: dict[str, Any] = {"backend": backend}
            result["port_create"] = bench_port_create(server, network_id, args.ports, 1)
            result["port_create_concurrent"] = bench_port_create(
                server, network_id, args.ports, args.port_clients)
            result["statements"] = count_statements(server, network_id, args.statement_creates)
            result["port_delete"] = bench_port_delete(client, args.ports)
            result["fill"] = fill_ports(client, network_id, args.list_ports)
            # the create runs may already have made more ports than --list-ports
            result["list"] = bench_list(client, result["fill"]["ports"])
            result["show"] = bench_show(client, args.shows)
            result["vlan_networks"] = bench_vlan_networks(server, args.networks, args.clients)
            return result
        finally:
            client.close()
            server.stop()


def table(results: list[dict]) -> str:
    clients = (f"with {results[0]['port_create_concurrent']['clients']}" if results
               else "concurrent")
    rows = [("backend", "port creates/s", clients, "p95 ms", "deletes/s", "stmts/create",
             "stmts show/delete/net", "stmts/list", "list all s", "list id,status s", "show p50 ms",
             "VLAN nets/s", "dup VLANs")]
    for r in results:
        rows.append((r["backend"], str(r["port_create"]["ports_per_s"]),
                     str(r["port_create_concurrent"]["ports_per_s"]),
                     str(r["port_create"]["latency_ms_p95"]),
                     str(r["port_delete"]["ports_per_s"]),
                     str(r["statements"]["per_port_create"]),
                     f'{r["statements"]["per_port_show"]} / '
                     f'{r["statements"]["per_port_delete_with_dhcp_notifier"]} / '
                     f'{r["statements"]["per_network_create"]}',
                     str(r["statements"]["per_list_all_fields"]),
                     str(r["list"]["all_fields"]["best_s"]),
                     str(r["list"]["id_status"]["best_s"]),
                     str(r["show"]["latency_ms_p50"]),
                     str(r["vlan_networks"]["networks_per_s"]),
                     str(r["vlan_networks"]["duplicate_vlans"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                     for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", help="admin URL of a PostgreSQL server")
    parser.add_argument("--ports", type=int, default=1000)
    parser.add_argument("--port-clients", type=int, default=4)
    parser.add_argument("--statement-creates", type=int, default=50)
    parser.add_argument("--list-ports", type=int, default=10000)
    parser.add_argument("--shows", type=int, default=1000)
    parser.add_argument("--networks", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    results, skipped = [], {}
    for backend in args.backends.split(","):
        if backend == "sqlite":
            results.append(run_backend("sqlite", None, args))
        elif backend == "postgresql":
            with contextlib.ExitStack() as stack:
                base = args.postgres_url or stack.enter_context(private_postgres())
                if not base:
                    skipped["postgresql"] = "PostgreSQL is not installed (use --postgres-url)"
                    continue
                url = stack.enter_context(postgres_database(base))
                results.append(run_backend("postgresql", url, args))
        else:
            parser.error(f"unknown backend {backend}")
    print(json.dumps({"benchmark": "api", "results": results, "skipped": skipped}, indent=2))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
