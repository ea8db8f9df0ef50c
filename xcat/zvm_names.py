"""Validation and normalisation of z/VM names and numbers.

Every value that ends up in an smcli/vmcp command line or an xCAT table row
passes through one of these functions first.  They are strict on purpose:
values come from configuration files, REST bodies and xCAT tables, all of
which are untrusted, and a value that is accepted here is later rendered
into a shell command on the zHCP.

Each function returns the normalised value (upper case, zero padded) or
raises ``ValueError`` with a message that names the field and the reason.
"""
from __future__ import annotations

import re

# z/VM userids (folded to upper case by CP): 1-8 characters of A-Z 0-9 @ # $ _ -
# (CP's USERID_CHARACTERS table, "Restricted User IDs" in z/VM CP Commands and
# Utilities Reference; length and the reserved names below: "USER Directory
# Statement", https://www.ibm.com/docs/en/zvm/7.2?topic=directory-user-statement),
# never starting with '-': such a word reads as an option to smcli's getopt
# (``-T -TPWN15``) and CP commands; Feilong's API (openmainframeproject/feilong,
# zvmsdk/sdkwsgi/validation/parameter_types.py, ``userid``: ``^(\w{,8})$``) admits
# no '-' at all.  The one rule: the simulator's SMAPI uses it too.
USERID_RE = re.compile(r"[A-Z0-9@#$_][A-Z0-9@#$_-]{0,7}")
# Vswitch names: 1-8 characters, a single token.  CP accepts the same national
# characters as in userids except '-'.
VSWITCH_RE = re.compile(r"[A-Z0-9@#$_]{1,8}")
_HEX_RE = re.compile(r"^[0-9A-F]+$")
_RESERVED_USERIDS = frozenset({"SYSTEM", "SYSTEMMP"})
_RESERVED_USERID_PREFIXES = ("LOGN", "LOGL", "LOGV")

VLAN_MIN = 1
VLAN_MAX = 4094


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected a string, got {type(value).__name__}")
    if not value.isascii():
        raise ValueError(f"{field}: {value!r} contains non-ASCII characters")
    return value.strip().upper()


def userid(value: object, field: str = "userid") -> str:
    """A z/VM userid: 1-8 of A-Z 0-9 @ # $ _ -, not starting with '-', not a reserved name."""
    text = _text(value, field)
    if not USERID_RE.fullmatch(text):
        raise ValueError(f"{field}: {value!r} is not a z/VM userid (1-8 characters of "
                         f"A-Z 0-9 @ # $ _ -, not starting with -)")
    if text in _RESERVED_USERIDS or (
            len(text) == 8 and text.startswith(_RESERVED_USERID_PREFIXES)):
        raise ValueError(f"{field}: {value!r} is a reserved z/VM userid")
    return text


def vswitch(value: object, field: str = "vswitch") -> str:
    """A vswitch name: 1-8 of A-Z 0-9 @ # $ _, upper-cased."""
    text = _text(value, field)
    if not VSWITCH_RE.fullmatch(text):
        raise ValueError(
            f"{field}: {value!r} is not a vswitch name (1-8 characters of A-Z 0-9 @ # $ _)")
    return text


def hex_number(value: object, field: str, digits: int) -> str:
    """1..digits hex digits, returned zero-padded to ``digits`` upper-case digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = format(value, "X")
    text = _text(value, field)
    if not text or len(text) > digits or not _HEX_RE.match(text):
        raise ValueError(f"{field}: {value!r} is not 1-{digits} hexadecimal digits")
    return text.zfill(digits)


def device(value: object, field: str = "vdev") -> str:
    """A virtual or real device number: 1-4 hex digits, returned as 4 upper-case digits."""
    return hex_number(value, field, 4)


def nic_vdev(value: object, field: str = "vdev", devices: int = 3) -> str:
    """A NIC base device: the NIC occupies ``devices`` device numbers from vdev (3 for QDIO)."""
    text = device(value, field)
    if int(text, 16) + devices - 1 > 0xFFFF:
        raise ValueError(f"{field}: {value!r} leaves no room for the NIC's {devices} devices")
    return text


def macid(value: object, field: str = "macid") -> str:
    """The NICDEF MACID: exactly 6 hex digits (the last 3 octets of the MAC)."""
    text = _text(value, field)
    if len(text) != 6 or not _HEX_RE.match(text):
        raise ValueError(f"{field}: {value!r} is not 6 hexadecimal digits")
    return text


def int_in_range(value: object, field: str, low: int, high: int,
                 what: str = "an integer") -> int:
    """An int or decimal string within ``low..high``."""
    if isinstance(value, bool):
        raise ValueError(f"{field}: {value!r} is not {what}")
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            raise ValueError(f"{field}: {value!r} is not a number")
        value = int(text)
    if not isinstance(value, int):
        raise ValueError(f"{field}: {value!r} is not {what}")
    if not low <= value <= high:
        raise ValueError(f"{field}: {value} is outside {low}-{high}")
    return value


def vlan_id(value: object, field: str = "vlan") -> int:
    """A VLAN id 1-4094 (ints or decimal strings)."""
    return int_in_range(value, field, VLAN_MIN, VLAN_MAX, "a VLAN id")


def mac_to_macid(mac: str, field: str = "mac") -> str:
    """The MACID of a MAC address ``aa:bb:cc:dd:ee:ff`` (or with '-'): ``DDEEFF``."""
    octets = mac_octets(mac, field)
    return "".join(octets[3:])


def mac_prefix(mac: str, field: str = "mac") -> str:
    """The first three octets of a MAC as 6 upper-case hex digits (the z/VM prefix)."""
    return "".join(mac_octets(mac, field)[:3])


def mac_octets(mac: object, field: str = "mac") -> list[str]:
    text = _text(mac, field)
    parts = re.split(r"[:-]", text)
    if len(parts) != 6 or not all(len(p) == 2 and _HEX_RE.match(p) for p in parts):
        raise ValueError(f"{field}: {mac!r} is not a MAC address")
    return parts


# OSA real device with an optional port: ``nnnn`` or ``nnnn.Pn``.
_RDEV_RE = re.compile(r"^([0-9A-F]{1,4})(?:\.P([0-9]))?$")
# xCAT node names are host names: letters, digits, '.', '-' and '_'.
_NODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_IDENTIFIER_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# Values written into xCAT tables: a single word of characters that mean
# nothing to xCAT's argument splitting (space, ',' and '=' separate words, keys
# and values) nor to a shell or CSV reader.
_TABLE_VALUE_RE = re.compile(r"^[A-Za-z0-9._:@/+-]{0,255}$")

PORT_NUMBER_MIN = 1
PORT_NUMBER_MAX = 2048


def rdev(value: object, field: str = "rdev") -> str:
    """An OSA real device ``nnnn`` or ``nnnn.Pn`` (port n), returned as ``00A3`` / ``00A3.P1``."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = format(value, "X")
    text = _text(value, field)
    match = _RDEV_RE.fullmatch(text)
    if not match:
        raise ValueError(
            f"{field}: {value!r} is not a real device (1-4 hex digits, optionally .Pn)")
    number, port = match.groups()
    return number.zfill(4) + (f".P{port}" if port is not None else "")


def port_number(value: object, field: str = "port_number") -> int:
    """A vswitch port number for port-based vswitches: 1-2048 (decimal)."""
    return int_in_range(value, field, PORT_NUMBER_MIN, PORT_NUMBER_MAX, "a port number")


def xcat_node(value: object, field: str = "node") -> str:
    """An xCAT node name (a host name; case is kept)."""
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected a string, got {type(value).__name__}")
    if not _NODE_RE.fullmatch(value):
        raise ValueError(
            f"{field}: {value!r} is not an xCAT node name (1-128 of A-Z a-z 0-9 . _ -, "
            "starting with a letter or digit)")
    return value


def xcat_identifier(value: object, field: str = "table") -> str:
    """An xCAT table or column name (lower case letters, digits, '_')."""
    if not isinstance(value, str) or not _IDENTIFIER_RE.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not an xCAT table or column name")
    return value


def table_value(value: object, field: str = "value") -> str:
    """A value written into an xCAT table: one word of A-Z a-z 0-9 . _ : @ / + - (may be empty)."""
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected a string, got {type(value).__name__}")
    if not _TABLE_VALUE_RE.fullmatch(value):
        raise ValueError(
            f"{field}: {value!r} is not a table value (up to 255 of A-Z a-z 0-9 . _ : @ / + -)")
    return value
