"""Port MAC addresses under z/VM's rules.

``base_mac``'s first three octets are the z/VM USERPREFIX: every port MAC must
start with them, so that CP, which builds a guest NIC's MAC from USERPREFIX
and the NICDEF MACID, gives the guest exactly the port's MAC.  The last three
octets are the MACID; guests of one z/VM system share one MACID space, so a
MACID is unique across the whole deployment (``zvm_macids``, primary key),
not only per network as in Quantum.  Generation follows Quantum: the fourth
octet of ``base_mac`` is kept when it is not 00, the rest is random; MACID
000000 is never used.
"""
from __future__ import annotations

import random

import sqlalchemy as sa
from sqlalchemy import Connection

from quantum_zvm.common import exceptions
from quantum_zvm.db import models
from quantum_zvm.db.api import DeadlockError
from xcat import zvm_names

PORTS = models.PORTS
MACIDS = models.ZVM_MACIDS


class MacAllocator:
    def __init__(self, base_mac: str, retries: int = 16, rng: random.Random | None = None):
        octets = [o.lower() for o in zvm_names.mac_octets(base_mac, "base_mac")]
        self.prefix = ":".join(octets[:3])
        self._fixed = octets[3] if octets[3] != "00" else None
        self.retries = retries
        self._rng = rng or random.SystemRandom()

    def generate(self) -> str:
        while True:
            tail = [self._fixed] if self._fixed else []
            tail += [f"{self._rng.randrange(256):02x}" for _ in range(3 - len(tail))]
            if tail != ["00", "00", "00"]:
                return ":".join([self.prefix, *tail])

    def validate(self, mac: object) -> str:
        """A user-given MAC, lower case with colons; 400 unless it carries the prefix."""
        try:
            octets = [o.lower() for o in zvm_names.mac_octets(mac, "mac_address")]
        except ValueError:
            raise exceptions.InvalidInput(
                error_message=f"'{mac}' is not a valid MAC address") from None
        text = ":".join(octets)
        if ":".join(octets[:3]) != self.prefix:
            raise exceptions.InvalidInput(
                error_message=f"MAC address {text} does not start with {self.prefix}, the "
                              f"z/VM USERPREFIX (base_mac) every port MAC must carry")
        if octets[3:] == ["00", "00", "00"]:
            raise exceptions.InvalidInput(
                error_message=f"MAC address {text} has MACID 000000, which z/VM does not use")
        return text

    def insert_port(self, conn: Connection, row: dict, mac: object | None) -> str:
        """Insert the ``ports`` row (``row`` without mac_address) and its MACID.

        ``mac`` None: generate one, skipping taken MACIDs (up to ``retries``
        tries, then :class:`MacAddressGenerationFailure`); otherwise it is
        validated and :class:`MacAddressInUse` raised when its MACID is taken.
        The MACID row is inserted only when absent (one statement, no separate
        check); a concurrent transaction taking the same MACID in between makes
        the insert fail: for a generated MAC that is a lock race
        (:class:`DeadlockError`, the transaction runs again), for a given one
        the MAC is in use.  Returns the MAC.
        """
        given = mac is not None
        candidates = iter([self.validate(mac)] if given else (
            self.generate() for _ in range(self.retries)))
        candidate = next(candidates, None)
        if candidate is None:
            raise exceptions.MacAddressGenerationFailure(net_id=row["network_id"])
        conn.execute(_INSERT_PORT, {**row, "mac_address": candidate})
        while True:
            try:
                taken = not conn.execute(_INSERT_MACID, {
                    "macid": zvm_names.mac_to_macid(candidate), "port_id": row["id"]}).rowcount
            except sa.exc.IntegrityError as error:
                if given:
                    raise exceptions.MacAddressInUse(net_id=row["network_id"],
                                                     mac=candidate) from None
                raise DeadlockError(f"MACID of {candidate} taken concurrently") from error
            if not taken:
                return candidate
            if given:
                raise exceptions.MacAddressInUse(net_id=row["network_id"], mac=candidate)
            candidate = next(candidates, None)
            if candidate is None:
                raise exceptions.MacAddressGenerationFailure(net_id=row["network_id"])
            conn.execute(_SET_MAC, {"port_id": row["id"], "new_mac": candidate})


# Built once: executing a prepared statement object skips SQLAlchemy's per-call
# construction and cache-key work (port creates run these every time).
_INSERT_PORT = PORTS.insert()
_SET_MAC = PORTS.update().where(PORTS.c.id == sa.bindparam("port_id")).values(
    mac_address=sa.bindparam("new_mac"))
_INSERT_MACID = MACIDS.insert().from_select(
    ["macid", "port_id"],
    sa.select(sa.bindparam("macid", type_=MACIDS.c.macid.type),
              sa.bindparam("port_id", type_=MACIDS.c.port_id.type))
    .where(~sa.exists().where(MACIDS.c.macid == sa.bindparam("macid",
                                                              type_=MACIDS.c.macid.type))))
