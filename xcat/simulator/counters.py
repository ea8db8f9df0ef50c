"""Request counters read by tests and benchmarks (``GET /_sim/counters``).

REST requests are counted by method, resource, table, status and by a key
``"<METHOD> <resource>[/<table>][ <first smcli function or command>]"`` such
as ``"GET tables/switch"`` or
``"PUT nodes/dsh Virtual_Network_Vswitch_Query"``; smcli calls by function, by zHCP (the z/VM
system they ran on) and failures; vmcp calls; the commands dsh scripts ran, by
name (the first word of each simple command: what reached a shell word); bytes
in and out; TCP connections accepted (each new TLS handshake is one). Two
gauges keep their peaks since the last reset: SMAPI calls inside a worker
server at once (``smcli.peak_in_workers``), dsh requests in flight at once
(``dsh.peak_in_flight``) and REST requests of any kind in flight at once
(``rest.peak_in_flight``), so a test can see that a client used the workers,
or sent requests, side by side without timing it.
"""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = {"smcli": 0, "dsh": 0, "rest": 0}
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.rest_total = 0
            self.rest: dict[str, Counter[str]] = {
                name: Counter() for name in ("method", "resource", "table", "status", "key")}
            self.smcli_total = 0
            self.smcli_failed = 0
            self.smcli: Counter[str] = Counter()
            self.smcli_by_zhcp: Counter[str] = Counter()
            self.vmcp = 0
            self.commands: Counter[str] = Counter()
            self.bytes_in = 0
            self.bytes_out = 0
            self.connections = 0
            self.peak = dict(self.in_flight)  # calls under way when reset still count

    @contextmanager
    def busy(self, gauge: str) -> Iterator[None]:
        """Count one ``gauge`` ("smcli" in a worker, "dsh" or "rest" in flight) while the
        block runs."""
        with self.lock:
            self.in_flight[gauge] += 1
            self.peak[gauge] = max(self.peak[gauge], self.in_flight[gauge])
        try:
            yield
        finally:
            with self.lock:
                self.in_flight[gauge] -= 1

    def record_rest(self, method: str, resource: str, table: str | None, detail: str | None,
                    status: int, bytes_in: int, bytes_out: int) -> None:
        key = f"{method} {resource}" + (f"/{table}" if table else "")
        if detail:
            key += f" {detail}"
        with self.lock:
            self.rest_total += 1
            self.rest["method"][method] += 1
            self.rest["resource"][resource] += 1
            if table:
                self.rest["table"][table] += 1
            self.rest["status"][str(status)] += 1
            self.rest["key"][key] += 1
            self.bytes_in += bytes_in
            self.bytes_out += bytes_out

    def record_smcli(self, function: str, status: int, zhcp_node: str) -> None:
        with self.lock:
            self.smcli_total += 1
            self.smcli[function] += 1
            self.smcli_by_zhcp[zhcp_node] += 1
            if status:
                self.smcli_failed += 1

    def record_vmcp(self) -> None:
        with self.lock:
            self.vmcp += 1

    def record_command(self, name: str) -> None:
        with self.lock:
            self.commands[name] += 1

    def record_connection(self) -> None:
        with self.lock:
            self.connections += 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "rest": {"total": self.rest_total, "peak_in_flight": self.peak["rest"],
                         **{f"by_{name}": dict(sorted(c.items()))
                            for name, c in self.rest.items()}},
                "smcli": {"total": self.smcli_total, "failed": self.smcli_failed,
                          "by_function": dict(sorted(self.smcli.items())),
                          "by_zhcp": dict(sorted(self.smcli_by_zhcp.items())),
                          "peak_in_workers": self.peak["smcli"]},
                "dsh": {"peak_in_flight": self.peak["dsh"]},
                "vmcp": {"total": self.vmcp},
                "commands": dict(sorted(self.commands.items())),
                "bytes": {"in": self.bytes_in, "out": self.bytes_out},
                "connections": self.connections,
            }
