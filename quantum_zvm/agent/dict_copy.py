"""Copies of the agent's large maps with a few entries changed.

A cycle copies each of its per-port maps (10,000 entries at a large site) to
change a few entries.  CPython copies a dict no key was ever deleted from as
one clone of its table, and one with a deleted key entry by entry, several
times slower (``dict_merge``'s fast path).  So an entry that changes is
written over in place, never taken out and put back: the copy handed to the
next cycle stays one that clones.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def replaced(mapping: Mapping[K, V], keys: Iterable[K], new: Mapping[K, V]) -> dict[K, V]:
    """A copy of ``mapping`` without the entries of ``keys`` that ``new`` has not,
    and with those of ``new`` (written over the entries of the same keys)."""
    copy = dict(mapping)
    for key in keys:
        if key not in new:
            copy.pop(key, None)
    copy.update(new)
    return copy
