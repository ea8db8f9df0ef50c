"""IPv4 address management with Quantum's rules (reference §1.5, Havana release semantics).

A subnet has allocation pools (``ipallocationpools``); the free addresses of
each pool are kept as ranges (``ipavailabilityranges``).  Allocating takes the
lowest free address; a specific address is carved out of its range; a
released address goes straight back into its pool's ranges, merged with its
neighbours (Havana: no lease hold).  Addresses outside every pool (an admin
may ask for them) are simply not in any range.

Concurrency: every change to a subnet's addresses first locks the subnet rows
involved (``SELECT ... FOR UPDATE``, in id order so two transactions never
wait on each other crosswise).  IPv6 subnets are refused: z/VM guests are
configured with IPv4 only.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import itertools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from quantum_zvm.common import constants, exceptions
from quantum_zvm.db import models
from quantum_zvm.db.segments import is_set

SUBNETS = models.SUBNETS
POOLS = models.IP_ALLOCATION_POOLS
RANGES = models.IP_AVAILABILITY_RANGES
ALLOCATIONS = models.IP_ALLOCATIONS
DNS = models.DNS_NAMESERVERS
ROUTES = models.SUBNET_ROUTES

MAX_DNS_NAMESERVERS = 5
MAX_HOST_ROUTES = 20
ROUTER_OWNERS = ("network:router_interface", "network:router_gateway")
IPV6_REFUSED = ("IPv6 subnets are not supported: quantum-zvm configures z/VM guests with "
                "IPv4 only (use ip_version 4)")

IPv4 = ipaddress.IPv4Address


def _invalid(message: str) -> exceptions.InvalidInput:
    return exceptions.InvalidInput(error_message=message)


def _address(value: object, what: str = "IP address") -> IPv4:
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise _invalid(f"'{value}' is not a valid {what}") from None
    if address.version != 4:
        raise _invalid(IPV6_REFUSED)
    return address


# --------------------------------------------------------------------------- subnet plans

@dataclasses.dataclass
class SubnetPlan:
    """A validated subnet: what goes into the subnet row and its child rows."""
    cidr: ipaddress.IPv4Network
    gateway_ip: str | None
    pools: list[tuple[IPv4, IPv4]]
    dns_nameservers: list[str]
    host_routes: list[dict[str, str]]


def parse_cidr(cidr: object, ip_version: object) -> ipaddress.IPv4Network:
    if ip_version == 6:
        raise _invalid(IPV6_REFUSED)
    if ip_version != 4:
        raise _invalid(f"ip_version {ip_version!r} is not 4")
    try:
        network = ipaddress.ip_network(str(cidr).strip(), strict=False)
    except ValueError:
        raise _invalid(f"'{cidr}' is not a valid IP subnet") from None
    if network.version != 4:
        raise _invalid(IPV6_REFUSED)
    if network.prefixlen > 30:
        raise _invalid(f"cidr {cidr} leaves no room for hosts; use a prefix of /30 or shorter")
    return network


def _host_bounds(network: ipaddress.IPv4Network) -> tuple[IPv4, IPv4]:
    return network.network_address + 1, network.broadcast_address - 1


def _pool_text(pool: tuple[IPv4, IPv4]) -> str:
    return f"{pool[0]}-{pool[1]}"


def plan_subnet(attrs: Mapping[str, Any]) -> SubnetPlan:
    """Validate a subnet create body (after the API's own checks) and fill in defaults."""
    network = parse_cidr(attrs.get("cidr"), attrs.get("ip_version"))
    first, last = _host_bounds(network)
    gateway = attrs.get("gateway_ip", constants.ATTR_NOT_SPECIFIED)
    if gateway is constants.ATTR_NOT_SPECIFIED:
        gateway_ip = first
    elif gateway is None:
        gateway_ip = None
    else:
        gateway_ip = check_gateway(gateway, network)
    pools_attr = attrs.get("allocation_pools", constants.ATTR_NOT_SPECIFIED)
    if is_set(pools_attr):
        pools = _validate_pools(pools_attr, network)
    else:
        pools = _default_pools(first, last, gateway_ip)
    if gateway_ip is not None:
        check_gateway_outside_pools(gateway_ip, pools)
    return SubnetPlan(network, str(gateway_ip) if gateway_ip else None, pools,
                      validate_dns(attrs.get("dns_nameservers")),
                      validate_routes(attrs.get("host_routes")))


def check_gateway(gateway: object, network: ipaddress.IPv4Network) -> IPv4:
    address = _address(gateway)
    if address in (network.network_address, network.broadcast_address):
        raise _invalid(f"Gateway ip {address} is the network or broadcast address of "
                       f"{network}")
    return address


def check_gateway_outside_pools(gateway: IPv4, pools: Sequence[tuple[IPv4, IPv4]]) -> None:
    for pool in pools:
        if pool[0] <= gateway <= pool[1]:
            raise exceptions.GatewayConflictWithAllocationPools(
                ip_address=str(gateway), pool=_pool_text(pool))


def _default_pools(first: IPv4, last: IPv4, gateway: IPv4 | None) -> list[tuple[IPv4, IPv4]]:
    if gateway is None or not first <= gateway <= last:
        return [(first, last)]
    return [pool for pool in ((first, gateway - 1), (gateway + 1, last)) if pool[0] <= pool[1]]


def _validate_pools(pools_attr: object, network: ipaddress.IPv4Network
                    ) -> list[tuple[IPv4, IPv4]]:
    if not isinstance(pools_attr, list):
        raise _invalid("allocation_pools must be a list of {start, end}")
    first, last = _host_bounds(network)
    pools = []
    for raw in pools_attr:
        if not isinstance(raw, dict) or set(raw) != {"start", "end"}:
            raise exceptions.InvalidAllocationPool(pool=raw)
        try:
            start, end = (ipaddress.ip_address(str(raw["start"]).strip()),
                          ipaddress.ip_address(str(raw["end"]).strip()))
        except ValueError:
            raise exceptions.InvalidAllocationPool(pool=raw) from None
        if start.version != 4 or end.version != 4 or start > end:
            raise exceptions.InvalidAllocationPool(pool=raw)
        if start < first or end > last:
            raise exceptions.OutOfBoundsAllocationPool(pool=raw, subnet_cidr=str(network))
        pools.append((start, end))
    ordered = sorted(pools)
    for left, right in itertools.pairwise(ordered):
        if right[0] <= left[1]:
            raise exceptions.OverlappingAllocationPools(
                pool_1=_pool_text(left), pool_2=_pool_text(right), subnet_cidr=str(network))
    return ordered


def validate_dns(value: object) -> list[str]:
    if not is_set(value):
        return []
    if not isinstance(value, list):
        raise _invalid("dns_nameservers must be a list of IP addresses")
    if len(value) > MAX_DNS_NAMESERVERS:
        raise _invalid(f"The number of DNS nameservers exceeds the limit {MAX_DNS_NAMESERVERS}")
    servers = []
    for item in value:
        text = str(_address(item, "nameserver"))
        if text in servers:
            raise _invalid(f"Duplicate nameserver {text}")
        servers.append(text)
    return servers


def validate_routes(value: object) -> list[dict[str, str]]:
    if not is_set(value):
        return []
    if not isinstance(value, list):
        raise _invalid("host_routes must be a list of {destination, nexthop}")
    if len(value) > MAX_HOST_ROUTES:
        raise _invalid(f"The number of host routes exceeds the limit {MAX_HOST_ROUTES}")
    routes: list[dict[str, str]] = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"destination", "nexthop"}:
            raise _invalid(f"host route {item!r} must have exactly destination and nexthop")
        try:
            destination = ipaddress.ip_network(str(item["destination"]).strip(), strict=False)
        except ValueError:
            raise _invalid(f"'{item['destination']}' is not a valid IP subnet") from None
        if destination.version != 4:
            raise _invalid(IPV6_REFUSED)
        route = {"destination": str(destination), "nexthop": str(_address(item["nexthop"]))}
        if route in routes:
            raise _invalid(f"Duplicate hostroute {route['destination']} via {route['nexthop']}")
        routes.append(route)
    return routes


def check_overlap(conn: Connection, network: ipaddress.IPv4Network, network_id: str,
                  same_network_only: bool) -> None:
    """400 when ``network`` overlaps a subnet (of the same network, or of any network)."""
    query = sa.select(SUBNETS.c.cidr)
    if same_network_only:
        query = query.where(SUBNETS.c.network_id == network_id)
    for (cidr,) in conn.execute(query):
        try:
            other = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue
        if other.version == 4 and other.overlaps(network):
            raise _invalid(f"Requested subnet with cidr: {network} for network: {network_id} "
                           f"overlaps with another subnet")


def insert_subnet_children(conn: Connection, subnet_id: str, plan: SubnetPlan) -> None:
    for start, end in plan.pools:
        pool_id = str(uuid.uuid4())
        conn.execute(POOLS.insert().values(id=pool_id, subnet_id=subnet_id,
                                              first_ip=str(start), last_ip=str(end)))
        conn.execute(RANGES.insert().values(allocation_pool_id=pool_id, first_ip=str(start),
                                               last_ip=str(end)))
    replace_dns(conn, subnet_id, plan.dns_nameservers)
    replace_routes(conn, subnet_id, plan.host_routes)


def replace_dns(conn: Connection, subnet_id: str, servers: list[str]) -> None:
    conn.execute(DNS.delete().where(DNS.c.subnet_id == subnet_id))
    if servers:
        conn.execute(DNS.insert(), [{"address": a, "subnet_id": subnet_id} for a in servers])


def replace_routes(conn: Connection, subnet_id: str, routes: list[dict[str, str]]) -> None:
    conn.execute(ROUTES.delete().where(ROUTES.c.subnet_id == subnet_id))
    if routes:
        conn.execute(ROUTES.insert(), [{**r, "subnet_id": subnet_id} for r in routes])


# --------------------------------------------------------------------------- addresses

# Statements of the port-create path, built once (see ``_INSERT_PORT`` in mac_allocator).
_LOCK_SUBNETS = (sa.select(SUBNETS).where(SUBNETS.c.network_id == sa.bindparam("network_id"))
                 .order_by(SUBNETS.c.id).with_for_update(key_share=True))
_FREE_RANGES = (sa.select(POOLS.c.subnet_id, RANGES.c.allocation_pool_id, RANGES.c.first_ip,
                          RANGES.c.last_ip)
                .join(POOLS, POOLS.c.id == RANGES.c.allocation_pool_id)
                .where(POOLS.c.subnet_id.in_(sa.bindparam("subnet_ids", expanding=True))))
_RANGE_KEY = (RANGES.c.allocation_pool_id == sa.bindparam("pool_id"),
              RANGES.c.first_ip == sa.bindparam("old_first"),
              RANGES.c.last_ip == sa.bindparam("old_last"))
_DELETE_RANGE = RANGES.delete().where(*_RANGE_KEY)
_SHRINK_RANGE = RANGES.update().where(*_RANGE_KEY).values(
    first_ip=sa.bindparam("new_first"), last_ip=sa.bindparam("new_last"))
_INSERT_ALLOCATION = ALLOCATIONS.insert()


def lock_subnets(conn: Connection, network_id: str) -> Sequence[sa.Row]:
    """The network's subnets, locked against concurrent address changes, in id order."""
    return conn.execute(_LOCK_SUBNETS, {"network_id": network_id}).all()


def plan_fixed_ips(fixed_ips: object, subnets: Sequence[sa.Row], network_id: str,
                   max_ips: int) -> list[tuple[sa.Row, IPv4 | None]]:
    """Validate a ``fixed_ips`` list against the network's subnets: ``[(subnet, ip|None)]``."""
    if not isinstance(fixed_ips, list):
        raise _invalid("fixed_ips must be a list")
    if len(fixed_ips) > max_ips:
        raise _invalid("Exceeded maximum amount of fixed ips per port")
    by_id = {s.id: s for s in subnets}
    plan: list[tuple[sa.Row, IPv4 | None]] = []
    seen: set[IPv4] = set()
    for entry in fixed_ips:
        subnet, ip = _plan_fixed_ip(entry, subnets, by_id, network_id)
        if ip is not None:
            if ip in seen:
                raise _invalid(f"Duplicate IP address {ip}")
            seen.add(ip)
        plan.append((subnet, ip))
    return plan


def _plan_fixed_ip(entry: object, subnets: Sequence[sa.Row], by_id: Mapping[str, sa.Row],
                   network_id: str) -> tuple[sa.Row, IPv4 | None]:
    """One ``fixed_ips`` entry: its subnet (named, or the one holding the address) and address."""
    if not isinstance(entry, dict) or not set(entry) <= {"subnet_id", "ip_address"}:
        raise _invalid(f"fixed_ips entry {entry!r} may only have subnet_id and ip_address")
    ip = _address(entry["ip_address"]) if is_set(entry.get("ip_address")) else None
    if is_set(entry.get("subnet_id")):
        return _named_subnet(by_id, entry["subnet_id"], ip, network_id), ip
    if ip is not None:
        return _subnet_holding(subnets, ip), ip
    raise _invalid("IP allocation requires subnet_id or ip_address")


def _named_subnet(by_id: Mapping[str, sa.Row], subnet_id: str, ip: IPv4 | None,
                  network_id: str) -> sa.Row:
    subnet = by_id.get(subnet_id)
    if subnet is None:
        raise _invalid(f"Failed to create port on network {network_id}, because "
                       f"fixed_ips included invalid subnet {subnet_id}")
    if ip is not None and ip not in ipaddress.ip_network(subnet.cidr):
        raise _invalid(f"IP address {ip} is not a valid IP for the defined subnet")
    return subnet


def _subnet_holding(subnets: Sequence[sa.Row], ip: IPv4) -> sa.Row:
    subnet = next((s for s in subnets if ip in ipaddress.ip_network(s.cidr)), None)
    if subnet is None:
        raise _invalid(f"IP address {ip} is not a valid IP for the defined networks subnets")
    return subnet


def allocate(conn: Connection, port_id: str, network_id: str,
             plan: Iterable[tuple[sa.Row, IPv4 | None]], device_owner: str,
             free: dict[str, list] | None = None) -> list[dict]:
    """Allocate the planned addresses (subnets already locked): ``[{subnet_id, ip_address}]``.

    ``free`` is the subnets' free ranges when the caller has just read them.
    """
    plan = list(plan)
    if free is None:
        free = _ranges(conn, sorted({subnet.id for subnet, _ in plan}))
    allocated = []
    for subnet, ip in plan:
        ranges = free.setdefault(subnet.id, [])
        if ip is None:
            if not ranges:
                raise exceptions.IpAddressGenerationFailure(net_id=network_id)
            ip = IPv4(ranges[0].first_ip)
        else:
            _check_specific(conn, subnet, network_id, ip, device_owner)
        _carve(conn, ranges, ip)
        conn.execute(_INSERT_ALLOCATION, {"port_id": port_id, "ip_address": str(ip),
                                          "subnet_id": subnet.id, "network_id": network_id})
        allocated.append({"subnet_id": subnet.id, "ip_address": str(ip)})
    return allocated


def allocate_default(conn: Connection, port_id: str, network_id: str,
                     subnets: Sequence[sa.Row]) -> list[dict]:
    """One address from the first subnet with a free one (none when the network has no subnet)."""
    free = _ranges(conn, [s.id for s in subnets])
    for subnet in subnets:
        if free.get(subnet.id):
            return allocate(conn, port_id, network_id, [(subnet, None)], "", free)
    if subnets:
        raise exceptions.IpAddressGenerationFailure(net_id=network_id)
    return []


def _ranges(conn: Connection, subnet_ids: Sequence[str]) -> dict[str, list[sa.Row]]:
    """Free ranges per subnet, lowest first."""
    rows = conn.execute(_FREE_RANGES, {"subnet_ids": list(subnet_ids)}).all()
    result: dict[str, list[sa.Row]] = {}
    for row in sorted(rows, key=lambda r: IPv4(r.first_ip)):
        result.setdefault(row.subnet_id, []).append(row)
    return result


def _check_specific(conn: Connection, subnet: sa.Row, network_id: str, ip: IPv4,
                    device_owner: str) -> None:
    network = ipaddress.ip_network(subnet.cidr)
    if ip in (network.network_address, network.broadcast_address):
        raise _invalid(f"IP address {ip} is not a valid IP for the defined subnet")
    taken = conn.execute(sa.select(ALLOCATIONS.c.port_id).where(
        ALLOCATIONS.c.subnet_id == subnet.id, ALLOCATIONS.c.ip_address == str(ip))).first()
    if taken is not None or (str(ip) == subnet.gateway_ip and device_owner not in ROUTER_OWNERS):
        raise exceptions.IpAddressInUse(net_id=network_id, ip_address=str(ip))


def _carve(conn: Connection, ranges: list, ip: IPv4) -> None:
    """Take ``ip`` out of the free range holding it (none: outside the pools); keeps ``ranges``."""
    index = next((i for i, row in enumerate(ranges)
                  if IPv4(row.first_ip) <= ip <= IPv4(row.last_ip)), None)
    if index is None:
        return
    row = ranges[index]
    first, last = IPv4(row.first_ip), IPv4(row.last_ip)
    pool_id = row.allocation_pool_id
    key = {"pool_id": pool_id, "old_first": str(first), "old_last": str(last)}
    pieces = [(a, b) for a, b in ((first, ip - 1), (ip + 1, last)) if a <= b]
    if not pieces:
        conn.execute(_DELETE_RANGE, key)
    else:
        low, high = pieces[0]
        conn.execute(_SHRINK_RANGE, {**key, "new_first": str(low), "new_last": str(high)})
        _insert_ranges(conn, pool_id, pieces[1:])
    ranges[index:index + 1] = [_FreeRange(pool_id, str(a), str(b)) for a, b in pieces]


def _delete_range(conn: Connection, pool_id: str, first: IPv4, last: IPv4) -> None:
    conn.execute(_DELETE_RANGE, {"pool_id": pool_id, "old_first": str(first),
                                 "old_last": str(last)})


def _insert_ranges(conn: Connection, pool_id: str, pieces: list[tuple[IPv4, IPv4]]) -> None:
    if pieces:
        conn.execute(RANGES.insert(), [
            {"allocation_pool_id": pool_id, "first_ip": str(a), "last_ip": str(b)}
            for a, b in pieces])


def release(conn: Connection, allocations: Iterable[sa.Row | dict]) -> None:
    """Delete allocations and put in-pool addresses straight back into their pools' ranges.

    Each allocation needs ``subnet_id``, ``ip_address`` and ``network_id``; the
    subnets must be locked by the caller.
    """
    released = [dict(a._mapping) if isinstance(a, sa.Row) else a for a in allocations]
    if not released:
        return
    subnet_ids = sorted({a["subnet_id"] for a in released})
    pools = conn.execute(sa.select(POOLS).where(POOLS.c.subnet_id.in_(subnet_ids))).all()
    free = _ranges(conn, subnet_ids)
    for alloc in released:
        conn.execute(ALLOCATIONS.delete().where(
            ALLOCATIONS.c.ip_address == alloc["ip_address"],
            ALLOCATIONS.c.subnet_id == alloc["subnet_id"],
            ALLOCATIONS.c.network_id == alloc["network_id"]))
        ip = IPv4(alloc["ip_address"])
        pool = next((p for p in pools if p.subnet_id == alloc["subnet_id"]
                     and IPv4(p.first_ip) <= ip <= IPv4(p.last_ip)), None)
        if pool is not None:
            _return_to_pool(conn, pool.id, ip, free.setdefault(alloc["subnet_id"], []))


def _return_to_pool(conn: Connection, pool_id: str, ip: IPv4, free: list) -> None:
    """Insert ``ip`` as a free range, merged with adjacent ranges; keeps ``free`` current."""
    first, last = ip, ip
    for row in [r for r in free if r.allocation_pool_id == pool_id]:
        low, high = IPv4(row.first_ip), IPv4(row.last_ip)
        if high + 1 == ip or low - 1 == ip:
            _delete_range(conn, pool_id, low, high)
            free.remove(row)
            first, last = min(first, low), max(last, high)
    _insert_ranges(conn, pool_id, [(first, last)])
    free.append(_FreeRange(pool_id, str(first), str(last)))


@dataclasses.dataclass
class _FreeRange:
    allocation_pool_id: str
    first_ip: str
    last_ip: str


def recycle_held(conn: Connection) -> int:
    """Return addresses a Grizzly server left held (``port_id`` NULL) to their pools."""
    held = conn.execute(sa.select(ALLOCATIONS).where(ALLOCATIONS.c.port_id.is_(None))).all()
    release(conn, held)
    return len(held)
