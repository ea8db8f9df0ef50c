"""A table dump's reply read from the last one: only the bytes that differ are parsed.

A ``tabdump`` reply is one message holding one string per line
(``{"data":[{"data":["#c1,c2,...","\\"v1\\",...", ...]}]}``, reference
``xcat-rest-api.md`` §1.4). When a port is added to a switch table of 10,000
rows, the new body differs from the last one in a few hundred bytes near its end,
yet parsing it whole makes 10,000 new strings (a millisecond of CPU) and the
comparison with the last dump then looks at each of them again.

:func:`splice` finds the bytes both bodies share at their start and at their end
(compared in C, a slice at a time), widens the rest to whole JSON strings of the
lines array and parses only those (the old body's too, when its lines were never
made into strings): an :class:`Edit` says which lines were kept at either end, which
were removed and which added, so a reader learns what changed without comparing the
two dumps. The new dump's lines are :class:`Lines`,
made into strings only if someone reads them (a full walk of the table). Where it
cannot be sure, it answers None and the caller parses the body whole; it is sure
because:

- the body has no ``\\\\`` (an escaped backslash), so a ``"`` not preceded by
  ``\\`` is a string's delimiter (a tabdump line's quotes are all ``\\"``), and the
  delimiters between two offsets are counted in C; their number's parity tells an
  opening quote from a closing one;
- the lines array's place (:class:`Span`) was found by :func:`locate` in a body
  that was parsed whole and checked to be exactly that one message, and each
  splice moves its end by the bodies' difference in length;
- the changed bytes lie inside the array, and what is parsed again is whole
  strings, from an opening quote to a closing one: any other text fails to parse
  as a JSON array of strings, and the body is parsed whole.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import orjson

# How much of two bodies is compared at a time while they are equal. Each step is
# one ``bytes.startswith`` (or ``endswith``) of a memoryview of the other body: a
# memcmp, no copy, so a step can be long. (Slices of both bodies in 32 KiB steps were
# copies: 1 MB copied to compare two 530 KB dumps, 0.058 ms against 0.018 ms this way,
# in a loop on one machine; the splice of a 930 KB dump with a row added went from
# 0.13 ms to 0.08 ms.)
STEP = 1 << 18

_ESCAPED_BACKSLASH = b"\\\\"
# the body up to the lines array, and after it, of a one-message ``data`` envelope
_BEFORE_LINES = re.compile(rb'\A\s*\{\s*"data"\s*:\s*\[\s*\{\s*"data"\s*:\s*\[\s*(?=")')
_AFTER_LINES = re.compile(rb'"\s*\]\s*\}\s*\]\s*\}\s*\Z')


@dataclass(frozen=True)
class Edit:
    """How a dump's lines follow from the last dump's (``base``): ``base`` with the
    lines between its first ``kept_before`` and its last ``kept_after`` (``removed``)
    replaced by ``added``. A reader of both dumps learns from it what changed without
    looking at the lines kept."""
    base: Sequence[str]
    kept_before: int
    kept_after: int
    removed: list[str]
    added: list[str]


@dataclass(frozen=True)
class Span:
    """Where the lines array's strings are in a body: from the first line's opening
    quote (``start``) to just after the last line's closing quote (``end``)."""
    start: int
    end: int


def locate(body: bytes, lines: Sequence[str]) -> Span | None:
    """The :class:`Span` of ``lines`` in ``body``, a body parsed whole into a document
    whose only key, ``data``, holds one message whose only key, ``data``, holds
    ``lines`` (the caller checked that shape: the two patterns then find exactly the
    array); None when there are no lines or the body has an escaped backslash, and
    the next reply is then parsed whole."""
    if not lines or _ESCAPED_BACKSLASH in body:
        return None
    before = _BEFORE_LINES.match(body)
    if before is None:
        return None
    # the last closing quote of the body, followed only by the closing brackets
    after = _AFTER_LINES.search(body, max(before.end(), len(body) - 64))
    if after is None:
        return None
    return Span(before.end(), after.start() + 1)


def splice(old: bytes, lines: Sequence[str], span: Span,
           new: bytes) -> tuple[Edit, Span] | None:
    """The :class:`Edit` that makes the lines of ``new`` from ``lines`` (the lines array
    of ``old``, at ``span``), and the new lines' :class:`Span`: the strings of ``new``
    where the two bodies differ are parsed; None when the difference is not inside the
    lines array, or brings an escaped backslash, or does not parse as whole strings.
    The lines removed are taken from ``lines`` when they are strings already (parsed
    whole, or :class:`Lines` that were read), else parsed from ``old``.

    Its cost is that of the bytes compared (in C) and of the delimiters counted on
    the shorter side of the change (the end of the table, where rows are added)."""
    count = len(lines)
    head = common_prefix(old, new)
    tail = common_suffix(old, new, min(len(old), len(new)) - head)
    old_end, new_end = len(old) - tail, len(new) - tail
    if head < span.start or old_end > span.end:
        return None
    # old has none: one in new overlaps what differs
    if _ESCAPED_BACKSLASH in new[max(head - 1, 0):new_end + 1]:
        return None
    before, after = _delimiters_around(old, 2 * count, span, head, old_end)
    if before <= 0 or after < 0:   # 0: the first line's opening quote itself differs
        return None
    start, kept_before = _first_changed(old, span, head, before)
    old_stop, kept_after = _last_changed(old, span, old_end, after)
    if kept_before + kept_after > count:
        return None
    shift = len(new) - len(old)
    parsed = lines.parsed() if isinstance(lines, Lines) else lines
    removed = (list(parsed[kept_before:count - kept_after]) if parsed is not None
               else _strings(old[start:old_stop]))
    added = _strings(new[start:old_stop + shift])
    if removed is None or added is None or len(removed) != count - kept_before - kept_after:
        return None
    return (Edit(lines, kept_before, kept_after, removed, added),
            Span(span.start, span.end + shift))


def _strings(elements: bytes) -> list[str] | None:
    """The strings of a JSON array's elements (``"a","b"``); None when they are not
    all strings."""
    try:
        items = orjson.loads(b"[" + elements + b"]")
    except orjson.JSONDecodeError:
        return None
    return items if all_strings(items) else None


def all_strings(items: Sequence) -> bool:
    """Whether every item is a ``str``: the types are listed and counted in C, where a
    Python loop over a dump's 10,000 lines would test them one by one."""
    return list(map(type, items)).count(str) == len(items)


class Lines(Sequence[str]):
    """The strings of a dump's lines array, ``count`` of them in ``body`` at ``span``,
    parsed when one is first asked for: a dump read as an :class:`Edit` of the last
    is not made into 10,000 strings (each taking a reference, and the last dump's
    letting its own go, a cache miss a line), and a reader that compares the two
    through the edit asks for none."""

    __slots__ = ("_body", "_span", "_count", "_strings")

    def __init__(self, body: bytes, span: Span, count: int):
        self._body, self._span, self._count = body, span, count
        self._strings: list[str] | None = None

    def strings(self) -> list[str]:
        """The lines, parsed once (ValueError if the array is not what the splices
        that made it said: it cannot be, short of a fault in them)."""
        if self._strings is None:
            strings = _strings(self._body[self._span.start:self._span.end])
            if strings is None or len(strings) != self._count:
                raise ValueError(f"a spliced dump's lines array does not hold its "
                                 f"{self._count} strings")
            self._strings = strings
        return self._strings

    def parsed(self) -> list[str] | None:
        """The lines if they were made into strings already, else None."""
        return self._strings

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if index == 0 and self._strings is None and self._count:
            return self._first()   # the header: a diff asks for it, and for no other line
        return self.strings()[index]

    def _first(self) -> str:
        end = _next_delimiter(self._body, self._span.start + 1, self._span.end)
        first = _strings(self._body[self._span.start:end + 1])
        if end < 0 or first is None or len(first) != 1:
            raise ValueError("a spliced dump's lines array does not start with a string")
        return first[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self.strings())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Lines):
            other = other.strings()
        return isinstance(other, list) and self.strings() == other

    def __repr__(self) -> str:
        return f"Lines({self._count} lines)"


def _delimiters_around(old: bytes, total: int, span: Span, head: int,
                       old_end: int) -> tuple[int, int]:
    """The delimiters of ``old``'s lines array before ``head`` and from ``old_end`` on,
    counting only the shorter side: the array holds ``total`` of them."""
    changed = _delimiters(old, head, old_end)
    if head - span.start <= span.end - old_end:
        before = _delimiters(old, span.start, head)
        return before, total - before - changed
    after = _delimiters(old, old_end, span.end)
    return total - after - changed, after


def _first_changed(old: bytes, span: Span, head: int, before: int) -> tuple[int, int]:
    """The opening quote of the first line the change may touch, and how many lines
    precede it, from the ``before`` (> 0) delimiters ahead of ``head``."""
    start = _previous_delimiter(old, head, span.start)
    if before % 2 == 0:     # that was a closing quote: back to its line's opening one
        start = _previous_delimiter(old, start, span.start)
    return start, (before - 1) // 2


def _last_changed(old: bytes, span: Span, old_end: int, after: int) -> tuple[int, int]:
    """Just after the closing quote of the last line the change may touch, and how
    many lines follow, from the ``after`` delimiters from ``old_end`` on."""
    if not after:
        return span.end, 0
    stop = _next_delimiter(old, old_end, span.end)
    if after % 2 == 0:      # that was an opening quote: on to its line's closing one
        stop = _next_delimiter(old, stop + 1, span.end)
    return stop + 1, (after - 1) // 2


def common_prefix(a: bytes, b: bytes) -> int:
    """How many bytes ``a`` and ``b`` share from their start."""
    limit = min(len(a), len(b))
    other = memoryview(b)
    at = 0
    while at < limit:
        end = min(at + STEP, limit)
        if not a.startswith(other[at:end], at):
            return _first_difference(a, other, at, end)
        at = end
    return limit


def common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """How many bytes ``a`` and ``b`` share at their end, at most ``limit``."""
    la, lb = len(a), len(b)
    other = memoryview(b)
    matched = 0
    while matched < limit:
        step = min(STEP, limit - matched)
        if not a.endswith(other[lb - matched - step:lb - matched], 0, la - matched):
            low, high = matched, matched + step   # equal for low bytes, not for high
            while high - low > 1:
                middle = (low + high) // 2
                if a.endswith(other[lb - middle:lb - low], 0, la - low):
                    low = middle
                else:
                    high = middle
            return low
        matched += step
    return limit


def _first_difference(a: bytes, other: memoryview, low: int, high: int) -> int:
    """The first offset where ``a`` and ``other`` differ, knowing they are equal
    before ``low`` and differ before ``high``."""
    while high - low > 1:
        middle = (low + high) // 2
        if a.startswith(other[low:middle], low):
            low = middle
        else:
            high = middle
    return low


def _delimiters(body: bytes, start: int, stop: int) -> int:
    """The string delimiters in ``body[start:stop]``: its quotes but the escaped ones
    (a body without ``\\\\``, where ``\\"`` is always an escaped quote)."""
    return body.count(b'"', start, stop) - body.count(b'\\"', max(start - 1, 0), stop)


def _previous_delimiter(body: bytes, before: int, floor: int) -> int:
    """The offset of the last delimiter in ``body[floor:before]`` (-1 if none)."""
    at = body.rfind(b'"', floor, before)
    while at > 0 and body[at - 1] == 0x5C:   # a backslash: an escaped quote
        at = body.rfind(b'"', floor, at)
    return at


def _next_delimiter(body: bytes, start: int, ceiling: int) -> int:
    """The offset of the first delimiter in ``body[start:ceiling]`` (-1 if none)."""
    at = body.find(b'"', start, ceiling)
    while at > 0 and body[at - 1] == 0x5C:
        at = body.find(b'"', at + 1, ceiling)
    return at
