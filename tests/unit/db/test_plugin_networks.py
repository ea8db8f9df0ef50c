"""ZvmPlugin networks: segments, VLAN allocation and release, tenancy, sharing, lists."""
import threading

import pytest
import sqlalchemy as sa

from quantum_zvm.common import exceptions
from quantum_zvm.db import models

PT, PN, SEG = "provider:network_type", "provider:physical_network", "provider:segmentation_id"


def net(plugin, ctx, **attrs):
    return plugin.create_network(ctx, {"network": {"name": "n", **attrs}})


def vlan_rows(plugin):
    table = models.VlanAllocation.__table__
    with plugin.db.transaction(write=False) as conn:
        return {(r.physical_network, r.vlan_id): r.allocated
                for r in conn.execute(sa.select(table))}


def test_tenant_networks_get_free_vlans_in_order_and_release_them(plugin, tenant_ctx):
    first, second = net(plugin, tenant_ctx), net(plugin, tenant_ctx)
    assert (first[PT], first[PN], first[SEG]) == ("vlan", "VSW1", 100)
    assert second[SEG] == 101
    assert first["status"] == "ACTIVE" and first["tenant_id"] == "tenant-a"
    plugin.delete_network(tenant_ctx, first["id"])
    assert vlan_rows(plugin)[("VSW1", 100)] is False
    assert net(plugin, tenant_ctx)[SEG] == 100


def test_exhaustion_is_503_naming_the_vswitches(plugin_factory, admin_ctx):
    plugin = plugin_factory(["VSWA:10:11", "FLATSW"])
    net(plugin, admin_ctx), net(plugin, admin_ctx)
    with pytest.raises(exceptions.NoVlanAvailable) as info:
        net(plugin, admin_ctx)
    assert info.value.status_code == 503
    assert "on vswitch VSWA" in str(info.value)


def test_without_vlan_ranges_tenant_networks_are_local(plugin_factory, admin_ctx):
    plugin = plugin_factory(["FLATSW"])
    network = net(plugin, admin_ctx)
    assert (network[PT], network[PN], network[SEG]) == ("local", None, None)


def test_provider_vlan_inside_and_outside_the_ranges(plugin, admin_ctx):
    inside = net(plugin, admin_ctx, **{PT: "vlan", PN: "vsw1", SEG: 105})
    assert (inside[PN], inside[SEG]) == ("VSW1", 105)
    outside = net(plugin, admin_ctx, **{PT: "vlan", PN: "VSW1", SEG: 3000})
    rows = vlan_rows(plugin)
    assert rows[("VSW1", 105)] is True and rows[("VSW1", 3000)] is True
    with pytest.raises(exceptions.VlanIdInUse) as info:
        net(plugin, admin_ctx, **{PT: "vlan", PN: "VSW1", SEG: 3000})
    assert info.value.status_code == 409
    assert "VLAN 3000 on physical network VSW1 is in use" in str(info.value)
    plugin.delete_network(admin_ctx, outside["id"])
    plugin.delete_network(admin_ctx, inside["id"])
    rows = vlan_rows(plugin)
    assert ("VSW1", 3000) not in rows and rows[("VSW1", 105)] is False
    # tenant allocation skips VLANs taken by provider networks
    net(plugin, admin_ctx, **{PT: "vlan", PN: "VSW1", SEG: 100})
    assert net(plugin, admin_ctx)[SEG] == 101


def test_one_flat_network_per_flat_vswitch(plugin, admin_ctx):
    flat = net(plugin, admin_ctx, **{PT: "flat", PN: "flatsw"})
    assert (flat[PT], flat[PN], flat[SEG]) == ("flat", "FLATSW", None)
    assert vlan_rows(plugin)[("FLATSW", -1)] is True
    with pytest.raises(exceptions.FlatNetworkInUse, match="Physical network FLATSW is in use"):
        net(plugin, admin_ctx, **{PT: "flat", PN: "FLATSW"})
    plugin.delete_network(admin_ctx, flat["id"])
    assert ("FLATSW", -1) not in vlan_rows(plugin)
    net(plugin, admin_ctx, **{PT: "flat", PN: "FLATSW"})


def test_failed_create_leaves_nothing_behind(plugin, admin_ctx):
    with pytest.raises(exceptions.InvalidInput):
        plugin.create_network_bulk(admin_ctx, {"networks": [
            {"network": {"name": "ok"}},
            {"network": {"name": "bad", PT: "vlan", PN: "NOSUCH", SEG: 5}}]})
    assert plugin.get_networks(admin_ctx) == []
    assert not any(vlan_rows(plugin).values())


def test_bulk_create_is_one_transaction_with_distinct_vlans(plugin, admin_ctx):
    created = plugin.create_network_bulk(admin_ctx, {"networks": [
        {"network": {"name": f"n{i}"}} for i in range(5)]})
    assert sorted(n[SEG] for n in created) == [100, 101, 102, 103, 104]


def test_sync_at_start_up_follows_the_configured_ranges(plugin_factory, tmp_path, admin_ctx):
    plugin = plugin_factory(["VSW1:100:109", "OLD:5:6"])
    kept = net(plugin, admin_ctx, **{PT: "vlan", PN: "OLD", SEG: 5})
    net(plugin, admin_ctx, **{PT: "vlan", PN: "VSW1", SEG: 109})
    restarted = plugin_factory(["VSW1:100:104", "VSW1:200:201"], url=str(plugin.db.url))
    rows = vlan_rows(restarted)
    assert sorted(v for (p, v) in rows if p == "VSW1") == [100, 101, 102, 103, 104, 109,
                                                          200, 201]
    assert rows[("VSW1", 109)] is True           # allocated rows outside the ranges stay
    assert [k for k in rows if k[0] == "OLD"] == [("OLD", 5)]  # unconfigured: only allocated
    restarted.delete_network(admin_ctx, kept["id"])
    assert [k for k in vlan_rows(restarted) if k[0] == "OLD"] == []


def test_sync_writes_vswitches_in_name_order(plugin):
    """Server processes starting together must lock allocation rows in one order (a set's
    order differs between processes), or their syncs deadlock."""
    from quantum_zvm.common.config import parse_vswitch_mappings
    from quantum_zvm.db import vlan_allocator

    names = ["VSW8", "VSW3", "VSW6", "VSW1", "VSW7", "VSW2", "VSW5", "VSW4"]
    mappings = parse_vswitch_mappings([f"{name}:10:11" for name in names])
    touched: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(("INSERT INTO ovs_vlan", "DELETE FROM ovs_vlan")):
            rows = parameters if executemany else [parameters]
            touched.extend(str(v) for row in rows for v in (
                row.values() if isinstance(row, dict) else row) if str(v).startswith("VSW"))

    sa.event.listen(plugin.db.engine, "before_cursor_execute", record)
    try:
        with plugin.db.transaction() as conn:
            vlan_allocator.sync_allocations(conn, mappings)
    finally:
        sa.event.remove(plugin.db.engine, "before_cursor_execute", record)
    firsts = list(dict.fromkeys(touched))
    assert set(firsts) == set(names) and firsts == sorted(firsts)


def test_provider_attributes_cannot_be_updated(plugin, admin_ctx):
    network = net(plugin, admin_ctx)
    with pytest.raises(exceptions.InvalidInput, match="does not support updating provider"):
        plugin.update_network(admin_ctx, network["id"], {"network": {SEG: 7}})
    updated = plugin.update_network(admin_ctx, network["id"],
                                    {"network": {"name": "renamed", "admin_state_up": False}})
    assert (updated["name"], updated["admin_state_up"]) == ("renamed", False)


def test_tenants_see_their_own_and_shared_networks(plugin, tenant_ctx, other_ctx, admin_ctx):
    mine = net(plugin, tenant_ctx)
    shared = net(plugin, admin_ctx, shared=True, tenant_id="admin-project")
    theirs = net(plugin, other_ctx)
    assert {n["id"] for n in plugin.get_networks(tenant_ctx)} == {mine["id"], shared["id"]}
    assert plugin.get_networks_count(tenant_ctx) == 2
    assert plugin.get_networks_count(admin_ctx) == 3
    with pytest.raises(exceptions.NetworkNotFound):
        plugin.get_network(tenant_ctx, theirs["id"])
    with pytest.raises(exceptions.NetworkNotFound):
        plugin.delete_network(tenant_ctx, theirs["id"])


def test_unsharing_is_refused_while_other_tenants_use_the_network(plugin, admin_ctx,
                                                                  other_ctx):
    shared = net(plugin, admin_ctx, shared=True)
    plugin.create_port(other_ctx, {"port": {"network_id": shared["id"]}})
    with pytest.raises(exceptions.InvalidSharedSetting):
        plugin.update_network(admin_ctx, shared["id"], {"network": {"shared": False}})


def test_delete_refused_while_ports_other_than_dhcp_exist(plugin, admin_ctx):
    network = net(plugin, admin_ctx)
    subnet = plugin.create_subnet(admin_ctx, {"subnet": {
        "network_id": network["id"], "cidr": "10.0.0.0/24", "ip_version": 4}})
    port = plugin.create_port(admin_ctx, {"port": {"network_id": network["id"]}})
    plugin.create_port(admin_ctx, {"port": {"network_id": network["id"],
                                            "device_owner": "network:dhcp"}})
    with pytest.raises(exceptions.NetworkInUse):
        plugin.delete_network(admin_ctx, network["id"])
    plugin.delete_port(admin_ctx, port["id"])
    deleted = []
    plugin.notifier = type("N", (), {"network_delete": lambda s, ctx, i: deleted.append(i)})()
    plugin.delete_network(admin_ctx, network["id"])
    assert deleted == [network["id"]]
    assert plugin.get_ports(admin_ctx) == [] and plugin.get_subnets(admin_ctx) == []
    with pytest.raises(exceptions.SubnetNotFound):
        plugin.get_subnet(admin_ctx, subnet["id"])


def test_filters_fields_sorting_and_pagination(plugin, admin_ctx):
    for name in ["c", "a", "b", "a"]:
        net(plugin, admin_ctx, name=name)
    flat = net(plugin, admin_ctx, name="z", **{PT: "flat", PN: "FLATSW"})
    assert [n["name"] for n in plugin.get_networks(admin_ctx, filters={"name": ["a", "c"]},
                                                   sorts=[("name", True)])] == ["a", "a", "c"]
    assert plugin.get_networks(admin_ctx, filters={PT: ["flat"]}, fields=["id"]) == \
        [{"id": flat["id"]}]
    assert plugin.get_networks(admin_ctx, filters={PN: ["flatsw"]}, fields=["id"]) == \
        [{"id": flat["id"]}]
    everything = plugin.get_networks(admin_ctx, sorts=[("name", False)])
    assert [n["name"] for n in everything] == ["z", "c", "b", "a", "a"]
    pages, marker = [], None
    while True:
        page = plugin.get_networks(admin_ctx, sorts=[("name", False)], limit=2, marker=marker)
        if not page:
            break
        pages.append([n["id"] for n in page])
        marker = page[-1]["id"]
    assert sum(pages, []) == [n["id"] for n in everything]
    back = plugin.get_networks(admin_ctx, sorts=[("name", False)], limit=2,
                               marker=everything[3]["id"], page_reverse=True)
    assert [n["id"] for n in back] == [everything[1]["id"], everything[2]["id"]]
    with pytest.raises(exceptions.BadRequest, match="not a valid sort key"):
        plugin.get_networks(admin_ctx, sorts=[("nonsense", True)])


def test_threads_sharing_one_sqlite_plugin_never_get_the_same_vlan(plugin_factory, admin_ctx):
    plugin = plugin_factory(["VSW1:100:139"])
    results, errors = [], []

    def create():
        for _ in range(10):
            try:
                results.append(net(plugin, admin_ctx)[SEG])
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == list(range(100, 140))


def test_a_create_reads_no_subnets_or_tags_and_shows_what_a_show_shows(plugin, tenant_ctx):
    """A new network has neither subnets nor tags (a create cannot give them), so its
    create answers without reading either: 6 statements with the VLAN allocation."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(plugin.db.engine, "before_cursor_execute", record)
    try:
        created = plugin.create_network(tenant_ctx, {"network": {"name": "fresh"}})
    finally:
        sa.event.remove(plugin.db.engine, "before_cursor_execute", record)
    assert not [s for s in statements if "FROM subnets" in s or "FROM network_tags" in s]
    assert len([s for s in statements if not s.startswith(("BEGIN", "COMMIT"))]) == 5
    assert created == plugin.get_network(tenant_ctx, created["id"])
    assert (created["subnets"], created["tags"]) == ([], [])
