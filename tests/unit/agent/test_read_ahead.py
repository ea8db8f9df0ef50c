"""Which directories are read ahead of a node look-up, and which reads are kept."""
from __future__ import annotations

from quantum_zvm.agent import read_ahead
from quantum_zvm.agent.desired import zvm_nodes
from quantum_zvm.agent.model import ObservedGuest

ZHCP = "zhcp1"


def nodes(*rows: tuple[str, str, str]):
    """The nodes of ``zvm`` rows (node, userid, hcp); the zHCP's own row names hcp1."""
    table = [{"node": ZHCP, "userid": "ZHCP", "hcp": "hcp1"}]
    table += [{"node": n, "userid": u, "hcp": h} for n, u, h in rows]
    return zvm_nodes(table, ZHCP)


def read(*userids: str) -> list[ObservedGuest]:
    return [ObservedGuest(u, directory_complete=True) for u in userids]


def test_a_node_name_that_is_a_userid_is_guessed_in_upper_case():
    assert read_ahead.guesses(["linux07", "web-server-01", "-opt", "system", "ab#1"],
                              known={}) == {"linux07": "LINUX07", "ab#1": "AB#1"}


def test_a_guest_whose_directory_is_known_is_not_read_again():
    assert read_ahead.guesses(["linux07", "linux08"], known={"LINUX07"}) == {
        "linux08": "LINUX08"}


def test_a_read_is_kept_only_when_the_zvm_row_names_that_userid_on_this_host():
    guessed = {"linux07": "LINUX07", "linux08": "LINUX08", "linux09": "LINUX09",
               "gone": "GONE"}
    known = nodes(("linux07", "linux07", "hcp1"),     # as guessed (userids fold to upper)
                  ("linux08", "LINUX18", "hcp1"),     # another userid: LINUX08 is another's
                  ("linux09", "LINUX09", "hcp2"))     # another host's node
    kept = read_ahead.confirmed(guessed, read("LINUX07", "LINUX08", "LINUX09", "GONE"), known)
    assert list(kept) == ["LINUX07"] and kept["LINUX07"].directory_complete


def test_a_userid_another_node_holds_first_is_not_taken_for_the_guess():
    # two nodes name one userid: the userid is the first node's, not the guessed one's
    known = nodes(("first", "LINUX07", "hcp1"), ("linux07", "LINUX07", "hcp1"))
    assert read_ahead.confirmed({"linux07": "LINUX07"}, read("LINUX07"), known) == {}
    assert read_ahead.confirmed({}, read("LINUX07"), known) == {}
