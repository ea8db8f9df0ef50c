"""NicSet is a set of (userid, vdev) pairs whatever the operations (hypothesis)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from quantum_zvm.agent.model import ObservedVswitch
from quantum_zvm.agent.nic_set import NicSet

USERIDS = st.sampled_from(["LINUX01", "LINUX02", "LINUX03", "DHCP"])
NICS = st.sets(st.tuples(USERIDS, st.sampled_from(["1000", "1003", "2000"])))


@given(NICS)
def test_a_nic_set_equals_the_frozenset_of_its_pairs(nics):
    nic_set = NicSet(nics)
    assert nic_set == frozenset(nics) and frozenset(nics) == nic_set
    assert len(nic_set) == len(nics) and set(nic_set) == nics
    assert all(nic in nic_set for nic in nics)
    assert ("LINUX09", "1000") not in nic_set and "LINUX01" not in nic_set
    for userid in ("LINUX01", "DHCP", "NOBODY"):
        assert nic_set.of(userid) == {vdev for uid, vdev in nics if uid == userid}


@given(NICS, st.sets(USERIDS))
def test_the_nics_of_some_guests(nics, userids):
    cut = NicSet(nics).of_guests(userids)
    assert cut == {nic for nic in nics if nic[0] in userids}
    assert len(cut) == len(set(cut))


@given(NICS, st.sets(USERIDS), NICS)
def test_some_guests_nics_replaced(nics, userids, others):
    replacement = {nic for nic in others if nic[0] in userids}
    replaced = NicSet(nics).replaced(userids, NicSet(replacement))
    expected = {nic for nic in nics if nic[0] not in userids} | replacement
    assert replaced == expected and len(replaced) == len(expected)


def test_a_vswitch_makes_any_set_of_pairs_a_nic_set():
    vsw = ObservedVswitch("VSW1", True, connections=frozenset({("LINUX01", "1000")}))
    assert isinstance(vsw.connections, NicSet) and vsw.connections.of("LINUX01") == {"1000"}
    assert isinstance(ObservedVswitch("VSW1", True).connections, NicSet)
