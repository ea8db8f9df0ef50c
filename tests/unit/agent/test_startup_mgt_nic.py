"""The vmcp commands that couple the xCAT MN's management NIC (pure)."""
from __future__ import annotations

from quantum_zvm.agent import startup
from xcat import smcli
from xcat.smcli_parsers import VirtualNic

DEFINE = smcli.vmcp_define_nic(startup.MGT_VDEV)
COUPLE = smcli.vmcp_couple(startup.MGT_VDEV, "VSW2")
UNCOUPLE = smcli.vmcp_uncouple(startup.MGT_VDEV)


def test_a_missing_nic_is_defined_then_coupled():
    others = [VirtualNic("0600", vswitch="XCATVSW1")]
    assert startup.management_nic_commands(others, "VSW2") == [DEFINE, COUPLE]


def test_a_nic_coupled_to_the_vswitch_needs_nothing():
    assert startup.management_nic_commands([VirtualNic("0800", vswitch="vsw2")], "VSW2") == []


def test_a_nic_coupled_elsewhere_is_uncoupled_first():
    nics = [VirtualNic("0800", vswitch="XCATVSW1")]
    assert startup.management_nic_commands(nics, "VSW2") == [UNCOUPLE, COUPLE]


def test_an_uncoupled_nic_is_coupled():
    assert startup.management_nic_commands([VirtualNic("0800")], "VSW2") == [COUPLE]
