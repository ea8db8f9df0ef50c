"""Which switch-table changes a cycle acts on: the ports of the lines that differ,
and whether those lines are only the rows the agent wrote itself."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from quantum_zvm.agent import table_diff
from quantum_zvm.agent.model import SwitchRow


def changed_ports(before: list[str] | None, after: list[str]) -> set[str] | None:
    change = table_diff.diff(before, after)
    return None if change is None else change.ports


def only_own_writes(before: list[str] | None, after: list[str], rows) -> bool:
    change = table_diff.diff(before, after)
    return change is not None and table_diff.only_own_writes(change, rows)


HEADER = "#node,switch,port,vlan,interface,comments,disable"
P1, P2 = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"


def line(node: str, port: str, switch: str = "", vlan: str = "", interface: str = "1000",
         comments: str = "zhcp1", disable: str = "") -> str:
    def quoted(value: str) -> str:
        return f'"{value}"' if value else ""
    return ",".join(quoted(v) for v in (node, switch, port, vlan, interface, comments, disable))


BEFORE = [HEADER, line("linux07", P1), line("linux08", P2, "VSW1", "101")]
WRITTEN = {P1: SwitchRow("linux07", "1000", "VSW1", "133"),
           P2: SwitchRow("linux08", "1000", "VSW1", "101")}


def test_a_repeated_line_is_a_change_of_its_port():
    """Two equal lines name the port twice (the agent refuses it): not the same table."""
    assert changed_ports(BEFORE, [*BEFORE, BEFORE[2]]) == {P2}
    assert changed_ports([*BEFORE, BEFORE[2]], BEFORE) == {P2}


def test_the_same_dump_is_as_planned_and_names_no_port():
    same = table_diff.diff(BEFORE, list(BEFORE))
    assert same is not None and same.empty and same.ports == set()
    assert table_diff.as_planned(same, {})


def test_the_written_vswitch_and_vlan_are_the_agents_own_write():
    after = [HEADER, line("linux07", P1, "VSW1", "133"), BEFORE[2]]
    assert changed_ports(BEFORE, after) == {P1}
    assert only_own_writes(BEFORE, after, WRITTEN)


def test_anything_else_is_a_change():
    cases = {
        "another VLAN than written": [HEADER, line("linux07", P1, "VSW1", "134"), BEFORE[2]],
        "another column changed too": [HEADER, line("linux07", P1, "VSW1", "133",
                                                    interface="1001"), BEFORE[2]],
        "handed to another zHCP": [HEADER, line("linux07", P1, "VSW1", "133",
                                                comments="zhcp2"), BEFORE[2]],
        "a row added": [*BEFORE, line("linux09", "33333333-3333-3333-3333-333333333333")],
        "a row removed": BEFORE[:2],
        "the port in two rows": [HEADER, line("linux07", P1, "VSW1", "133"),
                                 line("linux09", P1, "VSW1", "133"), BEFORE[2]],
        "a row repeated": [HEADER, line("linux07", P1, "VSW1", "133"), BEFORE[2], BEFORE[2]],
        "rows in another order": [HEADER, BEFORE[2], BEFORE[1]],
        "another header": [HEADER + ",extra", *BEFORE[1:]],
    }
    for what, after in cases.items():
        assert not only_own_writes(BEFORE, after, WRITTEN), what
    assert not only_own_writes(None, BEFORE, WRITTEN)
    assert not only_own_writes(BEFORE, [HEADER, line("linux07", P1, "VSW1", "133"),
                                        BEFORE[2]], {P2: WRITTEN[P2]}), "a row not recorded"


@given(st.lists(st.sampled_from([BEFORE[1], BEFORE[2], line("linux07", P1, "VSW1", "133"),
                                 line("linux09", P2, "VSW1", "101")]), max_size=4))
def test_a_change_the_agent_ignores_is_a_change_of_written_columns_only(rows):
    """Whatever the dump, an ignored change leaves every row's other columns as they
    were and names exactly the recorded vswitch and VLAN, one row a port."""
    after = [HEADER, *rows]
    if only_own_writes(BEFORE, after, WRITTEN):
        assert changed_ports(BEFORE, after) == {P1}
        assert sorted(rows) == sorted([line("linux07", P1, "VSW1", "133"), BEFORE[2]])
