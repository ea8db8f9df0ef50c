"""Validators and converters of REST attribute values."""
import pytest

from quantum_zvm.api import validators as v


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), ("true", True), ("False", False), ("1", True), ("0", False),
    (1, True), (0, False), (" TRUE ", True)])
def test_boolean_conversion(value, expected):
    assert v.to_boolean(value) is expected


@pytest.mark.parametrize("value", ["yes", 2, None, [], 1.0])
def test_boolean_conversion_refuses(value):
    with pytest.raises(v.ConversionError, match="cannot be converted to boolean"):
        v.to_boolean(value)


def test_int_conversion():
    assert v.to_int("42") == 42 and v.to_int(7) == 7 and v.to_int_or_none(None) is None
    assert v.to_int(" -0042 ") == -42 and v.to_int("+7") == 7
    assert v.to_int(str(v.INT_MAX)) == 2 ** 31 - 1 and v.to_int(v.INT_MIN) == -2 ** 31
    for bad in ("4x", True, 1.5, None, "", "0x10", "1e3", "\u0663", "1_000"):
        with pytest.raises(v.ConversionError, match="is not an integer"):
            v.to_int(bad)


@pytest.mark.parametrize("value", [2 ** 31, -2 ** 31 - 1, 2 ** 64, "2147483648",
                                   "99999999999999999999999", "-" + "9" * 5000,
                                   "00000000000000000002147483648"],
                         ids=lambda value: str(value)[:24])
def test_int_conversion_refuses_what_sql_integer_cannot_hold(value):
    with pytest.raises(v.ConversionError, match=r"is out of range \[-2147483648, 2147483647\]"):
        v.to_int(value)


def test_uuid_and_mac():
    assert v.uuid("3f1a2b3c-0000-4000-8000-00000000abcd") is None
    assert v.uuid("nope") == "'nope' is not a valid UUID"
    assert v.uuid("3f1a2b3c-0000-4000-8000-00000000abcd\n") is not None
    assert v.mac_address("fa:16:3e:00:00:01") is None
    assert "not a valid MAC" in v.mac_address("fa:16:3e:00:00:01\n")
    assert "not a valid MAC" in v.mac_address("fa:16:3e:00:00")
    assert "multicast" in v.mac_address("01:16:3e:00:00:01")


def test_ipv6_is_refused_clearly():
    assert "IPv6 is not supported" in v.ip_version(6)
    assert v.ip_version(4) is None
    assert v.ip_version(5) == "'5' is not in [4, 6]"
    assert "IPv6 is not supported" in v.ipv4_subnet("fd00::/64")
    assert "IPv6 is not supported" in v.ipv4_address("fd00::1")


def test_subnet_accepts_host_bits_and_refuses_garbage():
    assert v.ipv4_subnet("10.0.0.1/24") is None
    assert v.ipv4_subnet("10.0.0.0") == "'10.0.0.0' is not a valid IP subnet"
    assert v.ipv4_subnet("10.0.0.0/33") == "'10.0.0.0/33' is not a valid IP subnet"


def test_fixed_ips():
    assert v.fixed_ips([{"subnet_id": "3f1a2b3c-0000-4000-8000-00000000abcd"},
                        {"ip_address": "10.0.0.5"}]) is None
    assert "unexpected key(s) foo" in v.fixed_ips([{"foo": 1}])
    assert "needs subnet_id, ip_address or both" in v.fixed_ips([{}])
    assert "not a valid IP address" in v.fixed_ips([{"ip_address": "10.0.0.300"}])
    assert "is not a list" in v.fixed_ips("10.0.0.5")


def test_pools_routes_nameservers():
    assert v.allocation_pools([{"start": "10.0.0.2", "end": "10.0.0.9"}]) is None
    assert "missing end" in v.allocation_pools([{"start": "10.0.0.2"}])
    assert v.host_routes([{"destination": "0.0.0.0/0", "nexthop": "10.0.0.1"}]) is None
    route = {"destination": "10.1.0.0/16", "nexthop": "10.0.0.1"}
    assert "Duplicate hostroute" in v.host_routes([route, route])
    assert v.nameservers(["8.8.8.8"]) is None
    assert "Duplicate nameserver" in v.nameservers(["8.8.8.8", "8.8.8.8"])


def test_string_length():
    validate = v.string(5)
    assert validate("abc") is None
    assert "exceeds maximum length of 5" in validate("abcdef")
    assert "is not a valid string" in validate(3)
    assert v.string(5, allow_none=True)(None) is None


@pytest.mark.parametrize("value, problem", [
    ("a\x00b", "NUL"), ("\ud800", "lone surrogate"), ("x\udfff", "lone surrogate"),
    ("\udbff\udfff", "lone surrogate"), ("smile \U0001f600", "U+1F600, beyond U+FFFF"),
    ("\U0010ffff", "U+10FFFF")])
def test_strings_some_database_cannot_store_are_refused(value, problem):
    assert problem in v.text_problem(value)
    assert problem in v.string(255)(value)


@pytest.mark.parametrize("value", ["", "plain", "caf\u00e9 \u65e5\u672c \uffff",
                                   "\u202e\ufeff\x01\n", "'; DROP TABLE networks; --"])
def test_storable_strings_pass(value):
    assert v.text_problem(value) is None and v.string(255)(value) is None


def test_long_values_are_cut_in_reasons():
    reason = v.string(5)("x" * 100_000)
    assert len(reason) < 100 and "exceeds maximum length of 5" in reason


def test_zvm_profile_is_normalised_and_checked():
    assert v.to_zvm_profile({"zvm_userid": "linux01", "vdev": "1000", "x": 1}) == \
        {"zvm_userid": "LINUX01", "vdev": "1000", "x": 1}
    with pytest.raises(v.ConversionError, match="not a z/VM userid"):
        v.to_zvm_profile({"zvm_userid": "bad user"})
    with pytest.raises(v.ConversionError, match="vdev"):
        v.to_zvm_profile({"vdev": "FFFF"})
    assert v.zvm_profile("text") == "'text' is not a dictionary"
