"""Which switch-table changes a cycle acts on: the ports of the lines that differ,
and whether those lines are only the rows the agent wrote itself."""
from __future__ import annotations

from collections import Counter

import orjson
from hypothesis import given
from hypothesis import strategies as st

from quantum_zvm.agent import table_diff
from quantum_zvm.agent.model import SwitchRow
from xcat import dump_splice, tables
from xcat.envelope import parse_envelope


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


LINES = [line(node, port, interface=vdev) for node in ("linux07", "linux08")
         for port in (P1, P2) for vdev in ("1000", "1001")]


@given(st.lists(st.sampled_from(LINES), max_size=5), st.lists(st.sampled_from(LINES),
                                                              max_size=3), st.booleans())
def test_a_diff_counts_every_line_and_lists_added_rows_in_table_order(before, more, appended):
    """Whichever way the diff is taken (the same dump, rows added at the end, sets, or
    counted repeats), its rows are the lines only one dump has, as often as they
    differ; without repeats the added rows come in table order."""
    after = [*before, *more] if appended else more + before[1:]
    change = table_diff.diff([HEADER, *before], [HEADER, *after])
    assert change is not None

    def keys(rows):
        return sorted((r["node"], r["port"], r["interface"]) for r in rows)

    def parsed(lines):
        return keys(table_diff.tables.tabdump_rows("switch", [HEADER, *lines]))
    remaining_before, remaining_after = list(before), list(after)
    for text in list(remaining_before):
        if text in remaining_after:
            remaining_after.remove(text)
            remaining_before.remove(text)
    assert keys(change.removed) == parsed(remaining_before)
    assert keys(change.added) == parsed(remaining_after)
    if len(set(before)) == len(before) and len(set(after)) == len(after):
        in_order = [text for text in after if text not in before]
        assert [(r["node"], r["port"], r["interface"]) for r in change.added] == \
            [tuple(r[k] for k in ("node", "port", "interface"))
             for r in table_diff.tables.tabdump_rows("switch", [HEADER, *in_order])]


def test_rows_added_among_the_others_come_in_table_order():
    new = [line(f"linux{i:02d}", P1, interface=f"{1000 + i:04X}") for i in range(12)]
    change = table_diff.diff(BEFORE, [HEADER, *new, BEFORE[2]])
    assert change is not None
    assert [row["node"] for row in change.added] == [f"linux{i:02d}" for i in range(12)]


@given(st.lists(st.integers(0, 3), max_size=70), st.lists(st.integers(0, 3), max_size=70),
       st.integers(0, 80), st.booleans())
def test_equal_run_counts_the_lines_equal_from_either_end(a, b, limit, from_end):
    """The doubling and halving search finds what a walk line by line finds."""
    first, second = [str(x) for x in a], [str(x) for x in b]
    limit = min(limit, len(first), len(second))
    walked = 0
    while walked < limit and (first[-1 - walked] == second[-1 - walked] if from_end
                              else first[walked] == second[walked]):
        walked += 1
    assert table_diff.equal_run(first, second, limit, from_end) == walked


@given(st.lists(st.sampled_from(LINES), max_size=40), st.integers(0, 40),
       st.lists(st.sampled_from(LINES), max_size=3), st.integers(0, 3))
def test_a_diff_of_an_edit_inside_a_long_dump_is_that_edit(lines, at, inserted, deleted):
    """Lines put in or taken out in the middle of a dump, with equal lines on both
    sides of them: the diff holds the lines only one dump has, as often as they differ."""
    at = min(at, len(lines))
    before = [HEADER, *lines]
    after = [HEADER, *lines[:at], *inserted, *lines[at + deleted:]]
    change = table_diff.diff(before, after)
    assert change is not None
    taken, put = Counter(lines[at:at + deleted]), Counter(inserted)

    def keys(rows):
        return sorted((r["node"], r["port"], r["interface"]) for r in rows)

    def parsed(counted):
        return keys(table_diff.tables.tabdump_rows("switch", [HEADER, *counted.elements()]))
    assert keys(change.removed) == parsed(taken - put)
    assert keys(change.added) == parsed(put - taken)


def dump_of(lines: list[str], last: tables.Dump | None = None) -> tables.Dump:
    """The dump xCAT's reply of ``lines`` gives, read as ``tables.read_table`` reads it
    (spliced from ``last``'s reply where it can be)."""
    body = orjson.dumps({"data": [{"data": lines}]})
    envelope = parse_envelope(200, body, like=None if last is None else last.envelope)
    return tables.Dump(envelope.dump_lines, envelope)


def comparable(change: table_diff.Diff | None, in_order: bool):
    """A diff's rows, removed in any order, added in table order when no line repeats
    (repeats are counted, in no particular order)."""
    if change is None:
        return None

    def keys(rows):
        return [tuple(sorted(row.items())) for row in rows]
    added = keys(change.added)
    return sorted(keys(change.removed)), added if in_order else sorted(added)


@given(st.lists(st.sampled_from(LINES), max_size=40),
       st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["add", "remove", "change"]),
                          st.sampled_from(LINES)), min_size=1, max_size=4))
def test_a_dump_spliced_from_the_last_gives_the_diff_of_comparing_them(lines, edits):
    """A dump read as an edit of the last one says which lines it kept at either end:
    the diff taken from that is the diff of comparing the two dumps line by line."""
    before = [HEADER, *lines]
    after = list(before)
    for where, kind, text in edits:
        where = 1 + where % len(after)
        if kind == "add" or where == len(after):
            after.insert(where, text)
        elif kind == "remove":
            del after[where]
        else:
            after[where] = text
    last = dump_of(before)
    dump = dump_of(after, last)
    edit = dump.edit_from(last.lines)
    if after == before:
        return  # the same reply: read_table gives the last dump back, a list itself
    assert edit is not None   # these lines have no backslash: the reply is spliced
    in_order = len(set(before)) == len(before) and len(set(after)) == len(after)
    assert comparable(table_diff.diff(last.lines, dump.lines, edit), in_order) == \
        comparable(table_diff.diff(before, after), in_order)


def test_a_dump_spliced_from_the_last_is_not_compared_nor_parsed_whole(monkeypatch):
    """A row added to 2,000: the diff takes the lines that changed from the splice, looks
    for no equal run (each of which slices and compares thousands of lines), and the
    new dump's lines are not made into strings."""
    rows = [line(f"b{i:07d}", f"port-{i}") for i in range(2000)]
    last = dump_of([HEADER, *rows])
    dump = dump_of([HEADER, *rows, line("b9999999", P1)], last)

    def compared(*args, **kwargs):
        raise AssertionError("the dumps were compared line by line")
    monkeypatch.setattr(table_diff, "equal_run", compared)
    change = table_diff.diff(last.lines, dump.lines, dump.edit_from(last.lines))
    assert change is not None and change.ports == {P1} and not change.removed
    assert isinstance(dump.lines, dump_splice.Lines) and dump.lines._strings is None
    assert dump.edit_from(list(last.lines)) is None   # an equal list is not the one edited
    assert list(dump.lines) == [HEADER, *rows, line("b9999999", P1)]


def test_a_header_changed_in_a_spliced_dump_is_no_diff():
    """A new header (a column added) is read as an edit whose first line changed: the
    cycle then walks the whole dump, as for any header change."""
    rows = [line(f"b{i:07d}", f"port-{i}") for i in range(50)]
    last = dump_of([HEADER, *rows])
    dump = dump_of([HEADER + ",extra", *rows], last)
    edit = dump.edit_from(last.lines)
    assert edit is not None and edit.kept_before == 0
    assert table_diff.diff(last.lines, dump.lines, edit) is None
