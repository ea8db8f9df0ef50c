"""Pure parts of quantum-zvm-nic: vdev choice, MAC prefix check, option parsing, tables."""
import pytest

from quantum_zvm.nic import NicError, check_mac_prefix, choose_vdev
from quantum_zvm.nic_cli import _fixed_ip, render_table
from xcat.smcli_parsers import DirectoryEntry


def entry(*statements):
    return DirectoryEntry(userid="LINUX01", statements=list(statements))


def test_choose_vdev_next_free_and_requested():
    directory = entry("USER LINUX01 X 1G 2G G", "NICDEF 1000 TYPE QDIO")
    assert choose_vdev(directory, None, "LINUX01") == "1003"
    assert choose_vdev(directory, "2000", "LINUX01") == "2000"
    with pytest.raises(NicError, match="vdev 1002 of LINUX01 is in use: the directory already "
                                       "defines device 1000-1002"):
        choose_vdev(directory, "1002", "LINUX01")
    with pytest.raises(ValueError, match="vdev"):
        choose_vdev(directory, "10000", "LINUX01")


def test_mac_prefix():
    assert check_mac_prefix("fa:16:3e:12:34:56", "FA163E") == "123456"
    with pytest.raises(NicError, match="does not start with the z/VM USER PREFIX 02000A.*"
                                       "base_mac = 02:00:0a:00:00:00"):
        check_mac_prefix("fa:16:3e:12:34:56", "02000A")
    with pytest.raises(NicError, match="cannot read the z/VM USER PREFIX"):
        check_mac_prefix("fa:16:3e:12:34:56", None)


def test_fixed_ip_option():
    assert _fixed_ip("subnet_id=s1,ip_address=10.0.0.5") == {"subnet_id": "s1",
                                                             "ip_address": "10.0.0.5"}
    assert _fixed_ip("ip_address=10.0.0.5") == {"ip_address": "10.0.0.5"}
    with pytest.raises(ValueError, match="expected subnet_id=ID,ip_address=IP"):
        _fixed_ip("mac=1")


def test_render_table():
    assert render_table(["a", "bb"], [("x", None), ("yyy", 1)]).splitlines() == [
        "a    bb", "---  --", "x    -", "yyy  1"]
