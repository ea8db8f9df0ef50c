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

The methods live in one mixin per resource, as neutron splits its database
plugin: :mod:`quantum_zvm.db.networks_db`, :mod:`quantum_zvm.db.subnets_db`,
:mod:`quantum_zvm.db.ports_db`, :mod:`quantum_zvm.db.port_bindings_db` (what agents
read and record), on :class:`quantum_zvm.db.plugin_base.PluginBase`; this class
sets their state up.
"""
from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from oslo_config import cfg

from quantum_zvm.common import config
from quantum_zvm.db import ipam, segments, vlan_allocator
from quantum_zvm.db.api import Database
from quantum_zvm.db.dhcp_scheduler import DhcpAgentSchedulerMixin
from quantum_zvm.db.mac_allocator import MacAllocator
from quantum_zvm.db.networks_db import NETWORK_COLUMNS
from quantum_zvm.db.plugin_base import NETWORKS
from quantum_zvm.db.port_bindings_db import PortBindingsMixin
from quantum_zvm.db.subnets_db import SubnetsMixin
from quantum_zvm.db.tags import TagsMixin

LOG = logging.getLogger(__name__)


class ZvmPlugin(PortBindingsMixin, SubnetsMixin, DhcpAgentSchedulerMixin, TagsMixin):
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
