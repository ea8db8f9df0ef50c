"""Worker processes for the database concurrency tests: each is a server process with a plugin.

Run through ``ProcessPoolExecutor`` (spawn): every worker builds its own
:class:`ZvmPlugin` on the shared database (so start-up VLAN syncs race
too), waits until ``start_at`` so all workers hit the database together,
then creates resources from ``threads`` threads and reports what it got.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from quantum_zvm.common import exceptions
from quantum_zvm.common.context import get_admin_context
from quantum_zvm.db.api import Database
from quantum_zvm.plugin import ZvmPlugin
from tests.fixtures.plugin import make_conf


def _plugin(url: str, mappings: Sequence[str]) -> ZvmPlugin:
    return ZvmPlugin(make_conf(mappings), db=Database(url, max_retries=5, retry_interval=1,
                                                      pool_size=8))


def create_networks(url: str, mappings: Sequence[str], threads: int, per_thread: int,
                    start_at: float) -> list[tuple[str, object]]:
    """``[("ok", vlan) | ("error", exception class name)]`` for every create."""
    return timed_create_networks(url, mappings, threads, per_thread, start_at)[0]


def timed_create_networks(url: str, mappings: Sequence[str], threads: int, per_thread: int,
                          start_at: float) -> tuple[list[tuple[str, object]], float, float]:
    """:func:`create_networks` plus the wall-clock time the creates began and ended."""
    plugin = _plugin(url, mappings)
    ctx = get_admin_context()

    def one(_: int) -> tuple[str, object]:
        try:
            network = plugin.create_network(ctx, {"network": {"name": "c"}})
            return "ok", network["provider:segmentation_id"]
        except exceptions.QuantumException as exc:
            return "error", type(exc).__name__

    time.sleep(max(0.0, start_at - time.time()))
    began = time.time()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(one, range(threads * per_thread)))
    ended = time.time()
    plugin.db.dispose()
    return results, began, ended


def create_ports(url: str, mappings: Sequence[str], network_id: str, threads: int,
                 per_thread: int, start_at: float) -> list[tuple[str, str]]:
    """``[(mac, ip), ...]`` of the ports created."""
    plugin = _plugin(url, mappings)
    ctx = get_admin_context()

    def one(_: int) -> tuple[str, str]:
        port = plugin.create_port(ctx, {"port": {"network_id": network_id}})
        return port["mac_address"], port["fixed_ips"][0]["ip_address"]

    time.sleep(max(0.0, start_at - time.time()))
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(one, range(threads * per_thread)))
    plugin.db.dispose()
    return results
