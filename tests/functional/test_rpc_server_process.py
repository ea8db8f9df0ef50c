"""The real quantum-zvm-server process talking RPC with an agent in another process."""
import threading

import pytest
import requests

from quantum_zvm.common import constants
from quantum_zvm.rpc import agent_api, wire
from quantum_zvm.rpc.client import RpcClient
from quantum_zvm.rpc.transport import Transport, embedded_settings, parse_transport_url
from tests.fixtures.procs import wait_for


class Notifications:
    def __init__(self):
        self.port_updates = []
        self.lock = threading.Lock()

    def port_update(self, ctx, port, network_type, segmentation_id, physical_network):
        with self.lock:
            self.port_updates.append((port["id"], port["admin_state_up"], network_type,
                                      segmentation_id, physical_network))

    def network_delete(self, ctx, network_id):
        pass


@pytest.fixture(params=["embedded", pytest.param("rabbit", marks=pytest.mark.rabbitmq)])
def server_and_transport(request, server_factory, tmp_path):
    if request.param == "embedded":
        server = server_factory()
        rpc_dir = server.config_path.parent / "rpc"  # state_path/rpc, the default
        return server, Transport(embedded_settings(".", str(rpc_dir)))
    broker = request.getfixturevalue("rabbitmq")
    exchange = f"qzvm-{wire.new_id()[:8]}"  # isolated from other tests on the broker
    server = server_factory(extra_ini=f"[DEFAULT]\ntransport_url = {broker.url}\n"
                                      f"control_exchange = {exchange}\n")
    return server, Transport(parse_transport_url(broker.url), exchange=exchange)


def test_agent_and_server_processes_exchange_calls_and_notifications(server_and_transport):
    server, transport = server_and_transport
    rest = requests.Session()

    def post(kind, **attrs):
        response = rest.post(f"{server.api}/{kind}s", json={kind: attrs}, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()[kind]

    net = post("network", name="n", **{"provider:network_type": "vlan",
                                       "provider:physical_network": "VSW1",
                                       "provider:segmentation_id": 150})
    port = post("port", network_id=net["id"], **{"binding:host_id": "zhcp1",
                                                 "binding:profile": {"zvm_userid": "LINUX01"}})
    client = RpcClient(transport, timeout=20)
    notifications = Notifications()
    consumer = agent_api.start_notification_consumer(transport, notifications)
    try:
        api = agent_api.PluginApi(client, agent_id="zvm-zhcp1", host="zhcp1")
        details = api.get_device_details(port["id"])
        assert (details["segmentation_id"], details["physical_network"]) == (150, "VSW1")
        api.report_state({"binary": constants.AGENT_BINARY_ZVM, "host": "zhcp1", "topic": "N/A",
                          "agent_type": constants.AGENT_TYPE_ZVM, "configurations": {},
                          "start_flag": True})
        agents = rest.get(f"{server.api}/agents", timeout=30).json()["agents"]
        assert [(a["host"], a["alive"]) for a in agents] == [("zhcp1", True)]
        # Neutron agents report on q-reports-plugin (RPC 1.4), which the server consumes too.
        status = client.call(None, constants.TOPIC_REPORTS, "report_state", {
            "agent_state": {"agent_state": {
                "binary": "neutron-dhcp-agent", "host": "dhcp1", "topic": "dhcp_agent",
                "agent_type": constants.AGENT_TYPE_DHCP, "configurations": {},
                "start_flag": True}},
            "time": agent_api.report_time()}, version="1.4")
        assert status == "new"
        assert api.record_zvm_binding(port["id"], "ACTIVE", userid="LINUX01", vdev="1000",
                                      vswitch="VSW1", vlan=150, port_type="ACCESS")
        shown = rest.get(f"{server.api}/ports/{port['id']}", timeout=30).json()["port"]
        assert shown["status"] == "ACTIVE"
        assert consumer.wait_ready(20)
        response = rest.put(f"{server.api}/ports/{port['id']}",
                            json={"port": {"admin_state_up": False}}, timeout=30)
        assert response.status_code == 200, response.text
        wait_for(lambda: notifications.port_updates, timeout=20, what="port_update fanout")
        assert notifications.port_updates == [(port["id"], False, "vlan", 150, "VSW1")]
    finally:
        consumer.stop()
        client.close()
