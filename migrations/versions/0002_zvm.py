"""quantum-zvm tables (profiles, applied bindings, MACIDs), Havana's portbindingports, indexes.

Written to run on a database created here from 0001 and on an adopted
Quantum database alike: what the Quantum database may already have
(``portbindingports`` in Havana, ``ipallocations.expiration`` dropped in
later releases, indexes) is created only when missing.  Physical network
names are upper-cased (they are vswitch names).  Existing ports get their
MACIDs recorded; a MACID used by two ports (possible in Quantum, which made
MACs unique per network only) is kept for the first port and reported.

Revision ID: 0002_zvm
Revises: 0001_grizzly
Create Date: 2024-01-01
"""
import logging
import re

import sqlalchemy as sa
from alembic import op

revision = "0002_zvm"
down_revision = "0001_grizzly"
branch_labels = None
depends_on = None

LOG = logging.getLogger("alembic.runtime.migration")
ID = sa.String(36)
INNODB = {"mysql_engine": "InnoDB"}

INDEXES = [
    ("ix_networks_tenant_id", "networks", ["tenant_id"]),
    ("ix_subnets_tenant_id", "subnets", ["tenant_id"]),
    ("ix_subnets_network_id", "subnets", ["network_id"]),
    ("ix_ports_tenant_id", "ports", ["tenant_id"]),
    ("ix_ports_network_id", "ports", ["network_id"]),
    ("ix_ports_device_id", "ports", ["device_id"]),
    ("ix_ipallocations_port_id", "ipallocations", ["port_id"]),
    ("ix_ipallocations_subnet_id", "ipallocations", ["subnet_id"]),
    ("ix_ipallocationpools_subnet_id", "ipallocationpools", ["subnet_id"]),
    ("ix_agents_agent_type_host", "agents", ["agent_type", "host"]),
]

_MAC_RE = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$", re.I)


def _port_fk() -> sa.Column:
    return sa.Column("port_id", ID, sa.ForeignKey("ports.id", ondelete="CASCADE"),
                     primary_key=True)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    if "portbindingports" not in tables:
        op.create_table("portbindingports", _port_fk(),
                        sa.Column("host", sa.String(255), nullable=False), **INNODB)
    if "expiration" not in {c["name"] for c in inspector.get_columns("ipallocations")}:
        op.add_column("ipallocations", sa.Column("expiration", sa.DateTime))
    existing = {ix["name"] for table in {t for _, t, _ in INDEXES} | {"portbindingports"}
                for ix in inspector.get_indexes(table)}
    for name, table, columns in INDEXES + [
            ("ix_portbindingports_host", "portbindingports", ["host"])]:
        if name not in existing:
            op.create_index(name, table, columns)

    op.create_table(
        "zvm_port_profiles", _port_fk(),
        sa.Column("userid", sa.String(8), nullable=False),
        sa.Column("vdev", sa.String(4)),
        sa.UniqueConstraint("userid", "vdev", name="uniq_zvm_port_profiles0nic"), **INNODB)
    op.create_table(
        "zvm_port_bindings", _port_fk(),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("zhcp_node", sa.String(255)),
        sa.Column("userid", sa.String(8)),
        sa.Column("vdev", sa.String(4)),
        sa.Column("vswitch", sa.String(8)),
        sa.Column("vlan", sa.Integer),
        sa.Column("port_type", sa.String(16)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.String(1024)),
        sa.Column("updated_at", sa.DateTime, nullable=False), **INNODB)
    op.create_index("ix_zvm_port_bindings_host", "zvm_port_bindings", ["host"])
    macids = op.create_table(
        "zvm_macids",
        sa.Column("macid", sa.String(6), primary_key=True),
        sa.Column("port_id", ID, sa.ForeignKey("ports.id", ondelete="CASCADE"),
                  nullable=False),
        sa.UniqueConstraint("port_id", name="uniq_zvm_macids0port_id"), **INNODB)
    _record_macids(macids)
    _upper_case_vswitches()


def _upper_case_vswitches() -> None:
    """Physical networks are vswitch names, which CP spells in upper case (and so does the
    configuration): an adopted ``physnet1`` becomes ``PHYSNET1``."""
    for table in ("ovs_vlan_allocations", "ovs_network_bindings"):
        column = sa.table(table, sa.column("physical_network", sa.String))
        op.execute(column.update().where(column.c.physical_network.is_not(None))
                   .values(physical_network=sa.func.upper(column.c.physical_network)))


def _record_macids(macids: sa.Table) -> None:
    ports = sa.table("ports", sa.column("id", ID), sa.column("mac_address", sa.String))
    rows, seen = [], {}
    for port_id, mac in op.get_bind().execute(
            sa.select(ports.c.id, ports.c.mac_address).order_by(ports.c.id)):
        if not _MAC_RE.match(mac or ""):
            LOG.warning("port %s: MAC %r is not a MAC address; no MACID recorded", port_id, mac)
            continue
        macid = re.sub(r"[:-]", "", mac)[6:].upper()
        if macid in seen:
            LOG.warning("port %s: MACID %s is already used by port %s; z/VM guests of one "
                        "system cannot share it, give the port a new MAC", port_id, macid,
                        seen[macid])
            continue
        seen[macid] = port_id
        rows.append({"macid": macid, "port_id": port_id})
    if rows:
        op.bulk_insert(macids, rows)


def downgrade() -> None:
    for table in ("zvm_macids", "zvm_port_bindings", "zvm_port_profiles", "portbindingports"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "mysql":
        _restore_foreign_key_indexes()
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)


def _restore_foreign_key_indexes() -> None:
    """InnoDB needs an index on every foreign key: it dropped the one it made for a key when
    ours (``ix_subnets_network_id``, ...) came and refuses to drop ours now.  Give it back
    first, named as InnoDB names it (after the column), as a database made at 0001 has it."""
    inspector = sa.inspect(op.get_bind())
    for _, table, columns in INDEXES:
        existing = {ix["name"] for ix in inspector.get_indexes(table)}
        keyed = any(fk["constrained_columns"][:len(columns)] == columns
                    for fk in inspector.get_foreign_keys(table))
        if keyed and columns[0] not in existing:
            op.create_index(columns[0], table, columns)
