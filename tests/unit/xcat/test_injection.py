"""Hostile values in every field: each is refused with a ValueError naming the field,
and nothing reaches a request."""
import pytest

from tests.fixtures.procs import free_port
from tests.unit.xcat.fakes import RecordingClient
from xcat import smcli, tables
from xcat.client import XcatClient
from xcat.smcli import NicDef

HOSTILE = [
    ";", "1000;reboot", "VSW1; rm -rf /", "$(id)", "`id`", "${IFS}", "$HOME/x", "'", '"',
    "a'b", 'LINUX"01', "a\nb", "1000\n#", "a\rb", "a\x00b", "%", "%0a", "%00", "a b", "\t",
    "10 && id", "a||b", "a|b", "a>b", "<x", "a\\b", "ＬＩＮＵＸ０１", "LINUX0１", "АBC",
    "LINUX01\u200b", "\u00a0", "\u202eLINUX", "A" * 300, "9" * 300, "a,b", "x=y", "*?",
    "#!", "!x", "~root", "{a,b}", "(x)", "a&b",
]

assert len(HOSTILE) >= 30

BUILDERS = {
    "vswitch_create.auth": (lambda v: smcli.vswitch_create(v, "VSW1"), "auth"),
    "vswitch_create.name": (lambda v: smcli.vswitch_create("ZHCP", v), "name"),
    "vswitch_create.rdevs": (lambda v: smcli.vswitch_create("ZHCP", "VSW1", rdevs=[v]), "rdevs"),
    "vswitch_create.controller": (lambda v: smcli.vswitch_create("ZHCP", "VSW1", controller=v),
                                  "controller"),
    "vswitch_create.vlan": (lambda v: smcli.vswitch_create("ZHCP", "VSW1", vlan=v), "vlan"),
    "vswitch_create.native_vlan": (lambda v: smcli.vswitch_create("ZHCP", "VSW1", vlan=5,
                                                                  native_vlan=v), "native_vlan"),
    "vswitch_create.port_type": (lambda v: smcli.vswitch_create("ZHCP", "VSW1", vlan=5,
                                                                port_type=v), "port_type"),
    "vswitch_create.transport": (lambda v: smcli.vswitch_create("ZHCP", "VSW1", transport=v),
                                 "transport"),
    "vswitch_create.queue_memory": (lambda v: smcli.vswitch_create("ZHCP", "VSW1",
                                                                   queue_memory=v), "queue_memory"),
    "vswitch_create_extended.name": (lambda v: smcli.vswitch_create_extended("ZHCP", v), "name"),
    "vswitch_create_extended.auth": (lambda v: smcli.vswitch_create_extended(v, "VSW1"), "auth"),
    "vswitch_create_extended.rdevs": (lambda v: smcli.vswitch_create_extended(
        "ZHCP", "VSW1", rdevs=[v]), "rdevs"),
    "vswitch_create_extended.vlan": (lambda v: smcli.vswitch_create_extended(
        "ZHCP", "VSW1", vlan=v), "vlan"),
    "vswitch_create_extended.controller": (lambda v: smcli.vswitch_create_extended(
        "ZHCP", "VSW1", controller=v), "controller"),
    "vswitch_query.name": (lambda v: smcli.vswitch_query("ZHCP", v), "name"),
    "vswitch_query.auth": (lambda v: smcli.vswitch_query(v), "auth"),
    "vswitch_query_extended.name": (lambda v: smcli.vswitch_query_extended("ZHCP", v), "name"),
    "vswitch_grant.name": (lambda v: smcli.vswitch_grant(v, "LINUX01"), "name"),
    "vswitch_grant.userid": (lambda v: smcli.vswitch_grant("VSW1", v), "userid"),
    "vswitch_grant.auth": (lambda v: smcli.vswitch_grant("VSW1", "LINUX01", auth=v), "auth"),
    "vswitch_grant.vlans": (lambda v: smcli.vswitch_grant("VSW1", "LINUX01", vlans=v,
                                                          port_type="TRUNK"), "vlans"),
    "vswitch_grant.vlans_list": (lambda v: smcli.vswitch_grant("VSW1", "LINUX01", vlans=[10, v],
                                                               port_type="TRUNK"), "vlans"),
    "vswitch_grant.port_type": (lambda v: smcli.vswitch_grant("VSW1", "LINUX01", port_type=v),
                                "port_type"),
    "vswitch_set_port.portnum": (lambda v: smcli.vswitch_set_port("VSW1", v, "LINUX01"),
                                 "portnum"),
    "vswitch_set_port.userid": (lambda v: smcli.vswitch_set_port("VSW1", 5, v), "userid"),
    "vswitch_set_port.vlans": (lambda v: smcli.vswitch_set_port("VSW1", 5, "LINUX01", vlans=v),
                               "vlans"),
    "adapter_connect_vswitch_extended.port": (lambda v: smcli.adapter_connect_vswitch_extended(
        "LINUX01", "1000", "VSW1", port=v), "port"),
    "adapter_connect_vswitch_extended.vswitch": (
        lambda v: smcli.adapter_connect_vswitch_extended("LINUX01", "1000", v), "vswitch"),
    "nicdef.port_number": (lambda v: smcli.NicDef(
        "1000", lan_owner="SYSTEM", lan_name="VSW1", port_number=v).keyword(), "port_number"),
    "vswitch_revoke.name": (lambda v: smcli.vswitch_revoke(v, "LINUX01"), "name"),
    "vswitch_revoke.userid": (lambda v: smcli.vswitch_revoke("VSW1", v), "userid"),
    "vswitch_set_rdevs.rdevs": (lambda v: smcli.vswitch_set_rdevs("ZHCP", "VSW1", [v]), "rdevs"),
    "vswitch_set_rdevs.name": (lambda v: smcli.vswitch_set_rdevs("ZHCP", v, ["6000"]), "name"),
    "vswitch_remove_port.portnum": (lambda v: smcli.vswitch_remove_port("ZHCP", "VSW1", v),
                                    "portnum"),
    "adapter_create_dm.userid": (lambda v: smcli.adapter_create_dm(v, "1000"), "userid"),
    "adapter_create_dm.vdev": (lambda v: smcli.adapter_create_dm("LINUX01", v), "vdev"),
    "adapter_create_dm.macid": (lambda v: smcli.adapter_create_dm("LINUX01", "1000", macid=v),
                                "macid"),
    "adapter_create_dm.chpid": (lambda v: smcli.adapter_create_dm("LINUX01", "1000", chpid=v),
                                "chpid"),
    "adapter_create_dm.adapter_type": (lambda v: smcli.adapter_create_dm(
        "LINUX01", "1000", adapter_type=v), "adapter_type"),
    "adapter_create_dm.devices": (lambda v: smcli.adapter_create_dm(
        "LINUX01", "1000", devices=v), "devices"),
    "adapter_create.vdev": (lambda v: smcli.adapter_create("LINUX01", v), "vdev"),
    "adapter_create_extended_dm.macid": (lambda v: smcli.adapter_create_extended_dm(
        "LINUX01", "1000", macid=v), "macid"),
    "adapter_create_extended.vdev": (lambda v: smcli.adapter_create_extended("LINUX01", v),
                                     "vdev"),
    "adapter_delete_dm.vdev": (lambda v: smcli.adapter_delete_dm("LINUX01", v), "vdev"),
    "adapter_delete.userid": (lambda v: smcli.adapter_delete(v, "1000"), "userid"),
    "connect_dm.vswitch": (lambda v: smcli.adapter_connect_vswitch_dm("LINUX01", "1000", v),
                           "vswitch"),
    "connect.userid": (lambda v: smcli.adapter_connect_vswitch(v, "1000", "VSW1"), "userid"),
    "connect.vdev": (lambda v: smcli.adapter_connect_vswitch("LINUX01", v, "VSW1"), "vdev"),
    "disconnect_dm.vdev": (lambda v: smcli.adapter_disconnect_dm("LINUX01", v), "vdev"),
    "disconnect.userid": (lambda v: smcli.adapter_disconnect(v, "1000"), "userid"),
    "adapter_query.vdev": (lambda v: smcli.adapter_query("LINUX01", v), "vdev"),
    "nicdef.vdev": (lambda v: smcli.image_definition_update_dm("LINUX01", [NicDef(v)]), "vdev"),
    "nicdef.macid": (lambda v: smcli.image_definition_update_dm(
        "LINUX01", [NicDef("1000", macid=v)]), "macid"),
    "nicdef.lan_name": (lambda v: smcli.image_definition_update_dm(
        "LINUX01", [NicDef("1000", lan_owner="SYSTEM", lan_name=v)]), "lan_name"),
    "nicdef.lan_owner": (lambda v: smcli.image_definition_update_dm(
        "LINUX01", [NicDef("1000", lan_owner=v, lan_name="VSW1")]), "lan_owner"),
    "nicdef.chpid": (lambda v: smcli.image_definition_update_dm(
        "LINUX01", [NicDef("1000", chpid=v)]), "chpid"),
    "image_definition_update_dm.userid": (lambda v: smcli.image_definition_update_dm(
        v, [NicDef("1000")]), "userid"),
    "image_definition_query_dm.keywords": (lambda v: smcli.image_definition_query_dm(
        "LINUX01", [v]), "keywords"),
    "image_query_dm.userid": (lambda v: smcli.image_query_dm(v), "userid"),
    "activate_time.userid": (lambda v: smcli.image_query_activate_time(v), "userid"),
    "activate_time.date_format": (lambda v: smcli.image_query_activate_time("XCAT", v),
                                  "date_format"),
    "static_image_changes.userid": (lambda v: smcli.static_image_changes_immediate_dm(v),
                                    "userid"),
    "vmcp_query_nic.vdev": (lambda v: smcli.vmcp_query_nic(v), "vdev"),
    "vmcp_define_nic.vdev": (lambda v: smcli.vmcp_define_nic(v), "vdev"),
    "vmcp_couple.vdev": (lambda v: smcli.vmcp_couple(v, "VSW1"), "vdev"),
    "vmcp_couple.vswitch": (lambda v: smcli.vmcp_couple("0800", v), "vswitch"),
    "vmcp_uncouple.vdev": (lambda v: smcli.vmcp_uncouple(v), "vdev"),
    "vmcp_query_vswitch.name": (lambda v: smcli.vmcp_query_vswitch(v), "name"),
    "vmcp_query_vswitch.detail": (lambda v: smcli.vmcp_query_vswitch("VSW1", v), "detail"),
    "vlan_set": (lambda v: smcli.vlan_set(v), "vlans"),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builders_refuse_every_hostile_value(name):
    build, field = BUILDERS[name]
    for value in HOSTILE:
        with pytest.raises(ValueError) as info:
            build(value)
        assert field in str(info.value), (name, value, str(info.value))


MAC = "fa:16:3e:00:00:01"
TABLE_CALLS = {
    "tabdump.table": lambda c, v: tables.tabdump(c, v),
    "upsert.table": lambda c, v: tables.tabch_upsert(c, v, [({"port": "p"}, {"vlan": "1"})]),
    "upsert.key": lambda c, v: tables.tabch_upsert(c, "switch", [({v: "p"}, {"vlan": "1"})]),
    "upsert.key_value": lambda c, v: tables.tabch_upsert(c, "switch",
                                                         [({"port": v}, {"vlan": "1"})]),
    "upsert.column": lambda c, v: tables.tabch_upsert(c, "switch", [({"port": "p"}, {v: "1"})]),
    "upsert.value": lambda c, v: tables.tabch_upsert(c, "switch", [({"port": "p"}, {"vlan": v})]),
    "insert.column": lambda c, v: tables.tabch_insert(c, "mac", [{v: "x"}]),
    "insert.value": lambda c, v: tables.tabch_insert(c, "mac", [{"node": v}]),
    "delete.table": lambda c, v: tables.tabch_delete(c, v, [{"node": "n1"}]),
    "delete.key": lambda c, v: tables.tabch_delete(c, "mac", [{v: "n1"}]),
    "delete.value": lambda c, v: tables.tabch_delete(c, "mac", [{"node": v}]),
    "gettab.table": lambda c, v: tables.gettab(c, v, "node", "n1", "userid"),
    "gettab.key": lambda c, v: tables.gettab(c, "zvm", v, "n1", "userid"),
    "gettab.value": lambda c, v: tables.gettab(c, "zvm", "node", v, "userid"),
    "gettab.attribute": lambda c, v: tables.gettab(c, "zvm", "node", "n1", ["userid", v]),
    "binding.port": lambda c, v: tables.set_switch_binding(c, [("p1", "VSW1", 1), (v, "VSW1", 2)]),
    "binding.vswitch": lambda c, v: tables.set_switch_binding(c, [("p1", v, 1)]),
    "binding.vlan": lambda c, v: tables.set_switch_binding(c, [("p1", "VSW1", v)]),
    "nic_rows.node": lambda c, v: tables.add_nic_rows(c, v, "1000", MAC, "p", "zhcp"),
    "nic_rows.vdev": lambda c, v: tables.add_nic_rows(c, "n1", v, MAC, "p", "zhcp"),
    "nic_rows.mac": lambda c, v: tables.add_nic_rows(c, "n1", "1000", v, "p", "zhcp"),
    "nic_rows.port": lambda c, v: tables.add_nic_rows(c, "n1", "1000", MAC, v, "zhcp"),
    "nic_rows.zhcp": lambda c, v: tables.add_nic_rows(c, "n1", "1000", MAC, "p", v),
    "remove_node_rows.node": lambda c, v: tables.remove_node_rows(c, v),
    "handoff.zhcp": lambda c, v: tables.switch_handoff_rows(c, v),
}


@pytest.mark.parametrize("name", sorted(TABLE_CALLS))
def test_table_helpers_send_nothing_for_hostile_values(name):
    call = TABLE_CALLS[name]
    client = RecordingClient()
    for value in HOSTILE:
        with pytest.raises(ValueError):
            call(client, value)
    assert client.sent == []


def test_dsh_node_and_client_fields_refused_before_any_request():
    port = free_port()  # nothing listens: a request would fail with a connection error
    client = XcatClient(f"http://127.0.0.1:{port}", "admin", "secret", retries=0)
    for value in HOSTILE:
        with pytest.raises(ValueError, match="node"):
            client.dsh(value, "true")
        if any(c in value for c in "\n\r\x00"):
            with pytest.raises(ValueError, match="control"):
                client.dsh("zhcp", ["echo", value])
    assert client.counters.requests == 0
    for value in ("a\nb", "a\rb", "\x00", "ÿ\u0100"):
        with pytest.raises(ValueError, match="password|username"):
            XcatClient("127.0.0.1", "admin", value)
    for bad in ({"retries": -1}, {"backoff": -0.5}, {"backoff_max": -1.0}, {"pool_size": 0}):
        with pytest.raises(ValueError, match="must be >= 0, pool_size >= 1"):
            XcatClient("127.0.0.1", "admin", "secret", **bad)
    client.close()


def test_trailing_newline_never_passes_a_verbatim_validator():
    from xcat import zvm_names
    for check in (zvm_names.xcat_node, zvm_names.table_value, zvm_names.xcat_identifier):
        with pytest.raises(ValueError):
            check("zhcp\n")
    # Validators that normalise strip surrounding blanks: the result is clean.
    assert zvm_names.userid("linux01\n") == "LINUX01"
    assert smcli.vswitch_grant("vsw1\n", " linux01")[3] == "LINUX01"
