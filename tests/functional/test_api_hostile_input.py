"""Hostile input through a real quantum-zvm-server, on SQLite and PostgreSQL.

Every case of issue 11 ("the API never answers 500 or an empty body"), then a
corpus generated from tables of hostile values x fields x methods, sent as an
admin and as two tenants: no answer is a 5xx, no body holds a traceback, every
error is a NeutronError, nothing is left behind and no tenant sees or changes
another tenant's resource.  The corpus is deterministic (no randomness; the
caller of a request is chosen by its position).
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import socket
import uuid
from typing import Any, Callable, Iterator
from urllib.parse import quote

import pytest
import requests

from tests.fixtures.server import Server, start_server

BACKENDS = [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]

ADMIN: dict[str, str] = {}                   # noauth: no identity headers = admin of "admin"
T1 = {"X-Project-Id": "hostile-t1", "X-User-Id": "u1", "X-Roles": "member"}
T2 = {"X-Project-Id": "hostile-t2", "X-User-Id": "u2", "X-Roles": "member"}
CALLERS = {"admin": ADMIN, "t1": T1, "t2": T2}
TENANTS = {"admin": "admin", "t1": T1["X-Project-Id"], "t2": T2["X-Project-Id"]}
COLLECTIONS = ("networks", "subnets", "ports")
RESOURCE = {"networks": "network", "subnets": "subnet", "ports": "port"}


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory) -> Iterator[Server]:
    """One server per backend for the module (a fresh PostgreSQL database, dropped after)."""
    tmp = tmp_path_factory.mktemp(f"hostile-{request.param}")
    if request.param == "sqlite":
        server = start_server(tmp)
        yield server
        server.stop()
        return
    postgres = request.getfixturevalue("postgres_server")
    name = f"qzvm_{uuid.uuid4().hex[:12]}"
    postgres.admin(f"CREATE DATABASE {name}")
    server = start_server(tmp, sql_connection=postgres.url(name))
    yield server
    server.stop()
    postgres.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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
        """One request written to a fresh connection as is; the answer until the close."""
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            try:
                sock.sendall(data)
            except OSError:       # the server may refuse and close before reading it all
                pass
            received = b""
            while chunk := _recv(sock):
                received += chunk
        return parse_http(received)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:
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

def body(text: str) -> bytes:
    return text.encode()


ISSUE_CASES = [
    ("limit beyond 64 bits", "GET", "/networks?limit=9223372036854775807", None, {}),
    ("integer filter beyond 64 bits", "GET",
     "/networks?provider:segmentation_id=99999999999999999999999", None, {}),
    ("ip_version filter 2**64", "GET", f"/subnets?ip_version={2 ** 64}", None, {}),
    ("name with a lone surrogate", "POST", "/networks",
     body('{"network": {"name": "\\ud800"}}'), {}),
    ("name with NUL", "POST", "/networks", body('{"network": {"name": "a\\u0000b"}}'), {}),
    ("invalid UTF-8 in a query value", "GET", "/networks?name=%FF", None, {}),
    ("invalid UTF-8 in the path", "GET", "/networks/%FF", None, {}),
    ("X-Project-Id longer than the column", "POST", "/networks", body('{"network": {}}'),
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
