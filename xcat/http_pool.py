"""HTTP/1.1 exchanges with one server over kept-alive connections (``http.client``).

:class:`ConnectionPool` is the transport of :class:`xcat.client.XcatClient`:
it opens a connection (TCP, then TLS against the client's ``SSLContext``,
host name checked), sends one request, reads the whole answer and keeps the
connection for the next request unless the server closes it.  Idle
connections (at most ``maxsize``) are reused last-in first-out; one the
server has closed meanwhile (readable while idle) is dropped before use, as
urllib3 does.

It replaces ``requests``, whose per-request work (session settings merged,
hooks, cookie jar, the body read in 10 KB pieces) made a small request cost
three times the CPU (``benchmarks/bench_xcat_client.py``, ``cpu``: 0.2
against 0.6 ms); an agent cycle that adds a port makes five requests.

Failures are told apart by when they happened, since that decides whether a
request may be repeated (:func:`xcat.client._retryable`):
:class:`ConnectFailed` and :class:`TLSFailed` before anything was sent,
:class:`Timeout` (``phase`` "connect" or "read") and :class:`ExchangeFailed`
after the request may have been sent.
"""
from __future__ import annotations

import http.client
import select
import ssl
import threading
from urllib.parse import urlsplit


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


class ConnectionPool:
    """Kept-alive connections to the server of ``base_url`` (``http`` or ``https``);
    safe to share between threads (each exchange has a connection to itself)."""

    def __init__(self, base_url: str, ssl_context: ssl.SSLContext | None, maxsize: int):
        parts = urlsplit(base_url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        self.ssl_context = ssl_context
        self.maxsize = maxsize
        self.opened = 0          # connections opened (TLS handshake included)
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def exchange(self, method: str, target: str, body: bytes | None,
                 headers: dict[str, str], timeout: tuple[float, float]) -> tuple[int, bytes]:
        """Send ``method target`` (path and query) and return ``(status, body)``;
        ``timeout``: (connect, read) seconds.  Raises a :class:`PoolError`."""
        conn = self._take_idle() or self._connect(timeout[0])
        try:
            conn.sock.settimeout(timeout[1])
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            conn.close()
            if isinstance(exc, TimeoutError):
                raise Timeout(exc, "read") from exc
            raise ExchangeFailed(exc) from exc
        if response.will_close:
            conn.close()
        else:
            self._keep(conn)
        return response.status, content

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if self.https:
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=self.ssl_context)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.connect()
        except ssl.SSLError as exc:
            conn.close()
            raise TLSFailed(exc) from exc
        except TimeoutError as exc:
            conn.close()
            raise Timeout(exc, "connect") from exc
        except OSError as exc:
            conn.close()
            raise ConnectFailed(exc) from exc
        with self._lock:
            self.opened += 1
        return conn

    def _take_idle(self) -> http.client.HTTPConnection | None:
        """The last connection given back that the server has not closed, if any."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                conn = self._idle.pop()
            if not _dropped(conn):
                return conn
            conn.close()

    def _keep(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self.maxsize:
                self._idle.append(conn)
                return
        conn.close()


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle connection is unusable: closed, or readable (the server closed
    it, or sent what no request asked for)."""
    if conn.sock is None:
        return True
    if not hasattr(select, "poll"):  # eventlet's green select (the agent) has only select()
        return bool(select.select([conn.sock], [], [], 0)[0])
    poller = select.poll()
    poller.register(conn.sock, select.POLLIN)
    return bool(poller.poll(0))
