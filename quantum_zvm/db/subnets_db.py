"""Subnets (IPv4, pools, DNS servers, routes): the subnet part of
:class:`quantum_zvm.plugin.ZvmPlugin`."""
from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from quantum_zvm.common import constants, exceptions
from quantum_zvm.common.context import Context
from quantum_zvm.db import (
    ipam,
    queries,
    standard_attrs,
    tags,
)
from quantum_zvm.db.api import retry_on_deadlock
from quantum_zvm.db.networks_db import NetworksMixin
from quantum_zvm.db.plugin_base import (
    ADMIN,
    ALLOCATIONS,
    NETWORKS,
    POOLS,
    PORTS,
    SUBNETS,
    given,
    shown_tags,
)
from quantum_zvm.db.standard_attrs import check_revision

SUBNET_COLUMNS = {c.name: c for c in SUBNETS.c if c.name != "shared"}


class SubnetsMixin(NetworksMixin):
    """Subnet methods."""


    def _subnet_row(self, conn: Connection, ctx: Context, subnet_id: str,
                    lock: bool = False) -> Any:
        query = queries.tenant_scope(
            sa.select(SUBNETS).where(SUBNETS.c.id == subnet_id), SUBNETS, ctx)
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
        tagged = shown_tags(conn, "subnets", ids, fields)
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
            result.append(queries.only(item, fields))
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
        query = queries.apply_filters(queries.tenant_scope(select, SUBNETS, ctx),
                                      SUBNET_COLUMNS, filters)
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
            name=attrs["name"] if given(attrs, "name") else "", network_id=network.id,
            ip_version=4, cidr=str(plan.cidr), gateway_ip=plan.gateway_ip,
            enable_dhcp=bool(attrs["enable_dhcp"]) if given(attrs, "enable_dhcp") else True,
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
                      if given(attrs, k)}
            if given(attrs, "gateway_ip"):
                gateway = attrs["gateway_ip"]
                if gateway is not None:
                    gateway = ipam.check_gateway(gateway, ipaddress.IPv4Network(row.cidr))
                    pools = conn.execute(sa.select(POOLS.c.first_ip, POOLS.c.last_ip).where(
                        POOLS.c.subnet_id == id)).all()
                    ipam.check_gateway_outside_pools(gateway, [
                        (ipam.IPv4(a), ipam.IPv4(b)) for a, b in pools])
                values["gateway_ip"] = None if gateway is None else str(gateway)
            if given(attrs, "dns_nameservers"):
                ipam.replace_dns(conn, id, ipam.validate_dns(attrs["dns_nameservers"]))
            if given(attrs, "host_routes"):
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
