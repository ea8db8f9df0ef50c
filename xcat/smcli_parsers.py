"""Parsers of zHCP ``smcli`` and ``vmcp`` output (reference ``zvm-smapi.md`` §2–§4).

All parsers take the output as a list of lines with the dsh ``"<node>: "``
prefix already removed (:class:`xcat.envelope.CommandResult.stdout_lines`,
:class:`xcat.batch.CommandOutcome.stdout_lines`); indentation may be kept or
collapsed, both are accepted. They are pure functions returning dataclasses.

Failures: an output holding a SMAPI failure block (``Failed`` / ``Return
Code: n`` / ``Reason Code: n`` / ``Description: text``) makes every query
parser raise :class:`xcat.errors.SmapiError`; :func:`parse_failure` returns
the block's ``(rc, rs, description)`` or None, and :func:`check_action`
checks an action's ``... Done``. A CP error message (``HCPxxx000E``) from
``vmcp`` raises :class:`CpError`.

Parsers::

    parse_failure(lines) -> (rc, rs | None, description) | None
    check_action(function, lines, target=None) -> None        # raises SmapiError
    parse_vswitch_query(lines) -> list[VswitchInfo]
    parse_vswitch_query_extended(lines) -> list[VswitchExtended]
    query_extended_complete(exit_status, lines) -> bool
    parse_adapter_query(lines) -> list[AdapterInfo]
    parse_image_query_dm(lines) -> DirectoryEntry
    parse_image_definition_query_dm(lines) -> list[NicDef]
    parse_activate_time(lines) -> Activation
    parse_system_info(lines) -> SystemInfo
    parse_vmcp_query_nic(lines) -> list[VirtualNic]
    parse_vmcp_query_vmlan(lines) -> VmLan
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from xcat.errors import SmapiError, XcatError
from xcat.smcli import NicDef

_RC_RE = re.compile(r"^Return Code:\s*(-?\d+)\s*$")
_RS_RE = re.compile(r"^Reason Code:\s*(-?\d+)\s*$")
_DESC_RE = re.compile(r"^Description:\s*(.*)$")
_CP_MSG_RE = re.compile(r"^(HCP[A-Z]{3}\d{3,4})([EWIS])\s+(.*)$")


class CpError(XcatError):
    """A CP command (``vmcp``) answered with an error message ``HCPxxxnnnE``."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(f"CP error {code}: {message}")


def _clean(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines]


# -- failures -------------------------------------------------------------------------------------
def parse_failure(lines: list[str]) -> tuple[int, int | None, str] | None:
    """The ``(rc, rs, description)`` of a SMAPI failure block, or None when there is none."""
    rc = rs = None
    description = ""
    for line in _clean(lines):
        if rc is None:
            match = _RC_RE.match(line)
            if match:
                rc = int(match.group(1))
            continue
        match = _RS_RE.match(line)
        if match and rs is None:
            rs = int(match.group(1))
            continue
        match = _DESC_RE.match(line)
        if match:
            description = match.group(1).strip()
            break
    if rc is None:
        return None
    return rc, rs, description


def raise_for_failure(function: str, lines: list[str], target: str | None = None,
                      node: str | None = None) -> None:
    """Raise SmapiError when ``lines`` hold a failure block."""
    failure = parse_failure(lines)
    if failure is not None:
        rc, rs, description = failure
        raise SmapiError(function, rc, rs, description, target=target, node=node)


def check_action(function: str, lines: list[str], target: str | None = None,
                 node: str | None = None) -> None:
    """Check an action function's output: ``... Done`` or raise SmapiError."""
    raise_for_failure(function, lines, target, node)
    if not any(line.rstrip().endswith("Done") for line in lines):
        text = " | ".join(line.strip() for line in lines if line.strip()) or "no output"
        raise SmapiError(function, -1, None, f"unexpected output: {text[:200]}",
                         target=target, node=node)


def _label_value(line: str) -> tuple[str, str] | None:
    if ":" not in line:
        return None
    label, _, value = line.partition(":")
    return label.strip(), value.strip()


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else None


# -- Virtual_Network_Vswitch_Query ----------------------------------------------------------------
@dataclass
class RealDevice:
    address: str
    controller: str = ""
    port_name: str = ""
    status: str = ""
    error_status: str = ""
    vdev: str = ""


@dataclass
class Connection:
    owner: str
    vdev: str
    mac: str = ""
    adapter_type: str = ""


@dataclass
class VswitchInfo:
    """One vswitch of ``Virtual_Network_Vswitch_Query`` (no per-user VLANs there)."""

    name: str
    transport: str = ""
    port_type: str = ""
    queue_memory: int | None = None
    routing: str = ""
    vlan_id: int | None = None
    native_vlan: int | None = None
    mac_id: str = ""
    gvrp_request: str = ""
    gvrp_enabled: str = ""
    status: str = ""
    rdevs: list[RealDevice] = field(default_factory=list)
    authorized: list[str] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)

    @property
    def rdev_addresses(self) -> list[str]:
        return [d.address for d in self.rdevs]


_VSQ_FIELDS = {
    "Transport type": ("transport", str), "Port type": ("port_type", str),
    "Queue memory limit": ("queue_memory", _int_or_none), "Routing value": ("routing", str),
    "VLAN ID": ("vlan_id", _int_or_none), "Native VLAN ID": ("native_vlan", _int_or_none),
    "MAC ID": ("mac_id", str), "GVRP request attributes": ("gvrp_request", str),
    "GVRP enabled attributes": ("gvrp_enabled", str), "Switch status": ("status", str),
}
_VSQ_DEVICE = {"Controller name": "controller", "Port name": "port_name",
               "Device status": "status", "Device error status": "error_status"}
_CONN_RE = re.compile(r"^Adapter owner:\s*(\S+)\s+Device number:\s*(\S+)")


def parse_vswitch_query(lines: list[str]) -> list[VswitchInfo]:
    """Parse ``Virtual_Network_Vswitch_Query`` output (one block per vswitch)."""
    raise_for_failure("Virtual_Network_Vswitch_Query", lines)
    switches: list[VswitchInfo] = []
    current: VswitchInfo | None = None
    device: RealDevice | None = None
    for line in _clean(lines):
        if not line:
            device = None
            continue
        match = re.match(r"^VSWITCH:\s*Name:\s*(\S*)", line)
        if match:
            current = VswitchInfo(name=match.group(1).upper())
            switches.append(current)
            device = None
            continue
        if current is None:
            continue
        match = _CONN_RE.match(line)
        if match:
            current.connections.append(Connection(match.group(1).upper(), match.group(2).upper()))
            continue
        pair = _label_value(line)
        if pair is None:
            continue
        label, value = pair
        if label == "Real device":
            device = RealDevice(address=value.upper())
            current.rdevs.append(device)
        elif label in _VSQ_DEVICE and device is not None:
            setattr(device, _VSQ_DEVICE[label], value)
        elif label == "User":
            current.authorized.append(value.upper())
        elif label in _VSQ_FIELDS:
            attr, conv = _VSQ_FIELDS[label]
            setattr(current, attr, conv(value))
    return switches


# -- Virtual_Network_Vswitch_Query_Extended -------------------------------------------------------
@dataclass
class Grant:
    """An access-list entry: userid, VLANs as ``(low, high)`` spans, port type when shown."""

    userid: str
    port_num: int | None = None
    promiscuous: bool = False
    osd_sim: bool = False
    vlans: list[tuple[int, int]] = field(default_factory=list)
    port_type: str | None = None

    @property
    def vlan_ids(self) -> list[int]:
        return [v for low, high in self.vlans for v in range(low, high + 1)]


@dataclass
class VswitchExtended:
    """One vswitch of ``Virtual_Network_Vswitch_Query_Extended``."""

    name: str
    attributes: dict[str, str] = field(default_factory=dict)
    rdevs: list[RealDevice] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)

    @property
    def transport(self) -> str:
        return self.attributes.get("transport_type", "").upper()

    @property
    def vlan_aware(self) -> bool:
        return self.attributes.get("vlan_awareness", "").upper() == "AWARE"

    @property
    def vlan_id(self) -> int | None:
        return _int_or_none(self.attributes.get("vlan_id", ""))

    @property
    def native_vlan(self) -> int | None:
        return _int_or_none(self.attributes.get("native_vlan_id", ""))

    @property
    def port_type(self) -> str:
        return self.attributes.get("port_type", "").upper()

    @property
    def port_based(self) -> bool:
        return self.attributes.get("user_port_based", "").upper() == "PORTBASED"

    @property
    def status(self) -> int | None:
        return _int_or_none(self.attributes.get("switch_status", ""))

    def grant_for(self, userid: str) -> Grant | None:
        userid = userid.upper()
        return next((g for g in self.grants if g.userid == userid), None)


def _vlan_span(text: str) -> tuple[int, int] | None:
    text = text.strip()
    match = re.fullmatch(r"(\d+)(?:-(\d+))?", text)
    if not match:
        return None
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    return (low, high)


_NULL_FIELD_RE = re.compile(r"^Error (\w+) +is NULL!!$")

# A NULL field of a real_device_info_structure ends only that device's record.
_REAL_DEVICE_FIELDS = frozenset({"real_device_address", "virtual_device_address",
                                 "controller_name", "port_name", "device_status",
                                 "device_error_status"})


def query_extended_complete(exit_status: int | None, lines: list[str]) -> bool:
    """True when a ``Virtual_Network_Vswitch_Query_Extended`` output lists every
    vswitch, grant and adapter, even if zhcp exited 1.

    zhcp (smcliVirtual.c virtualNetworkVswitchQueryExtended, zVMopenstack/zhcp
    b6f01c6) prints ``Error <field> is NULL!!`` for a field SMAPI left empty and
    exits 1 without a failure block. For a real-device field it skips only that
    device's record and prints the rest; for a vswitch, grant, adapter or uplink
    field it leaves that loop, so the output lacks later grants or vswitches.
    """
    if exit_status == 0:
        return True
    if exit_status != 1 or parse_failure(lines) is not None:
        return False
    fields = [m.group(1) for m in map(_NULL_FIELD_RE.match, _clean(lines)) if m]
    return bool(fields) and all(name in _REAL_DEVICE_FIELDS for name in fields)


def parse_vswitch_query_extended(lines: list[str]) -> list[VswitchExtended]:
    """Parse ``Virtual_Network_Vswitch_Query_Extended`` output (``key: value`` lines)."""
    raise_for_failure("Virtual_Network_Vswitch_Query_Extended", lines)
    switches: list[VswitchExtended] = []
    cur: VswitchExtended | None = None
    section = "switch"
    device: RealDevice | None = None
    grant: Grant | None = None
    conn: Connection | None = None
    for line in _clean(lines):
        if not line:
            continue
        if ":" in line:
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
        else:  # "device_error_status 0" has no colon
            key, _, value = line.partition(" ")
            key, value = key.strip(), value.strip()
        if key == "switch_name":
            cur = VswitchExtended(name=value.upper())
            cur.attributes["switch_name"] = value.upper()
            switches.append(cur)
            section, device, grant, conn = "switch", None, None, None
            continue
        if cur is None:
            continue
        if key == "real_device_address":
            device = RealDevice(address=value.upper())
            cur.rdevs.append(device)
            section = "rdev"
        elif key == "port_num":
            grant = Grant(userid="", port_num=_int_or_none(value))
            section = "grant"
        elif key == "grant_userid":
            if grant is None or section != "grant" or grant.userid:
                grant = Grant(userid="")
            grant.userid = value.upper()
            cur.grants.append(grant)
            section = "grant"
        elif key == "adapter_owner":
            conn = Connection(owner=value.upper(), vdev="")
            cur.connections.append(conn)
            section = "conn"
        elif section == "rdev" and device is not None and key in (
                "virtual_device_address", "controller_name", "port_name", "device_status",
                "device_error_status"):
            attr = {"virtual_device_address": "vdev", "controller_name": "controller",
                    "port_name": "port_name", "device_status": "status",
                    "device_error_status": "error_status"}[key]
            setattr(device, attr, value.upper() if attr == "vdev" else value)
        elif section == "grant" and grant is not None:
            if key == "promiscuous_mode":
                grant.promiscuous = value.upper() == "PROM"
            elif key == "osd_sim":
                grant.osd_sim = value.upper() == "OSDSIM"
            elif key == "user_vlan_id":
                span = _vlan_span(value)
                if span and span != (0, 0):
                    grant.vlans.append(span)
            elif key == "port_type":
                grant.port_type = value.upper()
        elif section == "conn" and conn is not None:
            if key == "adapter_vdev":
                conn.vdev = value.upper()
            elif key == "adapter_macaddr":
                conn.mac = value.upper()
            elif key == "adapter_type":
                conn.adapter_type = value.upper()
        elif section == "switch":
            cur.attributes[key] = value
    for switch in switches:
        if not switch.vlan_aware:
            for grant_ in switch.grants:
                grant_.vlans = []
    return switches


# -- Virtual_Network_Adapter_Query ----------------------------------------------------------------
@dataclass
class AdapterInfo:
    vdev: str
    device_count: int | None = None
    adapter_type: str = ""
    status: str = ""
    lan_owner: str = ""
    lan_name: str = ""

    @property
    def coupled(self) -> bool:
        return bool(self.status) and self.status != "Not coupled"

    @property
    def vswitch(self) -> str | None:
        return self.lan_name.upper() if self.lan_owner.upper() == "SYSTEM" and self.lan_name \
            else None


def parse_adapter_query(lines: list[str]) -> list[AdapterInfo]:
    """Parse ``Virtual_Network_Adapter_Query`` (7 lines per adapter)."""
    raise_for_failure("Virtual_Network_Adapter_Query", lines)
    adapters: list[AdapterInfo] = []
    cur: AdapterInfo | None = None
    for line in _clean(lines):
        if line == "Adapter:":
            cur = AdapterInfo(vdev="")
            adapters.append(cur)
            continue
        pair = _label_value(line)
        if cur is None or pair is None:
            continue
        label, value = pair
        if label == "Address":
            cur.vdev = value.upper()
        elif label == "Device count":
            cur.device_count = _int_or_none(value)
        elif label == "Adapter type":
            cur.adapter_type = value
        elif label == "Adapter status":
            cur.status = value
        elif label == "LAN owner":
            cur.lan_owner = value
        elif label == "LAN name":
            cur.lan_name = value
    return adapters


# -- directory ------------------------------------------------------------------------------------
@dataclass
class DirectoryEntry:
    """A user directory entry from ``Image_Query_DM``: statements and merged NICDEFs."""

    userid: str
    statements: list[str] = field(default_factory=list)
    nicdefs: dict[str, NicDef] = field(default_factory=dict)


_NICDEF_OPTIONS = {"TYPE": 1, "DEVICES": 1, "LAN": 2, "MACID": 1, "CHPID": 1,
                   "VLAN": 1, "PORTTYPE": 1, "PORTNUMBER": 1}


def _merge_nicdef(existing: NicDef | None, vdev: str, options: dict[str, str]) -> NicDef:
    base = existing or NicDef(vdev=vdev)
    devices = options.get("DEVICES")
    kind = options.get("TYPE")
    return NicDef(
        vdev=vdev,
        adapter_type=("HIPERSOCKETS" if kind.upper().startswith("HIPER") else kind.upper())
        if kind else base.adapter_type,
        devices=int(devices) if devices and devices.isdigit() else base.devices,
        lan_owner=options["LAN_OWNER"].upper() if "LAN_OWNER" in options else base.lan_owner,
        lan_name=options["LAN_NAME"].upper() if "LAN_NAME" in options else base.lan_name,
        macid=options["MACID"].upper() if "MACID" in options else base.macid,
        chpid=options["CHPID"].upper() if "CHPID" in options else base.chpid,
        port_number=_int_or_none(options["PORTNUMBER"]) if "PORTNUMBER" in options
        else base.port_number,
    )


def _nicdef_words(words: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i].upper()
        width = _NICDEF_OPTIONS.get(word)
        if width is None:
            i += 1
            continue
        values = words[i + 1:i + 1 + width]
        if word == "LAN":
            if values:
                options["LAN_OWNER"] = values[0]
            if len(values) > 1:
                options["LAN_NAME"] = values[1]
        elif values:
            options[word] = values[0]
        i += 1 + width
    return options


def _vdev_text(text: str) -> str | None:
    text = text.strip().upper()
    return text.zfill(4) if re.fullmatch(r"[0-9A-F]{1,4}", text) else None


def parse_image_query_dm(lines: list[str]) -> DirectoryEntry:
    """Parse ``Image_Query_DM``: directory records, NICDEFs merged by vdev."""
    raise_for_failure("Image_Query_DM", lines)
    entry = DirectoryEntry(userid="")
    for line in (line.rstrip() for line in lines):
        text = line.strip()
        if not text or text.startswith("*DVHOPT"):
            continue
        entry.statements.append(text)
        words = text.split()
        head = words[0].upper()
        if head in ("USER", "IDENTITY") and len(words) > 1 and not entry.userid:
            entry.userid = words[1].upper()
        elif head == "NICDEF" and len(words) > 1:
            vdev = _vdev_text(words[1])
            if vdev:
                entry.nicdefs[vdev] = _merge_nicdef(entry.nicdefs.get(vdev), vdev,
                                                    _nicdef_words(words[2:]))
    return entry


def parse_image_definition_query_dm(lines: list[str]) -> list[NicDef]:
    """Parse ``Image_Definition_Query_DM -k NICDEF``: ``NICDEF=VDEV=.. TYPE=.. ...`` lines."""
    raise_for_failure("Image_Definition_Query_DM", lines)
    nics: dict[str, NicDef] = {}
    for line in _clean(lines):
        if not line.upper().startswith("NICDEF="):
            continue
        options: dict[str, str] = {}
        for word in line[len("NICDEF="):].split():
            key, _, value = word.partition("=")
            options[key.upper()] = value
        vdev = _vdev_text(options.get("VDEV", ""))
        if not vdev:
            continue
        merged: dict[str, str] = {}
        for key in ("TYPE", "DEVICES", "MACID", "CHPID", "PORTNUMBER"):
            if key in options:
                merged[key] = options[key]
        if "LAN" in options:
            merged["LAN_OWNER"] = options["LAN"]
        if "SWITCHNAME" in options:
            merged["LAN_NAME"] = options["SWITCHNAME"]
        elif "LANNAME" in options:
            merged["LAN_NAME"] = options["LANNAME"]
        nics[vdev] = _merge_nicdef(nics.get(vdev), vdev, merged)
    return list(nics.values())


# -- activation and system ------------------------------------------------------------------------
@dataclass
class Activation:
    """``<USERID> was activated on <date> at <time>``; ``when`` is ``"<date> at <time>"``."""

    userid: str
    date: str
    time: str

    @property
    def when(self) -> str:
        return f"{self.date} at {self.time}"

    @property
    def timestamp(self) -> datetime | None:
        try:
            return datetime.strptime(f"{self.date} {self.time}", "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None


def parse_activate_time(lines: list[str]) -> Activation:
    """Parse ``Image_Query_Activate_Time``."""
    raise_for_failure("Image_Query_Activate_Time", lines)
    for line in _clean(lines):
        match = re.match(r"^(\S+) was activated on (\S+) at (\S+)", line)
        if match:
            return Activation(match.group(1).upper(), match.group(2), match.group(3))
    raise SmapiError("Image_Query_Activate_Time", -1, None,
                     "no 'was activated on' line in the output")


@dataclass
class SystemInfo:
    """``System_Info_Query``: ``The z/VM <label>: <value>`` lines."""

    values: dict[str, str] = field(default_factory=dict)

    @property
    def ipl_time(self) -> str | None:
        return self.values.get("CP IPL time")

    @property
    def timezone(self) -> str | None:
        return self.values.get("timezone")

    @property
    def version(self) -> str | None:
        return self.values.get("version")


def parse_system_info(lines: list[str]) -> SystemInfo:
    """Parse ``System_Info_Query``; the IPL time is found by its label, not its index."""
    raise_for_failure("System_Info_Query", lines)
    info = SystemInfo()
    for line in _clean(lines):
        match = re.match(r"^The z/VM ([^:]+):\s*(.*)$", line)
        if match:
            info.values[match.group(1).strip()] = match.group(2).strip()
    if info.ipl_time is None:
        raise SmapiError("System_Info_Query", -1, None, "no 'The z/VM CP IPL time' line")
    return info


# -- vmcp -----------------------------------------------------------------------------------------
def _raise_cp_errors(lines: list[str], tolerate: tuple[str, ...] = ()) -> bool:
    """Raise CpError for an HCP error message; True when a tolerated one was seen."""
    tolerated = False
    for line in _clean(lines):
        match = _CP_MSG_RE.match(line)
        if match and match.group(2) in "ES":
            if match.group(1) in tolerate:
                tolerated = True
                continue
            raise CpError(match.group(1) + match.group(2), match.group(3))
    return tolerated


@dataclass
class VirtualNic:
    """One adapter of ``vmcp q v nic``."""

    vdev: str
    adapter_type: str = ""
    name: str = ""
    devices: int | None = None
    mac: str = ""
    vswitch: str | None = None
    lan_owner: str | None = None
    lan_name: str | None = None

    @property
    def coupled(self) -> bool:
        return self.vswitch is not None or (self.lan_name not in (None, "NONE")
                                            and self.lan_owner not in (None, "*"))


_QNIC_HEAD = re.compile(r"^Adapter\s+([0-9A-Fa-f]{1,4})(?:\.P\d+)?\s+Type:\s*(\S+)"
                        r"(?:\s+Name:\s*(\S+))?(?:\s+Devices:\s*(\d+))?")


def parse_vmcp_query_nic(lines: list[str]) -> list[VirtualNic]:
    """Parse ``vmcp q v nic``; a missing device (HCPNDQ040E) gives an empty list."""
    _raise_cp_errors(lines, tolerate=("HCPNDQ040",))
    nics: list[VirtualNic] = []
    cur: VirtualNic | None = None
    for line in _clean(lines):
        match = _QNIC_HEAD.match(line)
        if match:
            cur = VirtualNic(vdev=match.group(1).upper().zfill(4), adapter_type=match.group(2),
                             name=match.group(3) or "",
                             devices=int(match.group(4)) if match.group(4) else None)
            nics.append(cur)
            continue
        if cur is None:
            continue
        mac = re.search(r"MAC:\s*([0-9A-Fa-f-]{17})", line)
        if mac:
            cur.mac = mac.group(1).upper()
        vsw = re.search(r"VSWITCH:\s*(\S+)\s+(\S+)", line)
        if vsw:
            cur.lan_owner, cur.lan_name = vsw.group(1).upper(), vsw.group(2).upper()
            cur.vswitch = cur.lan_name
            continue
        lan = re.search(r"LAN:\s*(\S+)\s+(\S+)", line)
        if lan:
            cur.lan_owner, cur.lan_name = lan.group(1).upper(), lan.group(2).upper()
    return nics


@dataclass
class VmLan:
    """``vmcp q vmlan``: MAC prefixes and MACID ranges."""

    mac_prefix: str | None = None
    user_prefix: str | None = None
    system_macid_range: tuple[str, str] | None = None
    user_macid_range: tuple[str, str] | None = None

    @property
    def effective_user_prefix(self) -> str | None:
        """The prefix of NICs with a directory MACID: USER prefix, else MACADDR prefix."""
        return self.user_prefix or self.mac_prefix


def parse_vmcp_query_vmlan(lines: list[str]) -> VmLan:
    """Parse ``vmcp q vmlan`` (``MACADDR Prefix:``, ``USER Prefix:``, ``MACIDRANGE``)."""
    _raise_cp_errors(lines)
    vmlan = VmLan()
    in_range = False
    for line in _clean(lines):
        match = re.search(r"MACADDR Prefix:\s*([0-9A-Fa-f]{6})", line)
        if match:
            vmlan.mac_prefix = match.group(1).upper()
        match = re.search(r"USER Prefix:\s*([0-9A-Fa-f]{6})", line)
        if match:
            vmlan.user_prefix = match.group(1).upper()
        if line.startswith("MACIDRANGE"):
            in_range = True
        match = re.search(r"SYSTEM:\s*([0-9A-Fa-f]{6})-([0-9A-Fa-f]{6})", line)
        if match and in_range:
            vmlan.system_macid_range = (match.group(1).upper(), match.group(2).upper())
        match = re.search(r"USER:\s*([0-9A-Fa-f]{6})-([0-9A-Fa-f]{6})", line)
        if match and in_range:
            vmlan.user_macid_range = (match.group(1).upper(), match.group(2).upper())
    return vmlan
