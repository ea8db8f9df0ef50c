"""Ports: addresses, MACs, binding attributes and their lists; the port part of
:class:`quantum_zvm.plugin.ZvmPlugin`."""
from __future__ import annotations

import datetime
import ipaddress
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    zvm_bindings,
)
from quantum_zvm.db.agents_db import AgentDbMixin
from quantum_zvm.db.api import retry_on_deadlock
from quantum_zvm.db.networks_db import NetworksMixin
from quantum_zvm.db.plugin_base import (
    ADMIN,
    AGENTS,
    ALLOCATIONS,
    APPLIED,
    HOSTS,
    PORTS,
    PROFILES,
    given,
    shown_tags,
)
from quantum_zvm.db.segments import Segment, is_set
from quantum_zvm.db.standard_attrs import check_revision

# Agents that bind ports on their host: the z/VM agent, and the DHCP agent for its guest's ports.
BINDING_AGENT_TYPES = (constants.AGENT_TYPE_ZVM, constants.AGENT_TYPE_DHCP)
# The latest heartbeat of such an agent per host, joined to ports for binding:vif_type.
BINDING_AGENTS = (sa.select(AGENTS.c.host,
                            sa.func.max(AGENTS.c.heartbeat_timestamp).label("heartbeat"))
                  .where(AGENTS.c.agent_type.in_(BINDING_AGENT_TYPES))
                  .group_by(AGENTS.c.host).subquery("binding_agents"))
_HOST_HEARTBEAT = sa.select(sa.func.max(AGENTS.c.heartbeat_timestamp)).where(
    AGENTS.c.agent_type.in_(BINDING_AGENT_TYPES), AGENTS.c.host == sa.bindparam("host"))


PORT_COLUMNS = {**{c.name: c for c in PORTS.c}, "binding:host_id": HOSTS.c.host}
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
PORT_CONSTANTS: dict[str, Callable[[], Any]] = {
    "binding:vnic_type": lambda: constants.VNIC_NORMAL,
    "security_groups": list, "allowed_address_pairs": list}
PORT_FROM = (PORTS.outerjoin(HOSTS, HOSTS.c.port_id == PORTS.c.id)
             .outerjoin(BINDING_AGENTS, BINDING_AGENTS.c.host == HOSTS.c.host)
             .outerjoin(PROFILES, PROFILES.c.port_id == PORTS.c.id)
             .outerjoin(APPLIED, APPLIED.c.port_id == PORTS.c.id))
# What a port list's filters may refer to (binding:host_id is the host's column).
PORT_FILTER_FROM = PORTS.outerjoin(HOSTS, HOSTS.c.port_id == PORTS.c.id)

# Built once: every show, update and delete of a port runs them (building and cache-keying
# a statement of this many columns per call costs more than SQLite takes to run it).
_PORT_BY_ID = sa.select(*PORT_SELECT).select_from(PORT_FROM).where(
    PORTS.c.id == sa.bindparam("port_id"))
_TENANT_PORT_BY_ID = _PORT_BY_ID.where(PORTS.c.tenant_id == sa.bindparam("tenant_id"))
_FIXED_IPS_OF = sa.select(ALLOCATIONS.c.port_id, ALLOCATIONS.c.subnet_id,
                          ALLOCATIONS.c.ip_address).where(
    ALLOCATIONS.c.port_id.in_(sa.bindparam("ids", expanding=True)))



class PortsMixin(NetworksMixin, AgentDbMixin):
    """Port methods."""


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
        items = _port_items(rows, PORT_FIELDS, ips, shown_tags(conn, "ports", ids, fields),
                            _binding_keys(fields), fields, self.is_agent_alive)
        return [queries.only(item, fields) for item in items] if fields else items

    def _port_query(self, ctx: Context) -> sa.Select:
        return queries.tenant_scope(sa.select(*PORT_SELECT).select_from(PORT_FROM), PORTS, ctx,
                                    shared=False)

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
        query = queries.apply_filters(queries.tenant_scope(select, PORTS, ctx, shared=False),
                                      PORT_COLUMNS, filters)
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
        # Without binding attributes only the host's join (for its filter) is needed: SQLite
        # joins the binding agents' grouped heartbeats for every port otherwise.
        query = self._port_list_query(ctx, filters, sa.select(*columns).select_from(
            PORT_FROM if binding_keys else PORT_FILTER_FROM))
        with queries.collector_paused():  # 10,000 ports are 50,000 containers, no cycle
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
            items = _port_items(rows, names, ips, tagged, binding_keys, fields,
                                self.is_agent_alive)
            del rows  # freed now: the collector's one pass when it is back walks the items only
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
               "name": attrs["name"] if given(attrs, "name") else "",
               "admin_state_up": attrs["admin_state_up"]
               if given(attrs, "admin_state_up") else True,
               "status": constants.PORT_STATUS_DOWN,
               "device_id": attrs["device_id"] if given(attrs, "device_id") else "",
               "device_owner": attrs["device_owner"] if given(attrs, "device_owner") else "",
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
            row = self._locked_port_row(conn, ctx, id, if_revision)
            old = self._get_port(conn, ADMIN, id)
            values = {k: attrs[k] for k in ("name", "admin_state_up", "device_id",
                                             "device_owner", "description") if given(attrs, k)}
            if is_set(attrs.get("fixed_ips")):
                self._update_fixed_ips(conn, row, attrs["fixed_ips"],
                                       values.get("device_owner", row.device_owner))
            if given(attrs, "binding:host_id"):
                host = zvm_bindings.validate_host(attrs["binding:host_id"])
                if zvm_bindings.host_view(host) != old["binding:host_id"]:
                    zvm_bindings.set_host(conn, id, host)
            if given(attrs, "binding:profile"):
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

    def _locked_port_row(self, conn: Connection, ctx: Context, port_id: str,
                         if_revision: int | None) -> Any:
        """The caller's port row (any, for an admin), locked for a change; 404 when there is
        none, 412 when it is not at ``if_revision``."""
        row = conn.execute(queries.tenant_scope(sa.select(PORTS), PORTS, ctx, shared=False).where(
            PORTS.c.id == port_id).with_for_update()).first()
        if row is None:
            raise exceptions.PortNotFound(port_id=port_id)
        check_revision(if_revision, row.revision_number)
        return row

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
            row = self._locked_port_row(conn, ctx, id, if_revision)
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


def _binding_keys(fields: Sequence[str] | None) -> tuple[str, ...]:
    """The binding attributes ``fields`` asks for (all of them when ``fields`` is empty)."""
    if not fields:
        return PORT_BINDING_FIELDS
    return tuple(key for key in PORT_BINDING_FIELDS if key in fields)


def _collect_fixed_ips(result: dict[str, list[dict]], rows: Iterable[Any]) -> None:
    """``rows`` of (port id, subnet id, address) as each port's ``fixed_ips``; pass a list
    (``Result.all()``): iterating a Result fetches row by row, 10,000 calls for a list."""
    for port_id, subnet_id, ip in rows:
        address = {"subnet_id": subnet_id, "ip_address": ip}
        addresses = result.get(port_id)
        if addresses is None:
            result[port_id] = [address]
        else:
            addresses.append(address)


def _sorted_fixed_ips(result: dict[str, list[dict]]) -> dict[str, list[dict]]:
    for ips in result.values():
        if len(ips) > 1:
            ips.sort(key=lambda a: ipaddress.ip_address(a["ip_address"]))
    return result


def _port_items(rows: Sequence[Any], names: Sequence[str], ips: dict[str, list] | None,
                tagged: dict[str, list[str]], binding_keys: Sequence[str],
                fields: Sequence[str] | None, alive: Callable[[datetime.datetime], bool]
                ) -> list[dict[str, Any]]:
    """Port dicts from rows of the ``names`` columns (id first), then the binding columns:
    every field (:func:`_every_field_items`) or those ``fields`` names
    (:func:`_chosen_field_items`)."""
    if ips is not None and not fields and names == PORT_FIELDS:
        return _every_field_items(rows, ips, tagged, alive)
    return _chosen_field_items(rows, names, ips, tagged, binding_keys, fields, alive)


def _chosen_field_items(rows: Sequence[Any], names: Sequence[str],
                        ips: dict[str, list] | None, tagged: dict[str, list[str]],
                        binding_keys: Sequence[str], fields: Sequence[str] | None,
                        alive: Callable[[datetime.datetime], bool]) -> list[dict[str, Any]]:
    """:func:`_port_items` of what ``fields`` names.

    Lists of 10,000 ports come through here: the core columns (already as the API
    shows them, see :func:`standard_attrs.listed`) become a dict at C speed, and the
    rest is added in one pass, only what ``fields`` asks for.
    """
    # a row holds the binding columns after the ``names`` ones: zip stops before them
    items = [dict(zip(names, row, strict=False)) for row in rows]
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



def _every_field_items(rows: Sequence[Any], ips: dict[str, list],
                       tagged: dict[str, list[str]], alive: Callable[[datetime.datetime], bool]
                       ) -> list[dict[str, Any]]:
    """:func:`_port_items` of whole :data:`PORT_SELECT` rows, every field: each port is one
    dict display (keys in :func:`_port_items`' order), the common case of a list."""
    vif_type, profile_view, details_view = (zvm_bindings.vif_type, zvm_bindings.profile_view,
                                            zvm_bindings.vif_details_view)
    fixed_ips_of, tags_of = ips.get, tagged.get
    vnic_type = constants.VNIC_NORMAL
    liveness: dict[Any, bool] = {None: False}   # a few agents' heartbeats, each judged once
    items: list[dict[str, Any]] = []
    append = items.append
    for (port_id, name, network_id, tenant_id, mac_address, admin_state_up, status, device_id,
         device_owner, description, created_at, updated_at, revision_number,
         host, heartbeat, userid, vdev, *applied) in rows:
        agent_alive = liveness.get(heartbeat)
        if agent_alive is None:
            agent_alive = liveness[heartbeat] = alive(heartbeat)
        applied_status = applied[6]
        append({"id": port_id, "name": name, "network_id": network_id, "tenant_id": tenant_id,
                "mac_address": mac_address, "admin_state_up": admin_state_up,
                "status": status, "device_id": device_id, "device_owner": device_owner,
                "description": description, "created_at": created_at,
                "updated_at": updated_at, "revision_number": revision_number,
                "fixed_ips": fixed_ips_of(port_id, []), "tags": tags_of(port_id, []),
                "binding:vnic_type": vnic_type, "security_groups": [],
                "allowed_address_pairs": [],
                "binding:host_id": host or "",
                "binding:vif_type": vif_type(host, applied_status, agent_alive),
                "binding:profile": profile_view(userid, vdev) if userid else {},
                "binding:vif_details": details_view(*applied)
                if applied_status is not None else {}})
    return items


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
