"""Observed state from real smcli output text (parsed by xcat.smcli_parsers)."""
from __future__ import annotations

from quantum_zvm.agent import observed as o
from quantum_zvm.agent.model import Grant, NicDef, Observed, ObservedGuest
from xcat import smcli_parsers as parsers

QUERY_EXTENDED = """\
 switch_name: VSW1
 transport_type: ETHERNET
 port_type: ACCESS
 queue_memory_limit: 8
 routing_value: NA
 vlan_awareness: AWARE
 vlan_id: 0100
 native_vlan_id: 0001
 mac_address: 02-00-00-00-00-05
 gvrp_request_attribute: NOGVRP
 gvrp_enabled_attribute: NOGVRP
 switch_status: 8
 link_ag: OFF
 lag_interval: 0
 lag_group: (NOGRP)
 IP_timeout: 5
 switch_type: QDIO
 isolation_status: OFF
 MAC_protect: UNSPECIFIED
 user_port_based: USERBASED
 VLAN_counters: OFF
real_device_address: 6000
virtual_device_address: 0600
controller_name: DTCVSW1
port_name:
device_status: 1
device_error_status 0
port_num: 0000
grant_userid: LINUX01
promiscuous_mode: NOPROM
osd_sim: NOOSDSIM
vlan_count: 1
user_vlan_id: 0150
port_num: 0000
grant_userid: DHCPAGT
promiscuous_mode: NOPROM
osd_sim: NOOSDSIM
vlan_count: 2
user_vlan_id: 0150
user_vlan_id: 0160-0161
adapter_owner: LINUX01
adapter_vdev: 1000
adapter_macaddr: FA-16-3E-0E-4E-8E
adapter_type: QDIO
""".splitlines()


def test_vswitch_state_has_grants_vlans_and_connections():
    (info,) = parsers.parse_vswitch_query_extended(QUERY_EXTENDED)
    vsw = o.vswitch_state(info)
    assert vsw.name == "VSW1" and vsw.vlan_aware and not vsw.port_based
    assert vsw.grants["LINUX01"].vlans == {150}
    assert vsw.grants["DHCPAGT"].vlans == {150, 160, 161}
    assert vsw.grants["LINUX01"].porttype is None  # not shown by Query_Extended
    assert vsw.connections == {("LINUX01", "1000")}
    assert vsw.rdevs == ("6000",)


def test_unaware_vswitch_grants_carry_no_vlans():
    lines = [line.replace("AWARE", "UNAWARE") for line in QUERY_EXTENDED]
    (info,) = parsers.parse_vswitch_query_extended(lines)
    vsw = o.vswitch_state(info)
    assert not vsw.vlan_aware and vsw.grants["LINUX01"] == Grant(None, frozenset())


def test_guest_directory_from_image_query_dm_has_nicdefs_and_every_device():
    entry = parsers.parse_image_query_dm([
        "USER LINUX01 XXXXXXXX 2048M 2048M G",
        "INCLUDE OSDFLT",
        "NICDEF 1000 TYPE QDIO LAN SYSTEM VSW1 MACID 0e4e8e",
        "NICDEF 1003 TYPE QDIO DEVICES 6",
        "MDISK 100A 3390 0001 3338 VOL001 MR",
        "*DVHOPT LNK0 LOG1 RCM1 SMS0 NPW1 LNGAMENG PWC20140101 CRC"])
    guest = o.guest_directory(entry)
    assert guest.userid == "LINUX01" and guest.directory_complete
    assert guest.directory["1000"] == NicDef("1000", "VSW1", "0E4E8E", 3)
    assert guest.directory["1003"] == NicDef("1003", None, None, 6)
    assert (0x100A, 1) in guest.devices and (0x1003, 6) in guest.devices


def test_fresh_guests_keep_known_logon_state_and_ipl_forgets_it():
    state = Observed(guests={"LINUX01": ObservedGuest("LINUX01", logged_on=False)})
    state = o.with_guests(state, [o.guest_directory(
        parsers.parse_image_query_dm(["USER LINUX01 XXXXXXXX 2048M 2048M G"]))])
    assert state.guest("LINUX01").logged_on is False
    assert state.guest("LINUX01").directory_complete
    state = o.after_ipl(state)
    assert state.guest("LINUX01").logged_on is None
    assert state.guest("LINUX01").directory_complete

