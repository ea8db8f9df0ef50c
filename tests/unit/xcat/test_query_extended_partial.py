"""Vswitch_Query_Extended output that zhcp ends with exit status 1 although every
record but one real device is there (zhcp smcliVirtual.c b6f01c6; a sample of the
shape in feilong's zvmsdk/tests/unit/test_xcatclient.py at 79659c30a^)."""
from __future__ import annotations

from xcat import smcli_parsers

HEADER = [" switch_name: UNITTEST", " transport_type: ETHERNET", " port_type: ACCESS",
          " vlan_awareness: AWARE", " vlan_id: 0011", " native_vlan_id: 0001",
          " user_port_based: USERBASED"]
RDEV = ["real_device_address: 0033", "virtual_device_address: 0000", "controller_name: (NONE)",
        "port_name: (NONE)", "device_status: 0", "device_error_status 11"]
GRANTS = ["port_num: 0000", "grant_userid: TEST1", "promiscuous_mode: NOPROM",
          "osd_sim: NOOSDSIM", "vlan_count: 2", "user_vlan_id: 0001", "user_vlan_id: 0002",
          "adapter_owner: USERID1", "adapter_vdev: 0800", "adapter_macaddr: 02-00-02-00-00-D3",
          "adapter_type: QDIO"]
PARTIAL = HEADER + RDEV + ["Error controller_name is NULL!!"] + GRANTS


def test_records_around_a_null_real_device_field_are_parsed():
    (vsw,) = smcli_parsers.parse_vswitch_query_extended(PARTIAL)
    assert [d.address for d in vsw.rdevs] == ["0033"]
    assert vsw.grant_for("TEST1").vlan_ids == [1, 2]
    assert [(c.owner, c.vdev) for c in vsw.connections] == [("USERID1", "0800")]


def test_exit_1_with_only_real_device_fields_missing_is_a_complete_listing():
    assert smcli_parsers.query_extended_complete(1, PARTIAL)
    assert smcli_parsers.query_extended_complete(0, HEADER + RDEV + GRANTS)


def test_a_missing_grant_or_vswitch_field_cuts_the_listing_short():
    # zhcp leaves the access-list loop (later grants are lost) or the vswitch loop.
    cut_grants = HEADER + ["port_num: 0000", "Error grant_userid is NULL!!"]
    cut_switches = ["Error switch_name is NULL!!"]
    assert not smcli_parsers.query_extended_complete(1, cut_grants)
    assert not smcli_parsers.query_extended_complete(1, cut_switches)


def test_exit_1_without_null_fields_or_with_a_failure_block_is_not_complete():
    assert not smcli_parsers.query_extended_complete(1, HEADER + RDEV + GRANTS)
    failed = ["Failed", "  Return Code: 212", "  Reason Code: 40",
              "  Description: Virtual switch does not exist", "Error controller_name is NULL!!"]
    assert not smcli_parsers.query_extended_complete(1, failed)
    assert not smcli_parsers.query_extended_complete(None, PARTIAL)
