"""Validators and converters of REST attribute values.

A validator takes the (converted) value and returns ``None`` when it is good
or a short reason; the controller renders a reason as
``Invalid input for <attribute>. Reason: <reason>.`` (HTTP 400).  A converter
returns the converted value or raises :class:`ConversionError` with a reason.
All functions are pure.

What every supported database (SQLite, PostgreSQL, MariaDB/MySQL) can store
is checked here, once, so that no value reaches a database that would refuse
it with an error the client sees as a 500: strings are valid Unicode of the
Basic Multilingual Plane without NUL (:func:`text_problem`, also applied to
every query parameter by the router), lengths fit their columns
(:func:`string`), integers fit SQL ``INTEGER`` (:func:`to_int`).
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from quantum_zvm.common import constants
from quantum_zvm.db.tags import MAX_TAG_LEN, MAX_TAGS
from xcat import zvm_names

Validator = Callable[[Any], str | None]
Converter = Callable[[Any], Any]

# \Z, not $: "$" also matches before a final newline.
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
MAC_RE = re.compile(r"^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}\Z")
_DECIMAL_RE = re.compile(r"\s*([+-]?)0*([0-9]+)\s*")
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff\U00010000-\U0010ffff]")

# SQL INTEGER on PostgreSQL and MariaDB (SQLite's integers have 64 bits).
INT_MIN, INT_MAX = -2 ** 31, 2 ** 31 - 1
# A decimal with more significant digits is out of range whatever they are.
_INT_DIGITS = len(str(INT_MAX))

IPV6_UNSUPPORTED = ("IPv6 is not supported: z/VM networks managed by quantum-zvm "
                    "are IPv4 only")


class ConversionError(ValueError):
    """A value that cannot be converted; ``str()`` is the reason."""


def _quoted(value: Any) -> str:
    """``value`` quoted for a reason, cut to 40 characters."""
    text = str(value)
    return f"'{text[:40]}...'" if len(text) > 40 else f"'{text}'"


# --------------------------------------------------------------------------- converters

def to_boolean(value: Any) -> bool:
    """Quantum's boolean conversion: bools, 0/1 and 'true'/'false'/'1'/'0' (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
    raise ConversionError(f"'{value}' cannot be converted to boolean")


def to_int(value: Any) -> int:
    """Integers and decimal strings from ``INT_MIN`` to ``INT_MAX``; booleans and floats
    are refused."""
    number = _integer(value)
    if number is None:
        raise ConversionError(f"{_quoted(value)} is not an integer")
    if not INT_MIN <= number <= INT_MAX:
        raise ConversionError(f"{_quoted(value)} is out of range [{INT_MIN}, {INT_MAX}]")
    return number


def _integer(value: Any) -> int | None:
    """``value`` as an int (an out-of-range one for overlong decimals), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    match = _DECIMAL_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    sign, digits = match.groups()
    # Cut before converting: thousands of digits cost time (and Python refuses 4,300).
    return int(sign + digits[:_INT_DIGITS + 1])


def to_int_or_none(value: Any) -> int | None:
    return None if value is None else to_int(value)


def none_to_empty_list(value: Any) -> Any:
    return [] if value is None else value


def to_zvm_profile(value: Any) -> Any:
    """``binding:profile``: normalise ``zvm_userid`` and ``vdev`` to z/VM spelling."""
    if not isinstance(value, dict):
        return value
    profile = dict(value)
    try:
        if profile.get(constants.PROFILE_USERID) is not None:
            profile[constants.PROFILE_USERID] = zvm_names.userid(
                profile[constants.PROFILE_USERID], constants.PROFILE_USERID)
        if profile.get(constants.PROFILE_VDEV) is not None:
            profile[constants.PROFILE_VDEV] = zvm_names.nic_vdev(
                profile[constants.PROFILE_VDEV], constants.PROFILE_VDEV)
    except ValueError as exc:
        raise ConversionError(str(exc)) from None
    return profile


# --------------------------------------------------------------------------- validators

def text_problem(value: str) -> str | None:
    """Why some supported database cannot store ``value``, or None.

    PostgreSQL refuses NUL in text; no driver encodes a lone surrogate (JSON's
    ``"\\ud800"``) as UTF-8; MySQL's ``utf8`` (utf8mb3: the classic
    ``?charset=utf8`` URL, tables of an adopted Quantum database) stores no
    character beyond U+FFFF.  Lengths are the columns' business (:func:`string`).
    """
    found = _UNSTORABLE_RE.search(value)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "the string contains a NUL character"
    if "\ud800" <= char <= "\udfff":
        return "the string contains a lone surrogate (it is not valid Unicode)"
    return (f"the string contains U+{ord(char):X}, beyond U+FFFF, which MySQL's utf8 "
            "cannot store")


def string(max_len: int | None = None, allow_none: bool = False) -> Validator:
    """A storable string (:func:`text_problem`) of at most ``max_len`` characters."""
    def validate(value: Any) -> str | None:
        if value is None and allow_none:
            return None
        if not isinstance(value, str):
            return f"{_quoted(value)} is not a valid string"
        if max_len is not None and len(value) > max_len:
            return f"{_quoted(value)} exceeds maximum length of {max_len}"
        return text_problem(value)
    return validate


def tag(value: Any) -> str | None:
    """One tag: a storable string of 1 to 255 characters (neutron/extensions/tagging.py)."""
    if value == "":
        return "a tag may not be empty"
    return string(MAX_TAG_LEN)(value)


def tags(value: Any) -> str | None:
    """A resource's tags: a list of at most 50 different :func:`tag` strings."""
    if not isinstance(value, list):
        return f"{_quoted(value)} is not a list"
    for item in value:
        if problem := tag(item):
            return problem
    if len(set(value)) != len(value):
        return "duplicate items in the list"
    if len(value) > MAX_TAGS:
        return f"the number of tags exceeds the per-resource limit of {MAX_TAGS}"
    return None


def uuid(value: Any) -> str | None:
    if not isinstance(value, str) or not UUID_RE.match(value):
        return f"'{value}' is not a valid UUID"
    return None


def uuid_or_none(value: Any) -> str | None:
    return None if value is None else uuid(value)


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"'{value}' is not a boolean"


def mac_address(value: Any) -> str | None:
    if not isinstance(value, str) or not MAC_RE.match(value):
        return f"'{value}' is not a valid MAC address"
    if int(value[:2], 16) & 1:
        return f"'{value}' is a multicast MAC address"
    return None


def _ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def ip_address(value: Any) -> str | None:
    if _ip(value) is None:
        return f"'{value}' is not a valid IP address"
    return None


def ipv4_address(value: Any) -> str | None:
    address = _ip(value)
    if address is None:
        return f"'{value}' is not a valid IP address"
    if address.version != 4:
        return f"'{value}': {IPV6_UNSUPPORTED}"
    return None


def ipv4_address_or_none(value: Any) -> str | None:
    return None if value is None else ipv4_address(value)


def ipv4_subnet(value: Any) -> str | None:
    """An IPv4 CIDR; host bits may be set (Grizzly accepts ``10.0.0.1/24``)."""
    if not isinstance(value, str) or "/" not in value:
        return f"'{value}' is not a valid IP subnet"
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"'{value}' is not a valid IP subnet"
    if network.version != 4:
        return f"'{value}': {IPV6_UNSUPPORTED}"
    return None


def ip_version(value: Any) -> str | None:
    if value == 6:
        return IPV6_UNSUPPORTED
    if value != 4:
        return f"'{value}' is not in [4, 6]"
    return None


def _list_of_dicts(value: Any, allowed: set[str], required: set[str]) -> str | None:
    if not isinstance(value, list):
        return f"'{value}' is not a list"
    for item in value:
        if not isinstance(item, dict):
            return f"'{item}' is not a dictionary"
        unknown = sorted(set(item) - allowed)
        if unknown:
            return f"unexpected key(s) {', '.join(unknown)} in {item}"
        missing = sorted(required - set(item))
        if missing:
            return f"'{item}' is missing {', '.join(missing)}"
    return None


def fixed_ips(value: Any) -> str | None:
    if value is None:
        return None
    problem = _list_of_dicts(value, {"subnet_id", "ip_address"}, set())
    if problem:
        return problem
    for item in value:
        if not item:
            return "a fixed_ips entry needs subnet_id, ip_address or both"
        if "subnet_id" in item and (problem := uuid(item["subnet_id"])):
            return problem
        if "ip_address" in item and (problem := ipv4_address(item["ip_address"])):
            return problem
    return None


def allocation_pools(value: Any) -> str | None:
    problem = _list_of_dicts(value, {"start", "end"}, {"start", "end"})
    if problem:
        return problem
    for pool in value:
        for key in ("start", "end"):
            if problem := ipv4_address(pool[key]):
                return problem
    return None


def nameservers(value: Any) -> str | None:
    if not isinstance(value, list):
        return f"'{value}' is not a list"
    seen = set()
    for server in value:
        if problem := ip_address(server):
            return problem
        if server in seen:
            return f"Duplicate nameserver {server}"
        seen.add(server)
    return None


def host_routes(value: Any) -> str | None:
    problem = _list_of_dicts(value, {"destination", "nexthop"}, {"destination", "nexthop"})
    if problem:
        return problem
    seen = set()
    for route in value:
        if problem := ipv4_subnet(route["destination"]) or ipv4_address(route["nexthop"]):
            return problem
        key = (route["destination"], route["nexthop"])
        if key in seen:
            return f"Duplicate hostroute {route}"
        seen.add(key)
    return None


def zvm_profile(value: Any) -> str | None:
    """``binding:profile``: a JSON object; z/VM keys already checked by the converter."""
    if value is None or isinstance(value, dict):
        return None
    return f"'{value}' is not a dictionary"


def mtu(value: Any) -> str | None:
    """An MTU IPv4 can use; the upper bound (the vswitches' MTU) is the plugin's to check."""
    if value < constants.MIN_MTU:
        return f"MTU {value} is below the IPv4 minimum of {constants.MIN_MTU}"
    return None


def vnic_type(value: Any) -> str | None:
    if value != constants.VNIC_NORMAL:
        return (f"{_quoted(value)} is not supported: z/VM NICs are virtual NICs coupled to a "
                f"vswitch, binding:vnic_type must be '{constants.VNIC_NORMAL}'")
    return None


def empty_list_only(refusal: str) -> Validator:
    """A validator of an attribute z/VM supports only empty: a list, and ``refusal``
    (why, and what to give) for any item in it."""
    def validate(value: Any) -> str | None:
        if not isinstance(value, list):
            return f"{_quoted(value)} is not a list"
        return refusal if value else None
    return validate


no_security_groups = empty_list_only(
    "security groups are not supported: the z/VM driver filters no traffic, so the port "
    "would be unprotected; give [] (openstack port create --no-security-group)")
no_address_pairs = empty_list_only(
    "allowed_address_pairs are not supported: z/VM vswitches do no address filtering, so "
    "there is nothing to allow; give []")


def no_subnetpool(value: Any) -> str | None:
    if value is not None:
        return "subnet pools are not supported: give a cidr and no subnetpool_id"
    return None
