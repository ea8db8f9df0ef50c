"""Pure parts of start-up (vswitch creation, rdev drift) and of the DHCP coupling."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantum_zvm.agent import dhcp, startup
from quantum_zvm.agent.desired import Network, network_of
from quantum_zvm.agent.model import ObservedVswitch, VswitchSpec

SPECS = {"VSW1": VswitchSpec("VSW1", ((1, 99), (200, 299)), ("6000", "6003")),
         "FLAT": VswitchSpec("FLAT", (), ("A2",)),
         "XCATVSW2": VswitchSpec("XCATVSW2")}


def test_missing_vswitches_are_created_persistent_with_the_right_vlan_mode():
    commands, problems = startup.vswitch_changes(SPECS, {}, {"XCATVSW2"}, "ZHCP")
    assert not problems
    text = [" ".join(c) for c in commands]
    assert len(text) == 2  # the administrator's XCATVSW2 is never touched
    (flat,) = [t for t in text if "switch_name=FLAT " in t]
    (aware,) = [t for t in text if "switch_name=VSW1" in t]
    assert "vlan_id=UNAWARE" in flat and "persist=YES" in flat
    assert "real_device_address=00A2" in flat
    assert "vlan_id=100" in aware and "port_type=ACCESS" in aware and "persist=YES" in aware
    assert "real_device_address=6000 6003" in aware


def test_rdev_drift_compares_device_numbers_not_text():
    same = {"FLAT": ObservedVswitch("FLAT", False, rdevs=("00A2",)),
            "VSW1": ObservedVswitch("VSW1", True, rdevs=("6003", "6000"))}
    assert startup.vswitch_changes(SPECS, same, {"XCATVSW2"}, "ZHCP") == ([], [])
    drifted = dict(same, FLAT=ObservedVswitch("FLAT", False, rdevs=("00A3",)))
    commands, _ = startup.vswitch_changes(SPECS, drifted, {"XCATVSW2"}, "ZHCP")
    assert len(commands) == 1 and "real_device_address=00A2" in " ".join(commands[0])


def test_existing_vswitch_with_the_wrong_vlan_mode_is_a_problem_not_a_change():
    wrong = {"FLAT": ObservedVswitch("FLAT", True, rdevs=("00A2",)),
             "VSW1": ObservedVswitch("VSW1", True, rdevs=("6000", "6003"))}
    commands, problems = startup.vswitch_changes(SPECS, wrong, {"XCATVSW2"}, "ZHCP")
    assert not commands and "FLAT is VLAN-aware" in problems[0]


def test_default_vlan_stays_out_of_tenant_ranges():
    assert startup.default_vlan(VswitchSpec("A", ((100, 199),))) == 1
    assert startup.default_vlan(SPECS["VSW1"]) == 100
    with pytest.raises(startup.StartupError):
        startup.default_vlan(VswitchSpec("A", ((1, 4094),)))


def test_dhcp_vlans_are_those_of_networks_with_dhcp_on_managed_vswitches():
    networks = [Network("n1", "VSW1", 10), Network("n2", "VSW1", 20), Network("n3", "FLAT", None),
                Network("n4", "OTHER", 30)]
    assert dhcp.dhcp_vlans(networks, {"n1", "n3", "n4"}, SPECS) == {
        "VSW1": frozenset({10}), "FLAT": frozenset()}
    assert dhcp.has_dhcp({"subnets": [{"enable_dhcp": False}, {"enable_dhcp": True}]})
    assert not dhcp.has_dhcp({"subnets": []})


def test_dhcp_networks_are_asked_once_each_and_forgotten_when_gone():
    calls = []

    class Rpc:
        def call(self, ctx, topic, method, args):
            calls.append(args["network_id"])
            return {"subnets": [{"enable_dhcp": args["network_id"] == "n1"}]}

    cache = dhcp.DhcpNetworks(Rpc(), "zvmhost1")
    assert cache.refresh(["n1", "n2"]) == {"n1"}
    assert cache.refresh(["n1", "n2"]) == {"n1"} and calls == ["n1", "n2"]
    assert cache.refresh(["n2"]) == set() and "n1" not in cache.with_dhcp
    cache.refresh(["n2"], everything=True)
    assert calls == ["n1", "n2", "n2"]


def _networks_of_each(details):
    """:func:`dhcp.networks_of` as it validated every port's network: the first usable
    network of each network id, in order."""
    seen = {}
    for item in details:
        if "network_id" in item:
            network = network_of(item)
            if not isinstance(network, str):
                seen.setdefault(network.network_id, network)
    return list(seen.values())


PORT_DETAILS = st.fixed_dictionaries(
    {"network_id": st.sampled_from(["n1", "n2", "n3"]),
     "network_type": st.sampled_from(["vlan", "flat", "gre"]),
     "physical_network": st.sampled_from(["VSW1", "FLAT", "bad name!"]),
     "segmentation_id": st.sampled_from([7, 4094, 5000, None])})


@given(st.lists(st.one_of(PORT_DETAILS, st.just({"device": "gone"})), max_size=12))
def test_the_networks_of_ports_are_validated_once_a_network(details):
    """A network already found usable is not validated again for each of its ports
    (10,000 ports on a few networks), and the result is the first usable network of
    each id, as when every port's was validated."""
    usable: set[str] = set()
    needed = 0  # ports whose network id has no usable network yet
    for item in details:
        if "network_id" in item and item["network_id"] not in usable:
            needed += 1
            if not isinstance(network_of(item), str):
                usable.add(item["network_id"])
    validated = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dhcp, "network_of", lambda item: validated.append(item) or network_of(item))
        assert dhcp.networks_of(details) == _networks_of_each(details)
    assert len(validated) == needed
