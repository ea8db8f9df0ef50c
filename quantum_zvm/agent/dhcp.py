"""DHCP-agent coupling: which VLANs the DHCP guest must trunk.

The quantum DHCP agent runs on a z/VM guest (``dhcp_userid``) with one NIC
per managed vswitch in TRUNK mode and a VLAN interface per network.  It
needs exactly the VLANs of the networks that (a) have a DHCP-enabled subnet
and (b) have ports on this z/VM host; on a flat vswitch a plain grant.

:func:`dhcp_vlans` is the pure part; :class:`DhcpNetworks` asks the plugin
(``get_network_info``, one call per network, only for networks it has not
seen or when told to refresh).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from quantum_zvm.agent.desired import Network, network_of
from quantum_zvm.agent.model import VswitchSpec
from quantum_zvm.common import constants

LOG = logging.getLogger(__name__)


def has_dhcp(network_info: Mapping[str, Any]) -> bool:
    """True when one of the network's subnets has DHCP enabled."""
    return any(s.get("enable_dhcp") for s in network_info.get("subnets") or []
               if isinstance(s, Mapping))


def dhcp_vlans(networks: Iterable[Network], with_dhcp: set[str],
               specs: Mapping[str, VswitchSpec]) -> dict[str, frozenset[int]]:
    """``{vswitch: VLANs}`` the DHCP guest needs (empty set: flat vswitch, plain grant)."""
    out: dict[str, set[int]] = {}
    for network in networks:
        if network.network_id not in with_dhcp or network.vswitch not in specs:
            continue
        vlans = out.setdefault(network.vswitch, set())
        if network.vlan is not None:
            vlans.add(network.vlan)
    return {name: frozenset(v) for name, v in out.items()}


class DhcpNetworks:
    """Caches which networks have DHCP-enabled subnets."""

    def __init__(self, rpc_client, host: str):
        self.rpc = rpc_client
        self.host = host
        self.with_dhcp: dict[str, bool] = {}

    def refresh(self, network_ids: Iterable[str], everything: bool = False) -> set[str]:
        """Ask about networks not known yet (all of them with ``everything``);
        returns the ids of networks with DHCP.  RPC errors propagate."""
        ids = sorted(set(network_ids))
        for network_id in ids:
            if everything or network_id not in self.with_dhcp:
                info = self.rpc.call(None, constants.TOPIC_PLUGIN, "get_network_info",
                                     {"network_id": network_id, "host": self.host})
                self.with_dhcp[network_id] = has_dhcp(info or {})
        for stale in set(self.with_dhcp) - set(ids):
            del self.with_dhcp[stale]
        return {n for n in ids if self.with_dhcp.get(n)}

    def forget(self, network_id: str) -> None:
        self.with_dhcp.pop(network_id, None)


def networks_of(details: Iterable[Mapping[str, Any]]) -> list[Network]:
    """The distinct usable networks among port details: the first usable one of each
    network id.  A port of a network already found is not validated again (a cycle
    asks this of every port handed to the agent: 10,000 ports on a few networks)."""
    seen: dict[str, Network] = {}
    for item in details:
        if "network_id" not in item or str(item["network_id"]) in seen:
            continue
        network = network_of(item)
        if not isinstance(network, str):
            seen[network.network_id] = network
    return list(seen.values())
