"""Hostile input through a real quantum-zvm-server, on SQLite, PostgreSQL and MariaDB.

Every case of issue 11 ("the API never answers 500 or an empty body"), then a
corpus generated from tables of hostile values x fields x methods, sent as an
admin and as two tenants: no answer is a 5xx, no body holds a traceback, every
error is a NeutronError, nothing is left behind and no tenant sees or changes
another tenant's resource.  The corpus is deterministic (no randomness; the
caller of a request is chosen by its position).
"""
from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests

from tests.fixtures.server import Server, start_server

BACKENDS = [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres),
            pytest.param("mysql", marks=pytest.mark.mysql)]
_DATABASE_SERVERS = {"postgresql": "postgres_server", "mysql": "mysql_server"}
_DROP = {"postgresql": "DROP DATABASE IF EXISTS {} WITH (FORCE)",
         "mysql": "DROP DATABASE IF EXISTS {}"}

ADMIN: dict[str, str] = {}                   # noauth: no identity headers = admin of "admin"
T1 = {"X-Project-Id": "hostile-t1", "X-User-Id": "u1", "X-Roles": "member"}
T2 = {"X-Project-Id": "hostile-t2", "X-User-Id": "u2", "X-Roles": "member"}
CALLERS = {"admin": ADMIN, "t1": T1, "t2": T2}
TENANTS = {"admin": "admin", "t1": T1["X-Project-Id"], "t2": T2["X-Project-Id"]}
COLLECTIONS = ("networks", "subnets", "ports")
RESOURCE = {"networks": "network", "subnets": "subnet", "ports": "port"}


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory) -> Iterator[Server]:
    """One server per backend for the module (on a fresh database, dropped after)."""
    tmp = tmp_path_factory.mktemp(f"hostile-{request.param}")
    if request.param == "sqlite":
        server = start_server(tmp)
        yield server
        server.stop()
        return
    database_server = request.getfixturevalue(_DATABASE_SERVERS[request.param])
    name = f"qzvm_{uuid.uuid4().hex[:12]}"
    database_server.admin(f"CREATE DATABASE {name}")
    # MariaDB through the seed example's ?charset=utf8 (utf8mb3), its strictest setting.
    url = database_server.url(name).replace("charset=utf8mb4", "charset=utf8")
    server = start_server(tmp, sql_connection=url)
    yield server
    server.stop()
    database_server.admin(_DROP[request.param].format(name))


# --------------------------------------------------------------------------- answers

@dataclasses.dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def defects(reply: Reply) -> list[str]:
    """What is wrong with an answer to a hostile request (empty when nothing)."""
    found = []
    if reply.status < 100:
        found.append(f"no HTTP answer: {reply.body[:160]!r}")
    if reply.status >= 500:
        found.append(f"status {reply.status}")
    if b"Traceback" in reply.body or b'File "/' in reply.body:
        found.append("traceback in the body")
    if reply.status >= 400:
        try:
            error = reply.json()["NeutronError"]
            well_formed = set(error) == {"type", "message", "detail"} and \
                all(isinstance(error[k], str) for k in error) and error["message"]
        except (ValueError, KeyError, TypeError):
            well_formed = False
        if not well_formed or not reply.content_type.startswith("application/json"):
            found.append(f"not a NeutronError: {reply.content_type} {reply.body[:160]!r}")
    return found


class Api:
    """HTTP to the server: JSON bodies as raw bytes, paths and queries already encoded."""

    def __init__(self, server: Server):
        self.server = server
        self.session = requests.Session()

    def send(self, method: str, path: str, body: bytes | None = None,
             headers: dict | None = None) -> Reply:
        headers = dict(headers or {})
        if body is not None:
            headers["Content-Type"] = "application/json"
        response = self.session.request(method, self.server.api + path, data=body,
                                        headers=headers, timeout=30)
        return Reply(response.status_code, response.headers.get("Content-Type", ""),
                     response.content)

    def ok(self, method: str, path: str, body: Any = None, headers: dict | None = None,
           status: int = 200) -> Any:
        """A request that must succeed; its decoded JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        reply = self.send(method, path, data, headers)
        assert reply.status == status, (method, path, reply)
        return reply.json() if reply.body else None

    def raw(self, data: bytes) -> Reply:
        """One request written as is to a fresh connection, which the client then half-closes
        (the end of a cut body); the answer until the server closes, or until 10 s."""
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            try:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
            except OSError:       # the server may refuse and close before reading it all
                pass
            received = b""
            while chunk := _recv(sock):
                received += chunk
        return parse_http(received)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except (ConnectionResetError, TimeoutError):
        return b""


def parse_http(data: bytes) -> Reply:
    """The status, content type and body of one HTTP/1.x response."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/"):
        return Reply(0, "", data)
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
    if "content-length" in headers:
        body = body[:int(headers["content-length"])]
    return Reply(int(lines[0].split()[1]), headers.get("content-type", ""), body)


def query_text(value: str) -> str:
    """``value`` percent-encoded for a URL; lone surrogates become their (invalid) UTF-8."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


# --------------------------------------------------------------------------- the issue's cases

ISSUE_CASES = [
    ("limit beyond 64 bits", "GET", "/networks?limit=9223372036854775807", None, {}),
    ("integer filter beyond 64 bits", "GET",
     "/networks?provider:segmentation_id=99999999999999999999999", None, {}),
    ("ip_version filter 2**64", "GET", f"/subnets?ip_version={2 ** 64}", None, {}),
    ("name with a lone surrogate", "POST", "/networks",
     b'{"network": {"name": "\\ud800"}}', {}),
    ("name with NUL", "POST", "/networks", b'{"network": {"name": "a\\u0000b"}}', {}),
    ("invalid UTF-8 in a query value", "GET", "/networks?name=%FF", None, {}),
    ("invalid UTF-8 in the path", "GET", "/networks/%FF", None, {}),
    ("X-Project-Id longer than the column", "POST", "/networks", b'{"network": {}}',
     {"X-Project-Id": "p" * 256, "X-Roles": "member"}),
]


@pytest.mark.parametrize("label, method, path, data, headers", ISSUE_CASES,
                         ids=[case[0] for case in ISSUE_CASES])
def test_issue_case_is_a_400_neutron_error(server, label, method, path, data, headers):
    reply = Api(server).send(method, path, data, headers)
    assert reply.status == 400, reply
    assert defects(reply) == []


def test_overlong_request_line_and_header_line_are_neutron_errors(server):
    api = Api(server)
    url = b"/v2.0/networks?name=" + b"n" * 9000
    too_long_url = api.raw(b"GET " + url + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert too_long_url.status == 414 and defects(too_long_url) == [], too_long_url
    too_long_header = api.raw(b"GET /v2.0/networks HTTP/1.1\r\nHost: x\r\n"
                              b"X-Project-Id: " + b"p" * 9000 + b"\r\n\r\n")
    assert too_long_header.status == 400 and defects(too_long_header) == [], too_long_header
    # The server still serves, on a new connection.
    assert api.ok("GET", "/networks") is not None


# --------------------------------------------------------------------------- the corpus: tables

TEXT = {  # strings JSON can carry; some database cannot store several of them
    "lone high surrogate": "\ud800",
    "lone low surrogate": "x\udfff",
    "NUL": "a\x00b",
    "256 characters": "n" * 256,
    "100,000 characters": "n" * 100_000,
    "255 astral characters": "\U0001f600" * 255,
    "SQL": "x'); DROP TABLE networks; --",
    "shell": "$(reboot)`id`;|&>/tmp/x",
    "format": "%s%n%x{0}{{",
    "control": "\x01\x1b[31m\x7f\x9f",
    "line breaks": "a\nb\r\n\u2028",
    "bidi and zero-width": "\u202e\ufeff\u200b",
    "combining marks": "e" + "\u0301" * 300,
    "path": "../../etc/passwd",
    "whitespace": " \t ",
    "empty": "",
}
NUMBERS = {
    "2**31": 2 ** 31, "-2**31-1": -2 ** 31 - 1, "2**63": 2 ** 63, "2**64": 2 ** 64,
    "10**30": 10 ** 30, "-1": -1, "float": 1.5, "true": True, "null": None,
    "digits 10**23": "99999999999999999999999", "hex": "0x10", "exponent": "1e3",
    "arabic digit": "\u0663",
}
SHAPES = {"list": ["x"], "object": {"k": "\ud800"}, "nested": [[[[[{"a": [None]}]]]]]}
VALUES = {**TEXT, **NUMBERS, **SHAPES}

# Query values: the texts (a URL stays under 8 KB) and numbers as a client would write them.
QUERY_VALUES = {**{label: text for label, text in TEXT.items() if len(text) < 1000},
                "4,000 characters": "n" * 4000, "2**64": str(2 ** 64),
                "digits 10**23": "99999999999999999999999", "-1": "-1", "hex": "0x10",
                "fixed_ips NUL": "ip_address=\x00", "fixed_ips surrogate": "subnet_id=\ud800"}


@dataclasses.dataclass(frozen=True)
class Field:
    """A place in a request body where a hostile value goes."""
    collection: str
    name: str
    attrs: Callable[[Any], dict]


def plain(collection: str, name: str) -> Field:
    return Field(collection, name, lambda value: {name: value})


BODY_FIELDS = [
    plain("networks", "name"), plain("networks", "tenant_id"),
    plain("networks", "admin_state_up"), plain("networks", "provider:physical_network"),
    Field("networks", "provider:segmentation_id", lambda value: {
        "provider:network_type": "vlan", "provider:physical_network": "VSW1",
        "provider:segmentation_id": value}),
    plain("subnets", "name"), plain("subnets", "cidr"), plain("subnets", "gateway_ip"),
    plain("subnets", "ip_version"),
    Field("subnets", "dns_nameservers[]", lambda value: {"dns_nameservers": [value]}),
    Field("subnets", "host_routes[].nexthop", lambda value: {
        "host_routes": [{"destination": "10.50.0.0/16", "nexthop": value}]}),
    plain("ports", "name"), plain("ports", "device_id"), plain("ports", "device_owner"),
    plain("ports", "mac_address"), plain("ports", "binding:host_id"),
    Field("ports", "binding:profile.zvm_userid",
          lambda value: {"binding:profile": {"zvm_userid": value}}),
    Field("ports", "binding:profile.vdev",
          lambda value: {"binding:profile": {"zvm_userid": "HOSTILE1", "vdev": value}}),
    Field("ports", "fixed_ips[].ip_address", lambda value: {"fixed_ips": [{"ip_address": value}]}),
    Field("ports", "fixed_ips[].subnet_id", lambda value: {"fixed_ips": [{"subnet_id": value}]}),
]
FILTERS = [("networks", name) for name in ("name", "tenant_id", "project_id", "id", "status",
                                           "shared", "provider:segmentation_id",
                                           "provider:physical_network")] + \
          [("subnets", name) for name in ("name", "cidr", "ip_version", "network_id",
                                          "enable_dhcp", "gateway_ip")] + \
          [("ports", name) for name in ("name", "mac_address", "device_id", "binding:host_id",
                                        "fixed_ips", "admin_state_up")]
LIST_PARAMS = ("limit", "marker", "sort_key", "sort_dir", "fields", "page_reverse")
LIST_VALUES = {"2**63-1": str(2 ** 63 - 1), "2**31": str(2 ** 31), "-1": "-1", "NUL": "\x00",
               "surrogate": "\ud800", "SQL": "id; DROP TABLE ports", "uuid + newline":
               f"{uuid.UUID(int=1)}\n", "long": "n" * 2000, "empty": "", "name": "name"}
PATH_SEGMENTS = {"invalid UTF-8": "%FF", "NUL": "%00", "surrogate": "%ED%A0%80",
                 "dot-dot": "..%2F..%2Fetc", "uuid + newline": f"{uuid.UUID(int=1)}%0A",
                 "upper-case uuid": str(uuid.UUID(int=2)).upper(), "300 characters": "n" * 300,
                 "percent": "%25", "space": "%20", "semicolon": ";x=1"}
PATH_METHODS = ("GET", "PUT", "DELETE", "PATCH")
HOSTILE_PROJECTS = {"256 characters": b"p" * 256, "NUL": b"a\x00b",
                    "invalid UTF-8": b"\xff\xfe", "UTF-8": "\u00e9t\u00e9".encode(),
                    "SQL": b"' OR '1'='1", "tab": b"hostile\tt3"}
CALLER_ORDER = ("admin", "t1", "t2")


def raw_request(method: bytes, target: bytes, headers: bytes = b"", body: bytes = b"") -> bytes:
    return (method + b" " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
            headers + b"\r\n" + body)


RAW = {  # whole requests as bytes: what no HTTP client library would send
    "request line over 8 KB": raw_request(b"GET", b"/v2.0/networks?name=" + b"n" * 9000),
    "header line over 8 KB": raw_request(b"GET", b"/v2.0/networks",
                                         b"X-Project-Id: " + b"p" * 9000 + b"\r\n"),
    "headers over 64 KB": raw_request(b"GET", b"/v2.0/networks", b"".join(
        b"X-Pad-%d: %s\r\n" % (i, b"p" * 7000) for i in range(10))),
    "101 headers": raw_request(b"GET", b"/v2.0/networks", b"".join(
        b"X-Pad-%d: p\r\n" % i for i in range(101))),
    "garbage request line": b"GARBAGE\r\n\r\n",
    "HTTP/9.9": b"GET /v2.0/networks HTTP/9.9\r\nHost: x\r\n\r\n",
    "negative Content-Length": raw_request(b"POST", b"/v2.0/networks",
                                           b"Content-Length: -1\r\n"),
    "Content-Length not a number": raw_request(b"POST", b"/v2.0/networks",
                                               b"Content-Length: ten\r\n"),
    "Content-Length with chunked": raw_request(
        b"POST", b"/v2.0/networks", b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
        b"{}"),
    "bad chunk size": raw_request(b"POST", b"/v2.0/networks",
                                  b"Transfer-Encoding: chunked\r\n"
                                  b"Content-Type: application/json\r\n", b"zz\r\n{}\r\n0\r\n\r\n"),
    "chunked body cut short": raw_request(b"POST", b"/v2.0/networks",
                                          b"Transfer-Encoding: chunked\r\n"
                                          b"Content-Type: application/json\r\n", b"ff\r\n{\"n"),
    "raw byte 0xFF in the path": raw_request(b"GET", b"/v2.0/networks/\xff"),
    "raw byte 0xFF in the query": raw_request(b"GET", b"/v2.0/networks?name=\xff"),
    "NUL in X-Project-Id": raw_request(b"GET", b"/v2.0/networks", b"X-Project-Id: a\x00b\r\n"),
    "body not UTF-8": raw_request(b"POST", b"/v2.0/networks",
                                  b"Content-Type: application/json\r\nContent-Length: 4\r\n",
                                  b"\xff\xfe\xfd\xfc"),
    "JSON nested 100,000 deep": raw_request(b"POST", b"/v2.0/networks",
                                            b"Content-Type: application/json\r\n"
                                            b"Content-Length: 100000\r\n", b"[" * 100_000),
    "JSON number of 5,000 digits": raw_request(
        b"POST", b"/v2.0/networks", b"Content-Type: application/json\r\nContent-Length: 5030\r\n",
        b'{"network": {"name": ' + b"9" * 5000 + b"}}" + b" " * 8),
}


# --------------------------------------------------------------------------- the corpus: cases

@dataclasses.dataclass
class World:
    """What the corpus works on: per caller its own network, subnet and port, plus a shared
    network of the admin's."""
    own: dict[str, dict[str, str]]
    shared: frozenset[str]

    def base(self, collection: str, caller: str) -> dict:
        """The valid attributes of a create on the caller's own network."""
        network = self.own[caller]["networks"]
        return {"networks": {},
                "subnets": {"network_id": network, "ip_version": 4, "cidr": "10.99.0.0/24"},
                "ports": {"network_id": network}}[collection]


@dataclasses.dataclass(frozen=True)
class Case:
    label: str
    caller: str                  # a key of CALLERS, or "hostile" (headers carry the identity)
    method: str
    path: str                    # under /v2.0, already percent-encoded
    body: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()

    def request_headers(self) -> dict:
        return {**CALLERS.get(self.caller, {}), **dict(self.headers)}


def make_world(api: Api) -> World:
    own: dict[str, dict[str, str]] = {}
    for number, (caller, headers) in enumerate(CALLERS.items(), start=1):
        network = api.ok("POST", "/networks", {"network": {"name": f"own-{caller}"}}, headers,
                         201)["network"]["id"]
        subnet = api.ok("POST", "/subnets", {"subnet": {
            "network_id": network, "ip_version": 4, "cidr": f"10.{number}.0.0/24"}}, headers,
            201)["subnet"]["id"]
        port = api.ok("POST", "/ports", {"port": {"network_id": network, "name": "own"}},
                      headers, 201)["port"]["id"]
        own[caller] = {"networks": network, "subnets": subnet, "ports": port}
    shared = api.ok("POST", "/networks", {"network": {"name": "shared", "shared": True}},
                    status=201)["network"]["id"]
    shared_subnet = api.ok("POST", "/subnets", {"subnet": {
        "network_id": shared, "ip_version": 4, "cidr": "10.200.0.0/24"}}, status=201)
    return World(own, frozenset({shared, shared_subnet["subnet"]["id"]}))


def encode(body: Any) -> bytes:
    """JSON as a client sends it; lone surrogates become ``\\ud800`` escapes."""
    return json.dumps(body).encode()


def body_cases(world: World) -> Iterator[Case]:
    """Every hostile value in every body field, created and updated."""
    combinations = itertools.product(BODY_FIELDS, VALUES.items())
    for index, (field, (label, value)) in enumerate(combinations):
        caller = CALLER_ORDER[index % len(CALLER_ORDER)]
        resource, attrs = RESOURCE[field.collection], field.attrs(value)
        create = {resource: {**world.base(field.collection, caller), **attrs}}
        yield Case(f"POST {field.collection} {field.name}={label}", caller, "POST",
                   f"/{field.collection}", encode(create))
        target = world.own[caller][field.collection]
        yield Case(f"PUT {field.collection} {field.name}={label}", caller, "PUT",
                   f"/{field.collection}/{target}", encode({resource: attrs}))


def filter_cases() -> Iterator[Case]:
    """Every hostile query value as every filter, and as every list parameter."""
    combinations = itertools.product(FILTERS, QUERY_VALUES.items())
    for index, ((collection, name), (label, text)) in enumerate(combinations):
        yield Case(f"GET {collection}?{name}={label}", CALLER_ORDER[index % 3], "GET",
                   f"/{collection}?{quote(name)}={query_text(text)}")
    combinations = itertools.product(LIST_PARAMS, LIST_VALUES.items())
    for index, (name, (label, text)) in enumerate(combinations):
        collection = COLLECTIONS[index % len(COLLECTIONS)]
        yield Case(f"GET {collection}?{name}={label}", CALLER_ORDER[index % 3], "GET",
                   f"/{collection}?limit=2&{name}={query_text(text)}")


def path_cases() -> Iterator[Case]:
    """Every hostile path segment as a member id of every collection, with every method."""
    combinations = itertools.product((*COLLECTIONS, "agents"), PATH_SEGMENTS.items())
    for index, (collection, (label, segment)) in enumerate(combinations):
        method = PATH_METHODS[index % len(PATH_METHODS)]
        body = encode({"x": {}}) if method in ("PUT", "PATCH") else None
        yield Case(f"{method} {collection}/<{label}>", CALLER_ORDER[index % 3], method,
                   f"/{collection}/{segment}", body)


def header_cases() -> Iterator[Case]:
    """Every hostile project id listing and creating."""
    for label, project in HOSTILE_PROJECTS.items():
        headers = (("X-Project-Id", project), ("X-Roles", b"member"))
        yield Case(f"GET networks as project {label}", "hostile", "GET", "/networks",
                   headers=headers)
        yield Case(f"POST networks as project {label}", "hostile", "POST", "/networks",
                   encode({"network": {"name": "hostile project"}}), headers)


def corpus(world: World) -> list[Case]:
    return [*body_cases(world), *filter_cases(), *path_cases(), *header_cases()]


# --------------------------------------------------------------------------- the corpus: run

def listing(api: Api) -> dict[str, dict[str, dict]]:
    """Everything there is, as the admin sees it: collection -> id -> resource."""
    return {collection: {item["id"]: item for item in api.ok("GET", f"/{collection}")[collection]}
            for collection in COLLECTIONS}


def foreign_items(case: Case, reply: Reply, world: World) -> list[dict]:
    """Items of a tenant's list or show answer that belong to another tenant (``fields``
    may have left out the id or the tenant)."""
    if case.caller not in ("t1", "t2") or case.method != "GET" or reply.status != 200:
        return []
    answer = reply.json()
    items = next((answer[key] for key in answer if key in COLLECTIONS), None)
    if items is None:
        items = [value for value in answer.values() if isinstance(value, dict)]
    mine = TENANTS[case.caller]
    theirs = {id for owner, ids in world.own.items() if owner != case.caller
              for id in ids.values()}
    return [item for item in items if item.get("id") in theirs or (
        item.get("tenant_id", mine) != mine and item.get("id") not in world.shared)]


def run_case(api: Api, case: Case, world: World, expected: dict) -> list[str]:
    """Send one case; its defects.  What it created is deleted; what it changed is expected."""
    reply = api.send(case.method, case.path, case.body, case.request_headers())
    found = defects(reply)
    if foreign := foreign_items(case, reply, world):
        found.append(f"shows another tenant's {foreign}")
    collection = case.path[1:].split("/")[0].split("?")[0]
    if reply.status == 201:
        created = reply.json()[RESOURCE[collection]]["id"]
        deleted = api.send("DELETE", f"/{collection}/{created}", None, case.request_headers())
        if deleted.status != 204:
            found.append(f"cannot delete what it created: {deleted}")
    elif reply.status == 200 and case.method == "PUT":
        changed = reply.json()[RESOURCE[collection]]
        if case.caller != "admin" and changed["tenant_id"] != TENANTS[case.caller]:
            found.append(f"changed another tenant's {collection} {changed['id']}")
        expected[collection][changed["id"]].update(changed)
    return [f"{case.label}: {problem}" for problem in found]


def isolation_failures(api: Api, world: World) -> list[str]:
    """A tenant finds none of another tenant's (or the admin's private) resources."""
    failures = []
    for caller, owner in itertools.permutations(CALLER_ORDER, 2):
        if caller == "admin":
            continue
        headers = CALLERS[caller]
        for collection in COLLECTIONS:
            other = world.own[owner][collection]
            resource = RESOURCE[collection]
            answers = {
                "GET": api.send("GET", f"/{collection}/{other}", None, headers),
                "PUT": api.send("PUT", f"/{collection}/{other}",
                                encode({resource: {"name": "stolen"}}), headers),
                "DELETE": api.send("DELETE", f"/{collection}/{other}", None, headers)}
            failures += [f"{caller} {method} {owner}'s {resource}: {reply.status}"
                         for method, reply in answers.items() if reply.status != 404]
            listed = api.send("GET", f"/{collection}?id={other}", None, headers)
            if listed.status != 200 or listed.json()[collection]:
                failures.append(f"{caller} lists {owner}'s {resource}: {listed}")
        port = api.send("POST", "/ports", encode({"port": {
            "network_id": world.own[owner]["networks"]}}), headers)
        if port.status not in (403, 404):
            failures.append(f"{caller} creates a port on {owner}'s network: {port}")
    return failures


def test_hostile_corpus(server):
    api = Api(server)
    world = make_world(api)
    before = listing(api)
    expected = copy.deepcopy(before)
    cases = corpus(world)
    assert len(cases) >= 200
    failures = [problem for case in cases for problem in run_case(api, case, world, expected)]
    for label, data in RAW.items():
        reply = api.raw(data)
        failures += [f"raw {label}: {problem}" for problem in defects(reply)]
        if not 400 <= reply.status < 500:
            failures.append(f"raw {label}: status {reply.status}")
    failures += isolation_failures(api, world)
    assert failures == [], "\n".join(failures[:40])
    assert listing(api) == expected
    assert "Traceback" not in server.process.output()
