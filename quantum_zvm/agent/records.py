"""The agent's records across restarts: the state file and its journal.

What the agent applied to z/VM cannot all be read back from z/VM (which port
a NIC serves, which grants the agent made, which vswitch port a live NIC
uses), so it is kept on disk: a port removed while the agent was down is
still undone, and a grant the agent made is revoked once no port needs it.

The state file is a snapshot, written atomically (a temporary file, fsync,
rename, fsync of the directory).  Between snapshots, :class:`Store` appends what a
cycle changed to ``<state file>.journal``, one JSON line per binding, grant or live
port, and syncs it (``fdatasync``: the data and the file's size; and its directory
when the journal is new), so a cycle costs what changed, not what is bound.  When the
journal holds more lines than the snapshot has bindings (and at least
:data:`MIN_JOURNAL_LINES`), a new snapshot is written and the journal
removed; the change that makes the snapshot is appended to the journal
first.  Loading replays the journal over the snapshot; each line sets a value,
and the journal ends with the snapshot's own change, so replaying a journal the
snapshot replaced (a crash between the rename and the removal) ends where the
snapshot is, and a torn last line (a crash while appending) is skipped with a
warning.

Snapshot format (version 2; a file without ``granted``/``live_ports`` is
version 1 and gets them from its bindings, as agents that wrote it behaved)::

    {"zhcp_node": "zhcp1",
     "bindings": {"<port id>": {"userid": ..., "vdev": ..., ...}},
     "granted": [["VSW1", "LINUX01"]],
     "live_ports": [["LINUX01", "1000", 3]]}

Journal lines::

    {"binding": "<port id>", "value": {"userid": ...}}   (or "value": null: gone)
    {"granted": ["VSW1", "LINUX01"], "held": true}
    {"live_port": ["LINUX01", "1000"], "value": 3}       (or null)
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from quantum_zvm.agent.by_guest import USERID, ByGuest
from quantum_zvm.agent.model import Binding, Observed, legacy_granted, legacy_live_ports

LOG = logging.getLogger(__name__)


MIN_JOURNAL_LINES = 1000


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def load(path: Path | None) -> Observed:
    """The records of ``path`` and its journal (empty when there is none or the
    snapshot is unreadable)."""
    observed, _ = _load(path)
    return observed


def _load(path: Path | None) -> tuple[Observed, int]:
    """(records, journal lines read)."""
    if path is None or not path.exists():
        return Observed(), 0
    try:
        data = json.loads(path.read_text())
        bindings = {port: Binding(**fields) for port, fields in data["bindings"].items()}
        granted = (frozenset((str(v), str(u)) for v, u in data["granted"])
                   if "granted" in data else legacy_granted(bindings))
        live_ports = ({(str(u), str(d)): int(n) for u, d, n in data["live_ports"]}
                      if "live_ports" in data else legacy_live_ports(bindings))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        LOG.error("state file %s is unreadable (%s); starting without it: ports removed "
                  "while the agent was down will not be undone", path, exc)
        return Observed(), 0
    held = set(granted)
    lines = _replay(journal_path(path), bindings, held, live_ports)
    return Observed(bindings=ByGuest(bindings, USERID), granted=frozenset(held),
                    live_ports=live_ports), lines


def _replay(journal: Path, bindings: dict[str, Binding], granted: set[tuple[str, str]],
            live_ports: dict[tuple[str, str], int]) -> int:
    """Apply the journal's lines in order; the number of lines applied."""
    try:
        text = journal.read_text()
    except FileNotFoundError:
        return 0
    except OSError as exc:
        LOG.error("state journal %s is unreadable (%s): changes since the last snapshot "
                  "are lost", journal, exc)
        return 0
    applied = 0
    for number, line in enumerate(text.splitlines(), 1):
        try:
            _apply_line(json.loads(line), bindings, granted, live_ports)
        except (ValueError, KeyError, TypeError) as exc:
            LOG.warning("state journal %s line %d skipped (%s): a write cut short", journal,
                        number, exc)
            continue
        applied += 1
    return applied


def _apply_line(change: dict, bindings: dict[str, Binding], granted: set[tuple[str, str]],
                live_ports: dict[tuple[str, str], int]) -> None:
    if "binding" in change:
        value = change["value"]
        if value is None:
            bindings.pop(str(change["binding"]), None)
        else:
            bindings[str(change["binding"])] = Binding(**value)
    elif "granted" in change:
        vswitch, userid = change["granted"]
        (granted.add if change["held"] else granted.discard)((str(vswitch), str(userid)))
    elif "live_port" in change:
        userid, vdev = change["live_port"]
        if change["value"] is None:
            live_ports.pop((str(userid), str(vdev)), None)
        else:
            live_ports[(str(userid), str(vdev))] = int(change["value"])
    else:
        raise KeyError("no binding, granted or live_port")


def changes(before: Observed, after: Observed) -> list[dict]:
    """The journal lines that turn ``before``'s records into ``after``'s.  Unchanged
    records are the same objects (the planner's apply keeps them), which makes
    this cheap for many bindings."""
    lines: list[dict] = []
    if before.bindings is not after.bindings:
        old, new = before.bindings, after.bindings
        for port, binding in new.items():
            previous = old.get(port)
            if previous is not binding and previous != binding:
                lines.append({"binding": port, "value": _fields(binding)})
        lines += [{"binding": port, "value": None} for port in old if port not in new]
    if before.granted is not after.granted:
        lines += [{"granted": list(pair), "held": True}
                  for pair in sorted(after.granted - before.granted)]
        lines += [{"granted": list(pair), "held": False}
                  for pair in sorted(before.granted - after.granted)]
    if before.live_ports is not after.live_ports:
        old_ports, new_ports = before.live_ports, after.live_ports
        lines += [{"live_port": list(nic), "value": n} for nic, n in new_ports.items()
                  if old_ports.get(nic) != n]
        lines += [{"live_port": list(nic), "value": None} for nic in old_ports
                  if nic not in new_ports]
    return lines


def _fields(binding: Binding) -> dict:
    """A binding's fields (all scalars: a copy of its ``__dict__``, which
    ``dataclasses.asdict`` would build field by field, deep-copying each)."""
    return dict(vars(binding))


def save(path: Path | None, zhcp_node: str, observed: Observed) -> None:
    """Write the records of ``observed`` to ``path`` atomically (a new snapshot)."""
    if path is None:
        return
    data = {"zhcp_node": zhcp_node,
            "bindings": {p: _fields(b) for p, b in sorted(observed.bindings.items())},
            "granted": sorted([v, u] for v, u in observed.granted),
            "live_ports": sorted([u, d, n] for (u, d), n in observed.live_ports.items())}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".bindings-")
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(data, separators=(",", ":")))  # dumps: the C encoder
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _sync_directory(path)


def _sync_directory(path: Path) -> None:
    """Make the entry of ``path`` durable: a file created or renamed is named in its
    directory, which syncing the file does not write (fsync(2))."""
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _append(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` and sync it: its data (and its size) with
    ``fdatasync``, and its directory too when the file was new (or empty)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        created = os.fstat(fd).st_size == 0
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fdatasync(fd)
    finally:
        os.close(fd)
    if created:
        _sync_directory(path)


class Store:
    """The state file of one agent: loads it, then records each change."""

    def __init__(self, path: Path | None, zhcp_node: str):
        self.path = path
        self.zhcp_node = zhcp_node
        self.journal_lines = 0

    def load(self) -> Observed:
        observed, self.journal_lines = _load(self.path)
        return observed

    def record(self, before: Observed, after: Observed, whole: Observed) -> None:
        """Persist what changed from ``before`` to ``after`` (the records of the guests
        a plan was made for, or all of them), ``whole`` being every record now:
        journal lines, or a new snapshot once the journal has grown as large as one."""
        if self.path is None:
            return
        lines = changes(before, after)
        if not lines:
            return
        journal = journal_path(self.path)
        text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
        if self.journal_lines + len(lines) > max(MIN_JOURNAL_LINES, len(whole.bindings)) \
                or not self.path.exists():
            if journal.exists():
                # the journal ends with this change before the snapshot replaces it: if
                # it outlives the snapshot (a crash before its removal), replaying it
                # ends where the snapshot is, instead of undoing this change
                _append(journal, text.encode())
            save(self.path, self.zhcp_node, whole)
            journal.unlink(missing_ok=True)
            self.journal_lines = 0
            return
        _append(journal, text.encode())
        self.journal_lines += len(lines)
