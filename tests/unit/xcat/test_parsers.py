import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xcat import smcli_parsers as p
from xcat.envelope import split_chunks, strip_prefix
from xcat.errors import SmapiError
from xcat.smcli import NicDef


def dsh_lines(text, node="zhcp"):
    return strip_prefix(split_chunks([text]), node)


def test_failure_block_reference_sample():
    lines = dsh_lines("zhcp: Failed\nzhcp: Return Code: 212\nzhcp: Reason Code: 8\n"
                      "zhcp: Description: Adapter does not exist")
    assert p.parse_failure(lines) == (212, 8, "Adapter does not exist")
    with pytest.raises(SmapiError) as info:
        p.parse_adapter_query(lines)
    assert (info.value.rc, info.value.rs) == (212, 8)
    assert info.value.description == "Adapter does not exist"
    assert info.value.function == "Virtual_Network_Adapter_Query"


def test_failure_block_with_indentation_and_negative_rc():
    lines = ["Connecting virtual network adapter at 1000 to VSW1... Failed",
             "  Return Code: 212", "  Reason Code: 8", "  Description: Image not authorized"]
    assert p.parse_failure(lines) == (212, 8, "Image not authorized")
    lines = ["Failed", "  Return Code: -101", "  Description: Socket connect refused error",
             "  Errno value: 111"]
    assert p.parse_failure(lines) == (-101, None, "Socket connect refused error")
    assert p.parse_failure(["Creating virtual switch VSW1... Done"]) is None


def test_check_action():
    p.check_action("Virtual_Network_Vswitch_Create", ["Creating virtual switch VSW1... Done"])
    with pytest.raises(SmapiError, match="rc=212 rs=36"):
        p.check_action("Virtual_Network_Vswitch_Create",
                       ["Creating virtual switch VSW1... Failed", "  Return Code: 212",
                        "  Reason Code: 36", "  Description: Virtual switch already exists"])
    with pytest.raises(SmapiError, match="unexpected output"):
        p.check_action("X", ["ERROR: Missing required options"])


VSQ = """zhcp: VSWITCH:  Name: VSW3
zhcp:   Transport type: Ethernet
zhcp:   Port type: Access
zhcp:   Queue memory limit: 8
zhcp:   Routing value:
zhcp:   VLAN ID: 1
zhcp:   Native VLAN ID: 1
zhcp:   MAC ID: 020000000005
zhcp:   GVRP request attributes: GVRP not requested
zhcp:   GVRP enabled attributes: GVRP not enabled
zhcp:   Switch status: OSA device ready
zhcp:   Devices:
zhcp:     Real device: 00A3
zhcp:     Controller name: DTCVSW1
zhcp:     Port name:
zhcp:     Device status: Device is active
zhcp:     Device error status: No error
zhcp:
zhcp:   Authorized users:
zhcp:     User: OS000001
zhcp:   Connections:
zhcp:     Adapter owner: OS000001  Device number: 1000"""


def test_vswitch_query_reference_layout():
    (vsw,) = p.parse_vswitch_query(dsh_lines(VSQ))
    assert vsw.name == "VSW3" and vsw.transport == "Ethernet" and vsw.vlan_id == 1
    assert vsw.queue_memory == 8 and vsw.status == "OSA device ready"
    assert vsw.rdev_addresses == ["00A3"] and vsw.rdevs[0].controller == "DTCVSW1"
    assert vsw.rdevs[0].status == "Device is active"
    assert vsw.authorized == ["OS000001"]
    assert [(c.owner, c.vdev) for c in vsw.connections] == [("OS000001", "1000")]


def test_vswitch_query_collapsed_fixture_of_the_anchor_tests():
    text = "zhcp: VSWITCH:  Name: L3PUB001\nzhcp:   Real device: 6263\n Real device: 0000\n"
    (vsw,) = p.parse_vswitch_query(dsh_lines(text))
    assert vsw.rdev_addresses == ["6263", "0000"]


def test_vswitch_query_missing_raises_212_40():
    with pytest.raises(SmapiError) as info:
        p.parse_vswitch_query(["Failed", "  Return Code: 212", "  Reason Code: 40",
                               "  Description: Virtual switch does not exist"])
    assert info.value.code == (212, 40)


def render_query_extended(switches):
    out = []
    for sw in switches:
        out += [f" switch_name: {sw['name']}", " transport_type: ETHERNET", " port_type: ACCESS",
                " queue_memory_limit: 8", " routing_value: NA",
                f" vlan_awareness: {'AWARE' if sw['aware'] else 'UNAWARE'}",
                " vlan_id: 0001", " native_vlan_id: 0001", " mac_address: 02-00-00-00-00-05",
                " gvrp_request_attribute: NOGVRP", " gvrp_enabled_attribute: NOGVRP",
                " switch_status: 8", " link_ag: OFF", " lag_interval: 0", " lag_group: (NOGRP)",
                " IP_timeout: 5", " switch_type: QDIO", " isolation_status: OFF",
                " MAC_protect: UNSPECIFIED",
                f" user_port_based: {'PORTBASED' if sw['portbased'] else 'USERBASED'}",
                " VLAN_counters: OFF"]
        for rdev in sw["rdevs"]:
            out += [f"real_device_address: {rdev}", "virtual_device_address: 0600",
                    "controller_name: DTCVSW1", "port_name: ", "device_status: 1",
                    "device_error_status 0"]
        for user, port, vlans in sw["grants"]:
            out += [f"port_num: {port:04d}", f"grant_userid: {user}", "promiscuous_mode: NOPROM",
                    "osd_sim: NOOSDSIM", f"vlan_count: {max(len(vlans), 1)}"]
            out += [f"user_vlan_id: {v:04d}" for v in vlans] or ["user_vlan_id: 0000"]
        for owner, vdev in sw["conns"]:
            out += [f"adapter_owner: {owner}", f"adapter_vdev: {vdev}",
                    "adapter_macaddr: 02-00-00-00-00-07", "adapter_type: QDIO"]
        out += ["uplink_NIC_userid: ", "global_member_count: 0"]
    return out


userids = st.from_regex(r"[A-Z][A-Z0-9]{0,6}", fullmatch=True)
vdevs = st.integers(0, 0xFFFD).map(lambda n: f"{n:04X}")
switch_state = st.fixed_dictionaries({
    "name": st.from_regex(r"[A-Z][A-Z0-9]{0,7}", fullmatch=True),
    "aware": st.booleans(), "portbased": st.booleans(),
    "rdevs": st.lists(vdevs, max_size=3, unique=True),
    "grants": st.lists(st.tuples(userids, st.integers(0, 2048),
                                 st.lists(st.integers(1, 4094), max_size=4, unique=True)),
                       max_size=4, unique_by=lambda g: g[0]),
    "conns": st.lists(st.tuples(userids, vdevs), max_size=3),
})


@settings(max_examples=100, deadline=None)
@given(st.lists(switch_state, min_size=1, max_size=3), st.booleans())
def test_query_extended_round_trip(switches, collapse):
    lines = render_query_extended(switches)
    if collapse:
        lines = [line.strip() for line in lines]
    parsed = p.parse_vswitch_query_extended(lines)
    assert [s.name for s in parsed] == [s["name"] for s in switches]
    for got, want in zip(parsed, switches, strict=True):
        assert got.vlan_aware == want["aware"] and got.port_based == want["portbased"]
        assert got.transport == "ETHERNET" and got.vlan_id == 1 and got.status == 8
        assert [d.address for d in got.rdevs] == want["rdevs"]
        assert all(d.vdev == "0600" and d.error_status == "0" for d in got.rdevs)
        assert [g.userid for g in got.grants] == [g[0] for g in want["grants"]]
        for grant, (_, port, vlans) in zip(got.grants, want["grants"], strict=True):
            assert grant.port_num == port
            assert grant.vlan_ids == (vlans if want["aware"] else [])
        assert [(c.owner, c.vdev) for c in got.connections] == want["conns"]


def test_query_extended_grant_port_type_and_lookup():
    lines = render_query_extended([{"name": "VSW1", "aware": True, "portbased": False,
                                    "rdevs": [], "grants": [("DHCP01", 0, [10, 11])],
                                    "conns": []}])
    lines.insert(lines.index("grant_userid: DHCP01") + 1, "port_type: TRUNK")
    (sw,) = p.parse_vswitch_query_extended(lines)
    assert sw.port_type == "ACCESS"
    grant = sw.grant_for("dhcp01")
    assert grant.port_type == "TRUNK" and grant.vlans == [(10, 10), (11, 11)]


def render_adapter(a):
    coupled = a["coupled"]
    return ["Adapter:", f"  Address: {a['vdev']}", "  Device count: 3", "  Adapter type: QDIO",
            f"  Adapter status: {'Coupled and active' if coupled else 'Not coupled'}",
            f"  LAN owner: {'SYSTEM' if coupled else ''}",
            f"  LAN name: {a['vsw'] if coupled else ''}"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.fixed_dictionaries({"vdev": vdevs, "coupled": st.booleans(),
                                       "vsw": st.from_regex(r"[A-Z]{1,8}", fullmatch=True)}),
                max_size=5))
def test_adapter_query_round_trip(adapters):
    text = "\n".join("zhcp: " + line for a in adapters for line in render_adapter(a))
    parsed = p.parse_adapter_query(dsh_lines(text)) if adapters else []
    assert [x.vdev for x in parsed] == [a["vdev"] for a in adapters]
    for got, want in zip(parsed, adapters, strict=True):
        assert got.coupled == want["coupled"] and got.device_count == 3
        assert got.vswitch == (want["vsw"] if want["coupled"] else None)


def test_adapter_query_reference_sample():
    text = ("zhcp: Adapter:\nzhcp: Address: 0800\nzhcp: Device count: 3\n"
            "zhcp: Adapter type: QDIO\nzhcp: Adapter status: Coupled and active\n"
            "zhcp: LAN owner: SYSTEM\nzhcp: LAN name: XCATVSW2")
    (nic,) = p.parse_adapter_query(dsh_lines(text))
    assert (nic.vdev, nic.vswitch, nic.coupled) == ("0800", "XCATVSW2", True)


def test_image_query_dm_merges_nicdefs():
    lines = ["USER OS000001 XXXXXXXX 2048M 2048M G", "INCLUDE OSDFLT", "CPU 00 BASE",
             "NICDEF 1000 TYPE QDIO LAN SYSTEM VSW2 MACID 0E4E8E", "NICDEF 1003 DEVICES 3",
             "NICDEF 1003 LAN SYSTEM VS1", "NICDEF 600 TYPE HIPERS DEVICES 3",
             "MDISK 0100 3390 1 10016 VOL001 MR", "*DVHOPT LNK0 LOG1 RCM1 SMS0 NPW1 LNGAMENG"]
    entry = p.parse_image_query_dm(lines)
    assert entry.userid == "OS000001" and not any(s.startswith("*DVHOPT") for s in entry.statements)
    assert entry.nicdefs["1000"] == NicDef("1000", "QDIO", None, "SYSTEM", "VSW2", "0E4E8E")
    assert entry.nicdefs["1003"].vswitch == "VS1" and entry.nicdefs["1003"].devices == 3
    assert entry.nicdefs["0600"].adapter_type == "HIPERSOCKETS"


def test_nicdef_port_number_of_a_port_based_vswitch():
    entry = p.parse_image_query_dm(["USER U1 X 1G 1G G",
                                    "NICDEF 1000 TYPE QDIO LAN SYSTEM PVSW PORTNUMBER 7"])
    assert entry.nicdefs["1000"].port_number == 7 and entry.nicdefs["1000"].vswitch == "PVSW"
    (nic,) = p.parse_image_definition_query_dm(
        ["NICDEF=VDEV=1000 TYPE=QDIO LAN=SYSTEM SWITCHNAME=PVSW PORTNUMBER=0012"])
    assert nic.port_number == 12


def test_vswitch_query_extended_ports_of_a_port_based_vswitch():
    lines = [" switch_name: PVSW", " vlan_awareness: AWARE", " user_port_based: PORTBASED",
             "port_num: 0001", "grant_userid: LINUX01", "promiscuous_mode: NOPROM",
             "osd_sim: NOOSDSIM", "vlan_count: 1", "user_vlan_id: 0100",
             "port_num: 0002", "grant_userid: LINUX01", "promiscuous_mode: NOPROM",
             "osd_sim: NOOSDSIM", "vlan_count: 1", "user_vlan_id: 0200"]
    (vsw,) = p.parse_vswitch_query_extended(lines)
    assert vsw.port_based
    assert [(g.port_num, g.userid, g.vlan_ids) for g in vsw.grants] == [
        (1, "LINUX01", [100]), (2, "LINUX01", [200])]


def test_image_definition_query_dm():
    lines = ["NICDEF=VDEV=0600 TYPE=QDIO LAN=SYSTEM SWITCHNAME=XCATVSW1",
             "NICDEF=VDEV=1000 TYPE=QDIO MACID=0E4E8E"]
    first, second = p.parse_image_definition_query_dm(lines)
    assert first.vswitch == "XCATVSW1" and first.vdev == "0600"
    assert second.macid == "0E4E8E" and second.vswitch is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.builds(NicDef, vdev=st.integers(0, 0xFFF0).map(lambda n: f"{n:04X}"),
                          macid=st.one_of(st.none(), st.from_regex(r"[0-9A-F]{6}", fullmatch=True)),
                          lan_owner=st.just("SYSTEM"),
                          lan_name=st.from_regex(r"[A-Z][A-Z0-9]{0,7}", fullmatch=True)),
                max_size=5, unique_by=lambda n: n.vdev))
def test_nicdef_keyword_round_trip(nics):
    lines = [n.keyword() for n in nics]
    assert p.parse_image_definition_query_dm(lines) == nics


def test_activate_time_and_system_info():
    act = p.parse_activate_time(dsh_lines("zhcp: XCAT was activated on 2014-06-11 at 02:41:15"))
    assert act.userid == "XCAT" and act.when == "2014-06-11 at 02:41:15"
    assert act.timestamp.hour == 2
    info = p.parse_system_info(dsh_lines(
        "zhcp: The z/VM timezone: EDT\nzhcp: The z/VM time: 2014-06-12 10:00:00\n"
        "zhcp: The z/VM version: z/VM 6.3.0\nzhcp: The z/VM CP Gen time: 2014-01-01 00:00:00 EDT\n"
        "zhcp: The z/VM CP IPL time: 2014-06-11 01:38:37 EDT\n"
        "zhcp: The z/VM real storage size: 16G"))
    assert info.ipl_time == "2014-06-11 01:38:37 EDT" and info.timezone == "EDT"
    with pytest.raises(SmapiError) as exc:
        p.parse_activate_time(["Failed", "Return Code: 200", "Reason Code: 12",
                               "Description: Image not active"])
    assert exc.value.code == (200, 12)


QVNIC = """Adapter 0600.P00 Type: QDIO      Name: UNASSIGNED  Devices: 3
  MAC: 02-00-01-00-00-05         VSWITCH: SYSTEM XCATVSW1
Adapter 0700.P00 Type: QDIO      Name: UNASSIGNED  Devices: 3
  MAC: 02-00-01-00-00-06         VSWITCH: SYSTEM XCATVSW2
Adapter 0800.P00 Type: QDIO      Name: UNASSIGNED  Devices: 3
  MAC: 02-00-01-00-01-66         LAN: * None"""


def test_vmcp_query_nic_reference():
    nics = p.parse_vmcp_query_nic(QVNIC.split("\n"))
    assert [(n.vdev, n.vswitch, n.coupled) for n in nics] == [
        ("0600", "XCATVSW1", True), ("0700", "XCATVSW2", True), ("0800", None, False)]
    assert nics[2].mac == "02-00-01-00-01-66" and nics[0].devices == 3
    assert p.parse_vmcp_query_nic(["HCPNDQ040E Device 0800 does not exist"]) == []
    with pytest.raises(p.CpError, match="HCPCPL002E"):
        p.parse_vmcp_query_nic(["HCPCPL002E Invalid operand - X"])


def test_vmcp_query_vmlan():
    lines = ["VMLAN MAC address assignment:", "  System MAC Protection: OFF",
             "  MACADDR Prefix: 020000  USER Prefix: 02000A",
             "  MACIDRANGE SYSTEM: 000001-FFFFFF", "             USER:   000000-000000"]
    vmlan = p.parse_vmcp_query_vmlan(lines)
    assert (vmlan.mac_prefix, vmlan.user_prefix) == ("020000", "02000A")
    assert vmlan.system_macid_range == ("000001", "FFFFFF")
    assert vmlan.user_macid_range == ("000000", "000000")
    no_user = p.parse_vmcp_query_vmlan(["  MACADDR Prefix: 020000"])
    assert no_user.effective_user_prefix == "020000"
