"""VLAN allocation rows (``ovs_vlan_allocations``) with the OVS plugin's rules (reference §1.4).

One row per allocatable VLAN of each configured range, plus rows created on
demand for provider VLANs outside the ranges and for flat networks (-1).

Concurrency: tenant allocation takes the first free row with ``SELECT ... FOR
UPDATE SKIP LOCKED``, so server processes sharing a PostgreSQL or MySQL
database each get a different row without waiting on each other; the update
is conditional on the row still being free.  MySQL before 8.0 and MariaDB
before 10.6 lack ``SKIP LOCKED``: there a process waits for the row another
one locked and, finding it taken, takes the next.  SQLite ignores row locks; there
:class:`~quantum_zvm.db.api.Database` serialises write transactions instead.
All functions run inside the caller's transaction.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import Connection

from quantum_zvm.common import constants, exceptions
from quantum_zvm.common.config import VlanRange, VswitchMappings
from quantum_zvm.db import models
from quantum_zvm.db.api import supports_skip_locked

LOG = logging.getLogger(__name__)
TABLE = models.VLAN_ALLOCATIONS
_CHUNK = 500


def _ids(ranges: Iterable[VlanRange]) -> set[int]:
    return {vid for low, high in ranges for vid in range(low, high + 1)}


def sync_allocations(conn: Connection, mappings: VswitchMappings) -> dict[str, int]:
    """Make the rows match the configured ranges; returns {vswitch: rows added}.

    Rows inside a range keep their ``allocated`` flag, free rows outside every
    range (or of vswitches no longer configured) are deleted, allocated rows
    always stay, missing ids are added free.
    """
    rows = conn.execute(sa.select(TABLE.c.physical_network, TABLE.c.vlan_id,
                                     TABLE.c.allocated)).all()
    existing: dict[str, dict[int, bool]] = {}
    for physnet, vid, allocated in rows:
        existing.setdefault(physnet, {})[vid] = allocated
    added: dict[str, int] = {}
    # In name order: server processes starting together then lock rows in the same order.
    for physnet in sorted(set(existing) | set(mappings)):
        wanted = _ids(mappings.get(physnet, []))
        have = existing.get(physnet, {})
        stale = sorted(vid for vid, allocated in have.items()
                       if vid not in wanted and not allocated)
        for start in range(0, len(stale), _CHUNK):
            conn.execute(TABLE.delete().where(
                TABLE.c.physical_network == physnet,
                TABLE.c.vlan_id.in_(stale[start:start + _CHUNK])))
        missing = sorted(wanted - set(have))
        if missing:
            conn.execute(TABLE.insert(), [
                {"physical_network": physnet, "vlan_id": vid, "allocated": False}
                for vid in missing])
        if missing or stale:
            LOG.info("VLAN allocations of %s: %d added, %d removed", physnet, len(missing),
                     len(stale))
        added[physnet] = len(missing)
    return added


def allocate_tenant_vlan(conn: Connection, mappings: VswitchMappings) -> tuple[str, int]:
    """Reserve the first free VLAN of the VLAN-aware vswitches: ``(vswitch, vlan_id)``.

    Raises :class:`NoVlanAvailable` naming the vswitches when every VLAN is taken.
    """
    vswitches = sorted(name for name, ranges in mappings.items() if ranges)
    skip_locked = supports_skip_locked(conn.dialect)
    while True:
        row = conn.execute(
            sa.select(TABLE.c.physical_network, TABLE.c.vlan_id)
            .where(TABLE.c.physical_network.in_(vswitches), TABLE.c.allocated == sa.false())
            .order_by(TABLE.c.physical_network, TABLE.c.vlan_id)
            .limit(1).with_for_update(skip_locked=skip_locked)).first()
        if row is None:
            raise exceptions.NoVlanAvailable(physical_network=", ".join(vswitches))
        taken = conn.execute(
            TABLE.update()
            .where(TABLE.c.physical_network == row.physical_network,
                   TABLE.c.vlan_id == row.vlan_id, TABLE.c.allocated == sa.false())
            .values(allocated=True)).rowcount
        if taken == 1:
            return row.physical_network, row.vlan_id


def reserve_specific(conn: Connection, physnet: str, vlan_id: int) -> None:
    """Reserve a provider VLAN (or -1 for a flat network) on ``physnet``.

    Raises :class:`VlanIdInUse` / :class:`FlatNetworkInUse` when it is taken.
    """
    allocated = conn.execute(
        sa.select(TABLE.c.allocated)
        .where(TABLE.c.physical_network == physnet, TABLE.c.vlan_id == vlan_id)
        .with_for_update()).scalar()
    if allocated:
        _raise_in_use(physnet, vlan_id)
    if allocated is None:
        try:
            with conn.begin_nested():
                conn.execute(TABLE.insert().values(
                    physical_network=physnet, vlan_id=vlan_id, allocated=True))
        except sa.exc.IntegrityError:  # another transaction reserved it first
            _raise_in_use(physnet, vlan_id)
    else:
        conn.execute(TABLE.update()
                        .where(TABLE.c.physical_network == physnet, TABLE.c.vlan_id == vlan_id)
                        .values(allocated=True))


def _raise_in_use(physnet: str, vlan_id: int) -> None:
    if vlan_id == constants.FLAT_VLAN_ID:
        raise exceptions.FlatNetworkInUse(physical_network=physnet)
    raise exceptions.VlanIdInUse(vlan_id=vlan_id, physical_network=physnet)


def release(conn: Connection, physnet: str, vlan_id: int, mappings: VswitchMappings) -> None:
    """Free a VLAN; its row is deleted when the id is outside the configured ranges."""
    where = (TABLE.c.physical_network == physnet, TABLE.c.vlan_id == vlan_id)
    found = conn.execute(sa.select(TABLE.c.allocated).where(*where).with_for_update()).first()
    if found is None:
        LOG.warning("no VLAN allocation row for %s VLAN %s to release", physnet, vlan_id)
        return
    if any(low <= vlan_id <= high for low, high in mappings.get(physnet, [])):
        conn.execute(TABLE.update().where(*where).values(allocated=False))
    else:
        conn.execute(TABLE.delete().where(*where))
