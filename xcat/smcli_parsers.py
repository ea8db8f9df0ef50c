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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

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


_VSQ_FIELDS: dict[str, tuple[str, Callable[[str], object]]] = {
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


def _qe_key_value(line: str) -> tuple[str, str]:
    """Split a Query_Extended line into key and value: ``key: value``, or ``key value``
    for the one label zhcp prints without a colon (``device_error_status 0``)."""
    separator = ":" if ":" in line else " "
    key, _, value = line.partition(separator)
    return key.strip(), value.strip()


_RecordT = TypeVar("_RecordT")
_FieldSetter = Callable[[_RecordT, str], None]


def _set_attr(attr: str, convert: Callable[[str], object]) -> _FieldSetter[object]:
    """A field setter storing ``convert(value)`` in ``attr`` of the open record."""

    def set_field(record: object, value: str) -> None:
        setattr(record, attr, convert(value))

    return set_field


def _add_user_vlan(grant: Grant, value: str) -> None:
    """``user_vlan_id``: one VLAN or span of the grant; 0 stands for none."""
    span = _vlan_span(value)
    if span and span != (0, 0):
        grant.vlans.append(span)


# The fields of the records inside a vswitch, per record kind: a key that its kind does not
# list is ignored. (A vswitch keeps every key of its own part in VswitchExtended.attributes.)
_QE_DEVICE_FIELDS: dict[str, _FieldSetter[RealDevice]] = {
    "virtual_device_address": _set_attr("vdev", str.upper),
    "controller_name": _set_attr("controller", str),
    "port_name": _set_attr("port_name", str),
    "device_status": _set_attr("status", str),
    "device_error_status": _set_attr("error_status", str),
}
_QE_GRANT_FIELDS: dict[str, _FieldSetter[Grant]] = {
    "promiscuous_mode": _set_attr("promiscuous", lambda value: value.upper() == "PROM"),
    "osd_sim": _set_attr("osd_sim", lambda value: value.upper() == "OSDSIM"),
    "user_vlan_id": _add_user_vlan,
    "port_type": _set_attr("port_type", str.upper),
}
_QE_CONNECTION_FIELDS: dict[str, _FieldSetter[Connection]] = {
    "adapter_vdev": _set_attr("vdev", str.upper),
    "adapter_macaddr": _set_attr("mac", str.upper),
    "adapter_type": _set_attr("adapter_type", str.upper),
}


def _field_of(fields: Mapping[str, _FieldSetter[_RecordT]],
              record: _RecordT) -> Callable[[str, str], None]:
    """Store the fields that ``fields`` lists in ``record``; ignore any other key."""

    def set_field(key: str, value: str) -> None:
        setter = fields.get(key)
        if setter is not None:
            setter(record, value)

    return set_field


class _QueryExtendedReader:
    """Reads Query_Extended lines into vswitches, one ``key: value`` at a time.

    The output is a sequence of records, each opened by its first key and
    followed by its fields (reference ``zvm-smapi.md`` §3.5):

    - ``switch_name``: a vswitch; its fields are kept in ``attributes``;
    - ``real_device_address``: a real device (uplink) of the vswitch;
    - ``port_num`` then ``grant_userid``: an access-list entry (``port_num`` is
      kept when ``grant_userid`` follows it directly, as zhcp prints them);
      a ``grant_userid`` without ``port_num`` opens an entry too;
    - ``adapter_owner``: an adapter connected to the vswitch.

    Keys before the first vswitch and keys a record does not know (``vlan_count``,
    ``uplink_NIC_*``, zhcp's ``Error <field> is NULL!!``) are ignored, except that
    a vswitch keeps every key of its own part of the output.
    """

    def __init__(self) -> None:
        self.switches: list[VswitchExtended] = []
        self._switch: VswitchExtended | None = None
        self._grant: Grant | None = None
        self._set_field: Callable[[str, str], None] = _ignore_field
        self._openers: dict[str, Callable[[VswitchExtended, str], None]] = {
            "real_device_address": self._open_device,
            "port_num": self._open_port,
            "grant_userid": self._open_grant,
            "adapter_owner": self._open_connection,
        }

    def feed(self, key: str, value: str) -> None:
        if key == "switch_name":
            self._open_switch(value)
        elif key in self._openers and self._switch is not None:
            self._openers[key](self._switch, value)
        else:
            self._set_field(key, value)

    def _open(self, set_field: Callable[[str, str], None], grant: Grant | None = None) -> None:
        self._set_field = set_field
        self._grant = grant

    def _open_switch(self, value: str) -> None:
        switch = VswitchExtended(name=value.upper())
        switch.attributes["switch_name"] = value.upper()
        self.switches.append(switch)
        self._switch = switch
        self._open(switch.attributes.__setitem__)

    def _open_device(self, switch: VswitchExtended, value: str) -> None:
        device = RealDevice(address=value.upper())
        switch.rdevs.append(device)
        self._open(_field_of(_QE_DEVICE_FIELDS, device))

    def _open_port(self, switch: VswitchExtended, value: str) -> None:
        """``port_num``: an entry that joins the access list with its ``grant_userid``."""
        grant = Grant(userid="", port_num=_int_or_none(value))
        self._open(_field_of(_QE_GRANT_FIELDS, grant), grant)

    def _open_grant(self, switch: VswitchExtended, value: str) -> None:
        grant = self._grant
        if grant is None or grant.userid:
            grant = Grant(userid="")
        grant.userid = value.upper()
        switch.grants.append(grant)
        self._open(_field_of(_QE_GRANT_FIELDS, grant), grant)

    def _open_connection(self, switch: VswitchExtended, value: str) -> None:
        connection = Connection(owner=value.upper(), vdev="")
        switch.connections.append(connection)
        self._open(_field_of(_QE_CONNECTION_FIELDS, connection))


def _ignore_field(key: str, value: str) -> None:
    """Before the first vswitch no record is open: its keys are ignored."""


def parse_vswitch_query_extended(lines: list[str]) -> list[VswitchExtended]:
    """Parse ``Virtual_Network_Vswitch_Query_Extended`` output (``key: value`` lines).

    A VLAN-unaware vswitch reports a VLAN per grant all the same (``vlan_count 1``);
    its grants are given no VLANs.
    """
    raise_for_failure("Virtual_Network_Vswitch_Query_Extended", lines)
    reader = _QueryExtendedReader()
    for line in _clean(lines):
        if line:
            reader.feed(*_qe_key_value(line))
    for switch in reader.switches:
        if not switch.vlan_aware:
            for grant in switch.grants:
                grant.vlans = []
    return reader.switches


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
