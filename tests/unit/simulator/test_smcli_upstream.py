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


# A grant to a userid that already holds one (finding 8 of the fidelity audit): feilong
# af368e633 (PR #810) found that it takes the guest's NICs on the vswitch down; CP keeps one
# access-list entry per user with a set of VLANs (VNABK), and no source read says a GRANT
# with VLAN replaces that set, so the simulator adds to it.

def _coupled_guest(smcli, model, vlan):
    _create(smcli)
    assert _set(smcli, "switch_name=VSW1", "grant_userid=LINUX01",
                f"user_vlan_id={vlan}").status == 0
    for function, args in (("Virtual_Network_Adapter_Create", ("-t", "2", "-d", "3")),
                           ("Virtual_Network_Adapter_Connect_Vswitch", ("-n", "VSW1"))):
        out = smcli(function, "-T", "LINUX01", "-v", "1000", *args)
        assert out.status == 0, out.stdout
    assert model.guest("LINUX01").active_nics["1000"].coupled_to == "VSW1"


def test_a_grant_with_another_vlan_adds_it_to_an_access_grant(smcli, model):
    _coupled_guest(smcli, model, 100)
    out = _set(smcli, "switch_name=VSW1", "grant_userid=LINUX01", "user_vlan_id=101")
    assert out.status == 0
    assert model.vswitches["VSW1"].grants["LINUX01"].vlans == ["100", "101"]


def test_a_repeated_grant_takes_the_guests_coupled_nics_off_the_vswitch(smcli, model):
    _coupled_guest(smcli, model, 100)
    assert _set(smcli, "switch_name=VSW1", "grant_userid=LINUX01",
                "user_vlan_id=100").status == 0
    assert model.guest("LINUX01").active_nics["1000"].coupled_to is None


def test_revoke_then_grant_moves_an_uncoupled_guest_to_the_new_vlan_only(smcli, model):
    _create(smcli)
    _set(smcli, "switch_name=VSW1", "grant_userid=LINUX01", "user_vlan_id=100")
    _set(smcli, "switch_name=VSW1", "revoke_userid=LINUX01")
    _set(smcli, "switch_name=VSW1", "grant_userid=LINUX01", "user_vlan_id=101")
    assert model.vswitches["VSW1"].grants["LINUX01"].vlans == ["101"]


def test_query_extended_of_a_vlan_unaware_vswitch_has_no_port_type_and_vlan_0000(smcli):
    # zhcp prints SMAPI's values: an UNAWARE vswitch has port type NONE and VLAN ids 0
    out = smcli(QUERY_EXTENDED, "-T", "ZHCP", "-k", "switch_name=XCATVSW2")
    lines = out.stdout.splitlines()
    assert " vlan_awareness: UNAWARE" in lines
    assert {" port_type: NONE", " vlan_id: 0000", " native_vlan_id: 0000"} <= set(lines)
