"""What changed between two dumps of the xCAT ``switch`` table (the lines of
:func:`xcat.tables.tabdump_lines`, header first): pure functions, so that a
cycle costs what changed, not the size of the table.  Only the lines that
differ are parsed."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from quantum_zvm.agent.model import SwitchRow
from xcat import dump_splice, tables

# the columns the agent writes into a handed-off port's row (WriteSwitchRow)
WRITTEN_COLUMNS = ("switch", "vlan")

Rows = list[dict[str, str | None]]


@dataclass(frozen=True)
class Diff:
    """The rows of the lines only the earlier dump has (``removed``) and of those only
    the later one has (``added``); a line repeated counts as often as it appears."""
    removed: Rows
    added: Rows

    @property
    def empty(self) -> bool:
        """No row differs: the same lines, maybe in another order, or differing only by
        lines that do not parse (which every cycle skips, with a warning)."""
        return not self.removed and not self.added

    @property
    def ports(self) -> set[str]:
        """The ports of the lines that differ."""
        return {str(row["port"]) for rows in (self.removed, self.added) for row in rows
                if row.get("port")}


def diff(before: Sequence[str] | None, after: Sequence[str],
         edit: dump_splice.Edit | None = None) -> Diff | None:
    """The :class:`Diff` of two dumps; None when there is no earlier one or the header
    changed.  ``edit``: how ``after`` was read from ``before`` itself
    (``tables.Dump.edit_from``), which names the lines that differ; else only the lines
    between the dumps' common first and last lines are compared line by line (xCAT
    dumps a table in its stored order, so an added row is at the end and a changed one
    in its place)."""
    if not before or not after:
        return None
    if before is after:  # the quiet cycle's: a dump not parsed again (tables.read_table)
        return Diff([], [])
    if edit is not None and edit.base is before:
        old_lines, new_lines = edit.removed, edit.added
        if not edit.kept_before:   # the header is among the lines the splice parsed
            if not old_lines or not new_lines or old_lines[0] != new_lines[0]:
                return None
            old_lines, new_lines = old_lines[1:], new_lines[1:]
    else:
        if before[0] != after[0]:
            return None
        if before == after:
            return Diff([], [])
        shorter = min(len(before), len(after))
        head = equal_run(before, after, shorter)
        tail = equal_run(before, after, shorter - head, from_end=True)
        old_lines = list(before[head:len(before) - tail])
        new_lines = list(after[head:len(after) - tail])
    old, new = set(old_lines), set(new_lines)
    if len(old) == len(old_lines) and len(new) == len(new_lines):
        # added lines in table order: a port's order among new ports follows the table
        removed, added = list(old - new), [line for line in new_lines if line not in old]
    else:  # a line repeated: count them (a second equal row names its port twice)
        counted_old, counted_new = Counter(old_lines), Counter(new_lines)
        removed = list((counted_old - counted_new).elements())
        added = list((counted_new - counted_old).elements())
    return Diff(tables.tabdump_rows("switch", [after[0], *removed]),
                tables.tabdump_rows("switch", [after[0], *added]))


def equal_run(a: Sequence[str], b: Sequence[str], limit: int, from_end: bool = False) -> int:
    """How many lines ``a`` and ``b`` have equal from their start (or their end), at
    most ``limit``.  Slices are compared in runs that double while they are equal and
    halve when they are not: the lines are compared in C, and the loop turns a few
    times a power of two, not once a line."""
    matched, step = 0, 1
    while matched < limit:
        step = min(step, limit - matched)
        if from_end:
            equal = (a[len(a) - matched - step:len(a) - matched]
                     == b[len(b) - matched - step:len(b) - matched])
        else:
            equal = a[matched:matched + step] == b[matched:matched + step]
        if equal:
            matched += step
            step *= 2
        elif step == 1:
            break
        else:
            step //= 2
    return matched


def as_planned(change: Diff, rows: Mapping[str, SwitchRow]) -> bool:
    """True when the table is as the last plan left it: unchanged, or changed only
    by the rows the agent wrote (:func:`only_own_writes`)."""
    return change.empty or only_own_writes(change, rows)


def only_own_writes(change: Diff, rows: Mapping[str, SwitchRow]) -> bool:
    """True when every line that differs is a row the agent wrote itself: each such
    port had one line and has one line, equal but for the vswitch and VLAN, which are
    now those of ``rows`` (the observed rows, where every write the agent made is
    recorded).  A dump that shows only these writes asks for nothing: the plan that
    wrote them already holds."""
    old, new = _one_row_a_port(change.removed), _one_row_a_port(change.added)
    if old is None or new is None or not new or old.keys() != new.keys():
        return False
    for port, row in new.items():
        written = rows.get(port)
        if written is None or (row.get("switch"), row.get("vlan")) != (written.switch,
                                                                      written.vlan):
            return False
        if _unwritten(row) != _unwritten(old[port]):
            return False
    return True


def _one_row_a_port(rows: Rows) -> dict[str, dict[str, str | None]] | None:
    """The rows by port; None when a row has no port or a port has several rows."""
    by_port: dict[str, dict[str, str | None]] = {}
    for row in rows:
        port = row.get("port")
        if not port or port in by_port:
            return None
        by_port[port] = row
    return by_port


def _unwritten(row: Mapping[str, str | None]) -> dict[str, str | None]:
    return {column: value for column, value in row.items() if column not in WRITTEN_COLUMNS}
