"""vswitch_mappings and rdev_list parsing."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantum_zvm.common.config import MappingsError, parse_rdev_list, parse_vswitch_mappings


def test_seed_mapping():
    assert parse_vswitch_mappings(["vsw1:1000:2000"]) == {"VSW1": [(1000, 2000)]}


def test_name_alone_is_flat():
    assert parse_vswitch_mappings(["xcatvsw2"]) == {"XCATVSW2": []}


def test_repeated_name_adds_ranges_sorted():
    result = parse_vswitch_mappings(["vsw1:3000:3099", " vsw1 : 1000 : 1999 ", "vsw2"])
    assert result == {"VSW1": [(1000, 1999), (3000, 3099)], "VSW2": []}


def test_no_entries_is_empty():
    assert parse_vswitch_mappings([]) == {}


@pytest.mark.parametrize("entry, reason", [
    ("", "empty entry"),
    ("   ", "empty entry"),
    ("toolongname:1:2", "is not a vswitch name"),
    ("vs.w:1:2", "is not a vswitch name"),
    ("vsw1:0:10", "outside 1-4094"),
    ("vsw1:10:4095", "outside 1-4094"),
    ("vsw1:20:10", "vlan_min 20 is greater than vlan_max 10"),
    ("vsw1:a:10", "is not a number"),
    ("vsw1:10", "expected vswitch or vswitch:vlan_min:vlan_max"),
    ("vsw1:1:2:3", "expected vswitch or vswitch:vlan_min:vlan_max"),
    ("vsw1:-5:10", "is not a number"),
    ("vswé:1:2", "non-ASCII"),
])
def test_bad_entries_name_the_entry_and_reason(entry, reason):
    with pytest.raises(MappingsError) as info:
        parse_vswitch_mappings([entry])
    assert len(info.value.reasons) == 1
    assert "entry 1" in info.value.reasons[0]
    assert reason in info.value.reasons[0]


def test_overlapping_ranges_of_one_vswitch():
    with pytest.raises(MappingsError, match="10-20 overlaps 15-30 of VSW1"):
        parse_vswitch_mappings(["vsw1:15:30", "vsw1:10:20"])


def test_same_range_on_two_vswitches_is_fine():
    assert parse_vswitch_mappings(["a:1:5", "b:1:5"]) == {"A": [(1, 5)], "B": [(1, 5)]}


@pytest.mark.parametrize("entries", [["vsw1", "vsw1:1:2"], ["vsw1:1:2", "vsw1"]])
def test_flat_and_ranged_conflict(entries):
    with pytest.raises(MappingsError, match="both flat and VLAN-ranged"):
        parse_vswitch_mappings(entries)


def test_every_problem_is_reported():
    with pytest.raises(MappingsError) as info:
        parse_vswitch_mappings(["", "vsw1:9:1", "bad name"])
    assert [r.split(":")[0] for r in info.value.reasons] == [
        "entry 1 ''", "entry 2 'vsw1", "entry 3 'bad name'"]


NAMES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@#$_", min_size=1, max_size=8)
RANGES = st.tuples(st.integers(1, 4094), st.integers(1, 4094)).map(sorted).map(tuple)


@given(st.dictionaries(NAMES, st.lists(RANGES, max_size=4), max_size=5))
def test_round_trip_of_valid_mappings(spec):
    """Rendering disjoint ranges as entries parses back to the same mapping."""
    expected = {}
    entries = []
    for name, ranges in spec.items():
        disjoint = []
        for low, high in ranges:
            if all(high < lo or low > hi for lo, hi in disjoint):
                disjoint.append((low, high))
        expected[name] = sorted(disjoint)
        if disjoint:
            entries += [f"{name.lower()}:{lo}:{hi}" for lo, hi in disjoint]
        else:
            entries.append(name)
    assert parse_vswitch_mappings(entries) == expected


@given(st.lists(st.text(max_size=20), max_size=6))
def test_arbitrary_text_parses_or_raises_mappings_error(entries):
    try:
        result = parse_vswitch_mappings(entries)
    except MappingsError as exc:
        assert exc.reasons
        return
    for name, ranges in result.items():
        assert 1 <= len(name) <= 8 and name == name.upper()
        for low, high in ranges:
            assert 1 <= low <= high <= 4094


def test_rdev_list_normalised():
    assert parse_rdev_list(["600", "6003", "a1b"]) == ["0600", "6003", "0A1B"]


@pytest.mark.parametrize("entries, reason", [
    (["12345"], "is not 1-4 hexadecimal digits"),
    (["xyz"], "is not 1-4 hexadecimal digits"),
    (["1", "2", "3", "4"], "at most 3 real devices"),
    (["600", "0600"], "listed twice"),
])
def test_rdev_list_errors(entries, reason):
    with pytest.raises(MappingsError, match=reason):
        parse_rdev_list(entries)
