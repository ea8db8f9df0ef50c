"""Neutron's standard attributes, network MTU and tags.

``networks``, ``subnets`` and ``ports`` get ``description``, ``created_at``,
``updated_at`` and ``revision_number`` (0 for every row, a server default so
rows that another Quantum plugin inserts stay valid); rows that exist get the
time of the upgrade as both timestamps, as they have no better one.
``networks.mtu`` is NULL for existing networks: they keep the configured
``network_mtu``.  ``network_tags``, ``subnet_tags`` and ``port_tags`` hold tags,
removed with their resource; tags compare exactly (binary collation on MySQL,
as migration 0003 gives identifiers).

Only columns and tables are added: every row is kept, and a database upgraded
here can still be served by the Open vSwitch plugin, which ignores them.
Downgrade drops them.

Revision ID: 0004_standard_attrs
Revises: 0003_mysql_binary_ids
Create Date: 2025-01-01
"""
import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004_standard_attrs"
down_revision = "0003_mysql_binary_ids"
branch_labels = None
depends_on = None

RESOURCES = ("networks", "subnets", "ports")
TAGS = {"network_tags": "networks", "subnet_tags": "subnets", "port_tags": "ports"}
INNODB = {"mysql_engine": "InnoDB"}


def upgrade() -> None:
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0)
    for table in RESOURCES:
        op.add_column(table, sa.Column("description", sa.String(255)))
        op.add_column(table, sa.Column("created_at", sa.DateTime))
        op.add_column(table, sa.Column("updated_at", sa.DateTime))
        op.add_column(table, sa.Column("revision_number", sa.BigInteger, nullable=False,
                                       server_default="0"))
        rows = sa.table(table, sa.column("created_at", sa.DateTime),
                        sa.column("updated_at", sa.DateTime))
        op.execute(rows.update().values(created_at=now, updated_at=now))
    op.add_column("networks", sa.Column("mtu", sa.Integer))
    exact = sa.String(255).with_variant(mysql.VARCHAR(255, collation="utf8mb4_bin"), "mysql")
    for name, resource in TAGS.items():
        op.create_table(
            name,
            sa.Column("resource_id", sa.String(36),
                      sa.ForeignKey(f"{resource}.id", ondelete="CASCADE"), primary_key=True),
            sa.Column("tag", exact, primary_key=True), **INNODB)


def downgrade() -> None:
    for name in TAGS:
        op.drop_table(name)
    op.drop_column("networks", "mtu")
    for table in RESOURCES:
        for column in ("revision_number", "updated_at", "created_at", "description"):
            op.drop_column(table, column)
