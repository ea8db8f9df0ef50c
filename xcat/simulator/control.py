"""The control plane under ``/_sim/`` (JSON in, JSON out, no authentication:
listen on loopback).

```
GET    /_sim/health                  {"ok": true, "version": N}
GET    /_sim/state                   the whole model, tables and node files
POST   /_sim/reset                   back to the scenario; faults cleared, counters reset
POST   /_sim/guests                  {"userid", "node", "ip", "logged_on", "autolog", "nicdefs",
                                      "hcp"}: a guest of the system that zHCP manages
DELETE /_sim/guests/<USERID>         the guest and its node's rows (body {"system": <zHCP
                                     node>} when several systems have the userid)
POST   /_sim/nodes                   {"node", "userid", "hcp", "ip"}: xCAT node rows only
DELETE /_sim/nodes/<node>            zvm, nodelist, hosts, mac and switch rows of the node
POST   /_sim/tables/<table>          {"rows": [{column: value}]}: rows straight into the xCAT
                                     database, any strings (as chtab or a DB tool may leave
                                     them; xCAT table contents are untrusted input)
POST   /_sim/vswitches               a scenario vswitch ({"name", "vlan_aware", "grants"...,
                                      "system": <zHCP node>})
DELETE /_sim/vswitches/<NAME>        (body {"system": <zHCP node>}: not the MN's system)
POST   /_sim/events                  {"event": "logon|logoff|ipl|xcat_restart|advance",
                                      "userid", "at": "YYYY-MM-DD HH:MM:SS", "seconds",
                                      "system": <zHCP node>}
POST   /_sim/events/<event>          the same, event in the path
GET    /_sim/faults                  POST merges a fault spec (see faults.py); DELETE clears
GET    /_sim/counters                POST /_sim/counters/reset or DELETE resets
```
Errors are ``{"error": "<message>"}`` with 400 (bad input), 404 or 405.

In an SSI cluster a guest added to one member is a single-configuration virtual
machine: every member gets it (one shared directory; logged on only where added),
and removing it removes it from every member.  Adding a userid that another member
defined as single-configuration (and that is not running here) makes it a
multiconfiguration virtual machine, as a directory IDENTITY with a SUBCONFIG per
member would: the defining member keeps its entry, this member gets the new one,
nothing is shared any more (and it can no longer be relocated).  Without ``system``
a guest event or removal finds a single-configuration guest where it is logged on,
else where it was defined.
Relocation has no control resource: it goes through smcli ``VMRELOCATE`` or xCAT
``PUT /xcatws/nodes/<node>/migrate``.

``system`` names a z/VM system by the node of its zHCP; without it, the
system of the xCAT MN (or, for a guest, the one system that has the userid).
An IPL, an ``advance`` or a fault of one system leaves the others as they are.
"""
from __future__ import annotations

import json
from typing import Any

from xcat.simulator import events, scenario
from xcat.simulator.core import Simulator
from xcat.simulator.faults import FaultError
from xcat.simulator.model import Model
from xcat.simulator.rest import HttpError, Reply

PREFIX = "/_sim"


def _json(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data, sort_keys=True).encode("utf-8"))


def _body(raw: bytes) -> Any:
    if not raw:
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise HttpError(400, json.dumps({"error": "the body is not JSON"}),
                        "application/json") from None


def _bad(message: str, status: int = 400) -> HttpError:
    return HttpError(status, json.dumps({"error": message}), "application/json")


def _system_key(data: Any) -> Any:
    """The ``system`` of an optional JSON object body (DELETE)."""
    return data.get("system") if isinstance(data, dict) else None


class Control:
    def __init__(self, sim: Simulator):
        self.sim = sim

    def handle(self, method: str, path: str, raw: bytes) -> Reply:
        parts = [p for p in path[len(PREFIX):].split("/") if p]
        if not parts:
            raise _bad("no such control resource", 404)
        resource, rest = parts[0], parts[1:]
        handler = getattr(self, f"_{resource}", None)
        if handler is None:
            raise _bad(f"no such control resource: {resource}", 404)
        try:
            return handler(method, rest, _body(raw) if method in ("POST", "PUT", "DELETE") else {})
        except (scenario.ScenarioError, events.EventError, FaultError) as exc:
            raise _bad(str(exc)) from None

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise _bad(f"method {method} is not allowed here", 405)

    def _health(self, method: str, rest: list[str], _data: Any) -> Reply:
        self._allow(method, "GET")
        return _json(200, {"ok": True, "version": self.sim.version})

    def _state(self, method: str, rest: list[str], _data: Any) -> Reply:
        self._allow(method, "GET")
        return _json(200, self.sim.state())

    def _reset(self, method: str, rest: list[str], _data: Any) -> Reply:
        self._allow(method, "POST")
        sim = self.sim
        with sim.lock:
            sim.load_scenario(sim.scenario_data)
        sim.faults.clear()
        sim.counters.reset()
        return _json(200, {"ok": True})

    def _system(self, zhcp_node: Any) -> Model:
        """The system a ``system`` (or ``hcp``) value names; the MN's when None."""
        if zhcp_node is None:
            return self.sim.model
        if not isinstance(zhcp_node, str) or zhcp_node not in self.sim.systems:
            raise _bad(f"system: no z/VM system is managed by zHCP {zhcp_node!r}; "
                       f"expected one of {', '.join(self.sim.systems)}")
        return self.sim.systems[zhcp_node]

    def _system_with(self, userid: str, zhcp_node: Any) -> Model:
        """The system holding guest ``userid``: the one named, else the only one."""
        if zhcp_node is not None:
            return self._system(zhcp_node)
        holders = [m for m in self.sim.systems.values() if userid.upper() in m.guests]
        if len(holders) > 1:
            chosen = self._single_configuration_system(userid.upper(), holders)
            if chosen is not None:
                return chosen
            raise _bad(f"guest {userid.upper()} exists on several z/VM systems; name one "
                       f"with system=<zHCP node>")
        return holders[0] if holders else self.sim.model

    @staticmethod
    def _running_only_at_home(model: Model, userid: str) -> bool:
        """Whether single-configuration ``userid`` is logged off or runs where defined."""
        running = model.ssi.logged_on_at(userid) if model.ssi is not None else None
        return running is None or running.guests[userid].ssi_home == running.system.name

    @staticmethod
    def _single_configuration_system(userid: str, holders: list[Model]) -> Model | None:
        """For a single-configuration guest of one SSI cluster: the member it is logged
        on at, else the member that defined it; None for any other userid."""
        guests = [m.guests[userid] for m in holders]
        homes = {g.ssi_home for g in guests}
        if len(homes) != 1 or None in homes:
            return None
        for model, guest in zip(holders, guests, strict=True):
            if guest.logged_on:
                return model
        return next((m for m in holders if m.system.name in homes), None)

    def _guests(self, method: str, rest: list[str], data: Any) -> Reply:
        if method == "POST" and not rest:
            return self._add_guest(data)
        if method == "DELETE" and len(rest) == 1:
            return self._remove_guest(rest[0].upper(), _system_key(data))
        raise _bad(f"method {method} is not allowed here", 405)

    def _add_guest(self, data: Any) -> Reply:
        sim = self.sim
        if not isinstance(data, dict):
            raise _bad("expected a JSON object")
        hcp = data.pop("hcp", sim.zhcp_node)
        model = self._system(hcp)
        guest, extra = scenario.build_guest(data, "guest")
        with sim.lock:
            existing = model.guests.get(guest.userid)
            # another member's single-configuration guest, not running here: the new
            # definition makes the userid multiconfiguration (an entry per member)
            split = (existing is not None and model.ssi is not None and not existing.logged_on
                     and existing.ssi_home not in (None, model.system.name)
                     and self._running_only_at_home(model, existing.userid))
            if existing is not None and not split:
                raise _bad(f"guest {guest.userid} already exists")
            if guest.node and sim.node_exists(guest.node):
                raise _bad(f"node {guest.node} already exists")
            used = {n.macid for g in model.guests.values() if g is not existing
                    for n in g.nicdefs.values() if n.macid}
            clash = [n.macid for n in guest.nicdefs.values() if n.macid in used]
            if clash:
                raise _bad(f"MACID {clash[0]} is already in use")
            if model.ssi is not None and split:
                model.ssi.make_multiconfiguration(guest.userid)
            model.guests[guest.userid] = guest
            if model.ssi is not None and not split:   # one directory: on every member
                model.ssi.shadow(model, guest)
            scenario.add_guest_rows(sim.tables, guest, hcp, extra["ip"])
            if extra["logged_on"]:
                events.logon(model, guest.userid)
            model.touch()
        return _json(201, {"userid": guest.userid, "node": guest.node})

    def _remove_guest(self, userid: str, zhcp_node: Any) -> Reply:
        sim = self.sim
        with sim.lock:
            model = self._system_with(userid, zhcp_node)
            guest = model.guests.pop(userid, None)
            if guest is None:
                raise _bad(f"guest {userid} does not exist", 404)
            if userid in (model.xcat_userid, model.zhcp_userid):
                model.guests[userid] = guest
                raise _bad(f"guest {userid} is the xCAT MN or zHCP and cannot be removed")
            members = [model]
            if model.ssi is not None and guest.ssi_home is not None:
                # a single-configuration guest leaves the shared directory: every member
                members += model.ssi.others(model)
                for other in members[1:]:
                    other.guests.pop(userid, None)
                    other.touch()
            for member in members:
                for vsw in member.vswitches.values():
                    vsw.grants.pop(userid, None)
            if guest.node:
                self._remove_node_rows(guest.node)
            model.touch()
        return _json(200, {"userid": userid, "removed": True})

    def _remove_node_rows(self, node: str) -> None:
        for table in ("zvm", "nodelist", "hosts", "mac", "switch"):
            self.sim.tables[table].delete({"node": node})
        self.sim.files.pop(node, None)

    def _nodes(self, method: str, rest: list[str], data: Any) -> Reply:
        sim = self.sim
        if method == "POST" and not rest:
            if not isinstance(data, dict) or not isinstance(data.get("node"), str) \
                    or not data["node"] or any(c in data["node"] for c in " ,\"'=;&|/"):
                raise _bad("node: expected an xCAT node name")
            unknown = set(data) - {"node", "userid", "hcp", "ip"}
            if unknown:
                raise _bad(f"unknown key {sorted(unknown)[0]!r}")
            node = data["node"]
            with sim.lock:
                if sim.node_exists(node):
                    raise _bad(f"node {node} already exists")
                sim.tables["nodelist"].insert({"node": node, "groups": "all"})
                if data.get("userid") is not None or data.get("hcp") is not None:
                    sim.tables["zvm"].insert({"node": node,
                                              "hcp": data.get("hcp", sim.zhcp_node),
                                              "userid": data.get("userid")})
                if data.get("ip"):
                    sim.tables["hosts"].insert({"node": node, "ip": str(data["ip"]),
                                                "hostnames": node})
            return _json(201, {"node": node})
        if method == "DELETE" and len(rest) == 1:
            with sim.lock:
                if not sim.node_exists(rest[0]):
                    raise _bad(f"node {rest[0]} does not exist", 404)
                self._remove_node_rows(rest[0])
            return _json(200, {"node": rest[0], "removed": True})
        raise _bad(f"method {method} is not allowed here", 405)

    def _tables(self, method: str, rest: list[str], data: Any) -> Reply:
        self._allow(method, "POST")
        table = self.sim.tables.get(rest[0]) if len(rest) == 1 else None
        if table is None:
            raise _bad("no such table", 404)
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list) or not all(
                isinstance(row, dict) and set(row) <= set(table.columns)
                and all(v is None or isinstance(v, str) for v in row.values()) for row in rows):
            raise _bad(f"rows: expected a list of {{column: string}} of {rest[0]}'s columns")
        with self.sim.lock:
            for row in rows:
                table.insert(row)
        return _json(201, {"table": rest[0], "inserted": len(rows)})

    def _vswitches(self, method: str, rest: list[str], data: Any) -> Reply:
        sim = self.sim
        if method == "POST" and not rest:
            if not isinstance(data, dict):
                raise _bad("expected a JSON object")
            model = self._system(data.pop("system", None))
            with sim.lock:
                vswitch = scenario.build_vswitch(data, "vswitch", model)
                if vswitch.name in model.vswitches:
                    raise _bad(f"vswitch {vswitch.name} already exists")
                model.vswitches[vswitch.name] = vswitch
                model.touch()
            return _json(201, {"name": vswitch.name})
        if method == "DELETE" and len(rest) == 1:
            name = rest[0].upper()
            model = self._system(_system_key(data))
            with sim.lock:
                if model.vswitches.pop(name, None) is None:
                    raise _bad(f"vswitch {name} does not exist", 404)
                for _owner, nic in model.connections(name):
                    nic.coupled_to = None
                model.config.vswitches.pop(name, None)
                model.config.grants.pop(name, None)
                model.touch()
            return _json(200, {"name": name, "removed": True})
        raise _bad(f"method {method} is not allowed here", 405)

    def _events(self, method: str, rest: list[str], data: Any) -> Reply:
        self._allow(method, "POST")
        if not isinstance(data, dict):
            raise _bad("expected a JSON object")
        event = rest[0] if rest else data.get("event")
        userid = data.get("userid")
        if userid is not None and not isinstance(userid, str):
            raise _bad("userid: expected a string")
        unknown = set(data) - {"event", "userid", "at", "seconds", "system"}
        if unknown:
            raise _bad(f"unknown key {sorted(unknown)[0]!r}")
        seconds = data.get("seconds")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int)
                                    or seconds < 0):
            raise _bad("seconds: expected a non-negative integer")
        at = data.get("at")
        if at is not None:
            try:
                scenario.parse_time(str(at))
            except ValueError:
                raise _bad("at: expected 'YYYY-MM-DD HH:MM:SS'") from None
        with self.sim.lock:
            model = self._event_system(str(event), userid, data.get("system"))
            result = events.fire(model, str(event), userid=userid, at=at, seconds=seconds)
        if len(self.sim.systems) > 1:
            result["system"] = next(n for n, m in self.sim.systems.items() if m is model)
        return _json(200, result)

    def _event_system(self, event: str, userid: str | None, zhcp_node: Any) -> Model:
        """Where an event happens: a guest's system, the named one, or the MN's."""
        if event == "xcat_restart" and zhcp_node not in (None, self.sim.zhcp_node):
            raise _bad(f"system: the xCAT MN runs on the system of {self.sim.zhcp_node}")
        if userid is not None:
            return self._system_with(userid, zhcp_node)
        return self._system(zhcp_node)

    def _faults(self, method: str, rest: list[str], data: Any) -> Reply:
        faults = self.sim.faults
        if method == "GET":
            return _json(200, faults.to_dict())
        if method == "POST":
            return _json(200, faults.configure(data))
        if method == "DELETE":
            faults.clear()
            return _json(200, faults.to_dict())
        raise _bad(f"method {method} is not allowed here", 405)

    def _counters(self, method: str, rest: list[str], _data: Any) -> Reply:
        counters = self.sim.counters
        if method == "GET" and not rest:
            return _json(200, counters.snapshot())
        if (method == "POST" and rest == ["reset"]) or (method == "DELETE" and not rest):
            counters.reset()
            return _json(200, counters.snapshot())
        raise _bad(f"method {method} is not allowed here", 405)
