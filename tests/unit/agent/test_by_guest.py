"""ByGuest maps: the index of each guest's ports stays true through updates, and the
scope functions give the same answers with indexed maps as with plain ones."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantum_zvm.agent.by_guest import NIC_USERID, USERID, ByGuest
from quantum_zvm.agent.model import Binding
from quantum_zvm.agent.scope import cut, merge, restrict
from tests.unit.agent.test_planner_properties import SETTINGS, USERIDS, worlds

PORTS = [f"p{i}" for i in range(8)]
bindings = st.dictionaries(st.sampled_from(PORTS), st.builds(
    Binding, st.sampled_from(USERIDS), st.sampled_from(["1000", "2000"]), st.just("VSW1"),
    st.none()))


def fresh_index(items) -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for port, value in items.items():
        index.setdefault(value.userid, set()).add(port)
    return {userid: frozenset(ports) for userid, ports in index.items()}


def as_sets(index) -> dict[str, frozenset[str]]:
    assert all(len(set(ports)) == len(ports) for ports in index.values())
    return {userid: frozenset(ports) for userid, ports in index.items()}


@given(bindings, st.lists(st.tuples(st.sets(st.sampled_from(PORTS)), bindings), max_size=4))
def test_updates_keep_the_index_true_and_leave_the_original_alone(start, updates):
    current = ByGuest(start, USERID)
    expected = dict(start)
    for remove, add in updates:
        before = dict(current)
        updated = current.updated(remove, add)
        assert dict(current) == before  # a copy: the original is unchanged
        for port in remove:
            expected.pop(port, None)
        expected.update(add)
        assert dict(updated) == expected
        assert as_sets(updated.guests) == fresh_index(expected)
        current = updated
    for userid in USERIDS:
        assert current.of_guests([userid]) == {
            p: b for p, b in expected.items() if b.userid == userid}


def test_a_byguest_map_refuses_to_be_changed_in_place():
    items = ByGuest({"p1": Binding("LINUX01", "1000", "VSW1", None)}, USERID)

    def assign():
        items["p2"] = items["p1"]  # type: ignore[index]

    def delete():
        del items["p1"]  # type: ignore[attr-defined]

    for change in (assign, delete):
        with pytest.raises(TypeError):
            change()
    for method in ("pop", "update", "clear", "setdefault", "popitem"):
        assert not hasattr(items, method)
    assert dict(items) == {"p1": Binding("LINUX01", "1000", "VSW1", None)}


def test_of_reuses_an_index_only_for_the_same_key():
    nics = ByGuest({"p1": ("LINUX01", "1000")}, NIC_USERID)
    assert ByGuest.of(nics, NIC_USERID) is nics
    plain = {"p1": Binding("LINUX01", "1000", "VSW1", None)}
    indexed = ByGuest.of(plain, USERID)
    assert indexed == plain and dict(indexed.guests) == {"LINUX01": ("p1",)}


def closed_by_pairs(want, truth, userids: set[str]) -> set[str]:
    """The scope's closure by its definition: guests linked by a port whose binding
    names one guest and whose desired port (or refused NIC) another."""
    linked = [(truth.bindings[p].userid, want.ports[p].userid)
              for p in want.ports.keys() & truth.bindings.keys()]
    linked += [(truth.bindings[p].userid, want.rejected_nics[p][0])
               for p in want.rejected_nics.keys() & truth.bindings.keys()]
    closed = set(userids)
    while True:
        more = {b for a, b in linked if a in closed} | {a for a, b in linked if b in closed}
        if more <= closed:
            return closed
        closed |= more


def indexed(world):
    want, truth, _ = world
    return (dataclasses.replace(want, ports=ByGuest(want.ports, USERID),
                                rejected_nics=ByGuest(want.rejected_nics, NIC_USERID)),
            truth.replace(bindings=ByGuest(truth.bindings, USERID)))


@SETTINGS
@given(worlds(), st.sets(st.sampled_from(USERIDS)))
def test_the_scope_functions_answer_alike_with_indexed_and_plain_maps(world, userids):
    want, truth, _ = world
    want_indexed, truth_indexed = indexed(world)
    plain = restrict(want, truth, userids)
    fast = restrict(want_indexed, truth_indexed, userids)
    assert (plain is None) == (fast is None)
    if plain is None or fast is None:
        return
    assert fast[2] == plain[2]
    expected = set(userids) | ({want.dhcp_userid} if want.dhcp_userid else set())
    assert plain[2] == closed_by_pairs(want, truth, expected)
    assert fast[0] == plain[0] and fast[1] == plain[1]
    scope = plain[2]
    assert cut(truth_indexed, scope) == cut(truth, scope)
    after = cut(truth, scope).replace(bindings={})  # every binding of the scope undone
    before = cut(truth, scope)
    merged_plain = merge(truth, before, after, scope)
    merged_fast = merge(truth_indexed, before, after, scope)
    assert merged_fast == merged_plain
    assert as_sets(merged_fast.bindings.guests) == fresh_index(merged_plain.bindings)
