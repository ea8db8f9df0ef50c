"""CPU time of the xCAT client per request, against a simulator in its own process.

The agent's cost of a cycle is mostly its requests' client-side work, so this
measures that alone (``time.process_time`` of this process; the simulator
runs in another one), median of ``--repeat`` requests after a warm-up, for:

- ``version``: a small GET (``lsxcatd -v``);
- ``gettab``: one ``zvm`` row (``gettab node=... zvm.userid``);
- ``tabdump``: the switch table with ``--rows`` rows (``tables.tabdump_lines``);
- ``dsh``: one ``smcli System_Info_Query``.

Each is also done the way the client did it before it had its own
connection pool and parser, for comparison: a kept-alive ``requests.Session``
and the standard library's ``json.loads`` (same URL, headers and body; the
answer parsed, not interpreted).

    .venv/bin/python benchmarks/bench_xcat_client_cpu.py [--rows 10000] [--repeat 30]

Prints one JSON document and a table.
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_agent import fill_table  # noqa: E402
from tests.fixtures.simulator import start_simulator  # noqa: E402
from xcat import smcli, tables  # noqa: E402
from xcat.client import XcatClient  # noqa: E402

ZHCP = "zhcp1"


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


def run(rows: int, repeat: int) -> list[dict]:
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
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")
    results = run(args.rows, args.repeat)
    print(json.dumps({"benchmark": "xcat_client_cpu", "rows": args.rows,
                      "repeat": args.repeat, "results": results}, indent=2))
    header = f"{'request':24} {'client CPU ms':>14} {'requests+json CPU ms':>21}"
    print(header)
    print("-" * len(header))
    for row in results:
        print(f"{row['case']:24} {row['client_cpu_ms']:14.3f} {row['requests_json_cpu_ms']:21.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
