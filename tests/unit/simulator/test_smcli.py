"""smcli fidelity: texts, rc/rs, exit codes and state effects (reference zvm-smapi §2, §3, §7)."""
from __future__ import annotations

from xcat.simulator import events

SET = "Virtual_Network_Vswitch_Set_Extended"


def _create_vlan_vswitch(smcli, name="VSW1"):
    out = smcli("Virtual_Network_Vswitch_Create", "-T", "ZHCP", "-n", name, "-r", "6000",
                "-c", "1", "-q", "8", "-e", "0", "-t", "2", "-v", "1-4094", "-p", "1",
                "-u", "1", "-G", "2", "-V", "1")
    assert (out.stdout, out.status) == (f"Creating virtual switch {name}... Done\n", 0)


def test_system_info_query_has_six_lines_with_ipl_time_on_line_five(smcli):
    out = smcli("System_Info_Query")
    lines = out.stdout.rstrip("\n").split("\n")
    assert len(lines) == 6 and out.status == 0
    assert lines[4] == "The z/VM CP IPL time: 2014-06-11 01:38:37 EDT"
    assert ("zhcp: " + lines[4]).split(": ", 3)[2] == "2014-06-11 01:38:37 EDT"


def test_adapter_query_seven_lines_and_four_line_failure(smcli):
    out = smcli("Virtual_Network_Adapter_Query", "-T", "XCAT", "-v", "0700")
    assert out.stdout == ("Adapter:\n  Address: 0700\n  Device count: 3\n  Adapter type: QDIO\n"
                          "  Adapter status: Coupled and active\n  LAN owner: SYSTEM\n"
                          "  LAN name: XCATVSW2\n")
    missing = smcli("Virtual_Network_Adapter_Query", "-T", "XCAT", "-v", "0800")
    assert missing.stdout == ("Failed\n  Return Code: 212\n  Reason Code: 8\n"
                              "  Description: Adapter does not exist\n")
    assert missing.status == 1


def test_adapter_query_on_logged_off_guest_is_image_not_active(smcli):
    out = smcli("Virtual_Network_Adapter_Query", "-T", "LINUX04", "-v", "*")
    assert out.stdout.split("\n")[:3] == ["Failed", "  Return Code: 200", "  Reason Code: 12"]
    assert "  Description: Image not active" in out.stdout


def test_vswitch_create_flat_and_vlan_and_duplicate(smcli, model):
    out = smcli("Virtual_Network_Vswitch_Create", "-T", "ZHCP", "-n", "flat1", "-c", "1",
                "-q", "8", "-e", "0", "-t", "2", "-v", "0", "-p", "0", "-u", "1", "-G", "0",
                "-V", "-1")
    assert out.stdout == "Creating virtual switch flat1... Done\n"
    assert not model.vswitches["FLAT1"].vlan_aware and not model.vswitches["FLAT1"].persistent
    _create_vlan_vswitch(smcli)
    vsw = model.vswitches["VSW1"]
    assert (vsw.vlan_aware, vsw.default_vid, vsw.porttype, vsw.gvrp) == (True, 1, "ACCESS", False)
    again = smcli("Virtual_Network_Vswitch_Create", "-T", "ZHCP", "-n", "VSW1")
    assert again.stdout == ("Creating virtual switch VSW1... Failed\n  Return Code: 212\n"
                            "  Reason Code: 36\n  Description: Virtual switch already exists\n")
    assert again.status == 1


def test_vswitch_query_format_and_missing(smcli):
    _create_vlan_vswitch(smcli)
    out = smcli("Virtual_Network_Vswitch_Query", "-T", "ZHCP", "-s", "vsw1")
    assert out.stdout.startswith("VSWITCH:  Name: VSW1\n  Transport type: Ethernet\n")
    assert "    Real device: 6000\n" in out.stdout and out.status == 0
    missing = smcli("Virtual_Network_Vswitch_Query", "-T", "ZHCP", "-s", "NOPE")
    assert missing.stdout == ("Failed\n  Return Code: 212\n  Reason Code: 40\n"
                              "  Description: Virtual switch does not exist\n")
    assert missing.status == 1


def test_grant_vlan_couple_and_query_extended(smcli, model):
    _create_vlan_vswitch(smcli)
    denied = smcli("Virtual_Network_Adapter_Create_DM", "-T", "LINUX01", "-v", "1000", "-a", "2",
                   "-n", "3", "-m", "0E4E8E")
    assert denied.stdout == "Adding virtual NIC to LINUX01's directory entry... Done\n"
    smcli("Virtual_Network_Adapter_Create", "-T", "LINUX01", "-v", "1000", "-t", "2", "-d", "3")
    no_grant = smcli("Virtual_Network_Adapter_Connect_Vswitch", "-T", "LINUX01", "-v", "1000",
                     "-n", "vsw1")
    assert no_grant.stdout.endswith("  Reason Code: 8\n  Description: Image not authorized "
                                    "to connect\n")
    grant = smcli(SET, "-T", "LINUX01", "-k", "switch_name=vsw1", "-k", "grant_userid=LINUX01")
    assert grant.stdout == "Changing virtual switch configuration ... Done\n"
    vlan = smcli(SET, "-T", "LINUX01", "-k", "grant_userid=LINUX01", "-k", "switch_name=vsw1",
                 "-k", "user_vlan_id=100")
    assert vlan.status == 0 and model.vswitches["VSW1"].grants["LINUX01"].vlans == ["100"]
    ok = smcli("Virtual_Network_Adapter_Connect_Vswitch", "-T", "LINUX01", "-v", "1000",
               "-n", "vsw1")
    assert ok.stdout == "Connecting virtual network adapter at 1000 to vsw1... Done\n"
    twice = smcli("Virtual_Network_Adapter_Connect_Vswitch", "-T", "LINUX01", "-v", "1000",
                  "-n", "vsw1")
    assert "  Return Code: 204\n  Reason Code: 20\n" in twice.stdout
    ext = smcli("Virtual_Network_Vswitch_Query_Extended", "-T", "ZHCP", "-k", "switch_name=VSW1")
    assert "grant_userid: LINUX01\n" in ext.stdout and "user_vlan_id: 0100\n" in ext.stdout
    assert "adapter_owner: LINUX01\nadapter_vdev: 1000\n" in ext.stdout
    assert ext.stdout.splitlines()[0] == " switch_name: VSW1"


def test_vlan_on_unaware_vswitch_and_vlan_limits(smcli):
    flat = smcli(SET, "-T", "LINUX01", "-k", "switch_name=XCATVSW2", "-k", "grant_userid=LINUX01",
                 "-k", "user_vlan_id=10")
    assert "  Return Code: 396\n  Reason Code: 2846\n  Description: Internal error found. - " \
           "product-specific return code : 2846\n" in flat.stdout
    _create_vlan_vswitch(smcli)
    too_many = smcli(SET, "-T", "LINUX01", "-k", "switch_name=VSW1", "-k", "grant_userid=LINUX01",
                     "-k", "user_vlan_id=1 2 3 4 5")
    assert "  Return Code: 24\n" in too_many.stdout and too_many.status == 1
    out_of_range = smcli(SET, "-T", "LINUX01", "-k", "switch_name=VSW1", "-k",
                         "grant_userid=LINUX01", "-k", "user_vlan_id=4095")
    assert "Syntax error in function parameter" in out_of_range.stdout
    ranges = smcli(SET, "-T", "LINUX01", "-k", "switch_name=VSW1", "-k", "grant_userid=LINUX01",
                   "-k", "user_vlan_id=10-12 20-22")
    assert ranges.status == 0


def test_revoke_keeps_connection_by_default_and_breaks_it_when_configured(smcli, model):
    smcli(SET, "-T", "LINUX01", "-k", "switch_name=XCATVSW2", "-k", "grant_userid=LINUX01")
    smcli("Virtual_Network_Adapter_Create", "-T", "LINUX01", "-v", "1000", "-t", "2", "-d", "3")
    smcli("Virtual_Network_Adapter_Connect_Vswitch", "-T", "LINUX01", "-v", "1000", "-n",
          "XCATVSW2")
    smcli(SET, "-T", "LINUX01", "-k", "switch_name=XCATVSW2", "-k", "revoke_userid=LINUX01")
    nic = model.guests["LINUX01"].active_nics["1000"]
    assert nic.coupled_to == "XCATVSW2" and "LINUX01" not in model.vswitches["XCATVSW2"].grants
    model.options.revoke_breaks_connections = True
    smcli(SET, "-T", "LINUX01", "-k", "switch_name=XCATVSW2", "-k", "grant_userid=LINUX01")
    smcli(SET, "-T", "LINUX01", "-k", "switch_name=XCATVSW2", "-k", "revoke_userid=LINUX01")
    assert nic.coupled_to is None


def test_directory_couple_applies_at_next_logon(smcli, model):
    smcli("Image_Definition_Update_DM", "-T", "LINUX04", "-k",
          "NICDEF=VDEV=1000 TYPE=QDIO MACID=0e4e8e")
    out = smcli("Virtual_Network_Adapter_Connect_Vswitch_DM", "-T", "linux04", "-v", "1000",
                "-n", "XCATVSW2")
    assert out.stdout == "Defining virtual switch connection in linux04's directory entry... Done\n"
    active = smcli("Virtual_Network_Adapter_Connect_Vswitch", "-T", "LINUX04", "-v", "1000",
                   "-n", "XCATVSW2")
    assert "  Return Code: 200\n  Reason Code: 12\n" in active.stdout
    smcli(SET, "-T", "LINUX04", "-k", "switch_name=XCATVSW2", "-k", "grant_userid=LINUX04")
    events.logon(model, "LINUX04")
    nic = model.guests["LINUX04"].active_nics["1000"]
    assert nic.coupled_to == "XCATVSW2" and nic.mac == "FA163E0E4E8E"
    dm = smcli("Image_Query_DM", "-T", "LINUX04").stdout
    assert "NICDEF 1000 TYPE QDIO LAN SYSTEM XCATVSW2 MACID 0E4E8E\n" in dm
    query = smcli("Image_Definition_Query_DM", "-T", "LINUX04", "-k", "NICDEF")
    assert query.stdout == ("NICDEF=VDEV=1000 TYPE=QDIO LAN=SYSTEM SWITCHNAME=XCATVSW2 "
                            "MACID=0E4E8E\n")


def test_macid_unique_per_system_and_nic_overlap(smcli):
    smcli("Image_Definition_Update_DM", "-T", "LINUX01", "-k", "NICDEF=VDEV=1000 TYPE=QDIO "
          "MACID=000001")
    dup = smcli("Image_Definition_Update_DM", "-T", "LINUX02", "-k",
                "NICDEF=VDEV=1000 TYPE=QDIO MACID=000001")
    assert dup.status == 1 and "  Return Code: 596\n" in dup.stdout
    same_nic = smcli("Image_Definition_Update_DM", "-T", "LINUX01", "-k",
                     "NICDEF=VDEV=1000 LAN=SYSTEM SWITCHNAME=XCATVSW2")
    assert same_nic.status == 0
    overlap = smcli("Virtual_Network_Adapter_Create_DM", "-T", "LINUX01", "-v", "1001", "-a", "2",
                    "-n", "3")
    assert "  Return Code: 404\n  Reason Code: 4\n" in overlap.stdout
    update_overlap = smcli("Image_Definition_Update_DM", "-T", "LINUX01", "-k",
                           "NICDEF=VDEV=1002 TYPE=QDIO")
    assert "  Return Code: 404\n  Reason Code: 4\n" in update_overlap.stdout
    assert smcli("Virtual_Network_Adapter_Create_DM", "-T", "LINUX01", "-v", "1003", "-a", "2",
                 "-n", "3").status == 0


def test_active_nic_overlap_is_already_defined(smcli):
    assert smcli("Virtual_Network_Adapter_Create", "-T", "LINUX01", "-v", "2000", "-t", "2",
                 "-d", "3").status == 0
    overlap = smcli("Virtual_Network_Adapter_Create", "-T", "LINUX01", "-v", "1FFE", "-t", "2",
                    "-d", "3")
    assert "  Return Code: 204\n  Reason Code: 4\n" in overlap.stdout
    assert smcli("Virtual_Network_Adapter_Create", "-T", "LINUX01", "-v", "1FFD", "-t", "2",
                 "-d", "3").status == 0


def test_disconnect_and_delete_errors(smcli):
    smcli("Virtual_Network_Adapter_Create_DM", "-T", "LINUX01", "-v", "1000", "-a", "2", "-n", "3")
    no_lan = smcli("Virtual_Network_Adapter_Disconnect_DM", "-T", "LINUX01", "-v", "1000")
    assert "  Return Code: 212\n  Reason Code: 32\n" in no_lan.stdout
    missing = smcli("Virtual_Network_Adapter_Delete_DM", "-T", "LINUX01", "-v", "2000")
    assert "  Return Code: 404\n  Reason Code: 8\n" in missing.stdout
    smcli("Virtual_Network_Adapter_Create", "-T", "LINUX01", "-v", "1000", "-t", "2", "-d", "3")
    idle = smcli("Virtual_Network_Adapter_Disconnect", "-T", "LINUX01", "-v", "1000")
    assert idle.stdout.startswith("Disconnecting virtual network adapter... Failed\n")
    assert "  Reason Code: 48\n" in idle.stdout
    unknown = smcli("Virtual_Network_Adapter_Delete_DM", "-T", "NOBODY", "-v", "1000")
    assert "  Return Code: 400\n  Reason Code: 4\n" in unknown.stdout


def test_usage_errors(smcli):
    missing = smcli("Virtual_Network_Vswitch_Query", "-T", "ZHCP")
    assert (missing.stdout, missing.status) == ("ERROR: Missing required options\n", 1)
    missing_k = smcli(SET, "-T", "ZHCP")
    assert missing_k.stdout == "\nERROR: Missing required options\n"
    bad = smcli("Virtual_Network_Vswitch_Query", "-T", "ZHCP", "-z", "x")
    assert bad.stderr == "Virtual_Network_Vswitch_Query: invalid option -- 'z'\n"
    assert bad.status == 1 and bad.stdout == ""
    noarg = smcli("Virtual_Network_Vswitch_Query", "-T")
    assert "option requires an argument -- 'T'" in noarg.stderr
    help_text = smcli("Virtual_Network_Vswitch_Query", "-h")
    assert help_text.stdout.startswith("NAME\n  Virtual_Network_Vswitch_Query\n")
    assert help_text.status == 1
    assert smcli("No_Such_Function").stdout == "ERROR: Unsupported API function name\n"
    assert smcli().stdout.startswith("Command line interface to SMAPI socket APIs.")
    many = smcli("Virtual_Network_Vswitch_Query_Extended", "-T", "Z", "-k", "a=1", "-k", "b=2",
                 "-k", "c=3")
    assert many.stdout == "ERROR: Too many -k values entered\n" and many.status != 0


def test_activate_time_formats_and_static_changes(smcli):
    assert smcli("Image_Query_Activate_Time", "-T", "XCAT", "-f", "4").stdout == \
        "XCAT was activated on 2014-06-11 at 01:38:37\n"
    assert smcli("Image_Query_Activate_Time", "-T", "xcat", "-f", "2").stdout == \
        "XCAT was activated on 06/11/2014 at 01:38:37\n"
    assert smcli("Static_Image_Changes_Immediate_DM", "-T", "ZHCP").stdout == \
        "Making changes to ZHCP's directory immediately available... Done\n"


def test_delete_vswitch_uncouples(smcli, model):
    out = smcli("Virtual_Network_Vswitch_Delete", "-T", "ZHCP", "-n", "XCATVSW2")
    assert out.stdout == "Deleting virtual switch XCATVSW2... Done\n"
    assert model.guests["XCAT"].active_nics["0700"].coupled_to is None


def test_ipl_keeps_only_persistent_vswitches_and_grants(smcli, model):
    _create_vlan_vswitch(smcli, "TEMP")
    smcli("Virtual_Network_Vswitch_Create_Extended", "-T", "ZHCP", "-k", "switch_name=KEEP",
          "-k", "transport_type=ETHERNET", "-k", "vlan_id=AWARE", "-k", "persist=YES")
    smcli(SET, "-T", "LINUX01", "-k", "switch_name=KEEP", "-k", "grant_userid=LINUX01",
          "-k", "user_vlan_id=7", "-k", "persist=YES")
    smcli(SET, "-T", "LINUX02", "-k", "switch_name=KEEP", "-k", "grant_userid=LINUX02")
    old = model.system.ipl_time
    model.advance(3600)
    events.ipl(model)
    assert model.system.ipl_time != old
    assert "TEMP" not in model.vswitches and "KEEP" in model.vswitches
    assert set(model.vswitches["KEEP"].grants) == {"LINUX01"}
    assert model.vswitches["KEEP"].grants["LINUX01"].vlans == ["7"]
    assert model.guests["LINUX01"].logged_on and not model.guests["LINUX03"].logged_on
    assert model.guests["XCAT"].active_nics["0700"].coupled_to == "XCATVSW2"


def test_injected_failure_hook(model):
    from xcat.simulator.smcli import Smcli
    cli = Smcli(model, hook=lambda fn, uid: (500, 8) if uid == "LINUX01" else None)
    out = cli.run(["smcli", SET, "-T", "LINUX01", "-k", "switch_name=XCATVSW2",
                   "-k", "grant_userid=LINUX01"])
    assert out.stdout == ("Changing virtual switch configuration ... Failed\n  Return Code: 500\n"
                          "  Reason Code: 8\n  Description: Directory manager is not available\n")
    assert "LINUX01" not in model.vswitches["XCATVSW2"].grants


def _port_based_vswitch(smcli, model, name="PVSW"):
    out = smcli("Virtual_Network_Vswitch_Create_Extended", "-T", "ZHCP", "-k",
                f"switch_name={name}", "-k", "vlan_id=1", "-k", "port_type=ACCESS", "-k",
                "port_selection=PORTBASED")
    assert out.status == 0 and not model.vswitches[name].user_based


def test_port_based_vswitch_ports_vlans_and_couple_to_a_chosen_port(smcli, model):
    _port_based_vswitch(smcli, model)
    for port, vlan in ((1, 100), (2, 200)):
        out = smcli(SET, "-T", "LINUX01", "-k", "switch_name=PVSW", "-k",
                    f"portnum={port} LINUX01", "-k", "port_type=ACCESS", "-k",
                    f"user_vlan_id={vlan}")
        assert out.stdout == "Changing virtual switch configuration ... Done\n"
    bad = smcli(SET, "-T", "LINUX01", "-k", "switch_name=PVSW", "-k", "portnum=3")
    assert "  Return Code: 24\n" in bad.stdout  # the port number must be followed by a userid
    ext = smcli("Virtual_Network_Vswitch_Query_Extended", "-T", "ZHCP", "-k", "switch_name=PVSW")
    assert " user_port_based: PORTBASED\n" in ext.stdout
    assert ("port_num: 0002\ngrant_userid: LINUX01\npromiscuous_mode: NOPROM\n"
            "osd_sim: NOOSDSIM\nvlan_count: 1\nuser_vlan_id: 0200\n") in ext.stdout
    for vdev in ("1000", "1003"):
        smcli("Virtual_Network_Adapter_Create", "-T", "LINUX01", "-v", vdev, "-t", "2", "-d", "3")
    connect = "Virtual_Network_Adapter_Connect_Vswitch_Extended"
    ok = smcli(connect, "-T", "LINUX01", "-k", "image_device_number=1003", "-k",
               "switch_name=PVSW", "-k", "port_selection=2")
    assert ok.stdout == ("Connecting virtual network adapter to an existing virtual switch... "
                         "Done\n")
    nics = model.guests["LINUX01"].active_nics
    assert (nics["1003"].coupled_to, nics["1003"].port) == ("PVSW", 2)
    taken = smcli(connect, "-T", "LINUX01", "-k", "image_device_number=1000", "-k",
                  "switch_name=PVSW", "-k", "port_selection=2")
    assert "  Return Code: 212\n  Reason Code: 8\n" in taken.stdout  # port 2 is in use
    other = smcli(connect, "-T", "LINUX02", "-k", "image_device_number=1000", "-k",
                  "switch_name=PVSW", "-k", "port_selection=1")
    assert "  Return Code: 2" in other.stdout and other.status == 1  # not LINUX02's port
    auto = smcli("Virtual_Network_Adapter_Connect_Vswitch", "-T", "LINUX01", "-v", "1000",
                 "-n", "PVSW")
    assert auto.status == 0 and nics["1000"].port == 1  # the free port of LINUX01
    removed = smcli(SET, "-T", "LINUX01", "-k", "switch_name=PVSW", "-k", "portnum_remove=1")
    assert removed.status == 0 and 1 not in model.vswitches["PVSW"].ports
    assert nics["1000"].coupled_to is None and nics["1003"].port == 2


def test_directory_port_number_applies_at_logon(smcli, model):
    _port_based_vswitch(smcli, model)
    for port, vlan in ((1, 100), (2, 200)):
        smcli(SET, "-T", "LINUX04", "-k", "switch_name=PVSW", "-k", f"portnum={port} LINUX04",
              "-k", f"user_vlan_id={vlan}")
    smcli("Image_Definition_Update_DM", "-T", "LINUX04", "-k",
          "NICDEF=VDEV=1000 TYPE=QDIO MACID=0e4e8e")
    out = smcli("Image_Definition_Update_DM", "-T", "LINUX04", "-k",
                "NICDEF=VDEV=1000 TYPE=QDIO LAN=SYSTEM SWITCHNAME=PVSW PORTNUMBER=2")
    assert out.status == 0
    dm = smcli("Image_Query_DM", "-T", "LINUX04").stdout
    assert "NICDEF 1000 TYPE QDIO LAN SYSTEM PVSW MACID 0E4E8E PORTNUMBER 2\n" in dm
    bad = smcli("Image_Definition_Update_DM", "-T", "LINUX04", "-k",
                "NICDEF=VDEV=1000 PORTNUMBER=0")
    assert "  Return Code: 24\n" in bad.stdout
    events.logon(model, "LINUX04")
    nic = model.guests["LINUX04"].active_nics["1000"]
    assert (nic.coupled_to, nic.port) == ("PVSW", 2)
    smcli("Virtual_Network_Adapter_Disconnect_DM", "-T", "LINUX04", "-v", "1000")
    assert model.guests["LINUX04"].nicdefs["1000"].portnumber is None
