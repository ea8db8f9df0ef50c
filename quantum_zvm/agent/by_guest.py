"""Port-keyed maps that also know each guest's ports.

The agent's per-port state (its bindings, the desired ports, the NICs refused
ports name) is keyed by port id, while planning is per guest (see
:mod:`quantum_zvm.agent.scope`).  A cycle in which a few ports changed plans
their guests only; to take those guests' entries out of a map of 10,000
ports, and to put them back, a walk of the whole map in Python costs more
than the plan.  :class:`ByGuest` is a read-only ``dict`` with an index of the
ports of each guest, so :meth:`ByGuest.of_guests` and :meth:`ByGuest.updated`
cost the ports concerned plus a copy done in C.

A plain mapping is indexed when first asked (:meth:`ByGuest.of`: one walk);
after that, the maps :meth:`ByGuest.updated` returns carry their index along.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from operator import attrgetter, itemgetter
from typing import Any, NoReturn, TypeVar

V = TypeVar("V")

USERID = attrgetter("userid")      # of a Binding or a DesiredPort
NIC_USERID = itemgetter(0)         # of a (userid, vdev) NIC


class ByGuest(dict[str, V]):
    """A read-only ``{port id: value}`` whose values name a guest (``userid_of``),
    with ``guests``: each userid's port ids.  Mutating it raises TypeError (its
    index would go stale); :meth:`updated` returns a changed copy."""

    __slots__ = ("userid_of", "guests")

    def __init__(self, items: Mapping[str, V], userid_of: Callable[[V], str],
                 guests: dict[str, tuple[str, ...]] | None = None):
        dict.__init__(self, items)
        self.userid_of = userid_of
        self.guests = _index(self, userid_of) if guests is None else guests

    @classmethod
    def of(cls, items: Mapping[str, V], userid_of: Callable[[V], str]) -> ByGuest[V]:
        """``items`` itself when it is indexed by ``userid_of``, else an indexed copy."""
        if isinstance(items, ByGuest) and items.userid_of is userid_of:
            return items
        return cls(items, userid_of)

    def ports_of(self, userids: Iterable[str]) -> list[str]:
        """The ports of these guests."""
        guests = self.guests
        return [port for userid in userids for port in guests.get(userid, ())]

    def of_guests(self, userids: Iterable[str]) -> dict[str, V]:
        """The entries of these guests."""
        return {port: dict.__getitem__(self, port) for port in self.ports_of(userids)}

    def updated(self, remove: Iterable[str], add: Mapping[str, V]) -> ByGuest[V]:
        """A copy without the ports ``remove`` and with the entries ``add`` (which
        replace entries of the same ports)."""
        result = ByGuest(self, self.userid_of, dict(self.guests))
        userid_of, guests = self.userid_of, result.guests
        for port in [*remove, *add]:
            # an entry replaced is written over, not deleted (see dict_copy)
            value = (dict.get if port in add else dict.pop)(result, port, _ABSENT)
            if value is not _ABSENT:
                _drop(guests, userid_of(value), port)
        for port, value in add.items():
            dict.__setitem__(result, port, value)
            userid = userid_of(value)
            guests[userid] = (*guests.get(userid, ()), port)
        return result

    def _read_only(self, *_args: Any, **_kwargs: Any) -> NoReturn:
        raise TypeError("a ByGuest map is read-only: use updated()")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only


_ABSENT: Any = object()


def _index(items: Mapping[str, V], userid_of: Callable[[V], str]) -> dict[str, tuple[str, ...]]:
    ports: dict[str, list[str]] = {}
    for port, value in items.items():
        userid = userid_of(value)
        if userid in ports:
            ports[userid].append(port)
        else:
            ports[userid] = [port]
    return {userid: tuple(found) for userid, found in ports.items()}


def _drop(guests: dict[str, tuple[str, ...]], userid: str, port: str) -> None:
    left = tuple(p for p in guests.get(userid, ()) if p != port)
    if left:
        guests[userid] = left
    else:
        guests.pop(userid, None)
