"""The DHCP agent RPC API as neutron 29's neutron-dhcp-agent calls it, over RabbitMQ.

An oslo.messaging client built the way the agent builds its clients (facts from
openstack/neutron at 2131d26f73262ec89a5d3e3e0d65521df4908e65):

- neutron/agent/dhcp/agent.py ``DhcpPluginApi``: topic ``q-plugin``, namespace
  ``dhcp``, base version 1.0, prepared at 1.1 (``get_active_networks_info``,
  ``create_dhcp_port``, ``update_dhcp_port``), 1.5 (``dhcp_ready_on_ports``),
  1.7 (``get_networks``), 1.8 (``get_dhcp_port(port_id)``); ``get_ports`` at
  1.0 through neutron/agent/common/base_agent_rpc.py;
- neutron/agent/rpc.py ``PluginReportStateAPI``: topic ``q-reports-plugin``,
  namespace ``agent``, version 1.4, ``report_state`` as a call (the DHCP agent
  passes ``use_call=True``) with ``uuid`` and ``availability_zone`` in the state.

Every method must get an answer, never "unsupported version" or "no such method".
"""
import datetime

import oslo_messaging
import pytest

from quantum_zvm import rpc_callbacks
from quantum_zvm.common import constants, exceptions
from quantum_zvm.common.constants import ATTR_NOT_SPECIFIED as NS
from quantum_zvm.common.context import get_admin_context
from quantum_zvm.db import models
from quantum_zvm.rpc.server import RpcServer
from tests.functional.test_rpc_oslo_interop import exchange, oslo, ours  # noqa: F401 - fixtures

pytestmark = pytest.mark.rabbitmq

ADMIN = get_admin_context()
HOST = "dhcp-guest1"
# What neutron_lib's admin context (get_admin_context_without_session) packs.
NEUTRON_CONTEXT = {"user_id": None, "project_id": None, "tenant_id": None,
                   "system_scope": "all", "domain_id": None, "user_domain_id": None,
                   "project_domain_id": None, "is_admin": True, "is_advsvc": True,
                   "read_only": False, "show_deleted": False, "auth_token": None,
                   "request_id": "req-1f1f1f1f-0000-4000-8000-000000000000",
                   "global_request_id": None, "resource_uuid": None, "roles": ["admin"],
                   "user_identity": "- - - - -", "user_name": None, "project_name": None,
                   "tenant_name": None, "timestamp": "2026-12-03 04:00:00.000000"}


@pytest.fixture
def server(plugin, ours):  # noqa: F811 - fixture from the interop module
    srv = RpcServer(ours, rpc_callbacks.TOPICS, rpc_callbacks.endpoints(plugin)).start()
    assert srv.wait_ready(20)
    yield plugin
    srv.stop()


def dhcp_client(transport, exchange):  # noqa: F811
    return oslo_messaging.get_rpc_client(transport, oslo_messaging.Target(
        exchange=exchange, topic=constants.TOPIC_PLUGIN, namespace="dhcp", version="1.0"),
        timeout=15)


def state_client(transport, exchange):  # noqa: F811
    return oslo_messaging.get_rpc_client(transport, oslo_messaging.Target(
        exchange=exchange, topic=constants.TOPIC_REPORTS, namespace="agent", version="1.4"),
        timeout=15)


def report(client, start: bool = False):
    state = {"binary": "neutron-dhcp-agent", "host": HOST, "availability_zone": "nova",
             "topic": "dhcp_agent", "agent_type": constants.AGENT_TYPE_DHCP,
             "configurations": {"dhcp_driver": "neutron.agent.linux.dhcp.Dnsmasq",
                                "dhcp_lease_duration": 86400, "log_agent_heartbeats": False,
                                "networks": 0, "subnets": 0, "ports": 0},
             "uuid": "8d6a1a2e-8f57-4c3e-9f59-0a8e3a54b7a1"}
    if start:
        state["start_flag"] = True
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return client.call(NEUTRON_CONTEXT, "report_state", agent_state={"agent_state": state},
                       time=now.strftime("%Y-%m-%dT%H:%M:%S.%f"))


def make_network(plugin):
    net = plugin.create_network(ADMIN, {"network": {
        "name": "dhcp-net", "admin_state_up": True, "tenant_id": "t1", "shared": False,
        "provider:network_type": "vlan", "provider:physical_network": "VSW1",
        "provider:segmentation_id": 120}})
    dhcp_subnet = plugin.create_subnet(ADMIN, {"subnet": {
        "name": "", "network_id": net["id"], "tenant_id": "t1", "ip_version": 4,
        "cidr": "10.9.0.0/24", "gateway_ip": NS, "allocation_pools": NS, "dns_nameservers": NS,
        "host_routes": NS, "enable_dhcp": True}})
    static_subnet = plugin.create_subnet(ADMIN, {"subnet": {
        "name": "", "network_id": net["id"], "tenant_id": "t1", "ip_version": 4,
        "cidr": "10.8.0.0/24", "gateway_ip": NS, "allocation_pools": NS, "dns_nameservers": NS,
        "host_routes": NS, "enable_dhcp": False}})
    port = plugin.create_port(ADMIN, {"port": {
        "name": "vm", "network_id": net["id"], "tenant_id": "t1", "admin_state_up": True,
        "mac_address": NS, "fixed_ips": [{"subnet_id": dhcp_subnet["id"]}], "device_id": "vm1",
        "device_owner": "compute:nova", "binding:host_id": "zhcp1",
        "binding:profile": {"zvm_userid": "LINUX01"}}})
    return net, dhcp_subnet, static_subnet, port


def test_state_reports_on_q_reports_plugin_at_1_4(server, oslo, exchange):  # noqa: F811
    client = state_client(oslo, exchange)
    assert report(client, start=True) == "new"
    assert report(client) == "alive"
    # An agent that was down (and so missed notifications) hears "revived" and resyncs.
    with server.db.transaction() as conn:
        conn.execute(models.Agent.__table__.update().values(
            heartbeat_timestamp=datetime.datetime(2020, 1, 1)))
    assert server.get_agents(ADMIN)[0]["alive"] is False
    assert report(client) == "revived"
    (agent,) = server.get_agents(ADMIN)
    assert agent["host"] == HOST and agent["alive"] is True
    assert agent["binary"] == "neutron-dhcp-agent"
    assert client.prepare(version="1.3").call(NEUTRON_CONTEXT, "has_alive_neutron_server") \
        is True
    assert [a["host"] for a in client.call(NEUTRON_CONTEXT, "get_agents", host=HOST,
                                           is_active=True)] == [HOST]
    assert client.call(NEUTRON_CONTEXT, "get_agents", host=HOST, is_active="false") == []
    with pytest.raises(exceptions.InvalidInput, match="is_active"):
        client.call(NEUTRON_CONTEXT, "get_agents", is_active="maybe")
    assert client.call(NEUTRON_CONTEXT, "delete_agent", host=HOST,
                       agent_type=constants.AGENT_TYPE_DHCP) is None
    assert server.get_agents(ADMIN) == []
    assert report(client) == "new"
    # The same endpoint still answers on q-plugin, as Quantum-era agents call it (1.0).
    legacy = oslo_messaging.get_rpc_client(oslo, oslo_messaging.Target(
        exchange=exchange, topic=constants.TOPIC_PLUGIN, version="1.0"), timeout=15)
    assert report(legacy) == "alive"


def test_a_sync_before_the_first_report_is_empty(server, oslo, exchange):  # noqa: F811
    """The agent may sync before its first state report lands: neutron answers [] (a
    failure would make the agent log an error and resync)."""
    make_network(server)
    client = dhcp_client(oslo, exchange)
    assert client.prepare(version="1.1").call(
        NEUTRON_CONTEXT, "get_active_networks_info", host=HOST, enable_dhcp_filter=False) == []


def test_every_dhcp_agent_call_at_neutron_29_versions(server, oslo, exchange):  # noqa: F811
    plugin = server
    report(state_client(oslo, exchange), start=True)
    net, dhcp_subnet, static_subnet, port = make_network(plugin)
    client = dhcp_client(oslo, exchange)

    # get_active_networks_info 1.1: sync_state asks with enable_dhcp_filter=False.
    (info,) = client.prepare(version="1.1").call(
        NEUTRON_CONTEXT, "get_active_networks_info", host=HOST, enable_dhcp_filter=False)
    assert info["id"] == net["id"] and info["project_id"] == "t1"
    assert info["admin_state_up"] is True and info["mtu"] == 1500
    assert info["non_local_subnets"] == []
    assert sorted(s["id"] for s in info["subnets"]) == sorted(
        [dhcp_subnet["id"], static_subnet["id"]])
    for subnet in info["subnets"]:
        assert subnet["subnetpool_id"] is None and subnet["project_id"] == "t1"
        assert subnet["ipv6_ra_mode"] is None and subnet["ipv6_address_mode"] is None
    assert [p["id"] for p in info["ports"]] == [port["id"]]
    assert info["ports"][0]["project_id"] == "t1"
    # The default filter keeps only DHCP-enabled subnets.
    (filtered,) = client.prepare(version="1.1").call(
        NEUTRON_CONTEXT, "get_active_networks_info", host=HOST)
    assert [s["id"] for s in filtered["subnets"]] == [dhcp_subnet["id"]]

    # get_network_info 1.0; an unknown network is None (deleted concurrently).
    one = client.call(NEUTRON_CONTEXT, "get_network_info", network_id=net["id"], host=HOST)
    assert one["project_id"] == "t1" and one["mtu"] == 1500
    assert [s["id"] for s in one["subnets"]] == [dhcp_subnet["id"]]
    assert client.call(NEUTRON_CONTEXT, "get_network_info", network_id="gone", host=HOST) \
        is None

    # create_dhcp_port 1.1 with the dict DeviceManager._setup_new_dhcp_port sends.
    device_id = f"dhcp0f0e-{net['id']}"
    dhcp_port = client.prepare(version="1.1").call(NEUTRON_CONTEXT, "create_dhcp_port", port={
        "port": {"name": "", "admin_state_up": True, "device_id": device_id,
                 "network_id": net["id"], "project_id": "t1",
                 "fixed_ips": [{"subnet_id": dhcp_subnet["id"]}]}}, host=HOST)
    assert dhcp_port["device_owner"] == "network:dhcp"
    assert dhcp_port["binding:host_id"] == HOST
    (fixed,) = dhcp_port["fixed_ips"]
    assert fixed["subnet_id"] == dhcp_subnet["id"] and fixed["ip_address"].startswith("10.9.0.")

    # update_dhcp_port 1.1 as _setup_existing_dhcp_port sends it (network_id included).
    updated = client.prepare(version="1.1").call(
        NEUTRON_CONTEXT, "update_dhcp_port", port_id=dhcp_port["id"], port={"port": {
            "network_id": net["id"],
            "fixed_ips": [{"subnet_id": dhcp_subnet["id"], "ip_address": "10.9.0.250"}]}},
        host=HOST)
    assert updated["fixed_ips"] == [{"subnet_id": dhcp_subnet["id"],
                                     "ip_address": "10.9.0.250"}]

    # get_dhcp_port 1.8 takes only port_id.
    again = client.prepare(version="1.8").call(NEUTRON_CONTEXT, "get_dhcp_port",
                                               port_id=dhcp_port["id"])
    assert again["id"] == dhcp_port["id"] and again["fixed_ips"] == updated["fixed_ips"]
    assert again["project_id"] == "t1"
    # A port deleted meanwhile is None for both, not an error.
    assert client.prepare(version="1.8").call(NEUTRON_CONTEXT, "get_dhcp_port",
                                              port_id="gone") is None
    assert client.prepare(version="1.1").call(
        NEUTRON_CONTEXT, "update_dhcp_port", port_id="gone",
        port={"port": {"network_id": net["id"], "admin_state_up": True}}, host=HOST) is None

    # get_ports 1.0 (BasePluginApi), e.g. the OVN metadata port lookup.
    found = client.prepare(version="1.0").call(NEUTRON_CONTEXT, "get_ports", filters={
        "device_owner": ["network:dhcp"], "device_id": [device_id]})
    assert [p["id"] for p in found] == [dhcp_port["id"]]
    assert client.call(NEUTRON_CONTEXT, "get_ports", filters={
        "device_owner": ["network:distributed"], "device_id": ["ovnmeta-x"]}) == []

    # get_networks 1.7 with filters and fields.
    nets = client.prepare(version="1.7").call(NEUTRON_CONTEXT, "get_networks",
                                              filters={"id": [net["id"]]}, fields=["id", "mtu"])
    assert nets == [{"id": net["id"], "mtu": 1500}]
    assert client.prepare(version="1.7").call(NEUTRON_CONTEXT, "get_networks",
                                              filters={"id": ["gone"]}) == []

    # dhcp_ready_on_ports 1.5: the agent sends a set (serialized as a list).
    assert client.prepare(version="1.5").call(NEUTRON_CONTEXT, "dhcp_ready_on_ports",
                                              port_ids={port["id"], dhcp_port["id"]}) is None

    # release_dhcp_port 1.0.
    assert client.call(NEUTRON_CONTEXT, "release_dhcp_port", network_id=net["id"],
                       device_id=device_id, host=HOST) is None
    assert plugin.get_ports(ADMIN, filters={"device_id": [device_id]}) == []


def test_the_2013_dhcp_api_still_answers(server, oslo, exchange):  # noqa: F811
    """Quantum-era calls (version 1.0, no namespace) on the same server."""
    plugin = server
    legacy = oslo_messaging.get_rpc_client(oslo, oslo_messaging.Target(
        exchange=exchange, topic=constants.TOPIC_PLUGIN, version="1.0"), timeout=15)
    report(legacy, start=True)
    net, dhcp_subnet, _, _ = make_network(plugin)
    assert legacy.call(NEUTRON_CONTEXT, "get_active_networks", host=HOST) == [net["id"]]
    port = legacy.call(NEUTRON_CONTEXT, "get_dhcp_port", network_id=net["id"],
                       device_id="dhcp-legacy", host=HOST)
    (fixed,) = port["fixed_ips"]
    assert fixed["subnet"]["id"] == dhcp_subnet["id"]
    legacy.call(NEUTRON_CONTEXT, "release_dhcp_port", network_id=net["id"],
                device_id="dhcp-legacy", host=HOST)
    assert plugin.get_ports(ADMIN, filters={"device_id": ["dhcp-legacy"]}) == []


def test_list_filters_are_applied_or_refused(server, oslo, exchange, caplog):  # noqa: F811
    """``fixed_ips`` as neutron agents send it (``{"ip_address": [...]}``) filters ports;
    a filter value that is not a value or a list of values gets InvalidInput, not a
    database error with a traceback."""
    _, _, _, port = make_network(server)
    client = dhcp_client(oslo, exchange)
    (ip,) = [fixed["ip_address"] for fixed in port["fixed_ips"]]
    assert [p["id"] for p in client.call(NEUTRON_CONTEXT, "get_ports", filters={
        "fixed_ips": {"ip_address": [ip]}})] == [port["id"]]
    assert client.call(NEUTRON_CONTEXT, "get_ports", filters={
        "fixed_ips": {"ip_address": ["10.9.0.254"]}}) == []
    calls = [(client.prepare(version="1.7"), "get_networks", {"filters": {"id": {"x": 1}}}),
             (client, "get_ports", {"filters": {"device_id": [["vm1"]]}}),
             (state_client(oslo, exchange), "get_agents", {"host": {"a": 1}})]
    for target, method, args in calls:
        with pytest.raises(exceptions.InvalidInput, match="must be a value or a list"):
            target.call(NEUTRON_CONTEXT, method, **args)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
