"""The agent_scheduler extension: which DHCP agents serve which networks (admin only).

``GET|POST /v2.0/agents/<id>/dhcp-networks``,
``DELETE /v2.0/agents/<id>/dhcp-networks/<network id>`` and
``GET /v2.0/networks/<id>/dhcp-agents``, served by the plugin's
``list_networks_on_dhcp_agent``, ``add_network_to_dhcp_agent``,
``remove_network_from_dhcp_agent`` and ``list_dhcp_agents_hosting_network``.
"""
from __future__ import annotations

from typing import Any

from quantum_zvm.api import faults
from quantum_zvm.api.validators import uuid
from quantum_zvm.common import exceptions
from quantum_zvm.common.context import Context


class SchedulerController:
    def __init__(self, plugin: Any):
        self.plugin = plugin

    @staticmethod
    def _admin(ctx: Context, action: str) -> None:
        if not ctx.is_admin:
            raise exceptions.PolicyNotAuthorized(action=action)

    def list_networks(self, ctx: Context, agent_id: str) -> dict:
        self._admin(ctx, "get_dhcp-networks")
        return {"networks": self.plugin.list_networks_on_dhcp_agent(ctx, agent_id)}

    def add_network(self, ctx: Context, agent_id: str, body: Any) -> None:
        self._admin(ctx, "create_dhcp-network")
        if not isinstance(body, dict) or set(body) != {"network_id"}:
            raise faults.bad_request("Expected a body {\"network_id\": <network uuid>}")
        reason = uuid(body["network_id"])
        if reason:
            raise faults.bad_request(f"Invalid input for network_id. Reason: {reason}.")
        self.plugin.add_network_to_dhcp_agent(ctx, agent_id, body["network_id"])

    def remove_network(self, ctx: Context, agent_id: str, network_id: str) -> None:
        self._admin(ctx, "delete_dhcp-network")
        self.plugin.remove_network_from_dhcp_agent(ctx, agent_id, network_id)

    def list_agents(self, ctx: Context, network_id: str) -> dict:
        self._admin(ctx, "get_dhcp-agents")
        return {"agents": self.plugin.list_dhcp_agents_hosting_network(ctx, network_id)}
