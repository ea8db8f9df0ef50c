"""Builders of zHCP ``smcli`` and ``vmcp`` command lines, and their shell rendering.

Every builder validates its inputs with :mod:`xcat.zvm_names` *before*
building anything and raises ``ValueError`` naming the offending field; it
returns an argument vector (``list[str]``), never shell text. :func:`render`
turns a vector into one shell-quoted line (and refuses control characters), so
nothing untrusted is ever interpreted by the zHCP shell.

Builders (reference ``zvm-smapi.md`` §3; ``T`` is the ``-T`` target userid)::

    vswitch_create(T, name, *, rdevs, controller, connect, queue_memory, transport,
                   vlan, port_type, gvrp, native_vlan, persist)
    vswitch_create_extended(T, name, *, rdevs, controller, connect, queue_memory,
                            transport, vlan, port_type, gvrp, native_vlan, persist,
                            port_based)
    vswitch_query(T, name="*")              vswitch_query_extended(T, name="*")
    vswitch_grant(name, userid, *, vlans, port_type, persist, auth)
    vswitch_set_port(name, portnum, userid, *, vlans, port_type, persist, auth)
    vswitch_revoke(name, userid, *, persist, auth)
    vswitch_set_rdevs(T, name, rdevs, *, persist)
    vswitch_set_port_type(name, userid, port_type, *, persist, auth)
    vswitch_remove_port(T, name, portnum, *, persist)
    adapter_create_dm(T, vdev, *, adapter_type, devices, chpid, macid)
    adapter_create(T, vdev, *, adapter_type, devices)
    adapter_create_extended_dm(T, vdev, *, adapter_type, devices, chpid, macid)
    adapter_create_extended(T, vdev, *, adapter_type, devices, chpid)
    adapter_delete_dm(T, vdev)               adapter_delete(T, vdev)
    adapter_connect_vswitch_dm(T, vdev, vswitch)
    adapter_connect_vswitch(T, vdev, vswitch)
    adapter_connect_vswitch_extended(T, vdev, vswitch, *, port)
    adapter_disconnect_dm(T, vdev)           adapter_disconnect(T, vdev)
    adapter_query(T, vdev="*")
    image_definition_update_dm(T, nicdefs)   image_definition_query_dm(T, keywords=("NICDEF",))
    image_query_dm(T)                        image_query_activate_time(T, date_format=4)
    system_info_query()                      static_image_changes_immediate_dm(T)
    vmcp_query_nic(vdev=None)                vmcp_define_nic(vdev, *, adapter_type, devices)
    vmcp_couple(vdev, vswitch)               vmcp_uncouple(vdev)
    vmcp_query_vswitch(name=None, detail=None)  vmcp_query_vmlan()

Helpers: :func:`vlan_set` (validate and render a VLAN set for one call),
:class:`NicDef` (a directory NICDEF), :func:`function_of` (the smcli function
name of a vector).

Related modules: :mod:`xcat.batch` (``run_batch``: many vectors in one dsh
request, an outcome per command), :mod:`xcat.smcli_parsers` (output →
dataclasses, failure blocks → ``SmapiError``) and :mod:`xcat.outcomes`
(which rc/rs mean "already done" for idempotent callers).
"""
from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xcat import zvm_names

SMCLI = "/opt/zhcp/bin/smcli"
VMCP = "vmcp"

MAX_RDEVS = 3
MAX_SINGLE_VLANS = 4
MAX_VLAN_RANGES = 2

_ADAPTER_TYPES = {"QDIO": 2, "HIPERSOCKETS": 1}
_DEVICE_LIMITS = {"QDIO": 240, "HIPERSOCKETS": 3072}
_PORT_TYPES = ("ACCESS", "TRUNK")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


# -- shell rendering ------------------------------------------------------------------------------
def render(argv: Sequence[str]) -> str:
    """Shell-quote an argument vector into one command line.

    Refuses non-strings, empty vectors and control characters (a newline would
    split a batch script), so the result is always exactly one command.
    """
    if isinstance(argv, str) or not argv:
        raise ValueError("argv: must be a non-empty list of strings")
    for arg in argv:
        if not isinstance(arg, str):
            raise ValueError(f"argv: {arg!r} is not a string")
        if _CONTROL_RE.search(arg):
            raise ValueError(f"argv: {arg!r} contains a control character")
    return " ".join(shlex.quote(arg) for arg in argv)


def function_of(argv: Sequence[str]) -> str | None:
    """The SMAPI function of an smcli vector (``None`` for other commands)."""
    if len(argv) >= 2 and argv[0].rsplit("/", 1)[-1] == "smcli":
        return argv[1]
    return None


def goes_through_dirmaint(function: str) -> bool:
    """Whether a SMAPI function works on the user directory (``..._DM``): SMAPI
    hands it to DirMaint, which handles one request at a time."""
    return function.endswith("_DM")


def _smcli(function: str, target: str | None, *options: str) -> list[str]:
    argv = [SMCLI, function]
    if target is not None:
        argv += ["-T", target]
    argv += list(options)
    return argv


# -- shared validation ----------------------------------------------------------------------------
def _choice(value: object, field: str, choices: Iterable[str]) -> str:
    text = str(value).strip().upper() if isinstance(value, str) else None
    allowed = tuple(choices)
    if text not in allowed:
        raise ValueError(f"{field}: {value!r} is not one of {', '.join(allowed)}")
    return text


def _rdevs(rdevs: Iterable[object] | str, field: str = "rdevs") -> list[str]:
    if isinstance(rdevs, str):
        rdevs = [r for r in re.split(r"[ ,]+", rdevs) if r]
    items = list(rdevs)
    if len(items) > MAX_RDEVS:
        raise ValueError(f"{field}: at most {MAX_RDEVS} real devices, got {len(items)}")
    out = [zvm_names.rdev(r, f"{field}[{i}]") for i, r in enumerate(items)]
    if len(set(out)) != len(out):
        raise ValueError(f"{field}: duplicate real devices {out}")
    return out


def _adapter(adapter_type: object, devices: object) -> tuple[str, int]:
    kind = _choice(adapter_type, "adapter_type", _ADAPTER_TYPES)
    count = zvm_names.int_in_range(devices, "devices", 3, _DEVICE_LIMITS[kind])
    return kind, count


def _chpid(value: object) -> str:
    return zvm_names.hex_number(value, "chpid", 2)


def vlan_set(vlans: object, field: str = "vlans") -> str:
    """Validate a VLAN set for one SMAPI call and render it (``"10 20"``, ``"10-12 20-22"``).

    Accepts an int, a string (``"10"``, ``"10-12 20"``, commas allowed) or an
    iterable of ints, ``(low, high)`` pairs or ``"low-high"`` strings. One call
    carries at most 4 single VLANs, or at most 2 items when any is a range.
    """
    items = _vlan_items(vlans, field)
    spans = sorted(_vlan_span(item, f"{field}[{i}]") for i, item in enumerate(items))
    _check_vlan_spans(spans, field)
    return " ".join(str(low) if low == high else f"{low}-{high}" for low, high in spans)


def _vlan_items(vlans: object, field: str) -> list[object]:
    """The items of a VLAN set as given: an int, the words of a string, or an iterable's items."""
    if isinstance(vlans, bool):
        raise ValueError(f"{field}: {vlans!r} is not a VLAN set")
    if isinstance(vlans, int):
        items: list[object] = [vlans]
    elif isinstance(vlans, str):
        items = [p for p in re.split(r"[ ,]+", vlans.strip(" ")) if p]
    elif isinstance(vlans, Iterable):
        items = list(vlans)
    else:
        raise ValueError(f"{field}: {vlans!r} is not a VLAN set")
    if not items:
        raise ValueError(f"{field}: empty VLAN set")
    return items


def _vlan_span(item: object, where: str) -> tuple[int, int]:
    """One item of a VLAN set as ``(low, high)``: a VLAN id, a pair or ``"low-high"``."""
    low: object
    high: object
    if isinstance(item, tuple) and len(item) == 2:
        low, high = item
    elif isinstance(item, str) and "-" in item.strip()[1:]:
        low, _, high = item.strip().partition("-")
    else:
        low = high = item
    low_id, high_id = zvm_names.vlan_id(low, where), zvm_names.vlan_id(high, where)
    if low_id > high_id:
        raise ValueError(f"{where}: range {low_id}-{high_id} is reversed")
    return low_id, high_id


def _check_vlan_spans(spans: Sequence[tuple[int, int]], field: str) -> None:
    """Sorted spans must not overlap and must fit in one call."""
    for (a_low, a_high), (b_low, b_high) in itertools.pairwise(spans):
        if b_low <= a_high:
            raise ValueError(f"{field}: VLANs {a_low}-{a_high} and {b_low}-{b_high} overlap")
    has_range = any(low != high for low, high in spans)
    limit = MAX_VLAN_RANGES if has_range else MAX_SINGLE_VLANS
    if len(spans) > limit:
        raise ValueError(f"{field}: one call carries at most {MAX_SINGLE_VLANS} single VLANs "
                         f"or {MAX_VLAN_RANGES} ranges, got {len(spans)} items")


def _persist(value: object) -> str:
    if not isinstance(value, bool):
        raise ValueError(f"persist: {value!r} is not True or False")
    return "YES" if value else "NO"


def _k(*pairs: tuple[str, str]) -> list[str]:
    argv: list[str] = []
    for key, value in pairs:
        argv += ["-k", f"{key}={value}"]
    return argv


# -- vswitches ------------------------------------------------------------------------------------
def _vswitch_vlan_options(vlan: object, port_type: object, gvrp: object,
                          native_vlan: object) -> tuple[int | None, str | None, bool | None,
                                                        int | None]:
    """(default VLAN or None for UNAWARE, port type, gvrp, native) after the UNAWARE checks."""
    if vlan is None:
        for name, value in (("port_type", port_type), ("gvrp", gvrp),
                            ("native_vlan", native_vlan)):
            if value is not None:
                raise ValueError(f"{name}: not allowed on a VLAN-unaware vswitch (vlan=None)")
        return None, None, None, None
    default = zvm_names.vlan_id(vlan, "vlan")
    ptype = _choice(port_type, "port_type", _PORT_TYPES) if port_type is not None else None
    if gvrp is not None and not isinstance(gvrp, bool):
        raise ValueError(f"gvrp: {gvrp!r} is not True or False")
    native = zvm_names.vlan_id(native_vlan, "native_vlan") if native_vlan is not None else None
    return default, ptype, gvrp, native


def vswitch_create(auth: str, name: str, *, rdevs: Iterable[object] | str = (),
                   controller: str | None = None, connect: bool = True,
                   queue_memory: int = 8, transport: str = "ETHERNET",
                   vlan: int | None = None, port_type: str | None = None,
                   gvrp: bool | None = None, native_vlan: int | None = None,
                   persist: bool = True) -> list[str]:
    """``Virtual_Network_Vswitch_Create`` (short flags).

    ``vlan=None`` makes a VLAN-unaware switch (``-v 0``); an int makes it
    VLAN-aware with that default VLAN. ``persist`` writes SYSTEM CONFIG too (``-u 2``).
    """
    auth = zvm_names.userid(auth, "auth")
    name = zvm_names.vswitch(name, "name")
    devs = _rdevs(rdevs)
    ctl = zvm_names.userid(controller, "controller") if controller is not None else None
    if not isinstance(connect, bool):
        raise ValueError(f"connect: {connect!r} is not True or False")
    qmem = zvm_names.int_in_range(queue_memory, "queue_memory", 1, 8)
    trans = _choice(transport, "transport", ("IP", "ETHERNET"))
    default, ptype, gv, native = _vswitch_vlan_options(vlan, port_type, gvrp, native_vlan)
    argv = _smcli("Virtual_Network_Vswitch_Create", auth, "-n", name)
    if devs:
        argv += ["-r", " ".join(devs)]
    if ctl:
        argv += ["-i", ctl]
    argv += ["-c", "1" if connect else "2", "-q", str(qmem),
             "-e", "1" if trans == "IP" else "0",
             "-t", "1" if trans == "IP" else "2",
             "-v", "0" if default is None else str(default),
             "-p", {None: "0", "ACCESS": "1", "TRUNK": "2"}[ptype],
             "-u", "2" if _persist(persist) == "YES" else "1",
             "-G", {None: "0", True: "1", False: "2"}[gv],
             "-V", "-1" if native is None else str(native)]
    return argv


def vswitch_create_extended(auth: str, name: str, *, rdevs: Iterable[object] | str = (),
                            controller: str | None = None, connect: bool = True,
                            queue_memory: int = 8, transport: str = "ETHERNET",
                            vlan: int | None = None, port_type: str | None = None,
                            gvrp: bool | None = None, native_vlan: int | None = None,
                            persist: bool = True, port_based: bool = False) -> list[str]:
    """``Virtual_Network_Vswitch_Create_Extended`` (``-k key=value``)."""
    auth = zvm_names.userid(auth, "auth")
    name = zvm_names.vswitch(name, "name")
    devs = _rdevs(rdevs)
    ctl = zvm_names.userid(controller, "controller") if controller is not None else None
    if not isinstance(connect, bool) or not isinstance(port_based, bool):
        raise ValueError("connect and port_based must be True or False")
    qmem = zvm_names.int_in_range(queue_memory, "queue_memory", 1, 8)
    trans = _choice(transport, "transport", ("IP", "ETHERNET"))
    default, ptype, gv, native = _vswitch_vlan_options(vlan, port_type, gvrp, native_vlan)
    pairs = [("switch_name", name)]
    if devs:
        pairs.append(("real_device_address", " ".join(devs)))
    if ctl:
        pairs.append(("controller_name", ctl))
    pairs += [("connection_value", "CONNECT" if connect else "DISCONNECT"),
              ("queue_memory_limit", str(qmem)),
              ("transport_type", trans),
              ("vlan_id", "UNAWARE" if default is None else str(default))]
    if trans == "IP":
        pairs.append(("routing_value", "NONROUTER"))
    if ptype:
        pairs.append(("port_type", ptype))
    if gv is not None:
        pairs.append(("gvrp_value", "GVRP" if gv else "NOGVRP"))
    if native is not None:
        pairs.append(("native_vlanid", str(native)))
    pairs.append(("persist", _persist(persist)))
    if port_based:
        pairs.append(("port_selection", "PORTBASED"))
    return _smcli("Virtual_Network_Vswitch_Create_Extended", auth, *_k(*pairs))


def _query_name(name: str) -> str:
    return "*" if name == "*" else zvm_names.vswitch(name, "name")


def vswitch_query(auth: str, name: str = "*") -> list[str]:
    """``Virtual_Network_Vswitch_Query -s <name|*>``."""
    return _smcli("Virtual_Network_Vswitch_Query", zvm_names.userid(auth, "auth"),
                  "-s", _query_name(name))


def vswitch_query_extended(auth: str, name: str = "*") -> list[str]:
    """``Virtual_Network_Vswitch_Query_Extended -k switch_name=<name|*>``."""
    return _smcli("Virtual_Network_Vswitch_Query_Extended", zvm_names.userid(auth, "auth"),
                  *_k(("switch_name", _query_name(name))))


def _grant_pairs(vlans: object, port_type: str | None) -> list[tuple[str, str]]:
    """The validated ``port_type`` / ``user_vlan_id`` pairs of a grant or port."""
    ptype = _choice(port_type, "port_type", _PORT_TYPES) if port_type is not None else None
    vset = vlan_set(vlans) if vlans is not None else None
    if vset and ptype != "TRUNK" and (" " in vset or "-" in vset):
        raise ValueError(f"vlans: an ACCESS port carries one VLAN, got {vset!r}")
    pairs = [("port_type", ptype)] if ptype else []
    if vset:
        pairs.append(("user_vlan_id", vset))
    return pairs


def vswitch_grant(name: str, userid: str, *, vlans: object = None, port_type: str | None = None,
                  persist: bool = True, auth: str | None = None) -> list[str]:
    """``Virtual_Network_Vswitch_Set_Extended`` granting ``userid`` (optionally with VLANs).

    An ACCESS port carries exactly one VLAN; TRUNK may carry a VLAN set.
    ``-T`` defaults to the granted userid, as the z/VM drivers do.
    """
    name = zvm_names.vswitch(name, "name")
    user = zvm_names.userid(userid, "userid")
    target = zvm_names.userid(auth, "auth") if auth is not None else user
    pairs = [("switch_name", name), ("grant_userid", user), *_grant_pairs(vlans, port_type),
             ("persist", _persist(persist))]
    return _smcli("Virtual_Network_Vswitch_Set_Extended", target, *_k(*pairs))


def vswitch_set_port(name: str, portnum: int, userid: str, *, vlans: object = None,
                     port_type: str | None = None, persist: bool = True,
                     auth: str | None = None) -> list[str]:
    """Configure port ``portnum`` of a port-based vswitch for ``userid``
    (``-k 'portnum=<n> <userid>'``, SET VSWITCH ... PORTNUMBER n USERID u), with
    its port type and VLANs.  ``-T`` defaults to ``userid``, as for a grant.
    """
    name = zvm_names.vswitch(name, "name")
    port = zvm_names.port_number(portnum, "portnum")
    user = zvm_names.userid(userid, "userid")
    target = zvm_names.userid(auth, "auth") if auth is not None else user
    pairs = [("switch_name", name), ("portnum", f"{port} {user}"),
             *_grant_pairs(vlans, port_type), ("persist", _persist(persist))]
    return _smcli("Virtual_Network_Vswitch_Set_Extended", target, *_k(*pairs))


def vswitch_revoke(name: str, userid: str, *, persist: bool = True,
                   auth: str | None = None) -> list[str]:
    """``Virtual_Network_Vswitch_Set_Extended -k revoke_userid=<userid>``."""
    name = zvm_names.vswitch(name, "name")
    user = zvm_names.userid(userid, "userid")
    target = zvm_names.userid(auth, "auth") if auth is not None else user
    return _smcli("Virtual_Network_Vswitch_Set_Extended", target,
                  *_k(("switch_name", name), ("revoke_userid", user),
                      ("persist", _persist(persist))))


def vswitch_set_port_type(name: str, userid: str, port_type: str, *, persist: bool = True,
                          auth: str | None = None) -> list[str]:
    """Change the port type of an existing grant (re-grant with ``port_type``)."""
    return vswitch_grant(name, userid, port_type=port_type, persist=persist, auth=auth)


def vswitch_set_rdevs(auth: str, name: str, rdevs: Iterable[object] | str, *,
                      persist: bool = True) -> list[str]:
    """``Virtual_Network_Vswitch_Set_Extended -k real_device_address="<rdevs>"``."""
    auth = zvm_names.userid(auth, "auth")
    name = zvm_names.vswitch(name, "name")
    devs = _rdevs(rdevs)
    if not devs:
        raise ValueError("rdevs: at least one real device is required")
    return _smcli("Virtual_Network_Vswitch_Set_Extended", auth,
                  *_k(("switch_name", name), ("real_device_address", " ".join(devs)),
                      ("persist", _persist(persist))))


def vswitch_remove_port(auth: str, name: str, portnum: int, *, persist: bool = True) -> list[str]:
    """Remove a port of a port-based vswitch (``-k portnum_remove=<n>``)."""
    auth = zvm_names.userid(auth, "auth")
    name = zvm_names.vswitch(name, "name")
    port = zvm_names.port_number(portnum, "portnum")
    return _smcli("Virtual_Network_Vswitch_Set_Extended", auth,
                  *_k(("switch_name", name), ("portnum_remove", str(port)),
                      ("persist", _persist(persist))))


# -- adapters -------------------------------------------------------------------------------------
def adapter_create_dm(userid: str, vdev: object, *, adapter_type: str = "QDIO", devices: int = 3,
                      chpid: object = None, macid: object = None) -> list[str]:
    """``Virtual_Network_Adapter_Create_DM`` (adds a NICDEF)."""
    user = zvm_names.userid(userid)
    kind, count = _adapter(adapter_type, devices)
    dev = zvm_names.nic_vdev(vdev, "vdev", count)
    argv = _smcli("Virtual_Network_Adapter_Create_DM", user, "-v", dev,
                  "-a", str(_ADAPTER_TYPES[kind]), "-n", str(count))
    if chpid is not None:
        argv += ["-c", _chpid(chpid)]
    if macid is not None:
        argv += ["-m", zvm_names.macid(macid)]
    return argv


def adapter_create(userid: str, vdev: object, *, adapter_type: str = "QDIO",
                   devices: int = 3) -> list[str]:
    """``Virtual_Network_Adapter_Create`` (active guest)."""
    user = zvm_names.userid(userid)
    kind, count = _adapter(adapter_type, devices)
    dev = zvm_names.nic_vdev(vdev, "vdev", count)
    return _smcli("Virtual_Network_Adapter_Create", user, "-v", dev,
                  "-t", str(_ADAPTER_TYPES[kind]), "-d", str(count))


def _adapter_pairs(vdev: object, adapter_type: str, devices: int,
                   chpid: object) -> list[tuple[str, str]]:
    """The ``-k`` pairs common to the Create_Extended functions (validated)."""
    kind, count = _adapter(adapter_type, devices)
    pairs = [("image_device_number", zvm_names.nic_vdev(vdev, "vdev", count)),
             ("adapter_type", "QDIO" if kind == "QDIO" else "HIPERSOCKETS"),
             ("devices", str(count))]
    if chpid is not None:
        pairs.append(("channel_path_id", _chpid(chpid)))
    return pairs


def adapter_create_extended_dm(userid: str, vdev: object, *, adapter_type: str = "QDIO",
                               devices: int = 3, chpid: object = None,
                               macid: object = None) -> list[str]:
    """``Virtual_Network_Adapter_Create_Extended_DM`` (``-k`` form)."""
    user = zvm_names.userid(userid)
    pairs = _adapter_pairs(vdev, adapter_type, devices, chpid)
    if macid is not None:
        pairs.append(("mac_id", zvm_names.macid(macid)))
    return _smcli("Virtual_Network_Adapter_Create_Extended_DM", user, *_k(*pairs))


def adapter_create_extended(userid: str, vdev: object, *, adapter_type: str = "QDIO",
                            devices: int = 3, chpid: object = None) -> list[str]:
    """``Virtual_Network_Adapter_Create_Extended`` (active guest, ``-k`` form)."""
    user = zvm_names.userid(userid)
    return _smcli("Virtual_Network_Adapter_Create_Extended", user,
                  *_k(*_adapter_pairs(vdev, adapter_type, devices, chpid)))


def _user_vdev(function: str, userid: str, vdev: object) -> list[str]:
    return _smcli(function, zvm_names.userid(userid), "-v", zvm_names.device(vdev))


def adapter_delete_dm(userid: str, vdev: object) -> list[str]:
    """``Virtual_Network_Adapter_Delete_DM``."""
    return _user_vdev("Virtual_Network_Adapter_Delete_DM", userid, vdev)


def adapter_delete(userid: str, vdev: object) -> list[str]:
    """``Virtual_Network_Adapter_Delete`` (active guest)."""
    return _user_vdev("Virtual_Network_Adapter_Delete", userid, vdev)


def adapter_connect_vswitch_dm(userid: str, vdev: object, vswitch: str) -> list[str]:
    """``Virtual_Network_Adapter_Connect_Vswitch_DM`` (``LAN SYSTEM <vswitch>`` in the NICDEF)."""
    return _user_vdev("Virtual_Network_Adapter_Connect_Vswitch_DM", userid, vdev) + [
        "-n", zvm_names.vswitch(vswitch)]


def adapter_connect_vswitch(userid: str, vdev: object, vswitch: str) -> list[str]:
    """``Virtual_Network_Adapter_Connect_Vswitch`` (couple the active NIC)."""
    return _user_vdev("Virtual_Network_Adapter_Connect_Vswitch", userid, vdev) + [
        "-n", zvm_names.vswitch(vswitch)]


def adapter_connect_vswitch_extended(userid: str, vdev: object, vswitch: str, *,
                                     port: int | None = None) -> list[str]:
    """``Virtual_Network_Adapter_Connect_Vswitch_Extended`` (couple the active NIC);
    ``port`` couples it to that port of a port-based vswitch (``port_selection``),
    None lets CP choose (``AUTO``)."""
    pairs = [("image_device_number", zvm_names.device(vdev)),
             ("switch_name", zvm_names.vswitch(vswitch, "vswitch")),
             ("port_selection",
              "AUTO" if port is None else str(zvm_names.port_number(port, "port")))]
    return _smcli("Virtual_Network_Adapter_Connect_Vswitch_Extended",
                  zvm_names.userid(userid), *_k(*pairs))


def adapter_disconnect_dm(userid: str, vdev: object) -> list[str]:
    """``Virtual_Network_Adapter_Disconnect_DM``."""
    return _user_vdev("Virtual_Network_Adapter_Disconnect_DM", userid, vdev)


def adapter_disconnect(userid: str, vdev: object) -> list[str]:
    """``Virtual_Network_Adapter_Disconnect`` (uncouple the active NIC)."""
    return _user_vdev("Virtual_Network_Adapter_Disconnect", userid, vdev)


def adapter_query(userid: str, vdev: object = "*") -> list[str]:
    """``Virtual_Network_Adapter_Query -v <vdev|*>`` (active guest)."""
    dev = "*" if vdev == "*" else zvm_names.device(vdev)
    return _smcli("Virtual_Network_Adapter_Query", zvm_names.userid(userid), "-v", dev)


# -- directory and system -------------------------------------------------------------------------
@dataclass(frozen=True)
class NicDef:
    """A directory NICDEF: ``NICDEF <vdev> TYPE QDIO [DEVICES n] [LAN SYSTEM <vsw>] [MACID x]
    [PORTNUMBER n]`` (``port_number``: the port of a port-based vswitch the NIC couples to)."""

    vdev: str
    adapter_type: str = "QDIO"
    devices: int | None = None
    lan_owner: str | None = None
    lan_name: str | None = None
    macid: str | None = None
    chpid: str | None = None
    port_number: int | None = None

    @property
    def vswitch(self) -> str | None:
        """The vswitch the NIC is coupled to at logon (``LAN SYSTEM <name>``)."""
        return self.lan_name if self.lan_owner == "SYSTEM" else None

    def keyword(self) -> str:
        """The ``Image_Definition_Update_DM`` form, validated."""
        kind = _choice(self.adapter_type, "adapter_type", _ADAPTER_TYPES)
        count = self.devices if self.devices is not None else 3
        zvm_names.int_in_range(count, "devices", 3, _DEVICE_LIMITS[kind])
        parts = [f"VDEV={zvm_names.nic_vdev(self.vdev, 'vdev', count)}",
                 f"TYPE={'QDIO' if kind == 'QDIO' else 'HIPERS'}"]
        if self.devices is not None:
            parts.append(f"DEVICES={count}")
        if self.chpid is not None:
            parts.append(f"CHPID={_chpid(self.chpid)}")
        if self.macid is not None:
            parts.append(f"MACID={zvm_names.macid(self.macid)}")
        if self.lan_name is not None or self.lan_owner is not None:
            owner = zvm_names.userid(self.lan_owner or "", "lan_owner") \
                if (self.lan_owner or "").upper() != "SYSTEM" else "SYSTEM"
            if owner != "SYSTEM":
                raise ValueError("lan_owner: only LAN SYSTEM <vswitch> can be written")
            parts += ["LAN=SYSTEM", f"SWITCHNAME={zvm_names.vswitch(self.lan_name, 'lan_name')}"]
        if self.port_number is not None:
            if self.lan_name is None:
                raise ValueError("port_number: needs LAN SYSTEM <vswitch> (lan_name)")
            parts.append(f"PORTNUMBER={zvm_names.port_number(self.port_number, 'port_number')}")
        return "NICDEF=" + " ".join(parts)


def image_definition_update_dm(userid: str, nicdefs: Sequence[NicDef]) -> list[str]:
    """``Image_Definition_Update_DM`` with one ``-k 'NICDEF=...'`` per NIC."""
    user = zvm_names.userid(userid)
    if not nicdefs:
        raise ValueError("nicdefs: at least one NICDEF is required")
    argv = _smcli("Image_Definition_Update_DM", user)
    for i, nic in enumerate(nicdefs):
        if not isinstance(nic, NicDef):
            raise ValueError(f"nicdefs[{i}]: {nic!r} is not a NicDef")
        argv += ["-k", nic.keyword()]
    return argv


def image_definition_query_dm(userid: str, keywords: Sequence[str] = ("NICDEF",)) -> list[str]:
    """``Image_Definition_Query_DM -k <keywords>`` (blank-separated, or ``*``)."""
    user = zvm_names.userid(userid)
    words = list(keywords)
    if not words or any(not isinstance(w, str) or not re.fullmatch(r"[A-Z]{1,16}|\*", w)
                        for w in words):
        raise ValueError(f"keywords: {keywords!r} must be upper-case directory keywords or '*'")
    return _smcli("Image_Definition_Query_DM", user, "-k", " ".join(words))


def image_query_dm(userid: str) -> list[str]:
    """``Image_Query_DM`` (the raw directory entry)."""
    return _smcli("Image_Query_DM", zvm_names.userid(userid))


def image_query_activate_time(userid: str, date_format: int = 4) -> list[str]:
    """``Image_Query_Activate_Time -f <1..6>`` (4 = yyyy-mm-dd)."""
    fmt = zvm_names.int_in_range(date_format, "date_format", 1, 6)
    return _smcli("Image_Query_Activate_Time", zvm_names.userid(userid), "-f", str(fmt))


def system_info_query() -> list[str]:
    """``System_Info_Query`` (zHCP; line 5 is the CP IPL time)."""
    return _smcli("System_Info_Query", None)


def static_image_changes_immediate_dm(userid: str) -> list[str]:
    """``Static_Image_Changes_Immediate_DM`` (make pending directory changes available)."""
    return _smcli("Static_Image_Changes_Immediate_DM", zvm_names.userid(userid))


# -- vmcp (CP commands in the guest the command runs on) ------------------------------------------
def vmcp_query_nic(vdev: object = None) -> list[str]:
    """``vmcp q v nic [vdev]``."""
    argv = [VMCP, "q", "v", "nic"]
    if vdev is not None:
        argv.append(zvm_names.device(vdev))
    return argv


def vmcp_define_nic(vdev: object, *, adapter_type: str = "QDIO",
                    devices: int | None = None) -> list[str]:
    """``vmcp define nic <vdev> type qdio [devices n]``."""
    kind, count = _adapter(adapter_type, 3 if devices is None else devices)
    argv = [VMCP, "define", "nic", zvm_names.nic_vdev(vdev, "vdev", count), "type",
            "qdio" if kind == "QDIO" else "hipers"]
    if devices is not None:
        argv += ["devices", str(count)]
    return argv


def vmcp_couple(vdev: object, vswitch: str) -> list[str]:
    """``vmcp couple <vdev> system <vswitch>``."""
    return [VMCP, "couple", zvm_names.device(vdev), "system", zvm_names.vswitch(vswitch)]


def vmcp_uncouple(vdev: object) -> list[str]:
    """``vmcp uncouple <vdev>``."""
    return [VMCP, "uncouple", zvm_names.device(vdev)]


def vmcp_query_vswitch(name: str | None = None, detail: str | None = None) -> list[str]:
    """``vmcp q vswitch [name] [details|accesslist]``."""
    argv = [VMCP, "q", "vswitch"]
    if name is not None:
        argv.append(zvm_names.vswitch(name, "name"))
    if detail is not None:
        argv.append(_choice(detail, "detail", ("DETAILS", "ACCESSLIST")).lower())
    return argv


def vmcp_query_vmlan() -> list[str]:
    """``vmcp q vmlan``."""
    return [VMCP, "q", "vmlan"]
