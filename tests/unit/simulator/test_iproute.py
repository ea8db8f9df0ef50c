"""``ip`` on simulated guests: interfaces are active NICs, addresses die with them."""
from __future__ import annotations

import pytest

from xcat.simulator import events
from xcat.simulator.core import Simulator

MGT = "enccw0.0.0800"
ONE_LINE = (f"4: {MGT}    inet 10.9.0.1/16 brd 10.9.255.255 scope global {MGT}\\"
            "       valid_lft forever preferred_lft forever\n")


@pytest.fixture
def sim():
    simulator = Simulator()
    mn = simulator.dsh("xcat", "vmcp define nic 0800 type qdio; vmcp couple 0800 system XCATVSW1;"
                               " /sbin/znetconf -a 0800")
    assert mn.status == 0, mn
    return simulator


def test_a_nic_defined_by_cp_is_offline_until_znetconf_adds_it():
    """Linux sees a hot-plugged NIC's CCW devices offline, ungrouped: no interface
    until qeth groups them and sets them online (s390-tools zconf/znetconf)."""
    sim = Simulator()
    assert sim.dsh("xcat", "vmcp define nic 0800 type qdio").status == 0
    missing = sim.dsh("xcat", f"ip -4 -o addr show dev {MGT}")
    assert (missing.status, missing.stderr) == (1, f'Device "{MGT}" does not exist.\n')
    added = sim.dsh("xcat", "znetconf -a 800")
    assert (added.status, added.stdout, added.stderr) == (
        0, f"Scanning for network devices...\nSuccessfully configured device 0.0.0800 ({MGT})\n",
        "")
    assert sim.dsh("xcat", f"ip -4 -o addr show dev {MGT}").status == 0
    again = sim.dsh("xcat", "/sbin/znetconf -a 0.0.0800")
    assert (again.status, again.stdout, again.stderr) == (
        21, "Scanning for network devices...\n",
        "znetconf: Error: No configuration found for device ID 0.0.0800\n")
    assert sim.dsh("xcat", "znetconf -a 0900").status == 21
    bad = sim.dsh("xcat", "znetconf -a 08x0")
    assert (bad.status, bad.stderr) == (15, "znetconf: Error: Invalid device ID format 08x0\n")
    assert sim.dsh("zhcp1", "znetconf -a 0800").status == 21   # the zHCP has no such NIC
    # NICs of the directory come up with the guest (its boot configuration)
    assert sim.dsh("xcat", "ip -o link show dev enccw0.0.0600").status == 0


def test_interfaces_are_the_active_nics(sim):
    out = sim.dsh("xcat", "ip -o link show")
    names = [line.split(": ")[1] for line in out.stdout.splitlines()]
    assert names == ["lo", "enccw0.0.0600", "enccw0.0.0700", MGT]
    out = sim.dsh("xcat", "ip link show dev enccw0.0.0600")
    first, ether = out.stdout.splitlines()
    assert first.startswith("2: enccw0.0.0600: <BROADCAST,MULTICAST> mtu 1500 qdisc noop "
                            "state DOWN mode DEFAULT")
    assert ether.startswith("    link/ether 02:00:00:") and ether.endswith(" brd ff:ff:ff:ff:ff:ff")


def test_add_show_and_iproute2_errors(sim):
    assert sim.dsh("xcat", f"ip -4 -o addr show dev {MGT}").stdout == ""
    added = sim.dsh("xcat", f"ip addr add 10.9.0.1/16 brd + dev {MGT} && ip link set {MGT} up")
    assert (added.status, added.stdout, added.stderr) == (0, "", "")
    out = sim.dsh("xcat", f"ip -4 -o addr show dev {MGT}")
    assert (out.status, out.stdout) == (0, ONE_LINE)
    again = sim.dsh("xcat", f"ip addr add 10.9.0.1/16 dev {MGT}")
    assert (again.status, again.stderr) == (2, "RTNETLINK answers: File exists\n")
    # without brd iproute2 sets no broadcast address
    assert sim.dsh("xcat", f"ip addr add 10.9.0.2/16 dev {MGT}").status == 0
    lines = sim.dsh("xcat", f"ip -4 addr show {MGT}").stdout.splitlines()
    assert lines[0].startswith(f"4: {MGT}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 "
                               "qdisc mq state UP group default")
    assert lines[1:] == [f"    inet 10.9.0.1/16 brd 10.9.255.255 scope global {MGT}",
                         "       valid_lft forever preferred_lft forever",
                         f"    inet 10.9.0.2/16 scope global {MGT}",
                         "       valid_lft forever preferred_lft forever"]
    missing = sim.dsh("xcat", "ip -4 -o addr show dev enccw0.0.0900")
    assert (missing.status, missing.stdout, missing.stderr) == (
        1, "", 'Device "enccw0.0.0900" does not exist.\n')
    cannot = sim.dsh("xcat", "ip addr add 10.1.1.1/24 dev enccw0.0.0900")
    assert (cannot.status, cannot.stderr) == (1, 'Cannot find device "enccw0.0.0900"\n')
    bad = sim.dsh("xcat", f"ip addr add 10.1.1.300/24 dev {MGT}")
    assert (bad.status, bad.stderr) == (1, 'Error: inet prefix is expected rather than '
                                           '"10.1.1.300/24".\n')
    deleted = sim.dsh("xcat", f"ip addr del 10.9.0.2/16 dev {MGT}; "
                              f"ip addr del 10.9.0.2/16 dev {MGT}")
    assert (deleted.status, deleted.stderr) == (
        2, "RTNETLINK answers: Cannot assign requested address\n")
    assert sim.dsh("xcat", "ip route").stderr == 'Object "route" is unknown, try "ip help".\n'


def test_addresses_are_kept_per_guest_interface(sim):
    assert sim.dsh("xcat", f"ip addr add 10.9.0.1/16 brd + dev {MGT}").status == 0
    assert sim.dsh("linux01", f"ip -4 -o addr show dev {MGT}").stderr == \
        f'Device "{MGT}" does not exist.\n'
    state = sim.state()["model"]["guests"]["XCAT"]["active_nics"]["0800"]
    assert state["addresses"] == [{"local": "10.9.0.1/16", "broadcast": "10.9.255.255"}]
    assert sim.dsh("xcat", f"ip -4 -o addr show dev {MGT}").stdout == ONE_LINE


@pytest.mark.parametrize("how", ["xcat_restart", "ipl", "detach"])
def test_address_is_lost_with_the_nic(sim, how):
    assert sim.dsh("xcat", f"ip addr add 10.9.0.1/16 dev {MGT}").status == 0
    assert sim.dsh("xcat", "ip addr add 10.1.0.1/16 dev enccw0.0.0600").status == 0
    with sim.lock:
        if how == "detach":
            assert sim.dsh("xcat", "vmcp detach nic 0800").status == 0
        elif how == "ipl":
            events.ipl(sim.model)
        else:
            events.xcat_restart(sim.model)
    gone = sim.dsh("xcat", f"ip -4 -o addr show dev {MGT}")
    assert gone.stderr == f'Device "{MGT}" does not exist.\n'
    remaining = sim.dsh("xcat", "ip -4 -o addr show dev enccw0.0.0600").stdout
    assert remaining == ("" if how != "detach" else
                         "2: enccw0.0.0600    inet 10.1.0.1/16 scope global enccw0.0.0600\\"
                         "       valid_lft forever preferred_lft forever\n")
    assert sim.dsh("xcat", "vmcp define nic 0800 type qdio; znetconf -a 0800").status == 0
    assert sim.dsh("xcat", f"ip -4 -o addr show dev {MGT}").stdout == ""


def test_logged_off_guest_has_only_loopback(sim):
    with sim.lock:
        events.logoff(sim.model, "LINUX01")
    assert sim.host("linux01").commands["ip"](["ip", "-o", "link"], "").stdout \
        .startswith("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536")
