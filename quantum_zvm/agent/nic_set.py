"""The NICs coupled to a vswitch, as a set of ``(userid, vdev)`` kept by guest.

Every planning rule asks about one guest's NICs on a vswitch (see
:mod:`quantum_zvm.agent.scope`), and a vswitch with 10,000 guests coupled
answers that from a set of pairs only by walking all of them.  A
:class:`NicSet` is an immutable set of pairs (it compares equal to a
``frozenset`` of the same pairs) stored as a persistent ``{userid:
frozenset(vdevs)}`` (:mod:`quantum_zvm.agent.persistent`): :meth:`NicSet.of`
costs one look-up, and :meth:`NicSet.of_guests` and :meth:`NicSet.replaced`
the guests concerned.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Set

from quantum_zvm.agent.persistent import Map, as_map, replaced


class NicSet(Set[tuple[str, str]]):
    """An immutable set of ``(userid, vdev)`` NICs, indexed by userid."""

    __slots__ = ("_by_userid", "_len")
    __hash__ = None  # type: ignore[assignment]  # equal to frozensets, but not hashable

    def __init__(self, nics: Iterable[tuple[str, str]] = ()):
        by_userid: dict[str, set[str]] = {}
        for userid, vdev in nics:
            by_userid.setdefault(userid, set()).add(vdev)
        self._set_index({userid: frozenset(vdevs) for userid, vdevs in by_userid.items()})

    @classmethod
    def of_index(cls, by_userid: Mapping[str, frozenset[str]]) -> NicSet:
        """The set of ``{userid: vdevs}``, taken as it is (no guest may have no vdev)."""
        nics = cls.__new__(cls)
        nics._set_index(by_userid)
        return nics

    def _set_index(self, by_userid: Mapping[str, frozenset[str]],
                   length: int | None = None) -> None:
        self._by_userid: Map[str, frozenset[str]] = as_map(by_userid)
        self._len = sum(map(len, by_userid.values())) if length is None else length

    def __contains__(self, nic: object) -> bool:
        if not isinstance(nic, tuple) or len(nic) != 2:
            return False
        return nic[1] in self._by_userid.get(nic[0], ())

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for userid, vdevs in self._by_userid.items():
            for vdev in vdevs:
                yield userid, vdev

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"NicSet({sorted(self)!r})"

    def of(self, userid: str) -> frozenset[str]:
        """The vdevs of ``userid``'s NICs in the set."""
        return self._by_userid.get(userid, frozenset())

    def index(self) -> dict[str, frozenset[str]]:
        """A copy of ``{userid: vdevs}``, to change and make a set of again."""
        return dict(self._by_userid)

    def of_guests(self, userids: Iterable[str]) -> NicSet:
        """The NICs of these guests."""
        by_userid = self._by_userid
        return NicSet.of_index({u: by_userid[u] for u in userids if u in by_userid})

    def replaced(self, userids: Iterable[str], nics: NicSet) -> NicSet:
        """These guests' NICs replaced by those ``nics`` has (which name no other guest)."""
        old, touched = self._by_userid, {*userids, *nics._by_userid}
        result = NicSet.__new__(NicSet)
        result._set_index(replaced(old, touched, nics._by_userid),
                          self._len - sum(len(old.get(u, ())) for u in touched) + nics._len)
        return result
