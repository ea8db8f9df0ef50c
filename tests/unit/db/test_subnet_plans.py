"""Subnet validation and defaults (reference §1.5), pure functions of quantum_zvm.db.ipam."""
import ipaddress

import pytest

from quantum_zvm.common import constants, exceptions
from quantum_zvm.db import ipam

NS = constants.ATTR_NOT_SPECIFIED


def plan(**attrs):
    return ipam.plan_subnet({"cidr": "10.0.0.0/24", "ip_version": 4, **attrs})


def pools(p):
    return [(str(a), str(b)) for a, b in p.pools]


def test_defaults_gateway_first_host_and_pool_around_it():
    p = plan(gateway_ip=NS, allocation_pools=NS)
    assert p.gateway_ip == "10.0.0.1"
    assert pools(p) == [("10.0.0.2", "10.0.0.254")]
    assert str(p.cidr) == "10.0.0.0/24"


def test_gateway_inside_range_splits_the_default_pool():
    assert pools(plan(gateway_ip="10.0.0.100")) == [("10.0.0.1", "10.0.0.99"),
                                                    ("10.0.0.101", "10.0.0.254")]


def test_null_gateway_means_no_gateway_and_the_whole_range():
    p = plan(gateway_ip=None)
    assert p.gateway_ip is None
    assert pools(p) == [("10.0.0.1", "10.0.0.254")]


def test_host_bits_are_accepted_and_dropped():
    assert str(plan(cidr="10.0.0.7/24").cidr) == "10.0.0.0/24"


@pytest.mark.parametrize("attrs, exc, text", [
    ({"ip_version": 6, "cidr": "2001:db8::/64"}, exceptions.InvalidInput, "IPv6 subnets are not"),
    ({"cidr": "2001:db8::/64"}, exceptions.InvalidInput, "IPv6 subnets are not"),
    ({"cidr": "10.0.0.0/31"}, exceptions.InvalidInput, "no room for hosts"),
    ({"cidr": "nonsense"}, exceptions.InvalidInput, "'nonsense' is not a valid IP subnet"),
    ({"allocation_pools": [{"start": "10.0.0.9", "end": "10.0.0.5"}]},
     exceptions.InvalidAllocationPool, "is not valid"),
    ({"allocation_pools": [{"start": "x", "end": "10.0.0.5"}]},
     exceptions.InvalidAllocationPool, "is not valid"),
    ({"allocation_pools": [{"start": "10.0.0.0", "end": "10.0.0.5"}]},
     exceptions.OutOfBoundsAllocationPool, "spans beyond the subnet cidr 10.0.0.0/24"),
    ({"allocation_pools": [{"start": "10.0.0.250", "end": "10.0.0.255"}]},
     exceptions.OutOfBoundsAllocationPool, "spans beyond"),
    ({"allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.50"},
                           {"start": "10.0.0.50", "end": "10.0.0.60"}]},
     exceptions.OverlappingAllocationPools, "10.0.0.2-10.0.0.50 10.0.0.50-10.0.0.60"),
    ({"gateway_ip": "10.0.0.10", "allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.50"}]},
     exceptions.GatewayConflictWithAllocationPools, "Gateway ip 10.0.0.10 conflicts"),
    ({"gateway_ip": "10.0.0.255"}, exceptions.InvalidInput, "network or broadcast"),
    ({"dns_nameservers": ["1.1.1.1"] * 2}, exceptions.InvalidInput, "Duplicate nameserver"),
    ({"dns_nameservers": [f"1.1.1.{i}" for i in range(6)]}, exceptions.InvalidInput,
     "exceeds the limit 5"),
    ({"dns_nameservers": ["fe80::1"]}, exceptions.InvalidInput, "IPv6"),
    ({"host_routes": [{"destination": "10.1.0.0/16", "nexthop": "10.0.0.1"}] * 2},
     exceptions.InvalidInput, "Duplicate hostroute"),
    ({"host_routes": [{"destination": "bad", "nexthop": "10.0.0.1"}]},
     exceptions.InvalidInput, "'bad' is not a valid IP subnet"),
])
def test_invalid_subnets_are_refused(attrs, exc, text):
    with pytest.raises(exc) as info:
        plan(**attrs)
    assert text in str(info.value)
    assert info.value.status_code in (400, 409)


def test_status_codes_follow_quantum():
    assert exceptions.OverlappingAllocationPools.status_code == 409
    assert exceptions.GatewayConflictWithAllocationPools.status_code == 409
    assert exceptions.OutOfBoundsAllocationPool.status_code == 400


def test_given_pools_are_sorted_and_kept():
    p = plan(allocation_pools=[{"start": "10.0.0.100", "end": "10.0.0.110"},
                               {"start": "10.0.0.20", "end": "10.0.0.30"}])
    assert pools(p) == [("10.0.0.20", "10.0.0.30"), ("10.0.0.100", "10.0.0.110")]


def test_dns_and_routes_are_normalised():
    p = plan(dns_nameservers=["8.8.8.8"],
             host_routes=[{"destination": "10.9.0.1/16", "nexthop": "10.0.0.254"}])
    assert p.dns_nameservers == ["8.8.8.8"]
    assert p.host_routes == [{"destination": "10.9.0.0/16", "nexthop": "10.0.0.254"}]
    assert plan(dns_nameservers=None).dns_nameservers == []


def test_fixed_ip_plans_are_checked_against_the_networks_subnets():
    subnet = type("Row", (), {"id": "s1", "cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.1"})
    assert ipam.plan_fixed_ips([{"ip_address": "10.0.0.9"}], [subnet], "n", 5) == \
        [(subnet, ipaddress.IPv4Address("10.0.0.9"))]
    cases = [
        ([{"subnet_id": "other"}], "fixed_ips included invalid subnet other"),
        ([{"subnet_id": "s1", "ip_address": "10.1.0.9"}], "not a valid IP for the defined subnet"),
        ([{"ip_address": "10.1.0.9"}], "not a valid IP for the defined networks subnets"),
        ([{}], "IP allocation requires subnet_id or ip_address"),
        ([{"ip_address": "10.0.0.9"}] * 2, "Duplicate IP address 10.0.0.9"),
        ([{"subnet_id": "s1"}] * 6, "Exceeded maximum amount of fixed ips per port"),
        ([{"ip_address": "bogus"}], "'bogus' is not a valid IP address"),
    ]
    for fixed_ips, text in cases:
        with pytest.raises(exceptions.InvalidInput) as info:
            ipam.plan_fixed_ips(fixed_ips, [subnet], "n", 5)
        assert text in str(info.value)
