"""Quantum 2013.1 (Grizzly) core tables and the Open vSwitch plugin's VLAN tables.

A database created by the Quantum OVS plugin already has these tables; it is
adopted by stamping this revision (``quantum-zvm-db-manage upgrade head`` does
that by itself) and upgrading from here, so no row is touched.

Revision ID: 0001_grizzly
Revises:
Create Date: 2013-04-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_grizzly"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(36)


def _id(name: str = "id", **kw) -> sa.Column:
    return sa.Column(name, ID, primary_key=True, **kw)


def _fk(name: str, target: str, primary_key: bool = False, nullable: bool = False,
        ondelete: str | None = "CASCADE") -> sa.Column:
    return sa.Column(name, ID, sa.ForeignKey(target, ondelete=ondelete),
                     primary_key=primary_key, nullable=nullable)


def upgrade() -> None:
    innodb = {"mysql_engine": "InnoDB"}
    op.create_table(
        "networks",
        sa.Column("tenant_id", sa.String(255)), _id(),
        sa.Column("name", sa.String(255)), sa.Column("status", sa.String(16)),
        sa.Column("admin_state_up", sa.Boolean), sa.Column("shared", sa.Boolean), **innodb)
    op.create_table(
        "subnets",
        sa.Column("tenant_id", sa.String(255)), _id(), sa.Column("name", sa.String(255)),
        _fk("network_id", "networks.id", nullable=True, ondelete=None),
        sa.Column("ip_version", sa.Integer, nullable=False),
        sa.Column("cidr", sa.String(64), nullable=False),
        sa.Column("gateway_ip", sa.String(64)), sa.Column("enable_dhcp", sa.Boolean),
        sa.Column("shared", sa.Boolean), **innodb)
    op.create_table(
        "ports",
        sa.Column("tenant_id", sa.String(255)), _id(), sa.Column("name", sa.String(255)),
        _fk("network_id", "networks.id", ondelete=None),
        sa.Column("mac_address", sa.String(32), nullable=False),
        sa.Column("admin_state_up", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("device_id", sa.String(255), nullable=False),
        sa.Column("device_owner", sa.String(255), nullable=False), **innodb)
    op.create_table(
        "ipallocations",
        _fk("port_id", "ports.id", nullable=True),
        sa.Column("ip_address", sa.String(64), primary_key=True),
        _fk("subnet_id", "subnets.id", primary_key=True),
        _fk("network_id", "networks.id", primary_key=True),
        sa.Column("expiration", sa.DateTime), **innodb)
    op.create_table(
        "ipallocationpools",
        _id(), _fk("subnet_id", "subnets.id", nullable=True),
        sa.Column("first_ip", sa.String(64), nullable=False),
        sa.Column("last_ip", sa.String(64), nullable=False), **innodb)
    op.create_table(
        "ipavailabilityranges",
        _fk("allocation_pool_id", "ipallocationpools.id", primary_key=True),
        sa.Column("first_ip", sa.String(64), primary_key=True),
        sa.Column("last_ip", sa.String(64), primary_key=True), **innodb)
    op.create_table(
        "dnsnameservers",
        sa.Column("address", sa.String(128), primary_key=True),
        _fk("subnet_id", "subnets.id", primary_key=True), **innodb)
    op.create_table(
        "subnetroutes",
        sa.Column("destination", sa.String(64), primary_key=True),
        sa.Column("nexthop", sa.String(64), primary_key=True),
        _fk("subnet_id", "subnets.id", primary_key=True), **innodb)
    op.create_table(
        "agents",
        _id(),
        sa.Column("agent_type", sa.String(255), nullable=False),
        sa.Column("binary", sa.String(255), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("admin_state_up", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("heartbeat_timestamp", sa.DateTime, nullable=False),
        sa.Column("description", sa.String(255)),
        sa.Column("configurations", sa.String(4095), nullable=False), **innodb)
    op.create_table(
        "networkdhcpagentbindings",
        _fk("network_id", "networks.id", primary_key=True),
        _fk("dhcp_agent_id", "agents.id", primary_key=True), **innodb)
    op.create_table(
        "ovs_vlan_allocations",
        sa.Column("physical_network", sa.String(64), primary_key=True),
        sa.Column("vlan_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("allocated", sa.Boolean, nullable=False), **innodb)
    op.create_table(
        "ovs_network_bindings",
        _fk("network_id", "networks.id", primary_key=True),
        sa.Column("network_type", sa.String(32), nullable=False),
        sa.Column("physical_network", sa.String(64)),
        sa.Column("segmentation_id", sa.Integer), **innodb)


def downgrade() -> None:
    for table in ("ovs_network_bindings", "ovs_vlan_allocations", "networkdhcpagentbindings",
                  "agents", "subnetroutes", "dnsnameservers", "ipavailabilityranges",
                  "ipallocationpools", "ipallocations", "ports", "subnets", "networks"):
        op.drop_table(table)
