"""The API application over a real plugin (SQLite), in-process through WebOb."""
import json

import pytest
import webob

from quantum_zvm.api import router

ADMIN = {}
T1 = {"X-Project-Id": "tenant-a", "X-Roles": "member"}
T2 = {"X-Project-Id": "tenant-b", "X-Roles": "member"}


class RecordingNotifier:
    """The DHCP notifier interface (``notify(ctx, payload, event)``), recording calls."""

    def __init__(self):
        self.events = []

    def notify(self, ctx, payload, event):
        self.events.append((event, payload))


@pytest.fixture
def api(plugin):
    app, core = router.build_app(plugin, plugin.conf)
    core.dhcp_notifier = RecordingNotifier()

    def call(method, path, body=None, headers=ADMIN, status=None):
        request = webob.Request.blank("/v2.0" + path, method=method, headers=headers)
        if body is not None:
            request.body = json.dumps(body).encode()
            request.content_type = "application/json"
        response = request.get_response(app)
        if status is not None:
            assert response.status_int == status, response.text
        return response
    call.events = core.dhcp_notifier.events
    call.plugin = plugin
    return call


def test_dhcp_notifications_for_single_changes_only(api):
    net = api("POST", "/networks", {"network": {"name": "n"}}, status=201).json["network"]
    subnet = api("POST", "/subnets", {"subnet": {"network_id": net["id"], "ip_version": 4,
                                                 "cidr": "10.9.0.0/24"}}, status=201).json
    port = api("POST", "/ports", {"port": {"network_id": net["id"]}}, status=201).json["port"]
    api("PUT", f"/ports/{port['id']}", {"port": {"name": "x"}}, status=200)
    api("POST", "/ports", {"ports": [{"network_id": net["id"]}]}, status=201)   # bulk: silent
    api("DELETE", f"/ports/{port['id']}", status=204)
    events = [event for event, _ in api.events]
    assert events == ["network_create_end", "subnet_create_end", "port_create_end",
                      "port_update_end", "port_delete_end"]
    assert api.events[1][1] == subnet
    assert api.events[2][1]["port"]["id"] == port["id"]
    assert api.events[4][1] == {"port_id": port["id"], "network_id": net["id"]}
    api.plugin.conf.set_override("dhcp_agent_notification", False)
    api("PUT", f"/networks/{net['id']}", {"network": {"name": "m"}}, status=200)
    assert len(api.events) == 5


def test_failed_request_sends_nothing(api):
    api("POST", "/networks", {"network": {"provider:network_type": "vlan"}}, status=400)
    assert api.events == []


def test_port_mac_needs_network_owner(api):
    shared = api("POST", "/networks", {"network": {"shared": True}}, status=201).json["network"]
    response = api("POST", "/ports", {"port": {"network_id": shared["id"],
                                               "mac_address": "02:00:0a:00:12:34"}}, T1)
    assert response.status_int == 403
    api("POST", "/ports", {"port": {"network_id": shared["id"]}}, T1, status=201)
    own = api("POST", "/networks", {"network": {}}, T1, status=201).json["network"]
    port = api("POST", "/ports", {"port": {"network_id": own["id"],
                                           "mac_address": "02:00:0a:00:12:35"}}, T1,
               status=201).json["port"]
    assert port["mac_address"] == "02:00:0a:00:12:35"


def test_update_of_other_tenants_port_is_404_and_fields_work(api):
    net = api("POST", "/networks", {"network": {}}, T1, status=201).json["network"]
    port = api("POST", "/ports", {"port": {"network_id": net["id"]}}, T1,
               status=201).json["port"]
    api("PUT", f"/ports/{port['id']}", {"port": {"name": "x"}}, T2, status=404)
    shown = api("GET", f"/ports/{port['id']}?fields=status&fields=binding:host_id",
                headers=T1, status=200).json["port"]
    assert shown == {"status": "DOWN"}
    shown = api("GET", f"/ports/{port['id']}?fields=status&fields=binding:host_id",
                status=200).json["port"]
    assert set(shown) == {"status", "binding:host_id"}


def test_agents_and_dhcp_scheduling(api):
    agent = api.plugin.create_or_update_agent(None, {
        "agent_type": "DHCP agent", "host": "dhcp1", "binary": "quantum-dhcp-agent",
        "topic": "dhcp_agent", "configurations": {"networks": 0}, "start_flag": True})
    listed = api("GET", "/agents", status=200).json["agents"]
    assert [a["host"] for a in listed] == ["dhcp1"] and listed[0]["alive"] is True
    assert api("GET", "/agents", headers=T1, status=200).json == {"agents": []}
    api("GET", f"/agents/{agent['id']}", headers=T1, status=404)
    updated = api("PUT", f"/agents/{agent['id']}", {"agent": {"description": "rack 4"}},
                  status=200).json["agent"]
    assert updated["description"] == "rack 4"
    api("PUT", f"/agents/{agent['id']}", {"agent": {"host": "x"}}, status=400)
    net = api("POST", "/networks", {"network": {}}, status=201).json["network"]
    api("POST", f"/agents/{agent['id']}/dhcp-networks", {"network_id": net["id"]}, status=201)
    hosted = api("GET", f"/agents/{agent['id']}/dhcp-networks", status=200).json["networks"]
    assert [n["id"] for n in hosted] == [net["id"]]
    hosting = api("GET", f"/networks/{net['id']}/dhcp-agents", status=200).json["agents"]
    assert [a["id"] for a in hosting] == [agent["id"]]
    api("GET", f"/networks/{net['id']}/dhcp-agents", headers=T1, status=403)
    api("DELETE", f"/agents/{agent['id']}/dhcp-networks/{net['id']}", status=204)
    assert api("GET", f"/agents/{agent['id']}/dhcp-networks").json["networks"] == []
    api("DELETE", f"/agents/{agent['id']}", status=204)
    api("GET", f"/agents/{agent['id']}", status=404)


def test_agents_sorted_and_paged(api):
    for host in ("c", "a", "b"):
        api.plugin.create_or_update_agent(None, {
            "agent_type": "DHCP agent", "host": host, "binary": "quantum-dhcp-agent",
            "topic": "dhcp_agent", "configurations": {}})
    page = api("GET", "/agents?sort_key=host&limit=2", status=200).json
    assert [a["host"] for a in page["agents"]] == ["a", "b"]
    assert [link["rel"] for link in page["agents_links"]] == ["next"]


def test_a_list_request_pauses_the_collector_and_turns_it_back_on(api, monkeypatch):
    """A collection GET runs with the cyclic garbage collector off (its items have no
    cycle), also when the plugin fails, and leaves it on."""
    import gc

    net = api("POST", "/networks", {"network": {"name": "n"}}, status=201).json["network"]
    api("POST", "/ports", {"port": {"network_id": net["id"]}}, status=201)
    seen = []
    get_ports = api.plugin.get_ports

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return get_ports(*args, **kwargs)

    monkeypatch.setattr(api.plugin, "get_ports", spy)
    assert len(api("GET", "/ports", status=200).json["ports"]) == 1
    assert seen == [False] and gc.isenabled()

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(api.plugin, "get_ports", broken)
    assert api("GET", "/ports").status_int == 500 and gc.isenabled()
