"""ZvmPlugin subnets and ports: IPAM, MACs, bindings, status, tenancy, notifications."""
import datetime
import re

import pytest
import sqlalchemy as sa

from quantum_zvm.common import constants, exceptions
from quantum_zvm.db import models
from tests.fixtures.plugin import BASE_MAC


@pytest.fixture
def network(plugin, admin_ctx):
    return plugin.create_network(admin_ctx, {"network": {"name": "net",
                                                         "tenant_id": "tenant-a"}})


@pytest.fixture
def subnet(plugin, admin_ctx, network):
    return plugin.create_subnet(admin_ctx, {"subnet": {
        "network_id": network["id"], "cidr": "10.0.0.0/29", "ip_version": 4,
        "tenant_id": "tenant-a", "dns_nameservers": ["10.0.0.53"],
        "host_routes": [{"destination": "10.9.0.0/16", "nexthop": "10.0.0.6"}]}})


def port(plugin, ctx, network, **attrs):
    return plugin.create_port(ctx, {"port": {"network_id": network["id"], **attrs}})


def ips(p):
    return [a["ip_address"] for a in p["fixed_ips"]]


class Recorder:
    def __init__(self):
        self.calls = []

    def port_update(self, ctx, port, network_type, segmentation_id, physical_network):
        self.calls.append((port["id"], network_type, segmentation_id, physical_network))

    def network_delete(self, ctx, network_id):
        self.calls.append(("network_delete", network_id))


def test_subnet_view_and_network_subnets(plugin, admin_ctx, network, subnet):
    assert subnet["allocation_pools"] == [{"start": "10.0.0.2", "end": "10.0.0.6"}]
    assert subnet["gateway_ip"] == "10.0.0.1" and subnet["enable_dhcp"] is True
    assert subnet["dns_nameservers"] == ["10.0.0.53"]
    assert subnet["host_routes"] == [{"destination": "10.9.0.0/16", "nexthop": "10.0.0.6"}]
    assert "shared" not in subnet
    assert plugin.get_network(admin_ctx, network["id"])["subnets"] == [subnet["id"]]
    assert plugin.get_subnet(admin_ctx, subnet["id"]) == subnet


def test_ipv6_and_overlapping_subnets_are_refused(plugin, admin_ctx, network, subnet):
    with pytest.raises(exceptions.InvalidInput, match="IPv6 subnets are not supported"):
        plugin.create_subnet(admin_ctx, {"subnet": {
            "network_id": network["id"], "cidr": "2001:db8::/64", "ip_version": 6}})
    other = plugin.create_network(admin_ctx, {"network": {"name": "o"}})
    with pytest.raises(exceptions.InvalidInput, match="overlaps with another subnet"):
        plugin.create_subnet(admin_ctx, {"subnet": {
            "network_id": other["id"], "cidr": "10.0.0.0/24", "ip_version": 4}})


def test_overlap_across_networks_allowed_by_option(plugin_factory, admin_ctx):
    plugin = plugin_factory(allow_overlapping_ips=True)
    for _ in range(2):
        n = plugin.create_network(admin_ctx, {"network": {"name": "n"}})
        plugin.create_subnet(admin_ctx, {"subnet": {"network_id": n["id"],
                                                    "cidr": "10.0.0.0/24", "ip_version": 4}})
    with pytest.raises(exceptions.InvalidInput, match="overlaps"):
        plugin.create_subnet(admin_ctx, {"subnet": {"network_id": n["id"],
                                                    "cidr": "10.0.0.128/25", "ip_version": 4}})


def test_addresses_are_lowest_first_recycled_at_once_and_exhaust_with_409(
        plugin, admin_ctx, network, subnet):
    ports = [port(plugin, admin_ctx, network) for _ in range(5)]
    assert [ips(p) for p in ports] == [["10.0.0.2"], ["10.0.0.3"], ["10.0.0.4"],
                                       ["10.0.0.5"], ["10.0.0.6"]]
    with pytest.raises(exceptions.IpAddressGenerationFailure) as info:
        port(plugin, admin_ctx, network)
    assert info.value.status_code == 409
    plugin.delete_port(admin_ctx, ports[2]["id"])
    assert ips(port(plugin, admin_ctx, network)) == ["10.0.0.4"]   # Havana: no hold


def test_specific_addresses(plugin, admin_ctx, network, subnet):
    p = port(plugin, admin_ctx, network, fixed_ips=[{"ip_address": "10.0.0.4"}])
    assert p["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.0.0.4"}]
    with pytest.raises(exceptions.IpAddressInUse):
        port(plugin, admin_ctx, network, fixed_ips=[{"ip_address": "10.0.0.4"}])
    with pytest.raises(exceptions.IpAddressInUse):  # the gateway
        port(plugin, admin_ctx, network, fixed_ips=[{"ip_address": "10.0.0.1"}])
    router = port(plugin, admin_ctx, network, device_owner="network:router_interface",
                  fixed_ips=[{"ip_address": "10.0.0.1"}])
    assert ips(router) == ["10.0.0.1"]
    with pytest.raises(exceptions.InvalidInput, match="not a valid IP for the defined subnet"):
        port(plugin, admin_ctx, network, fixed_ips=[{"ip_address": "10.0.0.7"}])
    # the carved pool still hands out the rest, lowest first
    assert [ips(port(plugin, admin_ctx, network))[0] for _ in range(4)] == \
        ["10.0.0.2", "10.0.0.3", "10.0.0.5", "10.0.0.6"]


def test_update_fixed_ips_keeps_listed_releases_others(plugin, admin_ctx, network, subnet):
    recorder = Recorder()
    plugin.notifier = recorder
    p = port(plugin, admin_ctx, network)
    updated = plugin.update_port(admin_ctx, p["id"], {"port": {"fixed_ips": [
        {"subnet_id": subnet["id"], "ip_address": "10.0.0.2"},
        {"subnet_id": subnet["id"], "ip_address": "10.0.0.5"}]}})
    assert ips(updated) == ["10.0.0.2", "10.0.0.5"]
    updated = plugin.update_port(admin_ctx, p["id"], {"port": {"fixed_ips": [
        {"subnet_id": subnet["id"]}]}})
    assert ips(updated) == ["10.0.0.2"]  # 10.0.0.2 and .5 released first, lowest reused
    assert len(recorder.calls) == 2
    assert recorder.calls[0][1:] == ("vlan", network["provider:segmentation_id"], "VSW1")
    plugin.update_port(admin_ctx, p["id"], {"port": {"name": "quiet"}})
    assert len(recorder.calls) == 2


def test_port_defaults_status_and_create_view_equals_show(plugin, admin_ctx, network, subnet):
    unset = {k: constants.ATTR_NOT_SPECIFIED for k in (
        "mac_address", "fixed_ips", "binding:host_id", "binding:profile")}
    p = port(plugin, admin_ctx, network, **unset)
    assert p["status"] == constants.PORT_STATUS_DOWN
    assert p["mac_address"].startswith(BASE_MAC[:8])
    assert (p["device_id"], p["device_owner"], p["name"]) == ("", "", "")
    assert p["binding:vif_type"] == "unbound"  # neutron's value for a port no host was asked for
    assert (p["binding:host_id"], p["binding:profile"], p["binding:vif_details"]) == \
        ("", {}, {})
    assert (p["revision_number"], p["description"], p["tags"]) == (0, "", [])
    assert plugin.get_port(admin_ctx, p["id"]) == p


def test_macs_carry_the_prefix_and_macids_are_unique_everywhere(plugin, admin_ctx, network):
    other = plugin.create_network(admin_ctx, {"network": {"name": "o"}})
    port(plugin, admin_ctx, network, mac_address="02:00:0A:12:34:56")
    with pytest.raises(exceptions.MacAddressInUse) as info:
        port(plugin, admin_ctx, other, mac_address="02:00:0a:12:34:56")
    assert info.value.status_code == 409
    with pytest.raises(exceptions.InvalidInput, match="does not start with 02:00:0a, the "
                       "z/VM USERPREFIX"):
        port(plugin, admin_ctx, network, mac_address="fa:16:3e:12:34:57")
    with pytest.raises(exceptions.InvalidInput, match="MACID 000000"):
        port(plugin, admin_ctx, network, mac_address="02:00:0a:00:00:00")
    with plugin.db.transaction(write=False) as conn:
        assert conn.execute(sa.select(models.ZvmMacid.macid)).scalars().all() == ["123456"]


def test_mac_generation_gives_up_with_503_when_the_space_is_full(plugin_factory, admin_ctx):
    plugin = plugin_factory(base_mac="02:00:0a:ab:00:00", mac_generation_retries=2)
    plugin.macs.generate = lambda: "02:00:0a:ab:cd:ef"
    n = plugin.create_network(admin_ctx, {"network": {"name": "n"}})
    port(plugin, admin_ctx, n)
    with pytest.raises(exceptions.MacAddressGenerationFailure) as info:
        port(plugin, admin_ctx, n)
    assert info.value.status_code == 503


def test_bindings_profile_and_rebinding(plugin, admin_ctx, network):
    recorder = Recorder()
    plugin.notifier = recorder
    p = port(plugin, admin_ctx, network, **{
        "binding:host_id": "zhcp1", "binding:profile": {"zvm_userid": "linux01", "vdev": "a00"}})
    assert p["binding:host_id"] == "zhcp1"
    assert p["binding:profile"] == {"zvm_userid": "LINUX01", "vdev": "0A00"}
    with pytest.raises(exceptions.NicInUse) as info:
        port(plugin, admin_ctx, network,
             **{"binding:profile": {"zvm_userid": "LINUX01", "vdev": "0a00"}})
    assert info.value.status_code == 409
    for bad, text in [({"zvm_userid": "LINUX01", "color": "red"}, "unknown key"),
                      ({"vdev": "1000"}, "needs zvm_userid"),
                      ({"zvm_userid": "way too long"}, "is not a z/VM userid"),
                      ({"zvm_userid": "L1", "vdev": "FFFF"}, "no room for the NIC"),
                      ("text", "must be a dictionary")]:
        with pytest.raises(exceptions.InvalidInput, match=text):
            port(plugin, admin_ctx, network, **{"binding:profile": bad})
    plugin.record_zvm_binding(admin_ctx, p["id"], "zhcp1", "zhcp1", "LINUX01", "0A00", "VSW1",
                              network["provider:segmentation_id"], "ACCESS", "ACTIVE")
    assert plugin.get_port(admin_ctx, p["id"])["status"] == "ACTIVE"
    moved = plugin.update_port(admin_ctx, p["id"], {"port": {"binding:host_id": "zhcp2"}})
    assert (moved["binding:host_id"], moved["status"]) == ("zhcp2", "DOWN")
    assert recorder.calls[-1][0] == p["id"]
    cleared = plugin.update_port(admin_ctx, p["id"], {"port": {"binding:profile": None,
                                                                "binding:host_id": ""}})
    assert (cleared["binding:host_id"], cleared["binding:profile"]) == ("", {})
    assert len(recorder.calls) == 3  # created bound, moved, unbound
    assert [x["id"] for x in plugin.get_ports(admin_ctx, filters={
        "binding:host_id": ["zhcp2"]})] == []


def test_agent_side_details_status_and_applied_bindings(plugin, admin_ctx, network, subnet):
    p = port(plugin, admin_ctx, network, **{"binding:host_id": "zhcp1",
                                            "binding:profile": {"zvm_userid": "LINUX02"}})
    details = plugin.get_device_details(admin_ctx, p["id"])
    assert {k: details[k] for k in ("device", "network_id", "port_id", "admin_state_up",
                                    "network_type", "segmentation_id",
                                    "physical_network")} == {
        "device": p["id"], "network_id": network["id"], "port_id": p["id"],
        "admin_state_up": True, "network_type": "vlan",
        "segmentation_id": network["provider:segmentation_id"], "physical_network": "VSW1"}
    assert details["fixed_ips"] == p["fixed_ips"] and details["status"] == "DOWN"
    assert details["binding:profile"] == {"zvm_userid": "LINUX02"}
    assert plugin.get_device_details(admin_ctx, "nope") == {"device": "nope"}
    batch = plugin.get_devices_details_list(admin_ctx, ["nope", p["id"]])
    assert [d.get("port_id") for d in batch] == [None, p["id"]]
    assert [d["port_id"] for d in plugin.get_ports_bound_to_host(admin_ctx, "zhcp1")] == \
        [p["id"]]

    assert plugin.update_port_status(admin_ctx, p["id"], "ACTIVE") is True
    assert plugin.update_port_status(admin_ctx, p["id"], "DOWN", host="elsewhere") is True
    assert plugin.get_port(admin_ctx, p["id"])["status"] == "ACTIVE"  # bound to zhcp1
    assert plugin.update_port_status(admin_ctx, "nope", "DOWN") is False
    with pytest.raises(exceptions.InvalidInput):
        plugin.update_port_status(admin_ctx, p["id"], "GREEN")

    assert plugin.record_zvm_binding(admin_ctx, p["id"], "zhcp1", "zhcp1", "linux02", "1000",
                                     "vsw1", None, "ACCESS", "ACTIVE",
                                     error="Grant failed: rc 212 rs 8") is True
    shown = plugin.get_port(admin_ctx, p["id"])
    assert shown["status"] == "ERROR"
    assert shown["binding:vif_details"]["error"] == "Grant failed: rc 212 rs 8"
    assert shown["binding:vif_details"]["userid"] == "LINUX02"
    plugin.record_zvm_binding(admin_ctx, p["id"], "zhcp1", "zhcp1", "LINUX02", "1000", "VSW1",
                              network["provider:segmentation_id"], "ACCESS", "ACTIVE")
    shown = plugin.get_port(admin_ctx, p["id"])
    assert shown["status"] == "ACTIVE" and "error" not in shown["binding:vif_details"]
    assert shown["binding:vif_details"]["vlan"] == network["provider:segmentation_id"]
    with pytest.raises(exceptions.InvalidInput):
        plugin.record_zvm_binding(admin_ctx, p["id"], "zhcp1", "zhcp1", "BAD USER", None,
                                  None, None, None, "ACTIVE")
    assert plugin.record_zvm_binding(admin_ctx, "nope", "h", None, None, None, None, None,
                                     None, "DOWN") is False


def test_port_tenancy(plugin, admin_ctx, tenant_ctx, other_ctx, network, subnet):
    mine = port(plugin, tenant_ctx, network)
    with pytest.raises(exceptions.TenantNetworkNotAuthorized) as info:
        port(plugin, other_ctx, network)
    assert info.value.status_code == 403
    with pytest.raises(exceptions.TenantNetworkNotAuthorized):
        plugin.create_subnet(other_ctx, {"subnet": {"network_id": network["id"],
                                                    "cidr": "10.5.0.0/24", "ip_version": 4}})
    with pytest.raises(exceptions.PortNotFound):
        plugin.get_port(other_ctx, mine["id"])
    assert plugin.get_ports(other_ctx) == []
    assert [p["id"] for p in plugin.get_ports(tenant_ctx)] == [mine["id"]]


def test_list_show_and_create_agree_on_timestamps_and_every_field(plugin, admin_ctx, network,
                                                                   subnet):
    """SQLite hands a list its stored timestamp text, which Python cuts into ISO 8601
    (standard_attrs.sqlite_iso); a list of every field builds each port in one display
    (ports_db._every_field_items).  Both must answer what a show and a create do, and
    what the generic path of a list of named fields does, keys in the same order."""
    bound = port(plugin, admin_ctx, network, **{"binding:host_id": "zhcp1",
                                                "binding:profile": {"zvm_userid": "LINUX03"},
                                                "description": "web", "tags": ["b", "a"]})
    plain = port(plugin, admin_ctx, network)
    ports = models.Port.__table__
    with plugin.db.transaction() as conn:
        conn.execute(sa.update(ports).where(ports.c.id == plain["id"]).values(
            created_at=datetime.datetime(2026, 1, 2, 3, 4, 5),
            updated_at=datetime.datetime(2026, 11, 12, 13, 14, 15, 678901)))
    listed = plugin.get_ports(admin_ctx)
    by_id = {p["id"]: p for p in listed}
    assert (by_id[plain["id"]]["created_at"], by_id[plain["id"]]["updated_at"]) == \
        ("2026-01-02T03:04:05Z", "2026-11-12T13:14:15Z")
    assert by_id[bound["id"]] == bound
    for p in (bound, plain):
        shown = plugin.get_port(admin_ctx, p["id"])
        assert list(shown.items()) == list(by_id[p["id"]].items())
        for key in ("created_at", "updated_at"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", shown[key]), shown[key]
    named = plugin.get_ports(admin_ctx, fields=list(by_id[bound["id"]]))
    assert [list(p.items()) for p in named] == [list(p.items()) for p in listed]


def test_port_list_filters(plugin, admin_ctx, network, subnet):
    a = port(plugin, admin_ctx, network, device_id="vm-a")
    b = port(plugin, admin_ctx, network, device_id="vm-b")
    assert [p["id"] for p in plugin.get_ports(admin_ctx, filters={"device_id": ["vm-b"]})] == \
        [b["id"]]
    by_ip = plugin.get_ports(admin_ctx, filters={"fixed_ips": {"ip_address": ips(a)}})
    assert [p["id"] for p in by_ip] == [a["id"]]
    raw = plugin.get_ports(admin_ctx, filters={"fixed_ips": [f"ip_address={ips(b)[0]}"]})
    assert [p["id"] for p in raw] == [b["id"]]
    assert plugin.get_ports_count(admin_ctx, filters={"fixed_ips": {
        "subnet_id": [subnet["id"]]}}) == 2
    assert plugin.get_ports(admin_ctx, fields=["id", "status"],
                            filters={"id": [a["id"]]}) == [{"id": a["id"], "status": "DOWN"}]


def test_subnet_update_and_delete_rules(plugin, admin_ctx, network, subnet):
    with pytest.raises(exceptions.GatewayConflictWithAllocationPools):
        plugin.update_subnet(admin_ctx, subnet["id"], {"subnet": {"gateway_ip": "10.0.0.3"}})
    updated = plugin.update_subnet(admin_ctx, subnet["id"], {"subnet": {
        "gateway_ip": None, "dns_nameservers": [], "name": "s", "enable_dhcp": False,
        "host_routes": []}})
    assert (updated["gateway_ip"], updated["dns_nameservers"], updated["enable_dhcp"],
            updated["host_routes"]) == (None, [], False, [])
    vm = port(plugin, admin_ctx, network)
    dhcp = port(plugin, admin_ctx, network, device_owner="network:dhcp")
    with pytest.raises(exceptions.SubnetInUse):
        plugin.delete_subnet(admin_ctx, subnet["id"])
    plugin.delete_port(admin_ctx, vm["id"])
    plugin.delete_subnet(admin_ctx, subnet["id"])
    assert plugin.get_port(admin_ctx, dhcp["id"])["fixed_ips"] == []
    assert plugin.get_network(admin_ctx, network["id"])["subnets"] == []


def test_agents_hear_of_bound_ports_created_and_deleted(plugin, admin_ctx, network, subnet):
    recorder = Recorder()
    plugin.notifier = recorder
    unbound = port(plugin, admin_ctx, network)
    bound = port(plugin, admin_ctx, network, **{"binding:host_id": "zvmhost1",
                                                "binding:profile": {"zvm_userid": "LINUX01"}})
    assert [call[0] for call in recorder.calls] == [bound["id"]]
    assert recorder.calls[0][1:] == ("vlan", network["provider:segmentation_id"], "VSW1")
    plugin.delete_port(admin_ctx, unbound["id"])
    plugin.delete_port(admin_ctx, bound["id"])
    assert [call[0] for call in recorder.calls] == [bound["id"], bound["id"]]


def test_agents_hear_of_a_deleted_port_they_applied_through_an_xcat_row(plugin, admin_ctx,
                                                                        network, subnet):
    """A port handed off through an xCAT switch row has no binding:host_id; once an agent
    applied it (grant, couple), its deletion must reach the agent, or the guest keeps
    the port's VLAN while the row stays."""
    recorder = Recorder()
    plugin.notifier = recorder
    handed_off = port(plugin, admin_ctx, network)
    assert plugin.record_zvm_binding(admin_ctx, handed_off["id"], "zvmhost1", "zhcp1",
                                     "LINUX05", "1000", "VSW1",
                                     network["provider:segmentation_id"], "ACCESS", "ACTIVE")
    plugin.delete_port(admin_ctx, handed_off["id"])
    assert [call[0] for call in recorder.calls] == [handed_off["id"]]


def test_bulk_create_reads_the_segments_of_all_bound_ports_networks_at_once(plugin, admin_ctx):
    recorder = Recorder()
    plugin.notifier = recorder
    networks = [plugin.create_network(admin_ctx, {"network": {"name": f"n{i}"}})
                for i in range(3)]
    segment_reads = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT") and "FROM ovs_network_bindings" in statement:
            segment_reads.append(statement)

    sa.event.listen(plugin.db.engine, "before_cursor_execute", record)
    try:
        ports = plugin.create_port_bulk(admin_ctx, {"ports": [
            {"port": {"network_id": n["id"], "binding:host_id": "zvmhost1"}}
            for n in networks]})
    finally:
        sa.event.remove(plugin.db.engine, "before_cursor_execute", record)
    assert len(segment_reads) == 1
    assert recorder.calls == [(p["id"], "vlan", n["provider:segmentation_id"], "VSW1")
                              for p, n in zip(ports, networks, strict=True)]
