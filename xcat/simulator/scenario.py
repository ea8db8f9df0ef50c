"""Scenario files: the host a simulator starts with (YAML or JSON).

See ``default_scenario.yaml`` (bundled) for every key.  Top level:
``system``, ``vmlan``, ``options``, ``xcat`` (credentials, version, MN node,
userid and IP, ``zvm_table: short|long``), ``zhcp`` (node, userid),
``vswitches`` (name, transport, vlan_aware, default_vid, native_vid,
porttype, gvrp, rdevs, persistent, user_based, grants: userids or
``{userid, porttype, vlans, persistent}``), ``guests`` (userid, node, ip,
logged_on, autolog, locked, nicdefs: ``{vdev, type, devices, lan, macid}``)
and ``tables`` (extra rows per xCAT table).

Those keys describe the z/VM system the xCAT MN runs on.  ``systems`` lists
more z/VM systems the same MN manages, each through its own zHCP: each item
has the per-system keys (``system`` with its ``name``, ``vmlan``,
``options``, ``zhcp``, ``vswitches``, ``guests``); the xCAT tables are one
set for all, as on a real MN, and ``zvm.hcp`` says which zHCP manages a node.

``system.ssi: <name>`` makes a system a member of that SSI cluster (the members
are the systems naming it).  The members share one user directory: a userid
defined on one member only is a single-configuration virtual machine, present
on every member with the same directory objects (NICDEFs, statements, MDISKs)
but its own CP state (logged on where defined, autolog only there); a userid
defined on several members (each member's ZHCP) is a multiconfiguration virtual
machine, separate entries.  z/VM's VMLAN rule for an SSI (CP Planning and
Administration, VMLAN statement): MACPREFIX differs between members, USERPREFIX
is the same on all; the scenario is refused otherwise, naming the key.

Guests with a node get ``zvm`` (hcp = the zHCP node), ``nodelist`` and,
with an ip, ``hosts`` rows.  The passwd table gets the REST credentials.
Errors name the offending key: ``ScenarioError("guests[3].nicdefs[0].vdev: ...")``.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from xcat import zvm_names
from xcat.simulator import events
from xcat.simulator.model import (
    Grant,
    Guest,
    Model,
    NicDef,
    Options,
    Rdev,
    System,
    Vmlan,
    Vswitch,
    format_time,
    link_ssi,
    parse_time,
)
from xcat.simulator.tables import Tables

DEFAULT_SCENARIO = Path(__file__).with_name("default_scenario.yaml")

_T = TypeVar("_T")


class ScenarioError(ValueError):
    """A scenario file that cannot describe a host; the message names the key."""


def read(path: str | Path | None) -> dict[str, Any]:
    """Parse a scenario file (YAML or JSON); ``None`` reads the bundled default."""
    source = Path(path) if path else DEFAULT_SCENARIO
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{source}: cannot read: {exc.strerror}") from None
    try:
        data = json.loads(text) if source.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{source}: not valid {'JSON' if source.suffix == '.json' else 'YAML'}:"
                            f" {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the scenario must be a mapping")
    return data


def _section(data: dict, key: str, kind: type, default: Any) -> Any:
    value = data.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, kind):
        raise ScenarioError(f"{key}: expected a {kind.__name__}")
    return value


def _name(check: Callable[[Any, str], _T], value: Any, where: str) -> _T:
    """``check(value, where)`` (a :mod:`xcat.zvm_names` rule), its error a ScenarioError."""
    try:
        return check(value, where)
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None


def _time(value: Any, where: str) -> str:
    try:
        return format_time(parse_time(str(value)))
    except ValueError:
        raise ScenarioError(f"{where}: {value!r} is not 'YYYY-MM-DD HH:MM:SS'") from None


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() \
            or not low <= int(value) <= high:
        raise ScenarioError(f"{where}: expected an integer {low}-{high}")
    return int(value)


def _fields(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown key {unknown[0]!r}")


def build_vswitch(spec: Any, where: str, model: Model) -> Vswitch:
    if not isinstance(spec, dict):
        raise ScenarioError(f"{where}: expected a mapping")
    _fields(spec, {"name", "transport", "vlan_aware", "default_vid", "native_vid", "porttype",
                   "gvrp", "rdevs", "persistent", "user_based", "grants", "controller",
                   "queue_mem"}, where)
    name = _name(zvm_names.vswitch, spec.get("name"), f"{where}.name")
    aware = bool(spec.get("vlan_aware", False))
    transport = str(spec.get("transport", "ETHERNET")).upper()
    if transport not in ("ETHERNET", "IP"):
        raise ScenarioError(f"{where}.transport: expected ETHERNET or IP")
    porttype = str(spec.get("porttype", "ACCESS")).upper()
    if porttype not in ("ACCESS", "TRUNK"):
        raise ScenarioError(f"{where}.porttype: expected ACCESS or TRUNK")
    for key in ("rdevs", "grants"):
        if not isinstance(spec.get(key) or [], list):
            raise ScenarioError(f"{where}.{key}: expected a list")
    rdevs = _build_rdevs(spec.get("rdevs") or [], where)
    vswitch = Vswitch(
        name=name, transport=transport, vlan_aware=aware,
        default_vid=_name(zvm_names.vlan_id, spec.get("default_vid", 1),
                          f"{where}.default_vid") if aware else 0,
        native_vid=_name(zvm_names.vlan_id, spec.get("native_vid", 1), f"{where}.native_vid"),
        porttype=porttype, gvrp=aware and bool(spec.get("gvrp", False)),
        routing=None if transport == "ETHERNET" else "NONROUTER",
        controller=str(spec.get("controller", "*")).upper(), rdevs=rdevs,
        queue_mem=_int(spec.get("queue_mem", 8), f"{where}.queue_mem", 1, 8),
        user_based=bool(spec.get("user_based", True)),
        persistent=bool(spec.get("persistent", False)))
    vswitch.macid = model.next_vswitch_macid()
    for n, grant_spec in enumerate(spec.get("grants") or []):
        userid, grant, persistent = _build_grant(grant_spec, f"{where}.grants[{n}]", vswitch)
        vswitch.grants[userid] = grant
        if vswitch.persistent and persistent:
            model.config.grants.setdefault(name, {})[userid] = {
                "porttype": grant.porttype, "vlans": list(grant.vlans), "promiscuous": False}
    if vswitch.persistent:
        model.config.vswitches[name] = vswitch.definition()
        model.config.grants.setdefault(name, {})
    return vswitch


def _build_rdevs(items: list[Any], where: str) -> list[Rdev]:
    """``rdevs``: up to 3 device numbers, the first active, the others backups."""
    rdevs = []
    for n, rdev in enumerate(items):
        address = _name(zvm_names.device, str(rdev), f"{where}.rdevs[{n}]")
        rdevs.append(Rdev(address=address, status=1 if n == 0 else 2))
    if len(rdevs) > 3:
        raise ScenarioError(f"{where}.rdevs: at most 3 real devices")
    return rdevs


def _build_grant(spec: Any, where: str, vswitch: Vswitch) -> tuple[str, Grant, bool]:
    """One ``grants`` entry, a userid or {userid, porttype, vlans, persistent}: the
    userid, its Grant, and whether SYSTEM CONFIG holds it too."""
    if isinstance(spec, str):
        spec = {"userid": spec}
    if not isinstance(spec, dict):
        raise ScenarioError(f"{where}: expected a userid or a mapping")
    _fields(spec, {"userid", "porttype", "vlans", "persistent"}, where)
    userid = _name(zvm_names.userid, spec.get("userid"), f"{where}.userid")
    vlans = [str(v) for v in spec.get("vlans") or []]
    for v in vlans:
        for part in v.split("-"):
            _name(zvm_names.vlan_id, part, f"{where}.vlans")
    if vlans and not vswitch.vlan_aware:
        raise ScenarioError(f"{where}.vlans: {vswitch.name} is VLAN UNAWARE")
    pt = spec.get("porttype")
    if pt is not None and str(pt).upper() not in ("ACCESS", "TRUNK"):
        raise ScenarioError(f"{where}.porttype: expected ACCESS or TRUNK")
    grant = Grant(porttype=str(pt).upper() if pt else None, vlans=vlans)
    return userid, grant, bool(spec.get("persistent", True))


def build_guest(spec: Any, where: str) -> tuple[Guest, dict]:
    """A guest and its extra facts (ip, logged_on)."""
    if not isinstance(spec, dict):
        raise ScenarioError(f"{where}: expected a mapping")
    if not isinstance(spec.get("nicdefs") or [], list):
        raise ScenarioError(f"{where}.nicdefs: expected a list")
    _fields(spec, {"userid", "node", "ip", "logged_on", "autolog", "locked", "nicdefs",
                   "password", "storage"}, where)
    userid = _name(zvm_names.userid, spec.get("userid"), f"{where}.userid")
    node = spec.get("node")
    if node is not None and (not isinstance(node, str) or not node
                             or any(c in node for c in " ,\"'=;&|")):
        raise ScenarioError(f"{where}.node: {node!r} is not an xCAT node name")
    guest = Guest(userid=userid, node=node, autolog=bool(spec.get("autolog", False)),
                  locked=bool(spec.get("locked", False)))
    if spec.get("storage"):
        guest.storage = guest.max_storage = str(spec["storage"])
    for n, nic in enumerate(spec.get("nicdefs") or []):
        nwhere = f"{where}.nicdefs[{n}]"
        if not isinstance(nic, dict):
            raise ScenarioError(f"{nwhere}: expected a mapping")
        _fields(nic, {"vdev", "type", "devices", "lan", "macid"}, nwhere)
        vdev = _name(zvm_names.nic_vdev, str(nic.get("vdev", "")), f"{nwhere}.vdev")
        nic_type = str(nic.get("type", "QDIO")).upper()
        if nic_type not in ("QDIO", "HIPERS"):
            raise ScenarioError(f"{nwhere}.type: expected QDIO or HIPERS")
        lan = nic.get("lan")
        guest.nicdefs[vdev] = NicDef(
            vdev=vdev, type=nic_type,
            devices=_int(nic.get("devices", 3), f"{nwhere}.devices", 3,
                         240 if nic_type == "QDIO" else 3072),
            lan_owner="SYSTEM" if lan else None,
            lan_name=_name(zvm_names.vswitch, lan, f"{nwhere}.lan") if lan else None,
            macid=_name(zvm_names.macid, nic["macid"], f"{nwhere}.macid")
            if nic.get("macid") else None)
    extra = {"ip": spec.get("ip"), "logged_on": bool(spec.get("logged_on", False))}
    return guest, extra


def add_guest_rows(tables: Tables, guest: Guest, hcp: str, ip: str | None) -> None:
    """The xCAT rows of a guest's node: zvm, nodelist and (with an ip) hosts."""
    if not guest.node:
        return
    node = guest.node
    for name in ("zvm", "nodelist", "hosts"):
        tables[name].delete({"node": node})
    tables["zvm"].insert({"node": node, "hcp": hcp, "userid": guest.userid})
    tables["nodelist"].insert({"node": node, "groups": "all"})
    if ip:
        tables["hosts"].insert({"node": node, "ip": ip, "hostnames": node})


def _build_host(data: dict[str, Any], model: Model) -> None:
    """The ``system``, ``vmlan`` and ``options`` sections."""
    system = _section(data, "system", dict, {})
    _fields(system, {"name", "time", "ipl_time", "timezone", "version", "cp_gen_time",
                     "storage", "smapi_level", "ssi"}, "system")
    model.now = parse_time(_time(system.get("time", "2014-06-12 10:00:00"), "system.time"))
    model.system = System(
        name=_name(zvm_names.userid, system.get("name", "ZVMSYS1"), "system.name"),
        timezone=str(system.get("timezone", "EDT")),
        version=str(system.get("version", "z/VM 6.3.0")),
        cp_gen_time=_time(system.get("cp_gen_time", "2014-01-01 00:00:00"), "system.cp_gen_time"),
        storage=str(system.get("storage", "16G")),
        smapi_level=_int(system.get("smapi_level", 630), "system.smapi_level", 0, 9999),
        ipl_time=_time(system.get("ipl_time", "2014-06-11 01:38:37"), "system.ipl_time"),
        ssi=_name(zvm_names.userid, system["ssi"], "system.ssi") if system.get("ssi") else None)
    vmlan = _section(data, "vmlan", dict, {})
    _fields(vmlan, {"macprefix", "userprefix"}, "vmlan")
    model.vmlan = Vmlan(
        macprefix=_name(zvm_names.macid, str(vmlan.get("macprefix", "020000")),
                        "vmlan.macprefix"),
        userprefix=_name(zvm_names.macid, str(vmlan["userprefix"]), "vmlan.userprefix")
        if vmlan.get("userprefix") else None)
    options = _section(data, "options", dict, {})
    _fields(options, {"revoke_breaks_connections", "event_step_seconds"}, "options")
    model.options = Options(
        revoke_breaks_connections=bool(options.get("revoke_breaks_connections", False)),
        event_step_seconds=_int(options.get("event_step_seconds", 60),
                                "options.event_step_seconds", 0, 86400 * 365))


def _build_settings(data: dict[str, Any]) -> dict[str, Any]:
    """The ``xcat`` section: credentials, version, the MN's node and userid."""
    xcat = _section(data, "xcat", dict, {})
    _fields(xcat, {"username", "password", "version", "zvm_table", "master_ip", "node",
                   "userid"}, "xcat")
    zvm_table = str(xcat.get("zvm_table", "short"))
    if zvm_table not in ("short", "long"):
        raise ScenarioError("xcat.zvm_table: expected short or long")
    return {
        "username": str(xcat.get("username", "root")),
        "password": str(xcat.get("password", "cluster")),
        "version": str(xcat.get("version",
                                "Version 2.8.3.5 (built Mon Apr 27 10:50:11 EDT 2015)")),
        "xcat_node": str(xcat.get("node", "xcat")),
        "xcat_userid": _name(zvm_names.userid, xcat.get("userid", "XCAT"), "xcat.userid"),
        "zvm_table": zvm_table,
    }


def _build_zhcp(data: dict[str, Any], model: Model) -> str:
    """The ``zhcp`` section: the zHCP's node (returned) and userid (to the model)."""
    zhcp = _section(data, "zhcp", dict, {})
    _fields(zhcp, {"node", "userid"}, "zhcp")
    model.zhcp_userid = _name(zvm_names.userid, zhcp.get("userid", "ZHCP"), "zhcp.userid")
    return str(zhcp.get("node", "zhcp1"))


def _build_guests(data: dict[str, Any], model: Model, tables: Tables, zhcp_node: str,
                  required: dict[str, str]) -> None:
    """The ``guests`` section: guests, their node rows (``zvm.hcp`` = ``zhcp_node``), then
    the logons.  ``required``: node -> userid of the guests the system must have."""
    logon = []
    nodes = set()
    for n, spec in enumerate(_section(data, "guests", list, [])):
        guest, extra = build_guest(spec, f"guests[{n}]")
        if guest.userid in model.guests:
            raise ScenarioError(f"guests[{n}].userid: {guest.userid} is defined twice")
        if guest.node and (guest.node in nodes
                           or tables["nodelist"].matching({"node": guest.node})):
            raise ScenarioError(f"guests[{n}].node: {guest.node} is used twice")
        nodes.add(guest.node)
        macids = model.macids_in_use()
        for nicdef in guest.nicdefs.values():
            if nicdef.macid and nicdef.macid in macids:
                raise ScenarioError(f"guests[{n}].nicdefs: MACID {nicdef.macid} is used twice")
        model.guests[guest.userid] = guest
        add_guest_rows(tables, guest, zhcp_node, extra["ip"])
        if extra["logged_on"]:
            logon.append(guest.userid)
    for node, userid in required.items():
        found = model.guests.get(userid)
        if found is None or found.node != node:
            raise ScenarioError(f"guests: the {userid} guest (node {node}) is missing")
    for userid in logon:
        guest = model.guests[userid]
        events.logon(model, userid)
        guest.activation_time = model.system.ipl_time if guest.autolog else format_time(model.now)


def _insert_rows(data: dict[str, Any], tables: Tables) -> None:
    """The ``tables`` section: extra rows per xCAT table."""
    for name, rows in _section(data, "tables", dict, {}).items():
        table = tables.get(name)
        if table is None:
            raise ScenarioError(f"tables.{name}: unknown table")
        if not isinstance(rows, list):
            raise ScenarioError(f"tables.{name}: expected a list of rows")
        for n, row in enumerate(rows):
            if not isinstance(row, dict):
                raise ScenarioError(f"tables.{name}[{n}]: expected a mapping")
            unknown = sorted(set(row) - set(table.columns))
            if unknown:
                raise ScenarioError(f"tables.{name}[{n}]: unknown column {unknown[0]!r}")
            table.insert({k: None if v is None else str(v) for k, v in row.items()})


SYSTEM_SECTIONS = {"system", "vmlan", "options", "zhcp", "vswitches", "guests"}


def _build_system(data: dict[str, Any], tables: Tables, settings: dict[str, Any],
                  lock: threading.RLock, others: dict[str, Model]) -> tuple[str, Model]:
    """One z/VM system: its zHCP node and model; its guests' rows go to ``tables``.
    The first (no ``others``) is the one the xCAT MN's guest runs on."""
    model = Model(lock)
    _build_host(data, model)
    model.xcat_userid = settings["xcat_userid"]
    zhcp_node = _build_zhcp(data, model)
    if zhcp_node in others:
        raise ScenarioError(f"zhcp.node: {zhcp_node} manages another system")
    if model.system.name in {m.system.name for m in others.values()}:
        raise ScenarioError(f"system.name: {model.system.name} is used twice")
    for n, spec in enumerate(_section(data, "vswitches", list, [])):
        vswitch = build_vswitch(spec, f"vswitches[{n}]", model)
        if vswitch.name in model.vswitches:
            raise ScenarioError(f"vswitches[{n}].name: {vswitch.name} is defined twice")
        model.vswitches[vswitch.name] = vswitch
    required = {zhcp_node: model.zhcp_userid}
    if not others:
        required[settings["xcat_node"]] = model.xcat_userid
    _build_guests(data, model, tables, zhcp_node, required)
    model.touch()
    return zhcp_node, model


def build(data: dict[str, Any], lock: threading.RLock | None = None
          ) -> tuple[dict[str, Model], Tables, dict[str, Any]]:
    """The z/VM systems of a scenario by zHCP node (the MN's, described at the top
    level, first; then ``systems``), the xCAT tables they share and the xCAT settings.

    One xCAT MN manages every system, each through its own zHCP; node names are
    unique across them (they share the tables), userids need not be.
    """
    _fields(data, SYSTEM_SECTIONS | {"xcat", "tables", "systems"}, "scenario")
    lock = lock or threading.RLock()
    settings = _build_settings(data)
    tables = Tables(zvm_columns=settings["zvm_table"])
    tables["passwd"].insert({"key": "xcat", "username": settings["username"],
                             "password": settings["password"]})
    node, model = _build_system(data, tables, settings, lock, {})
    systems = {node: model}
    for n, spec in enumerate(_section(data, "systems", list, [])):
        where = f"systems[{n}]"
        if not isinstance(spec, dict):
            raise ScenarioError(f"{where}: expected a mapping")
        try:
            _fields(spec, SYSTEM_SECTIONS, where)
            node, model = _build_system(spec, tables, settings, lock, systems)
        except ScenarioError as exc:
            message = str(exc)
            raise ScenarioError(message if message.startswith(where) else f"{where}.{message}"
                                ) from None
        systems[node] = model
    settings["zhcp_node"] = next(iter(systems))
    _build_ssi(list(systems.values()))
    _insert_rows(data, tables)
    return systems, tables, settings


def _system_key(index: int, key: str) -> str:
    """The scenario key of the ``index``-th system's ``key`` (0: the top level)."""
    return key if index == 0 else f"systems[{index - 1}].{key}"


def _check_ssi_vmlan(models: list[Model]) -> None:
    """The VMLAN rule of an SSI cluster (z/VM CP Planning and Administration, "VMLAN
    statement": in an SSI, MACPREFIX must be unique per member and USERPREFIX the
    same on every member, so that CP-assigned MACs never clash and a MACID moves
    with a relocated guest)."""
    first: dict[str, tuple[int, Model]] = {}
    for index, model in enumerate(models):
        name = model.system.ssi
        if not name:
            continue
        if name not in first:
            first[name] = (index, model)
            continue
        members = [m for m in models[:index] if m.system.ssi == name]
        for other in members:
            if other.vmlan.macprefix == model.vmlan.macprefix:
                raise ScenarioError(
                    f"{_system_key(index, 'vmlan.macprefix')}: {model.vmlan.macprefix} is "
                    f"also the MACPREFIX of {other.system.name}; the members of SSI {name} "
                    f"need different ones")
        lead = first[name][1]
        if lead.vmlan.userprefix != model.vmlan.userprefix:
            raise ScenarioError(
                f"{_system_key(index, 'vmlan.userprefix')}: {model.vmlan.userprefix} differs "
                f"from {lead.system.name}'s {lead.vmlan.userprefix}; the members of SSI "
                f"{name} need the same USERPREFIX")


def _build_ssi(models: list[Model]) -> None:
    """SSI clusters (``system.ssi``): a userid defined on one member only becomes a
    single-configuration virtual machine on every member (one shared directory)."""
    _check_ssi_vmlan(models)
    link_ssi(models)
    for model in models:
        ssi = model.ssi
        if ssi is None:
            continue
        for userid in sorted(model.guests):
            guest = model.guests[userid]
            if guest.ssi_home is None and not any(userid in m.guests for m in ssi.others(model)):
                ssi.shadow(model, guest)
