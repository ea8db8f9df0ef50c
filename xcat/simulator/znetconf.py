"""``znetconf -a`` (s390-tools) inside a simulated Linux guest: bring a NIC online.

A NIC CP defines for a running guest (``vmcp define nic``) reaches Linux as
three offline, ungrouped CCW devices: no network interface exists until qeth
groups them and sets them online.  Both upstream agents did this on the xCAT
MN with ``sspqeth2.pl -d 0800 0801 0802`` (networking-zvm 1c3163b2
``neutron/plugins/zvm/common/utils.py`` create_xcat_mgt_network; feilong
4d4effae ``zvmsdk/utils.py``), a z/VM appliance script whose source is not
public; ``znetconf`` is the s390-tools command for it (feilong a63e6775
``zvmsdk/dist.py`` runs ``znetconf -A`` at a guest's first boot).

Modelled on s390-tools c6649588 ``zconf/znetconf``: ``-a <id>`` takes ``800``,
``0800`` or ``0.0.0800``; it prints ``Scanning for network devices...``, then
``Successfully configured device 0.0.0800 (enccw0.0.0800)``, exit 0.  A device
lsznet does not list as unconfigured (already online, or not there) is
``znetconf: Error: No configuration found for device ID 0.0.0800``, exit 21; a
bad id is ``Invalid device ID format``, exit 15.  Other options are not
modelled (exit 19, as znetconf's ``Invalid option``).
"""
from __future__ import annotations

import re

from xcat.simulator.iproute import interface_name
from xcat.simulator.model import Model
from xcat.simulator.smcli import Output

SCANNING = "Scanning for network devices...\n"
RC_INVALID_DEVICE_ID_FORMAT = 15
RC_INVALID_ARGUMENT = 19
RC_NO_CONFIG_FOUND_FOR_DEV = 21
_BUS_ID_RE = re.compile(r"(?:0\.0\.)?([0-9a-f]{1,4})")


def bus_id(text: str) -> str | None:
    """``0.0.xxxx`` of a device id as znetconf accepts it, or None."""
    match = _BUS_ID_RE.fullmatch(text.lower())
    return f"0.0.{int(match.group(1), 16):04x}" if match else None


class Znetconf:
    """``znetconf`` run by one guest."""

    def __init__(self, model: Model, userid: str):
        self.model = model
        self.userid = userid

    def run(self, argv: list[str], _stdin: str = "") -> Output:
        args = argv[1:]
        if len(args) != 2 or args[0] not in ("-a", "--add"):
            word = args[0] if args else ""
            return Output(stdout=f"znetconf: Invalid option {word}\n"
                                 "Try 'znetconf --help' for more information.\n",
                          status=RC_INVALID_ARGUMENT)
        device = bus_id(args[1])
        if device is None:
            return _error(f"Invalid device ID format {args[1]}", RC_INVALID_DEVICE_ID_FORMAT)
        with self.model.lock:
            guest = self.model.guest(self.userid)
            nic = guest.active_nics.get(device[4:].upper()) if guest is not None else None
            if nic is None or nic.online:
                return _error(f"No configuration found for device ID {device}",
                              RC_NO_CONFIG_FOUND_FOR_DEV, SCANNING)
            nic.online = True
            self.model.touch()
        return Output(stdout=SCANNING + f"Successfully configured device {device} "
                                        f"({interface_name(nic.vdev)})\n")


def _error(text: str, status: int, stdout: str = "") -> Output:
    return Output(stdout=stdout, stderr=f"znetconf: Error: {text}\n", status=status)
