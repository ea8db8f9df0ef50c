"""Benchmarks of xcat-zvm-simulator (issue 3 quality bars), zero injected latency.

A real ``xcat-zvm-simulator`` process (bundled scenario) on a free loopback
port is measured with raw HTTP:

1. ``tabdump``: the switch table is filled with R rows (one dsh request
   carrying R tabch lines for the MN node), then ``GET /xcatws/tables/switch`` is repeated N times
   on one kept-alive connection, and N/4 times with a new connection per
   request (the drivers' pattern).  Target: >= 100 requests/s at 10,000 rows.
2. ``dsh_script``: one ``PUT /xcatws/nodes/zhcp1/dsh`` carrying L smcli grant
   lines, each followed by ``echo "#rc <n> $?"``; every marker must read 0.
   Target: a 1,000-line script in one request.
3. ``tabdump_https``: as 1 over HTTPS (trustme certificate), kept alive.

Counts (REST requests, connections, smcli calls, bytes) come from the
simulator's ``/_sim/counters``.  Prints one JSON document, then a table.

    .venv/bin/python benchmarks/bench_simulator.py [--rows 10000] [--requests 400]
                                                   [--script-lines 1000]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
import trustme

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fixtures.simulator import SimulatorProcess, start_simulator  # noqa: E402


def fill_switch_table(sim: SimulatorProcess, rows: int) -> float:
    """R rows in one request: tabch lines run on the xCAT MN node through dsh
    (a tables PUT runs a single tabch, i.e. one row)."""
    script = "\n".join(
        f"/opt/xcat/sbin/tabch switch.node=os{i:06d} "
        f"switch.port=port-{i:08d}-0000-0000-0000-000000000000 switch.interface=1000 "
        f"switch.comments=zhcp1 switch.switch=VSW1 switch.vlan={100 + i % 900}"
        for i in range(rows))
    start = time.perf_counter()
    reply = sim.xcat("PUT", "nodes/xcat/dsh", body=[f"command={script}"], timeout=600)
    elapsed = time.perf_counter() - start
    assert reply.json() == {"data": [{"errorcode": ["0"]}]}, reply.text[:200]
    return elapsed


def tabdump_rate(sim: SimulatorProcess, count: int, keep_alive: bool,
                 verify: Any = True) -> dict[str, Any]:
    url = f"{sim.xcat_url}/tables/switch?{sim.auth_query()}"
    session = requests.Session() if keep_alive else None
    sim.control.reset_counters()
    sizes = set()
    start = time.perf_counter()
    for _ in range(count):
        if session is not None:
            response = session.get(url, timeout=60, verify=verify)
        else:
            response = requests.get(url, timeout=60, verify=verify)
        sizes.add(len(response.content))
    elapsed = time.perf_counter() - start
    # Parsed once, outside the timing: the client's JSON decoding is not the server's speed.
    lines = len(response.json()["data"][0]["data"])
    size = sizes.pop() if len(sizes) == 1 else -1
    counters = sim.control.counters()
    return {"requests": count, "seconds": round(elapsed, 3),
            "requests_per_s": round(count / elapsed, 1), "body_bytes": size,
            "lines": lines, "server_requests": counters["rest"]["total"],
            "server_connections": counters["connections"] - 1}


def dsh_script(sim: SimulatorProcess, lines: int) -> dict[str, Any]:
    script = "\n".join(
        f"/opt/zhcp/bin/smcli Virtual_Network_Vswitch_Set_Extended -T U{i:06d} "
        f"-k switch_name=XCATVSW2 -k grant_userid=U{i:06d}; echo \"#rc {i} $?\""
        for i in range(lines))
    sim.control.reset_counters()
    start = time.perf_counter()
    reply = sim.xcat("PUT", "nodes/zhcp1/dsh", body=[f"command={script}"], timeout=600)
    elapsed = time.perf_counter() - start
    data = reply.json()["data"]
    text = "\n".join(data[0]["data"])
    markers = [ln for ln in text.split("\n") if "#rc " in ln]
    ok = sum(1 for ln in markers if ln.endswith(" 0"))
    counters = sim.control.counters()
    return {"script_lines": lines, "script_bytes": len(script), "seconds": round(elapsed, 3),
            "smcli_per_s": round(lines / elapsed, 1), "markers": len(markers),
            "markers_ok": ok, "chunks": len(data[0]["data"]),
            "errorcode": data[-1]["errorcode"][0],
            "server_requests": counters["rest"]["total"],
            "smcli_calls": counters["smcli"]["total"],
            "response_bytes": len(reply.content)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--script-lines", type=int, default=1000)
    args = parser.parse_args()

    results: dict[str, Any] = {"rows": args.rows}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        sim = start_simulator(tmp_dir)
        try:
            results["fill_seconds"] = round(fill_switch_table(sim, args.rows), 3)
            results["tabdump_keepalive"] = tabdump_rate(sim, args.requests, keep_alive=True)
            results["tabdump_new_connection"] = tabdump_rate(sim, max(1, args.requests // 4),
                                                             keep_alive=False)
            results["dsh_script"] = dsh_script(sim, args.script_lines)
        finally:
            sim.stop()

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        cert_file, key_file, ca_file = tmp_dir / "c.pem", tmp_dir / "k.pem", tmp_dir / "ca.pem"
        cert.cert_chain_pems[0].write_to_path(str(cert_file))
        cert.private_key_pem.write_to_path(str(key_file))
        ca.cert_pem.write_to_path(str(ca_file))
        tls = start_simulator(tmp_dir, tls=(cert_file, key_file), verify=str(ca_file))
        try:
            fill_switch_table(tls, args.rows)
            results["tabdump_https_keepalive"] = tabdump_rate(tls, max(1, args.requests // 2),
                                                              keep_alive=True,
                                                              verify=str(ca_file))
        finally:
            tls.stop()

    print(json.dumps(results, indent=2))
    print()
    print(f"{'measure':<34}{'value':>14}")
    keepalive, new_conn = results["tabdump_keepalive"], results["tabdump_new_connection"]
    https, dsh = results["tabdump_https_keepalive"], results["dsh_script"]
    rows = [
        (f"tabdump {args.rows} rows, keep-alive", f"{keepalive['requests_per_s']} req/s"),
        (f"tabdump {args.rows} rows, new conn", f"{new_conn['requests_per_s']} req/s"),
        (f"tabdump {args.rows} rows, HTTPS", f"{https['requests_per_s']} req/s"),
        ("tabdump body", f"{keepalive['body_bytes']} B"),
        (f"dsh script, {args.script_lines} smcli", f"{dsh['seconds']} s"),
        ("dsh script markers ok", f"{dsh['markers_ok']}/{dsh['markers']}"),
        ("dsh script REST requests", str(dsh["server_requests"])),
        ("dsh script smcli calls", str(dsh["smcli_calls"])),
        (f"fill {args.rows} rows (1 dsh)", f"{results['fill_seconds']} s"),
    ]
    for name, value in rows:
        print(f"{name:<34}{value:>14}")
    ok = (results["tabdump_keepalive"]["requests_per_s"] >= 100
          and results["dsh_script"]["markers_ok"] == args.script_lines)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
