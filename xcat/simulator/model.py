"""The z/VM host model behind the simulator (reference zvm-smapi.md §7).

Plain data: the system (IPL time, version, VMLAN prefixes), vswitches with
their grants, the SYSTEM CONFIG copy that survives an IPL, and guests with
their directory NICDEFs and active NICs.  Behaviour lives elsewhere
(``smcli``, ``vmcp``, ``events``); this module only holds state, derives a
few facts from it (connections, MAC addresses, authorization) and converts it
to and from JSON-able dicts for ``--state`` files and ``/_sim/state``.

Times are simulated: ``Model.now`` starts at the scenario's ``system.time``
and moves only when events advance it, so the same scenario and seed always
print the same times.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text.strip(), TIME_FORMAT)


def format_time(value: dt.datetime) -> str:
    return value.strftime(TIME_FORMAT)


def format_mac(mac: str, separator: str = "-") -> str:
    """12 hex digits as CP and SMAPI print a MAC address: ``02-00-00-00-00-01``."""
    return separator.join(mac[i:i + 2] for i in range(0, 12, 2))


@dataclass
class Vmlan:
    """SYSTEM CONFIG ``VMLAN MACPREFIX x USERPREFIX y``; CP assigns system MACIDs."""
    macprefix: str = "020000"
    userprefix: str | None = None
    next_system_macid: int = 1


class CouplingRefused(Exception):
    """A NIC may not couple to a vswitch (not authorized, or no usable port)."""


@dataclass
class System:
    name: str = "ZVMSYS1"              # the system identifier (SYSTEM_IDENTIFIER_DEFAULT)
    timezone: str = "EDT"
    version: str = "z/VM 6.3.0"
    cp_gen_time: str = "2014-01-01 00:00:00"
    storage: str = "16G"
    smapi_level: int = 630
    ipl_time: str = "2014-06-11 01:38:37"
    ssi: str | None = None             # the SSI cluster this system is a member of


@dataclass
class Grant:
    """One access-list entry: porttype None means the vswitch default."""
    porttype: str | None = None
    vlans: list[str] = field(default_factory=list)  # "100" or "10-12"
    promiscuous: bool = False


@dataclass
class Port:
    """A port of a PORTBASED vswitch (SET VSWITCH ... PORTNUMBER n USERID u)."""
    userid: str
    porttype: str | None = None
    vlans: list[str] = field(default_factory=list)


@dataclass
class Rdev:
    address: str                 # 4 upper-case hex digits, optionally ".Pn"
    controller: str = "DTCVSW1"
    portname: str = ""
    status: int = 1              # 0 not active, 1 active, 2 backup
    error: int = 0


@dataclass
class Vswitch:
    name: str
    transport: str = "ETHERNET"        # ETHERNET | IP
    vlan_aware: bool = False
    default_vid: int = 0               # 0 when VLAN UNAWARE
    native_vid: int = 1
    porttype: str = "ACCESS"
    gvrp: bool = False
    queue_mem: int = 8
    routing: str | None = None         # NONROUTER | PRIROUTER | None
    controller: str = "*"
    connection: str = "CONNECT"        # CONNECT | DISCONNECT | NOUPLINK
    rdevs: list[Rdev] = field(default_factory=list)
    user_based: bool = True
    vswitch_type: str = "QDIO"
    iptimeout: int = 5
    macid: int = 0
    persistent: bool = False           # defined in SYSTEM CONFIG
    grants: dict[str, Grant] = field(default_factory=dict)
    ports: dict[int, Port] = field(default_factory=dict)

    @property
    def status(self) -> int:
        """SMAPI switch status: 8 OSA device ready, 1 defined (no uplink/disconnected)."""
        if self.rdevs and self.connection == "CONNECT":
            return 8
        return 1

    def definition(self) -> dict[str, Any]:
        """The attributes SYSTEM CONFIG keeps (everything except access lists)."""
        data = _to_dict(self)
        data.pop("grants")
        data.pop("ports")
        return data


@dataclass
class NicDef:
    """A directory NICDEF statement (applied at the next LOGON)."""
    vdev: str
    type: str = "QDIO"                 # QDIO | HIPERS
    devices: int = 3
    lan_owner: str | None = None
    lan_name: str | None = None
    macid: str | None = None
    chpid: str | None = None
    vlan: str | None = None
    porttype: str | None = None
    portnumber: int | None = None      # the port of a PORTBASED vswitch to couple to

    def statement(self) -> str:
        """``NICDEF 1000 TYPE QDIO LAN SYSTEM VSW2 MACID 0E4E8E`` as Image_Query_DM shows it."""
        words = ["NICDEF", self.vdev, "TYPE", self.type]
        if self.devices != 3:
            words += ["DEVICES", str(self.devices)]
        if self.lan_name:
            words += ["LAN", self.lan_owner or "SYSTEM", self.lan_name]
        if self.chpid:
            words += ["CHPID", self.chpid]
        if self.macid:
            words += ["MACID", self.macid]
        if self.vlan:
            words += ["VLAN", self.vlan]
        if self.porttype:
            words += ["PORTTYPE", self.porttype]
        if self.portnumber:
            words += ["PORTNUMBER", str(self.portnumber)]
        return " ".join(words)

    def keywords(self) -> str:
        """The Image_Definition_Query_DM keyword form of the statement."""
        words = [f"NICDEF=VDEV={self.vdev}", f"TYPE={self.type}"]
        if self.devices != 3:
            words.append(f"DEVICES={self.devices}")
        if self.lan_name:
            words += [f"LAN={self.lan_owner or 'SYSTEM'}", f"SWITCHNAME={self.lan_name}"]
        if self.chpid:
            words.append(f"CHPID={self.chpid}")
        if self.macid:
            words.append(f"MACID={self.macid}")
        if self.vlan:
            words.append(f"VLAN={self.vlan}")
        if self.porttype:
            words.append(f"PORTTYPE={self.porttype}")
        if self.portnumber:
            words.append(f"PORTNUMBER={self.portnumber}")
        return " ".join(words)


@dataclass
class ActiveNic:
    """A NIC of a logged-on guest (CP state, lost at LOGOFF)."""
    vdev: str
    type: str = "QDIO"
    devices: int = 3
    mac: str = "000000000000"          # 12 upper-case hex digits
    coupled_to: str | None = None      # vswitch name
    from_directory: bool = True
    port: int | None = None            # its port when coupled to a PORTBASED vswitch
    # What the guest's Linux configured on the interface (``ip``):
    # [{"local": "10.9.0.1/16", "broadcast": "10.9.255.255" | None}], link state.
    addresses: list[dict[str, Any]] = field(default_factory=list)
    link_up: bool = False
    # Its CCW devices grouped and online in Linux (an interface exists).  NICs of the
    # directory come up with the guest; one defined live stays offline until
    # ``znetconf -a`` (xcat/simulator/znetconf.py).
    online: bool = True


@dataclass
class Guest:
    userid: str
    node: str | None = None
    password: str = "XXXXXXXX"
    storage: str = "2048M"
    max_storage: str = "2048M"
    privilege: str = "G"
    statements: list[str] = field(default_factory=lambda: [
        "INCLUDE OSDFLT", "CPU 00 BASE", "IPL 0100", "MACHINE ESA 2"])
    mdisks: list[str] = field(default_factory=lambda: ["MDISK 0100 3390 0001 3338 VOL001 MR"])
    nicdefs: dict[str, NicDef] = field(default_factory=dict)
    locked: bool = False
    autolog: bool = False
    logged_on: bool = False
    activation_time: str | None = None
    active_nics: dict[str, ActiveNic] = field(default_factory=dict)
    # In an SSI cluster: the member whose scenario (or control call) defined this
    # single-configuration virtual machine; None for a multiconfiguration one and
    # outside a cluster.  Every member has a Guest of the userid sharing one directory.
    ssi_home: str | None = None

    def directory(self) -> list[str]:
        """The directory entry records, as Image_Query_DM prints them."""
        lines = [f"USER {self.userid} {self.password} {self.storage} {self.max_storage} "
                 f"{self.privilege}"]
        lines += self.statements
        lines += [self.nicdefs[v].statement() for v in sorted(self.nicdefs)]
        lines += self.mdisks
        return lines


@dataclass
class SystemConfig:
    """What SYSTEM CONFIG replays at IPL: DEFINE VSWITCH and MODIFY VSWITCH GRANT."""
    vswitches: dict[str, dict[str, Any]] = field(default_factory=dict)
    grants: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Options:
    """Behaviour switches a scenario may set."""
    # SMAPI's help says revoke keeps existing connections; the anchor agent
    # assumes it uncouples.  Default: keep (the documented behaviour).
    revoke_breaks_connections: bool = False
    # Seconds the simulated clock moves for each event without an explicit time.
    event_step_seconds: int = 60


class Ssi:
    """An SSI cluster: its name and its member systems by system name.

    The members share one user directory.  A userid defined on one member is a
    *single-configuration* virtual machine: each member holds a Guest of it, all
    sharing the directory objects (``nicdefs``, ``statements``, ``mdisks``), each
    with its own CP state (``logged_on``, ``active_nics``); it is logged on on one
    member at most.  A userid defined on several members (like each member's zHCP)
    is a *multiconfiguration* virtual machine: separate entries, nothing shared,
    and it cannot be relocated.
    """

    def __init__(self, name: str, members: dict[str, Model]):
        self.name = name
        self.members = members

    def others(self, model: Model) -> list[Model]:
        return [m for m in self.members.values() if m is not model]

    def shadow(self, model: Model, guest: Guest) -> None:
        """Make ``guest`` (just defined on ``model``) a single-configuration virtual
        machine: a copy of it on every other member, sharing its directory."""
        guest.ssi_home = model.system.name
        for other in self.others(model):
            other.guests[guest.userid] = shadow_of(guest)
            other.touch()

    def make_multiconfiguration(self, userid: str) -> None:
        """End the sharing of single-configuration ``userid``: the member that defined
        it keeps its Guest (now multiconfiguration), the other members' copies go."""
        for member in self.members.values():
            guest = member.guests.get(userid)
            if guest is None:
                continue
            if member.system.name == guest.ssi_home:
                guest.ssi_home = None
            else:
                del member.guests[userid]
            member.touch()

    def logged_on_at(self, userid: str) -> Model | None:
        """The member where ``userid`` is logged on (the first, for a multiconfiguration one)."""
        for member in self.members.values():
            guest = member.guest(userid)
            if guest is not None and guest.logged_on:
                return member
        return None

    def relink(self) -> None:
        """Share each single-configuration virtual machine's directory again (after
        :meth:`Model.load_dict` made every Guest separate)."""
        for member in self.members.values():
            for guest in member.guests.values():
                home = self.members.get(guest.ssi_home or "")
                source = home.guests.get(guest.userid) if home is not None else None
                if source is not None and source is not guest:
                    share_directory(source, guest)


def shadow_of(guest: Guest) -> Guest:
    """Another member's Guest of a single-configuration virtual machine: the same
    directory objects, its own CP state (logged off).  AUTOLOG is per member (the
    AUTOLOG1 PROFILE EXEC, SYSTEM CONFIG), not in the directory: a copy has none."""
    copy_ = Guest(userid=guest.userid, node=guest.node, password=guest.password,
                  storage=guest.storage, max_storage=guest.max_storage,
                  privilege=guest.privilege, locked=guest.locked, autolog=False,
                  ssi_home=guest.ssi_home)
    share_directory(guest, copy_)
    return copy_


def share_directory(source: Guest, target: Guest) -> None:
    target.nicdefs = source.nicdefs
    target.statements = source.statements
    target.mdisks = source.mdisks


def link_ssi(systems: list[Model]) -> None:
    """Group the systems into their SSI clusters (``system.ssi``) and re-share the
    directories of their single-configuration virtual machines."""
    clusters: dict[str, dict[str, Model]] = {}
    for model in systems:
        model.ssi = None
        if model.system.ssi:
            clusters.setdefault(model.system.ssi, {})[model.system.name] = model
    for name, members in clusters.items():
        ssi = Ssi(name, members)
        for model in members.values():
            model.ssi = ssi
        ssi.relink()


class Model:
    """One z/VM system.  Callers hold ``lock`` around reads and writes; the systems of
    one simulator share one lock (they share the xCAT tables)."""

    def __init__(self, lock: threading.RLock | None = None) -> None:
        self.lock = lock or threading.RLock()
        self.now = parse_time("2014-06-12 10:00:00")
        self.system = System()
        self.vmlan = Vmlan()
        self.options = Options()
        self.vswitches: dict[str, Vswitch] = {}
        self.config = SystemConfig()
        self.guests: dict[str, Guest] = {}
        self.zhcp_userid = "ZHCP"
        self.xcat_userid = "XCAT"
        self.ssi: Ssi | None = None        # set by link_ssi (not persisted: system.ssi is)
        self.version = 0

    # ----------------------------------------------------------------- changes
    def touch(self) -> None:
        """Record a change (persistence saves when the version moved)."""
        self.version += 1

    def advance(self, seconds: int | None = None, at: str | None = None) -> str:
        """Move the simulated clock forward and return the new time."""
        if at is not None:
            target = parse_time(at)
            if target > self.now:
                self.now = target
        else:
            step = self.options.event_step_seconds if seconds is None else seconds
            self.now += dt.timedelta(seconds=max(0, int(step)))
        self.touch()
        return format_time(self.now)

    # ----------------------------------------------------------------- derived
    def guest(self, userid: str) -> Guest | None:
        return self.guests.get(userid.upper())

    def guest_by_node(self, node: str) -> Guest | None:
        for guest in self.guests.values():
            if guest.node == node:
                return guest
        return None

    def connections(self, vswitch: str) -> list[tuple[str, ActiveNic]]:
        """Active NICs coupled to ``vswitch``, ordered by owner and vdev."""
        found = []
        for userid in sorted(self.guests):
            guest = self.guests[userid]
            for vdev in sorted(guest.active_nics):
                nic = guest.active_nics[vdev]
                if nic.coupled_to == vswitch:
                    found.append((userid, nic))
        return found

    def coupling_port(self, userid: str, vswitch: Vswitch, chosen: int | None = None) -> int | None:
        """The port a NIC of ``userid`` couples to, or None for a user-based coupling.

        On a PORTBASED vswitch the port is ``chosen`` (it must be configured
        for ``userid`` and not in use), else the lowest such port; a user with
        an access-list grant (both styles mixed) couples without a port when
        none is chosen.  Simulator choice where CP's exact rule is unverified.
        Raises :class:`CouplingRefused` when the user may not couple.
        """
        if vswitch.user_based or (chosen is None and userid in vswitch.grants):
            if not self.authorized(userid, vswitch):
                raise CouplingRefused(f"{userid} is not authorized for {vswitch.name}")
            return None
        used = {nic.port for _owner, nic in self.connections(vswitch.name)}
        for number in ([chosen] if chosen is not None else sorted(vswitch.ports)):
            port = vswitch.ports.get(number)
            if port is not None and port.userid == userid and number not in used:
                return number
        raise CouplingRefused(f"no free port of {vswitch.name} is configured for {userid}")

    def authorized(self, userid: str, vswitch: Vswitch) -> bool:
        if userid in vswitch.grants:
            return True
        return any(port.userid == userid for port in vswitch.ports.values())

    def macids_in_use(self, exclude: tuple[str, str] | None = None) -> set[str]:
        """Directory MACIDs of every guest (``exclude`` = (userid, vdev) being replaced)."""
        used = set()
        for guest in self.guests.values():
            for nicdef in guest.nicdefs.values():
                if nicdef.macid and (guest.userid, nicdef.vdev) != exclude:
                    used.add(nicdef.macid)
        return used

    def nic_mac(self, nicdef: NicDef | None) -> str:
        """The MAC CP gives a NIC: USERPREFIX+MACID for a directory MACID, else
        MACPREFIX + the next system MACID."""
        if nicdef is not None and nicdef.macid:
            return (self.vmlan.userprefix or self.vmlan.macprefix) + nicdef.macid
        macid = self.vmlan.next_system_macid
        self.vmlan.next_system_macid = macid + 1
        return self.vmlan.macprefix + format(macid, "06X")

    def next_vswitch_macid(self) -> int:
        mac = self.nic_mac(None)
        return int(mac, 16)

    # ------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        return {
            "now": format_time(self.now),
            "system": _to_dict(self.system),
            "vmlan": _to_dict(self.vmlan),
            "options": _to_dict(self.options),
            "zhcp_userid": self.zhcp_userid,
            "xcat_userid": self.xcat_userid,
            "vswitches": {name: _to_dict(v) for name, v in sorted(self.vswitches.items())},
            "system_config": copy.deepcopy(_to_dict(self.config)),
            "guests": {uid: _to_dict(g) for uid, g in sorted(self.guests.items())},
        }

    def load_dict(self, data: dict[str, Any]) -> None:
        """Replace the whole state with a :meth:`to_dict` snapshot."""
        self.now = parse_time(data["now"])
        self.system = System(**data["system"])
        self.vmlan = Vmlan(**data["vmlan"])
        self.options = Options(**data.get("options", {}))
        self.zhcp_userid = data["zhcp_userid"]
        self.xcat_userid = data["xcat_userid"]
        self.vswitches = {name: vswitch_from_dict(v) for name, v in data["vswitches"].items()}
        config = data.get("system_config", {})
        self.config = SystemConfig(vswitches=copy.deepcopy(config.get("vswitches", {})),
                                   grants=copy.deepcopy(config.get("grants", {})))
        self.guests = {uid: guest_from_dict(g) for uid, g in data["guests"].items()}
        self.touch()


def _to_dict(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _to_dict(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_dict(v) for v in obj]
    return obj


def vswitch_from_dict(data: dict[str, Any]) -> Vswitch:
    data = dict(data)
    rdevs = [Rdev(**r) for r in data.pop("rdevs", [])]
    grants = {u: Grant(**g) for u, g in data.pop("grants", {}).items()}
    ports = {int(n): Port(**p) for n, p in data.pop("ports", {}).items()}
    return Vswitch(rdevs=rdevs, grants=grants, ports=ports, **data)


def guest_from_dict(data: dict[str, Any]) -> Guest:
    data = dict(data)
    nicdefs = {v: NicDef(**n) for v, n in data.pop("nicdefs", {}).items()}
    active = {v: ActiveNic(**n) for v, n in data.pop("active_nics", {}).items()}
    return Guest(nicdefs=nicdefs, active_nics=active, **data)

