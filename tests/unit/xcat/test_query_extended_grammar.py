"""The pieces of the Virtual_Network_Vswitch_Query_Extended reader: line splitting,
field setters per record kind, and which key opens which record."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from xcat import smcli_parsers as p

keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
values = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20)


@given(keys, values)
def test_key_value_splits_at_the_first_colon(key, value):
    assert p._qe_key_value(f"{key}: {value}") == (key, value.strip())
    assert p._qe_key_value(f" {key} :{value}") == (key, value.strip())


@given(keys, values.filter(lambda v: ":" not in v))
def test_key_value_without_colon_splits_at_the_first_blank(key, value):
    assert p._qe_key_value(f"{key} {value}") == (key, value.strip())


def test_key_value_examples():
    assert p._qe_key_value("device_error_status 0") == ("device_error_status", "0")
    assert p._qe_key_value("mac_address: 02-00-00-00-00-05") == ("mac_address",
                                                                  "02-00-00-00-00-05")
    assert p._qe_key_value("lag_group: (NOGRP)") == ("lag_group", "(NOGRP)")
    assert p._qe_key_value("port_name:") == ("port_name", "")
    assert p._qe_key_value("Error controller_name is NULL!!") == (
        "Error", "controller_name is NULL!!")
    assert p._qe_key_value("a: b: c") == ("a", "b: c")


def test_field_of_sets_listed_fields_and_ignores_others():
    device = p.RealDevice(address="00A3")
    set_field = p._field_of(p._QE_DEVICE_FIELDS, device)
    for key, value in (("virtual_device_address", "0600"), ("controller_name", "dtcvsw1"),
                       ("device_status", "1"), ("device_error_status", "0"),
                       ("vlan_count", "1"), ("address", "FFFF")):
        set_field(key, value)
    assert device == p.RealDevice(address="00A3", controller="dtcvsw1", status="1",
                                  error_status="0", vdev="0600")


def test_grant_fields():
    grant = p.Grant(userid="LINUX01")
    set_field = p._field_of(p._QE_GRANT_FIELDS, grant)
    for key, value in (("promiscuous_mode", "prom"), ("osd_sim", "NOOSDSIM"),
                       ("user_vlan_id", "0000"), ("user_vlan_id", "0010"),
                       ("user_vlan_id", "20-22"), ("user_vlan_id", "bad"),
                       ("port_type", "trunk"), ("vlan_count", "3")):
        set_field(key, value)
    assert grant == p.Grant(userid="LINUX01", promiscuous=True, osd_sim=False,
                            vlans=[(10, 10), (20, 22)], port_type="TRUNK")


def test_connection_fields():
    connection = p.Connection(owner="LINUX01", vdev="")
    set_field = p._field_of(p._QE_CONNECTION_FIELDS, connection)
    for key, value in (("adapter_vdev", "1000"), ("adapter_macaddr", "02-00-00-00-00-0a"),
                       ("adapter_type", "qdio"), ("adapter_owner", "OTHER")):
        set_field(key, value)
    assert connection == p.Connection(owner="LINUX01", vdev="1000", mac="02-00-00-00-00-0A",
                                      adapter_type="QDIO")


def test_set_attr_converts_the_value():
    grant = p.Grant(userid="")
    p._set_attr("port_num", int)(grant, "7")
    assert grant.port_num == 7


def read(lines):
    reader = p._QueryExtendedReader()
    for line in lines:
        reader.feed(*p._qe_key_value(line))
    return reader.switches


def test_keys_before_the_first_vswitch_are_ignored():
    (switch,) = read(["grant_userid: EARLY", "vlan_awareness: AWARE", "switch_name: vsw1"])
    assert switch.name == "VSW1" and switch.grants == []
    assert switch.attributes == {"switch_name": "VSW1"}


def test_a_vswitch_keeps_every_key_of_its_own_part():
    (switch,) = read(["switch_name: VSW1", "vlan_awareness: AWARE",
                      "Error controller_name is NULL!!", "real_device_address: 00a3",
                      "vlan_id: 0005"])
    assert switch.attributes == {"switch_name": "VSW1", "vlan_awareness": "AWARE",
                                 "Error": "controller_name is NULL!!"}
    assert [d.address for d in switch.rdevs] == ["00A3"]


def test_port_num_joins_the_grant_that_follows_it():
    (switch,) = read(["switch_name: VSW1", "port_num: 0007", "grant_userid: a",
                      "grant_userid: b", "port_num: 0008", "adapter_owner: c",
                      "grant_userid: d"])
    assert [(g.userid, g.port_num) for g in switch.grants] == [
        ("A", 7), ("B", None), ("D", None)]


def test_port_num_without_grant_is_not_listed():
    (switch,) = read(["switch_name: VSW1", "port_num: 0007", "promiscuous_mode: PROM"])
    assert switch.grants == []


def test_records_belong_to_the_latest_vswitch():
    first, second = read(["switch_name: VSW1", "grant_userid: a", "switch_name: VSW2",
                          "user_vlan_id: 0010", "adapter_owner: b", "adapter_vdev: 1000"])
    assert [g.userid for g in first.grants] == ["A"] and first.grants[0].vlans == []
    assert second.attributes["user_vlan_id"] == "0010"
    assert [(c.owner, c.vdev) for c in second.connections] == [("B", "1000")]
