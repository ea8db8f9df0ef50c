import pytest

from xcat import smcli
from xcat.smcli import NicDef, render, vlan_set

P = "/opt/zhcp/bin/smcli"


def line(argv):
    return render(argv)


def test_reference_grant_revoke_vlan_rdev_strings():
    assert line(smcli.vswitch_grant("fakevsw1", "fakeuser", persist=False)) == \
        f"{P} Virtual_Network_Vswitch_Set_Extended -T FAKEUSER -k switch_name=FAKEVSW1 " \
        "-k grant_userid=FAKEUSER -k persist=NO"
    assert line(smcli.vswitch_revoke("fakevsw1", "fakeuser")) == \
        f"{P} Virtual_Network_Vswitch_Set_Extended -T FAKEUSER -k switch_name=FAKEVSW1 " \
        "-k revoke_userid=FAKEUSER -k persist=YES"
    assert line(smcli.vswitch_grant("switch", "user01", vlans=10)).endswith(
        "-k grant_userid=USER01 -k user_vlan_id=10 -k persist=YES")
    assert line(smcli.vswitch_set_rdevs("zhcpuser", "fakevsw1", ["1000"])) == \
        f"{P} Virtual_Network_Vswitch_Set_Extended -T ZHCPUSER -k switch_name=FAKEVSW1 " \
        "-k real_device_address=1000 -k persist=YES"


def test_trunk_grant_with_vlan_set():
    argv = smcli.vswitch_grant("vsw1", "dhcp01", vlans=[(10, 12), 20], port_type="trunk")
    assert argv[-6:] == ["-k", "port_type=TRUNK", "-k", "user_vlan_id=10-12 20",
                         "-k", "persist=YES"]
    assert "'user_vlan_id=10-12 20'" in render(argv)


def test_port_of_a_port_based_vswitch_names_number_and_userid():
    # SMAPI: "portnum: Port number, followed by the userid" (one value, blank-separated)
    argv = smcli.vswitch_set_port("vsw1", 7, "linux01", vlans=100, port_type="access")
    assert argv[3] == "LINUX01"
    assert argv[4:] == ["-k", "switch_name=VSW1", "-k", "portnum=7 LINUX01",
                        "-k", "port_type=ACCESS", "-k", "user_vlan_id=100", "-k", "persist=YES"]
    assert "'portnum=7 LINUX01'" in render(argv)
    assert smcli.vswitch_set_port("vsw1", 2048, "u1", auth="zhcp")[3] == "ZHCP"
    with pytest.raises(ValueError, match="ACCESS port carries one VLAN"):
        smcli.vswitch_set_port("vsw1", 7, "linux01", vlans=[10, 20])


def test_couple_to_a_chosen_port():
    argv = smcli.adapter_connect_vswitch_extended("linux01", "1000", "vsw1", port=12)
    assert argv[1:] == ["Virtual_Network_Adapter_Connect_Vswitch_Extended", "-T", "LINUX01",
                        "-k", "image_device_number=1000", "-k", "switch_name=VSW1",
                        "-k", "port_selection=12"]
    auto = smcli.adapter_connect_vswitch_extended("linux01", "1000", "vsw1")
    assert auto[-1] == "port_selection=AUTO"


def test_nicdef_with_port_number():
    nic = smcli.NicDef("1000", lan_owner="SYSTEM", lan_name="vsw1", port_number=3)
    assert nic.keyword() == "NICDEF=VDEV=1000 TYPE=QDIO LAN=SYSTEM SWITCHNAME=VSW1 PORTNUMBER=3"
    with pytest.raises(ValueError, match="port_number"):
        smcli.NicDef("1000", port_number=3).keyword()
    with pytest.raises(ValueError, match="port_number"):
        smcli.NicDef("1000", lan_owner="SYSTEM", lan_name="vsw1", port_number=0).keyword()


def test_access_grant_refuses_several_vlans():
    with pytest.raises(ValueError, match="ACCESS port carries one VLAN"):
        smcli.vswitch_grant("vsw1", "linux01", vlans=[10, 20])


def test_vswitch_create_flat_and_vlan_aware():
    flat = smcli.vswitch_create("zhcpuser", "vsw", rdevs="6000", persist=False)
    assert flat[2:] == ["-T", "ZHCPUSER", "-n", "VSW", "-r", "6000", "-c", "1", "-q", "8",
                        "-e", "0", "-t", "2", "-v", "0", "-p", "0", "-u", "1", "-G", "0",
                        "-V", "-1"]
    aware = smcli.vswitch_create("zhcpuser", "vsw", rdevs="6000,6003", vlan=1,
                                 port_type="ACCESS", gvrp=False, native_vlan=1)
    assert aware[aware.index("-r") + 1] == "6000 6003"
    assert aware[-10:] == ["-v", "1", "-p", "1", "-u", "2", "-G", "2", "-V", "1"]
    assert aware[aware.index("-v") + 1] == "1" and aware[aware.index("-G") + 1] == "2"
    assert aware[aware.index("-u") + 1] == "2"


def test_vswitch_create_extended_keys():
    argv = smcli.vswitch_create_extended("zhcp", "vsw3", rdevs=["a3", "a6.p1"], vlan=100,
                                         port_type="ACCESS", port_based=True)
    keys = [argv[i + 1] for i in range(len(argv)) if argv[i] == "-k"]
    assert keys == ["switch_name=VSW3", "real_device_address=00A3 00A6.P1",
                    "connection_value=CONNECT", "queue_memory_limit=8", "transport_type=ETHERNET",
                    "vlan_id=100", "port_type=ACCESS", "persist=YES", "port_selection=PORTBASED"]


@pytest.mark.parametrize("kwargs, field", [
    ({"port_type": "ACCESS"}, "port_type"), ({"gvrp": True}, "gvrp"),
    ({"native_vlan": 1}, "native_vlan"),
])
def test_unaware_vswitch_refuses_vlan_options(kwargs, field):
    with pytest.raises(ValueError, match=field):
        smcli.vswitch_create("zhcp", "vsw", **kwargs)
    with pytest.raises(ValueError, match=field):
        smcli.vswitch_create_extended("zhcp", "vsw", **kwargs)


def test_adapter_builders():
    assert smcli.adapter_connect_vswitch_dm("fakeuser", "1000", "fakevsw1")[1:] == [
        "Virtual_Network_Adapter_Connect_Vswitch_DM", "-T", "FAKEUSER", "-v", "1000",
        "-n", "FAKEVSW1"]
    assert smcli.adapter_disconnect("fakeuser", 0x1000)[-2:] == ["-v", "1000"]
    assert smcli.adapter_create_dm("u1", "800", macid="0e4e8e")[3:] == [
        "U1", "-v", "0800", "-a", "2", "-n", "3", "-m", "0E4E8E"]
    assert smcli.adapter_create("u1", "800")[-4:] == ["-t", "2", "-d", "3"]
    ext = smcli.adapter_create_extended_dm("u1", "1000", macid="123456", chpid="f0")
    assert ext[-6:] == ["-k", "devices=3", "-k", "channel_path_id=F0", "-k", "mac_id=123456"]
    assert smcli.adapter_query("xcat")[-2:] == ["-v", "*"]
    assert render(smcli.adapter_query("xcat")).endswith("-v '*'")
    with pytest.raises(ValueError, match="vdev"):
        smcli.adapter_create_dm("u1", "FFFE")
    with pytest.raises(ValueError, match="devices"):
        smcli.adapter_create_dm("u1", "1000", devices=241)
    assert smcli.adapter_create_dm("u1", "FFF0", devices=16)[5] == "FFF0"
    with pytest.raises(ValueError, match="leaves no room for the NIC's 17 devices"):
        smcli.adapter_create_dm("u1", "FFF0", devices=17)
    with pytest.raises(ValueError, match="queue_memory: 9 is outside 1-8"):
        smcli.vswitch_create("zhcp", "vsw1", queue_memory=9)
    with pytest.raises(ValueError, match="devices: 'three' is not a number"):
        smcli.adapter_create("u1", "1000", devices="three")


def test_directory_and_system_builders():
    nic = NicDef("1000", macid="0e4e8e", lan_owner="SYSTEM", lan_name="vsw2")
    assert smcli.image_definition_update_dm("inst1", [nic])[-2:] == [
        "-k", "NICDEF=VDEV=1000 TYPE=QDIO MACID=0E4E8E LAN=SYSTEM SWITCHNAME=VSW2"]
    assert smcli.image_definition_query_dm("inst1")[-2:] == ["-k", "NICDEF"]
    assert smcli.image_query_activate_time("xcat")[-2:] == ["-f", "4"]
    assert smcli.system_info_query() == [P, "System_Info_Query"]
    assert smcli.static_image_changes_immediate_dm("zhcp")[-2:] == ["-T", "ZHCP"]
    assert smcli.image_query_dm("os000001") == [P, "Image_Query_DM", "-T", "OS000001"]


def test_vmcp_builders():
    assert render(smcli.vmcp_query_nic()) == "vmcp q v nic"
    assert render(smcli.vmcp_query_nic("800")) == "vmcp q v nic 0800"
    assert render(smcli.vmcp_define_nic("800")) == "vmcp define nic 0800 type qdio"
    assert render(smcli.vmcp_couple("800", "xcatvsw2")) == "vmcp couple 0800 system XCATVSW2"
    assert render(smcli.vmcp_uncouple("800")) == "vmcp uncouple 0800"
    assert render(smcli.vmcp_query_vswitch("vsw3", "details")) == "vmcp q vswitch VSW3 details"
    assert render(smcli.vmcp_query_vmlan()) == "vmcp q vmlan"


@pytest.mark.parametrize("value, text", [
    (10, "10"), ("10", "10"), ([1, 2, 3, 4], "1 2 3 4"), ("10-12 20-22", "10-12 20-22"),
    ([(20, 22), "10-12"], "10-12 20-22"), ("5,7", "5 7"),
])
def test_vlan_set_renders(value, text):
    assert vlan_set(value) == text


@pytest.mark.parametrize("value, message", [
    ([1, 2, 3, 4, 5], "at most"), ([(1, 2), (4, 5), (7, 8)], "at most"),
    ([(1, 2), 3, 4], "at most"),
    ([0], "outside"), ([4095], "outside"), ("12-10", "reversed"), ([5, "4-6"], "overlap"),
    ([], "empty"), (True, "not a VLAN set"), ("1;2", "not a number"),
])
def test_vlan_set_limits(value, message):
    with pytest.raises(ValueError, match=message):
        vlan_set(value)


def test_render_quotes_and_refuses_control_characters():
    assert render(["echo", "a b", "$(x)", "it's"]) == "echo 'a b' '$(x)' 'it'\"'\"'s'"
    for bad in ("a\nb", "a\x00b", "a\rb"):
        with pytest.raises(ValueError, match="control"):
            render(["echo", bad])
    with pytest.raises(ValueError):
        render("echo x")
    with pytest.raises(ValueError):
        render([])


def test_function_of():
    assert smcli.function_of(smcli.system_info_query()) == "System_Info_Query"
    assert smcli.function_of(["smcli", "Image_Query_DM"]) == "Image_Query_DM"
    assert smcli.function_of(smcli.vmcp_query_vmlan()) is None
