"""Plugin → agent notifications (reference §3.3, §4.2).

:class:`AgentNotifierApi` is the plugin's ``notifier``: fanout casts of
``port_update(port, network_type, segmentation_id, physical_network)`` on
``q-agent-notifier-port-update`` and ``network_delete(network_id)`` on
``q-agent-notifier-network-delete`` to every L2 agent.

:class:`DhcpAgentNotifyAPI` is the REST application's ``dhcp_notifier``:
``notify(ctx, payload, event)`` with events ``<resource>_<op>_end`` (dots
are accepted too) becomes a cast of that method with the single argument
``payload`` to ``dhcp_agent.<host>`` of every live, admin-up DHCP agent
bound to the network; ``network_delete_end`` is a fanout on ``dhcp_agent``
(the bindings are gone by then).  Before ``port_create_end`` the network is
scheduled (a live DHCP agent is bound if none hosts it) and the chosen
agent first gets ``network_create_end`` with ``{"network": {"id"}}``.  Which
agents to tell is one read of the DHCP agents (no more when there is none or
the network is hosted already).  The
payload sent is ``{"<resource>": <dict>}`` for create/update and
``{"<resource>_id": <id>}`` for delete, plus ``network_id`` for subnets and
ports (neutron/api/rpc/agentnotifiers/dhcp_rpc_agent_api.py ``notify`` at
openstack/neutron 2131d26f73262ec89a5d3e3e0d65521df4908e65); an event whose network cannot be
derived is dropped.  :func:`plan_dhcp_notification` is the pure part.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from quantum_zvm.common import constants
from quantum_zvm.common.context import Context, get_admin_context
from quantum_zvm.rpc.client import RpcClient

LOG = logging.getLogger(__name__)

DHCP_RESOURCES = ("network", "subnet", "port")
DHCP_OPS = ("create", "update", "delete")
DHCP_RPC_VERSION = "1.0"


def agent_topic(resource: str, op: str, prefix: str = constants.TOPIC_AGENT) -> str:
    """``q-agent-notifier-<resource>-<op>``."""
    return f"{prefix}-{resource}-{op}"


class AgentNotifierApi:
    """Fanout casts to L2 agents; the plugin's ``notifier``."""

    def __init__(self, client: RpcClient, topic_prefix: str = constants.TOPIC_AGENT):
        self.client = client
        self.port_update_topic = agent_topic(constants.PORT, constants.UPDATE, topic_prefix)
        self.network_delete_topic = agent_topic(constants.NETWORK, constants.DELETE,
                                                topic_prefix)

    def port_update(self, ctx: Context, port: Mapping[str, Any], network_type: str | None,
                    segmentation_id: int | None, physical_network: str | None) -> None:
        self.client.fanout_cast(ctx, self.port_update_topic, "port_update",
                                {"port": dict(port), "network_type": network_type,
                                 "segmentation_id": segmentation_id,
                                 "physical_network": physical_network})

    def network_delete(self, ctx: Context, network_id: str) -> None:
        self.client.fanout_cast(ctx, self.network_delete_topic, "network_delete",
                                {"network_id": network_id})


@dataclasses.dataclass(frozen=True)
class DhcpNotification:
    method: str
    payload: dict[str, Any]
    network_id: str


def plan_dhcp_notification(payload: Mapping[str, Any], event: str) -> DhcpNotification | None:
    """What to send for an API event, or None when it is not a DHCP event or has no network."""
    method = event.replace(".", "_")
    resource, _, rest = method.partition("_")
    op = rest[:-len("_end")] if rest.endswith("_end") else ""
    if resource not in DHCP_RESOURCES or op not in DHCP_OPS:
        return None
    obj = payload.get(resource)
    if op == "delete":
        obj_id = payload.get(f"{resource}_id") or (obj.get("id") if isinstance(obj, Mapping)
                                                   else None)
        network_id = obj_id if resource == "network" else (
            payload.get("network_id") or (obj.get("network_id") if isinstance(obj, Mapping)
                                          else None))
        if not obj_id or not network_id:
            return None
        deleted = {f"{resource}_id": obj_id}
        if resource != "network":
            deleted["network_id"] = network_id  # the neutron agent reads it (KeyError without)
        return DhcpNotification(method, deleted, network_id)
    if not isinstance(obj, Mapping):
        return None
    network_id = obj.get("id") if resource == "network" else obj.get("network_id")
    if not network_id:
        return None
    return DhcpNotification(method, {resource: dict(obj)}, network_id)


class DhcpAgentNotifyAPI:
    """Casts to DHCP agents; the REST application's ``dhcp_notifier``."""

    def __init__(self, client: RpcClient, plugin: Any, topic: str = constants.TOPIC_DHCP_AGENT):
        self.client = client
        self.plugin = plugin
        self.topic = topic

    def notify(self, ctx: Context, payload: Mapping[str, Any], event: str) -> None:
        plan = plan_dhcp_notification(payload, event)
        if plan is None:
            LOG.debug("no DHCP notification for %s", event)
            return
        if plan.method == "network_delete_end":
            self.client.fanout_cast(ctx, self.topic, plan.method, {"payload": plan.payload},
                                    version=DHCP_RPC_VERSION)
            return
        agents, chosen = self.plugin.dhcp_agents_to_notify(
            get_admin_context(), plan.network_id, schedule=plan.method == "port_create_end")
        if chosen:
            self._cast(ctx, chosen, "network_create_end", {"network": {"id": plan.network_id}})
        for agent in agents:
            self._cast(ctx, agent, plan.method, plan.payload)

    def _cast(self, ctx: Context, agent: Mapping[str, Any], method: str,
              payload: Mapping[str, Any]) -> None:
        topic = f"{agent.get('topic') or self.topic}.{agent['host']}"
        self.client.cast(ctx, topic, method, {"payload": dict(payload)}, version=DHCP_RPC_VERSION)
