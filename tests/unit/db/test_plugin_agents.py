"""ZvmPlugin agents: state reports, liveness, admin updates, DHCP scheduling."""
import datetime

import pytest
import sqlalchemy as sa

from quantum_zvm.common import constants, exceptions
from quantum_zvm.db import models


def report(plugin, ctx, host, agent_type=constants.AGENT_TYPE_DHCP, **extra):
    return plugin.create_or_update_agent(ctx, {
        "agent_type": agent_type, "host": host, "binary": "quantum-dhcp-agent",
        "topic": "dhcp_agent", "configurations": {"networks": 0}, **extra})


def age(plugin, agent_id, seconds):
    table = models.Agent.__table__
    with plugin.db.transaction() as conn:
        conn.execute(table.update().where(table.c.id == agent_id).values(
            heartbeat_timestamp=datetime.datetime.utcnow() - datetime.timedelta(seconds=seconds)))


def test_state_reports_upsert_by_type_and_host(plugin, admin_ctx):
    first = report(plugin, admin_ctx, "net1", start_flag=True)
    again = report(plugin, admin_ctx, "net1", configurations={"networks": 3})
    assert again["id"] == first["id"]
    assert again["configurations"] == {"networks": 3}
    assert again["started_at"] == first["started_at"] and again["alive"] is True
    zvm = report(plugin, admin_ctx, "net1", agent_type=constants.AGENT_TYPE_ZVM)
    assert zvm["id"] != first["id"]
    assert len(plugin.get_agents(admin_ctx)) == 2
    assert [a["id"] for a in plugin.get_agents(
        admin_ctx, filters={"agent_type": [constants.AGENT_TYPE_ZVM]})] == [zvm["id"]]
    assert plugin.get_agents(admin_ctx, fields=["id", "alive"], filters={"id": [zvm["id"]]}) \
        == [{"id": zvm["id"], "alive": True}]
    with pytest.raises(exceptions.InvalidInput, match="agent state needs"):
        plugin.create_or_update_agent(admin_ctx, {"host": "x"})


def test_liveness_follows_agent_down_time(plugin, admin_ctx):
    agent = report(plugin, admin_ctx, "net1")
    age(plugin, agent["id"], plugin.conf.agent_down_time + 1)
    assert plugin.get_agent(admin_ctx, agent["id"])["alive"] is False
    assert plugin.get_agents(admin_ctx, filters={"alive": [False]})[0]["id"] == agent["id"]
    assert report(plugin, admin_ctx, "net1")["alive"] is True


def test_only_admin_state_and_description_change_and_delete(plugin, admin_ctx):
    agent = report(plugin, admin_ctx, "net1")
    updated = plugin.update_agent(admin_ctx, agent["id"], {"agent": {
        "admin_state_up": False, "description": "maintenance", "host": "ignored"}})
    assert (updated["admin_state_up"], updated["description"], updated["host"]) == \
        (False, "maintenance", "net1")
    plugin.delete_agent(admin_ctx, agent["id"])
    with pytest.raises(exceptions.AgentNotFound):
        plugin.get_agent(admin_ctx, agent["id"])
    with pytest.raises(exceptions.AgentNotFound):
        plugin.delete_agent(admin_ctx, agent["id"])


def test_dhcp_auto_scheduling_and_active_networks(plugin, admin_ctx):
    up = plugin.create_network(admin_ctx, {"network": {"name": "up"}})
    down = plugin.create_network(admin_ctx, {"network": {"name": "down",
                                                         "admin_state_up": False}})
    with pytest.raises(exceptions.AgentNotFoundByTypeHost):
        plugin.get_active_networks_for_host(admin_ctx, "net1")
    agent = report(plugin, admin_ctx, "net1")
    assert plugin.get_active_networks_for_host(admin_ctx, "net1") == [up["id"]]
    hosting = plugin.list_dhcp_agents_hosting_network(admin_ctx, down["id"])
    assert [a["id"] for a in hosting] == [agent["id"]]   # bound, though admin down
    other = report(plugin, admin_ctx, "net2")
    assert plugin.get_active_networks_for_host(admin_ctx, "net2") == []  # all hosted already
    plugin.update_agent(admin_ctx, agent["id"], {"agent": {"admin_state_up": False}})
    assert plugin.get_active_networks_for_host(admin_ctx, "net1") == []
    assert plugin.get_dhcp_agents_hosting_networks(admin_ctx, [up["id"]]) == []
    assert [a["id"] for a in plugin.get_dhcp_agents_hosting_networks(
        admin_ctx, [up["id"]], active=False)] == [agent["id"]]
    # a network whose only agent is unusable is scheduled to a live one
    chosen = plugin.schedule_network(admin_ctx, up)
    assert chosen["id"] == other["id"]
    assert plugin.schedule_network(admin_ctx, up["id"]) is None
    assert sorted(n["id"] for n in plugin.list_networks_on_dhcp_agent(admin_ctx, other["id"])) \
        == [up["id"]]


def test_scheduling_skips_dead_agents(plugin, admin_ctx):
    network = plugin.create_network(admin_ctx, {"network": {"name": "n"}})
    agent = report(plugin, admin_ctx, "net1")
    age(plugin, agent["id"], 3600)
    assert plugin.schedule_network(admin_ctx, network) is None
    report(plugin, admin_ctx, "net1")
    assert plugin.schedule_network(admin_ctx, network)["id"] == agent["id"]


def test_admin_binding_operations(plugin, admin_ctx):
    network = plugin.create_network(admin_ctx, {"network": {"name": "n"}})
    dhcp = report(plugin, admin_ctx, "net1")
    zvm = report(plugin, admin_ctx, "zhcp1", agent_type=constants.AGENT_TYPE_ZVM)
    with pytest.raises(exceptions.InvalidDHCPAgent) as info:
        plugin.add_network_to_dhcp_agent(admin_ctx, zvm["id"], network["id"])
    assert info.value.status_code == 400
    plugin.add_network_to_dhcp_agent(admin_ctx, dhcp["id"], network["id"])
    with pytest.raises(exceptions.NetworkHostedByDHCPAgent):
        plugin.add_network_to_dhcp_agent(admin_ctx, dhcp["id"], network["id"])
    with pytest.raises(exceptions.NetworkNotFound):
        plugin.add_network_to_dhcp_agent(admin_ctx, dhcp["id"], "nope")
    plugin.remove_network_from_dhcp_agent(admin_ctx, dhcp["id"], network["id"])
    with pytest.raises(exceptions.NetworkNotHostedByDhcpAgent):
        plugin.remove_network_from_dhcp_agent(admin_ctx, dhcp["id"], network["id"])
    assert plugin.list_networks_on_dhcp_agent(admin_ctx, dhcp["id"]) == []


def test_deleting_a_network_or_agent_removes_bindings(plugin, admin_ctx):
    network = plugin.create_network(admin_ctx, {"network": {"name": "n"}})
    agent = report(plugin, admin_ctx, "net1")
    plugin.get_active_networks_for_host(admin_ctx, "net1")
    plugin.delete_agent(admin_ctx, agent["id"])
    table = models.NetworkDhcpAgentBinding.__table__
    with plugin.db.transaction(write=False) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
    plugin.delete_network(admin_ctx, network["id"])
