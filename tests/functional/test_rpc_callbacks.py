"""Plugin-side RPC callbacks and notifiers, called over RPC (embedded transport)."""
import datetime
import itertools
import threading

import pytest

from quantum_zvm import agent_notify_api, rpc_callbacks
from quantum_zvm.common import constants, exceptions
from quantum_zvm.common.constants import ATTR_NOT_SPECIFIED as NS
from quantum_zvm.common.context import get_admin_context
from quantum_zvm.rpc import agent_api
from quantum_zvm.rpc.client import RpcClient
from quantum_zvm.rpc.errors import InvalidArguments
from quantum_zvm.rpc.server import RpcServer
from quantum_zvm.rpc.transport import Transport, embedded_settings
from tests.fixtures.procs import wait_for

ADMIN = get_admin_context()


def make_network(plugin, name="n1", vlan=101, **extra):
    return plugin.create_network(ADMIN, {"network": {
        "name": name, "admin_state_up": True, "tenant_id": "t1", "shared": False,
        "provider:network_type": "vlan", "provider:physical_network": "VSW1",
        "provider:segmentation_id": vlan, **extra}})


def make_subnet(plugin, network_id, cidr="10.0.0.0/24", enable_dhcp=True):
    return plugin.create_subnet(ADMIN, {"subnet": {
        "name": "", "network_id": network_id, "tenant_id": "t1", "ip_version": 4, "cidr": cidr,
        "gateway_ip": NS, "allocation_pools": NS, "dns_nameservers": NS, "host_routes": NS,
        "enable_dhcp": enable_dhcp}})


_VDEVS = itertools.count(0x1000, 3)


def make_port(plugin, network_id, host="zhcp1", **extra):
    vdev = f"{next(_VDEVS):04X}"
    return plugin.create_port(ADMIN, {"port": {
        "name": "", "network_id": network_id, "tenant_id": "t1", "admin_state_up": True,
        "mac_address": NS, "fixed_ips": NS, "device_id": "", "device_owner": "",
        "binding:host_id": host, "binding:profile": {"zvm_userid": "LINUX01", "vdev": vdev},
        **extra}})


class Recorder:
    """An agent-side endpoint remembering what it was told."""
    RPC_API_VERSION = "1.0"

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)

        def record(ctx, **kwargs):
            with self.lock:
                self.calls.append((name, kwargs))
        return record

    def named(self, name):
        with self.lock:
            return [kw for n, kw in self.calls if n == name]


@pytest.fixture
def transport(tmp_path):
    return Transport(embedded_settings(str(tmp_path), str(tmp_path / "rpc")))


@pytest.fixture
def rpc_plugin(plugin, transport):
    """The plugin served on q-plugin with its notifier wired, as the server does."""
    client = RpcClient(transport, timeout=10)
    plugin.notifier = agent_notify_api.AgentNotifierApi(client)
    server = RpcServer(transport, [constants.TOPIC_PLUGIN], rpc_callbacks.endpoints(plugin)).start()
    assert server.wait_ready(10)
    yield plugin
    server.stop()
    client.close()


@pytest.fixture
def agent_client(transport):
    client = RpcClient(transport, timeout=10)
    yield client
    client.close()


@pytest.fixture
def api(agent_client):
    return agent_api.PluginApi(agent_client, agent_id="zvm-zhcp1", host="zhcp1")


# --------------------------------------------------------------------------- L2 / z/VM agent

def test_device_details_single_and_batch(rpc_plugin, api):
    net = make_network(rpc_plugin)
    make_subnet(rpc_plugin, net["id"])
    port = make_port(rpc_plugin, net["id"])
    details = api.get_device_details(port["id"])
    assert {k: details[k] for k in ("device", "port_id", "network_id", "admin_state_up",
                                     "network_type", "segmentation_id", "physical_network")} == {
        "device": port["id"], "port_id": port["id"], "network_id": net["id"],
        "admin_state_up": True, "network_type": "vlan", "segmentation_id": 101,
        "physical_network": "VSW1"}
    assert details["binding:profile"] == port["binding:profile"]
    assert details["binding:profile"]["zvm_userid"] == "LINUX01"
    assert details["mac_address"] == port["mac_address"]
    assert api.get_device_details("no-such-port") == {"device": "no-such-port"}
    batch = api.get_devices_details_list(["unknown", port["id"]])
    assert batch[0] == {"device": "unknown"} and batch[1]["port_id"] == port["id"]
    assert [p["port_id"] for p in api.get_ports_bound_to_host()] == [port["id"]]


def test_device_up_and_down_set_the_status(rpc_plugin, api, agent_client):
    net = make_network(rpc_plugin)
    port = make_port(rpc_plugin, net["id"])
    assert api.update_device_up(port["id"]) is None
    assert rpc_plugin.get_port(ADMIN, port["id"])["status"] == "ACTIVE"
    assert api.update_device_down(port["id"]) == {"device": port["id"], "exists": True}
    assert rpc_plugin.get_port(ADMIN, port["id"])["status"] == "DOWN"
    assert api.update_device_down("nope") == {"device": "nope", "exists": False}
    # Another host's agent does not change a port bound elsewhere.
    other = agent_api.PluginApi(agent_client, agent_id="zvm-zhcp2", host="zhcp2")
    other.update_device_up(port["id"])
    assert rpc_plugin.get_port(ADMIN, port["id"])["status"] == "DOWN"


def test_recorded_bindings_and_errors_show_on_the_port(rpc_plugin, api):
    net = make_network(rpc_plugin)
    ok, bad = make_port(rpc_plugin, net["id"]), make_port(rpc_plugin, net["id"])
    assert api.record_zvm_binding(ok["id"], "ACTIVE", zhcp_node="zhcp1", userid="LINUX01",
                                  vdev="1000", vswitch="VSW1", vlan=101, port_type="ACCESS")
    assert rpc_plugin.get_port(ADMIN, ok["id"])["status"] == "ACTIVE"
    results = api.record_zvm_bindings([
        {"port_id": bad["id"], "status": "ACTIVE", "userid": "LINUX01", "vdev": "1000",
         "vswitch": "VSW1", "error": "HCPSWU2830E VSWITCH VSW1 does not exist"},
        {"port_id": "missing", "status": "ACTIVE"},
        {"port_id": ok["id"], "status": "BOGUS"}])
    assert results == {bad["id"]: True, "missing": False, ok["id"]: False}
    failed = rpc_plugin.get_port(ADMIN, bad["id"])
    assert failed["status"] == "ERROR"
    assert "HCPSWU2830E" in str(failed["binding:vif_details"])
    with pytest.raises(exceptions.InvalidInput):
        api.record_zvm_bindings([{"port_id": ok["id"], "status": "ACTIVE", "rm -rf": 1}])


def test_a_release_from_one_zhcp_leaves_a_port_another_zhcp_holds(rpc_plugin, api):
    """A port moved between z/VM systems: the source agent's DOWN report with nothing
    applied may arrive before or after the destination's ACTIVE; it never hides it."""
    net = make_network(rpc_plugin)
    port = make_port(rpc_plugin, net["id"])
    applied = {"port_id": port["id"], "status": "ACTIVE", "userid": "LINUX01", "vdev": "1000",
               "vswitch": "VSW1", "vlan": 101, "port_type": "ACCESS"}
    released = {"port_id": port["id"], "status": "DOWN", "zhcp_node": "zhcp1"}
    assert api.record_zvm_bindings([{**applied, "zhcp_node": "zhcp2"}]) == {port["id"]: True}
    assert api.record_zvm_bindings([released]) == {port["id"]: True}
    shown = rpc_plugin.get_port(ADMIN, port["id"])
    assert shown["status"] == "ACTIVE"
    assert shown["binding:vif_details"]["zhcp_node"] == "zhcp2"
    assert shown["binding:vif_details"]["userid"] == "LINUX01"
    # the holder's own release counts
    assert api.record_zvm_bindings([{**released, "zhcp_node": "zhcp2"}]) == {port["id"]: True}
    shown = rpc_plugin.get_port(ADMIN, port["id"])
    assert shown["status"] == "DOWN" and shown["binding:vif_details"]["userid"] is None


@pytest.mark.parametrize("method, args, message", [
    ("get_device_details", {"device": 123, "host": "zhcp1"},
     "get_device_details: device must be str, not int 123"),
    ("get_devices_details_list", {"devices": ["p1", {"x": 2}]},
     "get_devices_details_list: devices must be a list of str"),
    ("update_device_up", {"device": {"a": 1}}, "update_device_up: device must be str"),
    ("get_ports_bound_to_host", {"host": ["zhcp1"]},
     "get_ports_bound_to_host: host must be str, not list"),
    ("record_zvm_binding", {"port_id": "p", "host": "zhcp1", "status": "ACTIVE", "vlan": "abc"},
     "record_zvm_binding: vlan must be int or null, not str 'abc'"),
    ("get_dhcp_port", {"network_id": "n", "device_id": [1]},
     "get_dhcp_port: device_id must be str or null, not list"),
    ("create_dhcp_port", {"port": "x"}, "create_dhcp_port: port must be an object, not str"),
    ("get_device_details", {"host": "zhcp1"},
     "get_device_details: missing a required argument: 'device'"),
    ("get_device_details", {"device": "p1", "bogus": 1},
     "get_device_details: got an unexpected keyword argument 'bogus'"),
])
def test_arguments_of_the_wrong_type_get_a_failure_naming_them(rpc_plugin, agent_client, caplog,
                                                               method, args, message):
    with pytest.raises(InvalidArguments) as info:
        agent_client.call(None, constants.TOPIC_PLUGIN, method, args)
    assert str(info.value).startswith(message)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


# --------------------------------------------------------------------------- report_state

def test_report_state_creates_and_refreshes_the_agent_row(rpc_plugin, api):
    state = {"binary": "quantum-zvm-agent", "host": "zhcp1", "topic": "N/A",
             "agent_type": constants.AGENT_TYPE_ZVM, "configurations": {"devices": 3},
             "start_flag": True}
    api.report_state(state)
    (agent,) = rpc_plugin.get_agents(ADMIN)
    assert agent["host"] == "zhcp1" and agent["alive"] is True
    assert agent["configurations"] == {"devices": 3}
    api.report_state({**state, "configurations": {"devices": 4}}, use_call=False)
    wait_for(lambda: rpc_plugin.get_agents(ADMIN)[0]["configurations"] == {"devices": 4},
             timeout=10, what="cast report to land")


def test_report_state_validates_and_ignores_stale_reports(rpc_plugin, agent_client):
    def report(args):
        return agent_client.call(None, constants.TOPIC_PLUGIN, "report_state", args)
    state = {"binary": "b", "host": "h", "topic": "t", "agent_type": "DHCP agent"}
    with pytest.raises(exceptions.InvalidInput):
        report({"agent_state": state, "time": agent_api.report_time()})  # not double-nested
    with pytest.raises(exceptions.InvalidInput):
        report({"agent_state": {"agent_state": state}, "time": "yesterday"})
    stale = agent_api.report_time(datetime.datetime(2013, 4, 2))
    report({"agent_state": {"agent_state": state}, "time": stale})
    assert rpc_plugin.get_agents(ADMIN) == []


# --------------------------------------------------------------------------- DHCP agent

@pytest.fixture
def dhcp(rpc_plugin, agent_client):
    """A registered DHCP agent on host dhcp1 and a network with a DHCP subnet."""
    agent_client.call(None, constants.TOPIC_PLUGIN, "report_state", {
        "agent_state": {"agent_state": {
            "binary": "quantum-dhcp-agent", "host": "dhcp1", "topic": "dhcp_agent",
            "agent_type": constants.AGENT_TYPE_DHCP, "configurations": {}, "start_flag": True}},
        "time": agent_api.report_time()})
    net = make_network(rpc_plugin)
    subnet = make_subnet(rpc_plugin, net["id"])
    return net, subnet


def dhcp_call(client, method, **args):
    return client.call(None, constants.TOPIC_PLUGIN, method, {**args, "host": "dhcp1"})


def test_dhcp_agent_network_sync(dhcp, agent_client, rpc_plugin):
    net, subnet = dhcp
    port = make_port(rpc_plugin, net["id"])
    assert dhcp_call(agent_client, "get_active_networks") == [net["id"]]
    info = dhcp_call(agent_client, "get_network_info", network_id=net["id"])
    assert info["id"] == net["id"] and info["provider:segmentation_id"] == 101
    assert [s["cidr"] for s in info["subnets"]] == ["10.0.0.0/24"]
    assert [p["id"] for p in info["ports"]] == [port["id"]]
    (bulk,) = dhcp_call(agent_client, "get_active_networks_info")
    assert bulk["subnets"] == info["subnets"] and [p["id"] for p in bulk["ports"]] == [port["id"]]
    with pytest.raises(exceptions.AgentNotFoundByTypeHost):
        agent_client.call(None, constants.TOPIC_PLUGIN, "get_active_networks",
                          {"host": "unknown-host"})
    # Neutron 1.9+: a network deleted meanwhile is None, not a failure.
    assert dhcp_call(agent_client, "get_network_info", network_id="no-such-net") is None


def test_dhcp_port_lifecycle(dhcp, agent_client, rpc_plugin):
    net, subnet = dhcp
    device_id = f"dhcp-{net['id']}"
    port = dhcp_call(agent_client, "get_dhcp_port", network_id=net["id"], device_id=device_id)
    assert port["device_owner"] == "network:dhcp" and port["tenant_id"] == "t1"
    (fixed,) = port["fixed_ips"]
    assert fixed["subnet"]["id"] == subnet["id"] and fixed["ip_address"].startswith("10.0.0.")
    again = dhcp_call(agent_client, "get_dhcp_port", network_id=net["id"], device_id=device_id)
    assert again["id"] == port["id"]
    # A second DHCP subnet is added to the existing port.
    second = make_subnet(rpc_plugin, net["id"], cidr="10.1.0.0/24")
    grown = dhcp_call(agent_client, "get_dhcp_port", network_id=net["id"], device_id=device_id)
    assert sorted(ip["subnet"]["id"] for ip in grown["fixed_ips"]) == sorted(
        [subnet["id"], second["id"]])
    dhcp_call(agent_client, "release_port_fixed_ip", network_id=net["id"], device_id=device_id,
              subnet_id=second["id"])
    assert [ip["subnet_id"] for ip in rpc_plugin.get_port(ADMIN, port["id"])["fixed_ips"]] == \
        [subnet["id"]]
    assert dhcp_call(agent_client, "update_lease_expiration", network_id=net["id"],
                     ip_address=fixed["ip_address"], lease_remaining=120) is None
    dhcp_call(agent_client, "release_dhcp_port", network_id=net["id"], device_id=device_id)
    with pytest.raises(exceptions.PortNotFound):
        rpc_plugin.get_port(ADMIN, port["id"])


def test_create_and_update_dhcp_port_validate_like_the_api(dhcp, agent_client, rpc_plugin):
    net, subnet = dhcp
    port = dhcp_call(agent_client, "create_dhcp_port", port={"port": {
        "network_id": net["id"], "device_id": "dhcp-x", "fixed_ips": [{"subnet_id": subnet["id"]}],
        "admin_state_up": True, "name": ""}})
    assert port["device_owner"] == "network:dhcp" and port["binding:host_id"] == "dhcp1"
    updated = dhcp_call(agent_client, "update_dhcp_port", port_id=port["id"], port={"port": {
        "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": "10.0.0.200"}]}})
    assert updated["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.0.0.200"}]
    with pytest.raises(exceptions.InvalidInput):
        dhcp_call(agent_client, "create_dhcp_port", port={"port": {
            "network_id": net["id"], "fixed_ips": [{"ip_address": "not-an-ip"}]}})
    with pytest.raises(exceptions.InvalidInput):
        dhcp_call(agent_client, "update_dhcp_port", port_id=port["id"],
                  port={"port": {"binding:vif_type": "ovs"}})


# --------------------------------------------------------------------------- notifications

def test_l2_agents_hear_port_updates_and_network_deletes(rpc_plugin, transport):
    recorder = Recorder()
    consumer = agent_api.start_notification_consumer(transport, recorder)
    try:
        assert consumer.wait_ready(10)
        net = make_network(rpc_plugin)
        port = make_port(rpc_plugin, net["id"])
        rpc_plugin.update_port(ADMIN, port["id"], {"port": {"admin_state_up": False}})
        # one for the port created bound to a host, one for the update
        wait_for(lambda: len(recorder.named("port_update")) == 2, timeout=10,
                 what="port_update")
        created, update = recorder.named("port_update")
        assert created["port"]["id"] == port["id"] and created["port"]["admin_state_up"] is True
        assert update["port"]["id"] == port["id"] and update["port"]["admin_state_up"] is False
        assert (update["network_type"], update["segmentation_id"],
                update["physical_network"]) == ("vlan", 101, "VSW1")
        rpc_plugin.delete_port(ADMIN, port["id"])
        rpc_plugin.delete_network(ADMIN, net["id"])
        wait_for(lambda: recorder.named("network_delete"), timeout=10, what="network_delete")
        assert recorder.named("network_delete") == [{"network_id": net["id"]}]
    finally:
        consumer.stop()


def test_dhcp_notifications_reach_the_hosting_agent(dhcp, rpc_plugin, transport, agent_client):
    net, subnet = dhcp
    agent = Recorder()
    server = RpcServer(transport, [constants.TOPIC_DHCP_AGENT], [agent], host="dhcp1",
                       fanout=True).start()
    notifier = agent_notify_api.DhcpAgentNotifyAPI(agent_client, rpc_plugin)
    try:
        assert server.wait_ready(10)
        # Before any binding exists, port_create_end schedules the network first.
        port = make_port(rpc_plugin, net["id"])
        notifier.notify(ADMIN, {"port": port}, "port_create_end")
        wait_for(lambda: len(agent.calls) >= 2, timeout=10, what="DHCP casts")
        assert agent.calls[:2] == [
            ("network_create_end", {"payload": {"network": {"id": net["id"]}}}),
            ("port_create_end", {"payload": {"port": port}})]
        notifier.notify(ADMIN, {"port_id": port["id"], "network_id": net["id"]},
                        "port.delete.end")
        notifier.notify(ADMIN, {"network_id": net["id"], "network_id_extra": 1},
                        "network_delete_end")
        notifier.notify(ADMIN, {"subnet_id": subnet["id"]}, "subnet_delete_end")  # no network
        wait_for(lambda: len(agent.calls) >= 4, timeout=10, what="delete casts")
        # Host queue and fanout queue are separate queues: no order between them.
        assert sorted(agent.calls[2:]) == [
            ("network_delete_end", {"payload": {"network_id": net["id"]}}),
            ("port_delete_end", {"payload": {"port_id": port["id"], "network_id": net["id"]}})]
    finally:
        server.stop()


def test_dhcp_notifications_skip_disabled_agents(dhcp, rpc_plugin, transport, agent_client):
    net, _ = dhcp
    agent = Recorder()
    server = RpcServer(transport, [constants.TOPIC_DHCP_AGENT], [agent], host="dhcp1").start()
    notifier = agent_notify_api.DhcpAgentNotifyAPI(agent_client, rpc_plugin)
    try:
        assert server.wait_ready(10)
        assert dhcp_call(agent_client, "get_active_networks") == [net["id"]]  # binds it
        (row,) = rpc_plugin.get_agents(ADMIN)
        rpc_plugin.update_agent(ADMIN, row["id"], {"agent": {"admin_state_up": False}})
        notifier.notify(ADMIN, {"network": net}, "network_update_end")
        notifier.notify(ADMIN, {"port": make_port(rpc_plugin, net["id"])}, "port_create_end")
        rpc_plugin.update_agent(ADMIN, row["id"], {"agent": {"admin_state_up": True}})
        notifier.notify(ADMIN, {"network": net}, "network_update_end")
        wait_for(lambda: agent.calls, timeout=10, what="cast to the re-enabled agent")
        assert [name for name, _ in agent.calls] == ["network_update_end"]
    finally:
        server.stop()


@pytest.mark.parametrize("payload, event, expected", [
    ({"network": {"id": "n"}}, "network.create.end",
     ("network_create_end", {"network": {"id": "n"}}, "n")),
    ({"subnet": {"id": "s", "network_id": "n"}}, "subnet_update_end",
     ("subnet_update_end", {"subnet": {"id": "s", "network_id": "n"}}, "n")),
    ({"network_id": "n"}, "network_delete_end", ("network_delete_end", {"network_id": "n"}, "n")),
    # Delete payloads carry network_id for subnets and ports: the neutron agent reads it.
    ({"port": {"id": "p", "network_id": "n"}}, "port_delete_end",
     ("port_delete_end", {"port_id": "p", "network_id": "n"}, "n")),
    ({"port_id": "p", "network_id": "n"}, "port_delete_end",
     ("port_delete_end", {"port_id": "p", "network_id": "n"}, "n")),
    ({"subnet_id": "s", "network_id": "n"}, "subnet.delete.end",
     ("subnet_delete_end", {"subnet_id": "s", "network_id": "n"}, "n")),
    ({"port_id": "p"}, "port_delete_end", None),
    ({"router": {"id": "r"}}, "router_create_end", None),
    ({"port": {"id": "p"}}, "port_create_start", None),
])
def test_plan_dhcp_notification(payload, event, expected):
    plan = agent_notify_api.plan_dhcp_notification(payload, event)
    assert (plan and (plan.method, plan.payload, plan.network_id)) == expected or \
        (plan is None and expected is None)
