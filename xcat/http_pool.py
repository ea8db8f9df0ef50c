"""HTTP/1.1 exchanges with one server over kept-alive connections.

:class:`ConnectionPool` is the transport of :class:`xcat.client.XcatClient`:
it opens a connection (TCP, then TLS against the client's ``SSLContext``,
host name checked), sends one request, reads the whole answer and keeps the
connection for the next request unless the answer or the server ends it.  Idle
connections (at most ``maxsize``) are reused last-in first-out; one the
server has closed meanwhile (readable while idle) is dropped before use, as
urllib3 does.

A request is rendered, and an answer's head parsed and its body delimited, by
:mod:`xcat.http_wire`; this module moves the bytes.  It replaced ``requests``,
whose per-request work (session settings merged, hooks, cookie jar, the body
read in 10 KB pieces) made a small request cost several times the CPU, and then
``http.client``, whose header handling (a request built header by header, an
answer's headers parsed by the ``email`` package) was a third of a small
request's CPU (``benchmarks/bench_xcat_client.py``'s ``cpu``, figures in the
README); an agent cycle that adds a port makes five requests.

Failures are told apart by when they happened, since that decides whether a
request may be repeated (:func:`xcat.client._retryable`):
:class:`ConnectFailed` and :class:`TLSFailed` before anything was sent,
:class:`Timeout` (``phase`` "connect" or "read") and :class:`ExchangeFailed`
after the request may have been sent.
"""
from __future__ import annotations

import select
import socket
import ssl
import threading
from urllib.parse import urlsplit

from xcat import http_wire
from xcat.http_wire import ProtocolError

RECEIVE_BYTES = 65536


class PoolError(Exception):
    """A failed exchange; ``cause`` is the exception that ended it."""

    request_sent = True

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


class ConnectFailed(PoolError):
    """No connection could be opened: nothing was sent."""

    request_sent = False


class TLSFailed(ConnectFailed):
    """The TLS handshake or the certificate check failed: nothing was sent."""


class Timeout(PoolError):
    """No answer in time: ``phase`` "connect" (nothing sent) or "read"."""

    def __init__(self, cause: BaseException, phase: str):
        super().__init__(cause)
        self.phase = phase
        self.request_sent = phase != "connect"


class ExchangeFailed(PoolError):
    """The connection broke after it was opened (the request may have been sent)."""


class Connection:
    """One open connection and the bytes received on it that no answer used yet."""

    def __init__(self, sock: socket.socket):
        self.sock: socket.socket | None = sock
        self._received = bytearray()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def exchange(self, request: bytes, method: str) -> tuple[int, bytes, bool]:
        """Send ``request`` and read its answer: status, body, and whether the
        connection may carry another request.  An interim (1xx) answer is passed over."""
        assert self.sock is not None
        self.sock.sendall(request)
        for _ in range(http_wire.MAX_INTERIM + 1):
            head = http_wire.parse_head(self._read_head())
            if head.status >= 200:
                break
        else:
            raise ProtocolError(f"more than {http_wire.MAX_INTERIM} interim answers")
        body_framing = http_wire.framing(head, method)
        if body_framing.kind == http_wire.BY_LENGTH:
            body = self._read_exactly(body_framing.length)
        elif body_framing.kind == http_wire.CHUNKED:
            body = self._read_chunked()
        elif body_framing.kind == http_wire.TO_CLOSE:
            body = self._read_to_close()
        else:
            body = b""
        return head.status, body, http_wire.keeps_alive(head, body_framing)

    def _receive(self) -> None:
        """More bytes into ``_received``; ProtocolError if the server closed."""
        assert self.sock is not None
        data = self.sock.recv(RECEIVE_BYTES)
        if not data:
            raise ProtocolError("the server closed the connection before the answer ended")
        self._received += data

    def _read_line(self, limit: int, end: bytes = b"\r\n") -> bytes:
        """The bytes up to ``end`` (taken from ``_received``, ``end`` dropped)."""
        searched = 0
        while (found := self._received.find(end, searched, limit + len(end))) < 0:
            if len(self._received) >= limit + len(end):
                raise ProtocolError(f"no end of line within {limit} bytes")
            searched = max(0, len(self._received) - len(end) + 1)
            self._receive()
        line = bytes(self._received[:found])
        del self._received[:found + len(end)]
        return line

    def _read_head(self) -> bytes:
        return self._read_line(http_wire.MAX_HEAD_BYTES, b"\r\n\r\n")

    def _read_exactly(self, size: int) -> bytes:
        """``size`` bytes: those already received, then the rest straight into one
        buffer (a 1 MB table dump is not gathered in pieces and joined)."""
        if len(self._received) >= size:
            data = bytes(self._received[:size])
            del self._received[:size]
            return data
        assert self.sock is not None
        buffer = bytearray(size)
        view = memoryview(buffer)
        filled = len(self._received)
        view[:filled] = self._received
        self._received.clear()
        while filled < size:
            count = self.sock.recv_into(view[filled:])
            if not count:
                raise ProtocolError(f"the server closed the connection after {filled} of "
                                    f"{size} bytes")
            filled += count
        view.release()
        return bytes(buffer)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while size := http_wire.chunk_size(self._read_line(http_wire.MAX_CHUNK_LINE)):
            total += size
            http_wire.check_body_size(total, "a chunked body")
            chunks.append(self._read_exactly(size))
            if self._read_exactly(2) != b"\r\n":
                raise ProtocolError("a chunk does not end with CRLF")
        for _ in range(http_wire.MAX_HEADERS + 1):   # trailer fields, not used
            if not self._read_line(http_wire.MAX_HEAD_BYTES):
                return b"".join(chunks)
        raise ProtocolError(f"more than {http_wire.MAX_HEADERS} trailer lines")

    def _read_to_close(self) -> bytes:
        assert self.sock is not None
        http_wire.check_body_size(len(self._received), "a body read to the close")
        while data := self.sock.recv(RECEIVE_BYTES):
            self._received += data
            http_wire.check_body_size(len(self._received), "a body read to the close")
        body = bytes(self._received)
        self._received.clear()
        return body


class ConnectionPool:
    """Kept-alive connections to the server of ``base_url`` (``http`` or ``https``);
    safe to share between threads (each exchange has a connection to itself)."""

    def __init__(self, base_url: str, ssl_context: ssl.SSLContext | None, maxsize: int):
        parts = urlsplit(base_url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        self.host_header = parts.netloc.rpartition("@")[2]
        self.ssl_context = ssl_context
        self.maxsize = maxsize
        self.opened = 0          # connections opened (TLS handshake included)
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    def exchange(self, method: str, target: str, body: bytes | None,
                 headers: dict[str, str], timeout: tuple[float, float]) -> tuple[int, bytes]:
        """Send ``method target`` (path and query) and return ``(status, body)``;
        ``timeout``: (connect, read) seconds, the read's for each receive.  Raises a
        :class:`PoolError`, or ValueError for a request that cannot be rendered."""
        request = http_wire.render_request(method, target, self.host_header, headers, body)
        conn = self._take_idle() or self._connect(timeout[0])
        try:
            assert conn.sock is not None
            conn.sock.settimeout(timeout[1])
            status, content, keep = conn.exchange(request, method)
        except (TimeoutError, OSError, ProtocolError) as exc:
            conn.close()
            if isinstance(exc, TimeoutError):
                raise Timeout(exc, "read") from exc
            raise ExchangeFailed(exc) from exc
        if keep:
            self._keep(conn)
        else:
            conn.close()
        return status, content

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _connect(self, timeout: float) -> Connection:
        sock = None
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.https:
                assert self.ssl_context is not None
                sock = self.ssl_context.wrap_socket(sock, server_hostname=self.host)
        except ssl.SSLError as exc:
            _close(sock)
            raise TLSFailed(exc) from exc
        except TimeoutError as exc:
            _close(sock)
            raise Timeout(exc, "connect") from exc
        except OSError as exc:
            _close(sock)
            raise ConnectFailed(exc) from exc
        with self._lock:
            self.opened += 1
        return Connection(sock)

    def _take_idle(self) -> Connection | None:
        """The last connection given back that the server has not closed, if any."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                conn = self._idle.pop()
            if not _dropped(conn):
                return conn
            conn.close()

    def _keep(self, conn: Connection) -> None:
        with self._lock:
            if len(self._idle) < self.maxsize:
                self._idle.append(conn)
                return
        conn.close()


def _close(sock: socket.socket | None) -> None:
    if sock is not None:
        sock.close()


def _dropped(conn: Connection) -> bool:
    """Whether an idle connection is unusable: closed, or readable (the server closed
    it, or sent what no request asked for)."""
    if conn.sock is None:
        return True
    if not hasattr(select, "poll"):  # eventlet's green select (the agent) has only select()
        return bool(select.select([conn.sock], [], [], 0)[0])
    poller = select.poll()
    poller.register(conn.sock, select.POLLIN)
    return bool(poller.poll(0))
