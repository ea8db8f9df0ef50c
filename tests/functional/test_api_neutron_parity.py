"""Standard attributes, tags, If-Match, MTU, port extensions and binding values through a
real quantum-zvm-server: what current Neutron clients send and read (issue 19)."""
import pytest

from tests.functional.test_api_resources import T1, T2, Client, message


@pytest.fixture(scope="module")
def api(api_server):
    return Client(api_server.api)


def test_description_timestamps_and_revision_on_every_resource(api):
    net = api.create("network", name="std", description="the net")
    subnet = api.create("subnet", network_id=net["id"], ip_version=4, cidr="10.90.0.0/24",
                        description="the subnet")
    port = api.create("port", network_id=net["id"], description="the port")
    for kind, item, text in (("network", net, "the net"), ("subnet", subnet, "the subnet"),
                             ("port", port, "the port")):
        assert item["description"] == text
        assert item["revision_number"] == 0 and item["tags"] == []
        assert item["created_at"].endswith("Z") and item["updated_at"] == item["created_at"]
        updated = api.call("PUT", f"/{kind}s/{item['id']}", {kind: {"description": "new"}},
                           expect=200).json()[kind]
        assert (updated["description"], updated["revision_number"]) == ("new", 1)
        assert updated["updated_at"] >= item["updated_at"]
        shown = api.call("GET", f"/{kind}s/{item['id']}", expect=200).json()[kind]
        assert shown == updated
        listed = api.call("GET", f"/{kind}s?description=new&id={item['id']}",
                          expect=200).json()[f"{kind}s"]
        assert listed == [updated]
    assert subnet["subnetpool_id"] is None
    assert (port["security_groups"], port["allowed_address_pairs"]) == ([], [])
    assert port["binding:vnic_type"] == "normal"


def test_if_match_revision_number(api):
    net = api.create("network", name="rev")
    path = f"/networks/{net['id']}"
    ok = api.call("PUT", path, {"network": {"name": "rev1"}},
                  headers={"If-Match": "revision_number=0"}, expect=200).json()["network"]
    assert ok["revision_number"] == 1
    stale = api.call("PUT", path, {"network": {"name": "rev2"}},
                     headers={"If-Match": "revision_number=0"})
    assert stale.status_code == 412
    assert "Constrained to 0, but current revision is 1" in message(stale)
    assert api.call("GET", path).json()["network"]["name"] == "rev1"
    bad = api.call("PUT", path, {"network": {"name": "x"}},
                   headers={"If-Match": "revision_number=abc"})
    assert bad.status_code == 400



def test_if_match_on_delete_keeps_a_changed_resource(api):
    """Neutron checks If-Match on a delete as on an update (its pecan hook sets the
    constraint for every method; revision_plugin checks deleted rows too)."""
    net = api.create("network", name="del-rev")
    subnet = api.create("subnet", network_id=net["id"], ip_version=4, cidr="10.91.0.0/24")
    port = api.create("port", network_id=net["id"])
    for kind, item in (("port", port), ("subnet", subnet), ("network", net)):
        path = f"/{kind}s/{item['id']}"
        api.call("PUT", path, {kind: {"description": "changed"}}, expect=200)
        stale = api.call("DELETE", path, headers={"If-Match": "revision_number=0"})
        assert stale.status_code == 412, stale.text
        assert "Constrained to 0, but current revision is 1" in message(stale)
        api.call("GET", path, expect=200)
        bad = api.call("DELETE", path, headers={"If-Match": "revision_number=one"})
        assert bad.status_code == 400
        api.call("DELETE", path, headers={"If-Match": "revision_number=1"}, expect=204)
        api.call("GET", path, expect=404)


def test_ports_take_tags_when_created_networks_do_not(api):
    """neutron 29: tags in a port's POST body (tag-ports-during-bulk-creation, also one
    port at a time); networks and subnets get theirs through /tags only."""
    net = api.create("network", name="tag-on-create")
    port = api.create("port", network_id=net["id"], tags=["web", "blue"])
    assert sorted(port["tags"]) == ["blue", "web"] and port["revision_number"] == 0
    shown = api.call("GET", f"/ports/{port['id']}", expect=200).json()["port"]
    assert sorted(shown["tags"]) == ["blue", "web"]
    bulk = api.call("POST", "/ports", {"ports": [
        {"network_id": net["id"], "tags": ["bulk"]}, {"network_id": net["id"]}]},
        expect=201).json()["ports"]
    assert [p["tags"] for p in bulk] == [["bulk"], []]
    listed = api.call("GET", "/ports?tags=bulk", expect=200).json()["ports"]
    assert [p["id"] for p in listed] == [bulk[0]["id"]]
    for bad, reason in ((["a", "a"], "duplicate"), (["x" * 256], "exceeds maximum length"),
                        ([""], "may not be empty"), ("web", "is not a list"),
                        ([f"t{i}" for i in range(51)], "limit of 50")):
        refused = api.call("POST", "/ports", {"port": {"network_id": net["id"], "tags": bad}})
        assert refused.status_code == 400 and reason in message(refused), refused.text
    assert api.call("PUT", f"/ports/{port['id']}", {"port": {"tags": ["x"]}}).status_code == 400
    refused = api.call("POST", "/networks", {"network": {"name": "n", "tags": ["a"]}})
    assert refused.status_code == 400 and "tags" in message(refused)
    aliases = {e["alias"] for e in api.call("GET", "/extensions").json()["extensions"]}
    assert "tag-ports-during-bulk-creation" in aliases

def test_tags_sub_resource_and_filters(api):
    nets = [api.create("network", name=f"tag{i}") for i in range(3)]
    red, blue, plain = (n["id"] for n in nets)
    body = api.call("PUT", f"/networks/{red}/tags", {"tags": ["red", "warm", "a b/c"[:3]]},
                    expect=200).json()
    assert sorted(body["tags"]) == ["a b", "red", "warm"]
    api.call("PUT", f"/networks/{blue}/tags/blue", expect=201)
    assert api.call("POST", f"/networks/{plain}/tags", {"tags": ["p"]},
                    expect=201).json() == {"tags": ["p"]}
    api.call("DELETE", f"/networks/{plain}/tags/p", expect=204)
    api.call("PUT", f"/networks/{blue}/tags/warm", expect=201)
    api.call("PUT", f"/networks/{blue}/tags/warm", expect=201)   # already there: no-op
    api.call("GET", f"/networks/{blue}/tags/warm", expect=204)
    api.call("GET", f"/networks/{blue}/tags/cold", expect=404)
    api.call("GET", f"/networks/{red}/tags/a%20b", expect=204)
    assert sorted(api.call("GET", f"/networks/{blue}/tags").json()["tags"]) == ["blue", "warm"]
    shown = api.call("GET", f"/networks/{blue}").json()["network"]
    assert sorted(shown["tags"]) == ["blue", "warm"] and shown["revision_number"] == 2

    def listed(query):
        ids = {n["id"] for n in api.call("GET", f"/networks?{query}",
                                         expect=200).json()["networks"]}
        return ids & {red, blue, plain}
    assert listed("tags=warm") == {red, blue}
    assert listed("tags=warm,red") == {red}
    assert listed("tags=warm&tags=blue") == {blue}
    assert listed("tags-any=red,blue") == {red, blue}
    assert listed("not-tags=warm,red") == {blue, plain}
    assert listed("not-tags-any=red,blue") == {plain}
    assert listed("tags=warm&not-tags=blue") == {red}

    api.call("DELETE", f"/networks/{blue}/tags/warm", expect=204)
    api.call("DELETE", f"/networks/{blue}/tags/warm", expect=404)
    api.call("DELETE", f"/networks/{red}/tags", expect=204)
    assert api.call("GET", f"/networks/{red}/tags").json() == {"tags": []}
    for bad in ({"tags": "red"}, {"tags": ["x" * 256]}, {"tags": ["a", "a"]}, {"nope": []},
                {"tags": [f"t{i}" for i in range(51)]}):
        assert api.call("PUT", f"/networks/{red}/tags", bad).status_code == 400
    api.call("PUT", f"/networks/{red}/tags/{'y' * 256}", expect=400)


def test_tags_on_subnets_and_ports_and_tenant_ownership(api):
    net = api.create("network", headers=T1, name="t1net")
    subnet = api.create("subnet", headers=T1, network_id=net["id"], ip_version=4,
                        cidr="10.91.0.0/24")
    port = api.create("port", headers=T1, network_id=net["id"])
    for kind, item in (("network", net), ("subnet", subnet), ("port", port)):
        path = f"/{kind}s/{item['id']}/tags"
        api.call("PUT", path, {"tags": ["mine"]}, headers=T1, expect=200)
        for method, sub in (("GET", ""), ("PUT", "/x"), ("DELETE", ""), ("DELETE", "/mine"),
                            ("GET", "/mine")):
            response = api.call(method, path + sub, headers=T2)
            assert response.status_code == 404, (method, path + sub, response.text)
        assert api.call("GET", path, headers=T1).json() == {"tags": ["mine"]}
        found = api.call("GET", f"/{kind}s?tags=mine", headers=T1).json()[f"{kind}s"]
        assert [x["id"] for x in found] == [item["id"]]
        assert api.call("GET", f"/{kind}s?tags=mine", headers=T2).json()[f"{kind}s"] == []
    shared = api.create("network", name="shared-tags", shared=True)
    api.call("GET", f"/networks/{shared['id']}/tags", headers=T2, expect=200)
    api.call("PUT", f"/networks/{shared['id']}/tags/x", headers=T2, expect=404)
    api.call("PUT", f"/networks/{'0' * 8}-0000-0000-0000-{'0' * 12}/tags/x", expect=404)
    api.call("PUT", "/agents/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12 + "/tags/x",
             expect=404)


def test_network_mtu_within_the_vswitch_mtu(api):
    net = api.create("network", name="mtu")
    assert net["mtu"] == 1500
    small = api.create("network", name="mtu2", mtu=1400)
    assert small["mtu"] == 1400
    response = api.call("POST", "/networks", {"network": {"name": "big", "mtu": 9000}})
    assert response.status_code == 400 and "1500" in message(response)
    assert api.call("PUT", f"/networks/{net['id']}", {"network": {"mtu": 1300}},
                    expect=200).json()["network"]["mtu"] == 1300
    assert api.call("PUT", f"/networks/{net['id']}", {"network": {"mtu": 1501}}
                    ).status_code == 400
    assert api.call("POST", "/networks", {"network": {"mtu": 10}}).status_code == 400


def test_port_extensions_accept_only_what_zvm_does(api):
    net = api.create("network", name="ext")
    port = api.create("port", network_id=net["id"], security_groups=[],
                      allowed_address_pairs=[], **{"binding:vnic_type": "normal"})
    assert port["security_groups"] == [] and port["binding:vnic_type"] == "normal"
    for attrs, text in (({"binding:vnic_type": "direct"}, "binding:vnic_type"),
                        ({"security_groups": ["3e2b8b5c-6a8f-4b0f-9d8e-2b6a3b5c1d00"]},
                         "security groups"),
                        ({"allowed_address_pairs": [{"ip_address": "10.0.0.9"}]},
                         "allowed_address_pairs")):
        response = api.call("POST", "/ports", {"port": {"network_id": net["id"], **attrs}})
        assert response.status_code == 400 and text in message(response), response.text
        response = api.call("PUT", f"/ports/{port['id']}", {"port": attrs})
        assert response.status_code == 400 and text in message(response), response.text
    response = api.call("POST", "/subnets", {"subnet": {
        "network_id": net["id"], "ip_version": 4, "cidr": "10.92.0.0/24",
        "subnetpool_id": "3e2b8b5c-6a8f-4b0f-9d8e-2b6a3b5c1d00"}})
    assert response.status_code == 400 and "subnet pools" in message(response)


def test_binding_values_as_neutron_reports_them(api):
    net = api.create("network", name="bindvals")
    unbound = api.create("port", network_id=net["id"])
    assert (unbound["binding:vif_type"], unbound["binding:host_id"]) == ("unbound", "")
    assert api.call("GET", f"/ports/{unbound['id']}").json()["port"]["binding:host_id"] == ""
    nowhere = api.create("port", network_id=net["id"], **{"binding:host_id": "no-agent"})
    assert nowhere["binding:vif_type"] == "binding_failed"
    listed = {p["id"]: p for p in api.call("GET", f"/ports?network_id={net['id']}").json()[
        "ports"]}
    assert listed[nowhere["id"]]["binding:vif_type"] == "binding_failed"
    assert listed[unbound["id"]]["binding:vif_type"] == "unbound"
    cleared = api.call("PUT", f"/ports/{nowhere['id']}", {"port": {"binding:host_id": ""}},
                       expect=200).json()["port"]
    assert (cleared["binding:vif_type"], cleared["binding:host_id"]) == ("unbound", "")


def test_extensions_advertise_the_aliases_clients_check(api):
    aliases = {e["alias"]: e for e in api.call("GET", "/extensions").json()["extensions"]}
    for alias in ("standard-attr-description", "standard-attr-timestamp",
                  "standard-attr-revisions", "standard-attr-tag", "revision-if-match",
                  "net-mtu", "net-mtu-writable", "binding", "security-group",
                  "allowed-address-pairs", "subnet_allocation", "provider", "agent"):
        assert alias in aliases, alias
    assert "filters no traffic" in aliases["security-group"]["description"]


def test_errors_on_new_paths_are_neutron_errors_not_500(api):
    net = api.create("network", name="errs")
    for method, path, body in (("GET", f"/networks/{net['id']}/tags/a/b", None),
                               ("POST", f"/networks/{net['id']}/tags/a", None),
                               ("PUT", f"/networks/{net['id']}/tags", None),
                               ("PUT", f"/networks/{net['id']}/tags", {"tags": [1]}),
                               ("GET", f"/networks/{net['id']}/nothing", None)):
        response = api.call(method, path, body)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
    response = api.call("GET", f"/networks/{net['id']}/tags/%00")
    assert response.status_code == 400
