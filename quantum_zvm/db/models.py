"""SQLAlchemy models: the Quantum core and OVS plugin tables, plus quantum-zvm's own.

Table and column names, types and nullability are those of Quantum 2013.1
(Grizzly) and the Open vSwitch plugin (``ovs_vlan_allocations``,
``ovs_network_bindings``), so a database can move between that plugin and
this one.  Havana's ``portbindingports`` stores ``binding:host_id``.  Our own
tables, all keyed by port and removed with it:

* ``zvm_port_profiles``: ``binding:profile`` (the guest userid and NIC vdev),
  unique per (userid, vdev) so two ports cannot claim one NIC;
* ``zvm_port_bindings``: what the agent applied to a port, or why it failed;
* ``zvm_macids``: the NICDEF MACID (last three MAC octets) of every port,
  unique across the deployment because the guests of one z/VM system share
  one MACID space.

Neutron's standard attributes (``description``, ``created_at``,
``updated_at``, ``revision_number``) are columns of ``networks``, ``subnets``
and ``ports`` (:class:`StandardAttrs`, migration 0004), nullable or with a
server default so that rows another Quantum plugin writes stay valid; tags
are in ``network_tags``, ``subnet_tags`` and ``port_tags``, removed with
their resource.

The schema itself is created and changed only by Alembic (``migrations/``,
installed as ``quantum_zvm.migrations``); these classes must match the head revision
(a unit test compares them).

On MySQL/MariaDB, tenant ids and the identifiers looked up by value
(``ports.device_id`` and the agent/binding hosts) are ``utf8mb4_bin`` so
that they compare exactly, as on PostgreSQL and SQLite: with MySQL's
case-insensitive default, tenant ``ABC`` would see tenant ``abc``'s rows.
"""
from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

UUID_LEN = 36
MYSQL_EXACT_COLLATION = "utf8mb4_bin"


def exact_string(length: int) -> sa.types.TypeEngine:
    """A string compared exactly on every engine (binary collation on MySQL, migration 0003)."""
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation=MYSQL_EXACT_COLLATION), "mysql")


class Base(DeclarativeBase):
    pass


def _uuid_fk(target: str, nullable: bool = False, primary_key: bool = False) -> Mapped[str]:
    return mapped_column(sa.String(UUID_LEN), sa.ForeignKey(target, ondelete="CASCADE"),
                         nullable=nullable, primary_key=primary_key)


class StandardAttrs:
    """Neutron's standard attributes as columns of the resource's own table.

    Neutron keeps them in a ``standardattributes`` table joined to every
    resource; columns of the row itself cost no extra statement per create or join
    per list.  ``revision_number`` starts at 0 and grows by one with every change.
    """
    description: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    revision_number: Mapped[int] = mapped_column(sa.BigInteger, nullable=False,
                                                 server_default="0")


# --------------------------------------------------------------------------- core

class Network(StandardAttrs, Base):
    __tablename__ = "networks"
    tenant_id: Mapped[str | None] = mapped_column(exact_string(255), index=True)
    id: Mapped[str] = mapped_column(sa.String(UUID_LEN), primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[str | None] = mapped_column(sa.String(16))
    admin_state_up: Mapped[bool | None] = mapped_column(sa.Boolean)
    shared: Mapped[bool | None] = mapped_column(sa.Boolean)
    # None: the configured network_mtu (the vswitch's frame size)
    mtu: Mapped[int | None] = mapped_column(sa.Integer)


class Subnet(StandardAttrs, Base):
    __tablename__ = "subnets"
    tenant_id: Mapped[str | None] = mapped_column(exact_string(255), index=True)
    id: Mapped[str] = mapped_column(sa.String(UUID_LEN), primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(255))
    network_id: Mapped[str | None] = mapped_column(
        sa.String(UUID_LEN), sa.ForeignKey("networks.id"), index=True)
    ip_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    cidr: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    gateway_ip: Mapped[str | None] = mapped_column(sa.String(64))
    enable_dhcp: Mapped[bool | None] = mapped_column(sa.Boolean)
    shared: Mapped[bool | None] = mapped_column(sa.Boolean)


class Port(StandardAttrs, Base):
    __tablename__ = "ports"
    tenant_id: Mapped[str | None] = mapped_column(exact_string(255), index=True)
    id: Mapped[str] = mapped_column(sa.String(UUID_LEN), primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(255))
    network_id: Mapped[str] = mapped_column(
        sa.String(UUID_LEN), sa.ForeignKey("networks.id"), nullable=False, index=True)
    mac_address: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    admin_state_up: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    device_id: Mapped[str] = mapped_column(exact_string(255), nullable=False, index=True)
    device_owner: Mapped[str] = mapped_column(sa.String(255), nullable=False)


class IPAllocation(Base):
    __tablename__ = "ipallocations"
    port_id: Mapped[str | None] = _uuid_fk("ports.id", nullable=True)
    ip_address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    subnet_id: Mapped[str] = _uuid_fk("subnets.id", primary_key=True)
    network_id: Mapped[str] = _uuid_fk("networks.id", primary_key=True)
    # Grizzly's lease hold; kept for schema compatibility, never set (Havana recycles at once).
    expiration: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    __table_args__ = (sa.Index("ix_ipallocations_port_id", "port_id"),
                      sa.Index("ix_ipallocations_subnet_id", "subnet_id"))


class IPAllocationPool(Base):
    __tablename__ = "ipallocationpools"
    id: Mapped[str] = mapped_column(sa.String(UUID_LEN), primary_key=True)
    subnet_id: Mapped[str | None] = _uuid_fk("subnets.id", nullable=True)
    first_ip: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    last_ip: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    __table_args__ = (sa.Index("ix_ipallocationpools_subnet_id", "subnet_id"),)


class IPAvailabilityRange(Base):
    __tablename__ = "ipavailabilityranges"
    allocation_pool_id: Mapped[str] = _uuid_fk("ipallocationpools.id", primary_key=True)
    first_ip: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    last_ip: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class DNSNameServer(Base):
    __tablename__ = "dnsnameservers"
    address: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    subnet_id: Mapped[str] = _uuid_fk("subnets.id", primary_key=True)


class SubnetRoute(Base):
    __tablename__ = "subnetroutes"
    destination: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    nexthop: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    subnet_id: Mapped[str] = _uuid_fk("subnets.id", primary_key=True)


class Agent(Base):
    __tablename__ = "agents"
    id: Mapped[str] = mapped_column(sa.String(UUID_LEN), primary_key=True)
    agent_type: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    binary: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    topic: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    host: Mapped[str] = mapped_column(exact_string(255), nullable=False)
    admin_state_up: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime, nullable=False)
    started_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime, nullable=False)
    heartbeat_timestamp: Mapped[datetime.datetime] = mapped_column(sa.DateTime, nullable=False)
    description: Mapped[str | None] = mapped_column(sa.String(255))
    configurations: Mapped[str] = mapped_column(sa.String(4095), nullable=False)
    # The logical key (agent_type, host) is not a constraint in Quantum; indexed for lookups.
    __table_args__ = (sa.Index("ix_agents_agent_type_host", "agent_type", "host"),)


class NetworkDhcpAgentBinding(Base):
    __tablename__ = "networkdhcpagentbindings"
    network_id: Mapped[str] = _uuid_fk("networks.id", primary_key=True)
    dhcp_agent_id: Mapped[str] = _uuid_fk("agents.id", primary_key=True)


class PortBindingPort(Base):
    """Havana's ``binding:host_id``."""
    __tablename__ = "portbindingports"
    port_id: Mapped[str] = _uuid_fk("ports.id", primary_key=True)
    host: Mapped[str] = mapped_column(exact_string(255), nullable=False, index=True)


# --------------------------------------------------------------------------- OVS plugin

class VlanAllocation(Base):
    __tablename__ = "ovs_vlan_allocations"
    physical_network: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    vlan_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    allocated: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)


class NetworkBinding(Base):
    __tablename__ = "ovs_network_bindings"
    network_id: Mapped[str] = _uuid_fk("networks.id", primary_key=True)
    network_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    physical_network: Mapped[str | None] = mapped_column(sa.String(64))
    segmentation_id: Mapped[int | None] = mapped_column(sa.Integer)


# --------------------------------------------------------------------------- quantum-zvm

class ZvmPortProfile(Base):
    """``binding:profile``: the guest (``zvm_userid``) and NIC base device (``vdev``)."""
    __tablename__ = "zvm_port_profiles"
    port_id: Mapped[str] = _uuid_fk("ports.id", primary_key=True)
    userid: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    vdev: Mapped[str | None] = mapped_column(sa.String(4))
    __table_args__ = (sa.UniqueConstraint("userid", "vdev", name="uniq_zvm_port_profiles0nic"),)


class ZvmPortBinding(Base):
    """What the agent applied to a port on z/VM (or the error that stopped it)."""
    __tablename__ = "zvm_port_bindings"
    port_id: Mapped[str] = _uuid_fk("ports.id", primary_key=True)
    host: Mapped[str] = mapped_column(exact_string(255), nullable=False, index=True)
    zhcp_node: Mapped[str | None] = mapped_column(sa.String(255))
    userid: Mapped[str | None] = mapped_column(sa.String(8))
    vdev: Mapped[str | None] = mapped_column(sa.String(4))
    vswitch: Mapped[str | None] = mapped_column(sa.String(8))
    vlan: Mapped[int | None] = mapped_column(sa.Integer)
    port_type: Mapped[str | None] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    error: Mapped[str | None] = mapped_column(sa.String(1024))
    updated_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime, nullable=False)


class ZvmMacid(Base):
    """The NICDEF MACID of a port: unique across every network of the deployment."""
    __tablename__ = "zvm_macids"
    macid: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    port_id: Mapped[str] = _uuid_fk("ports.id")
    __table_args__ = (sa.UniqueConstraint("port_id", name="uniq_zvm_macids0port_id"),)


# --------------------------------------------------------------------------- tags

def _tag_table(name: str, resource_table: str) -> sa.Table:
    """``(resource_id, tag)``, compared exactly (``Red`` and ``red`` are two tags)."""
    return sa.Table(name, Base.metadata,
                    sa.Column("resource_id", sa.String(UUID_LEN),
                              sa.ForeignKey(f"{resource_table}.id", ondelete="CASCADE"),
                              primary_key=True),
                    sa.Column("tag", exact_string(255), primary_key=True))


NETWORK_TAGS = _tag_table("network_tags", "networks")
SUBNET_TAGS = _tag_table("subnet_tags", "subnets")
PORT_TAGS = _tag_table("port_tags", "ports")


# --------------------------------------------------------------------------- Core tables

def table_of(model: type[Base]) -> sa.Table:
    """The Core :class:`~sqlalchemy.Table` of a mapped class, typed as one.

    SQLAlchemy declares ``Model.__table__`` as a ``FromClause`` (a declarative
    class may be mapped to any selectable), which has no ``insert``,
    ``update`` or ``delete`` for a type checker.  Every class here is mapped to
    a plain table; this checks it once, when the module is imported, so the
    statement-building code can use the constants below as tables.
    """
    table = model.__table__
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model.__name__} is not mapped to a Table")
    return table


NETWORKS = table_of(Network)
SUBNETS = table_of(Subnet)
PORTS = table_of(Port)
IP_ALLOCATIONS = table_of(IPAllocation)
IP_ALLOCATION_POOLS = table_of(IPAllocationPool)
IP_AVAILABILITY_RANGES = table_of(IPAvailabilityRange)
DNS_NAMESERVERS = table_of(DNSNameServer)
SUBNET_ROUTES = table_of(SubnetRoute)
AGENTS = table_of(Agent)
NETWORK_DHCP_AGENT_BINDINGS = table_of(NetworkDhcpAgentBinding)
PORT_BINDING_PORTS = table_of(PortBindingPort)
VLAN_ALLOCATIONS = table_of(VlanAllocation)
NETWORK_BINDINGS = table_of(NetworkBinding)
ZVM_PORT_PROFILES = table_of(ZvmPortProfile)
ZVM_PORT_BINDINGS = table_of(ZvmPortBinding)
ZVM_MACIDS = table_of(ZvmMacid)
