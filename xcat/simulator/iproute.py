"""``ip`` (iproute2) inside a simulated Linux guest: addresses of its z/VM NICs.

A guest's network interfaces are its active NICs that Linux has online
(``znetconf -a`` for one CP defined live), named as Linux on z names a QDIO
device (``enccw0.0.<vdev in lower case>``), plus ``lo``.  Addresses live on the
active NIC in the model, so they vanish with it: LOGOFF, z/VM IPL, xCAT MN
restart or ``vmcp detach nic``.

``lo`` (127.0.0.1/8) is listed but not changeable.

Supported: ``ip [-4|-6] [-o] addr|address|a [show|list|ls [dev] IF]``,
``ip addr add|del PREFIX [brd +|-|ADDR] [scope S] dev IF``, ``ip addr flush dev IF``,
``ip [-o] link [show [dev] IF]``, ``ip link set [dev] IF up|down``.  Output and
errors are iproute2's: ``-o`` puts a record on one line with ``\\`` for its
line breaks; an unknown device is ``Device "X" does not exist.`` (show, exit 1)
or ``Cannot find device "X"`` (change, exit 1); kernel refusals are
``RTNETLINK answers: ...`` with exit 2.  As with iproute2, no broadcast
address is set unless ``brd`` asks for one.  IPv6 addresses are not modelled
(``-6`` shows nothing).
"""
from __future__ import annotations

import ipaddress

from xcat.simulator.model import ActiveNic, Model, format_mac
from xcat.simulator.smcli import Output

LOOPBACK = "lo"
_ADDR_WORDS = ("address", "addr", "a", "ad", "add", "addre", "addres")
_LINK_WORDS = ("link", "l", "li", "lin")
_SHOW_WORDS = ("show", "list", "ls", "lst", "sh", "s")
_SCOPES = ("global", "link", "host", "site")


def interface_name(vdev: str) -> str:
    """The Linux name of the QDIO NIC at ``vdev`` (first device of its triplet)."""
    return f"enccw0.0.{vdev.lower()}"


class _Usage(Exception):
    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.message = message
        self.status = status


class Ip:
    """``ip`` commands run by one guest (callers need not hold the lock)."""

    def __init__(self, model: Model, userid: str):
        self.model = model
        self.userid = userid

    def run(self, argv: list[str], _stdin: str = "") -> Output:
        with self.model.lock:
            try:
                return self._run(argv[1:])
            except _Usage as err:
                return Output(stderr=err.message + "\n", status=err.status)

    # --------------------------------------------------------------- helpers
    def _interfaces(self) -> list[tuple[int, str, ActiveNic | None]]:
        """(ifindex, name, nic) in kernel order: lo first, then online NICs by vdev."""
        guest = self.model.guest(self.userid)
        nics = {vdev: nic for vdev, nic in guest.active_nics.items() if nic.online} \
            if guest is not None and guest.logged_on else {}
        found: list[tuple[int, str, ActiveNic | None]] = [(1, LOOPBACK, None)]
        for index, vdev in enumerate(sorted(nics), start=2):
            found.append((index, interface_name(vdev), nics[vdev]))
        return found

    def _find(self, name: str, showing: bool) -> tuple[int, str, ActiveNic | None]:
        for entry in self._interfaces():
            if entry[1] == name:
                return entry
        if showing:
            raise _Usage(f'Device "{name}" does not exist.')
        raise _Usage(f'Cannot find device "{name}"')

    # ------------------------------------------------------------- dispatch
    def _run(self, args: list[str]) -> Output:
        family = None
        oneline = False
        while args and args[0].startswith("-") and len(args[0]) > 1:
            option = args.pop(0)
            if option in ("-4", "-6"):
                family = option[1]
            elif option in ("-o", "-oneline", "--oneline"):
                oneline = True
            elif option in ("-f", "-family") and args:
                family = {"inet": "4", "inet6": "6"}.get(args.pop(0), family)
            else:
                raise _Usage(f'Option "{option}" is unknown, try "ip -help".', 255)
        if not args:
            raise _Usage("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }", 255)
        obj = args.pop(0)
        if obj in _ADDR_WORDS:
            return self._address(args, family, oneline)
        if obj in _LINK_WORDS:
            return self._link(args, oneline)
        raise _Usage(f'Object "{obj}" is unknown, try "ip help".')

    # -------------------------------------------------------------- address
    def _address(self, args: list[str], family: str | None, oneline: bool) -> Output:
        command = args.pop(0) if args else "show"
        if command in _SHOW_WORDS:
            return self._show_addresses(_device_argument(args, "address"), family, oneline)
        if command in ("add", "del", "delete"):
            return self._change_address(command != "add", args)
        if command == "flush":
            name = _device_argument(args, "address")
            if name is None:
                raise _Usage('Flush requires arguments.')
            _index, _name, nic = self._find(name, showing=True)
            if nic is not None:
                nic.addresses = []
                self.model.touch()
            return Output()
        raise _Usage(f'Command "{command}" is unknown, try "ip address help".')

    def _show_addresses(self, name: str | None, family: str | None, oneline: bool) -> Output:
        entries = [self._find(name, showing=True)] if name else self._interfaces()
        lines = []
        for index, ifname, nic in entries:
            addresses = [{"local": "127.0.0.1/8", "broadcast": None}] if nic is None \
                else nic.addresses
            records = [] if family == "6" else [_address_record(ifname, a, nic is None)
                                                for a in addresses]
            if oneline:
                lines += [f"{index}: {ifname}    " + "\\".join(r).lstrip() for r in records]
            elif family is None:
                lines += [_link_line(index, ifname, nic), _ether_line(nic)]
                lines += [ln for r in records for ln in r]
            elif records:
                lines.append(_link_line(index, ifname, nic))
                lines += [ln for r in records for ln in r]
        return Output(stdout="".join(ln + "\n" for ln in lines))

    def _change_address(self, delete: bool, args: list[str]) -> Output:
        prefix = name = broadcast = None
        while args:
            word = args.pop(0)
            if word == "dev" and args:
                name = args.pop(0)
            elif word in ("brd", "broadcast") and args:
                broadcast = args.pop(0)
            elif word in ("scope", "label", "valid_lft", "preferred_lft") and args:
                args.pop(0)
            elif word == "local" and args:
                prefix = args.pop(0)
            elif prefix is None:
                prefix = word
            else:
                raise _Usage(f'Error: either "local" is duplicate, or "{word}" is a garbage.')
        if prefix is None:
            raise _Usage("Not enough information: \"dev\" argument is required.")
        try:
            interface = ipaddress.IPv4Interface(prefix)
        except ValueError:
            raise _Usage(f'Error: inet prefix is expected rather than "{prefix}".') from None
        if name is None:
            raise _Usage('Not enough information: "dev" argument is required.')
        _index, _name, nic = self._find(name, showing=False)
        if nic is None:
            raise _Usage("RTNETLINK answers: Operation not permitted", 2)
        local = f"{interface.ip}/{interface.network.prefixlen}"
        present = [a for a in nic.addresses if a["local"] == local]
        if delete:
            if not present:
                raise _Usage("RTNETLINK answers: Cannot assign requested address", 2)
            nic.addresses.remove(present[0])
        else:
            if present:
                raise _Usage("RTNETLINK answers: File exists", 2)
            nic.addresses.append({"local": local,
                                  "broadcast": _broadcast(interface, broadcast)})
        self.model.touch()
        return Output()

    # ----------------------------------------------------------------- link
    def _link(self, args: list[str], oneline: bool) -> Output:
        command = args.pop(0) if args else "show"
        if command in _SHOW_WORDS:
            name = _device_argument(args, "link")
            entries = [self._find(name, showing=True)] if name else self._interfaces()
            lines = []
            for index, ifname, nic in entries:
                pair = [_link_line(index, ifname, nic, mode=True), _ether_line(nic)]
                lines += ["\\".join(pair)] if oneline else pair
            return Output(stdout="".join(ln + "\n" for ln in lines))
        if command == "set":
            if args and args[0] == "dev":
                args.pop(0)
            if not args:
                raise _Usage('Not enough information: "dev" argument is required.')
            name = args.pop(0)
            state = None
            for word in args:
                if word in ("up", "down"):
                    state = word
                else:
                    raise _Usage(f'Error: argument "{word}" is wrong: unknown option')
            _index, _name, nic = self._find(name, showing=False)
            if nic is not None and state is not None:
                nic.link_up = state == "up"
                self.model.touch()
            return Output()
        raise _Usage(f'Command "{command}" is unknown, try "ip link help".')


def _device_argument(args: list[str], obj: str) -> str | None:
    """The IFNAME of ``show [dev] IFNAME``."""
    if not args:
        return None
    if args[0] == "dev":
        args = args[1:]
    if len(args) != 1:
        word = args[1] if len(args) > 1 else "dev"
        raise _Usage(f'Command "{word}" is unknown, try "ip {obj} help".')
    return args[0]


def _flags(nic: ActiveNic | None) -> tuple[str, str]:
    """(flags, operstate) as the kernel reports them for the interface."""
    if nic is None:
        return "LOOPBACK,UP,LOWER_UP", "UNKNOWN"
    if not nic.link_up:
        return "BROADCAST,MULTICAST", "DOWN"
    if nic.coupled_to is None:
        return "NO-CARRIER,BROADCAST,MULTICAST,UP", "DOWN"
    return "BROADCAST,MULTICAST,UP,LOWER_UP", "UP"


def _link_line(index: int, ifname: str, nic: ActiveNic | None, mode: bool = False) -> str:
    flags, state = _flags(nic)
    mtu = 65536 if nic is None else 1500
    qdisc = "noqueue" if nic is None else ("mq" if nic.link_up else "noop")
    extra = " mode DEFAULT" if mode else ""
    qlen = "" if nic is None else " qlen 1000"
    return (f"{index}: {ifname}: <{flags}> mtu {mtu} qdisc {qdisc} state {state}{extra} "
            f"group default{qlen}")


def _ether_line(nic: ActiveNic | None) -> str:
    if nic is None:
        return "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
    return f"    link/ether {format_mac(nic.mac.lower(), ':')} brd ff:ff:ff:ff:ff:ff"


def _broadcast(interface: ipaddress.IPv4Interface, given: str | None) -> str | None:
    """``brd +``/``-`` derive it from the prefix; without ``brd`` there is none."""
    if given is None:
        return None
    if given == "+":
        return str(interface.network.broadcast_address)
    if given == "-":
        return str(interface.network.network_address)
    try:
        return str(ipaddress.IPv4Address(given))
    except ValueError:
        raise _Usage(f'Error: inet address is expected rather than "{given}".') from None


def _address_record(ifname: str, address: dict, loopback: bool) -> list[str]:
    """The two lines iproute2 prints for one IPv4 address."""
    brd = f" brd {address['broadcast']}" if address.get("broadcast") else ""
    scope = "host" if loopback else "global"
    return [f"    inet {address['local']}{brd} scope {scope} {ifname}",
            "       valid_lft forever preferred_lft forever"]
