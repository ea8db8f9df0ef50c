"""persistent.replaced is the copy with the entries taken out and put in (hypothesis),
and leaves the map it came from as it was."""
from hypothesis import given
from hypothesis import strategies as st

from quantum_zvm.agent.persistent import Map, PSet, as_map, replaced

KEYS = st.sampled_from("abcdef")
MAPS = st.dictionaries(KEYS, st.integers())


@given(MAPS, st.sets(KEYS), MAPS, st.booleans())
def test_replaced_takes_out_the_keys_and_puts_in_the_new_entries(mapping, keys, new, persistent):
    before = dict(mapping)
    given_map = Map(mapping) if persistent else mapping
    copy = replaced(given_map, keys, new)
    assert isinstance(copy, Map)
    assert dict(copy) == {**{k: v for k, v in before.items() if k not in keys}, **new}
    assert dict(given_map) == before  # the original is not changed


def test_a_map_is_taken_as_it_is_and_a_dict_is_made_one():
    persistent = Map(a=1)
    assert as_map(persistent) is persistent
    assert as_map({"a": 1}) == persistent


@given(st.sets(KEYS), st.sets(KEYS), st.sets(KEYS))
def test_a_pset_changed_is_the_set_with_members_taken_out_and_put_in(members, gone, new):
    before = PSet(members)
    after = before.changed(gone, new)
    assert after == (members - gone) | new and len(after) == len((members - gone) | new)
    assert before == members  # the original is not changed
    assert PSet(after).members is after.members  # a PSet is taken as it is
    assert (frozenset(gone) & after) == frozenset(gone) & ((members - gone) | new)
