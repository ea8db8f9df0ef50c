"""Lifecycle events of the z/VM host (reference zvm-smapi.md §7 "Lifecycle events").

- LOGON: active NICs from the directory NICDEFs; a NICDEF with ``LAN SYSTEM
  vsw`` couples when the vswitch exists and the user is authorized.
- LOGOFF: active NICs vanish (and with them the vswitch connections).
- z/VM IPL: new IPL time, every guest logged off, vswitches and grants
  rebuilt from SYSTEM CONFIG only, then the autolog guests log on again.
- In an SSI cluster a single-configuration guest logs on on one member at a
  time (a LOGON, or an autolog at IPL, elsewhere is refused or skipped).
- xCAT MN restart: the xCAT guest logs off and on (new activation time; NICs
  it defined with ``vmcp define nic``, like 0800, are gone).

All functions expect the caller to hold ``model.lock``.
"""
from __future__ import annotations

import copy

from xcat.simulator.model import (
    ActiveNic,
    CouplingRefused,
    Grant,
    Model,
    format_time,
    vswitch_from_dict,
)

EVENTS = ("logon", "logoff", "ipl", "xcat_restart", "advance")


class EventError(ValueError):
    """An event that cannot happen (unknown guest, already logged on...)."""


def logon(model: Model, userid: str) -> None:
    guest = model.guest(userid)
    if guest is None:
        raise EventError(f"guest {userid} has no directory entry")
    if guest.logged_on:
        raise EventError(f"guest {guest.userid} is already logged on")
    elsewhere = logged_on_elsewhere(model, guest.userid)
    if elsewhere:
        raise EventError(f"guest {guest.userid} is logged on at {elsewhere} (SSI "
                         f"{model.system.ssi}: a single-configuration virtual machine runs "
                         f"on one member at a time)")
    guest.logged_on = True
    guest.activation_time = format_time(model.now)
    guest.active_nics = {}
    for vdev in sorted(guest.nicdefs):
        nicdef = guest.nicdefs[vdev]
        nic = ActiveNic(vdev=vdev, type=nicdef.type, devices=nicdef.devices,
                        mac=model.nic_mac(nicdef), from_directory=True)
        if nicdef.lan_name and (nicdef.lan_owner or "SYSTEM") == "SYSTEM":
            vswitch = model.vswitches.get(nicdef.lan_name)
            directory_auth = bool(nicdef.vlan or nicdef.porttype)
            if vswitch is not None and nic.type == "QDIO":
                try:
                    nic.port = model.coupling_port(guest.userid, vswitch, nicdef.portnumber)
                    nic.coupled_to = vswitch.name
                except CouplingRefused:
                    if directory_auth and vswitch.user_based:
                        nic.coupled_to = vswitch.name
        guest.active_nics[vdev] = nic
    model.touch()


def logged_on_elsewhere(model: Model, userid: str) -> str | None:
    """The other SSI member a single-configuration ``userid`` is logged on at, or None."""
    guest = model.guest(userid)
    if model.ssi is None or guest is None or guest.ssi_home is None:
        return None
    for other in model.ssi.others(model):
        copy_ = other.guest(userid)
        if copy_ is not None and copy_.logged_on:
            return other.system.name
    return None


def logoff(model: Model, userid: str) -> None:
    guest = model.guest(userid)
    if guest is None:
        raise EventError(f"guest {userid} has no directory entry")
    if not guest.logged_on:
        raise EventError(f"guest {guest.userid} is not logged on")
    guest.logged_on = False
    guest.active_nics = {}
    model.touch()


def ipl(model: Model) -> None:
    """Re-IPL z/VM: only SYSTEM CONFIG survives; autolog guests come back."""
    for guest in model.guests.values():
        guest.logged_on = False
        guest.active_nics = {}
    model.system.ipl_time = format_time(model.now)
    rebuilt = {}
    for name, definition in sorted(model.config.vswitches.items()):
        vswitch = vswitch_from_dict(copy.deepcopy(definition))
        vswitch.persistent = True
        for userid, grant in sorted(model.config.grants.get(name, {}).items()):
            vswitch.grants[userid] = Grant(**copy.deepcopy(grant))
        rebuilt[name] = vswitch
    model.vswitches = rebuilt
    for userid in sorted(model.guests):
        if model.guests[userid].autolog and not logged_on_elsewhere(model, userid):
            logon(model, userid)
    model.touch()


def xcat_restart(model: Model) -> None:
    """The xCAT MN guest re-logs on (activation time changes, CP-defined NICs vanish)."""
    guest = model.guest(model.xcat_userid)
    if guest is None:
        raise EventError(f"xCAT MN guest {model.xcat_userid} has no directory entry")
    if guest.logged_on:
        logoff(model, guest.userid)
    logon(model, guest.userid)


def _guest_event_userid(model: Model, event: str, userid: str | None) -> str:
    """The userid of a logon or logoff, checked before the clock moves so that a
    rejected event changes nothing."""
    if not userid:
        raise EventError(f"event {event} needs a userid")
    guest = model.guest(userid)
    if guest is None:
        raise EventError(f"guest {userid} has no directory entry")
    if (event == "logon") == guest.logged_on:
        raise EventError(f"guest {guest.userid} is "
                         f"{'already' if guest.logged_on else 'not'} logged on")
    elsewhere = logged_on_elsewhere(model, userid) if event == "logon" else None
    if elsewhere:
        raise EventError(f"guest {guest.userid} is logged on at {elsewhere}")
    return userid


def fire(model: Model, event: str, userid: str | None = None, at: str | None = None,
         seconds: int | None = None) -> dict:
    """Run one named event after moving the clock; returns what changed."""
    if event not in EVENTS:
        raise EventError(f"unknown event {event!r}; expected one of {', '.join(EVENTS)}")
    guest_userid = (_guest_event_userid(model, event, userid)
                    if event in ("logon", "logoff") else None)
    now = model.advance(seconds=seconds, at=at)
    if guest_userid is not None:
        (logon if event == "logon" else logoff)(model, guest_userid)
    elif event == "ipl":
        ipl(model)
    elif event == "xcat_restart":
        xcat_restart(model)
    result = {"event": event, "time": now, "ipl_time": model.system.ipl_time}
    if userid:
        result["userid"] = userid.upper()
    return result
