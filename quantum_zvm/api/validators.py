"""Validators and converters of REST attribute values.

A validator takes the (converted) value and returns ``None`` when it is good
or a short reason; the controller renders a reason as
``Invalid input for <attribute>. Reason: <reason>.`` (HTTP 400).  A converter
returns the converted value or raises :class:`ConversionError` with a reason.
All functions are pure.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any, Callable, Optional

from xcat import zvm_names

from quantum_zvm.common import constants

Validator = Callable[[Any], Optional[str]]
Converter = Callable[[Any], Any]

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAC_RE = re.compile(r"^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$")

IPV6_UNSUPPORTED = ("IPv6 is not supported: z/VM networks managed by quantum-zvm "
                    "are IPv4 only")


class ConversionError(ValueError):
    """A value that cannot be converted; ``str()`` is the reason."""


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
    """Integers and decimal strings; booleans and floats are refused."""
    if isinstance(value, bool):
        raise ConversionError(f"'{value}' is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    raise ConversionError(f"'{value}' is not an integer")


def to_int_or_none(value: Any) -> Optional[int]:
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

def string(max_len: int | None = None, allow_none: bool = False) -> Validator:
    def validate(value: Any) -> Optional[str]:
        if value is None and allow_none:
            return None
        if not isinstance(value, str):
            return f"'{value}' is not a valid string"
        if max_len is not None and len(value) > max_len:
            return f"'{value[:40]}...' exceeds maximum length of {max_len}"
        return None
    return validate


def uuid(value: Any) -> Optional[str]:
    if not isinstance(value, str) or not UUID_RE.match(value):
        return f"'{value}' is not a valid UUID"
    return None


def uuid_or_none(value: Any) -> Optional[str]:
    return None if value is None else uuid(value)


def boolean(value: Any) -> Optional[str]:
    return None if isinstance(value, bool) else f"'{value}' is not a boolean"


def mac_address(value: Any) -> Optional[str]:
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


def ip_address(value: Any) -> Optional[str]:
    if _ip(value) is None:
        return f"'{value}' is not a valid IP address"
    return None


def ipv4_address(value: Any) -> Optional[str]:
    address = _ip(value)
    if address is None:
        return f"'{value}' is not a valid IP address"
    if address.version != 4:
        return f"'{value}': {IPV6_UNSUPPORTED}"
    return None


def ipv4_address_or_none(value: Any) -> Optional[str]:
    return None if value is None else ipv4_address(value)


def ipv4_subnet(value: Any) -> Optional[str]:
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


def ip_version(value: Any) -> Optional[str]:
    if value == 6:
        return IPV6_UNSUPPORTED
    if value != 4:
        return f"'{value}' is not in [4, 6]"
    return None


def _list_of_dicts(value: Any, allowed: set[str], required: set[str]) -> Optional[str]:
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


def fixed_ips(value: Any) -> Optional[str]:
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


def allocation_pools(value: Any) -> Optional[str]:
    problem = _list_of_dicts(value, {"start", "end"}, {"start", "end"})
    if problem:
        return problem
    for pool in value:
        for key in ("start", "end"):
            if problem := ipv4_address(pool[key]):
                return problem
    return None


def nameservers(value: Any) -> Optional[str]:
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


def host_routes(value: Any) -> Optional[str]:
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


def zvm_profile(value: Any) -> Optional[str]:
    """``binding:profile``: a JSON object; z/VM keys already checked by the converter."""
    if value is None or isinstance(value, dict):
        return None
    return f"'{value}' is not a dictionary"
