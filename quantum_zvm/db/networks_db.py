"""Networks: their segments (provider attributes, VLANs from the vswitch ranges), MTU,
sharing and deletion; the network part of :class:`quantum_zvm.plugin.ZvmPlugin`."""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from quantum_zvm.common import constants, exceptions
from quantum_zvm.common.context import Context
from quantum_zvm.db import (
    ipam,
    queries,
    segments,
    standard_attrs,
    tags,
    vlan_allocator,
)
from quantum_zvm.db.api import retry_on_deadlock
from quantum_zvm.db.plugin_base import (
    ADMIN,
    NETWORKS,
    PORTS,
    SEGMENTS,
    SUBNETS,
    PluginBase,
    given,
    shown_tags,
)
from quantum_zvm.db.segments import Segment
from quantum_zvm.db.standard_attrs import check_revision

NETWORK_COLUMNS = {**{c.name: c for c in NETWORKS.c},
                   segments.NETWORK_TYPE: SEGMENTS.c.network_type,
                   segments.PHYSICAL_NETWORK: SEGMENTS.c.physical_network,
                   segments.SEGMENTATION_ID: SEGMENTS.c.segmentation_id}
NETWORK_SORT = {c.name: c for c in NETWORKS.c}

# One network row by id, per lock: "share" keeps the network from being deleted
# under us, "update" is for changing it.  Built once (port creates run it every time).
_NETWORK_BY_ID = sa.select(NETWORKS).where(NETWORKS.c.id == sa.bindparam("network_id"))
_NETWORK_ROW = {None: _NETWORK_BY_ID,
                "share": _NETWORK_BY_ID.with_for_update(read=True, key_share=True),
                "update": _NETWORK_BY_ID.with_for_update()}



class NetworksMixin(PluginBase):
    """Network methods (and the network checks subnets and ports use)."""

    def _network_row(self, conn: Connection, ctx: Context, network_id: str,
                     lock: str | None = None) -> Any:
        query = queries.tenant_scope(_NETWORK_ROW[lock], NETWORKS, ctx)
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
                       fields: Sequence[str] | None, new: bool = False
                       ) -> list[dict[str, Any]]:
        """The API's views of network ``rows``.  ``new``: rows this transaction created,
        which have no subnets and no tags yet (a create gives neither), so neither is read."""
        subnets: dict[str, list[str]] = {}
        if not new and (not fields or "subnets" in fields):
            ids = [row.id for row in rows]
            for chunk in queries.chunks(ids):
                for network_id, subnet_id in conn.execute(
                        sa.select(SUBNETS.c.network_id, SUBNETS.c.id)
                        .where(SUBNETS.c.network_id.in_(chunk)).order_by(SUBNETS.c.id)):
                    subnets.setdefault(network_id, []).append(subnet_id)
        tagged = {} if new else shown_tags(conn, "networks", [row.id for row in rows], fields)
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
            result.append(queries.only(item, fields))
        return result

    def _network_query(self, ctx: Context) -> sa.Select:
        return queries.tenant_scope(sa.select(
            NETWORKS, SEGMENTS.c.network_type, SEGMENTS.c.physical_network,
            SEGMENTS.c.segmentation_id).select_from(
                NETWORKS.outerjoin(SEGMENTS, SEGMENTS.c.network_id == NETWORKS.c.id)),
            NETWORKS, ctx)

    def _get_network(self, conn: Connection, ctx: Context, network_id: str,
                     fields: Sequence[str] | None = None, new: bool = False) -> dict[str, Any]:
        row = conn.execute(self._network_query(ctx).where(
            NETWORKS.c.id == network_id)).first()
        if row is None:
            raise exceptions.NetworkNotFound(net_id=network_id)
        return self._network_dicts(conn, [row], fields, new)[0]

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
            if slot := segment.allocation():
                vlan_allocator.reserve_specific(conn, *slot)
        elif self.tenant_network_type == constants.TYPE_VLAN:
            segment = Segment(constants.TYPE_VLAN,
                              *vlan_allocator.allocate_tenant_vlan(conn, self.mappings))
        else:
            segment = Segment(constants.TYPE_LOCAL)
        network_id = str(uuid.uuid4())
        conn.execute(NETWORKS.insert().values(
            id=network_id, tenant_id=self._tenant_of(ctx, attrs),
            name=attrs.get("name") if given(attrs, "name") else "",
            status=constants.NET_STATUS_ACTIVE,
            admin_state_up=attrs["admin_state_up"] if given(attrs, "admin_state_up") else True,
            shared=bool(attrs["shared"]) if given(attrs, "shared") else False,
            mtu=self._mtu(attrs["mtu"]) if given(attrs, "mtu") else self.conf.network_mtu,
            **standard_attrs.created(attrs, standard_attrs.utcnow())))
        conn.execute(SEGMENTS.insert().values(
            network_id=network_id, network_type=segment.network_type,
            physical_network=segment.physical_network,
            segmentation_id=segment.segmentation_id))
        return self._get_network(conn, ADMIN, network_id, new=True)

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
                  if given(attrs, k)}
        if given(attrs, "mtu"):
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
            if segment and (slot := segment.allocation()):
                vlan_allocator.release(conn, *slot, self.mappings)
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
