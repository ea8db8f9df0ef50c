"""XcatClient over real HTTP and HTTPS against a small scripted server on loopback.

The server (a threaded HTTP/1.1 server with keep-alive) answers with the
reference's exact v1 samples or with scripted faults, and records every
request and every accepted connection, so the client's connection reuse,
credential placement, TLS checks, retry rules and error mapping are observed
from the outside.
"""
from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import trustme

from xcat import tables
from xcat.client import XcatClient
from xcat.errors import (
    NodeUnreachableError,
    XcatAuthError,
    XcatConnectionError,
    XcatRequestError,
    XcatResponseError,
    XcatTimeoutError,
    XcatTLSError,
)

PASSWORD = "p&ss #w%rd+=?"
USER = "admin"

SWITCH_DUMP = {"data": [{"data": ["#node,switch,port,vlan,interface,comments,disable",
                                  '"os000001","","5f3c-port",,"1000","zhcp",']}]}
DSH_OK = {"data": [{"data": ["zhcp: VSWITCH:  Name: L3PUB001\nzhcp:   Real device: 6263"]},
                   {"errorcode": ["0"]}]}


class Stub:
    """Scripted replies: a list of actions consumed in order, then the default."""

    def __init__(self):
        self.requests: list[dict] = []
        self.connections = 0
        self.script: list = []
        self.lock = threading.Lock()

    def next_action(self):
        with self.lock:
            return self.script.pop(0) if self.script else None


def make_handler(stub: Stub):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _reply(self, status, body: bytes, ctype="application/json"):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            stub.requests.append({"method": self.command, "path": parts.path,
                                  "raw_query": parts.query,
                                  "query": parse_qsl(parts.query, keep_blank_values=True),
                                  "headers": dict(self.headers), "body": body,
                                  "request_line": self.requestline})
            action = stub.next_action()
            if action is None:
                if parts.path.endswith("/dsh"):
                    action = ("json", 200, DSH_OK)
                elif parts.path.endswith("/tables/switch"):
                    action = ("json", 200, SWITCH_DUMP)
                else:
                    action = ("json", 201 if self.command == "POST" else 200, {"data": []})
            kind = action[0]
            if kind == "json":
                self._reply(action[1], json.dumps(action[2]).encode())
            elif kind == "raw":
                self._reply(action[1], action[2], action[3] if len(action) > 3 else "text/html")
            elif kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.connection.close()
                self.close_connection = True
            elif kind == "truncate":
                payload = json.dumps(SWITCH_DUMP).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif kind == "sleep":
                time.sleep(action[1])
                self.close_connection = True
            elif kind == "chunked":  # Apache's framing of CGI output it cannot measure
                payload = json.dumps(action[1]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for start in range(0, len(payload), 7):
                    piece = payload[start:start + 7]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            elif kind == "idle_close":  # a keep-alive timeout: the answer, then a close
                self._reply(200, json.dumps(DSH_OK).encode())
                self.wfile.flush()
                self.close_connection = True

        do_GET = do_PUT = do_POST = do_DELETE = _handle

    return Handler


class StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, stub: Stub, context: ssl.SSLContext | None = None):
        self.stub = stub
        self.context = context
        super().__init__(("127.0.0.1", 0), make_handler(stub))

    def get_request(self):
        sock, addr = self.socket.accept()
        self.stub.connections += 1
        if self.context is not None:
            sock = self.context.wrap_socket(sock, server_side=True)
        return sock, addr

    def handle_error(self, request, client_address):
        pass  # failed handshakes are part of the tests


@pytest.fixture
def serve():
    servers = []

    def start(context: ssl.SSLContext | None = None) -> tuple[Stub, int]:
        stub = Stub()
        server = StubServer(stub, context)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()
        servers.append(server)
        return stub, server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def tls_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(*(names or ("127.0.0.1", "localhost"))).configure_cert(ctx)
    return ctx


def client_for(port: int, scheme: str = "http", **kwargs) -> XcatClient:
    kwargs.setdefault("retries", 2)
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("timeout", (2.0, 5.0))
    return XcatClient(f"{scheme}://127.0.0.1:{port}", USER, PASSWORD, **kwargs)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text
        assert "p%26ss" not in text and "p&ss" not in text


# -- connections and credentials --------------------------------------------------------------
def test_keep_alive_reuses_one_connection(serve):
    stub, port = serve()
    with client_for(port) as client:
        for _ in range(15):
            assert tables.tabdump(client, "switch")[0]["port"] == "5f3c-port"
        for _ in range(5):
            assert client.dsh("zhcp", "true").ok
        assert client.connections_opened == 1
        snapshot = client.counters.snapshot()
    assert stub.connections == 1 and len(stub.requests) == 20
    assert snapshot["kinds"]["GET tables"]["requests"] == 15
    assert snapshot["kinds"]["PUT dsh"]["requests"] == 5
    assert snapshot["bytes_received"] > 0 and snapshot["kinds"]["PUT dsh"]["bytes_sent"] > 0


def test_chunked_answers_are_read_whole_and_keep_the_connection(serve, ca, tmp_path):
    """Apache sends a CGI's output of unknown length chunked (RFC 9112 §7.1), as
    xcatws.cgi's table dumps are: each is read whole, over one TLS connection."""
    stub, port = serve(tls_context(ca))
    stub.script = [("chunked", SWITCH_DUMP), ("chunked", DSH_OK), ("chunked", SWITCH_DUMP)]
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with client_for(port, "https", verify=str(ca_file)) as client:
        assert tables.tabdump(client, "switch")[0]["port"] == "5f3c-port"
        assert client.dsh("zhcp", "true").stdout_lines[0] == "VSWITCH:  Name: L3PUB001"
        assert tables.tabdump(client, "switch")[0]["port"] == "5f3c-port"
        assert client.connections_opened == 1
    assert stub.connections == 1 and len(stub.requests) == 3


def test_a_connection_the_server_closed_while_idle_is_not_used(serve):
    """Apache closes a kept-alive connection idle for KeepAliveTimeout (5 s by default):
    the next request, even one never repeated, goes out on a new connection."""
    stub, port = serve()
    stub.script = [("idle_close",)]
    with client_for(port, retries=0) as client:
        assert client.dsh("zhcp", "true").ok
        time.sleep(0.2)  # idle: the server's close arrives
        assert client.dsh("zhcp", "true").ok
        assert client.connections_opened == 2
    assert stub.connections == 2 and len(stub.requests) == 2


def test_credentials_travel_in_headers_never_in_urls(serve):
    stub, port = serve()
    with client_for(port) as client:
        tables.gettab(client, "zvm", "node", "os000001", "userid")
        client.dsh("zhcp", "smcli System_Info_Query")
    for req in stub.requests:
        assert req["headers"]["userName"] == USER
        assert req["headers"]["password"] == PASSWORD
        assert_no_secret(req["request_line"], req["raw_query"])
        assert ("format", "json") in req["query"]
    assert stub.requests[0]["query"][:3] == [("col", "node"), ("value", "os000001"),
                                             ("attribute", "userid")]
    dsh = stub.requests[1]
    assert dsh["method"] == "PUT" and dsh["path"] == "/xcatws/nodes/zhcp/dsh"
    assert dsh["headers"]["Content-Type"] == "text/plain"
    assert json.loads(dsh["body"]) == ["command=smcli System_Info_Query"]


def test_query_credentials_are_url_encoded_when_asked_for(serve):
    stub, port = serve()
    with client_for(port, credentials_in_query=True) as client:
        tables.tabdump(client, "switch")
    req = stub.requests[0]
    assert "password" not in {k.lower() for k in req["headers"]}
    assert ("userName", USER) in req["query"] and ("password", PASSWORD) in req["query"]
    assert PASSWORD not in req["raw_query"]  # encoded, so '&', '#', '+' survive


def test_path_segments_are_encoded(serve):
    stub, port = serve()
    with client_for(port) as client:
        client.request("GET", ("tables", "a/b c"))
    assert stub.requests[0]["path"] == "/xcatws/tables/a%2Fb%20c"


# -- TLS ---------------------------------------------------------------------------------------
def test_https_with_the_ca_file_and_keep_alive(serve, ca, tmp_path):
    stub, port = serve(tls_context(ca))
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with client_for(port, scheme="https", verify=str(ca_file)) as client:
        for _ in range(5):
            assert client.dsh("zhcp", "true").stdout_lines[0] == "VSWITCH:  Name: L3PUB001"
        assert client.connections_opened == 1
    assert stub.connections == 1


def test_https_untrusted_certificate_is_a_tls_error(serve, ca):
    stub, port = serve(tls_context(ca))
    # the system store does not know this CA
    with client_for(port, scheme="https") as client, pytest.raises(XcatTLSError) as info:
        client.dsh("zhcp", "true", idempotent=True)
    assert "certificate" in str(info.value).lower()
    assert info.value.request_sent is False
    assert_no_secret(str(info.value))
    assert stub.requests == []


def test_https_host_name_is_checked(serve, ca, tmp_path):
    stub, port = serve(tls_context(ca, "xcat.example.com"))
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with (client_for(port, scheme="https", verify=str(ca_file)) as client,
          pytest.raises(XcatTLSError, match="(?i)hostname|match|certificate")):
        tables.tabdump(client, "switch")
    assert stub.requests == []


def test_verification_off_is_explicit_and_logged(serve, ca, caplog):
    stub, port = serve(tls_context(ca, "xcat.example.com"))
    with (caplog.at_level(logging.WARNING, logger="xcat.client"),
          client_for(port, scheme="https", verify=False) as client):
        assert tables.tabdump(client, "switch")
    assert any("DISABLED" in r.getMessage() for r in caplog.records)
    assert len(stub.requests) == 1


# -- retries -------------------------------------------------------------------------------------
def test_reads_retry_on_503_until_success(serve):
    stub, port = serve()
    stub.script = [("raw", 503, b"xcatd unreachable", "text/plain")] * 2
    with client_for(port, retries=3) as client:
        assert tables.tabdump(client, "switch")
        snap = client.counters.snapshot()
    assert len(stub.requests) == 3
    assert snap["retries"] == 2 and snap["failures"] == 2 and snap["requests"] == 3


def test_dsh_is_not_retried_unless_marked_idempotent(serve):
    stub, port = serve()
    stub.script = [("raw", 502, b"bad gateway", "text/plain")]
    with client_for(port, retries=3) as client:
        with pytest.raises(XcatRequestError) as info:
            client.dsh("zhcp", "smcli Virtual_Network_Vswitch_Set_Extended")
        assert info.value.status == 502 and len(stub.requests) == 1
        stub.script = [("raw", 504, b"timeout", "text/plain")]
        assert client.dsh("zhcp", "true", idempotent=True).ok
    assert len(stub.requests) == 3


def test_reset_after_sending_is_retried_only_for_idempotent_requests(serve):
    stub, port = serve()
    stub.script = [("reset",)]
    with client_for(port, retries=2) as client:
        with pytest.raises(XcatConnectionError) as info:
            client.dsh("zhcp", "true")
        assert info.value.request_sent is True
        assert len(stub.requests) == 1
        stub.script = [("reset",)]
        assert tables.tabdump(client, "switch")
    assert len(stub.requests) == 3


def test_refused_connection_is_retried_even_for_dsh_then_reported():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with client_for(port, retries=2) as client:
        with pytest.raises(XcatConnectionError) as info:
            client.dsh("zhcp", "true")
        snap = client.counters.snapshot()
    assert info.value.request_sent is False
    assert snap["requests"] == 3 and snap["retries"] == 2
    assert "refused" in str(info.value).lower()
    assert_no_secret(str(info.value))


def test_read_timeout_is_a_timeout_error(serve):
    stub, port = serve()
    stub.script = [("sleep", 1.5)]
    with (client_for(port, retries=0, timeout=(2.0, 0.5)) as client,
          pytest.raises(XcatTimeoutError, match="read timeout")):
        client.dsh("zhcp", "true")


# -- error mapping ---------------------------------------------------------------------------------
@pytest.mark.parametrize("status, body", [
    (401, b"<p>Authentication failure</p>"),
    (403, b"<p>Permission denied for request</p>"),
])
def test_authentication_failures(serve, status, body):
    stub, port = serve()
    stub.script = [("raw", status, body, "application/json")]
    with (client_for(port, credentials_in_query=True) as client,
          pytest.raises(XcatAuthError) as info):
        tables.tabdump(client, "switch")
    assert info.value.status == status and info.value.username == USER
    assert "Authentication failure" in str(info.value) or "Permission denied" in str(info.value)
    assert_no_secret(str(info.value))


def test_other_http_failures_carry_status_and_excerpt(serve):
    stub, port = serve()
    stub.script = [("raw", 403, b"<p>Invalid nodes and/or groups in noderange: nosuch</p>"),
                   ("raw", 404, b"Resource 'x' does not exist", "text/plain"),
                   ("raw", 500, b"x" * 5000, "text/plain")]
    with client_for(port, retries=0) as client:
        with pytest.raises(XcatRequestError) as info:
            client.dsh("nosuch", "true")
        assert info.value.status == 403 and "noderange: nosuch" in str(info.value)
        assert not isinstance(info.value, XcatAuthError)
        with pytest.raises(XcatRequestError, match="404"):
            client.request("GET", "x")
        with pytest.raises(XcatRequestError) as info:
            client.request("GET", "tables/switch")
        assert info.value.status == 500 and len(str(info.value)) < 600


def test_non_json_and_truncated_bodies(serve):
    stub, port = serve()
    stub.script = [("raw", 200, b"<html>Internal error</html>"), ("truncate",)]
    with client_for(port, retries=0) as client:
        with pytest.raises(XcatResponseError, match="not JSON"):
            tables.tabdump(client, "switch")
        with pytest.raises((XcatConnectionError, XcatResponseError)):
            tables.tabdump(client, "switch")


def test_dsh_unreachable_node_and_command_failure(serve):
    stub, port = serve()
    stub.script = [
        ("json", 200, {"data": [{"error": ["zhcp: ssh: connect to host zhcp port 22: "
                                           "No route to host"], "errorcode": ["1"]}]}),
        ("json", 200, {"data": [
            {"data": ["zhcp: Failed\nzhcp: Return Code: 212\nzhcp: Reason Code: 40\n"
                      "zhcp: Description: Virtual switch does not exist"]},
            {"errorcode": ["1"]}]}),
    ]
    with client_for(port) as client:
        with pytest.raises(NodeUnreachableError):
            client.dsh("zhcp", "true", check=True)
        result = client.dsh("zhcp", "smcli Virtual_Network_Vswitch_Query")
    assert result.exit_status == 1 and result.stdout_lines[1] == "Return Code: 212"


def test_password_never_logged(serve, caplog):
    stub, port = serve()
    stub.script = [("raw", 503, b"down", "text/plain"),
                   ("raw", 401, b"<p>Authentication failure</p>")]
    with (caplog.at_level(logging.DEBUG),
          client_for(port, credentials_in_query=True, retries=1) as client,
          pytest.raises(XcatAuthError)):
        tables.tabdump(client, "switch")
    assert caplog.records
    assert_no_secret(*(r.getMessage() for r in caplog.records))
