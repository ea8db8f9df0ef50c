"""The resource attribute map of the Quantum v2.0 API served by quantum-zvm.

Each resource (networks, subnets, ports, agents) maps attribute names to an
:class:`Attribute`: whether it may be given on create (``allow_post``) and on
update (``allow_put``), its converter and validator, its default, whether it
is shown (``is_visible``), and whether only an admin may see it
(``admin_view``) or set it (``admin_set``).  Extension attributes (provider,
binding) live in the same map with their alias noted in ``extension``.

``project_id`` is accepted and shown as an alias of ``tenant_id`` because
current clients (openstacksdk, the ``openstack`` CLI) use that name.

Neutron's standard attributes (``description``, timestamps,
``revision_number``, ``tags``) are on networks, subnets and ports; the port
extensions z/VM has no use for are accepted with their only meaningful value
(``binding:vnic_type`` ``normal``, no security groups, no allowed address
pairs, no subnet pool) so that clients sending them work, and anything else
is a 400 saying why.  Aliases and texts follow neutron_lib/api/definitions
(neutron-lib 5.0.1).
"""
from __future__ import annotations

import dataclasses
from typing import Any

from quantum_zvm.api import validators as v
from quantum_zvm.common.constants import ATTR_NOT_SPECIFIED, VNIC_NORMAL

REQUIRED = object()          # marks "no default: must be given on create"


@dataclasses.dataclass(frozen=True)
class Attribute:
    allow_post: bool = False
    allow_put: bool = False
    convert: v.Converter | None = None
    validate: v.Validator | None = None
    default: Any = ATTR_NOT_SPECIFIED
    is_visible: bool = True
    admin_view: bool = False
    admin_set: bool = False
    column: bool = True          # a plain value: filterable and sortable
    extension: str | None = None

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

_DESCRIPTION = _rw(validate=v.string(NAME_LEN), default="")
_STANDARD = {
    "description": _DESCRIPTION,
    "created_at": _ro(),
    "updated_at": _ro(),
    "revision_number": _ro(convert=v.to_int),
    # filters tags, tags-any, not-tags, not-tags-any: see quantum_zvm.db.tags
    "tags": _ro(default=[], column=False),
}

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
    # checked against the vswitches' MTU (network_mtu) by the plugin
    "mtu": _rw(convert=v.to_int, validate=v.mtu),
    **_STANDARD,
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
    "subnetpool_id": _rw(put=False, validate=v.no_subnetpool, default=None, column=False),
    **_STANDARD,
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
    "binding:vnic_type": _rw(validate=v.vnic_type, default=VNIC_NORMAL, column=False,
                             extension=BINDING),
    "security_groups": _rw(convert=v.none_to_empty_list, validate=v.no_security_groups,
                           default=[], column=False),
    "allowed_address_pairs": _rw(convert=v.none_to_empty_list,
                                 validate=v.no_address_pairs, default=[], column=False),
    **_STANDARD,
    # neutron 29 takes a port's tags in its POST body (tag-ports-during-bulk-creation)
    "tags": _rw(put=False, validate=v.tags, default=[], column=False),
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
] + [{"alias": alias, "name": name, "description": description,
      "namespace": "", "updated": updated}
     for alias, name, description, updated in (
    ("standard-attr-description", "standard-attr-description",
     "Extension to add descriptions to standard attributes", "2016-02-10T10:00:00-00:00"),
    ("standard-attr-timestamp", "Resource timestamps",
     "Adds created_at and updated_at fields to all Neutron resources that have Neutron "
     "standard attributes.", "2016-09-12T10:00:00-00:00"),
    ("standard-attr-revisions", "Resource revision numbers",
     "This extension will display the revision number of neutron resources.",
     "2016-04-11T10:00:00-00:00"),
    ("revision-if-match", "If-Match constraints based on revision_number",
     "Extension indicating that If-Match based on revision_number is supported.",
     "2016-12-11T00:00:00-00:00"),
    ("standard-attr-tag", "Tag support for resources with standard attribute: "
     "networks, subnets, ports",
     "Enables to set tag on resources with standard attribute.",
     "2017-01-01T00:00:00-00:00"),
    ("tag-ports-during-bulk-creation", "Tag Ports During Bulk Creation",
     "Allow to tag ports during bulk creation (and single creation).",
     "2019-12-29T19:00:00-00:00"),
    ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource.",
     "2015-03-25T10:00:00-00:00"),
    ("net-mtu-writable", "Network MTU (writable)",
     "Provides a writable MTU attribute for a network resource, up to the MTU of the "
     "z/VM vswitches (network_mtu).", "2017-07-12T00:00:00-00:00"),
    ("security-group", "security-group",
     "Accepts security_groups on ports only as an empty list: the z/VM driver filters "
     "no traffic, so a port with a security group would be unprotected.",
     "2012-10-05T10:00:00-00:00"),
    ("allowed-address-pairs", "Allowed Address Pairs",
     "Accepts allowed_address_pairs on ports only as an empty list: z/VM vswitches do "
     "no address filtering to relax.", "2013-07-23T10:00:00-00:00"),
    ("subnet_allocation", "Subnet Allocation",
     "Shows subnetpool_id on subnets (always null): subnet pools are not supported.",
     "2015-03-30T10:00:00-00:00"),
)]
