"""Network segments: which vswitch and VLAN a network uses (provider extension rules).

Pure functions; the rows are kept by :mod:`quantum_zvm.db.vlan_allocator`.

Types: ``vlan`` (a VLAN on a VLAN-aware vswitch, one listed with ranges in
``vswitch_mappings``), ``flat`` (a VLAN-unaware vswitch, listed without a
range; one network per vswitch, segmentation id -1 in the database) and
``local`` (no vswitch at all).  Tenant networks (no provider attributes) are
``vlan`` when any vswitch has a range, else ``local``, as the OVS plugin's
default ``tenant_network_type = local``.  Messages are Quantum's (reference
§2.4) plus the z/VM rule that flat means VLAN-unaware and vlan means VLAN-aware.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from quantum_zvm.common import constants
from quantum_zvm.common.config import VswitchMappings
from quantum_zvm.common.exceptions import InvalidInput

NETWORK_TYPE = "provider:network_type"
PHYSICAL_NETWORK = "provider:physical_network"
SEGMENTATION_ID = "provider:segmentation_id"
PROVIDER_ATTRS = (NETWORK_TYPE, PHYSICAL_NETWORK, SEGMENTATION_ID)
DEFAULT_PHYSNET = "DEFAULT"
VLAN_MIN, VLAN_MAX = 1, 4094


@dataclasses.dataclass(frozen=True)
class Segment:
    network_type: str
    physical_network: str | None = None
    segmentation_id: int | None = None   # VLAN id; -1 for flat; None for local

    def provider_attrs(self) -> dict[str, Any]:
        """The API view: flat shows no segmentation id, local neither vswitch nor id."""
        seg = self.segmentation_id if self.network_type == constants.TYPE_VLAN else None
        return {NETWORK_TYPE: self.network_type, PHYSICAL_NETWORK: self.physical_network,
                SEGMENTATION_ID: seg}

    def allocation(self) -> tuple[str, int] | None:
        """The (vswitch, VLAN id) row of ``vlan_allocations`` the segment holds (-1 is a
        flat vswitch's row); None for a local network, which holds none."""
        if self.network_type not in (constants.TYPE_VLAN, constants.TYPE_FLAT):
            return None
        if self.physical_network is None or self.segmentation_id is None:
            raise ValueError(f"a {self.network_type} segment needs a vswitch and an id: {self}")
        return self.physical_network, self.segmentation_id


def is_set(value: object) -> bool:
    return value is not None and value is not constants.ATTR_NOT_SPECIFIED


def provider_given(attrs: Mapping[str, Any]) -> bool:
    return any(is_set(attrs.get(key, constants.ATTR_NOT_SPECIFIED)) for key in PROVIDER_ATTRS)


def tenant_network_type(mappings: VswitchMappings) -> str:
    return constants.TYPE_VLAN if any(mappings.values()) else constants.TYPE_LOCAL


def _fail(message: str) -> InvalidInput:
    return InvalidInput(error_message=message)


def provider_segment(attrs: Mapping[str, Any], mappings: VswitchMappings) -> Segment:
    """Validate the provider attributes of a network create (at least one is set)."""
    network_type = attrs.get(NETWORK_TYPE)
    physnet = attrs.get(PHYSICAL_NETWORK)
    if not is_set(network_type):
        raise _fail(f"{NETWORK_TYPE} required")
    seg_id = _segmentation_id(attrs.get(SEGMENTATION_ID))

    if network_type == constants.TYPE_FLAT:
        vlan = _flat_vlan(seg_id)
    elif network_type == constants.TYPE_VLAN:
        vlan = _provider_vlan(seg_id)
    elif network_type == "gre":
        raise _fail("GRE networks are not enabled")
    elif network_type == constants.TYPE_LOCAL:
        return _local_segment(physnet, seg_id)
    else:
        raise _fail(f"{NETWORK_TYPE} {network_type} not supported")

    vswitch = _physical_network(physnet, mappings)
    _check_vlan_awareness(network_type, vswitch, ranged=bool(mappings[vswitch]))
    return Segment(network_type, vswitch, vlan)


def _segmentation_id(value: Any) -> int | None:
    """The segmentation id given as an integer; None when it is not given."""
    if not is_set(value):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _fail(f"{SEGMENTATION_ID} {value!r} is not an integer") from None


def _flat_vlan(seg_id: int | None) -> int:
    """A flat network takes no segmentation id; the database keeps -1."""
    if seg_id is not None:
        raise _fail(f"{SEGMENTATION_ID} specified for flat network")
    return constants.FLAT_VLAN_ID


def _provider_vlan(seg_id: int | None) -> int:
    if seg_id is None:
        raise _fail(f"{SEGMENTATION_ID} required")
    if not VLAN_MIN <= seg_id <= VLAN_MAX:
        raise _fail(f"{SEGMENTATION_ID} out of range ({VLAN_MIN} through {VLAN_MAX})")
    return seg_id


def _local_segment(physnet: object, seg_id: int | None) -> Segment:
    if is_set(physnet):
        raise _fail(f"{PHYSICAL_NETWORK} specified for local network")
    if seg_id is not None:
        raise _fail(f"{SEGMENTATION_ID} specified for local network")
    return Segment(constants.TYPE_LOCAL)


def _check_vlan_awareness(network_type: str, vswitch: str, ranged: bool) -> None:
    """vlan networks need a VLAN-aware vswitch (one with a range), flat a VLAN-unaware one."""
    if network_type == constants.TYPE_VLAN and not ranged:
        raise _fail(f"{PHYSICAL_NETWORK} {vswitch} is a VLAN-unaware vswitch (listed without a "
                    f"VLAN range in vswitch_mappings); vlan networks need a VLAN-aware one")
    if network_type == constants.TYPE_FLAT and ranged:
        raise _fail(f"{PHYSICAL_NETWORK} {vswitch} is a VLAN-aware vswitch; flat networks need "
                    f"a VLAN-unaware one (listed without a range in vswitch_mappings)")


def _physical_network(physnet: object, mappings: VswitchMappings) -> str:
    if not is_set(physnet):
        if DEFAULT_PHYSNET in mappings:
            return DEFAULT_PHYSNET
        raise _fail(f"{PHYSICAL_NETWORK} required")
    name = str(physnet).strip().upper()   # vswitch names are upper case, as CP shows them
    if name not in mappings:
        raise _fail(f"Unknown {PHYSICAL_NETWORK} {physnet}")
    return name


def check_no_provider_update(attrs: Mapping[str, Any]) -> None:
    if provider_given(attrs):
        raise _fail("Plugin does not support updating provider attributes")
