"""Provider attribute validation (reference §2.4 messages plus the z/VM vswitch kinds)."""
import pytest

from quantum_zvm.common import constants
from quantum_zvm.common.exceptions import InvalidInput
from quantum_zvm.db import segments
from quantum_zvm.db.segments import Segment

MAPPINGS = {"VSW1": [(100, 109)], "FLATSW": []}
NS = constants.ATTR_NOT_SPECIFIED


def provider(network_type=NS, physnet=NS, seg=NS):
    return {segments.NETWORK_TYPE: network_type, segments.PHYSICAL_NETWORK: physnet,
            segments.SEGMENTATION_ID: seg}


@pytest.mark.parametrize("attrs, message", [
    (provider(physnet="VSW1"), "provider:network_type required"),
    (provider("flat", "FLATSW", 5), "provider:segmentation_id specified for flat network"),
    (provider("vlan", "VSW1"), "provider:segmentation_id required"),
    (provider("vlan", "VSW1", 4095), "provider:segmentation_id out of range (1 through 4094)"),
    (provider("vlan", "VSW1", 0), "provider:segmentation_id out of range (1 through 4094)"),
    (provider("gre", seg=5), "GRE networks are not enabled"),
    (provider("local", "VSW1"), "provider:physical_network specified for local network"),
    (provider("local", seg=3), "provider:segmentation_id specified for local network"),
    (provider("vxlan"), "provider:network_type vxlan not supported"),
    (provider("vlan", "NOSUCH", 100), "Unknown provider:physical_network NOSUCH"),
    (provider("vlan", seg=100), "provider:physical_network required"),
    (provider("vlan", "VSW1", "abc"), "provider:segmentation_id 'abc' is not an integer"),
])
def test_provider_errors_use_quantum_messages(attrs, message):
    with pytest.raises(InvalidInput) as info:
        segments.provider_segment(attrs, MAPPINGS)
    assert str(info.value) == f"Invalid input for operation: {message}."
    assert info.value.status_code == 400


def test_vlan_needs_a_vlan_aware_vswitch_and_flat_a_vlan_unaware_one():
    with pytest.raises(InvalidInput, match="FLATSW is a VLAN-unaware vswitch"):
        segments.provider_segment(provider("vlan", "FLATSW", 5), MAPPINGS)
    with pytest.raises(InvalidInput, match="VSW1 is a VLAN-aware vswitch"):
        segments.provider_segment(provider("flat", "VSW1"), MAPPINGS)


def test_valid_segments_are_normalised():
    assert segments.provider_segment(provider("vlan", "vsw1", "3000"), MAPPINGS) == \
        Segment("vlan", "VSW1", 3000)
    assert segments.provider_segment(provider("flat", "flatsw"), MAPPINGS) == \
        Segment("flat", "FLATSW", -1)
    assert segments.provider_segment(provider("local"), MAPPINGS) == Segment("local")
    with_default = {**MAPPINGS, "DEFAULT": [(5, 6)]}
    assert segments.provider_segment(provider("vlan", seg=7), with_default) == \
        Segment("vlan", "DEFAULT", 7)


def test_api_view_hides_flat_and_local_ids():
    assert Segment("flat", "FLATSW", -1).provider_attrs() == {
        segments.NETWORK_TYPE: "flat", segments.PHYSICAL_NETWORK: "FLATSW",
        segments.SEGMENTATION_ID: None}
    assert Segment("vlan", "VSW1", 101).provider_attrs()[segments.SEGMENTATION_ID] == 101


def test_tenant_network_type_follows_ranges():
    assert segments.tenant_network_type(MAPPINGS) == "vlan"
    assert segments.tenant_network_type({"FLATSW": []}) == "local"
    assert segments.tenant_network_type({}) == "local"


def test_provider_update_is_refused():
    segments.check_no_provider_update({"name": "x", segments.NETWORK_TYPE: NS})
    with pytest.raises(InvalidInput, match="Plugin does not support updating provider"):
        segments.check_no_provider_update({segments.SEGMENTATION_ID: 5})


def test_allocation_is_the_vlan_allocations_row_a_segment_holds():
    assert Segment("vlan", "VSW1", 100).allocation() == ("VSW1", 100)
    assert Segment("flat", "FLATSW", -1).allocation() == ("FLATSW", -1)
    assert Segment("local").allocation() is None
    with pytest.raises(ValueError, match="needs a vswitch and an id"):
        Segment("vlan", "VSW1").allocation()
