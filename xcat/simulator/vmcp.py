"""``vmcp`` inside a simulated z/VM guest (reference zvm-smapi.md §4).

Supported CP commands (abbreviations as CP accepts them, any case):
``QUERY VIRTUAL NIC [vdev] [DETAILS]``, ``DEFINE NIC vdev [TYPE] QDIO|HIPERS
[DEVICES n]``, ``COUPLE vdev [TO] SYSTEM vswitch``, ``UNCOUPLE vdev``,
``DETACH NIC vdev``, ``QUERY VSWITCH [name|*] [DETAILS|ACCESSLIST]``,
``QUERY LAN``, ``QUERY VMLAN``, ``QUERY USERID``.

``q v nic`` and ``q vmlan`` follow the reference's fixtures; ``q vswitch``,
the DEFINE/COUPLE confirmations and the HCP message numbers of errors are the
reference's approximations.  A CP error prints the HCP message on stdout,
``Error: non-zero CP response for command '<CMD>': #<rc>`` on stderr and
exits 2, as the s390-tools vmcp does.
"""
from __future__ import annotations

import re

from xcat.simulator.model import ActiveNic, CouplingRefused, Model, Vswitch, format_mac
from xcat.simulator.smcli import Output


class CpError(Exception):
    def __init__(self, rc: int, message: str):
        super().__init__(message)
        self.rc = rc
        self.message = message


def _abbrev(word: str, full: str, minimum: int) -> bool:
    word = word.upper()
    return minimum <= len(word) <= len(full) and full.startswith(word)


def _vdev(text: str) -> str:
    if not re.fullmatch(r"[0-9A-Fa-f]{1,4}", text or ""):
        raise CpError(26, "HCPCMD026E Operand missing or invalid")
    return text.upper().zfill(4)


class Vmcp:
    """CP commands issued by one guest."""

    def __init__(self, model: Model, userid: str):
        self.model = model
        self.userid = userid

    def run(self, argv: list[str], _stdin: str = "") -> Output:
        words = []
        args = argv[1:]
        i = 0
        while i < len(args):
            if args[i] in ("-b", "--buffer"):
                i += 2
                continue
            if args[i].startswith("-") and len(args[i]) > 1:
                i += 1
                continue
            words.append(args[i])
            i += 1
        if not words:
            return Output(stderr="vmcp: Missing CP command\n", status=4)
        text = " ".join(words).upper()
        with self.model.lock:
            guest = self.model.guest(self.userid)
            if guest is None or not guest.logged_on:
                return Output(stderr="vmcp: Could not open device /dev/vmcp: "
                                     "No such device\n", status=4)
            try:
                lines = self._command(text.split())
            except CpError as err:
                return Output(stdout=err.message + "\n",
                              stderr=f"Error: non-zero CP response for command '{text}': "
                                     f"#{err.rc}\n", status=2)
        return Output(stdout="".join(line + "\n" for line in lines))

    def _command(self, words: list[str]) -> list[str]:
        verb, rest = words[0], words[1:]
        if _abbrev(verb, "QUERY", 1):
            return self._query(rest)
        if _abbrev(verb, "DEFINE", 3):
            return self._define(rest)
        if _abbrev(verb, "COUPLE", 4):
            return self._couple(rest)
        if _abbrev(verb, "UNCOUPLE", 6):
            return self._uncouple(rest)
        if _abbrev(verb, "DETACH", 3):
            return self._detach(rest)
        raise CpError(1, f"HCPCMD001E Unknown CP command: {verb}")

    # ------------------------------------------------------------------ query
    def _query(self, words: list[str]) -> list[str]:
        if not words:
            raise CpError(26, "HCPCMD026E Operand missing or invalid")
        what, rest = words[0], words[1:]
        if _abbrev(what, "VIRTUAL", 1) and rest and _abbrev(rest[0], "NIC", 3):
            return self._query_nic(rest[1:])
        if _abbrev(what, "NIC", 3):
            return self._query_nic(rest)
        if _abbrev(what, "VSWITCH", 3):
            return self._query_vswitch(rest)
        if _abbrev(what, "VMLAN", 5):
            return self._query_vmlan()
        if _abbrev(what, "LAN", 3):
            return self._query_lan()
        if _abbrev(what, "USERID", 4):
            return [f"{self.userid:<8} AT ZVMHOST"]
        raise CpError(3, f"HCPCQU003E Invalid option - {what}")

    def _guest(self):
        return self.model.guest(self.userid)

    def _query_nic(self, words: list[str]) -> list[str]:
        guest = self._guest()
        vdevs = sorted(guest.active_nics)
        wanted = [w for w in words if not _abbrev(w, "DETAILS", 3)]
        if wanted:
            vdev = _vdev(wanted[0])
            if vdev not in guest.active_nics:
                raise CpError(40, f"HCPNDQ040E Device {vdev} does not exist")
            vdevs = [vdev]
        lines = []
        for vdev in vdevs:
            nic = guest.active_nics[vdev]
            kind = "QDIO" if nic.type == "QDIO" else "HIPER"
            lines.append(f"Adapter {vdev}.P00 Type: {kind:<10}Name: UNASSIGNED  "
                         f"Devices: {nic.devices}")
            where = (f"VSWITCH: SYSTEM {nic.coupled_to}" if nic.coupled_to else "LAN: * None")
            lines.append(f"  MAC: {format_mac(nic.mac):<26}{where}")
        return lines

    def _query_vswitch(self, words: list[str]) -> list[str]:
        """``QUERY VSWITCH [name|*] [DETAILS] [ACCESSLIST]``."""
        details = any(_abbrev(w, "DETAILS", 3) for w in words)
        access = any(_abbrev(w, "ACCESSLIST", 3) for w in words)
        names = [w for w in words
                 if not (_abbrev(w, "DETAILS", 3) or _abbrev(w, "ACCESSLIST", 3))]
        lines = []
        for name in self._selected_vswitches(names):
            vsw = self.model.vswitches[name]
            conns = self.model.connections(name)
            lines += _vswitch_lines(vsw, len(conns))
            if access:
                lines += _access_list_lines(vsw)
            if details:
                lines += _adapter_lines(conns)
        return lines

    def _selected_vswitches(self, names: list[str]) -> list[str]:
        """The vswitch named first (all of them for none or ``*``)."""
        vswitches = self.model.vswitches
        if names and names[0] != "*":
            if names[0] not in vswitches:
                raise CpError(2832, f"HCPSWQ2832E VSWITCH {names[0]} does not exist")
            return [names[0]]
        if not vswitches:
            raise CpError(2832, "HCPSWQ2832E No VSWITCHes are defined")
        return sorted(vswitches)

    def _query_vmlan(self) -> list[str]:
        vmlan = self.model.vmlan
        return ["VMLAN MAC address assignment:",
                "  System MAC Protection: OFF",
                f"  MACADDR Prefix: {vmlan.macprefix}  "
                f"USER Prefix: {vmlan.userprefix or vmlan.macprefix}",
                "  MACIDRANGE SYSTEM: 000001-FFFFFF",
                "             USER:   000000-000000"]

    def _query_lan(self) -> list[str]:
        return [f"VSWITCH SYSTEM {name:<8} Type: QDIO    "
                f"Connected: {len(self.model.connections(name))}    Maxconn: INFINITE"
                for name in sorted(self.model.vswitches)]

    # ----------------------------------------------------------------- changes
    def _define(self, words: list[str]) -> list[str]:
        if len(words) < 2 or not _abbrev(words[0], "NIC", 3):
            raise CpError(26, "HCPCMD026E Operand missing or invalid")
        vdev = _vdev(words[1])
        rest = words[2:]
        if rest and _abbrev(rest[0], "TYPE", 4):
            rest = rest[1:]
        nic_type = "QDIO"
        devices = 3
        while rest:
            word = rest.pop(0)
            if _abbrev(word, "QDIO", 4):
                nic_type = "QDIO"
            elif _abbrev(word, "HIPERSOCKETS", 5) or word == "HIPERS":
                nic_type = "HIPERS"
            elif _abbrev(word, "DEVICES", 3) and rest and rest[0].isdigit():
                devices = int(rest.pop(0))
            else:
                raise CpError(3, f"HCPCMD003E Invalid option - {word}")
        if not 3 <= devices <= (240 if nic_type == "QDIO" else 3072):
            raise CpError(26, "HCPCMD026E Operand missing or invalid")
        guest = self._guest()
        base = int(vdev, 16)
        for other in guest.active_nics.values():
            start = int(other.vdev, 16)
            if base < start + other.devices and start < base + devices:
                raise CpError(6115, f"HCPDEF6115E Device {vdev} already exists")
        # Linux sees the new devices offline until qeth brings them online
        guest.active_nics[vdev] = ActiveNic(vdev=vdev, type=nic_type, devices=devices,
                                            mac=self.model.nic_mac(None), from_directory=False,
                                            online=False)
        self.model.touch()
        last = f"{base + devices - 1:04X}"
        return [f"NIC {vdev} is created; devices {vdev}-{last} defined"]

    def _couple(self, words: list[str]) -> list[str]:
        words = [w for w in words if w != "TO"]
        if len(words) < 3 or words[1] != "SYSTEM":
            raise CpError(26, "HCPCMD026E Operand missing or invalid")
        vdev, name = _vdev(words[0]), words[2]
        guest = self._guest()
        nic = guest.active_nics.get(vdev)
        if nic is None:
            raise CpError(40, f"HCPNDQ040E Device {vdev} does not exist")
        vsw = self.model.vswitches.get(name)
        if vsw is None:
            raise CpError(2850, f"HCPNDF2850E VSWITCH SYSTEM {name} does not exist")
        if nic.coupled_to:
            raise CpError(2789, f"HCPNDF2789E NIC {vdev} is already coupled")
        if nic.type != "QDIO":
            raise CpError(2787, f"HCPNDF2787E NIC {vdev} type is not QDIO")
        try:
            nic.port = self.model.coupling_port(self.userid, vsw)
        except CouplingRefused:
            raise CpError(2788, f"HCPNDF2788E NIC {vdev} not coupled; not authorized for "
                                f"VSWITCH SYSTEM {name}") from None
        nic.coupled_to = name
        self.model.touch()
        return [f"NIC {vdev} is connected to VSWITCH SYSTEM {name}"]

    def _uncouple(self, words: list[str]) -> list[str]:
        if not words:
            raise CpError(26, "HCPCMD026E Operand missing or invalid")
        vdev = _vdev(words[0])
        nic = self._guest().active_nics.get(vdev)
        if nic is None:
            raise CpError(40, f"HCPNDQ040E Device {vdev} does not exist")
        if nic.coupled_to is None:
            raise CpError(2790, f"HCPNDF2790E NIC {vdev} is not coupled")
        name, nic.coupled_to = nic.coupled_to, None
        self.model.touch()
        return [f"NIC {vdev} is disconnected from VSWITCH SYSTEM {name}"]

    def _detach(self, words: list[str]) -> list[str]:
        if len(words) < 2 or not _abbrev(words[0], "NIC", 3):
            raise CpError(26, "HCPCMD026E Operand missing or invalid")
        vdev = _vdev(words[1])
        guest = self._guest()
        nic = guest.active_nics.pop(vdev, None)
        if nic is None:
            raise CpError(40, f"HCPNDQ040E Device {vdev} does not exist")
        self.model.touch()
        last = f"{int(vdev, 16) + nic.devices - 1:04X}"
        return [f"NIC {vdev} is destroyed; devices {vdev}-{last} detached"]


def _vswitch_lines(vsw: Vswitch, connected: int) -> list[str]:
    """QUERY VSWITCH's lines for one vswitch: attributes, state and real devices."""
    lines = [f"VSWITCH SYSTEM {vsw.name:<8} Type: {vsw.vswitch_type}    "
             f"Connected: {connected}    Maxconn: INFINITE",
             f"  {'PERSISTENT' if vsw.persistent else 'NONPERSISTENT'}  RESTRICTED"
             f"    {vsw.transport:<26}Accounting: OFF",
             f"  {'USERBASED' if vsw.user_based else 'PORTBASED'}"]
    if vsw.vlan_aware:
        lines.append(f"  VLAN Aware  Default VLAN: {vsw.default_vid:04d}    Default "
                     f"Porttype: {vsw.porttype.capitalize()}    GVRP: "
                     f"{'Enabled' if vsw.gvrp else 'Disabled'}")
        lines.append(f"              Native  VLAN: {vsw.native_vid:04d}    "
                     f"VLAN Counters: OFF")
    else:
        lines.append("  VLAN Unaware")
    lines += [f"  MAC address: {format_mac(f'{vsw.macid:012X}')}    "
              f"MAC Protection: Unspecified",
              f"  IPTimeout: {vsw.iptimeout:<10}QueueStorage: {vsw.queue_mem}",
              "  Isolation Status: OFF",
              "  Uplink Port:",
              f"  State: {'Ready' if vsw.status == 8 else 'Defined'}",
              "  PMTUD setting: EXTERNAL    PMTUD value: 8992"]
    for index, rdev in enumerate(vsw.rdevs):
        address = rdev.address if "." in rdev.address else rdev.address + ".P00"
        controller = vsw.controller if vsw.controller != "*" else rdev.controller
        state = {0: "INACTIVE", 1: "ACTIVE", 2: "BACKUP"}.get(rdev.status, "")
        lines.append(f"  RDEV: {address} VDEV: {0x600 + 3 * index:04X} "
                     f"Controller: {controller}  {state}")
    return lines


def _access_list_lines(vsw: Vswitch) -> list[str]:
    """ACCESSLIST: each granted userid with its port type and VLANs."""
    lines = ["  Authorized userids:"]
    for userid, grant in sorted(vsw.grants.items()):
        porttype = (grant.porttype or vsw.porttype).capitalize()
        if vsw.vlan_aware:
            vlans = " ".join(f"{int(v.split('-')[0]):04d}" + (
                f"-{int(v.split('-')[1]):04d}" if "-" in v else "")
                for v in grant.vlans) or f"{vsw.default_vid:04d}"
        else:
            vlans = "Unaware"
        lines.append(f"    {userid:<8} Porttype: {porttype:<7} VLAN: {vlans}")
    return lines


def _adapter_lines(conns: list[tuple[str, ActiveNic]]) -> list[str]:
    """DETAILS: the NICs coupled to the vswitch."""
    lines = []
    for owner, nic in conns:
        lines.append(f"  Adapter Owner: {owner:<8} NIC: {nic.vdev}.P00  "
                     f"Name: UNASSIGNED  Type: QDIO")
        lines.append(f"    MAC: {format_mac(nic.mac)}")
    return lines
