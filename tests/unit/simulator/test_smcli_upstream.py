"""smcli outputs checked against zHCP's sources (zVMopenstack/zhcp b6f01c6:
zhcp/src/smcliVirtual.c, rcdescriptions.c, wrapperutils.c)."""
from __future__ import annotations

SET = "Virtual_Network_Vswitch_Set_Extended"


def _create(smcli, name="VSW1"):
    out = smcli("Virtual_Network_Vswitch_Create_Extended", "-T", "ZHCP",
                "-k", f"switch_name={name}", "-k", "real_device_address=6000",
                "-k", "vlan_id=1", "-k", "persist=YES")
    assert out.status == 0, out.stdout


def _set(smcli, *keys):
    return smcli(SET, "-T", "ZHCP", *[arg for key in keys for arg in ("-k", key)])


def test_persisted_revoke_of_a_grant_never_persisted_is_620_58_and_the_grant_is_gone(smcli, model):
    _create(smcli)
    assert _set(smcli, "switch_name=VSW1", "grant_userid=LINUX01", "persist=NO").status == 0
    out = _set(smcli, "switch_name=VSW1", "revoke_userid=LINUX01", "persist=YES")
    assert out.stdout == ("Changing virtual switch configuration ... Failed\n"
                          "  Return Code: 620\n  Reason Code: 58\n"
                          "  Description: MODIFY VSWITCH statement to userid not found in system "
                          "config\n")
    assert out.status == 1
    assert "LINUX01" not in model.vswitches["VSW1"].grants  # CP's access list changed anyway


def test_persisted_revoke_of_a_persisted_grant_is_done_and_leaves_system_config(smcli, model):
    _create(smcli)
    assert _set(smcli, "switch_name=VSW1", "grant_userid=LINUX01", "persist=YES").status == 0
    assert "LINUX01" in model.config.grants["VSW1"]
    out = _set(smcli, "switch_name=VSW1", "revoke_userid=LINUX01", "persist=YES")
    assert (out.stdout, out.status) == ("Changing virtual switch configuration ... Done\n", 0)
    assert "LINUX01" not in model.config.grants["VSW1"]
    assert "LINUX01" not in model.vswitches["VSW1"].grants


def test_unpersisted_revoke_of_a_grant_never_persisted_is_done(smcli, model):
    _create(smcli)
    _set(smcli, "switch_name=VSW1", "grant_userid=LINUX01")
    out = _set(smcli, "switch_name=VSW1", "revoke_userid=LINUX01", "persist=NO")
    assert out.status == 0 and "LINUX01" not in model.vswitches["VSW1"].grants


QUERY_EXTENDED = "Virtual_Network_Vswitch_Query_Extended"


def test_query_extended_of_an_rdev_without_controller_exits_1_after_complete_records(smcli):
    # A disconnected vswitch with CONTROLLER * has no controller for its real device:
    # zhcp reads only the device numbers, prints "Error controller_name is NULL!!"
    # instead of the record, sets rc 1 and goes on with the access list and adapters.
    out = smcli("Virtual_Network_Vswitch_Create", "-T", "ZHCP", "-n", "DISCSW", "-r", "6100",
                "-c", "2", "-t", "2")
    assert out.status == 0, out.stdout
    assert _set(smcli, "switch_name=DISCSW", "grant_userid=LINUX01").status == 0
    out = smcli(QUERY_EXTENDED, "-T", "ZHCP", "-k", "switch_name=DISCSW")
    lines = out.stdout.splitlines()
    assert out.status == 1
    assert lines[21:] == ["Error controller_name is NULL!!", "port_num: 0000",
                          "grant_userid: LINUX01", "promiscuous_mode: NOPROM",
                          "osd_sim: NOOSDSIM", "vlan_count: 1", "user_vlan_id: 0000"]


def test_query_extended_prints_none_for_an_unset_port_name(smcli):
    _create(smcli)
    out = smcli(QUERY_EXTENDED, "-T", "ZHCP", "-k", "switch_name=VSW1")
    assert out.status == 0
    assert "port_name: (NONE)" in out.stdout.splitlines()
