"""Alembic migrations on SQLite: head matches the models, down/up, start-up check, adoption."""
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from quantum_zvm.common.context import get_admin_context
from quantum_zvm.db import migration, models
from quantum_zvm.db.api import Database
from tests.fixtures import grizzly_db


@pytest.fixture
def db(tmp_path: Path):
    database = Database(f"sqlite:///{tmp_path / 'm.sqlite'}", max_retries=0)
    yield database
    database.dispose()


def tables(db: Database) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_head_schema_matches_the_models(db):
    migration.upgrade(db)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": migration.VERSION_TABLE})
        assert compare_metadata(context, models.Base.metadata) == []
    assert migration.current(db) == migration.head()
    migration.check_current(db)
    assert migration.history()[0].startswith(f"{migration.head()} <- 0003_mysql_binary_ids: ")


def test_downgrade_to_base_and_up_again(db):
    migration.upgrade(db)
    migration.downgrade(db, "0001_grizzly")
    assert "zvm_port_bindings" not in tables(db) and "networks" in tables(db)
    migration.downgrade(db, "base")
    assert tables(db) == {migration.VERSION_TABLE}
    migration.upgrade(db)
    assert set(models.Base.metadata.tables) < tables(db)


def test_check_current_names_the_command(db):
    with pytest.raises(migration.SchemaNotCurrent) as info:
        migration.check_current(db, ["/etc/quantum/zvm.ini"])
    assert "has no tables" in str(info.value)
    assert "quantum-zvm-db-manage --config-file /etc/quantum/zvm.ini upgrade head" \
        in str(info.value)
    migration.upgrade(db, "0001_grizzly")
    with pytest.raises(migration.SchemaNotCurrent, match="is at revision 0001_grizzly, but "
                       f"quantum-zvm needs revision {migration.head()}; run: "
                       "quantum-zvm-db-manage"):
        migration.check_current(db)


def test_a_newer_revision_is_reported_as_unknown(db):
    migration.upgrade(db)
    with db.transaction() as conn:
        conn.execute(sa.text(f"UPDATE {migration.VERSION_TABLE} SET version_num = 'ffff'"))
    with pytest.raises(migration.SchemaNotCurrent, match="revision ffff, which this version"):
        migration.check_current(db)


def test_foreign_tables_are_never_touched(db):
    with db.transaction() as conn:
        conn.execute(sa.text("CREATE TABLE inventory (id INTEGER PRIMARY KEY)"))
    with pytest.raises(migration.SchemaError, match="neither quantum-zvm's nor"):
        migration.upgrade(db)
    with pytest.raises(migration.SchemaNotCurrent, match="not quantum-zvm's"):
        migration.check_current(db)
    assert tables(db) == {"inventory"}


def test_a_folsom_database_is_not_adopted(db):
    grizzly_db.create(db.engine)
    with db.transaction() as conn:
        conn.execute(sa.text("DROP TABLE networkdhcpagentbindings"))
        conn.execute(sa.text("DROP TABLE agents"))
    with pytest.raises(migration.SchemaError, match="table agents is missing"):
        migration.upgrade(db)
    assert migration.VERSION_TABLE not in tables(db)


def test_grizzly_ovs_database_is_adopted_without_losing_rows(db, plugin_factory):
    grizzly_db.create(db.engine)
    with db.transaction() as conn:
        before = grizzly_db.populate(conn)
    state = migration.inspect_state(db)
    assert (state.kind, state.revision, state.problems) == ("quantum", "grizzly", ())
    with pytest.raises(migration.SchemaNotCurrent, match="not yet adopted"):
        migration.check_current(db)

    steps: list[str] = []
    migration.upgrade(db, report=steps.append)
    assert "adopting a Quantum Open vSwitch plugin database" in steps[0]
    migration.check_current(db)
    with db.transaction() as conn:
        assert grizzly_db.counts(conn) == before
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() \
            == "grizzly"
        assert sorted(conn.execute(sa.text("SELECT macid FROM zvm_macids")).scalars()) == \
            ["112233", "445566"]
        assert set(conn.execute(sa.text(
            "SELECT physical_network FROM ovs_network_bindings")).scalars()) == \
            {"PHYSNET1", "PHYSNET2"}

    plugin = plugin_factory(["PHYSNET1:1000:1009", "PHYSNET2"], url=str(db.url))
    ctx = get_admin_context()
    network = plugin.get_network(ctx, grizzly_db.VLAN_NET)
    assert (network["provider:physical_network"], network["provider:segmentation_id"]) == \
        ("PHYSNET1", 1000)
    assert network["subnets"] == [grizzly_db.SUBNET]
    vm = plugin.get_port(ctx, grizzly_db.VM_PORT)
    assert vm["fixed_ips"] == [{"subnet_id": grizzly_db.SUBNET, "ip_address": "10.1.0.2"}]
    # the address Grizzly held after a port delete went back to the pool at start-up
    new = plugin.create_port(ctx, {"port": {"network_id": grizzly_db.VLAN_NET}})
    assert new["fixed_ips"][0]["ip_address"] == grizzly_db.HELD_IP
    # a new tenant network gets the next VLAN, not the one the adopted network holds
    assert plugin.create_network(ctx, {"network": {"name": "n"}})[
        "provider:segmentation_id"] == 1001
    # the adopted DHCP agent keeps its network and takes the unhosted ones
    assert set(plugin.get_active_networks_for_host(ctx, "net1")) == {
        n["id"] for n in plugin.get_networks(ctx)}
    assert [a["host"] for a in plugin.list_dhcp_agents_hosting_network(
        ctx, grizzly_db.VLAN_NET)] == ["net1"]
