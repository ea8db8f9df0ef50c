"""xCAT tables through the REST API: tabdump, gettab, tabch
(reference ``xcat-rest-api.md`` §1.4, §2).

Public API::

    tabdump(client, table) -> list[dict[str, str | None]]     # GET tables/<t>
    parse_tabdump(lines) -> Tabdump                             # pure: columns, rows, bad lines
    dump(client, SwitchRow) -> list[SwitchRow]                  # typed rows (also ZvmRow, MacRow,
                                                                #   HostsRow, SiteRow)
    gettab(client, table, key, value, attributes) -> str | None | dict[str, str | None]
    tabch_upsert(client, table, rows)                           # [(keys, values), ...], PUT per row
    tabch_insert(client, table, rows)                           # [values, ...]
    tabch_delete(client, table, keys)                           # [keys, ...]
    tabch_upsert_argv(table, keys, values) / tabch_delete_argv(table, keys) -> argv
    run_tabch_script(client, mn_node, argvs) -> list[CommandOutcome]  # many rows, ONE request
    switch_handoff_rows(client, zhcp_node) -> list[SwitchRow]   # the agent's rows
    set_switch_binding(client, bindings)                        # [(port, vswitch, vlan or None)]
    add_nic_rows(client, node, vdev, mac, port, zhcp_node)      # nova-style mac + switch rows
    remove_nic_rows(client, node, vdev)                         # one NIC's, others' MACs kept
    with_nic_mac(row, node, vdev, mac) / without_nic_mac(row, vdev) -> mac row values
    remove_node_rows(client, node, tables=("mac", "switch"))

tabdump parsing follows the header line ``#col1,col2,...``, so extra columns
(e.g. the longer ``zvm`` header of later xCAT) never break it: a value is
``"text"`` with doubled quotes inside, an empty field is NULL (``None``) and
``""`` is the empty string. Malformed lines are reported, not guessed at.

Writes validate every table, column and value (:func:`xcat.zvm_names.table_value`:
one word without blanks, commas, quotes or shell characters) before a request
is built.

The v1 API joins the words of all body strings of one PUT into a single
``tabch`` argument list (``zvmxcatws.cgi`` ``tablesHandler``), and ``tabch``
takes one key spec, so one PUT writes one row: the REST helpers send one PUT
per row. To write many rows in one round trip, :func:`run_tabch_script` runs
``/opt/xcat/sbin/tabch`` lines as one dsh script on the xCAT MN node itself
(the node the agent already reaches for ``vmcp q v nic``), each line with its
own exit status.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeVar

from xcat import batch, dump_splice, zvm_names
from xcat.envelope import Envelope
from xcat.errors import XcatRequestError

LOG = logging.getLogger(__name__)


class TabdumpError(ValueError):
    """A tabdump line that does not follow xCAT's CSV rules."""


@dataclass
class Tabdump:
    columns: list[str]
    rows: list[dict[str, str | None]] = field(default_factory=list)
    bad_lines: list[tuple[int, str, str]] = field(default_factory=list)  # (index, line, reason)


def parse_line(line: str, width: int) -> list[str | None]:
    """Parse one tabdump row into ``width`` values (``None`` = NULL)."""
    values: list[str | None] = []
    i, n = 0, len(line)
    while True:
        if i < n and line[i] == '"':
            i += 1
            chunks = []
            while True:
                end = line.find('"', i)
                if end < 0:
                    raise TabdumpError("unterminated quoted value")
                chunks.append(line[i:end])
                if end + 1 < n and line[end + 1] == '"':
                    chunks.append('"')
                    i = end + 2
                    continue
                i = end + 1
                break
            values.append("".join(chunks))
            if i < n and line[i] != ",":
                raise TabdumpError(f"unexpected character {line[i]!r} after a quoted value")
        else:
            end = line.find(",", i)
            end = n if end < 0 else end
            raw = line[i:end]
            if '"' in raw:
                raise TabdumpError("quote inside an unquoted value")
            values.append(raw if raw else None)
            i = end
        if i >= n:
            break
        i += 1  # the comma
        if i == n:
            values.append(None)
            break
    if len(values) < width:
        values += [None] * (width - len(values))
    if len(values) > width:
        raise TabdumpError(f"{len(values)} fields for {width} columns")
    return values


def header_columns(header: str) -> list[str]:
    """The column names of a tabdump header line (``#col1,col2,...``)."""
    if not header.startswith("#"):
        raise TabdumpError("tabdump output does not start with a '#' header line")
    columns = [c.strip() for c in header[1:].strip().split(",")]
    if not all(columns):
        raise TabdumpError(f"bad header line {header!r}")
    return columns


def parse_tabdump(lines: Sequence[str]) -> Tabdump:
    """Parse tabdump output: the header line, then one row per line."""
    rows = [line for line in lines if line is not None]
    if not rows:
        raise TabdumpError("tabdump output does not start with a '#' header line")
    columns = header_columns(rows[0])
    dump = Tabdump(columns=columns)
    for index, line in enumerate(rows[1:], start=1):
        try:
            row = row_of(columns, line)
        except TabdumpError as exc:
            dump.bad_lines.append((index, line, str(exc)))
            continue
        if row is not None:
            dump.rows.append(row)
    return dump


def row_of(columns: Sequence[str], line: str) -> dict[str, str | None] | None:
    """One tabdump line as a row (None for a blank line); TabdumpError when malformed."""
    if not line.strip():
        return None
    return dict(zip(columns, parse_line(line.rstrip("\r"), len(columns)), strict=True))


def _table(table: str) -> str:
    return zvm_names.xcat_identifier(table, "table")


def tabdump(client, table: str) -> list[dict[str, str | None]]:
    """All rows of ``table`` (disabled rows included, as tabdump shows them)."""
    return tabdump_rows(table, tabdump_lines(client, table))


def tabdump_lines(client, table: str) -> list[str]:
    """The lines ``tabdump`` prints for ``table`` (header first), unparsed: a
    caller that only wants to know whether the table changed compares these."""
    return read_table(client, table).envelope.stdout_chunks   # parsed whole: its own list


@dataclass(frozen=True)
class Dump:
    """The lines ``tabdump`` printed for a table (header first; a dump read as an edit
    of the last one makes them into strings only when they are read), and the reply
    they came from."""
    lines: Sequence[str]
    envelope: Envelope

    def edit_from(self, earlier: Sequence[str] | None) -> dump_splice.Edit | None:
        """What changed from ``earlier``, when this dump was read as an edit of that very
        list of lines (:mod:`xcat.dump_splice`); None when it was not: the two are then
        compared line by line."""
        edit = self.envelope.lines_edit
        return edit if edit is not None and edit.base is earlier else None


def read_table(client, table: str, last: Dump | None = None) -> Dump:
    """:func:`tabdump_lines` of ``table``; ``last`` itself when the reply's body is
    the one ``last`` came from (see ``XcatClient.request``'s ``reuse``): a table
    that did not change is not parsed again, and its lines are the same list."""
    table = _table(table)
    if last is None:
        env = client.request("GET", ("tables", table))
    else:
        env = client.request("GET", ("tables", table), reuse=last.envelope)
        if env is last.envelope:
            return last
    if env.command_errors:
        raise XcatRequestError(client.server, "GET", f"tables/{table}", env.status, "",
                               env.command_errors)
    lines = env.dump_lines
    if not lines:
        raise XcatRequestError(client.server, "GET", f"tables/{table}", env.status, "",
                               [f"tabdump {table} returned no header line"])
    return Dump(lines, env)


class RowCache:
    """The rows of one table's tabdump lines, kept from one dump to the next: a
    line the previous dump had is not parsed (nor its problem logged) again, and
    its row is the same object as before."""

    def __init__(self, table: str):
        self.table = table
        self.header: str | None = None
        self.columns: list[str] = []
        self.rows: dict[str, dict[str, str | None] | None] = {}

    def rows_of(self, lines: Sequence[str]) -> list[dict[str, str | None]]:
        """The rows of ``lines`` (:func:`tabdump_lines` output), as :func:`tabdump_rows`."""
        if not lines:
            raise TabdumpError("tabdump output does not start with a '#' header line")
        if lines[0] != self.header:
            self.columns, self.header, self.rows = header_columns(lines[0]), lines[0], {}
        rows: dict[str, dict[str, str | None] | None] = {}
        out = []
        for index, line in enumerate(lines[1:], start=1):
            if line not in rows:
                rows[line] = self.rows[line] if line in self.rows else self._parse(index, line)
            row = rows[line]
            if row is not None:
                out.append(row)
        self.rows = rows
        return out

    def _parse(self, index: int, line: str) -> dict[str, str | None] | None:
        try:
            return row_of(self.columns, line)
        except TabdumpError as exc:
            LOG.warning("xCAT table %s: skipping malformed line %d (%s): %.120r", self.table,
                        index, exc, line)
            return None


def tabdump_rows(table: str, lines: Sequence[str]) -> list[dict[str, str | None]]:
    """The rows of :func:`tabdump_lines` output; malformed lines are logged and skipped."""
    return RowCache(table).rows_of(lines)


# -- typed rows ------------------------------------------------------------------------------------
R = TypeVar("R", bound="Row")


@dataclass(frozen=True)
class Row:
    TABLE: ClassVar[str] = ""

    @classmethod
    def from_dict(cls: type[R], values: Mapping[str, Any]) -> R:
        return cls(**{f.name: values.get(f.name) for f in fields(cls)})

    @property
    def disabled(self) -> bool:
        """xCAT's rule: set and not ``0``/``no`` means disabled."""
        value = getattr(self, "disable", None)
        return value not in (None, "", "0") and str(value).lower() != "no"


@dataclass(frozen=True)
class SwitchRow(Row):
    """``switch``: port = Quantum port id, interface = NIC vdev, comments = zHCP node."""

    TABLE: ClassVar[str] = "switch"
    node: str | None = None
    switch: str | None = None
    port: str | None = None
    vlan: str | None = None
    interface: str | None = None
    comments: str | None = None
    disable: str | None = None

    @property
    def zhcp_node(self) -> str | None:
        return self.comments


@dataclass(frozen=True)
class ZvmRow(Row):
    TABLE: ClassVar[str] = "zvm"
    node: str | None = None
    hcp: str | None = None
    userid: str | None = None
    nodetype: str | None = None
    parent: str | None = None
    comments: str | None = None
    disable: str | None = None


@dataclass(frozen=True)
class MacRow(Row):
    TABLE: ClassVar[str] = "mac"
    node: str | None = None
    interface: str | None = None
    mac: str | None = None
    comments: str | None = None
    disable: str | None = None


@dataclass(frozen=True)
class HostsRow(Row):
    TABLE: ClassVar[str] = "hosts"
    node: str | None = None
    ip: str | None = None
    hostnames: str | None = None
    otherinterfaces: str | None = None
    comments: str | None = None
    disable: str | None = None


@dataclass(frozen=True)
class SiteRow(Row):
    TABLE: ClassVar[str] = "site"
    key: str | None = None
    value: str | None = None
    comments: str | None = None
    disable: str | None = None


def dump(client, row_type: type[R]) -> list[R]:
    """``tabdump`` of ``row_type.TABLE`` as typed rows."""
    return [row_type.from_dict(row) for row in tabdump(client, row_type.TABLE)]


# -- gettab ----------------------------------------------------------------------------------------
def gettab(client, table: str, key: str, value: str,
           attributes: str | Sequence[str]) -> str | None | dict[str, str | None]:
    """``gettab key=value table.attr...`` (first matching enabled row).

    One attribute (a string) gives its value or None when no row matches; a
    sequence of attributes gives ``{attribute: value or None}``.
    """
    table = _table(table)
    key = zvm_names.xcat_identifier(key, "key")
    value = zvm_names.table_value(value, "value")
    single = isinstance(attributes, str)
    attrs = [attributes] if single else list(attributes)
    if not attrs:
        raise ValueError("attributes: at least one is required")
    attrs = [zvm_names.xcat_identifier(a, "attribute") for a in attrs]
    params = [("col", key), ("value", value)] + [("attribute", a) for a in attrs]
    env = client.request("GET", ("tables", table), params=params)
    if env.command_errors:
        raise XcatRequestError(client.server, "GET", f"tables/{table}", env.status, "",
                               env.command_errors)
    strings = env.stdout_chunks
    if single:
        if not strings:
            return None
        return strings[0] if strings[0] != "" else None
    result: dict[str, str | None] = {a: None for a in attrs}
    for text in strings:
        label, sep, rest = text.partition(": ")
        if not sep:
            label, sep, rest = text.partition(":")
        name = label.strip().split(".", 1)[-1]
        if name in result:
            result[name] = rest if rest != "" else None
    return result


# -- tabch -----------------------------------------------------------------------------------------
def _key_spec(keys: Mapping[str, str], where: str) -> str:
    if not keys:
        raise ValueError(f"{where}: at least one key column is required")
    parts = []
    for col, val in keys.items():
        col = zvm_names.xcat_identifier(col, f"{where} key")
        val = zvm_names.table_value(val, f"{where} {col}")
        if val == "":
            raise ValueError(f"{where} {col}: a key value may not be empty")
        parts.append(f"{col}={val}")
    return ",".join(parts)


def _assignments(table: str, values: Mapping[str, str], where: str) -> list[str]:
    if not values:
        raise ValueError(f"{where}: at least one column value is required")
    words = []
    for col, val in values.items():
        col = zvm_names.xcat_identifier(col, f"{where} column")
        check = mac_list_value if (table, col) == ("mac", "mac") else zvm_names.table_value
        words.append(f"{table}.{col}={check(val, f'{where} {col}')}")
    return words


def _put(client, table: str, body: list[str]) -> None:
    """One PUT per row string: the v1 API runs one tabch per request."""
    for row in body:
        env = client.request("PUT", ("tables", table), body=[row])
        if env.command_errors or (env.exit_status not in (None, 0)):
            raise XcatRequestError(client.server, "PUT", f"tables/{table}", env.status, "",
                                   env.command_errors or [f"tabch errorcode {env.exit_status}"])


def tabch_upsert(client, table: str,
                 rows: Iterable[tuple[Mapping[str, str], Mapping[str, str]]]) -> int:
    """Update rows matching each key spec, inserting them when none matches.

    ``rows`` are ``(keys, values)`` pairs, e.g. ``({"port": p}, {"switch": "VSW1",
    "vlan": "10"})``. All rows are validated before anything is sent; returns the
    number of rows written.
    """
    table = _table(table)
    body = []
    for i, (keys, values) in enumerate(rows):
        where = f"rows[{i}]"
        body.append(" ".join([_key_spec(keys, where)] + _assignments(table, values, where)))
    _put(client, table, body)
    return len(body)


def tabch_insert(client, table: str, rows: Iterable[Mapping[str, str]]) -> int:
    """Insert rows (``tabch t.col=val ...`` without a key spec)."""
    table = _table(table)
    body = [" ".join(_assignments(table, values, f"rows[{i}]"))
            for i, values in enumerate(rows)]
    _put(client, table, body)
    return len(body)


def tabch_delete(client, table: str, keys: Iterable[Mapping[str, str]]) -> int:
    """Delete every row matching each key spec (no match is not an error)."""
    table = _table(table)
    body = [f"-d {_key_spec(spec, f'keys[{i}]')} {table}" for i, spec in enumerate(keys)]
    _put(client, table, body)
    return len(body)


# -- many rows in one request: tabch lines on the MN node ------------------------------------------
TABCH = "/opt/xcat/sbin/tabch"


def tabch_upsert_argv(table: str, keys: Mapping[str, str], values: Mapping[str, str]) -> list[str]:
    """``tabch key=val table.col=val ...`` as an argument vector (validated)."""
    table = _table(table)
    return [TABCH, _key_spec(keys, table), *_assignments(table, values, table)]


def tabch_delete_argv(table: str, keys: Mapping[str, str]) -> list[str]:
    """``tabch -d key=val table`` as an argument vector (validated)."""
    table = _table(table)
    return [TABCH, "-d", _key_spec(keys, table), table]


def run_tabch_script(client, mn_node: str, argvs: Sequence[Sequence[str]], *,
                     batch_size: int | None = None) -> list:
    """Run tabch argument vectors on the xCAT MN node in one dsh request per batch.

    Returns one :class:`xcat.batch.CommandOutcome` per line; tabch writes are
    idempotent, so the request may be retried.
    """
    mn_node = zvm_names.xcat_node(mn_node, "mn_node")
    return batch.run_batch(client, mn_node, argvs, idempotent=True,
                           batch_size=batch_size or batch.DEFAULT_BATCH_SIZE)


# -- hand-off helpers ------------------------------------------------------------------------------
def switch_handoff_rows(client, zhcp_node: str) -> list[SwitchRow]:
    """The ``switch`` rows handed to the agent of ``zhcp_node`` (comments == node), enabled only."""
    zhcp_node = zvm_names.xcat_node(zhcp_node, "zhcp_node")
    return [row for row in dump(client, SwitchRow)
            if row.comments == zhcp_node and not row.disabled]


def switch_binding_rows(bindings: Iterable[tuple[str, str, int | None]]
                        ) -> list[tuple[dict[str, str], dict[str, str]]]:
    """``(keys, values)`` rows writing ``switch.switch``/``switch.vlan`` (``-1`` for flat)."""
    rows = []
    for i, (port, vswitch, vlan) in enumerate(bindings):
        vsw = zvm_names.vswitch(vswitch, f"bindings[{i}] vswitch")
        vid = "-1" if vlan is None else str(zvm_names.vlan_id(vlan, f"bindings[{i}] vlan"))
        rows.append(({"port": port}, {"switch": vsw, "vlan": vid}))
    return rows


def set_switch_binding(client, bindings: Iterable[tuple[str, str, int | None]], *,
                       mn_node: str | None = None) -> int:
    """Write ``switch.switch``/``switch.vlan`` for each ``(port, vswitch, vlan)``.

    With ``mn_node`` all rows go in one dsh request (tabch lines on the MN);
    without it, one PUT per row. Raises :class:`XcatRequestError` naming the
    rows that failed.
    """
    rows = switch_binding_rows(bindings)
    if mn_node is None:
        return tabch_upsert(client, "switch", rows)
    argvs = [tabch_upsert_argv("switch", keys, values) for keys, values in rows]
    failed = [o for o in run_tabch_script(client, mn_node, argvs) if not o.ok]
    if failed:
        raise XcatRequestError(client.server, "PUT", f"nodes/{mn_node}/dsh", 200, "",
                               [o.describe() for o in failed[:5]])
    return len(rows)


def add_nic_rows(client, node: str, vdev: str, mac: str, port: str, zhcp_node: str) -> None:
    """Hand a NIC over the nova-zvm way: its MAC in the node's ``mac`` row and a
    ``switch`` row (one GET, 2 PUTs)."""
    node = zvm_names.xcat_node(node, "node")
    vdev = zvm_names.nic_vdev(vdev, "vdev")
    zhcp_node = zvm_names.xcat_node(zhcp_node, "zhcp_node")
    mac = mac_text(mac)
    port = zvm_names.table_value(port, "port")
    if not port:
        raise ValueError("port: must not be empty")
    values = with_nic_mac(mac_rows_by_node(client).get(node), node, vdev, mac)
    tabch_upsert(client, "mac", [({"node": node}, {**values, "comments": zhcp_node})])
    tabch_upsert(client, "switch", [({"node": node, "interface": vdev},
                                     {"port": port, "comments": zhcp_node})])


def remove_nic_rows(client, node: str, vdev: str) -> None:
    """Take one NIC's rows away: its ``switch`` row and its MAC from the node's
    ``mac`` row (the row goes with the node's last MAC); other NICs keep theirs."""
    node = zvm_names.xcat_node(node, "node")
    vdev = zvm_names.nic_vdev(vdev, "vdev")
    tabch_delete(client, "switch", [{"node": node, "interface": vdev}])
    row = mac_rows_by_node(client).get(node)
    if row is None:
        return
    values = without_nic_mac(row, vdev)
    if values is None:
        tabch_delete(client, "mac", [{"node": node}])
    else:
        tabch_upsert(client, "mac", [({"node": node}, values)])


def remove_node_rows(client, node: str, tables: Sequence[str] = ("mac", "switch")) -> None:
    """Delete a node's rows from ``tables`` (one PUT per table)."""
    node = zvm_names.xcat_node(node, "node")
    for table in tables:
        tabch_delete(client, table, [{"node": node}])


# -- the mac table: one row per node, the MACs of all its NICs in one value ------------------------
# perl-xCAT Schema.pm (xcat-core 2.8.3): the mac table is keyed by node alone, and
# mac.mac is "a '|' delimited string of 'mac address!hostname'", the first MAC bound
# to the node name; xCAT's own VM plugins keep further NICs' MACs that way
# (VMCommon.pm: "|<mac>!*NOIP*") and dhcp.pm reads it by splitting on '|' and '!'.
# nova-zvm (networkop.py create_nic, 2e3d781d) deleted the node's row before
# inserting each NIC's, so only the last NIC's MAC survived.  Here the first MAC is
# that of the NIC named by mac.interface, as nova writes a one-NIC row; every other
# MAC is named "<node>-<vdev>" (Schema.pm's own example names one "node6-eth1"), so
# one NIC's MAC can be taken out and the others' kept.
NOVA_PLACEHOLDER_INTERFACE = "fake"   # nova-zvm config_xcat_mac: mac 00:00:00:00:00:00
_MAC_ENTRY_RE = re.compile(r"(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}(?:![A-Za-z0-9._*-]{1,128})?")


@dataclass(frozen=True)
class MacEntry:
    mac: str
    name: str | None = None

    def text(self) -> str:
        return self.mac if self.name is None else f"{self.mac}!{self.name}"


def mac_text(mac: str, field: str = "mac") -> str:
    """A MAC as xCAT's tables hold it: lower case, ``:`` between octets."""
    return ":".join(o.lower() for o in zvm_names.mac_octets(mac, field))


def parse_mac_list(value: str | None, field: str = "mac list") -> list[MacEntry]:
    """``mac1|mac2!name2|...`` as entries; anything else is a ValueError."""
    if not value:
        return []
    entries = []
    for text in value.split("|"):
        if not _MAC_ENTRY_RE.fullmatch(text):
            raise ValueError(f"{field}: {value!r} is not an xCAT mac list "
                             "(mac[!name] entries joined by '|')")
        mac, _, name = text.partition("!")
        entries.append(MacEntry(mac, name or None))
    return entries


def mac_list_value(value: object, field: str = "mac") -> str:
    """A ``mac.mac`` value to write: a valid mac list (shell-quoted like every value)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field}: {value!r} is not an xCAT mac list")
    parse_mac_list(value, field)
    return value


def _entry_vdev(name: str | None, node: str | None) -> str | None:
    """The vdev of an entry named ``<node>-<vdev>``; None for other names (``*NOIP*``)."""
    prefix = f"{node}-"
    if not name or not name.startswith(prefix):
        return None
    try:
        return zvm_names.nic_vdev(name[len(prefix):])
    except ValueError:
        return None


def _row_nics(row: MacRow | None) -> list[tuple[str | None, MacEntry]]:
    """``(vdev or None, entry)`` in row order; nova's placeholder row counts as none."""
    if row is None or row.interface == NOVA_PLACEHOLDER_INTERFACE:
        return []
    nics = []
    for index, entry in enumerate(parse_mac_list(row.mac, f"mac row of node {row.node}")):
        if index == 0 and entry.name is None:
            vdev = _entry_vdev(f"{row.node}-{row.interface}", row.node)
        else:
            vdev = _entry_vdev(entry.name, row.node)
        nics.append((vdev, entry))
    return nics


def _row_values(node: str, nics: Sequence[tuple[str | None, MacEntry]]) -> dict[str, str] | None:
    """``interface``/``mac`` of the node's row: its first NIC's MAC first and bare,
    the other NICs' named; entries of others kept as they were.  None: no MAC left."""
    if not nics:
        return None
    first = next((vdev for vdev, _ in nics if vdev is not None), None)
    entries: list[MacEntry] = []
    for vdev, entry in nics:
        if vdev is None:
            entries.append(entry)
        elif vdev == first:
            entries.insert(0, MacEntry(entry.mac))
        else:
            entries.append(MacEntry(entry.mac, f"{node}-{vdev}"))
    return {"interface": first or "", "mac": "|".join(e.text() for e in entries)}


def with_nic_mac(row: MacRow | None, node: str, vdev: str, mac: str) -> dict[str, str]:
    """The node's ``mac`` row values once NIC ``vdev`` has ``mac`` (added or replaced)."""
    entry = MacEntry(mac_text(mac))
    nics = [(v, entry if v == vdev else e) for v, e in _row_nics(row)]
    if vdev not in {v for v, _ in nics}:
        nics.append((vdev, entry))
    values = _row_values(node, nics)
    assert values is not None
    return values


def without_nic_mac(row: MacRow, vdev: str) -> dict[str, str] | None:
    """The node's ``mac`` row values once NIC ``vdev`` is gone; None: delete the row."""
    return _row_values(row.node or "", [(v, e) for v, e in _row_nics(row) if v != vdev])


def nic_macs(row: MacRow | None) -> dict[str, str]:
    """vdev -> MAC of the NICs the node's ``mac`` row names."""
    return {vdev: entry.mac for vdev, entry in _row_nics(row) if vdev is not None}


def mac_rows_by_node(client) -> dict[str, MacRow]:
    """The ``mac`` table (one GET) by node; the first row where a tool left several."""
    rows: dict[str, MacRow] = {}
    for row in dump(client, MacRow):
        if row.node:
            rows.setdefault(row.node, row)
    return rows
