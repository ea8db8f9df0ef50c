"""Benchmark of ``record_zvm_bindings``: the agent's outcome report for many ports.

The RPC callback (``PluginRpcCallbacks.record_zvm_bindings``) is called
directly, without a transport, on a SQLite file with P ports bound to the
agent's host (the set-up of ``bench_rpc.py``). Each round reports every port:
first all ACTIVE (the rows are inserted), then again with every tenth port in
ERROR (the rows are replaced). For each: wall and CPU seconds, SQL statements
the plugin sent (an executemany counts once) and the parameter sets they
carried, and transactions (COMMITs).

    .venv/bin/python benchmarks/bench_record_bindings.py [--ports 2000] [--sql sqlite:///...]

Prints one JSON document, then a table.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import event  # noqa: E402

from benchmarks.bench_rpc import ADMIN, make_plugin  # noqa: E402
from quantum_zvm import rpc_callbacks  # noqa: E402


class StatementCounter:
    def __init__(self, engine):
        self.statements = self.parameter_sets = self.commits = 0
        event.listen(engine, "before_cursor_execute", self._execute)
        event.listen(engine, "commit", self._commit)

    def _execute(self, _conn, _cursor, _statement, parameters, _context, executemany):
        self.statements += 1
        self.parameter_sets += len(parameters) if executemany else 1

    def _commit(self, _conn):
        self.commits += 1

    def snapshot(self) -> tuple[int, int, int]:
        return self.statements, self.parameter_sets, self.commits


def entries(port_ids: list[str], error_every: int) -> list[dict]:
    out = []
    for i, port_id in enumerate(port_ids):
        entry = {"port_id": port_id, "status": "ACTIVE", "zhcp_node": "zhcp1",
                 "userid": f"U{i // 1000:05d}", "vdev": f"{0x1000 + 3 * (i % 1000):04X}",
                 "vswitch": "VSW1", "vlan": 100, "port_type": "ACCESS"}
        if error_every and i % error_every == 0:
            entry["error"] = "Virtual_Network_Vswitch_Set_Extended rc=212 rs=40"
        out.append(entry)
    return out


def measure(callbacks, counter: StatementCounter, name: str, batch: list[dict]) -> dict:
    before = counter.snapshot()
    wall, cpu = time.perf_counter(), time.process_time()
    results = callbacks.record_zvm_bindings(ADMIN, host="zhcp1", bindings=batch)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = counter.snapshot()
    assert len(results) == len(batch) and all(results.values())
    return {"case": name, "entries": len(batch), "seconds": round(wall, 4),
            "cpu_seconds": round(cpu, 4), "statements": after[0] - before[0],
            "parameter_sets": after[1] - before[1], "commits": after[2] - before[2]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ports", type=int, default=2000)
    args = parser.parse_args(argv)
    import logging
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmpdir:
        plugin, port_ids = make_plugin(Path(tmpdir), args.ports)
        callbacks = rpc_callbacks.PluginRpcCallbacks(plugin)
        counter = StatementCounter(plugin.db.engine)
        results = [measure(callbacks, counter, "insert (all ACTIVE)", entries(port_ids, 0)),
                   measure(callbacks, counter, "replace (10% ERROR)", entries(port_ids, 10))]
        plugin.db.dispose()
    print(json.dumps({"benchmark": "record_zvm_bindings", "results": results}, indent=2))
    print(f"\n{'case':22} {'entries':>8} {'wall s':>8} {'CPU s':>8} {'statements':>11} "
          f"{'param sets':>11} {'commits':>8}")
    for r in results:
        print(f"{r['case']:22} {r['entries']:>8} {r['seconds']:>8.3f} {r['cpu_seconds']:>8.3f} "
              f"{r['statements']:>11} {r['parameter_sets']:>11} {r['commits']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
