"""The resource attribute map of the Quantum v2.0 API served by quantum-zvm.

Each resource (networks, subnets, ports, agents) maps attribute names to an
:class:`Attribute`: whether it may be given on create (``allow_post``) and on
update (``allow_put``), its converter and validator, its default, whether it
is shown (``is_visible``), and whether only an admin may see it
(``admin_view``) or set it (``admin_set``).  Extension attributes (provider,
binding) live in the same map with their alias noted in ``extension``.

``project_id`` is accepted and shown as an alias of ``tenant_id`` because
current clients (openstacksdk, the ``openstack`` CLI) use that name.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

from quantum_zvm.api import validators as v
from quantum_zvm.common.constants import ATTR_NOT_SPECIFIED

REQUIRED = object()          # marks "no default: must be given on create"


@dataclasses.dataclass(frozen=True)
class Attribute:
    allow_post: bool = False
    allow_put: bool = False
    convert: Optional[v.Converter] = None
    validate: Optional[v.Validator] = None
    default: Any = ATTR_NOT_SPECIFIED
    is_visible: bool = True
    admin_view: bool = False
    admin_set: bool = False
    column: bool = True          # a plain value: filterable and sortable
    extension: Optional[str] = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


TENANT_ALIAS = "project_id"
TENANT_KEY = "tenant_id"
NAME_LEN = 255
# tenant_id, and the project id of a request's identity headers (:mod:`auth`)
TENANT_ID = v.string(NAME_LEN)


def _ro(**kw: Any) -> Attribute:
    return Attribute(**kw)


def _rw(post: bool = True, put: bool = True, **kw: Any) -> Attribute:
    return Attribute(allow_post=post, allow_put=put, **kw)


_ID = _ro(validate=v.uuid)
_NAME = _rw(validate=v.string(NAME_LEN), default="")
_ADMIN_UP = _rw(convert=v.to_boolean, validate=v.boolean, default=True)
_TENANT = _rw(put=False, validate=TENANT_ID, default=REQUIRED)
_NETWORK_ID = _rw(put=False, validate=v.uuid, default=REQUIRED)

PROVIDER = "provider"
BINDING = "binding"
AGENT = "agent"
AGENT_SCHEDULER = "agent_scheduler"

NETWORKS = {
    "id": _ID,
    "name": _NAME,
    "admin_state_up": _ADMIN_UP,
    "status": _ro(),
    "subnets": _ro(default=[], column=False),
    "shared": _rw(convert=v.to_boolean, validate=v.boolean, default=False, admin_set=True),
    "tenant_id": _TENANT,
    "provider:network_type": _rw(validate=v.string(32, allow_none=True),
                                 admin_view=True, admin_set=True, extension=PROVIDER),
    "provider:physical_network": _rw(validate=v.string(64, allow_none=True),
                                     admin_view=True, admin_set=True, extension=PROVIDER),
    "provider:segmentation_id": _rw(convert=v.to_int_or_none,
                                    admin_view=True, admin_set=True, extension=PROVIDER),
}

SUBNETS = {
    "id": _ID,
    "name": _NAME,
    "network_id": _NETWORK_ID,
    "ip_version": _rw(put=False, convert=v.to_int, validate=v.ip_version, default=REQUIRED),
    "cidr": _rw(put=False, validate=v.ipv4_subnet, default=REQUIRED),
    "gateway_ip": _rw(validate=v.ipv4_address_or_none),
    "allocation_pools": _rw(put=False, validate=v.allocation_pools, column=False),
    "dns_nameservers": _rw(convert=v.none_to_empty_list, validate=v.nameservers,
                           column=False),
    "host_routes": _rw(convert=v.none_to_empty_list, validate=v.host_routes,
                       column=False),
    "enable_dhcp": _rw(convert=v.to_boolean, validate=v.boolean, default=True),
    "tenant_id": _TENANT,
    "shared": _ro(is_visible=False),
}

PORTS = {
    "id": _ID,
    "name": _NAME,
    "network_id": _NETWORK_ID,
    "admin_state_up": _ADMIN_UP,
    "mac_address": _rw(put=False, validate=v.mac_address),
    "fixed_ips": _rw(validate=v.fixed_ips, column=False),
    "device_id": _rw(validate=v.string(NAME_LEN), default=""),
    "device_owner": _rw(validate=v.string(NAME_LEN), default=""),
    "tenant_id": _TENANT,
    "status": _ro(),
    "binding:host_id": _rw(validate=v.string(NAME_LEN, allow_none=True),
                           admin_view=True, admin_set=True, extension=BINDING),
    "binding:profile": _rw(convert=v.to_zvm_profile, validate=v.zvm_profile, column=False,
                           admin_view=True, admin_set=True, extension=BINDING),
    "binding:vif_type": _ro(admin_view=True, extension=BINDING),
    "binding:vif_details": _ro(admin_view=True, column=False, extension=BINDING),
}

AGENTS = {
    "id": _ID,
    "agent_type": _ro(),
    "binary": _ro(),
    "topic": _ro(),
    "host": _ro(),
    "admin_state_up": _rw(post=False, convert=v.to_boolean, validate=v.boolean),
    "created_at": _ro(),
    "started_at": _ro(),
    "heartbeat_timestamp": _ro(),
    "alive": _ro(column=False),
    "configurations": _ro(column=False),
    "description": _rw(post=False, validate=v.string(NAME_LEN, allow_none=True)),
}

RESOURCES: dict[str, tuple[str, dict[str, Attribute]]] = {
    "networks": ("network", NETWORKS),
    "subnets": ("subnet", SUBNETS),
    "ports": ("port", PORTS),
    "agents": ("agent", AGENTS),
}

# Resources that belong to a tenant (agents do not).
TENANT_RESOURCES = frozenset({"networks", "subnets", "ports"})

EXTENSIONS = [
    {"alias": PROVIDER, "name": "Provider Network",
     "description": "Expose mapping of virtual networks to z/VM vswitches and VLANs",
     "namespace": "http://docs.openstack.org/ext/provider/api/v1.0",
     "updated": "2012-09-07T10:00:00-00:00"},
    {"alias": BINDING, "name": "Port Binding",
     "description": "Expose port bindings of a virtual port to z/VM guests "
                    "(binding:profile zvm_userid and vdev)",
     "namespace": "http://docs.openstack.org/ext/binding/api/v1.0",
     "updated": "2012-11-14T10:00:00-00:00"},
    {"alias": AGENT, "name": "agent",
     "description": "The agent management extension.",
     "namespace": "http://docs.openstack.org/ext/agent/api/v2.0",
     "updated": "2013-02-03T10:00:00-00:00"},
    {"alias": AGENT_SCHEDULER, "name": "Agent Schedulers",
     "description": "Schedule networks among DHCP agents",
     "namespace": "http://docs.openstack.org/ext/agent_scheduler/api/v1.0",
     "updated": "2013-02-07T10:00:00-00:00"},
]
