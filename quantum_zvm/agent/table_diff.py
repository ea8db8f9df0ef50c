"""What changed between two dumps of the xCAT ``switch`` table (the lines of
:func:`xcat.tables.tabdump_lines`, header first): pure functions, so that a
cycle costs what changed, not the size of the table.  Only the lines that
differ are parsed."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from quantum_zvm.agent.model import SwitchRow
from xcat import tables

# the columns the agent writes into a handed-off port's row (WriteSwitchRow)
WRITTEN_COLUMNS = ("switch", "vlan")


def _differing_rows(before: Sequence[str] | None, after: Sequence[str]
                    ) -> tuple[list[dict[str, str | None]], list[dict[str, str | None]]] | None:
    """(rows only ``before`` has, rows only ``after`` has), counting repeated lines (a
    row added twice names its port twice); None when there is no earlier dump or the
    header changed."""
    if not before or not after or before[0] != after[0]:
        return None
    old, new = Counter(before[1:]), Counter(after[1:])
    return (tables.tabdump_rows("switch", [after[0], *(old - new).elements()]),
            tables.tabdump_rows("switch", [after[0], *(new - old).elements()]))


def changed_ports(before: Sequence[str] | None, after: Sequence[str]) -> set[str] | None:
    """The ports of the lines that differ between two dumps (None when there is no
    earlier one or the header changed)."""
    differing = _differing_rows(before, after)
    if differing is None:
        return None
    return {str(row["port"]) for rows in differing for row in rows if row.get("port")}


def only_own_writes(before: Sequence[str] | None, after: Sequence[str],
                    rows: Mapping[str, SwitchRow]) -> bool:
    """True when every line that differs is a row the agent wrote itself: each such
    port had one line and has one line, equal but for the vswitch and VLAN, which are
    now those of ``rows`` (the observed rows, where every write the agent made is
    recorded).  A dump that shows only these writes asks for nothing: the plan that
    wrote them already holds."""
    differing = _differing_rows(before, after)
    if differing is None:
        return False
    old, new = (_one_row_a_port(found) for found in differing)
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


def _one_row_a_port(rows: list[dict[str, str | None]]) -> dict[str, dict[str, str | None]] | None:
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
