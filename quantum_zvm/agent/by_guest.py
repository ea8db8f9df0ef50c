"""Port-keyed maps that also know each guest's ports.

The agent's per-port state (its bindings, the desired ports, the NICs refused
ports name) is keyed by port id, while planning is per guest (see
:mod:`quantum_zvm.agent.scope`).  A cycle in which a few ports changed plans
their guests only; to take those guests' entries out of a map of 10,000
ports, and to put them back, a walk of the whole map in Python costs more
than the plan.  :class:`ByGuest` is a read-only mapping with an index of the
ports of each guest, both persistent (:mod:`quantum_zvm.agent.persistent`),
so :meth:`ByGuest.of_guests` and :meth:`ByGuest.updated` cost the ports
concerned, and the map :meth:`ByGuest.updated` returns shares the rest with
the one it came from.

A plain mapping is indexed when first asked (:meth:`ByGuest.of`: one walk);
after that, the maps :meth:`ByGuest.updated` returns carry their index along.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from immutables import MapMutation

from quantum_zvm.agent.persistent import Map, as_map

V = TypeVar("V")

USERID = attrgetter("userid")      # of a Binding or a DesiredPort
NIC_USERID = itemgetter(0)         # of a (userid, vdev) NIC


class ByGuest(Mapping[str, V]):
    """A read-only ``{port id: value}`` whose values name a guest (``userid_of``),
    with ``guests``: each userid's port ids.  :meth:`updated` returns a changed
    version."""

    __slots__ = ("entries", "userid_of", "guests")

    def __init__(self, items: Mapping[str, V], userid_of: Callable[[V], str],
                 guests: Map[str, tuple[str, ...]] | None = None):
        self.entries: Map[str, V] = as_map(items)
        self.userid_of = userid_of
        self.guests: Map[str, tuple[str, ...]] = \
            _index(self.entries, userid_of) if guests is None else guests

    @classmethod
    def of(cls, items: Mapping[str, V], userid_of: Callable[[V], str]) -> ByGuest[V]:
        """``items`` itself when it is indexed by ``userid_of``, else an indexed copy."""
        if isinstance(items, ByGuest) and items.userid_of is userid_of:
            return items
        return cls(items, userid_of)

    def __getitem__(self, port: str) -> V:
        return self.entries[port]

    def __contains__(self, port: object) -> bool:
        return port in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, port: str, default: Any = None) -> Any:
        return self.entries.get(port, default)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ByGuest):
            return self.entries == other.entries
        return isinstance(other, Mapping) and self.entries == as_map(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ByGuest({dict(self.entries)!r})"

    def ports_of(self, userids: Iterable[str]) -> list[str]:
        """The ports of these guests."""
        guests = self.guests
        return [port for userid in userids for port in guests.get(userid, ())]

    def of_guests(self, userids: Iterable[str]) -> dict[str, V]:
        """The entries of these guests."""
        entries = self.entries
        return {port: entries[port] for port in self.ports_of(userids)}

    def updated(self, remove: Iterable[str], add: Mapping[str, V]) -> ByGuest[V]:
        """This map without the ports ``remove`` and with the entries ``add`` (which
        replace entries of the same ports); this one is unchanged."""
        entries, guests = self.entries.mutate(), self.guests.mutate()
        userid_of = self.userid_of
        for port in [*remove, *add]:
            value = entries.pop(port, _ABSENT)
            if value is not _ABSENT:
                _drop(guests, userid_of(value), port)
        for port, value in add.items():
            entries[port] = value
            userid = userid_of(value)
            guests[userid] = (*guests.get(userid, ()), port)
        return ByGuest(entries.finish(), userid_of, guests.finish())


_ABSENT: Any = object()


def _index(items: Mapping[str, V], userid_of: Callable[[V], str]) -> Map[str, tuple[str, ...]]:
    ports: dict[str, list[str]] = {}
    for port, value in items.items():
        userid = userid_of(value)
        if userid in ports:
            ports[userid].append(port)
        else:
            ports[userid] = [port]
    return Map({userid: tuple(found) for userid, found in ports.items()})


def _drop(guests: MapMutation[str, tuple[str, ...]], userid: str, port: str) -> None:
    left = tuple(p for p in guests.get(userid, ()) if p != port)
    if left:
        guests[userid] = left
    else:
        guests.pop(userid, None)
