"""What agents read and record of ports: device details, the ports bound to a host,
port statuses and the z/VM bindings they applied (``zvm_port_bindings``)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from quantum_zvm.common import constants, exceptions
from quantum_zvm.common.context import Context
from quantum_zvm.db import (
    queries,
    standard_attrs,
    zvm_bindings,
)
from quantum_zvm.db.api import retry_on_deadlock
from quantum_zvm.db.plugin_base import ADMIN, HOSTS, LOG, PORTS
from quantum_zvm.db.ports_db import PortsMixin


class PortBindingsMixin(PortsMixin):
    """The port queries and updates the RPC callbacks need."""


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
            rows: list[Any] = []
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
            known = ", ".join(zvm_bindings.PORT_STATUSES)
            raise exceptions.InvalidInput(
                error_message=f"port status {status!r} is not one of {known}")
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
            for port_id in zvm_bindings.held_elsewhere(conn, found):
                del found[port_id]  # recorded as it stands: another zHCP's agent holds it
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
