"""What the plugin's resource mixins share: the tables, the admin context, the view
helpers and :class:`PluginBase`, the attributes :class:`quantum_zvm.plugin.ZvmPlugin` sets.

The plugin is split by resource as neutron's database plugin is: networks
(:mod:`quantum_zvm.db.networks_db`), subnets (:mod:`quantum_zvm.db.subnets_db`), ports
(:mod:`quantum_zvm.db.ports_db`) and what agents read and record of them
(:mod:`quantum_zvm.db.port_bindings_db`).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from quantum_zvm.common import constants
from quantum_zvm.common.context import Context, get_admin_context
from quantum_zvm.db import (
    models,
    queries,
    tags,
)
from quantum_zvm.db.api import Database
from quantum_zvm.db.mac_allocator import MacAllocator

LOG = logging.getLogger("quantum_zvm.plugin")

NETWORKS = models.NETWORKS
SUBNETS = models.SUBNETS
PORTS = models.PORTS
SEGMENTS = models.NETWORK_BINDINGS
ALLOCATIONS = models.IP_ALLOCATIONS
POOLS = models.IP_ALLOCATION_POOLS
HOSTS = models.PORT_BINDING_PORTS
PROFILES = models.ZVM_PORT_PROFILES
APPLIED = models.ZVM_PORT_BINDINGS
AGENTS = models.AGENTS
ADMIN = get_admin_context()  # reads back what a transaction just wrote


def given(attrs: Mapping[str, Any], key: str) -> bool:
    return key in attrs and attrs[key] is not constants.ATTR_NOT_SPECIFIED



def shown_tags(conn: Connection, collection: str, ids: Sequence[str],
          fields: Sequence[str] | None) -> dict[str, list[str]]:
    """The tags of ``ids`` when ``fields`` shows them (a query per chunk of ids)."""
    if not ids or (fields and "tags" not in fields):
        return {}
    found: dict[str, list[str]] = {}
    for chunk in queries.chunks(ids):
        found.update(tags.tags_of(conn, collection, chunk))
    return found




class PluginBase:
    """The state every resource mixin reads (set by :class:`quantum_zvm.plugin.ZvmPlugin`)."""

    conf: Any
    db: Database
    mappings: Any
    tenant_network_type: str
    macs: MacAllocator
    notifier: Any
    network_columns: dict[str, Any]

    @staticmethod
    def _tenant_of(ctx: Context, attrs: Mapping[str, Any]) -> str | None:
        return attrs["tenant_id"] if given(attrs, "tenant_id") else ctx.tenant_id

    def _notify(self, method: str, *args: Any) -> None:
        if self.notifier is None:
            return
        try:
            getattr(self.notifier, method)(*args)
        except Exception:  # noqa: BLE001 - a notification must not fail the request
            LOG.exception("notification %s failed", method)
