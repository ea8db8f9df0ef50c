"""Networks, subnets and ports through a real quantum-zvm-server (HTTP on loopback)."""
import json
import socket
import uuid

import pytest
import requests

ADMIN = {}                                   # noauth: no identity headers = admin
T1 = {"X-Project-Id": "tenant1", "X-User-Id": "u1", "X-Roles": "member"}
T2 = {"X-Project-Id": "tenant2", "X-User-Id": "u2", "X-Roles": "member"}


@pytest.fixture(scope="module")
def api(api_server):
    return Client(api_server.api)


class Client:
    def __init__(self, base):
        self.base = base
        self.session = requests.Session()

    def call(self, method, path, body=None, headers=ADMIN, expect=None, **kwargs):
        response = self.session.request(method, self.base + path, json=body,
                                        headers=headers, timeout=30, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.text)
        if response.status_code >= 400:
            error = response.json()["NeutronError"]
            assert set(error) == {"type", "message", "detail"}
            assert "Traceback" not in response.text
        return response

    def create(self, kind, headers=ADMIN, **attrs):
        return self.call("POST", f"/{kind}s", {kind: attrs}, headers, expect=201).json()[kind]


def message(response):
    return response.json()["NeutronError"]["message"]


def test_network_lifecycle_with_provider_attributes(api):
    net = api.create("network", name="prov", **{"provider:network_type": "vlan",
                                                 "provider:physical_network": "VSW1",
                                                 "provider:segmentation_id": 150})
    assert net["provider:segmentation_id"] == 150 and net["status"] == "ACTIVE"
    assert net["project_id"] == net["tenant_id"] == "admin"
    shown = api.call("GET", f"/networks/{net['id']}", expect=200).json()["network"]
    assert shown["provider:physical_network"] == "VSW1"
    updated = api.call("PUT", f"/networks/{net['id']}", {"network": {"name": "renamed"}},
                       expect=200).json()["network"]
    assert updated["name"] == "renamed"
    response = api.call("PUT", f"/networks/{net['id']}",
                        {"network": {"provider:segmentation_id": 151}})
    assert response.status_code == 400
    api.call("DELETE", f"/networks/{net['id']}", expect=204)
    api.call("GET", f"/networks/{net['id']}", expect=404)


def test_provider_errors_and_vlan_in_use(api):
    response = api.call("POST", "/networks", {"network": {"provider:network_type": "vlan",
                                                          "provider:physical_network": "VSW1"}})
    assert response.status_code == 400
    assert "provider:segmentation_id required" in message(response)
    api.create("network", **{"provider:network_type": "vlan",
                             "provider:physical_network": "VSW1",
                             "provider:segmentation_id": 160})
    response = api.call("POST", "/networks", {"network": {
        "provider:network_type": "vlan", "provider:physical_network": "VSW1",
        "provider:segmentation_id": 160}})
    assert response.status_code == 409


def test_tenant_network_gets_a_vlan_admin_sees_it_tenant_does_not(api):
    net = api.create("network", headers=T1, name="t1net")
    assert net["tenant_id"] == "tenant1"
    assert not any(key.startswith("provider:") for key in net)
    admin_view = api.call("GET", f"/networks/{net['id']}", expect=200).json()["network"]
    assert admin_view["provider:network_type"] == "vlan"
    assert isinstance(admin_view["provider:segmentation_id"], int)


def test_tenant_isolation(api):
    mine = api.create("network", headers=T1, name="mine")
    shared = api.create("network", name="shared", shared=True)
    api.call("GET", f"/networks/{mine['id']}", headers=T2, expect=404)
    api.call("PUT", f"/networks/{mine['id']}", {"network": {"name": "x"}}, headers=T2,
             expect=404)
    api.call("DELETE", f"/networks/{mine['id']}", headers=T2, expect=404)
    ids = {n["id"] for n in api.call("GET", "/networks", headers=T2).json()["networks"]}
    assert shared["id"] in ids and mine["id"] not in ids
    # A shared network is visible, but only its owner may change it.
    api.call("GET", f"/networks/{shared['id']}", headers=T2, expect=200)
    api.call("DELETE", f"/networks/{shared['id']}", headers=T2, expect=404)
    # Admin-only settings.
    response = api.call("POST", "/networks", {"network": {"shared": True}}, headers=T1)
    assert response.status_code == 403
    response = api.call("POST", "/networks", {"network": {"tenant_id": "tenant2"}}, headers=T1)
    assert response.status_code == 400 and "requires admin privileges" in message(response)
    response = api.call("PUT", f"/networks/{mine['id']}", {"network": {"shared": True}},
                        headers=T1)
    assert response.status_code == 403
    # Subnets and ports on another tenant's private network are refused.
    response = api.call("POST", "/ports", {"port": {"network_id": mine["id"]}}, headers=T2)
    assert response.status_code in (403, 404)


def test_subnet_and_port_with_binding(api):
    net = api.create("network", name="bind")
    subnet = api.create("subnet", network_id=net["id"], ip_version=4, cidr="10.20.0.0/24",
                        dns_nameservers=["10.20.0.53"],
                        host_routes=[{"destination": "10.30.0.0/16", "nexthop": "10.20.0.254"}])
    assert subnet["gateway_ip"] == "10.20.0.1"
    assert subnet["allocation_pools"] == [{"start": "10.20.0.2", "end": "10.20.0.254"}] or \
        subnet["allocation_pools"][0]["start"] == "10.20.0.2"
    assert "shared" not in subnet
    port = api.create("port", network_id=net["id"], name="p1",
                      **{"binding:host_id": "zhcp1",
                         "binding:profile": {"zvm_userid": "linux01", "vdev": "1000"}})
    assert port["status"] == "DOWN"
    assert port["binding:vif_type"] == "binding_failed"  # no agent on zhcp1
    assert port["binding:host_id"] == "zhcp1"
    assert port["binding:profile"] == {"zvm_userid": "LINUX01", "vdev": "1000"}
    assert port["fixed_ips"][0]["subnet_id"] == subnet["id"]
    ip = port["fixed_ips"][0]["ip_address"]
    found = api.call("GET", f"/ports?fixed_ips=ip_address={ip}", expect=200).json()["ports"]
    assert [p["id"] for p in found] == [port["id"]]
    response = api.call("PUT", f"/ports/{port['id']}", {"port": {"binding:host_id": "zhcp2"}},
                        expect=200)
    assert response.json()["port"]["binding:host_id"] == "zhcp2"
    api.call("DELETE", f"/networks/{net['id']}", expect=409)
    api.call("DELETE", f"/ports/{port['id']}", expect=204)
    api.call("DELETE", f"/subnets/{subnet['id']}", expect=204)
    api.call("DELETE", f"/networks/{net['id']}", expect=204)


def test_binding_attributes_are_admin_only(api):
    net = api.create("network", headers=T1, name="tb")
    port = api.create("port", headers=T1, network_id=net["id"])
    # binding:vnic_type is every caller's to read and set, as in neutron
    assert not any(key.startswith("binding:") for key in port if key != "binding:vnic_type")
    response = api.call("POST", "/ports", {"port": {"network_id": net["id"],
                                                    "binding:host_id": "zhcp1"}}, headers=T1)
    assert response.status_code == 403
    response = api.call("PUT", f"/ports/{port['id']}",
                        {"port": {"binding:profile": {"zvm_userid": "LINUX02"}}}, headers=T1)
    assert response.status_code == 403
    assert api.call("GET", f"/ports/{port['id']}").json()["port"]["binding:vif_type"] == "unbound"


def test_ipv6_subnet_is_refused(api):
    net = api.create("network", name="v6")
    response = api.call("POST", "/subnets", {"subnet": {
        "network_id": net["id"], "ip_version": 6, "cidr": "fd00::/64"}})
    assert response.status_code == 400 and "IPv6 is not supported" in message(response)


def test_bulk_create_is_one_transaction(api):
    net = api.create("network", name="bulk")
    api.create("subnet", network_id=net["id"], ip_version=4, cidr="10.21.0.0/24")
    ports = api.call("POST", "/ports", {"ports": [{"network_id": net["id"], "name": f"b{i}"}
                                                  for i in range(3)]}, expect=201).json()["ports"]
    assert [p["name"] for p in ports] == ["b0", "b1", "b2"]
    before = len(api.call("GET", f"/ports?network_id={net['id']}").json()["ports"])
    response = api.call("POST", "/ports", {"ports": [
        {"network_id": net["id"], "name": "ok"},
        {"network_id": net["id"], "mac_address": ports[0]["mac_address"]}]})
    assert response.status_code == 409
    after = len(api.call("GET", f"/ports?network_id={net['id']}").json()["ports"])
    assert after == before


def test_filters_fields_sorting_and_pagination(api):
    net = api.create("network", name="paging")
    names = [f"pg{i:02d}" for i in range(7)]
    for name in names:
        api.create("port", network_id=net["id"], name=name, admin_state_up=name != "pg03")
    listed = api.call("GET", f"/ports?network_id={net['id']}&fields=id&fields=name"
                             "&sort_key=name&sort_dir=desc").json()["ports"]
    assert [p["name"] for p in listed] == sorted(names, reverse=True)
    assert all(set(p) == {"id", "name"} for p in listed)
    down = api.call("GET", f"/ports?network_id={net['id']}&admin_state_up=false").json()
    assert [p["name"] for p in down["ports"]] == ["pg03"]
    either = api.call("GET", f"/ports?network_id={net['id']}&name=pg01&name=pg05").json()
    assert sorted(p["name"] for p in either["ports"]) == ["pg01", "pg05"]
    # Walk the pages through the "next" links.
    seen, url = [], f"/ports?network_id={net['id']}&sort_key=name&limit=3"
    while url:
        page = api.call("GET", url, expect=200).json()
        seen += [p["name"] for p in page["ports"]]
        nexts = [link["href"] for link in page.get("ports_links", []) if link["rel"] == "next"]
        url = nexts[0].split("/v2.0", 1)[1] if nexts else None
        assert len(seen) <= 7
    assert seen == names
    # ... and back from the second page through its "previous" link.
    second = api.call("GET", f"/ports?network_id={net['id']}&sort_key=name&limit=3"
                             f"&marker={listed[-3]['id']}").json()
    assert [p["name"] for p in second["ports"]] == names[3:6]
    previous = [link["href"] for link in second["ports_links"] if link["rel"] == "previous"]
    first = api.call("GET", previous[0].split("/v2.0", 1)[1], expect=200).json()
    assert [p["name"] for p in first["ports"]] == names[:3]
    assert [link["rel"] for link in first["ports_links"]] == ["next"]
    # project_id works as an alias of tenant_id, in fields and filters.
    one = api.call("GET", f"/networks/{net['id']}?fields=project_id").json()["network"]
    assert one == {"project_id": "admin"}
    mine = api.call("GET", "/networks?project_id=tenant-nobody").json()["networks"]
    assert mine == []


def test_wire_level_errors(api_server, api):
    response = api.session.post(f"{api_server.api}/networks", data=b'{"network": {',
                                headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400 and "Malformed request body" in message(response)
    big = {"network": {"name": "x" * 200_000}}
    response = api.session.post(f"{api_server.api}/networks", data=json.dumps(big),
                                headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 413
    assert api.call("GET", "/networks/123").status_code == 404
    response = api.call("POST", "/networks", {"network": {"nmae": "typo"}})
    assert response.status_code == 400 and "Unrecognized attribute(s) 'nmae'" in message(response)
    response = api.call("GET", f"/ports/{uuid.uuid4()}")
    assert response.status_code == 404 and response.json()["NeutronError"]["type"] == \
        "PortNotFound"


def test_chunked_body_over_the_limit(api_server):
    with socket.create_connection(("127.0.0.1", api_server.port), timeout=10) as sock:
        sock.sendall(b"POST /v2.0/networks HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        try:
            for _ in range(4):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413")


def test_agents_are_admin_only(api):
    assert api.call("GET", "/agents", expect=200).json() == {"agents": []}
    assert api.call("GET", "/agents", headers=T1, expect=200).json() == {"agents": []}
    api.call("GET", f"/agents/{uuid.uuid4()}", expect=404)
