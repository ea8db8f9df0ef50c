"""The plugin database on real PostgreSQL and MariaDB servers: concurrency across processes,
outage and recovery.  Every test runs once per engine (``server_url`` / ``db_server``)."""
from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from quantum_zvm.common import exceptions
from quantum_zvm.common.context import get_admin_context
from quantum_zvm.db import migration, models
from quantum_zvm.db.api import Database, DeadlockError
from tests.fixtures import grizzly_db
from tests.fixtures.tenant_case import check_case_is_exact
from tests.functional import db_workers

PROCESSES, THREADS = 4, 4
MAPPINGS = ["VSW1:100:219", "VSW2:300:309", "FLATSW"]  # 130 allocatable VLANs
ENGINES = [pytest.param("postgresql", marks=pytest.mark.postgres),
           pytest.param("mysql", marks=pytest.mark.mysql)]
_SERVER_FIXTURES = {"postgresql": ("postgres_server", "pg_url"),
                    "mysql": ("mysql_server", "mysql_url")}


@pytest.fixture(params=ENGINES)
def engine_name(request) -> str:
    return request.param


@pytest.fixture
def db_server(engine_name, request):
    """The session's server of the engine: ``stop()`` / ``start()`` for outage tests."""
    return request.getfixturevalue(_SERVER_FIXTURES[engine_name][0])


@pytest.fixture
def server_url(engine_name, request) -> str:
    """A fresh empty database on the engine's server."""
    return request.getfixturevalue(_SERVER_FIXTURES[engine_name][1])


@pytest.fixture
def server_db(server_url):
    db = Database(server_url, max_retries=0)
    migration.upgrade(db)
    yield db
    db.dispose()


def run_workers(function, *args) -> list:
    start_at = time.time() + 3.0  # after every worker has imported and built its plugin
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(function, *args, start_at) for _ in range(PROCESSES)]
        return [item for future in futures for item in future.result(timeout=120)]


def test_no_vlan_is_given_twice_across_server_processes(server_db, server_url):
    per_thread = 9   # 4 x 4 x 9 = 144 creates for 130 VLANs
    results = run_workers(db_workers.create_networks, server_url, MAPPINGS, THREADS, per_thread)
    granted = [vlan for kind, vlan in results if kind == "ok"]
    errors = Counter(name for kind, name in results if kind == "error")
    assert len(granted) == 130, errors
    assert errors == {"NoVlanAvailable": 144 - 130}
    assert len(set(granted)) == len(granted)
    bindings = models.NetworkBinding.__table__
    allocations = models.VlanAllocation.__table__
    with server_db.transaction(write=False) as conn:
        stored = conn.execute(sa.select(bindings.c.physical_network,
                                        bindings.c.segmentation_id)).all()
        allocated = conn.execute(sa.select(allocations.c.physical_network,
                                           allocations.c.vlan_id)
                                 .where(allocations.c.allocated == sa.true())).all()
    assert len(stored) == len(set(stored)) == 130
    assert sorted(stored) == sorted(allocated)


def test_concurrent_port_creates_get_distinct_addresses_and_macids(server_db, server_url):
    from quantum_zvm.plugin import ZvmPlugin
    from tests.fixtures.plugin import make_conf

    plugin = ZvmPlugin(make_conf(MAPPINGS), db=server_db)
    ctx = get_admin_context()
    network = plugin.create_network(ctx, {"network": {"name": "busy"}})
    plugin.create_subnet(ctx, {"subnet": {"network_id": network["id"], "ip_version": 4,
                                          "cidr": "10.20.0.0/24"}})
    results = run_workers(db_workers.create_ports, server_url, MAPPINGS, network["id"], THREADS, 5)
    macs = [mac for mac, _ in results]
    ips = [ip for _, ip in results]
    assert len(results) == PROCESSES * THREADS * 5
    assert len(set(ips)) == len(ips) and len(set(m[-8:] for m in macs)) == len(macs)
    # the pool was consumed lowest first with no hole: 10.20.0.2 .. 10.20.0.81
    assert sorted(int(ip.rsplit(".", 1)[1]) for ip in ips) == list(range(2, 2 + len(ips)))


def test_database_outage_is_503_and_recovers_by_itself(server_db, db_server):
    from quantum_zvm.plugin import ZvmPlugin
    from tests.fixtures.plugin import make_conf

    plugin = ZvmPlugin(make_conf(MAPPINGS), db=server_db)
    ctx = get_admin_context()
    plugin.create_network(ctx, {"network": {"name": "before"}})
    db_server.stop()
    try:
        with pytest.raises(exceptions.DatabaseUnavailable) as info:
            plugin.get_networks(ctx)
        assert info.value.status_code == 503
        with pytest.raises(exceptions.DatabaseUnavailable):
            plugin.create_network(ctx, {"network": {"name": "during"}})
    finally:
        db_server.start()
    plugin.create_network(ctx, {"network": {"name": "after"}})
    assert sorted(n["name"] for n in plugin.get_networks(ctx)) == ["after", "before"]


def test_start_up_waits_for_the_database(db_server, server_url):
    db_server.stop()
    restarter = threading.Timer(1.5, db_server.start)
    restarter.start()
    try:
        started = time.monotonic()
        db = Database(server_url, max_retries=30, retry_interval=0.5)
        assert time.monotonic() - started >= 1.0
        with db.transaction(write=False) as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
        db.dispose()
    finally:
        restarter.join()


_OWN_ID = {"postgresql": "SELECT pg_backend_pid()", "mysql": "SELECT CONNECTION_ID()"}
_KILL = {"postgresql": "SELECT pg_terminate_backend({})", "mysql": "KILL {}"}


def test_a_connection_lost_mid_transaction_is_503_and_the_next_one_works(server_db,
                                                                         engine_name):
    """The server drops the connection (MySQL 2013/2006, PostgreSQL 57P01): 503, not a 500."""
    with pytest.raises(exceptions.DatabaseUnavailable), server_db.transaction() as conn:
        own_id = conn.execute(sa.text(_OWN_ID[engine_name])).scalar()
        with server_db.engine.connect() as other:
            other.execute(sa.text(_KILL[engine_name].format(int(own_id))))
            other.commit()
        conn.execute(sa.text("SELECT 1"))
    with server_db.transaction(write=False) as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1


def test_a_real_deadlock_is_recognised_for_retry(server_db):
    """Two transactions locking two rows in opposite orders: the loser gets DeadlockError
    (MySQL 1213, PostgreSQL 40P01), which ``Database.retry`` runs again."""
    table = models.VlanAllocation.__table__
    with server_db.transaction() as conn:
        conn.execute(table.insert(), [{"physical_network": "DL", "vlan_id": v,
                                       "allocated": False} for v in (1, 2)])
    both_hold_one = threading.Barrier(2, timeout=30)

    def lock(first: int, second: int) -> str:
        try:
            with server_db.transaction() as conn:
                for vlan in (first, second):
                    conn.execute(table.update().where(table.c.physical_network == "DL",
                                                      table.c.vlan_id == vlan)
                                 .values(allocated=True))
                    if vlan == first:
                        both_hold_one.wait()
            return "committed"
        except DeadlockError:
            return "deadlock"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda order: lock(*order), [(1, 2), (2, 1)]))
    assert outcomes == ["committed", "deadlock"]


@pytest.mark.mysql
def test_mysql_transactions_run_at_read_committed(mysql_url):
    db = Database(mysql_url, max_retries=0)
    try:
        with db.transaction() as conn:
            assert conn.get_isolation_level() == "READ COMMITTED"
    finally:
        db.dispose()


def test_tenants_differing_only_in_case_are_isolated(server_db):
    """MySQL's default collation is case-insensitive: without 0003 tenant ABC used abc's network."""
    from quantum_zvm.plugin import ZvmPlugin
    from tests.fixtures.plugin import make_conf

    check_case_is_exact(ZvmPlugin(make_conf(MAPPINGS), db=server_db))


_EXACT = {("networks", "tenant_id"), ("subnets", "tenant_id"), ("ports", "tenant_id"),
          ("ports", "device_id"), ("agents", "host"), ("portbindingports", "host"),
          ("zvm_port_bindings", "host")}
_KEPT = {("ports", "name"), ("zvm_port_profiles", "userid"), ("zvm_port_bindings", "userid")}


def _columns(db: Database) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(table, column) -> (COLUMN_TYPE, IS_NULLABLE, COLLATION_NAME) of the string columns."""
    with db.transaction(write=False) as conn:
        rows = conn.execute(sa.text(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLLATION_NAME "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "AND COLLATION_NAME IS NOT NULL")).all()
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}


def _assert_exact_on_mysql(db: Database) -> None:
    columns = _columns(db)
    assert {key: columns[key][2] for key in _EXACT} == dict.fromkeys(_EXACT, "utf8mb4_bin")
    assert {key: columns[key][2] for key in _KEPT} == dict.fromkeys(_KEPT,
                                                                   "utf8mb4_general_ci")


@pytest.mark.mysql
def test_mysql_binary_ids_upgrade_downgrade_round_trip_keeps_rows(mysql_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    db = Database(mysql_url, max_retries=0)
    try:
        migration.upgrade(db, "0002_zvm")
        before = _columns(db)
        with db.transaction() as conn:
            networks = models.Network.__table__
            conn.execute(networks.insert(), [
                {"id": f"n{i}", "tenant_id": tenant, "name": tenant, "shared": False}
                for i, tenant in enumerate(["abc", "ABC", None])])
        migration.upgrade(db)
        _assert_exact_on_mysql(db)
        after = _columns(db)
        # 0003 keeps types and nullability; 0004 only adds columns and tables
        assert {k: v[:2] for k, v in after.items() if k in before} == \
            {k: v[:2] for k, v in before.items()}
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"version_table": migration.VERSION_TABLE})
            assert compare_metadata(context, models.Base.metadata) == []
        with db.transaction(write=False) as conn:
            tenants = models.Network.__table__.c.tenant_id
            assert conn.execute(sa.select(sa.func.count()).where(tenants == "abc")).scalar() == 1

        migration.downgrade(db, "0002_zvm")
        assert _columns(db) == before
        with db.transaction(write=False) as conn:
            assert conn.execute(sa.select(sa.func.count()).where(tenants == "abc")).scalar() == 2
        migration.upgrade(db)
        assert _columns(db) == after
        with db.transaction(write=False) as conn:
            assert sorted(conn.execute(sa.select(networks.c.id, networks.c.tenant_id)).all(),
                          key=str) == [("n0", "abc"), ("n1", "ABC"), ("n2", None)]
    finally:
        db.dispose()


@pytest.mark.mysql
def test_mysql_adopted_grizzly_database_gets_binary_ids(mysql_url):
    db = Database(mysql_url, max_retries=0)
    try:
        grizzly_db.create(db.engine)
        with db.transaction() as conn:
            before = grizzly_db.populate(conn)
        migration.upgrade(db)
        _assert_exact_on_mysql(db)
        with db.transaction(write=False) as conn:
            assert grizzly_db.counts(conn) == before
    finally:
        db.dispose()


def test_port_lists_show_the_standard_attributes_as_create_and_show_do(server_db):
    """Lists read description and timestamps formatted by the database itself (one spelling
    per engine); they must match what a create and a show answer, and a row older than the
    columns (NULL description and timestamps) shows '' and null."""
    from quantum_zvm.plugin import ZvmPlugin
    from tests.fixtures.plugin import make_conf

    plugin = ZvmPlugin(make_conf(MAPPINGS), db=server_db)
    ctx = get_admin_context()
    network = plugin.create_network(ctx, {"network": {"name": "attrs"}})
    created = plugin.create_port(ctx, {"port": {"network_id": network["id"],
                                                "description": "web tier"}})
    old = plugin.create_port(ctx, {"port": {"network_id": network["id"]}})
    with server_db.transaction() as conn:
        conn.execute(sa.update(models.Port.__table__)
                     .where(models.Port.__table__.c.id == old["id"])
                     .values(description=None, created_at=None, updated_at=None))
    listed = {port["id"]: port for port in plugin.get_ports(ctx)}
    keys = ("description", "created_at", "updated_at", "revision_number")
    assert {k: listed[created["id"]][k] for k in keys} == {k: created[k] for k in keys}
    assert {k: plugin.get_port(ctx, created["id"])[k] for k in keys} == \
        {k: created[k] for k in keys}
    assert created["description"] == "web tier"
    assert created["created_at"].endswith("Z") and "T" in created["created_at"]
    assert {k: listed[old["id"]][k] for k in keys} == {
        "description": "", "created_at": None, "updated_at": None, "revision_number": 0}
    sparse = plugin.get_ports(ctx, fields=["id", "created_at"])
    assert {p["id"]: p["created_at"] for p in sparse} == {
        created["id"]: created["created_at"], old["id"]: None}
