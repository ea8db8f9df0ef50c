"""Vswitch_Set_Extended checks every keyword before it changes anything, in a fixed
order: the first bad keyword decides the rc/rs whatever the order of the -k items."""
from __future__ import annotations

import pytest

SET = "Virtual_Network_Vswitch_Set_Extended"


def _codes(out) -> tuple[int, int] | None:
    lines = out.stdout.split("\n")
    if not lines[0].endswith("Failed"):
        return None
    return int(lines[1].split(": ")[1]), int(lines[2].split(": ")[1])


def _set(smcli, *items: str):
    args = [SET, "-T", "ZHCP"]
    for item in items:
        args += ["-k", item]
    return smcli(*args)


@pytest.fixture
def aware(smcli):
    out = smcli("Virtual_Network_Vswitch_Create_Extended", "-T", "ZHCP",
                "-k", "switch_name=AWARE1", "-k", "vlan_id=100",
                "-k", "port_selection=PORTBASED")
    assert out.status == 0
    return "AWARE1"


@pytest.mark.parametrize(("items", "codes"), [
    # an unknown keyword before the missing switch_name, before the switch lookup
    (("bogus=1",), (24, 501)),
    (("grant_userid=LINUX01",), (24, 502)),
    (("switch_name=NOSUCH", "grant_userid=BAD/ID"), (212, 40)),
    # bad port_type values come before "not VLAN aware" ...
    (("switch_name=XCATVSW1", "user_vlan_id=10", "port_type=BOGUS"), (24, 501)),
    (("switch_name=XCATVSW1", "port_type=BOGUS", "user_vlan_id=0"), (24, 503)),
    # ... which comes before the other keywords
    (("switch_name=XCATVSW1", "promiscuous=maybe", "user_vlan_id=10"), (396, 2846)),
    (("switch_name=XCATVSW1", "queue_memory_limit=9", "port_type=TRUNK"), (396, 2846)),
    (("switch_name=XCATVSW1", "queue_memory_limit=9", "gvrp_value=GVRP"), (24, 505)),
    (("switch_name=XCATVSW1", "gvrp_value=x", "iptimeout=0"), (396, 2846)),
    (("switch_name=XCATVSW1", "iptimeout=0", "mac_id=zz"), (24, 507)),
    (("switch_name=XCATVSW1", "mac_id=zz"), (24, 508)),
    (("switch_name=XCATVSW1", "routing_value=PRI"), (24, 506)),
])
def test_first_bad_keyword_decides(smcli, items, codes):
    assert _codes(_set(smcli, *items)) == codes


def test_failed_set_changes_nothing(smcli, model, aware):
    before = model.to_dict()
    out = _set(smcli, f"switch_name={aware}", "grant_userid=LINUX01", "user_vlan_id=10",
               "queue_memory_limit=2", "portnum=1 LINUX02", "mac_id=12345")
    assert _codes(out) == (24, 508)
    assert model.to_dict() == before


def test_port_type_alone_is_the_switch_default(smcli, model, aware):
    assert _set(smcli, f"switch_name={aware}", "port_type=TRUNK").status == 0
    assert model.vswitches[aware].porttype == "TRUNK"
    assert _set(smcli, f"switch_name={aware}", "portnum=7 LINUX01", "port_type=ACCESS",
                "user_vlan_id=10").status == 0
    assert model.vswitches[aware].porttype == "TRUNK"
    port = model.vswitches[aware].ports[7]
    assert (port.userid, port.porttype, port.vlans) == ("LINUX01", "ACCESS", ["10"])
