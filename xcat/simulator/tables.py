"""xCAT tables of the simulated management node (reference xcat-rest-api.md §1.4, §2).

Rows keep xCAT's schema column order.  A value is a string or ``None`` (SQL
NULL); the distinction shows in ``tabdump`` (``""`` vs nothing).  The three
commands the REST API reaches are implemented with the reference's
semantics and return xcatd messages (lists of dicts whose values are lists of
strings):

- ``tabdump``: header ``#col,...`` then one line per row (values quoted,
  embedded ``"`` doubled, NULL empty, fields joined by ``,``); disabled rows
  are shown.
- ``gettab``: first enabled row whose key column equals the value; one
  attribute gives the bare value, several give ``<t>.<a>: <value>`` messages;
  an unknown key column gives ``Unkown key x to t`` (sic).
- ``tabch``: ``key=val[,k2=v2] t.col=val ...`` updates every matching row or
  inserts one (nothing when all values are empty); ``t.col=val ...`` alone
  always inserts; an insert that repeats the table's primary key (``mac``
  is keyed by ``node`` alone) fails with ``DB error``, errorcode 4;
  ``-d key=val t ...`` deletes every matching row.  One key spec per call:
  a later ``key=val`` argument fails the whole call with ``key=val not a
  valid table.column description`` (errorcode 1, nothing written).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

Message = dict[str, list[str]]

ZVM_SHORT = ["node", "hcp", "userid", "nodetype", "parent", "comments", "disable"]
ZVM_LONG = ZVM_SHORT + ["discovered", "status"]

SCHEMAS: dict[str, tuple[list[str], list[str]]] = {
    "switch": (["node", "switch", "port", "vlan", "interface", "comments", "disable"],
               ["node", "switch", "port"]),
    "zvm": (ZVM_SHORT, ["node"]),
    "mac": (["node", "interface", "mac", "comments", "disable"], ["node"]),
    "hosts": (["node", "ip", "hostnames", "otherinterfaces", "comments", "disable"], ["node"]),
    "site": (["key", "value", "comments", "disable"], ["key"]),
    "networks": (["netname", "net", "mask", "mgtifname", "gateway", "dhcpserver", "tftpserver",
                  "nameservers", "ntpservers", "logservers", "dynamicrange", "staticrange",
                  "staticrangeincrement", "nodehostname", "ddnsdomain", "vlanid", "domain",
                  "comments", "disable"], ["net", "mask"]),
    "nodelist": (["node", "groups", "status", "statustime", "appstatus", "appstatustime",
                  "primarysn", "hidden", "updatestatus", "updatestatustime", "zonename",
                  "comments", "disable"], ["node"]),
    "passwd": (["key", "username", "password", "cryptmethod", "authdomain", "comments",
                "disable"], ["key", "username"]),
}


TABCH_USAGE = [
    "Usage: tabch",
    "       To add or update rows for tables:",
    "       tabch [keycolname=keyvalue[,keycolname=keyvalue...]] [tablename.colname=newvalue] "
    "[tablename.colname=newvalue]...",
    "       To delete rows from tables:",
    "       tabch -d|--delete keycolname=keyvalue[,keycolname=keyvalue...] tablename "
    "[tablename]...",
]


def error(text: str, code: str = "1") -> Message:
    return {"error": [text], "errorcode": [code]}


def disabled(value: str | None) -> bool:
    return value not in (None, "", "0", "no", "NO", "No")


@dataclass
class Table:
    name: str
    columns: list[str]
    keys: list[str]
    rows: list[list[str | None]] = field(default_factory=list)
    version: int = 0
    _dump: tuple[int, list[str]] | None = field(default=None, repr=False)
    # column -> value -> row positions; built on first lookup, kept up to date by
    # insert/set_value, dropped when rows are removed (positions shift).
    _indexes: dict[str, dict[str | None, list[int]]] = field(default_factory=dict, repr=False)

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def changed(self) -> None:
        self.version += 1

    def replace_rows(self, rows: list[list[str | None]]) -> None:
        self.rows = rows
        self._indexes.clear()
        self.changed()

    def _lookup(self, column: str) -> dict[str | None, list[int]]:
        index = self._indexes.get(column)
        if index is None:
            index = {}
            i = self.index(column)
            for pos, row in enumerate(self.rows):
                index.setdefault(row[i], []).append(pos)
            self._indexes[column] = index
        return index

    def as_dicts(self) -> list[dict[str, str | None]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def tabdump(self) -> list[str]:
        cached = self._dump
        if cached is not None and cached[0] == self.version:
            return cached[1]
        lines = ["#" + ",".join(self.columns)]
        for row in self.rows:
            lines.append(",".join("" if v is None else '"' + v.replace('"', '""') + '"'
                                  for v in row))
        self._dump = (self.version, lines)
        return lines

    def matching(self, keys: Mapping[str, str | None]) -> list[int]:
        if not keys:
            return list(range(len(self.rows)))
        items = list(keys.items())
        first, value = items[0]
        rest = [(self.index(k), v) for k, v in items[1:]]
        return [pos for pos in self._lookup(first).get(value, [])
                if all(self.rows[pos][i] == v for i, v in rest)]

    def insert(self, values: Mapping[str, str | None]) -> None:
        row = [values.get(c) for c in self.columns]
        pos = len(self.rows)
        self.rows.append(row)
        for column, index in self._indexes.items():
            index.setdefault(row[self.index(column)], []).append(pos)
        self.changed()

    def set_value(self, pos: int, column: str, value: str | None) -> None:
        i = self.index(column)
        row = self.rows[pos]
        index = self._indexes.get(column)
        if index is not None and row[i] != value:
            index[row[i]].remove(pos)
            index.setdefault(value, []).append(pos)
        row[i] = value
        self.changed()  # a kept tabdump is stale now

    def delete(self, keys: dict[str, str]) -> int:
        doomed = set(self.matching(keys))
        if doomed:
            self.replace_rows([row for n, row in enumerate(self.rows) if n not in doomed])
        return len(doomed)

    def first_enabled(self, column: str, value: str) -> dict[str, str | None] | None:
        d = self.index("disable")
        for pos in self._lookup(column).get(value, []):
            row = self.rows[pos]
            if not disabled(row[d]):
                return dict(zip(self.columns, row, strict=True))
        return None


class _TabchRefused(Exception):
    """A tabch argument list refused before anything is written: xcatd's message."""

    def __init__(self, message: Message):
        super().__init__(message)
        self.message = message


def _tabch_keys(target: str) -> dict[str, str]:
    """A key spec ``col=value[,col=value...]`` as a dict."""
    keys: dict[str, str] = {}
    for pair in target.split(","):
        key, sep, value = pair.rpartition("=")
        if not sep:
            raise _TabchRefused({"data": [f'Incorrect argument "{pair}".\n',
                                          "Check man tabch or tabch -h\n"]})
        keys[key] = value
    return keys


class Tables:
    """All tables; callers hold the simulator lock."""

    def __init__(self, zvm_columns: str = "short"):
        self.tables: dict[str, Table] = {}
        for name, (columns, keys) in SCHEMAS.items():
            if name == "zvm" and zvm_columns == "long":
                columns = ZVM_LONG
            self.tables[name] = Table(name, list(columns), list(keys))

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    def get(self, name: str) -> Table | None:
        return self.tables.get(name)

    @property
    def version(self) -> int:
        return sum(t.version for t in self.tables.values())

    # ------------------------------------------------------------------ dumps
    def to_dict(self) -> dict:
        return {name: {"columns": t.columns, "rows": t.as_dicts()}
                for name, t in sorted(self.tables.items())}

    def load_dict(self, data: dict) -> None:
        for name, content in data.items():
            columns = content["columns"]
            keys = SCHEMAS[name][1] if name in SCHEMAS else [columns[0]]
            table = Table(name, list(columns), list(keys))
            table.replace_rows([[row.get(c) for c in columns] for row in content["rows"]])
            self.tables[name] = table

    # --------------------------------------------------------------- commands
    def tabdump(self, name: str) -> list[Message]:
        table = self.tables.get(name)
        if table is None:
            return [error(f"Table {name} does not exist")]
        return [{"data": list(table.tabdump())}]

    def gettab(self, name: str, key: str, value: str, attributes: list[str]) -> list[Message]:
        table = self.tables.get(name)
        if table is None:
            return [error(f"Table {name} does not exist")]
        if key not in table.columns:
            return [error(f"Unkown key {key} to {name}")]
        unknown = [a for a in attributes if a not in table.columns]
        if unknown:
            return [error(f"{name}.{unknown[0]} not a valid table.column description")]
        row = table.first_enabled(key, value)
        if row is None:
            return []
        if len(attributes) == 1:
            return [{"data": [row[attributes[0]] or ""]}]
        return [{"data": [f"{name}.{a}: {row[a] or ''}"]} for a in attributes]

    def tabch(self, args: list[str]) -> list[Message]:
        """``tabch`` with xCAT's argument handling: the first argument is the key
        spec unless it looks like ``table.col=value``; ``-d`` deletes; every
        other argument must be ``table.col=value`` (a second key spec in the
        same argument list is an error and nothing is written)."""
        args = list(args)
        delete = bool(args) and args[0] in ("-d", "--delete")
        if delete:
            args = args[1:]
        if not args or not args[0]:
            return [{"data": TABCH_USAGE}]
        target = args.pop(0)
        keys: dict[str, str] = {}
        try:
            if re.match(r"([^.=]+)\.([^.=]+)=(.+)", target.split(",")[0]) and not delete:
                args.insert(0, target)
            else:
                keys = _tabch_keys(target)
            if delete:
                self._check_tabch_delete(keys, args)
                for name in args:
                    self.tables[name].delete(keys)
                return []
            updates = self._tabch_updates(args)
        except _TabchRefused as refused:
            return [refused.message]
        return self._tabch_write(keys, updates)

    def _check_tabch_delete(self, keys: dict[str, str], names: list[str]) -> None:
        """``tabch -d``: every table must exist and have every key column."""
        if not names:
            raise _TabchRefused({"data": ["Missing table name.\n",
                                          "Check man tabch or tabch -h\n"]})
        for name in names:
            table = self.tables.get(name)
            if table is None:
                raise _TabchRefused({"data": [f"Table {name} does not exist.\n"]})
            unknown = [k for k in keys if k not in table.columns]
            if unknown:
                raise _TabchRefused(error(f"DB error no such column: {unknown[0]}", "4"))

    def _tabch_updates(self, args: list[str]) -> dict[str, dict[str, str]]:
        """The ``table.col=value`` arguments as {table: {column: value}}."""
        updates: dict[str, dict[str, str]] = {}
        for arg in args:
            if "." not in arg.partition("=")[0]:
                # a second key spec: not a table.column word
                raise _TabchRefused(error(f"{arg} not a valid table.column description"))
            table_name, _dot, rest = arg.partition(".")
            table = self.tables.get(table_name)
            if table is None:
                raise _TabchRefused({"data": [f"Table {table_name} does not exist.\n"]})
            column, _eq, value = rest.partition("=")
            if column not in table.columns:
                raise _TabchRefused(
                    error(f"{table_name}.{column} not a valid table.column description"))
            updates.setdefault(table_name, {})[column] = value
        return updates

    def _tabch_write(self, keys: dict[str, str], updates: dict[str, dict[str, str]]
                     ) -> list[Message]:
        messages: list[Message] = []
        for table_name, values in updates.items():
            table = self.tables[table_name]
            unknown = [k for k in keys if k not in table.columns]
            if unknown:
                messages.append(error(f"DB error no such column: {unknown[0]}", "4"))
                continue
            failure = self._upsert(table, keys, values) if keys else self._insert(table, values)
            if failure:
                # tabutils.pm tabch rolls the table back and stops at the first DB error
                messages.append(failure)
                break
        return messages

    @classmethod
    def _upsert(cls, table: Table, keys: dict[str, str], values: dict[str, str]
                ) -> Message | None:
        """Table.pm ``setAttribs``: update every row matching all the given key
        columns, else insert one; the insert meets the table's primary key, so a
        key spec naming a non-key column (``node=n,interface=i`` on ``mac``,
        keyed by ``node`` alone) fails for a node that has a row (xcat-core 2.8.3
        ``perl-xCAT/xCAT/Table.pm`` setAttribs, ``Schema.pm`` mac keys)."""
        matches = table.matching(keys)
        if matches:
            for n in matches:
                for column, value in values.items():
                    table.set_value(n, column, value)
            return None
        if all(v == "" for v in values.values()):
            return None
        return cls._insert(table, {**keys, **values})

    @staticmethod
    def _insert(table: Table, values: dict[str, str]) -> Message | None:
        """INSERT; a duplicate primary key is DBD::SQLite's error (``DB error ...``,
        errorcode 4, tabutils.pm ``tabch``).  A NULL key column never clashes."""
        key_values = {k: values.get(k) for k in table.keys}
        if all(v is not None for v in key_values.values()) and table.matching(key_values):
            return error("DB error UNIQUE constraint failed: "
                         + ", ".join(f"{table.name}.{k}" for k in table.keys), "4")
        table.insert(values)
        return None
