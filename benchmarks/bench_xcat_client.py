"""Benchmark of the xCAT client against the simulator over HTTPS.

Measures, for the same work:

1. ``reuse``: one client (kept-alive connection) doing N table dumps and N dsh calls;
2. ``per_call``: a new client per call, i.e. one TCP + TLS connection per request
   (the pattern of the z/VM drivers the project replaces);
3. ``batched``: N grant commands as N dsh requests versus one ``run_batch``.

Counts come from the simulator's own counters (REST requests, TCP connections,
smcli calls) and the client's counters; times are wall-clock seconds.

4. ``cpu``: the client's CPU time per request (``time.process_time`` of this
   process, against a simulator in a process of its own; median of
   ``--repeat`` after five): a small GET (``version``), one ``zvm`` row
   (``gettab``), the switch table with ``--rows`` rows (``tabdump_lines``),
   one ``smcli System_Info_Query`` (``dsh``), and the parse alone of that
   table's reply.  Each also the way the client did it before it had its own
   connection pool and parser, for comparison: a kept-alive ``requests``
   session and the standard ``json`` parser (same URL, headers and body; the
   answer parsed, not interpreted).

    .venv/bin/python benchmarks/bench_xcat_client.py [--calls 200] [--rest-latency 0.0] \
        [--rows 10000] [--repeat 30]

Prints a JSON document, then the tables.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
import trustme

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_agent import fill_table  # noqa: E402
from tests.fixtures.simulator import start_simulator  # noqa: E402
from xcat import batch, smcli, tables  # noqa: E402
from xcat.client import XcatClient  # noqa: E402
from xcat.envelope import parse_envelope  # noqa: E402
from xcat.simulator.server import serve  # noqa: E402

USER, PASSWORD, ZHCP = "root", "cluster", "zhcp1"


def _control(server, ca_file, method, path, payload=None):
    response = requests.request(method, f"{server.url}/_sim/{path}", json=payload,
                                verify=ca_file, timeout=30)
    response.raise_for_status()
    return response.json()


def _measure(server, ca_file, name, work):
    _control(server, ca_file, "POST", "counters/reset")
    start = time.perf_counter()
    client_stats = work()
    elapsed = time.perf_counter() - start
    seen = _control(server, ca_file, "GET", "counters")
    return {"case": name, "seconds": round(elapsed, 4),
            "rest_requests": seen["rest"]["total"],
            # the counters call itself opened one connection
            "connections": seen["connections"] - 1,
            "smcli_calls": seen["smcli"]["total"], **client_stats}


def run(calls: int, rest_latency: float) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        cert_file, key_file, ca_file = (Path(tmp) / n for n in ("c.pem", "k.pem", "ca.pem"))
        cert.cert_chain_pems[0].write_to_path(str(cert_file))
        cert.private_key_pem.write_to_path(str(key_file))
        ca.cert_pem.write_to_path(str(ca_file))
        server = serve("127.0.0.1", 0, tls=(cert_file, key_file))
        try:
            ca_path = str(ca_file)
            if rest_latency:
                _control(server, ca_path, "POST", "faults", {"rest_latency": rest_latency})

            def new_client():
                return XcatClient(server.url, USER, PASSWORD, verify=ca_path)

            def reuse():
                with new_client() as client:
                    for _ in range(calls):
                        tables.tabdump(client, "switch")
                        client.dsh(ZHCP, smcli.system_info_query(), check=True)
                    return {"client_connections": client.connections_opened}

            def per_call():
                opened = 0
                for _ in range(calls):
                    for job in (lambda c: tables.tabdump(c, "switch"),
                                lambda c: c.dsh(ZHCP, smcli.system_info_query(), check=True)):
                        with new_client() as client:
                            job(client)
                            opened += client.connections_opened
                return {"client_connections": opened}

            grants = [smcli.vswitch_grant("XCATVSW2", f"LINUX0{1 + i % 6}")
                      for i in range(calls)]

            def one_dsh_per_grant():
                with new_client() as client:
                    for argv in grants:
                        client.dsh(ZHCP, argv, check=True)
                    return {"client_connections": client.connections_opened}

            def one_batch():
                with new_client() as client:
                    outcomes = batch.run_batch(client, ZHCP, grants)
                    assert all(o.ok for o in outcomes)
                    return {"client_connections": client.connections_opened}

            return [_measure(server, ca_path, f"reuse ({2 * calls} requests)", reuse),
                    _measure(server, ca_path, f"per_call ({2 * calls} requests)", per_call),
                    _measure(server, ca_path, f"grants: {calls} dsh", one_dsh_per_grant),
                    _measure(server, ca_path, f"grants: run_batch of {calls}", one_batch)]
        finally:
            server.shutdown()


def cpu_ms(work: Callable[[], object], repeat: int) -> float:
    """Median CPU milliseconds of ``work`` over ``repeat`` runs, after five."""
    for _ in range(5):
        work()
    times = []
    for _ in range(repeat):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return round(statistics.median(times) * 1000, 3)


def cpu_per_request(rows: int, repeat: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        sim = start_simulator(Path(tmp))
        try:
            fill_table(sim, rows)
            client = XcatClient(sim.url, sim.username, sim.password, verify=sim.verify)
            session = requests.Session()
            session.headers.update({"userName": sim.username, "password": sim.password,
                                    "Accept": "application/json"})

            def before(method: str, path: str, params=(), body=None) -> Callable[[], object]:
                url = client.url_for(path)
                data = None if body is None else json.dumps(body).encode()

                def work() -> object:
                    response = session.request(method, url, params=[*params, ("format", "json")],
                                               data=data, timeout=30)
                    return json.loads(response.content)
                return work

            cases = [
                ("version", lambda: client.request("GET", "version"), before("GET", "version")),
                ("gettab", lambda: tables.gettab(client, "zvm", "node", ZHCP, "userid"),
                 before("GET", "tables/zvm", [("col", "node"), ("value", ZHCP),
                                              ("attribute", "userid")])),
                (f"tabdump ({rows} rows)", lambda: tables.tabdump_lines(client, "switch"),
                 before("GET", "tables/switch")),
                ("dsh", lambda: client.dsh(ZHCP, smcli.system_info_query(), check=True),
                 before("PUT", f"nodes/{ZHCP}/dsh",
                        body=["command=" + smcli.render(smcli.system_info_query())])),
            ]
            dump = session.get(client.url_for("tables/switch"), params={"format": "json"},
                               timeout=30).content
            cases.append((f"parse only ({rows} rows)", lambda: parse_envelope(200, dump),
                          lambda: json.loads(dump)))
            results = [{"case": name, "client_cpu_ms": cpu_ms(ours, repeat),
                        "requests_json_cpu_ms": cpu_ms(theirs, repeat)}
                       for name, ours, theirs in cases]
            client.close()
            session.close()
            return results
        finally:
            sim.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rest-latency", type=float, default=0.0,
                        help="simulated seconds per REST request")
    parser.add_argument("--rows", type=int, default=10_000,
                        help="switch table rows of the CPU measurement's dump")
    parser.add_argument("--repeat", type=int, default=30,
                        help="requests of each kind the CPU median is taken of")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")
    results = run(args.calls, args.rest_latency)
    cpu = cpu_per_request(args.rows, args.repeat)
    print(json.dumps({"benchmark": "xcat_client", "calls": args.calls,
                      "rest_latency": args.rest_latency, "results": results,
                      "rows": args.rows, "repeat": args.repeat, "cpu": cpu}, indent=2))
    header = f"{'case':34} {'seconds':>8} {'requests':>9} {'conns':>6} {'smcli':>6}"
    print(header)
    print("-" * len(header))
    for row in results:
        print(f"{row['case']:34} {row['seconds']:8.3f} {row['rest_requests']:9d} "
              f"{row['connections']:6d} {row['smcli_calls']:6d}")
    print()
    header = f"{'request':34} {'client CPU ms':>14} {'requests+json CPU ms':>21}"
    print(header)
    print("-" * len(header))
    for row in cpu:
        print(f"{row['case']:34} {row['client_cpu_ms']:14.3f} {row['requests_json_cpu_ms']:21.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
