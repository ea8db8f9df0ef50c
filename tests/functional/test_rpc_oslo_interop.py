"""Interoperability with the real oslo.messaging library over RabbitMQ (recipe §5.6)."""
import threading

import oslo_messaging
import pytest
from oslo_config import cfg

from quantum_zvm import rpc_callbacks
from quantum_zvm.common import constants, exceptions
from quantum_zvm.common.constants import ATTR_NOT_SPECIFIED as NS
from quantum_zvm.common.context import get_admin_context
from quantum_zvm.rpc import agent_api, errors, wire
from quantum_zvm.rpc.client import RpcClient
from quantum_zvm.rpc.server import RpcServer
from quantum_zvm.rpc.transport import Backoff, Transport, parse_transport_url
from tests.fixtures.procs import wait_for

pytestmark = pytest.mark.rabbitmq

ADMIN = get_admin_context()
AGENT_CONTEXT = {"user_id": None, "tenant_id": None, "project_id": None, "is_admin": True,
                 "read_deleted": "no", "roles": ["admin"],
                 "timestamp": "2013-04-02 10:11:12.123456"}


@pytest.fixture
def exchange():
    return f"interop-{wire.new_id()[:8]}"


@pytest.fixture
def ours(rabbitmq, exchange):
    return Transport(parse_transport_url(rabbitmq.url), exchange=exchange,
                     backoff=Backoff(0.2, 0.3, 1.0))


@pytest.fixture
def oslo(rabbitmq):
    from oslo_messaging._metrics import client as metrics
    from oslo_messaging._tracing import client as tracing

    conf = cfg.ConfigOpts()
    # oslo.messaging registers these two groups on the global CONF only.
    conf.register_opts(metrics.oslo_messaging_metrics, group="oslo_messaging_metrics")
    conf.register_opts(tracing.oslo_messaging_tracing, group="oslo_messaging_tracing")
    conf([], project="interop", default_config_files=[])
    transport = oslo_messaging.get_rpc_transport(
        conf, url=rabbitmq.url,
        allowed_remote_exmods=["quantum_zvm.common.exceptions"])
    yield transport
    transport.cleanup()


def oslo_client(transport, exchange, topic, **kwargs):
    return oslo_messaging.get_rpc_client(
        transport, oslo_messaging.Target(exchange=exchange, topic=topic, version="1.0"),
        timeout=15, **kwargs)


class OsloEndpoint:
    target = oslo_messaging.Target(version="1.1")

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()

    def echo(self, ctxt, value):
        return value

    def context_of(self, ctxt):
        return {k: ctxt.get(k) for k in ("tenant_id", "is_admin", "roles")}

    def nothing(self, ctxt):
        return None

    def fail(self, ctxt):
        raise ValueError("oslo side failed")

    def note(self, ctxt, value):
        with self.lock:
            self.calls.append(value)


@pytest.fixture
def oslo_server(oslo, exchange):
    started = []

    def start(topic, server="oslo-host"):
        endpoint = OsloEndpoint()
        target = oslo_messaging.Target(exchange=exchange, topic=topic, server=server)
        srv = oslo_messaging.get_rpc_server(oslo, target, [endpoint], executor="threading")
        srv.start()
        started.append(srv)
        return endpoint
    yield start
    for srv in started:
        srv.stop()
        srv.wait()


@pytest.fixture
def plugin_server(plugin, ours):
    server = RpcServer(ours, [constants.TOPIC_PLUGIN], rpc_callbacks.endpoints(plugin)).start()
    assert server.wait_ready(20)
    yield plugin
    server.stop()


# --------------------------------------------------------------------------- oslo → us

def test_oslo_client_calls_the_plugin(plugin_server, oslo, exchange):
    plugin = plugin_server
    net = plugin.create_network(ADMIN, {"network": {
        "name": "n", "admin_state_up": True, "tenant_id": "t1", "shared": False,
        "provider:network_type": "flat", "provider:physical_network": "FLATSW",
        "provider:segmentation_id": NS}})
    port = plugin.create_port(ADMIN, {"port": {
        "name": "", "network_id": net["id"], "tenant_id": "t1", "admin_state_up": True,
        "mac_address": NS, "fixed_ips": NS, "device_id": "", "device_owner": "",
        "binding:host_id": "zhcp1", "binding:profile": {"zvm_userid": "LINUX02"}}})
    client = oslo_client(oslo, exchange, constants.TOPIC_PLUGIN)

    details = client.call(AGENT_CONTEXT, "get_device_details", device=port["id"],
                          agent_id="zvm1")
    assert details["port_id"] == port["id"] and details["network_type"] == "flat"
    assert details["segmentation_id"] == -1 and details["physical_network"] == "FLATSW"
    assert client.call(AGENT_CONTEXT, "get_device_details", device="gone",
                       agent_id="zvm1") == {"device": "gone"}

    # report_state returns the agent's status (RPC 1.1); Quantum-era agents ignore it.
    state = {"binary": "quantum-dhcp-agent", "host": "dhcp1", "topic": "dhcp_agent",
             "agent_type": constants.AGENT_TYPE_DHCP, "configurations": {"networks": 0},
             "start_flag": True}
    assert client.call(AGENT_CONTEXT, "report_state", agent_state={"agent_state": state},
                       time=agent_api.report_time()) == "new"
    assert [a["host"] for a in plugin.get_agents(ADMIN)] == ["dhcp1"]

    assert client.call(AGENT_CONTEXT, "get_active_networks", host="dhcp1") == [net["id"]]

    # Failures arrive as failures (not timeouts) and are re-created by oslo.messaging.
    with pytest.raises(exceptions.AgentNotFoundByTypeHost):
        client.call(AGENT_CONTEXT, "get_active_networks", host="nobody")
    with pytest.raises(AttributeError, match="No such RPC function 'no_such_method'"):
        client.call(AGENT_CONTEXT, "no_such_method")


def test_oslo_fanout_cast_reaches_our_fanout_consumer(ours, oslo, exchange):
    received = []

    class Agent:
        def port_update(self, ctx, port, network_type, segmentation_id, physical_network):
            received.append((port["id"], network_type, segmentation_id))

    topic = "q-agent-notifier-port-update"
    consumer = agent_api.start_notification_consumer(ours, Agent(), topics=[topic])
    try:
        assert consumer.wait_ready(20)
        client = oslo_client(oslo, exchange, topic).prepare(fanout=True)
        client.cast(AGENT_CONTEXT, "port_update", port={"id": "p1"}, network_type="vlan",
                    segmentation_id=7, physical_network="VSW1")
        wait_for(lambda: received, timeout=15, what="oslo fanout cast")
        assert received == [("p1", "vlan", 7)]
    finally:
        consumer.stop()


# --------------------------------------------------------------------------- us → oslo

def test_our_client_calls_an_oslo_server(ours, oslo_server):
    endpoint = oslo_server("oslo-topic")
    client = RpcClient(ours, timeout=15)
    try:
        # The oslo server declares its queues asynchronously; wait until it answers.
        wait_for(lambda: _answers(client, "oslo-topic"), timeout=20, what="oslo server")
        assert client.call(None, "oslo-topic", "echo", {"value": {"a": [1, 2]}}) == {"a": [1, 2]}
        assert client.call(None, "oslo-topic.oslo-host", "echo", {"value": "direct"}) == "direct"
        assert client.call(None, "oslo-topic", "nothing") is None
        ctx = client.call({"tenant_id": "t9", "is_admin": False, "roles": ["member"]},
                          "oslo-topic", "context_of")
        assert ctx == {"tenant_id": "t9", "is_admin": False, "roles": ["member"]}
        with pytest.raises(ValueError, match="oslo side failed"):
            client.call(None, "oslo-topic", "fail")
        with pytest.raises(errors.RemoteError) as info:
            client.call(None, "oslo-topic", "no_such_method")
        assert info.value.exc_type == "NoSuchMethod"
        client.cast(None, "oslo-topic", "note", {"value": "cast"})
        client.fanout_cast(None, "oslo-topic", "note", {"value": "fanout"})
        wait_for(lambda: len(endpoint.calls) == 2, timeout=15, what="casts at oslo")
        assert sorted(endpoint.calls) == ["cast", "fanout"]
    finally:
        client.close()


def test_our_fanout_reaches_every_oslo_server(ours, oslo_server):
    first = oslo_server("oslo-fan", server="a")
    second = oslo_server("oslo-fan", server="b")
    client = RpcClient(ours, timeout=15)
    try:
        wait_for(lambda: _answers(client, "oslo-fan.a") and _answers(client, "oslo-fan.b"),
                 timeout=20, what="oslo servers")
        client.fanout_cast(None, "oslo-fan", "note", {"value": "to all"})
        wait_for(lambda: first.calls and second.calls, timeout=15, what="fanout at oslo")
        assert first.calls == second.calls == ["to all"]
    finally:
        client.close()


def _answers(client, topic):
    try:
        return client.call(None, topic, "echo", {"value": True}, timeout=1)
    except errors.RpcTimeout:
        return False
