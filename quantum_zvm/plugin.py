"""The core plugin: Quantum v2 networks, subnets and ports on z/VM vswitches.

:class:`ZvmPlugin` implements the methods of Quantum's ``QuantumPluginBaseV2``
(``create_network(ctx, {"network": attrs})``, ``get_ports(ctx, filters, fields,
sorts, limit, marker, page_reverse)``, ...), the binding and provider
extensions, agents and DHCP agent scheduling (mixins in ``quantum_zvm.db``),
and the port queries and updates the RPC callbacks need
(``get_device_details``, ``update_port_status``, ``record_zvm_binding``...).

Every method runs in one database transaction; bulk creates too.  Requests
arrive validated and converted by the API layer; an attribute the client did
not give is ``constants.ATTR_NOT_SPECIFIED``.  Non-admin contexts see their
own rows plus shared networks and their subnets; anything else is NotFound.

Rules (reference §1.4, §1.5): networks get a segment (see
:mod:`quantum_zvm.db.segments`); subnets are IPv4 (:mod:`quantum_zvm.db.ipam`);
port MACs carry the z/VM USERPREFIX and have deployment-unique MACIDs
(:mod:`quantum_zvm.db.mac_allocator`); a new port is DOWN until an agent
reports it.  After a commit the plugin tells ``self.notifier`` (when set)
about port changes agents care about and deleted networks.

Neutron's standard attributes (:mod:`quantum_zvm.db.standard_attrs`) are on
every network, subnet and port; an update may be constrained to a revision
(``if_revision``, 412 otherwise); tags are :mod:`quantum_zvm.db.tags`.
"""
from __future__ import annotations

import datetime
import ipaddress
import logging
import uuid
from typing import Any, Callable, Iterable, Mapping, Sequence

import sqlalchemy as sa
from oslo_config import cfg
from sqlalchemy import Connection

from quantum_zvm.common import config, constants, exceptions
from quantum_zvm.common.context import Context, get_admin_context
from quantum_zvm.db import (ipam, models, queries, segments, standard_attrs, tags,
                            vlan_allocator, zvm_bindings)
from quantum_zvm.db.agents_db import AgentDbMixin
from quantum_zvm.db.api import Database, retry_on_deadlock
from quantum_zvm.db.dhcp_scheduler import DhcpAgentSchedulerMixin
from quantum_zvm.db.mac_allocator import MacAllocator
from quantum_zvm.db.segments import Segment, is_set
from quantum_zvm.db.standard_attrs import check_revision
from quantum_zvm.db.tags import TagsMixin

LOG = logging.getLogger(__name__)

NETWORKS = models.Network.__table__
SUBNETS = models.Subnet.__table__
PORTS = models.Port.__table__
SEGMENTS = models.NetworkBinding.__table__
ALLOCATIONS = models.IPAllocation.__table__
POOLS = models.IPAllocationPool.__table__
HOSTS = models.PortBindingPort.__table__
PROFILES = models.ZvmPortProfile.__table__
APPLIED = models.ZvmPortBinding.__table__
AGENTS = models.Agent.__table__

# Agents that bind ports on their host: the z/VM agent, and the DHCP agent for its guest's ports.
BINDING_AGENT_TYPES = (constants.AGENT_TYPE_ZVM, constants.AGENT_TYPE_DHCP)
# The latest heartbeat of such an agent per host, joined to ports for binding:vif_type.
BINDING_AGENTS = (sa.select(AGENTS.c.host,
                            sa.func.max(AGENTS.c.heartbeat_timestamp).label("heartbeat"))
                  .where(AGENTS.c.agent_type.in_(BINDING_AGENT_TYPES))
                  .group_by(AGENTS.c.host).subquery("binding_agents"))
_HOST_HEARTBEAT = sa.select(sa.func.max(AGENTS.c.heartbeat_timestamp)).where(
    AGENTS.c.agent_type.in_(BINDING_AGENT_TYPES), AGENTS.c.host == sa.bindparam("host"))

NETWORK_COLUMNS = {**{c.name: c for c in NETWORKS.c},
                   segments.NETWORK_TYPE: SEGMENTS.c.network_type,
                   segments.PHYSICAL_NETWORK: SEGMENTS.c.physical_network,
                   segments.SEGMENTATION_ID: SEGMENTS.c.segmentation_id}
SUBNET_COLUMNS = {c.name: c for c in SUBNETS.c if c.name != "shared"}
PORT_COLUMNS = {**{c.name: c for c in PORTS.c}, "binding:host_id": HOSTS.c.host}
NETWORK_SORT = {c.name: c for c in NETWORKS.c}
PORT_SORT = {c.name: c for c in PORTS.c}

# Port list columns, in the order _port_dicts unpacks them.
PORT_SELECT = (PORTS.c.id, PORTS.c.name, PORTS.c.network_id, PORTS.c.tenant_id,
               PORTS.c.mac_address, PORTS.c.admin_state_up, PORTS.c.status, PORTS.c.device_id,
               PORTS.c.device_owner, *standard_attrs.listed(PORTS),
               HOSTS.c.host, BINDING_AGENTS.c.heartbeat, PROFILES.c.userid, PROFILES.c.vdev,
               APPLIED.c.zhcp_node, APPLIED.c.userid.label("zvm_userid"),
               APPLIED.c.vdev.label("zvm_vdev"), APPLIED.c.vswitch, APPLIED.c.vlan,
               APPLIED.c.port_type, APPLIED.c.status.label("zvm_status"), APPLIED.c.error,
               APPLIED.c.updated_at.label("zvm_updated_at"))
PORT_CORE_COLUMNS = 13  # the ports table's own columns come first
PORT_CORE = {column.name: column for column in PORT_SELECT[:PORT_CORE_COLUMNS]}
PORT_FIELDS = tuple(PORT_CORE)
PORT_BINDING_FIELDS = ("binding:host_id", "binding:vif_type", "binding:profile",
                       "binding:vif_details")
# Port attributes with one value on z/VM (refused otherwise by the API's validators).
PORT_CONSTANTS = {"binding:vnic_type": lambda: constants.VNIC_NORMAL,
                  "security_groups": list, "allowed_address_pairs": list}
PORT_FROM = (PORTS.outerjoin(HOSTS, HOSTS.c.port_id == PORTS.c.id)
             .outerjoin(BINDING_AGENTS, BINDING_AGENTS.c.host == HOSTS.c.host)
             .outerjoin(PROFILES, PROFILES.c.port_id == PORTS.c.id)
             .outerjoin(APPLIED, APPLIED.c.port_id == PORTS.c.id))
# What a port list's filters may refer to (binding:host_id is the host's column).
PORT_FILTER_FROM = PORTS.outerjoin(HOSTS, HOSTS.c.port_id == PORTS.c.id)
ADMIN = get_admin_context()  # reads back what a transaction just wrote

# Built once: every show, update and delete of a port runs them (building and cache-keying
# a statement of this many columns per call costs more than SQLite takes to run it).
_PORT_BY_ID = sa.select(*PORT_SELECT).select_from(PORT_FROM).where(
    PORTS.c.id == sa.bindparam("port_id"))
_TENANT_PORT_BY_ID = _PORT_BY_ID.where(PORTS.c.tenant_id == sa.bindparam("tenant_id"))
_FIXED_IPS_OF = sa.select(ALLOCATIONS.c.port_id, ALLOCATIONS.c.subnet_id,
                          ALLOCATIONS.c.ip_address).where(
    ALLOCATIONS.c.port_id.in_(sa.bindparam("ids", expanding=True)))

# One network row by id, per lock: "share" keeps the network from being deleted
# under us, "update" is for changing it.  Built once (port creates run it every time).
_NETWORK_BY_ID = sa.select(NETWORKS).where(NETWORKS.c.id == sa.bindparam("network_id"))
_NETWORK_ROW = {None: _NETWORK_BY_ID,
                "share": _NETWORK_BY_ID.with_for_update(read=True, key_share=True),
                "update": _NETWORK_BY_ID.with_for_update()}


def _only(item: dict[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in fields} if fields else item


def _given(attrs: Mapping[str, Any], key: str) -> bool:
    return key in attrs and attrs[key] is not constants.ATTR_NOT_SPECIFIED


class ZvmPlugin(AgentDbMixin, DhcpAgentSchedulerMixin, TagsMixin):
    """See the module docstring."""

    def __init__(self, conf: cfg.ConfigOpts, db: Database | None = None):
        self.conf = conf
        self.db = db or Database.from_conf(conf)
        self.mappings = config.vswitch_mappings(conf)
        self.tenant_network_type = segments.tenant_network_type(self.mappings)
        self.macs = MacAllocator(conf.base_mac, conf.mac_generation_retries)
        self.notifier: Any = None
        # a network without an MTU of its own has the vswitches' (upgraded rows)
        self.network_columns = {**NETWORK_COLUMNS, "mtu": sa.func.coalesce(
            NETWORKS.c.mtu, conf.network_mtu)}
        self._sync_vlans()
        with self.db.transaction() as conn:
            recycled = ipam.recycle_held(conn)
        if recycled:
            LOG.info("returned %d held IP addresses to their pools", recycled)

    def _sync_vlans(self) -> None:
        for attempt in range(3):
            try:
                with self.db.transaction() as conn:
                    vlan_allocator.sync_allocations(conn, self.mappings)
                return
            except sa.exc.IntegrityError:  # another server process synced at the same time
                LOG.info("VLAN allocation sync raced another server, attempt %d", attempt + 1)
        with self.db.transaction() as conn:
            vlan_allocator.sync_allocations(conn, self.mappings)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _tenant_of(ctx: Context, attrs: Mapping[str, Any]) -> str | None:
        return attrs["tenant_id"] if _given(attrs, "tenant_id") else ctx.tenant_id

    def _notify(self, method: str, *args: Any) -> None:
        if self.notifier is None:
            return
        try:
            getattr(self.notifier, method)(*args)
        except Exception:  # noqa: BLE001 - a notification must not fail the request
            LOG.exception("notification %s failed", method)

    @staticmethod
    def _network_scope(ctx: Context, query: sa.Select) -> sa.Select:
        if ctx.is_admin:
            return query
        return query.where(sa.or_(NETWORKS.c.tenant_id == ctx.tenant_id,
                                  NETWORKS.c.shared == sa.true()))

    def _network_row(self, conn: Connection, ctx: Context, network_id: str,
                     lock: str | None = None) -> Any:
        query = self._network_scope(ctx, _NETWORK_ROW[lock])
        row = conn.execute(query, {"network_id": network_id}).first()
        if row is None:
            raise exceptions.NetworkNotFound(net_id=network_id)
        return row

    @staticmethod
    def _segment(conn: Connection, network_id: str) -> Segment | None:
        row = conn.execute(sa.select(SEGMENTS).where(
            SEGMENTS.c.network_id == network_id)).first()
        return None if row is None else Segment(row.network_type, row.physical_network,
                                                 row.segmentation_id)

    @staticmethod
    def _segments(conn: Connection, network_ids: Iterable[str]) -> dict[str, Segment]:
        """The segments of many networks, a query per chunk; a network without one is local."""
        ids = sorted(set(network_ids))
        found = dict.fromkeys(ids, Segment(constants.TYPE_LOCAL))
        for chunk in queries.chunks(ids):
            for row in conn.execute(sa.select(SEGMENTS).where(
                    SEGMENTS.c.network_id.in_(chunk))):
                found[row.network_id] = Segment(row.network_type, row.physical_network,
                                                row.segmentation_id)
        return found

    # ------------------------------------------------------------------ networks

    def _network_dicts(self, conn: Connection, rows: Sequence[Any],
                       fields: Sequence[str] | None) -> list[dict[str, Any]]:
        subnets: dict[str, list[str]] = {}
        if not fields or "subnets" in fields:
            ids = [row.id for row in rows]
            for chunk in queries.chunks(ids):
                for network_id, subnet_id in conn.execute(
                        sa.select(SUBNETS.c.network_id, SUBNETS.c.id)
                        .where(SUBNETS.c.network_id.in_(chunk)).order_by(SUBNETS.c.id)):
                    subnets.setdefault(network_id, []).append(subnet_id)
        tagged = _tags(conn, "networks", [row.id for row in rows], fields)
        result = []
        for row in rows:
            item = {"id": row.id, "name": row.name, "tenant_id": row.tenant_id,
                    "admin_state_up": row.admin_state_up, "status": row.status,
                    "shared": bool(row.shared), "subnets": subnets.get(row.id, []),
                    "mtu": row.mtu or self.conf.network_mtu,
                    "tags": tagged.get(row.id, []), **standard_attrs.row_view(row)}
            segment = Segment(row.network_type, row.physical_network, row.segmentation_id) \
                if row.network_type else Segment(constants.TYPE_LOCAL)
            item.update(segment.provider_attrs())
            result.append(_only(item, fields))
        return result

    def _network_query(self, ctx: Context) -> sa.Select:
        return self._network_scope(ctx, sa.select(
            NETWORKS, SEGMENTS.c.network_type, SEGMENTS.c.physical_network,
            SEGMENTS.c.segmentation_id).select_from(
                NETWORKS.outerjoin(SEGMENTS, SEGMENTS.c.network_id == NETWORKS.c.id)))

    def _get_network(self, conn: Connection, ctx: Context, network_id: str,
                     fields: Sequence[str] | None = None) -> dict[str, Any]:
        row = conn.execute(self._network_query(ctx).where(
            NETWORKS.c.id == network_id)).first()
        if row is None:
            raise exceptions.NetworkNotFound(net_id=network_id)
        return self._network_dicts(conn, [row], fields)[0]

    def get_network(self, ctx: Context, id: str, fields: Sequence[str] | None = None
                    ) -> dict[str, Any]:
        with self.db.transaction(write=False) as conn:
            return self._get_network(conn, ctx, id, fields)

    def get_networks(self, ctx: Context, filters: Mapping[str, Any] | None = None,
                     fields: Sequence[str] | None = None,
                     sorts: Sequence[tuple[str, bool]] | None = None, limit: int | None = None,
                     marker: str | None = None, page_reverse: bool = False
                     ) -> list[dict[str, Any]]:
        query = self._network_list_query(ctx, filters)
        with self.db.transaction(write=False) as conn:
            query = queries.sort_and_page(conn, query, NETWORK_SORT, "network", sorts,
                                          limit, marker, page_reverse)
            rows = conn.execute(query).all()
            items = self._network_dicts(conn, rows, fields)
        return items[::-1] if page_reverse else items

    def _network_list_query(self, ctx: Context, filters: Mapping[str, Any] | None
                            ) -> sa.Select:
        filters, tag_filters = tags.split_filters(filters)
        if segments.PHYSICAL_NETWORK in filters:  # stored upper case, as CP spells vswitches
            filters[segments.PHYSICAL_NETWORK] = [
                str(v).upper() for v in filters[segments.PHYSICAL_NETWORK]]
        query = queries.apply_filters(self._network_query(ctx), self.network_columns, filters)
        return tags.apply_filters(query, "networks", NETWORKS.c.id, tag_filters)

    def get_networks_count(self, ctx: Context, filters: Mapping[str, Any] | None = None) -> int:
        query = self._network_list_query(ctx, filters)
        with self.db.transaction(write=False) as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(
                query.subquery())).scalar_one()

    def _create_network(self, conn: Connection, ctx: Context, attrs: Mapping[str, Any]
                        ) -> dict[str, Any]:
        if segments.provider_given(attrs):
            segment = segments.provider_segment(attrs, self.mappings)
            if segment.network_type in (constants.TYPE_VLAN, constants.TYPE_FLAT):
                vlan_allocator.reserve_specific(conn, segment.physical_network,
                                                segment.segmentation_id)
        elif self.tenant_network_type == constants.TYPE_VLAN:
            segment = Segment(constants.TYPE_VLAN,
                              *vlan_allocator.allocate_tenant_vlan(conn, self.mappings))
        else:
            segment = Segment(constants.TYPE_LOCAL)
        network_id = str(uuid.uuid4())
        conn.execute(NETWORKS.insert().values(
            id=network_id, tenant_id=self._tenant_of(ctx, attrs),
            name=attrs.get("name") if _given(attrs, "name") else "",
            status=constants.NET_STATUS_ACTIVE,
            admin_state_up=attrs["admin_state_up"] if _given(attrs, "admin_state_up") else True,
            shared=bool(attrs["shared"]) if _given(attrs, "shared") else False,
            mtu=self._mtu(attrs["mtu"]) if _given(attrs, "mtu") else self.conf.network_mtu,
            **standard_attrs.created(attrs, standard_attrs.utcnow())))
        conn.execute(SEGMENTS.insert().values(
            network_id=network_id, network_type=segment.network_type,
            physical_network=segment.physical_network,
            segmentation_id=segment.segmentation_id))
        return self._get_network(conn, ADMIN, network_id)

    @retry_on_deadlock
    def create_network(self, ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return self._create_network(conn, ctx, body["network"])

    @retry_on_deadlock
    def create_network_bulk(self, ctx: Context, body: Mapping[str, Any]
                            ) -> list[dict[str, Any]]:
        with self.db.transaction() as conn:
            return [self._create_network(conn, ctx, item["network"])
                    for item in body["networks"]]

    def _mtu(self, mtu: int) -> int:
        """A network MTU: at most the vswitches' (``network_mtu``)."""
        if mtu > self.conf.network_mtu:
            raise exceptions.InvalidInput(
                error_message=f"Requested MTU is too big, maximum is {self.conf.network_mtu} "
                              "(the MTU of the z/VM vswitches, network_mtu)")
        return mtu

    @retry_on_deadlock
    def update_network(self, ctx: Context, id: str, body: Mapping[str, Any],
                       if_revision: int | None = None) -> dict[str, Any]:
        attrs = body["network"]
        segments.check_no_provider_update(attrs)
        values = {k: attrs[k] for k in ("name", "admin_state_up", "shared", "description")
                  if _given(attrs, k)}
        if _given(attrs, "mtu"):
            values["mtu"] = self._mtu(attrs["mtu"])
        with self.db.transaction() as conn:
            row = self._network_row(conn, ctx, id, lock="update")
            check_revision(if_revision, row.revision_number)
            if "shared" in values:
                values["shared"] = bool(values["shared"])
                if row.shared and not values["shared"]:
                    self._check_unshare(conn, row)
                conn.execute(SUBNETS.update().where(SUBNETS.c.network_id == id)
                                .values(shared=values["shared"]))
            conn.execute(NETWORKS.update().where(NETWORKS.c.id == id).values(
                **values, **standard_attrs.bumped(NETWORKS, standard_attrs.utcnow())))
            return self._get_network(conn, ctx, id)

    @staticmethod
    def _check_unshare(conn: Connection, row: Any) -> None:
        for table in (PORTS, SUBNETS):
            other = conn.execute(sa.select(table.c.id).where(
                table.c.network_id == row.id,
                sa.or_(table.c.tenant_id != row.tenant_id,
                       table.c.tenant_id.is_(None))).limit(1)).first()
            if other is not None:
                raise exceptions.InvalidSharedSetting(network=row.name or row.id)

    @retry_on_deadlock
    def delete_network(self, ctx: Context, id: str, if_revision: int | None = None) -> None:
        with self.db.transaction() as conn:
            row = self._network_row(conn, ctx, id, lock="update")
            check_revision(if_revision, row.revision_number)
            owners = conn.execute(sa.select(PORTS.c.device_owner).where(
                PORTS.c.network_id == id)).scalars().all()
            if any(owner != constants.DEVICE_OWNER_DHCP for owner in owners):
                raise exceptions.NetworkInUse(net_id=id)
            ipam.lock_subnets(conn, id)
            segment = self._segment(conn, id)
            # Ports first (no ON DELETE on ports.network_id), then subnets, then the network;
            # addresses, pools, bindings and MACIDs go by cascade.
            conn.execute(PORTS.delete().where(PORTS.c.network_id == id))
            conn.execute(SUBNETS.delete().where(SUBNETS.c.network_id == id))
            conn.execute(NETWORKS.delete().where(NETWORKS.c.id == id))
            if segment and segment.network_type in (constants.TYPE_VLAN, constants.TYPE_FLAT):
                vlan_allocator.release(conn, segment.physical_network,
                                       segment.segmentation_id, self.mappings)
        self._notify("network_delete", ctx, id)

    def _check_network_owner(self, ctx: Context, network: Any, tenant_id: str | None,
                             resource: str) -> None:
        """403 for a port or subnet on another tenant's network (ports may use shared ones).

        The network's existence is not hidden here: creating on it is refused, as
        Quantum's API does, rather than reported missing.
        """
        if ctx.is_admin or network.tenant_id == tenant_id:
            return
        if resource == "port" and network.shared:
            return
        raise exceptions.TenantNetworkNotAuthorized(tenant_id=tenant_id, resource=resource)

    # ------------------------------------------------------------------ subnets

    @staticmethod
    def _subnet_scope(ctx: Context, query: sa.Select) -> sa.Select:
        if ctx.is_admin:
            return query
        return query.where(sa.or_(SUBNETS.c.tenant_id == ctx.tenant_id,
                                  SUBNETS.c.shared == sa.true()))

    def _subnet_row(self, conn: Connection, ctx: Context, subnet_id: str,
                    lock: bool = False) -> Any:
        query = self._subnet_scope(ctx, sa.select(SUBNETS).where(SUBNETS.c.id == subnet_id))
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise exceptions.SubnetNotFound(subnet_id=subnet_id)
        return row

    def _subnet_dicts(self, conn: Connection, rows: Sequence[Any],
                      fields: Sequence[str] | None) -> list[dict[str, Any]]:
        ids = [row.id for row in rows]
        pools: dict[str, list] = {}
        dns: dict[str, list] = {}
        routes: dict[str, list] = {}
        wanted = set(fields or ("allocation_pools", "dns_nameservers", "host_routes"))
        for chunk in queries.chunks(ids):
            if "allocation_pools" in wanted:
                for r in conn.execute(sa.select(POOLS).where(POOLS.c.subnet_id.in_(chunk))):
                    pools.setdefault(r.subnet_id, []).append(
                        {"start": r.first_ip, "end": r.last_ip})
            if "dns_nameservers" in wanted:
                for r in conn.execute(sa.select(ipam.DNS).where(
                        ipam.DNS.c.subnet_id.in_(chunk))):
                    dns.setdefault(r.subnet_id, []).append(r.address)
            if "host_routes" in wanted:
                for r in conn.execute(sa.select(ipam.ROUTES).where(
                        ipam.ROUTES.c.subnet_id.in_(chunk))):
                    routes.setdefault(r.subnet_id, []).append(
                        {"destination": r.destination, "nexthop": r.nexthop})
        tagged = _tags(conn, "subnets", ids, fields)
        result = []
        for row in rows:
            item = {"id": row.id, "name": row.name, "tenant_id": row.tenant_id,
                    "subnetpool_id": None, "tags": tagged.get(row.id, []),
                    **standard_attrs.row_view(row),
                    "network_id": row.network_id, "ip_version": row.ip_version,
                    "cidr": row.cidr, "gateway_ip": row.gateway_ip,
                    "enable_dhcp": bool(row.enable_dhcp),
                    "allocation_pools": sorted(pools.get(row.id, []),
                                               key=lambda p: ipaddress.ip_address(p["start"])),
                    "dns_nameservers": dns.get(row.id, []),
                    "host_routes": routes.get(row.id, [])}
            result.append(_only(item, fields))
        return result

    def get_subnet(self, ctx: Context, id: str, fields: Sequence[str] | None = None
                   ) -> dict[str, Any]:
        with self.db.transaction(write=False) as conn:
            return self._subnet_dicts(conn, [self._subnet_row(conn, ctx, id)], fields)[0]

    def get_subnets(self, ctx: Context, filters: Mapping[str, Any] | None = None,
                    fields: Sequence[str] | None = None,
                    sorts: Sequence[tuple[str, bool]] | None = None, limit: int | None = None,
                    marker: str | None = None, page_reverse: bool = False
                    ) -> list[dict[str, Any]]:
        query = self._subnet_list_query(ctx, filters, sa.select(SUBNETS))
        with self.db.transaction(write=False) as conn:
            query = queries.sort_and_page(conn, query, SUBNET_COLUMNS, "subnet", sorts,
                                          limit, marker, page_reverse)
            items = self._subnet_dicts(conn, conn.execute(query).all(), fields)
        return items[::-1] if page_reverse else items

    def _subnet_list_query(self, ctx: Context, filters: Mapping[str, Any] | None,
                           select: sa.Select) -> sa.Select:
        filters, tag_filters = tags.split_filters(filters)
        query = queries.apply_filters(self._subnet_scope(ctx, select), SUBNET_COLUMNS, filters)
        return tags.apply_filters(query, "subnets", SUBNETS.c.id, tag_filters)

    def get_subnets_count(self, ctx: Context, filters: Mapping[str, Any] | None = None) -> int:
        query = self._subnet_list_query(ctx, filters, sa.select(SUBNETS.c.id))
        with self.db.transaction(write=False) as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(
                query.subquery())).scalar_one()

    def _create_subnet(self, conn: Connection, ctx: Context, attrs: Mapping[str, Any]
                       ) -> dict[str, Any]:
        plan = ipam.plan_subnet(attrs)
        # FOR NO KEY UPDATE: one subnet create per network at a time, ports may still be added.
        network = conn.execute(sa.select(NETWORKS).where(
            NETWORKS.c.id == attrs["network_id"]).with_for_update(key_share=True)).first()
        if network is None:
            raise exceptions.NetworkNotFound(net_id=attrs["network_id"])
        tenant_id = self._tenant_of(ctx, attrs)
        self._check_network_owner(ctx, network, tenant_id, "subnet")
        ipam.check_overlap(conn, plan.cidr, network.id,
                           same_network_only=self.conf.allow_overlapping_ips)
        subnet_id = str(uuid.uuid4())
        conn.execute(SUBNETS.insert().values(
            id=subnet_id, tenant_id=tenant_id,
            name=attrs["name"] if _given(attrs, "name") else "", network_id=network.id,
            ip_version=4, cidr=str(plan.cidr), gateway_ip=plan.gateway_ip,
            enable_dhcp=bool(attrs["enable_dhcp"]) if _given(attrs, "enable_dhcp") else True,
            shared=bool(network.shared), **standard_attrs.created(attrs, standard_attrs.utcnow())))
        ipam.insert_subnet_children(conn, subnet_id, plan)
        return self._subnet_dicts(conn, [self._subnet_row(conn, ADMIN, subnet_id)],
                                  None)[0]

    @retry_on_deadlock
    def create_subnet(self, ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return self._create_subnet(conn, ctx, body["subnet"])

    @retry_on_deadlock
    def create_subnet_bulk(self, ctx: Context, body: Mapping[str, Any]
                           ) -> list[dict[str, Any]]:
        with self.db.transaction() as conn:
            return [self._create_subnet(conn, ctx, item["subnet"])
                    for item in body["subnets"]]

    @retry_on_deadlock
    def update_subnet(self, ctx: Context, id: str, body: Mapping[str, Any],
                      if_revision: int | None = None) -> dict[str, Any]:
        attrs = body["subnet"]
        with self.db.transaction() as conn:
            row = self._subnet_row(conn, ctx, id, lock=True)
            check_revision(if_revision, row.revision_number)
            values = {k: attrs[k] for k in ("name", "enable_dhcp", "description")
                      if _given(attrs, k)}
            if _given(attrs, "gateway_ip"):
                gateway = attrs["gateway_ip"]
                if gateway is not None:
                    gateway = ipam.check_gateway(gateway, ipaddress.ip_network(row.cidr))
                    pools = conn.execute(sa.select(POOLS.c.first_ip, POOLS.c.last_ip).where(
                        POOLS.c.subnet_id == id)).all()
                    ipam.check_gateway_outside_pools(gateway, [
                        (ipam.IPv4(a), ipam.IPv4(b)) for a, b in pools])
                values["gateway_ip"] = None if gateway is None else str(gateway)
            if _given(attrs, "dns_nameservers"):
                ipam.replace_dns(conn, id, ipam.validate_dns(attrs["dns_nameservers"]))
            if _given(attrs, "host_routes"):
                ipam.replace_routes(conn, id, ipam.validate_routes(attrs["host_routes"]))
            conn.execute(SUBNETS.update().where(SUBNETS.c.id == id).values(
                **values, **standard_attrs.bumped(SUBNETS, standard_attrs.utcnow())))
            return self._subnet_dicts(conn, [self._subnet_row(conn, ADMIN, id)], None)[0]

    @retry_on_deadlock
    def delete_subnet(self, ctx: Context, id: str, if_revision: int | None = None) -> None:
        with self.db.transaction() as conn:
            row = self._subnet_row(conn, ctx, id, lock=True)
            check_revision(if_revision, row.revision_number)
            owners = conn.execute(
                sa.select(PORTS.c.device_owner)
                .join(ALLOCATIONS, ALLOCATIONS.c.port_id == PORTS.c.id)
                .where(ALLOCATIONS.c.subnet_id == id)).scalars().all()
            if any(owner != constants.DEVICE_OWNER_DHCP for owner in owners):
                raise exceptions.SubnetInUse(subnet_id=id)
            # Pools, ranges, DNS servers, routes and the DHCP ports' addresses go by cascade.
            conn.execute(SUBNETS.delete().where(SUBNETS.c.id == id))

    # ------------------------------------------------------------------ ports

    @staticmethod
    def _port_scope(ctx: Context, query: sa.Select) -> sa.Select:
        return query if ctx.is_admin else query.where(PORTS.c.tenant_id == ctx.tenant_id)

    @staticmethod
    def _fixed_ips(conn: Connection, port_ids: Sequence[str]) -> dict[str, list[dict]]:
        result: dict[str, list[dict]] = {}
        for chunk in queries.chunks(port_ids):
            _collect_fixed_ips(result, conn.execute(_FIXED_IPS_OF, {"ids": list(chunk)}).all())
        return _sorted_fixed_ips(result)

    @staticmethod
    def _listed_fixed_ips(conn: Connection, listed: sa.Subquery) -> dict[str, list[dict]]:
        """The addresses of the ports whose ids ``listed`` holds, in one statement.

        Joining the list as a derived table (rather than sending its ids back in
        IN lists) keeps 10,000-port lists to one short statement; derived tables, unlike
        IN subqueries, may carry LIMIT on every engine.
        """
        result: dict[str, list[dict]] = {}
        _collect_fixed_ips(result, conn.execute(
            sa.select(ALLOCATIONS.c.port_id, ALLOCATIONS.c.subnet_id, ALLOCATIONS.c.ip_address)
            .join(listed, listed.c.id == ALLOCATIONS.c.port_id)).all())
        return _sorted_fixed_ips(result)

    def _port_dicts(self, conn: Connection, rows: Sequence[Any],
                    fields: Sequence[str] | None) -> list[dict[str, Any]]:
        """Port views of :data:`PORT_SELECT` rows."""
        ids = [r.id for r in rows]
        ips = self._fixed_ips(conn, ids) if not fields or "fixed_ips" in fields else None
        items = _port_items(rows, PORT_FIELDS, ips, _tags(conn, "ports", ids, fields),
                            _binding_keys(fields), fields, self.is_agent_alive)
        return [_only(item, fields) for item in items] if fields else items

    def _port_query(self, ctx: Context) -> sa.Select:
        return self._port_scope(ctx, sa.select(*PORT_SELECT).select_from(PORT_FROM))

    def _port_row(self, conn: Connection, ctx: Context, port_id: str) -> Any:
        row = (conn.execute(_PORT_BY_ID, {"port_id": port_id}) if ctx.is_admin else
               conn.execute(_TENANT_PORT_BY_ID, {"port_id": port_id,
                                                 "tenant_id": ctx.tenant_id})).first()
        if row is None:
            raise exceptions.PortNotFound(port_id=port_id)
        return row

    def _get_port(self, conn: Connection, ctx: Context, port_id: str,
                  fields: Sequence[str] | None = None) -> dict[str, Any]:
        return self._port_dicts(conn, [self._port_row(conn, ctx, port_id)], fields)[0]

    def get_port(self, ctx: Context, id: str, fields: Sequence[str] | None = None
                 ) -> dict[str, Any]:
        with self.db.transaction(write=False) as conn:
            return self._get_port(conn, ctx, id, fields)

    def _port_list_query(self, ctx: Context, filters: Mapping[str, Any] | None,
                         select: sa.Select) -> sa.Select:
        filters, tag_filters = tags.split_filters(filters)
        fixed_ips = filters.pop("fixed_ips", None)
        query = queries.apply_filters(self._port_scope(ctx, select), PORT_COLUMNS, filters)
        query = tags.apply_filters(query, "ports", PORTS.c.id, tag_filters)
        for column, values in _fixed_ip_filters(fixed_ips).items():
            query = query.where(PORTS.c.id.in_(
                sa.select(ALLOCATIONS.c.port_id).where(ALLOCATIONS.c[column].in_(values))))
        return query

    def get_ports(self, ctx: Context, filters: Mapping[str, Any] | None = None,
                  fields: Sequence[str] | None = None,
                  sorts: Sequence[tuple[str, bool]] | None = None, limit: int | None = None,
                  marker: str | None = None, page_reverse: bool = False
                  ) -> list[dict[str, Any]]:
        """Ports; only the columns and joins ``fields`` needs are read (lists can be long)."""
        names = PORT_FIELDS if not fields else tuple(
            name for name in PORT_FIELDS if name == "id" or name in fields)
        binding_keys = _binding_keys(fields)
        columns = [PORT_CORE[name] for name in names]
        if binding_keys:
            columns += PORT_SELECT[PORT_CORE_COLUMNS:]
        query = self._port_list_query(ctx, filters, sa.select(*columns).select_from(PORT_FROM))
        with self.db.transaction(write=False) as conn:
            query = queries.sort_and_page(conn, query, PORT_SORT, "port", sorts, limit,
                                          marker, page_reverse)
            rows = conn.execute(query).all()
            # The listed ports' ids, for their addresses and tags.  A page needs the list's
            # own query (its order and limit); a whole list only its filters, which need
            # no join but the host's (the bindings joined for nothing made the addresses'
            # statement half as slow again on 10,000 ports).
            listed = (query if limit is not None else self._port_list_query(
                ctx, filters, sa.select(PORTS.c.id).select_from(PORT_FILTER_FROM))
            ).with_only_columns(PORTS.c.id).subquery()
            ips = self._listed_fixed_ips(conn, listed) \
                if rows and (not fields or "fixed_ips" in fields) else None
            tagged = tags.tags_of(conn, "ports", listed) \
                if rows and (not fields or "tags" in fields) else {}
        items = _port_items(rows, names, ips, tagged, binding_keys, fields, self.is_agent_alive)
        return items[::-1] if page_reverse else items

    def get_ports_count(self, ctx: Context, filters: Mapping[str, Any] | None = None) -> int:
        query = self._port_list_query(ctx, filters,
                                      sa.select(PORTS.c.id).select_from(PORT_FILTER_FROM))
        with self.db.transaction(write=False) as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(
                query.subquery())).scalar_one()

    def _create_port(self, conn: Connection, ctx: Context, attrs: Mapping[str, Any]
                     ) -> dict[str, Any]:
        host = zvm_bindings.validate_host(attrs.get("binding:host_id"))
        profile = zvm_bindings.validate_profile(attrs.get("binding:profile"))
        network = self._network_row(conn, ADMIN, attrs["network_id"], lock="share")
        tenant_id = self._tenant_of(ctx, attrs)
        self._check_network_owner(ctx, network, tenant_id, "port")
        port_id = str(uuid.uuid4())
        row = {"id": port_id, "tenant_id": tenant_id, "network_id": network.id,
               "name": attrs["name"] if _given(attrs, "name") else "",
               "admin_state_up": attrs["admin_state_up"]
               if _given(attrs, "admin_state_up") else True,
               "status": constants.PORT_STATUS_DOWN,
               "device_id": attrs["device_id"] if _given(attrs, "device_id") else "",
               "device_owner": attrs["device_owner"] if _given(attrs, "device_owner") else "",
               **standard_attrs.created(attrs, standard_attrs.utcnow())}
        mac = attrs.get("mac_address")
        mac = self.macs.insert_port(conn, row, mac if is_set(mac) else None)
        subnets = ipam.lock_subnets(conn, network.id)
        fixed_ips = attrs.get("fixed_ips")
        if is_set(fixed_ips):
            plan = ipam.plan_fixed_ips(fixed_ips, subnets, network.id,
                                       self.conf.max_fixed_ips_per_port)
            ips = ipam.allocate(conn, port_id, network.id, plan, row["device_owner"])
        else:
            ips = ipam.allocate_default(conn, port_id, network.id, subnets)
        zvm_bindings.set_host(conn, port_id, host, replace=False)
        zvm_bindings.set_profile(conn, port_id, profile, replace=False)
        port_tags = sorted(attrs["tags"]) if attrs.get("tags") else []
        tags.insert(conn, "ports", port_id, port_tags)
        ips.sort(key=lambda a: ipaddress.ip_address(a["ip_address"]))
        alive = host is not None and self._host_agent_alive(conn, host)
        return {**row, **standard_attrs.view(row["description"], row["created_at"],
                                              row["updated_at"], row["revision_number"]),
                "mac_address": mac,
                "fixed_ips": ips, "tags": port_tags,
                **{key: value() for key, value in PORT_CONSTANTS.items()},
                "binding:host_id": zvm_bindings.host_view(host),
                "binding:vif_type": zvm_bindings.vif_type(host, None, alive),
                "binding:profile": zvm_bindings.profile_view(*_profile_values(profile)),
                "binding:vif_details": {}}

    def _host_agent_alive(self, conn: Connection, host: str) -> bool:
        """Whether an agent that binds ports on ``host`` is alive (``binding_failed`` if not)."""
        heartbeat = conn.execute(_HOST_HEARTBEAT, {"host": host}).scalar()
        return heartbeat is not None and self.is_agent_alive(heartbeat)

    @retry_on_deadlock
    def create_port(self, ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            port = self._create_port(conn, ctx, body["port"])
        self._notify_bound(ctx, [port])
        return port

    @retry_on_deadlock
    def create_port_bulk(self, ctx: Context, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        with self.db.transaction() as conn:
            ports = [self._create_port(conn, ctx, item["port"]) for item in body["ports"]]
        self._notify_bound(ctx, ports)
        return ports

    def _notify_bound(self, ctx: Context, ports: Sequence[dict[str, Any]]) -> None:
        """Tell agents of ports that are bound to a host or that an agent applied
        (``binding:vif_details``: a port handed off through an xCAT row), so the
        agent attaches (a created port) or detaches (a deleted port) them without
        waiting for a full resync."""
        bound = [port for port in ports
                 if port.get("binding:host_id") or port.get("binding:vif_details")]
        if not bound or self.notifier is None:
            return
        with self.db.transaction(write=False) as conn:
            segments = self._segments(conn, (port["network_id"] for port in bound))
        for port in bound:
            segment = segments[port["network_id"]]
            self._notify("port_update", ctx, port, segment.network_type,
                         segment.segmentation_id, segment.physical_network)

    @retry_on_deadlock
    def update_port(self, ctx: Context, id: str, body: Mapping[str, Any],
                    if_revision: int | None = None) -> dict[str, Any]:
        """Update a port; agents hear of admin state, address and binding changes."""
        attrs = body["port"]
        with self.db.transaction() as conn:
            row = conn.execute(self._port_scope(ctx, sa.select(PORTS)).where(
                PORTS.c.id == id).with_for_update()).first()
            if row is None:
                raise exceptions.PortNotFound(port_id=id)
            check_revision(if_revision, row.revision_number)
            old = self._get_port(conn, ADMIN, id)
            values = {k: attrs[k] for k in ("name", "admin_state_up", "device_id",
                                             "device_owner", "description") if _given(attrs, k)}
            if is_set(attrs.get("fixed_ips")):
                self._update_fixed_ips(conn, row, attrs["fixed_ips"],
                                       values.get("device_owner", row.device_owner))
            if _given(attrs, "binding:host_id"):
                host = zvm_bindings.validate_host(attrs["binding:host_id"])
                if zvm_bindings.host_view(host) != old["binding:host_id"]:
                    zvm_bindings.set_host(conn, id, host)
            if _given(attrs, "binding:profile"):
                profile = zvm_bindings.validate_profile(attrs["binding:profile"])
                if zvm_bindings.profile_view(*_profile_values(profile)) != old["binding:profile"]:
                    zvm_bindings.set_profile(conn, id, profile)
            port = self._get_port(conn, ADMIN, id)
            rebound = any(port[k] != old[k] for k in ("binding:host_id", "binding:profile"))
            if rebound and port["status"] != constants.PORT_STATUS_DOWN:
                values["status"] = constants.PORT_STATUS_DOWN  # until the new binding is applied
            conn.execute(PORTS.update().where(PORTS.c.id == id).values(
                **values, **standard_attrs.bumped(PORTS, standard_attrs.utcnow())))
            port = self._get_port(conn, ADMIN, id)
            segment = self._segment(conn, row.network_id) or Segment(constants.TYPE_LOCAL)
        if rebound or any(port[k] != old[k] for k in ("admin_state_up", "fixed_ips")):
            self._notify("port_update", ctx, port, segment.network_type,
                         segment.segmentation_id, segment.physical_network)
        return port

    def _update_fixed_ips(self, conn: Connection, port: Any, fixed_ips: object,
                          device_owner: str) -> None:
        """Replace the port's addresses: listed ones stay, others go, new ones are allocated."""
        subnets = ipam.lock_subnets(conn, port.network_id)
        plan = ipam.plan_fixed_ips(fixed_ips, subnets, port.network_id,
                                   self.conf.max_fixed_ips_per_port)
        current = conn.execute(sa.select(ALLOCATIONS).where(
            ALLOCATIONS.c.port_id == port.id)).all()
        kept = {(subnet.id, str(ip)) for subnet, ip in plan if ip is not None}
        ipam.release(conn, [a for a in current if (a.subnet_id, a.ip_address) not in kept])
        have = {(a.subnet_id, a.ip_address) for a in current}
        ipam.allocate(conn, port.id, port.network_id,
                      [(subnet, ip) for subnet, ip in plan
                       if ip is None or (subnet.id, str(ip)) not in have], device_owner)

    @retry_on_deadlock
    def delete_port(self, ctx: Context, id: str, if_revision: int | None = None
                    ) -> dict[str, Any]:
        """Delete a port of the caller (or any, for an admin); returns it as it was."""
        with self.db.transaction() as conn:
            row = conn.execute(self._port_scope(ctx, sa.select(PORTS)).where(
                PORTS.c.id == id).with_for_update()).first()
            if row is None:
                raise exceptions.PortNotFound(port_id=id)
            check_revision(if_revision, row.revision_number)
            port = self._get_port(conn, ADMIN, id)
            self._delete_port(conn, row)
        self._notify_bound(ctx, [port])
        return port

    @staticmethod
    def _delete_port(conn: Connection, row: Any) -> None:
        ipam.lock_subnets(conn, row.network_id)
        ipam.release(conn, conn.execute(sa.select(ALLOCATIONS).where(
            ALLOCATIONS.c.port_id == row.id)).all())
        conn.execute(PORTS.delete().where(PORTS.c.id == row.id))

    # ------------------------------------------------------------------ agent side

    def _device_dicts(self, conn: Connection, rows: Sequence[Any]) -> dict[str, dict[str, Any]]:
        ips = self._fixed_ips(conn, [r.id for r in rows])
        segs = self._segments(conn, (r.network_id for r in rows))
        details = {}
        for row in rows:
            seg = segs[row.network_id]
            details[row.id] = {
                "device": row.id, "port_id": row.id, "network_id": row.network_id,
                "admin_state_up": row.admin_state_up, "network_type": seg.network_type,
                "segmentation_id": seg.segmentation_id,
                "physical_network": seg.physical_network,
                "mac_address": row.mac_address, "fixed_ips": ips.get(row.id, []),
                "device_owner": row.device_owner, "status": row.status,
                "binding:host_id": row.host,
                "binding:profile": zvm_bindings.profile_view(row.userid, row.vdev),
            }
        return details

    def get_device_details(self, ctx: Context, device: str, host: str | None = None
                           ) -> dict[str, Any]:
        """Reference §3.2's seven keys plus the z/VM ones; only ``device`` when unknown.

        Read only: the port status changes when the agent reports (``update_port_status``,
        ``record_zvm_binding``), not when it asks.
        """
        return self.get_devices_details_list(ctx, [device], host)[0]

    def get_devices_details_list(self, ctx: Context, devices: Sequence[str],
                                 host: str | None = None) -> list[dict[str, Any]]:
        """Details of many ports in one query batch, in the order asked."""
        devices = [str(d) for d in devices]
        with self.db.transaction(write=False) as conn:
            rows = []
            for chunk in queries.chunks(sorted(set(devices))):
                rows += conn.execute(self._port_query(ADMIN).where(
                    PORTS.c.id.in_(chunk))).all()
            details = self._device_dicts(conn, rows)
        return [details.get(device, {"device": device}) for device in devices]

    def get_ports_bound_to_host(self, ctx: Context, host: str) -> list[dict[str, Any]]:
        """Device details of every port whose ``binding:host_id`` is ``host``."""
        with self.db.transaction(write=False) as conn:
            rows = conn.execute(self._port_query(ADMIN).where(HOSTS.c.host == host)
                                   .order_by(PORTS.c.id)).all()
            details = self._device_dicts(conn, rows)
        return [details[row.id] for row in rows]

    def update_port_status(self, ctx: Context, port_id: str, status: str,
                           host: str | None = None) -> bool:
        """Set a port's status; False when the port does not exist.

        With ``host``, a port bound to another host is left alone (Havana's rule for
        ``update_device_down``), but still reported as existing.
        """
        if status not in zvm_bindings.PORT_STATUSES:
            raise exceptions.InvalidInput(error_message=f"port status {status!r} is not one "
                                                        f"of {', '.join(zvm_bindings.PORT_STATUSES)}")
        with self.db.transaction() as conn:
            row = conn.execute(sa.select(PORTS.c.status, HOSTS.c.host).select_from(
                PORTS.outerjoin(HOSTS, HOSTS.c.port_id == PORTS.c.id))
                .where(PORTS.c.id == port_id)).first()
            if row is None:
                return False
            if host is not None and row.host is not None and row.host != host:
                LOG.info("port %s is bound to %s, not %s: status left %s", port_id, row.host,
                         host, row.status)
                return True
            if row.status != status:
                conn.execute(PORTS.update().where(PORTS.c.id == port_id).values(
                    status=status, **standard_attrs.bumped(PORTS, standard_attrs.utcnow())))
            return True

    def record_zvm_binding(self, ctx: Context, port_id: str, host: str, zhcp_node: str | None,
                           userid: str | None, vdev: str | None, vswitch: str | None,
                           vlan: int | None, port_type: str | None, status: str,
                           error: str | None = None) -> bool:
        """Record what the agent applied to a port and set the port's status.

        With ``error`` the port becomes ERROR and the reason shows in
        ``binding:vif_details``.  Returns False when the port does not exist;
        invalid values raise :class:`InvalidInput`.
        """
        values = _applied_values(host, zhcp_node, userid, vdev, vswitch, vlan, port_type,
                                 status, error)
        return port_id in self._record_applied({port_id: values})

    def record_zvm_bindings(self, ctx: Context, host: str,
                            bindings: Sequence[Mapping[str, Any]]) -> dict[str, bool]:
        """Many :meth:`record_zvm_binding` in one transaction: ``{port_id: recorded}``.

        Each entry has ``port_id``, ``status`` and optionally ``zhcp_node``,
        ``userid``, ``vdev``, ``vswitch``, ``vlan``, ``port_type``, ``error``.
        An entry with invalid values is False (and logged), an unknown port is
        False; the others are recorded.  When a port appears twice its last
        entry counts, as if they had been recorded one after the other.
        """
        applied: dict[str, dict[str, Any]] = {}
        rejected: set[str] = set()
        for entry in bindings:
            port_id = entry["port_id"]
            try:
                applied[port_id] = _applied_values(
                    host, entry.get("zhcp_node"), entry.get("userid"), entry.get("vdev"),
                    entry.get("vswitch"), entry.get("vlan"), entry.get("port_type"),
                    entry["status"], entry.get("error"))
                rejected.discard(port_id)
            except exceptions.QuantumException as exc:
                LOG.warning("binding of port %s from %s rejected: %s", port_id, host, exc)
                rejected.add(port_id)
        recorded = self._record_applied(applied)
        return {entry["port_id"]: entry["port_id"] not in rejected
                and entry["port_id"] in recorded for entry in bindings}

    @retry_on_deadlock
    def _record_applied(self, applied: Mapping[str, Mapping[str, Any]]) -> set[str]:
        """Write ``zvm_port_bindings`` rows and port statuses of the existing ports among
        ``applied`` in one transaction (a few statements per 900 ports); returns their ids."""
        if not applied:
            return set()
        with self.db.transaction() as conn:
            existing: set[str] = set()
            for chunk in queries.chunks(sorted(applied)):
                existing.update(conn.execute(
                    sa.select(PORTS.c.id).where(PORTS.c.id.in_(chunk))
                    .with_for_update()).scalars())
            found = {port_id: applied[port_id] for port_id in sorted(existing)}
            zvm_bindings.record_applied(conn, found)
            by_status: dict[str, list[str]] = {}
            for port_id, values in found.items():
                by_status.setdefault(values["status"], []).append(port_id)
            changed = standard_attrs.bumped(PORTS, standard_attrs.utcnow())
            for status, ids in sorted(by_status.items()):
                for chunk in queries.chunks(ids):
                    conn.execute(PORTS.update().where(PORTS.c.id.in_(chunk))
                                 .values(status=status, **changed))
            return existing


def _applied_values(host: str, zhcp_node: str | None, userid: str | None, vdev: str | None,
                    vswitch: str | None, vlan: object, port_type: str | None, status: str,
                    error: str | None) -> dict[str, Any]:
    """Validated ``zvm_port_bindings`` values; an ``error`` makes the status ERROR."""
    port_status = constants.PORT_STATUS_ERROR if error else status
    return zvm_bindings.validate_applied(host, zhcp_node, userid, vdev, vswitch, vlan,
                                         port_type, port_status, error)


def _binding_keys(fields: Sequence[str] | None) -> tuple[str, ...]:
    """The binding attributes ``fields`` asks for (all of them when ``fields`` is empty)."""
    if not fields:
        return PORT_BINDING_FIELDS
    return tuple(key for key in PORT_BINDING_FIELDS if key in fields)


def _collect_fixed_ips(result: dict[str, list[dict]], rows: Iterable[Any]) -> None:
    """``rows`` of (port id, subnet id, address) as each port's ``fixed_ips``; pass a list
    (``Result.all()``): iterating a Result fetches row by row, 10,000 calls for a list."""
    for port_id, subnet_id, ip in rows:
        result.setdefault(port_id, []).append({"subnet_id": subnet_id, "ip_address": ip})


def _sorted_fixed_ips(result: dict[str, list[dict]]) -> dict[str, list[dict]]:
    for ips in result.values():
        if len(ips) > 1:
            ips.sort(key=lambda a: ipaddress.ip_address(a["ip_address"]))
    return result


def _port_items(rows: Sequence[Any], names: Sequence[str], ips: dict[str, list] | None,
                tagged: dict[str, list[str]], binding_keys: Sequence[str],
                fields: Sequence[str] | None, alive: Callable[[datetime.datetime], bool]
                ) -> list[dict[str, Any]]:
    """Port dicts from rows of the ``names`` columns (id first), then the binding columns.

    Lists of 10,000 ports come through here: the core columns (already as the API
    shows them, see :func:`standard_attrs.listed`) become a dict at C speed, and the
    rest is added in one pass, only what ``fields`` asks for.
    """
    items = [dict(zip(names, row)) for row in rows]
    with_tags = not fields or "tags" in fields
    constant_keys = [key for key in PORT_CONSTANTS if not fields or key in fields]
    width = len(names)
    every_binding = len(binding_keys) == len(PORT_BINDING_FIELDS)
    vif_type, profile_view, details_view = (zvm_bindings.vif_type, zvm_bindings.profile_view,
                                            zvm_bindings.vif_details_view)
    liveness: dict[Any, bool] = {None: False}   # a few agents' heartbeats, each judged once
    for item, row in zip(items, rows, strict=True):
        port_id = item["id"]
        if ips is not None:
            item["fixed_ips"] = ips.get(port_id, [])
        if with_tags:
            item["tags"] = tagged.get(port_id, [])
        for key in constant_keys:
            item[key] = PORT_CONSTANTS[key]()
        if not binding_keys:
            continue
        host, heartbeat, userid, vdev, *applied = row[width:]
        agent_alive = liveness.get(heartbeat)
        if agent_alive is None:
            agent_alive = liveness[heartbeat] = alive(heartbeat)
        binding = {"binding:host_id": host or "",
                   "binding:vif_type": vif_type(host, applied[6], agent_alive),
                   "binding:profile": profile_view(userid, vdev) if userid else {},
                   "binding:vif_details": details_view(*applied)
                   if applied[6] is not None else {}}
        item.update(binding if every_binding else {key: binding[key] for key in binding_keys})
    if fields and "id" not in fields:
        for item in items:
            del item["id"]
    return items


def _tags(conn: Connection, collection: str, ids: Sequence[str],
          fields: Sequence[str] | None) -> dict[str, list[str]]:
    """The tags of ``ids`` when ``fields`` shows them (a query per chunk of ids)."""
    if not ids or (fields and "tags" not in fields):
        return {}
    found: dict[str, list[str]] = {}
    for chunk in queries.chunks(ids):
        found.update(tags.tags_of(conn, collection, chunk))
    return found


def _profile_values(profile: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    return (profile["userid"], profile["vdev"]) if profile else (None, None)


def _fixed_ip_filters(value: object) -> dict[str, list[str]]:
    """``fixed_ips`` list filter: ``{"ip_address": [...], "subnet_id": [...]}`` or the raw
    ``["ip_address=10.0.0.2", "subnet_id=<id>"]`` query form."""
    if not value:
        return {}
    if isinstance(value, Mapping):
        items: Iterable[tuple[str, Any]] = value.items()
    else:
        items = []
        for entry in value if isinstance(value, (list, tuple)) else [value]:
            key, _, val = str(entry).partition("=")
            items.append((key, [val]))
    result: dict[str, list[str]] = {}
    for key, values in items:
        if key in ("ip_address", "subnet_id"):
            values = values if isinstance(values, (list, tuple)) else [values]
            result.setdefault(key, []).extend(str(v) for v in values if v)
    return {k: v for k, v in result.items() if v}
