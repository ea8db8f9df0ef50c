"""The plugin database on a real PostgreSQL: concurrency across processes, outage and recovery."""
from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import pytest
import sqlalchemy as sa

from quantum_zvm.common import exceptions
from quantum_zvm.common.context import get_admin_context
from quantum_zvm.db import migration, models
from quantum_zvm.db.api import Database
from tests.functional import db_workers

pytestmark = pytest.mark.postgres

PROCESSES, THREADS = 4, 4
MAPPINGS = ["VSW1:100:219", "VSW2:300:309", "FLATSW"]  # 130 allocatable VLANs


@pytest.fixture
def pg_db(pg_url):
    db = Database(pg_url, max_retries=0)
    migration.upgrade(db)
    yield db
    db.dispose()


def run_workers(function, *args) -> list:
    start_at = time.time() + 3.0  # after every worker has imported and built its plugin
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(function, *args, start_at) for _ in range(PROCESSES)]
        return [item for future in futures for item in future.result(timeout=120)]


def test_no_vlan_is_given_twice_across_server_processes(pg_db, pg_url):
    per_thread = 9   # 4 x 4 x 9 = 144 creates for 130 VLANs
    results = run_workers(db_workers.create_networks, pg_url, MAPPINGS, THREADS, per_thread)
    granted = [vlan for kind, vlan in results if kind == "ok"]
    errors = Counter(name for kind, name in results if kind == "error")
    assert len(granted) == 130, errors
    assert errors == {"NoVlanAvailable": 144 - 130}
    assert len(set(granted)) == len(granted)
    bindings = models.NetworkBinding.__table__
    allocations = models.VlanAllocation.__table__
    with pg_db.transaction(write=False) as conn:
        stored = conn.execute(sa.select(bindings.c.physical_network,
                                        bindings.c.segmentation_id)).all()
        allocated = conn.execute(sa.select(allocations.c.physical_network,
                                           allocations.c.vlan_id)
                                 .where(allocations.c.allocated == sa.true())).all()
    assert len(stored) == len(set(stored)) == 130
    assert sorted(stored) == sorted(allocated)


def test_concurrent_port_creates_get_distinct_addresses_and_macids(pg_db, pg_url):
    from quantum_zvm.plugin import ZvmPlugin
    from tests.fixtures.plugin import make_conf

    plugin = ZvmPlugin(make_conf(MAPPINGS), db=pg_db)
    ctx = get_admin_context()
    network = plugin.create_network(ctx, {"network": {"name": "busy"}})
    plugin.create_subnet(ctx, {"subnet": {"network_id": network["id"], "ip_version": 4,
                                          "cidr": "10.20.0.0/24"}})
    results = run_workers(db_workers.create_ports, pg_url, MAPPINGS, network["id"], THREADS, 5)
    macs = [mac for mac, _ in results]
    ips = [ip for _, ip in results]
    assert len(results) == PROCESSES * THREADS * 5
    assert len(set(ips)) == len(ips) and len(set(m[-8:] for m in macs)) == len(macs)
    # the pool was consumed lowest first with no hole: 10.20.0.2 .. 10.20.0.81
    assert sorted(int(ip.rsplit(".", 1)[1]) for ip in ips) == list(range(2, 2 + len(ips)))


def test_database_outage_is_503_and_recovers_by_itself(pg_db, postgres_server):
    from quantum_zvm.plugin import ZvmPlugin
    from tests.fixtures.plugin import make_conf

    plugin = ZvmPlugin(make_conf(MAPPINGS), db=pg_db)
    ctx = get_admin_context()
    plugin.create_network(ctx, {"network": {"name": "before"}})
    postgres_server.stop()
    try:
        with pytest.raises(exceptions.DatabaseUnavailable) as info:
            plugin.get_networks(ctx)
        assert info.value.status_code == 503
        with pytest.raises(exceptions.DatabaseUnavailable):
            plugin.create_network(ctx, {"network": {"name": "during"}})
    finally:
        postgres_server.start()
    plugin.create_network(ctx, {"network": {"name": "after"}})
    assert sorted(n["name"] for n in plugin.get_networks(ctx)) == ["after", "before"]


def test_start_up_waits_for_the_database(postgres_server, pg_url):
    postgres_server.stop()
    restarter = threading.Timer(1.5, postgres_server.start)
    restarter.start()
    try:
        started = time.monotonic()
        db = Database(pg_url, max_retries=30, retry_interval=0.5)
        assert time.monotonic() - started >= 1.0
        with db.transaction(write=False) as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
        db.dispose()
    finally:
        restarter.join()
