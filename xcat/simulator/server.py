"""The simulator's threaded HTTP(S) server and the in-process API.

```
from xcat.simulator import serve
server = serve("127.0.0.1", 0, scenario=None, seed=0, tls=("cert.pem", "key.pem"))
server.url      # "https://127.0.0.1:43117"
server.port
server.simulator   # the Simulator (model, tables, faults, counters)
server.shutdown()
```

``scenario`` is a path, a parsed dict or None (the bundled default);
``state`` a path for ``--state`` persistence.  TLS handshakes happen in the
connection's own thread, so a slow client never blocks the accept loop.
"""
from __future__ import annotations

import contextlib
import io
import socket
import socketserver
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from xcat.simulator import scenario as scenario_mod
from xcat.simulator.app import AbortConnection, SimulatorApp
from xcat.simulator.core import Simulator
from xcat.simulator.state import StateStore

CONNECTION_TIMEOUT = 300.0
MAX_BODY = 64 * 1024 * 1024


class _RequestHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive (as Apache serves xcatws) calling the WSGI app."""
    server: _ThreadingServer
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "Apache"

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "iso-8859-1"),
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if self.server.tls_context else "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "xcat.sim.socket": self.connection,
        }
        for key, value in self.headers.items():
            name = "HTTP_" + key.upper().replace("-", "_")
            if name not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[name] = value
        return environ

    def _run(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.send_error(400 if length < 0 else 413)
            return
        body = self.rfile.read(length) if length else b""
        environ = self._environ(body)
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            started[:] = [status, headers]

        try:
            data = b"".join(self.server.get_app()(environ, start_response))
        except AbortConnection:
            self.close_connection = True
            return
        status, headers = started
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in headers:
            self.send_header(name, value)
        if environ.get("xcat.sim.close"):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _run

    def log_message(self, format: str, *args: Any) -> None:
        """Access logs would carry the credentials of the query string: none."""


class _ThreadingServer(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: Simulator,
                 tls_context: ssl.SSLContext | None):
        self.sim = sim
        self.tls_context = tls_context
        self.app: Any = None
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)    # no getfqdn() lookup
        host, self.server_port = self.server_address[:2]
        assert isinstance(host, str), "getsockname() of an IP socket gives the host as str"
        self.server_name = host

    def set_app(self, app: Any) -> None:
        self.app = app

    def get_app(self) -> Any:
        return self.app

    def finish_request(self, request: socket.socket | tuple[bytes, socket.socket],
                       client_address: Any) -> None:
        assert isinstance(request, socket.socket), "a TCP server's request is a socket"
        self.sim.counters.record_connection()
        request.settimeout(CONNECTION_TIMEOUT)
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls_context is None:
            super().finish_request(request, client_address)
            return
        try:
            tls = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (AbortConnection, OSError)):
            return
        super().handle_error(request, client_address)


def tls_context(cert: str | Path, key: str | Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return context


class SimulatorServer:
    """A running simulator; stop it with :meth:`shutdown`."""

    def __init__(self, sim: Simulator, host: str, port: int,
                 tls: tuple[str | Path, str | Path] | None = None,
                 store: StateStore | None = None):
        self.simulator = sim
        self.store = store
        context = tls_context(*tls) if tls else None
        self._httpd = _ThreadingServer((host, port), sim, context)
        self._httpd.set_app(SimulatorApp(sim, store))
        self.host = host
        self.port = self._httpd.server_address[1]
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.2},
                                        name=f"xcat-zvm-simulator:{self.port}", daemon=True)
        self._thread.start()
        return self

    def shutdown(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(5)
            self._thread = None
        self._httpd.server_close()
        if self.store is not None:
            self.store.save_if_changed(self.simulator)

    def __enter__(self) -> SimulatorServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()


def build(scenario: str | Path | dict | None = None, seed: int = 0,
          state: str | Path | None = None) -> tuple[Simulator, StateStore | None]:
    data = scenario if isinstance(scenario, dict) else scenario_mod.read(scenario)
    sim = Simulator(data, seed=seed)
    store = None
    if state is not None:
        store = StateStore(state)
        if not store.load_into(sim):
            store.save(sim)
    return sim, store


def serve(host: str = "127.0.0.1", port: int = 0, scenario: str | Path | dict | None = None,
          seed: int = 0, tls: tuple[str | Path, str | Path] | None = None,
          state: str | Path | None = None) -> SimulatorServer:
    """Start a simulator in a background thread and return it (already listening)."""
    sim, store = build(scenario, seed, state)
    return SimulatorServer(sim, host, port, tls=tls, store=store).start()
