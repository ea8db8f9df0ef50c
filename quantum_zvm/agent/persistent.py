"""Persistent maps: the agent's large maps, changed a few entries a cycle.

A cycle in which a few ports changed plans their guests only (see
:mod:`quantum_zvm.agent.scope`), but it hands the next cycle new versions of
maps of every port or guest: the switch rows and their order, the nodes, the
desired ports, the bindings, the guests, each vswitch's grants and NICs, the
reports.  A ``dict`` copied to change a few entries costs every entry, and
freeing the version it replaced costs every entry again: at 10,000 ports
those copies and frees were most of what a port added cost the agent.  An
``immutables.Map`` (a hash array mapped trie in C, the structure of
CPython's ``contextvars``) returns a changed version in O(log N) and shares
the rest with the one it came from, so both stay valid: a failed cycle
leaves the last state as it was, and the last desired state can still be
compared with the new one.

The agent's grants are a :class:`PSet` (a ``Map``'s keys) for the same reason.
Iteration order is not insertion order; nothing that walks these maps
relies on one (the planner orders ports by their row order and id, and the
state file sorts).  A ``Map`` equals only a ``Map``: the model's dataclasses
make their map fields ``Map`` (:func:`maps_of`), so states built by any path
compare.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Set
from typing import Any, TypeVar

from immutables import Map

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

__all__ = ["Map", "PSet", "as_map", "maps_of", "replaced"]


def as_map(mapping: Mapping[K, V]) -> Map[K, V]:
    """``mapping`` itself when it is a ``Map``, else a ``Map`` of its entries (a walk)."""
    if isinstance(mapping, Map):
        return mapping
    return Map(mapping if isinstance(mapping, dict) else mapping.items())


def replaced(mapping: Mapping[K, V], keys: Iterable[K], new: Mapping[K, V]) -> Map[K, V]:
    """``mapping`` without the entries of ``keys`` that ``new`` has not, and with
    those of ``new``: O(changes × log N), ``mapping`` unchanged."""
    mutation = as_map(mapping).mutate()
    for key in keys:
        if key not in new:
            mutation.pop(key, None)
    for key, value in new.items():
        mutation[key] = value
    return mutation.finish()


def maps_of(instance: Any, *fields: str) -> None:
    """Make these fields of a frozen dataclass ``Map`` (from its ``__post_init__``):
    a copy once for a ``dict`` given, nothing for a ``Map``."""
    for name in fields:
        value = getattr(instance, name)
        if not isinstance(value, Map):
            object.__setattr__(instance, name, as_map(value))


class PSet(Set[T]):
    """A persistent set (the keys of a ``Map``): :meth:`changed` returns a version
    with a few members taken out and put in, sharing the rest.  It compares equal
    to any set of the same members."""

    __slots__ = ("members",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, members: Iterable[T] = ()):
        self.members: Map[T, None] = (members.members if isinstance(members, PSet)
                                      else Map(dict.fromkeys(members)))

    def __contains__(self, member: object) -> bool:
        return member in self.members

    def __iter__(self) -> Iterator[T]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def __repr__(self) -> str:
        return f"PSet({sorted(self.members)!r})"  # type: ignore[type-var]

    def changed(self, gone: Iterable[T], new: Iterable[T]) -> PSet[T]:
        """This set without ``gone`` and with ``new``: O(changes × log N)."""
        mutation = self.members.mutate()
        for member in gone:
            mutation.pop(member, None)
        for member in new:
            mutation[member] = None
        result = PSet.__new__(PSet)
        result.members = mutation.finish()
        return result
