"""The steps of smcli.vlan_set: items of the set, one span per item, the checks of
the sorted spans."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xcat import smcli

vlan_ids = st.integers(1, 4094)


@pytest.mark.parametrize("value, items", [
    (10, [10]), ("10", ["10"]), (" 5,7  9 ", ["5", "7", "9"]), ([1, (2, 3)], [1, (2, 3)]),
    ((4, "5-6"), [4, "5-6"]), (range(1, 3), [1, 2]), (iter([8]), [8]),
])
def test_items(value, items):
    assert smcli._vlan_items(value, "vlans") == items


@pytest.mark.parametrize("value, message", [
    (True, "not a VLAN set"), (None, "not a VLAN set"), (1.5, "not a VLAN set"),
    ([], "empty VLAN set"), (" , ", "empty VLAN set"),
])
def test_items_refused(value, message):
    with pytest.raises(ValueError, match=f"^vlans: .*{message}"):
        smcli._vlan_items(value, "vlans")


@given(vlan_ids, vlan_ids)
def test_span_of_a_pair_or_a_range_text(a, b):
    low, high = min(a, b), max(a, b)
    assert smcli._vlan_span((low, high), "v[0]") == (low, high)
    assert smcli._vlan_span(f" {low}-{high} ", "v[0]") == (low, high)
    assert smcli._vlan_span(low, "v[0]") == (low, low)
    assert smcli._vlan_span(str(low), "v[0]") == (low, low)


@pytest.mark.parametrize("item, message", [
    ((12, 10), "v\\[3\\]: range 12-10 is reversed"), ("0", "v\\[3\\]"),
    ("-5", "v\\[3\\]"), ((1, 2, 3), "v\\[3\\]"), ("4095-4096", "v\\[3\\]"),
])
def test_span_refused(item, message):
    with pytest.raises(ValueError, match=message):
        smcli._vlan_span(item, "v[3]")


@given(st.lists(vlan_ids, min_size=1, max_size=smcli.MAX_SINGLE_VLANS, unique=True))
def test_distinct_single_vlans_fit(ids):
    smcli._check_vlan_spans(sorted((v, v) for v in ids), "vlans")


@pytest.mark.parametrize("spans, message", [
    ([(1, 5), (5, 6)], "VLANs 1-5 and 5-6 overlap"),
    ([(3, 3), (3, 3)], "VLANs 3-3 and 3-3 overlap"),
    ([(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)], "at most 4 single VLANs or 2 ranges, got 5"),
    ([(1, 2), (4, 4), (6, 6)], "got 3 items"),
])
def test_spans_refused(spans, message):
    with pytest.raises(ValueError, match=message):
        smcli._check_vlan_spans(spans, "vlans")


def test_two_ranges_fit():
    smcli._check_vlan_spans([(1, 2), (4, 9)], "vlans")
