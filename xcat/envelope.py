"""The old xCAT REST API's reply envelope, and the result of a dsh command.

A v1 reply body is ``{"data": [msg, msg, ...]}``; every ``msg`` is one xcatd
response hash in which every value is a list (``{"data": ["..."]}``,
``{"errorcode": ["0"]}``, ``{"error": [...], "NoErrorPrefix": ["1"],
"errorcode": ["0"]}``, ``{"node": [{"name": [..], "data": [..]}]}``).
:func:`parse_envelope` checks that shape and normalises values (``null`` → ``""``,
numbers → strings, scalars → one-element lists); :class:`Envelope` offers the
flattened view the z/VM drivers use (``env.data[0][0]`` is the first string of
the first ``data`` message) plus what a dsh reply means:

- stdout = the ``data`` strings, in order (long output comes as several chunks);
- stderr = the ``error`` strings of messages flagged ``NoErrorPrefix``;
- xcatd/plugin errors = ``error`` strings of the other messages;
- exit status = the **last** ``errorcode`` not in a ``NoErrorPrefix`` message
  (for one node xCAT reports 0 on success and 1 on failure, not the remote
  exit code).

:func:`command_result` turns a dsh envelope into a :class:`CommandResult`,
with every line's ``"<node>: "`` prefix removed exactly once.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from xcat import dump_splice
from xcat.errors import CommandError, NodeUnreachableError

FLATTEN_KEYS = ("info", "data", "node", "errorcode", "error")

# How xCAT's xdsh reports that it could not run the command on the node at all.
_UNREACHABLE_RE = re.compile(
    r"ssh: connect to host|No route to host|Connection (?:refused|timed out)|"
    r"Name or service not known|Could not resolve hostname|Host key verification failed|"
    r"(?:rc|exit (?:code|status)|return code)\s*[=:]?\s*255\b",
    re.IGNORECASE)


def _normalise_value(value: Any) -> list:
    """A message value as a list of strings (and dicts): a table dump's 10,000 lines
    are strings already, so their list is kept (as :class:`_Strings`, which says so),
    and only the items of other lists go through :func:`_normalise_item`."""
    items = value if isinstance(value, list) else [value]
    if dump_splice.all_strings(items):
        return _Strings(items)
    return [item if item.__class__ is str else _normalise_item(item) for item in items]


class _Strings(list):
    """A message value whose items the parser found to be strings, all of them:
    :attr:`Envelope.stdout_chunks` takes it without testing its 10,000 items again
    (a list from elsewhere is tested)."""

    __slots__ = ()


def _normalise_item(item: Any) -> Any:
    if item is None:
        return ""
    if isinstance(item, (dict, str)):
        return item
    if isinstance(item, (int, float)) and not isinstance(item, bool):
        return str(item)
    return json.dumps(item)


@dataclass(frozen=True)
class Envelope:
    """A parsed v1 reply: HTTP status plus the xcatd messages, normalised."""

    status: int
    messages: tuple[Mapping[str, Sequence], ...] = ()
    # the reply body it was parsed from (see XcatClient.request's ``reuse``)
    body: bytes | str = field(default=b"", repr=False, compare=False)
    # where a table dump's lines are in ``body``, for the next dump (xcat.dump_splice)
    lines_span: dump_splice.Span | None = field(default=None, repr=False, compare=False)
    # how those lines follow from the last dump's, when they were spliced from them
    lines_edit: dump_splice.Edit | None = field(default=None, repr=False, compare=False)

    def _collect(self, key: str) -> list[list]:
        return [list(msg[key]) for msg in self.messages if key in msg]

    @property
    def data(self) -> list[list[str]]:
        return self._collect("data")

    @property
    def info(self) -> list[list[str]]:
        return self._collect("info")

    @property
    def error(self) -> list[list[str]]:
        return self._collect("error")

    @property
    def errorcode(self) -> list[list[str]]:
        return self._collect("errorcode")

    @property
    def node(self) -> list[list]:
        return self._collect("node")

    def flattened(self) -> dict[str, list[list]]:
        """The drivers' flattened form: ``{'data': [[..]], 'errorcode': [['0']], ...}``."""
        return {key: self._collect(key) for key in FLATTEN_KEYS}

    @staticmethod
    def _no_prefix(msg: Mapping[str, Sequence]) -> bool:
        return "NoErrorPrefix" in msg

    @property
    def stdout_chunks(self) -> list[str]:
        """The ``data`` strings of every message, in order: a dsh's output chunks, the
        lines of a ``tabdump`` or ``gettab``. A reply of one message of strings (a
        table dump) gives the parser's own list, not a copy of its 10,000 lines:
        callers only read it."""
        if len(self.messages) == 1:
            items = self.messages[0].get("data")
            if isinstance(items, _Strings):
                return items
            if isinstance(items, dump_splice.Lines):
                return items.strings()
        strings: list[str] = []
        for msg in self.messages:
            items = msg.get("data")
            if not items:
                continue
            if isinstance(items, _Strings) or dump_splice.all_strings(items):
                strings += items
            else:
                strings += [item for item in items if isinstance(item, str)]
        return strings

    @property
    def dump_lines(self) -> Sequence[str]:
        """The lines of a reply that is one message of lines (a table dump) as the
        parser keeps them: spliced from the last dump's, they are made into strings only
        when read (:class:`dump_splice.Lines`); any other reply's :attr:`stdout_chunks`."""
        if len(self.messages) == 1:
            items = self.messages[0].get("data")
            if isinstance(items, (_Strings, dump_splice.Lines)):
                return items
        return self.stdout_chunks

    @property
    def stderr_chunks(self) -> list[str]:
        return [s for msg in self.messages if self._no_prefix(msg) and "error" in msg
                for s in msg["error"] if isinstance(s, str)]

    @property
    def command_errors(self) -> list[str]:
        """Error strings from xcatd or its plugin (not the remote command's stderr)."""
        return [s for msg in self.messages if not self._no_prefix(msg) and "error" in msg
                for s in msg["error"] if isinstance(s, str)]

    @property
    def exit_status(self) -> int | None:
        """The final ``errorcode`` (outside stderr messages), or None when there is none."""
        for msg in reversed(self.messages):
            if "errorcode" in msg and not self._no_prefix(msg):
                codes = msg["errorcode"]
                text = codes[0] if codes else ""
                try:
                    return int(str(text).strip())
                except ValueError:
                    return None
        return None

    def first_data(self) -> str | None:
        """``data[0][0]`` of the drivers, or None when there is no data."""
        for msg in self.messages:
            for item in msg.get("data", []):
                if isinstance(item, str):
                    return item
        return None


def parse_envelope(status: int, body: bytes | str, like: Envelope | None = None) -> Envelope:
    """Parse a v1 JSON reply body; ``ValueError`` says what is wrong with it.

    ``like``: an envelope of an earlier reply to the same request, returned as it is
    when ``status`` and ``body`` are its own (a table that did not change costs a
    comparison of bytes); a table dump that changed since is parsed only where its
    bytes differ (:mod:`xcat.dump_splice`).

    orjson (already the API's JSON writer) reads it: for a dump of a 10,000-row
    table the standard parser alone took 2.2 ms of CPU, most of an idle agent
    cycle, and this whole function takes 0.6 ms (``benchmarks/bench_xcat_client.py``,
    ``cpu``).  It is strict where xCAT never is lenient: no NaN, no integer
    beyond 64 bits."""
    if like is not None:
        if like.status == status and like.body == body:
            return like
        spliced = _spliced(status, body, like)
        if spliced is not None:
            return spliced
    if not body.strip():
        raise ValueError("empty body")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if isinstance(body, bytes):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as bad:
                raise ValueError(f"body is not UTF-8 ({bad.reason})") from None
        raise ValueError(f"body is not JSON ({exc.msg} at offset {exc.pos})") from None
    if not isinstance(doc, dict) or "data" not in doc:
        raise ValueError("body is not an xCAT envelope (no top-level 'data')")
    raw = doc["data"]
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise ValueError("envelope 'data' is not a list")
    messages = []
    for msg in raw:
        if isinstance(msg, str):
            # Some handlers answer with bare strings; treat them as data lines.
            messages.append({"data": [msg]})
            continue
        if not isinstance(msg, dict):
            raise ValueError("envelope message is neither an object nor a string")
        messages.append({str(k): _normalise_value(v) for k, v in msg.items()})
    return Envelope(status=status, messages=tuple(messages), body=body,
                    lines_span=_lines_span(body, doc, messages))


def _lines_span(body: bytes | str, doc: dict,
                messages: list[dict[str, list]]) -> dump_splice.Span | None:
    """Where the lines of a reply that is only them (a table dump,
    ``{"data":[{"data":[lines]}]}``) are in its body."""
    if len(doc) != 1 or len(messages) != 1 or not isinstance(body, bytes):
        return None
    lines = messages[0].get("data")
    if len(messages[0]) != 1 or not isinstance(lines, _Strings):
        return None
    return dump_splice.locate(body, lines)


def _spliced(status: int, body: bytes | str, like: Envelope) -> Envelope | None:
    """The envelope of ``body`` from ``like``'s and the part of ``body`` that differs
    from ``like``'s, or None (``body`` is then parsed whole)."""
    if like.lines_span is None or not isinstance(body, bytes) or not isinstance(like.body, bytes):
        return None
    result = dump_splice.splice(like.body, like.messages[0]["data"], like.lines_span, body)
    if result is None:
        return None
    edit, span = result
    count = len(edit.base) - len(edit.removed) + len(edit.added)
    return Envelope(status=status, messages=({"data": dump_splice.Lines(body, span, count)},),
                    body=body, lines_span=span, lines_edit=edit)


def split_chunks(chunks: list[str]) -> list[str]:
    """Lines of output that xCAT delivered as chunks.

    xdsh (perl-xCAT ``DSHCore.pm`` pipe_handler_buffer, xcat2/xcat-core
    7733d16f8de0) reads the output 4 KiB at a time but holds back an unfinished
    line until the next read completes it, so every chunk is whole lines joined
    by newlines: a chunk never ends inside a line. A read that held only xdsh's
    exit-status marker leaves an empty chunk, which is no line at all.
    """
    lines: list[str] = []
    for chunk in chunks:
        if not chunk:
            continue
        if chunk.endswith("\n"):
            chunk = chunk[:-1]
        lines.extend(chunk.split("\n"))
    return lines


def output_lines(chunks: list[str], node: str) -> list[str]:
    """The command's output lines from xdsh chunks, ``"<node>: "`` prefixes removed."""
    return strip_prefix(split_chunks(chunks), node)


def strip_prefix(lines: list[str], node: str) -> list[str]:
    """Remove xCAT's ``"<node>: "`` prefix once from every line that has it."""
    prefix = node + ": "
    bare = node + ":"
    out = []
    for line in lines:
        if line.startswith(prefix):
            out.append(line[len(prefix):])
        elif line == bare:
            out.append("")
        else:
            out.append(line)
    return out


@dataclass(frozen=True)
class CommandResult:
    """What a command run through dsh produced on one node.

    ``exit_status`` is xCAT's final errorcode (0 = success; xCAT reports 1 for a
    failed node rather than the remote exit code). ``stdout_lines`` and
    ``stderr_lines`` have the node prefix removed; ``errors`` are messages from
    xcatd itself (e.g. ssh failures), not from the command.
    """

    node: str
    command: str
    exit_status: int | None
    stdout_lines: list[str] = field(default_factory=list)
    stderr_lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_status == 0 and not self.errors

    @property
    def stdout(self) -> str:
        return "\n".join(self.stdout_lines)

    @property
    def unreachable(self) -> bool:
        """True when xCAT could not run the command on the node (ssh failure)."""
        if self.exit_status == 255:
            return True
        texts = self.errors + (self.stderr_lines if not self.stdout_lines else [])
        return self.exit_status != 0 and any(_UNREACHABLE_RE.search(t) for t in texts)

    def check(self) -> CommandResult:
        """Return self when the command succeeded, else raise CommandError."""
        if self.ok:
            return self
        if self.unreachable:
            raise NodeUnreachableError(self.node, self.command, self.exit_status,
                                       self.stdout_lines, self.stderr_lines + self.errors,
                                       reason="node unreachable")
        raise CommandError(self.node, self.command, self.exit_status, self.stdout_lines,
                           self.stderr_lines + self.errors)


def command_result(node: str, command: str, envelope: Envelope) -> CommandResult:
    """Interpret a dsh reply for ``node``."""
    return CommandResult(
        node=node,
        command=command,
        exit_status=envelope.exit_status,
        stdout_lines=output_lines(envelope.stdout_chunks, node),
        stderr_lines=output_lines(envelope.stderr_chunks, node),
        errors=strip_prefix(split_chunks(envelope.command_errors), node),
    )
