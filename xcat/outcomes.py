"""What an smcli return/reason code means for an idempotent caller.

``classify(function, rc, rs) -> Outcome``:

- ``OK``: success. Includes 0/0, 0/8 ("Request successful; object directory
  offline", which zHCP prints as ``Failed`` with exit 1) and 592 (an
  asynchronous operation was started).
- ``ALREADY_DONE``: the state the call asks for is already there, so an
  idempotent operation succeeded: already connected (204/20), already
  disconnected (204/48), NICDEF not connected to a LAN on Disconnect_DM
  (212/32), NIC already deleted (404/8 DM, 204/8 active), NIC already defined
  (404/4 DM, 204/4 active; its attributes are not checked), vswitch already
  exists (212/36), vswitch already gone on delete (212/40), user already
  authorized (212/44), and a persisted revoke of a grant SYSTEM CONFIG never
  held (620/58 "MODIFY VSWITCH statement to userid not found in system
  config", zhcp rcdescriptions.c b6f01c6: CP's access list lost the user, so
  the end state holds; told from other 620/58s by the ``revoke_userid`` key).
- ``INACTIVE``: 200/12, the guest is not logged on, for a function that acts
  on the running guest (expected for logged-off guests; the directory change
  applies at the next logon).
- ``FAILED``: anything else.
- ``NOT_RUN``: (used by :mod:`xcat.batch`) the command's result never came
  back, so it may or may not have run.
- ``SKIPPED``: (used by :mod:`xcat.batch`) a guard kept the command from
  running because an earlier command of the same port failed.
"""
from __future__ import annotations

import enum
from collections.abc import Sequence


class Outcome(enum.Enum):
    OK = "ok"
    ALREADY_DONE = "already_done"
    INACTIVE = "inactive"
    FAILED = "failed"
    NOT_RUN = "not_run"
    SKIPPED = "skipped"

    @property
    def succeeded(self) -> bool:
        return self in (Outcome.OK, Outcome.ALREADY_DONE)


_ALREADY_DONE: dict[str, frozenset[tuple[int, int]]] = {
    "Virtual_Network_Adapter_Connect_Vswitch": frozenset({(204, 20)}),
    "Virtual_Network_Adapter_Connect_Vswitch_Extended": frozenset({(204, 20)}),
    "Virtual_Network_Adapter_Disconnect": frozenset({(204, 48)}),
    "Virtual_Network_Adapter_Disconnect_DM": frozenset({(212, 32)}),
    "Virtual_Network_Adapter_Delete_DM": frozenset({(404, 8)}),
    "Virtual_Network_Adapter_Delete": frozenset({(204, 8)}),
    "Virtual_Network_Adapter_Create_DM": frozenset({(404, 4)}),
    "Virtual_Network_Adapter_Create_Extended_DM": frozenset({(404, 4)}),
    "Virtual_Network_Adapter_Create": frozenset({(204, 4)}),
    "Virtual_Network_Adapter_Create_Extended": frozenset({(204, 4)}),
    "Virtual_Network_Vswitch_Create": frozenset({(212, 36)}),
    "Virtual_Network_Vswitch_Create_Extended": frozenset({(212, 36)}),
    "Virtual_Network_Vswitch_Delete": frozenset({(212, 40)}),
    "Virtual_Network_Vswitch_Delete_Extended": frozenset({(212, 40)}),
    "Virtual_Network_Vswitch_Set_Extended": frozenset({(212, 44)}),
}

# Functions that act on the running guest (fail with 200/12 when it is logged off).
ACTIVE_FUNCTIONS = frozenset({
    "Virtual_Network_Adapter_Connect_Vswitch",
    "Virtual_Network_Adapter_Connect_Vswitch_Extended",
    "Virtual_Network_Adapter_Disconnect",
    "Virtual_Network_Adapter_Create",
    "Virtual_Network_Adapter_Create_Extended",
    "Virtual_Network_Adapter_Delete",
    "Virtual_Network_Adapter_Query",
    "Virtual_Network_Adapter_Query_Extended",
    "Image_Query_Activate_Time",
})


_NOT_IN_SYSTEM_CONFIG = (620, 58)


def _is_revoke(argv: Sequence[str]) -> bool:
    """True for a Vswitch_Set_Extended vector whose keywords revoke a grant."""
    return any(word.startswith("revoke_userid=") for word in argv)


def classify(function: str | None, rc: int, rs: int | None,
             argv: Sequence[str] = ()) -> Outcome:
    """Classify an smcli return/reason code for ``function`` (see the module
    docstring); ``argv``, the command's vector, tells a revoke's 620/58."""
    rs_value = rs if rs is not None else 0
    if rc == 0 and rs_value in (0, 8):
        return Outcome.OK
    if rc == 592:
        return Outcome.OK
    if function and (rc, rs_value) in _ALREADY_DONE.get(function, frozenset()):
        return Outcome.ALREADY_DONE
    if (function == "Virtual_Network_Vswitch_Set_Extended"
            and (rc, rs_value) == _NOT_IN_SYSTEM_CONFIG and _is_revoke(argv)):
        return Outcome.ALREADY_DONE
    if (rc, rs_value) == (200, 12) and function in ACTIVE_FUNCTIONS:
        return Outcome.INACTIVE
    return Outcome.FAILED
