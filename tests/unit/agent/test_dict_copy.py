"""dict_copy.replaced is the copy with the entries taken out and put in (hypothesis)."""
from hypothesis import given
from hypothesis import strategies as st

from quantum_zvm.agent.dict_copy import replaced

KEYS = st.sampled_from("abcdef")
MAPS = st.dictionaries(KEYS, st.integers())


@given(MAPS, st.sets(KEYS), MAPS)
def test_replaced_takes_out_the_keys_and_puts_in_the_new_entries(mapping, keys, new):
    before = dict(mapping)
    copy = replaced(mapping, keys, new)
    assert copy == {**{k: v for k, v in before.items() if k not in keys}, **new}
    assert mapping == before  # the original is not changed
