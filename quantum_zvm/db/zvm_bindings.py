"""z/VM port bindings: ``binding:profile`` (desired) and ``zvm_port_bindings`` (applied).

``binding:profile`` names the guest and, optionally, the NIC base device:
``{"zvm_userid": "LINUX01", "vdev": "1000"}``.  It is stored in
``zvm_port_profiles``, one row per port, unique per (userid, vdev) so two
ports cannot claim one NIC.  Other keys are refused: the agent would ignore
them and a typo must not pass silently.

``zvm_port_bindings`` holds what the agent applied (or the error that stopped
it); it is shown as ``binding:vif_details``.

``binding:vif_type`` and ``binding:host_id`` read as neutron's do (nova reads
them): ``unbound`` and ``""`` for a port no host was asked for,
``binding_failed`` for a host where no live agent can bind it (neither a z/VM
agent nor, for the DHCP guest's ports, a DHCP agent has reported within
``agent_down_time``), ``zvm`` once such an agent is there or the agent has
applied the port.  The agent's own RPC view (device details) keeps
``binding:host_id`` None for an unbound port.
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from quantum_zvm.common import constants, exceptions
from quantum_zvm.db import models, queries
from quantum_zvm.db.segments import is_set
from xcat import zvm_names

PROFILES = models.ZVM_PORT_PROFILES
BINDINGS = models.ZVM_PORT_BINDINGS
HOSTS = models.PORT_BINDING_PORTS

PROFILE_KEYS = (constants.PROFILE_USERID, constants.PROFILE_VDEV)
PORT_STATUSES = (constants.PORT_STATUS_ACTIVE, constants.PORT_STATUS_BUILD,
                 constants.PORT_STATUS_DOWN, constants.PORT_STATUS_ERROR)
MAX_ERROR_LEN = 1024

# Built once: every port create runs them (constructing statements per call costs more
# than running them on SQLite).
_INSERT_HOST = HOSTS.insert()
_INSERT_PROFILE = PROFILES.insert()
_INSERT_BINDING = BINDINGS.insert()


def utcnow() -> datetime.datetime:
    """Naive UTC, as Quantum stores timestamps."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _invalid(message: str) -> exceptions.InvalidInput:
    return exceptions.InvalidInput(error_message=message)


def validate_profile(value: object) -> dict[str, str | None] | None:
    """``{userid, vdev}`` of a ``binding:profile`` body value; None when unset, null or ``{}``."""
    if not is_set(value) or value == {}:
        return None
    if not isinstance(value, Mapping):
        raise _invalid("binding:profile must be a dictionary")
    unknown = sorted(set(value) - set(PROFILE_KEYS))
    if unknown:
        raise _invalid(f"binding:profile: unknown key(s) {', '.join(unknown)}; "
                       f"allowed: {', '.join(PROFILE_KEYS)}")
    if value.get(constants.PROFILE_USERID) is None:
        raise _invalid(f"binding:profile needs {constants.PROFILE_USERID}")
    try:
        userid = zvm_names.userid(value[constants.PROFILE_USERID], constants.PROFILE_USERID)
        vdev = value.get(constants.PROFILE_VDEV)
        vdev = None if vdev is None else zvm_names.nic_vdev(vdev, constants.PROFILE_VDEV)
    except ValueError as exc:
        raise _invalid(f"binding:profile: {exc}") from None
    return {"userid": userid, "vdev": vdev}


def validate_host(value: object) -> str | None:
    """``binding:host_id``: a host name, or None for unbound ("" and null)."""
    if not is_set(value) or value == "":
        return None
    if not isinstance(value, str) or len(value) > 255:
        raise _invalid("binding:host_id must be a string of at most 255 characters")
    return value


def vif_type(host: str | None, applied_status: str | None,
             agent_alive: bool) -> str:
    """``binding:vif_type`` of a port (see the module docstring)."""
    if applied_status is not None:
        return constants.VIF_TYPE_ZVM
    if not host:
        return constants.VIF_TYPE_UNBOUND
    return constants.VIF_TYPE_ZVM if agent_alive else constants.VIF_TYPE_BINDING_FAILED


def host_view(host: str | None) -> str:
    return host or ""


def profile_view(userid: str | None, vdev: str | None) -> dict[str, str]:
    if userid is None:
        return {}
    view = {constants.PROFILE_USERID: userid}
    if vdev is not None:
        view[constants.PROFILE_VDEV] = vdev
    return view


def vif_details_view(zhcp_node: str | None, userid: str | None, vdev: str | None,
                     vswitch: str | None, vlan: int | None, port_type: str | None,
                     status: str | None, error: str | None,
                     updated_at: datetime.datetime | None) -> dict[str, Any]:
    """``binding:vif_details`` from a ``zvm_port_bindings`` row (``{}`` when there is none)."""
    if status is None:
        return {}
    assert updated_at is not None, "zvm_port_bindings.updated_at is NOT NULL"
    details = {"zhcp_node": zhcp_node, "userid": userid, "vdev": vdev, "vswitch": vswitch,
               "vlan": vlan, "port_type": port_type, "status": status,
               "updated_at": updated_at.strftime("%Y-%m-%d %H:%M:%S")}
    if error:
        details["error"] = error
    return details


def set_host(conn: Connection, port_id: str, host: str | None, replace: bool = True) -> None:
    if replace:
        conn.execute(HOSTS.delete().where(HOSTS.c.port_id == port_id))
    if host is not None:
        conn.execute(_INSERT_HOST, {"port_id": port_id, "host": host})


def set_profile(conn: Connection, port_id: str, profile: dict | None,
                replace: bool = True) -> None:
    """Store a validated profile; :class:`NicInUse` when another port has the NIC."""
    if replace:
        conn.execute(PROFILES.delete().where(PROFILES.c.port_id == port_id))
    if profile is None:
        return
    try:
        conn.execute(_INSERT_PROFILE, {"port_id": port_id, **profile})
    except sa.exc.IntegrityError:
        raise exceptions.NicInUse(vdev=profile["vdev"], userid=profile["userid"]) from None


def validate_applied(host: str, zhcp_node: str | None, userid: str | None, vdev: str | None,
                     vswitch: str | None, vlan: object, port_type: str | None, status: str,
                     error: str | None) -> dict[str, Any]:
    """The ``zvm_port_bindings`` values of what an agent reports (RPC input: untrusted)."""
    if status not in PORT_STATUSES:
        raise _invalid(f"status {status!r} is not one of {', '.join(PORT_STATUSES)}")
    for name, value, limit in (("host", host, 255), ("zhcp_node", zhcp_node, 255),
                               ("port_type", port_type, 16)):
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise _invalid(f"{name} must be a string of at most {limit} characters")
    if not host:
        raise _invalid("host is required")
    try:
        return {
            "host": host, "zhcp_node": zhcp_node, "port_type": port_type, "status": status,
            "userid": None if userid is None else zvm_names.userid(userid),
            "vdev": None if vdev is None else zvm_names.device(vdev),
            "vswitch": None if vswitch is None else zvm_names.vswitch(vswitch),
            "vlan": None if vlan is None or vlan == constants.FLAT_VLAN_ID
            else zvm_names.vlan_id(vlan),
            "error": None if error is None else str(error)[:MAX_ERROR_LEN],
        }
    except ValueError as exc:
        raise _invalid(str(exc)) from None


def is_release(values: Mapping[str, Any]) -> bool:
    """Whether reported values say an agent released a port (DOWN, nothing applied)."""
    return (values["status"] == constants.PORT_STATUS_DOWN and values["userid"] is None
            and values["error"] is None)


def held_elsewhere(conn: Connection, applied: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The ports of ``applied`` an agent reports released on its zHCP while the recorded
    binding names another zHCP: the port moved (relocation, a row rewritten), and the
    other system's agent holds it, whatever order the two reports arrive in."""
    releases = {p: v["zhcp_node"] for p, v in applied.items() if is_release(v)}
    held: set[str] = set()
    for chunk in queries.chunks(sorted(releases)):
        for port_id, zhcp_node in conn.execute(
                sa.select(BINDINGS.c.port_id, BINDINGS.c.zhcp_node)
                .where(BINDINGS.c.port_id.in_(chunk))):
            if zhcp_node is not None and zhcp_node != releases[port_id]:
                held.add(port_id)
    return held


def record_applied(conn: Connection, applied: Mapping[str, Mapping[str, Any]]) -> None:
    """Replace the ``zvm_port_bindings`` rows of the ports in ``applied`` (port id ->
    :func:`validate_applied` values): one DELETE per chunk of ids and one multi-row INSERT."""
    if not applied:
        return
    now = utcnow()
    ids = list(applied)
    for chunk in queries.chunks(ids):
        conn.execute(BINDINGS.delete().where(BINDINGS.c.port_id.in_(chunk)))
    conn.execute(_INSERT_BINDING, [{**values, "port_id": port_id, "updated_at": now}
                                   for port_id, values in applied.items()])
