"""Benchmark of the xCAT client against the simulator over HTTPS.

Measures, for the same work:

1. ``reuse``: one client (kept-alive connection) doing N table dumps and N dsh calls;
2. ``per_call``: a new client per call, i.e. one TCP + TLS connection per request
   (the pattern of the z/VM drivers the project replaces);
3. ``batched``: N grant commands as N dsh requests versus one ``run_batch``.

Counts come from the simulator's own counters (REST requests, TCP connections,
smcli calls) and the client's counters; times are wall-clock seconds.

    .venv/bin/python benchmarks/bench_xcat_client.py [--calls 200] [--rest-latency 0.0]

Prints a JSON document, then a table.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import requests
import trustme

from xcat import batch, smcli, tables
from xcat.client import XcatClient
from xcat.simulator.server import serve

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rest-latency", type=float, default=0.0,
                        help="simulated seconds per REST request")
    args = parser.parse_args(argv)
    results = run(args.calls, args.rest_latency)
    print(json.dumps({"benchmark": "xcat_client", "calls": args.calls,
                      "rest_latency": args.rest_latency, "results": results}, indent=2))
    header = f"{'case':34} {'seconds':>8} {'requests':>9} {'conns':>6} {'smcli':>6}"
    print(header)
    print("-" * len(header))
    for row in results:
        print(f"{row['case']:34} {row['seconds']:8.3f} {row['rest_requests']:9d} "
              f"{row['connections']:6d} {row['smcli_calls']:6d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
