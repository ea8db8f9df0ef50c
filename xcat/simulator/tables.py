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
  always inserts (duplicate primary key: ``DB error``, errorcode 4);
  ``-d key=val t ...`` deletes every matching row.
"""
from __future__ import annotations

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

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def changed(self) -> None:
        self.version += 1

    def as_dicts(self) -> list[dict[str, str | None]]:
        return [dict(zip(self.columns, row)) for row in self.rows]

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

    def matching(self, keys: dict[str, str]) -> list[int]:
        idx = [(self.index(k), v) for k, v in keys.items()]
        return [n for n, row in enumerate(self.rows) if all(row[i] == v for i, v in idx)]

    def insert(self, values: dict[str, str | None]) -> None:
        self.rows.append([values.get(c) for c in self.columns])
        self.changed()

    def delete(self, keys: dict[str, str]) -> int:
        doomed = set(self.matching(keys))
        if doomed:
            self.rows = [row for n, row in enumerate(self.rows) if n not in doomed]
            self.changed()
        return len(doomed)

    def first_enabled(self, column: str, value: str) -> dict[str, str | None] | None:
        i = self.index(column)
        d = self.index("disable")
        for row in self.rows:
            if row[i] == value and not disabled(row[d]):
                return dict(zip(self.columns, row))
        return None


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
            table.rows = [[row.get(c) for c in columns] for row in content["rows"]]
            table.changed()
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

    def tabch(self, words: list[str]) -> list[Message]:
        words = [w for w in words if w]
        if not words:
            return [error("tabch: No table updates were specified")]
        if words[0] == "-d":
            return self._delete(words[1:])
        keys: dict[str, str] = {}
        updates: dict[str, dict[str, str]] = {}
        for word in words:
            left, sep, value = word.partition("=")
            if not sep:
                return [error(f"{word} not a valid table.column description")]
            if "." in left:
                table_name, _, column = left.partition(".")
                table = self.tables.get(table_name)
                if table is None or column not in table.columns:
                    return [error(f"{left} not a valid table.column description")]
                updates.setdefault(table_name, {})[column] = value
            else:
                for pair in word.split(","):
                    k, s, v = pair.partition("=")
                    if not s or not k:
                        return [error(f"{pair} not a valid key=value pair")]
                    keys[k] = v
        if not updates:
            return [error("tabch: No table updates were specified")]
        for table_name, values in updates.items():
            table = self.tables[table_name]
            bad = [k for k in keys if k not in table.columns]
            if bad:
                return [error(f"{table_name}.{bad[0]} not a valid table.column description")]
        messages: list[Message] = []
        for table_name, values in updates.items():
            table = self.tables[table_name]
            if keys:
                self._upsert(table, keys, values)
            else:
                failure = self._insert(table, values)
                if failure:
                    messages.append(failure)
        return messages

    @staticmethod
    def _upsert(table: Table, keys: dict[str, str], values: dict[str, str]) -> None:
        matches = table.matching(keys)
        if matches:
            for n in matches:
                for column, value in values.items():
                    table.rows[n][table.index(column)] = value
            table.changed()
            return
        if all(v == "" for v in values.values()):
            return
        table.insert({**keys, **values})

    @staticmethod
    def _insert(table: Table, values: dict[str, str]) -> Message | None:
        key_values = [values.get(k) for k in table.keys]
        if all(v is not None for v in key_values):
            idx = [table.index(k) for k in table.keys]
            for row in table.rows:
                if [row[i] for i in idx] == key_values:
                    return error(f"DB error: UNIQUE constraint failed: "
                                 + ", ".join(f"{table.name}.{k}" for k in table.keys), "4")
        table.insert(values)
        return None

    def _delete(self, words: list[str]) -> list[Message]:
        if len(words) < 2:
            return [error("tabch: -d needs a key=value spec and a table name")]
        keys: dict[str, str] = {}
        for pair in words[0].split(","):
            k, s, v = pair.partition("=")
            if not s or not k:
                return [error(f"{pair} not a valid key=value pair")]
            keys[k] = v
        for name in words[1:]:
            table = self.tables.get(name)
            if table is None:
                return [error(f"Table {name} does not exist")]
            bad = [k for k in keys if k not in table.columns]
            if bad:
                return [error(f"{name}.{bad[0]} not a valid table.column description")]
        for name in words[1:]:
            self.tables[name].delete(keys)
        return []
