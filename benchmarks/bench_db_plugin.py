"""Plugin and database benchmarks, without the REST layer (what ``bench_api.py`` adds is HTTP).

For SQLite and (when the Debian binaries are installed) a private PostgreSQL:

1. ``port_create``: N ports created one after another by ``ZvmPlugin.create_port``
   (binding:host_id and binding:profile set): ports/s and SQL statements per create.
2. ``list``: the network is filled to M ports, then ``get_ports`` with all
   fields and with ``fields=[id, status, tenant_id]``: best and median of 3.
3. ``vlan_networks``: P server processes x T threads create K tenant networks
   on one database at once (every process is a plugin of its own, as several
   ``quantum-zvm-server`` processes would be): time, networks/s and the number
   of VLANs given twice (must be 0).

Prints one JSON document and a table.

    .venv/bin/python benchmarks/bench_db_plugin.py
    .venv/bin/python benchmarks/bench_db_plugin.py --backends sqlite --ports 500 --list-ports 2000
"""
from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quantum_zvm.common.context import get_admin_context  # noqa: E402
from quantum_zvm.db import migration  # noqa: E402
from quantum_zvm.db.api import Database  # noqa: E402
from quantum_zvm.plugin import ZvmPlugin  # noqa: E402
from tests.fixtures.plugin import make_conf  # noqa: E402
from tests.functional import db_workers  # noqa: E402

MAPPINGS = ["VSW1:1:4094"]


@contextlib.contextmanager
def database(backend: str) -> Iterator[str | None]:
    """A fresh database URL at head, or None when the backend is unavailable."""
    root = Path(tempfile.mkdtemp(prefix="qzvm-bench-"))
    server = None
    try:
        if backend == "sqlite":
            url = f"sqlite:///{root / 'bench.sqlite'}"
        else:
            from tests.fixtures import postgres
            try:
                server = postgres.start_private_server()
            except LookupError:
                yield None
                return
            server.admin("CREATE DATABASE bench")
            url = server.url("bench")
        db = Database(url)
        migration.upgrade(db)
        db.dispose()
        yield url
    finally:
        if server is not None:
            server.remove()
        shutil.rmtree(root, ignore_errors=True)


def bench_ports(url: str, creates: int, list_ports: int) -> dict:
    plugin = ZvmPlugin(make_conf(MAPPINGS), db=Database(url))
    ctx = get_admin_context()
    network = plugin.create_network(ctx, {"network": {"name": "bench"}})
    plugin.create_subnet(ctx, {"subnet": {"network_id": network["id"], "ip_version": 4,
                                          "cidr": "10.0.0.0/16"}})
    statements = [0]
    sa.event.listen(plugin.db.engine, "before_cursor_execute",
                    lambda *_: statements.__setitem__(0, statements[0] + 1))

    def body(index: int) -> dict:
        return {"port": {"network_id": network["id"], "binding:host_id": "zhcp1",
                         "binding:profile": {"zvm_userid": f"U{index:07d}"}}}

    started = time.perf_counter()
    for index in range(creates):
        plugin.create_port(ctx, body(index))
    seconds = time.perf_counter() - started
    result = {"port_create": {"ports": creates, "seconds": round(seconds, 3),
                              "ports_per_s": round(creates / seconds, 1),
                              "statements_per_create": statements[0] / creates}}
    for start in range(creates, list_ports, 500):
        plugin.create_port_bulk(ctx, {"ports": [body(i) for i in
                                                range(start, min(start + 500, list_ports))]})
    listing = {}
    for name, fields in (("all_fields", None), ("id_status", ["id", "status", "tenant_id"])):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            count = len(plugin.get_ports(ctx, fields=fields))
            times.append(time.perf_counter() - started)
        listing[name] = {"ports": count, "best_s": round(min(times), 3),
                         "median_s": round(statistics.median(times), 3)}
    result["list"] = listing
    plugin.db.dispose()
    return result


def bench_vlans(url: str, processes: int, threads: int, networks: int) -> dict:
    per_thread = max(1, networks // (processes * threads))
    start_at = time.time() + 3.0
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(db_workers.timed_create_networks, url, MAPPINGS, threads,
                               per_thread, start_at) for _ in range(processes)]
        outcomes = [future.result() for future in futures]
    results = [item for items, _, _ in outcomes for item in items]
    seconds = max(end for _, _, end in outcomes) - min(begin for _, begin, _ in outcomes)
    vlans = [value for kind, value in results if kind == "ok"]
    return {"processes": processes, "threads": threads, "networks": len(results),
            "created": len(vlans), "errors": len(results) - len(vlans),
            "seconds": round(seconds, 3), "networks_per_s": round(len(vlans) / seconds, 1),
            "duplicate_vlans": len(vlans) - len(set(vlans))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--ports", type=int, default=1000)
    parser.add_argument("--list-ports", type=int, default=10000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--networks", type=int, default=500)
    args = parser.parse_args(argv)
    report: dict = {"backends": [], "skipped": {}}
    for backend in args.backends.split(","):
        with database(backend) as url:
            if url is None:
                report["skipped"][backend] = "PostgreSQL binaries not found"
                continue
            entry = {"backend": backend, **bench_ports(url, args.ports, args.list_ports)}
        with database(backend) as url:
            entry["vlan_networks"] = bench_vlans(url, args.processes, args.threads,
                                                 args.networks)
        report["backends"].append(entry)
    print(json.dumps(report, indent=2))
    print(f"{'backend':<11}{'ports/s':>9}{'stmts/create':>14}{'list all s':>12}"
          f"{'list id,status s':>18}{'VLAN nets/s':>13}{'dup VLANs':>11}")
    for e in report["backends"]:
        print(f"{e['backend']:<11}{e['port_create']['ports_per_s']:>9}"
              f"{e['port_create']['statements_per_create']:>14}"
              f"{e['list']['all_fields']['best_s']:>12}{e['list']['id_status']['best_s']:>18}"
              f"{e['vlan_networks']['networks_per_s']:>13}"
              f"{e['vlan_networks']['duplicate_vlans']:>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
