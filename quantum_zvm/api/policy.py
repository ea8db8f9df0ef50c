"""Who may see and change what (the rules of Quantum's default policy.json).

- Tenants see their own resources and shared networks (and their subnets);
  the plugin limits its queries accordingly, so another tenant's resource is
  simply not found (404).
- Only the owner (or an admin) may update or delete; a visible resource of
  someone else (a shared network) answers 404 as if it did not exist.
- Provider and binding attributes, and ``shared``, are admin-only to set;
  provider and binding attributes are admin-only to view (non-admins do not
  see the keys).  Setting an admin-only attribute on one's own resource is 403.
- Creating a resource for another tenant needs admin (400, Quantum's answer).
- ``mac_address`` and ``fixed_ips`` of a port may be set by an admin or the
  owner of the port's network only (403).
- Agents are admin-only: non-admins list none and find none.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from quantum_zvm.api import faults
from quantum_zvm.api.attributes import TENANT_ALIAS, TENANT_KEY, Attribute
from quantum_zvm.common import exceptions
from quantum_zvm.common.constants import ATTR_NOT_SPECIFIED
from quantum_zvm.common.context import Context

NETWORK_OWNER_PORT_ATTRS = ("mac_address", "fixed_ips")
ADMIN_ONLY_RESOURCES = frozenset({"agents"})


def may_access_collection(ctx: Context, collection: str) -> bool:
    return ctx.is_admin or collection not in ADMIN_ONLY_RESOURCES


def visible_keys(attr_map: Mapping[str, Attribute], ctx: Context,
                 fields: Iterable[str] | None = None) -> frozenset[str]:
    """Keys of a resource dict the caller sees (restricted to ``fields`` when given)."""
    keys = {name for name, attr in attr_map.items()
            if attr.is_visible and (ctx.is_admin or not attr.admin_view)}
    if TENANT_KEY in keys:
        keys.add(TENANT_ALIAS)
    if fields:
        keys &= set(fields)
    return frozenset(keys)


def is_owner(ctx: Context, obj: Mapping[str, Any]) -> bool:
    return ctx.is_admin or (ctx.tenant_id is not None and obj.get(TENANT_KEY) == ctx.tenant_id)


def check_create(ctx: Context, resource: str, attr_map: Mapping[str, Attribute],
                 attrs: Mapping[str, Any]) -> None:
    """Raise when the caller may not create ``attrs`` (already defaulted)."""
    if ctx.is_admin:
        return
    tenant = attrs.get(TENANT_KEY)
    if tenant is not ATTR_NOT_SPECIFIED and tenant != ctx.tenant_id:
        raise faults.bad_request("Specifying 'tenant_id' other than authenticated tenant "
                                 "in request requires admin privileges")
    for name, value in attrs.items():
        attr = attr_map.get(name)
        if attr is not None and attr.admin_set and value is not ATTR_NOT_SPECIFIED \
                and value != attr.default:
            raise exceptions.PolicyNotAuthorized(action=f"create_{resource}:{name}")


def needs_network_owner(ctx: Context, attrs: Mapping[str, Any]) -> bool:
    """True when a non-admin sets port attributes reserved to the network owner."""
    return not ctx.is_admin and any(
        attrs.get(name, ATTR_NOT_SPECIFIED) is not ATTR_NOT_SPECIFIED
        for name in NETWORK_OWNER_PORT_ATTRS)


def check_port_network_owner(ctx: Context, action: str, attrs: Mapping[str, Any],
                             network: Mapping[str, Any] | None) -> None:
    """``mac_address``/``fixed_ips`` need admin or the owner of the port's network."""
    if ctx.is_admin:
        return
    for name in NETWORK_OWNER_PORT_ATTRS:
        if attrs.get(name, ATTR_NOT_SPECIFIED) is not ATTR_NOT_SPECIFIED and (
                network is None or network.get(TENANT_KEY) != ctx.tenant_id):
            raise exceptions.PolicyNotAuthorized(action=f"{action}_port:{name}")


def check_modify(ctx: Context, resource: str, obj: Mapping[str, Any]) -> None:
    """Only the owner or an admin may update/delete; others get 404."""
    if not is_owner(ctx, obj):
        raise faults.not_found(f"{resource.capitalize()} {obj.get('id')} could not be found")


def check_update(ctx: Context, resource: str, attr_map: Mapping[str, Attribute],
                 obj: Mapping[str, Any], attrs: Mapping[str, Any]) -> None:
    check_modify(ctx, resource, obj)
    if ctx.is_admin:
        return
    for name in attrs:
        if attr_map[name].admin_set:
            raise exceptions.PolicyNotAuthorized(action=f"update_{resource}:{name}")
