"""A client of the xCAT management node's REST API (old generation, ``/xcatws``).

Public API::

    client = XcatClient("https://xcat.example.com", "admin", "secret",
                        verify=True,            # True: system CA store;
                                                # "/path/ca.pem": that CA only;
                                                # False: no verification (logged as a warning)
                        timeout=(10.0, 300.0),  # (connect, read) seconds, or one number for both
                        credentials_in_query=False,
                        retries=3, backoff=0.5, pool_size=4)
    env = client.request("GET", ("tables", "switch"))          # -> Envelope
    env = client.request("PUT", "tables/switch", body=["port=X switch.switch=VSW1"])
    res = client.dsh("zhcp", "smcli System_Info_Query")         # -> CommandResult
    res = client.dsh("zhcp", ["vmcp", "q", "v", "nic"], check=True)
    client.probe()                                              # -> bool: does the MN answer now?
    client.counters.snapshot()                                  # requests, bytes, latency per kind
    client.close()                                              # also: with XcatClient(...) as c:

Behaviour:

- One :class:`xcat.http_pool.ConnectionPool` per client: connections are kept
  alive and reused, at most ``pool_size`` of them idle;
  :attr:`XcatClient.connections_opened` says how many TCP connections were made.
- Credentials go in the ``userName``/``password`` request headers, which the
  old API accepts, so they never appear in URLs or access logs.
  ``credentials_in_query=True`` puts them in the query string (URL-encoded)
  for management nodes that need it. Every path segment and parameter is
  URL-encoded; ``format=json`` is always sent.
- TLS is verified by default, host name included, against the system trust
  store, or only against ``verify="/path/ca.pem"`` when given.
- Retries (``retries`` times, exponential backoff with full jitter) happen
  only for requests that are safe to repeat: every request whose connection
  could not be opened (nothing was sent), and for ``idempotent`` requests also
  resets, read timeouts and HTTP 502/503/504. GET is idempotent by default;
  a dsh is not unless the caller says so.
- Errors are typed (:mod:`xcat.errors`); messages never contain the password.
- POST must answer 201 and other methods 200 (v1 answers 200 even when the
  command failed; failures are inside the body and are interpreted by the
  callers: :meth:`XcatClient.dsh`, :mod:`xcat.tables`).

Threads may share one client (each request has a connection to itself).
"""
from __future__ import annotations

import json
import logging
import random
import re
import ssl
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from xcat import http_wire, zvm_names
from xcat.envelope import CommandResult, Envelope, command_result, parse_envelope
from xcat.errors import (
    XcatAuthError,
    XcatConnectionError,
    XcatError,
    XcatRequestError,
    XcatResponseError,
    XcatTimeoutError,
    XcatTLSError,
    excerpt,
    scrub,
)
from xcat.http_pool import ConnectionPool, PoolError, Timeout, TLSFailed

LOG = logging.getLogger(__name__)

DEFAULT_PREFIX = "/xcatws"
DEFAULT_TIMEOUT = (10.0, 300.0)
PROBE_TIMEOUT = 5.0
RETRYABLE_STATUS = frozenset({502, 503, 504})
_SUCCESS_STATUS = frozenset({200, 201})
_AUTH_TEXT_RE = re.compile(r"Permission denied|Authentication failure", re.IGNORECASE)

PathLike = str | Sequence[str]
Params = Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]] | None


@dataclass
class KindStats:
    """Counters of one kind of request (e.g. ``"GET tables"``, ``"PUT dsh"``)."""

    requests: int = 0
    failures: int = 0
    retries: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    latency_total: float = 0.0
    latency_max: float = 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"requests": self.requests, "failures": self.failures, "retries": self.retries,
                "bytes_sent": self.bytes_sent, "bytes_received": self.bytes_received,
                "latency_total": round(self.latency_total, 6),
                "latency_max": round(self.latency_max, 6),
                "latency_mean": round(self.latency_total / self.requests, 6)
                if self.requests else 0.0}


@dataclass
class Counters:
    """Thread-safe request counters, readable by callers and benchmarks.

    Every HTTP attempt counts as a request (a retried call counts each attempt
    and one retry); ``failures`` are attempts that raised or returned an error
    status.
    """

    kinds: dict[str, KindStats] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, kind: str, sent: int, received: int, latency: float, failed: bool) -> None:
        with self._lock:
            stats = self.kinds.setdefault(kind, KindStats())
            stats.requests += 1
            stats.failures += int(failed)
            stats.bytes_sent += sent
            stats.bytes_received += received
            stats.latency_total += latency
            stats.latency_max = max(stats.latency_max, latency)

    def record_retry(self, kind: str) -> None:
        with self._lock:
            self.kinds.setdefault(kind, KindStats()).retries += 1

    @property
    def requests(self) -> int:
        with self._lock:
            return sum(s.requests for s in self.kinds.values())

    @property
    def bytes_sent(self) -> int:
        with self._lock:
            return sum(s.bytes_sent for s in self.kinds.values())

    @property
    def bytes_received(self) -> int:
        with self._lock:
            return sum(s.bytes_received for s in self.kinds.values())

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy: totals plus one entry per kind."""
        with self._lock:
            kinds = {k: v.as_dict() for k, v in sorted(self.kinds.items())}
        return {
            "requests": sum(k["requests"] for k in kinds.values()),
            "failures": sum(k["failures"] for k in kinds.values()),
            "retries": sum(k["retries"] for k in kinds.values()),
            "bytes_sent": sum(k["bytes_sent"] for k in kinds.values()),
            "bytes_received": sum(k["bytes_received"] for k in kinds.values()),
            "latency_total": round(sum(k["latency_total"] for k in kinds.values()), 6),
            "kinds": kinds,
        }

    def reset(self) -> None:
        with self._lock:
            self.kinds.clear()


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    if verify is False:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if verify is True:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=verify)


def _check_header_value(value: str, field_name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field_name}: must be a non-empty string")
    if not http_wire.valid_field_value(value):
        raise ValueError(f"{field_name}: must not contain control characters")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"{field_name}: must be Latin-1 text to travel in an HTTP header "
                         "(use credentials_in_query=True for other characters)") from None
    return value


def parse_server(server: str) -> tuple[str, str]:
    """Split ``server`` into (base URL, display name); scheme defaults to https."""
    if not isinstance(server, str) or not server.strip():
        raise ValueError("server: must be a host name, host:port or URL")
    text = server.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"server: unsupported scheme {parts.scheme!r} (use https or http)")
    if parts.username or parts.password:
        raise ValueError("server: must not contain credentials; pass username and password")
    if not parts.hostname or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise ValueError(f"server: {server!r} must be host[:port] or scheme://host[:port]")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"server: {server!r} has an invalid port") from None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port else "")
    return f"{parts.scheme}://{netloc}", netloc


def _segments(path: PathLike) -> list[str]:
    parts = ([p for p in path.split("/") if p] if isinstance(path, str)
             else [str(p) for p in path])
    if not parts:
        raise ValueError("path: empty")
    for part in parts:
        if part in (".", "..") or not part:
            raise ValueError(f"path: invalid segment {part!r}")
    return parts


def request_kind(method: str, segments: Sequence[str]) -> str:
    """The counter kind of a request: ``"PUT dsh"``, ``"GET tables"``, ``"GET vms"``..."""
    resource = segments[0]
    if resource == "nodes" and len(segments) >= 3:
        resource = segments[2]
    return f"{method} {resource}"


def _causes(exc: BaseException):
    """``exc`` and the exceptions it wraps (``reason``, first arg, cause, context)."""
    seen = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        nxt = getattr(cur, "reason", None)
        if isinstance(nxt, BaseException):
            cur = nxt
        elif cur.args and isinstance(cur.args[0], BaseException):
            cur = cur.args[0]
        else:
            cur = cur.__cause__ or cur.__context__


def _describe(exc: BaseException) -> str:
    """A short reason for a failed exchange's exception."""
    reason = None
    for cur in _causes(exc):
        if isinstance(cur, ssl.SSLError):
            reason = getattr(cur, "verify_message", None) or cur.reason or str(cur)
            break
        if isinstance(cur, (ConnectionRefusedError, ConnectionResetError, TimeoutError,
                            ConnectionAbortedError, BrokenPipeError)):
            reason = cur.strerror or type(cur).__name__
            break
        if isinstance(cur, OSError) and cur.strerror:
            reason = cur.strerror
            break
    return str(reason) if reason is not None else type(exc).__name__


def _check_credentials(username: str, password: str, in_query: bool) -> None:
    """Credentials in the query string are URL-encoded, so any non-empty text will do;
    in headers they must be Latin-1 without control characters."""
    if in_query:
        for value, field_name in ((username, "username"), (password, "password")):
            if not isinstance(value, str) or not value:
                raise ValueError(f"{field_name}: must be a non-empty string")
    else:
        _check_header_value(username, "username")
        _check_header_value(password, "password")


def _check_verify(verify: bool | str) -> None:
    if not (verify is True or verify is False or isinstance(verify, str)):
        raise ValueError("verify: must be True, False or the path of a CA file")


def _timeout_pair(timeout: float | tuple[float, float]) -> tuple[float, float]:
    """``(connect, read)`` seconds from one number for both or a pair."""
    if isinstance(timeout, (int, float)):
        timeout = (float(timeout), float(timeout))
    if len(timeout) != 2 or min(timeout) <= 0:
        raise ValueError("timeout: must be positive seconds or (connect, read)")
    return timeout


def _check_retry_settings(retries: int, backoff: float, backoff_max: float,
                          pool_size: int) -> None:
    if retries < 0 or pool_size < 1 or backoff < 0 or backoff_max < 0:
        raise ValueError("retries, backoff and backoff_max must be >= 0, pool_size >= 1")


def _check_method(method: str) -> str:
    """The method upper-cased; the API knows GET, PUT, POST and DELETE."""
    method = method.upper()
    if method not in ("GET", "PUT", "POST", "DELETE"):
        raise ValueError(f"method: unsupported {method!r}")
    return method


def _query_items(params: Params) -> list[tuple[str, str]]:
    """The query string's items: the parameters (a list or tuple value repeats its
    key, one item per element) and ``format=json``."""
    query: list[tuple[str, str]] = []
    if params:
        items = params.items() if isinstance(params, Mapping) else params
        for key, value in items:
            if isinstance(value, (list, tuple)):
                query.extend((key, str(v)) for v in value)
            else:
                query.append((key, str(value)))
    query.append(("format", "json"))
    return query


def _json_body(body: Sequence[str] | None) -> tuple[bytes | None, dict[str, str]]:
    """The data and headers of a v1 body: a list of strings, sent as JSON ``text/plain``."""
    if body is None:
        return None, {}
    if isinstance(body, (str, bytes)) or not all(isinstance(s, str) for s in body):
        raise ValueError("body: must be a list of strings")
    return json.dumps(list(body)).encode("utf-8"), {"Content-Type": "text/plain"}


def _retryable(exc: XcatError, idempotent: bool) -> bool:
    """Whether a failed attempt may be repeated: when nothing was sent, or, for an
    idempotent request, after a reset, a timeout or HTTP 502/503/504. Never after a
    TLS failure, an HTTP error status otherwise, or a body that is not an envelope."""
    if isinstance(exc, XcatTLSError):
        return False
    if isinstance(exc, XcatConnectionError):
        return idempotent or not exc.request_sent
    if isinstance(exc, XcatRequestError) and not isinstance(exc, XcatResponseError):
        return idempotent and exc.status in RETRYABLE_STATUS
    return False


@dataclass(frozen=True)
class _Call:
    """One request, validated and encoded once: what each of its attempts sends."""

    method: str
    target: str             # path and query string, as sent
    display_path: str
    data: bytes | None
    headers: dict[str, str]
    kind: str
    timeout: tuple[float, float]
    idempotent: bool
    retries: int
    reuse: Envelope | None = None  # returned as it is when the answer is the one it came from


class XcatClient:
    """Client of one xCAT management node; see the module docstring."""

    def __init__(self, server: str, username: str, password: str, *,
                 verify: bool | str = True,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 credentials_in_query: bool = False,
                 retries: int = 3,
                 backoff: float = 0.5,
                 backoff_max: float = 10.0,
                 pool_size: int = 4,
                 prefix: str = DEFAULT_PREFIX):
        self.base_url, self.server = parse_server(server)
        self.username = username
        self._password = password
        _check_credentials(username, password, credentials_in_query)
        _check_verify(verify)
        self.timeout = _timeout_pair(timeout)
        _check_retry_settings(retries, backoff, backoff_max, pool_size)
        if not prefix.startswith("/"):
            raise ValueError("prefix: must start with '/'")
        self.verify = verify
        self.credentials_in_query = credentials_in_query
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.prefix = prefix.rstrip("/")
        self.counters = Counters()
        self._random = random.Random()
        self._pool = ConnectionPool(self.base_url, self._ssl_context(), pool_size)
        self._headers = {"Accept": "application/json", "Connection": "keep-alive",
                         "User-Agent": "quantum-zvm-xcat-client"}
        if not credentials_in_query:
            self._headers.update({"userName": self.username, "password": self._password})

    def _ssl_context(self) -> ssl.SSLContext | None:
        """The TLS trust for an https server (None for http), loaded now so that a bad
        CA file fails here; disabled verification is logged as a warning."""
        if not self.base_url.startswith("https://"):
            return None
        try:
            ssl_context = _tls_context(self.verify)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"verify: cannot load CA file {self.verify!r}: {exc}") from None
        if self.verify is False:
            LOG.warning("TLS certificate verification of xCAT server %s is DISABLED; "
                        "set a CA file instead", self.server)
        return ssl_context

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> XcatClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"XcatClient({self.base_url!r}, user={self.username!r})"

    @property
    def connections_opened(self) -> int:
        """TCP connections opened so far (keep-alive makes this much smaller than requests)."""
        return self._pool.opened

    # -- helpers -------------------------------------------------------------------------------
    def _secrets(self) -> tuple[str, ...]:
        return (self._password,)

    def _scrub(self, text: str) -> str:
        return scrub(text, self._secrets())

    def url_for(self, path: PathLike) -> str:
        """The URL of ``path`` (segments URL-encoded), without query or credentials."""
        return self.base_url + self._path_of(_segments(path))

    def _path_of(self, segments: Sequence[str]) -> str:
        return self.prefix + "/" + "/".join(quote(s, safe="") for s in segments)

    def _sleep_before_retry(self, attempt: int) -> None:
        ceiling = min(self.backoff_max, self.backoff * (2 ** attempt))
        time.sleep(self._random.uniform(0, ceiling))

    # -- requests --------------------------------------------------------------------------------
    def request(self, method: str, path: PathLike, params: Params = None,
                body: Sequence[str] | None = None, *,
                idempotent: bool | None = None, kind: str | None = None,
                retries: int | None = None, timeout: float | None = None,
                reuse: Envelope | None = None) -> Envelope:
        """Send one request and return its parsed :class:`Envelope`.

        ``path`` is relative to the API prefix: ``"tables/switch"`` or a sequence of
        segments (each URL-encoded whole, so a segment may not smuggle a ``/``).
        ``body`` is the v1 body: a list of strings, sent as JSON ``text/plain``.
        ``idempotent`` (default: True for GET, False otherwise) allows retries
        after the request may have reached the server.  ``retries`` and
        ``timeout`` (seconds, connect and read) replace the client's for this request.
        ``reuse``: the envelope an earlier request returned, given back as it is (not
        parsed again) when the answer has its status and body: a table dump of
        10,000 rows that did not change costs a comparison of its bytes, and one
        that changed is parsed where it differs (``parse_envelope``'s ``like``).
        """
        call = self._prepare(method, path, params, body, idempotent=idempotent, kind=kind,
                             retries=retries, timeout=timeout, reuse=reuse)
        return self._send(call)

    def _prepare(self, method: str, path: PathLike, params: Params,
                 body: Sequence[str] | None, *, idempotent: bool | None, kind: str | None,
                 retries: int | None, timeout: float | None,
                 reuse: Envelope | None = None) -> _Call:
        """Validate and encode a request (ValueError before anything is sent), with the
        client's settings where the request gives none."""
        method = _check_method(method)
        segments = _segments(path)
        query = _query_items(params)
        if self.credentials_in_query:
            query = [("userName", self.username), ("password", self._password)] + query
        data, headers = _json_body(body)
        return _Call(method=method, target=self._path_of(segments) + "?" + urlencode(query),
                     display_path="/".join(segments), data=data,
                     headers={**self._headers, **headers},
                     kind=kind or request_kind(method, segments),
                     timeout=self.timeout if timeout is None else (timeout, timeout),
                     idempotent=method == "GET" if idempotent is None else idempotent,
                     retries=self.retries if retries is None else retries, reuse=reuse)

    def _send(self, call: _Call) -> Envelope:
        """Attempt ``call`` until it answers, fails in a way that is not
        :func:`_retryable`, or has used its retries (with a backoff before each)."""
        attempt = 0
        while True:
            try:
                return self._attempt(call)
            except (XcatConnectionError, XcatRequestError) as exc:
                if attempt >= call.retries or not _retryable(exc, call.idempotent):
                    raise
                LOG.info("xCAT %s %s: %s; retrying (%d/%d)", call.method, call.display_path,
                         exc, attempt + 1, call.retries)
                self.counters.record_retry(call.kind)
                self._sleep_before_retry(attempt)
                attempt += 1

    def _attempt(self, call: _Call) -> Envelope:
        """One HTTP exchange of ``call``, counted: its envelope or a typed error."""
        sent = len(call.data or b"")
        start = time.monotonic()
        try:
            status, content = self._pool.exchange(call.method, call.target, call.data,
                                                  call.headers, call.timeout)
        except PoolError as exc:
            self.counters.record(call.kind, sent, 0, time.monotonic() - start, failed=True)
            raise self._transport_error(call, exc) from None
        latency = time.monotonic() - start
        self.counters.record(call.kind, sent, len(content), latency,
                             failed=status not in _SUCCESS_STATUS)
        LOG.debug("xCAT %s %s -> %s (%d bytes, %.3fs)", call.method, call.display_path, status,
                  len(content), latency)
        return self._envelope(call, status, content)

    def _transport_error(self, call: _Call, exc: PoolError) -> XcatConnectionError:
        """The typed error of an exchange that got no HTTP answer."""
        reason = self._scrub(_describe(exc.cause))
        if isinstance(exc, TLSFailed):
            return XcatTLSError(self.server, call.method, call.display_path,
                                f"TLS verification or handshake failed: {reason}",
                                request_sent=False)
        if isinstance(exc, Timeout):
            seconds = call.timeout[0] if exc.phase == "connect" else call.timeout[1]
            return XcatTimeoutError(self.server, call.method, call.display_path,
                                    f"{exc.phase} timeout after {seconds}s",
                                    request_sent=exc.request_sent)
        return XcatConnectionError(self.server, call.method, call.display_path, reason,
                                   request_sent=exc.request_sent)

    def _envelope(self, call: _Call, status: int, content: bytes) -> Envelope:
        """The envelope of an HTTP answer, or the typed error of a failure status or of
        a body that is not an envelope."""
        if status not in _SUCCESS_STATUS:
            text = self._text(content)
            if status in (401, 403) and (status == 401 or _AUTH_TEXT_RE.search(text)):
                raise XcatAuthError(self.server, call.method, call.display_path, status,
                                    excerpt(_strip_html(text)), self.username)
            raise XcatRequestError(self.server, call.method, call.display_path, status,
                                   excerpt(_strip_html(text)))
        expected = 201 if call.method == "POST" else 200
        if status != expected:
            LOG.debug("xCAT %s %s answered %s instead of %s", call.method, call.display_path,
                      status, expected)
        try:
            return parse_envelope(status, content, like=call.reuse)
        except ValueError as exc:
            raise XcatResponseError(self.server, call.method, call.display_path, status,
                                    excerpt(_strip_html(self._text(content))),
                                    str(exc)) from None

    def _text(self, content: bytes) -> str:
        """A body as text for an error message, the password removed (an answer that
        parses is never shown, so a success is not decoded here)."""
        return self._scrub(content.decode("utf-8", errors="replace"))

    def probe(self, timeout: float = PROBE_TIMEOUT) -> bool:
        """Whether the MN answers now: one ``GET version`` (``lsxcatd -v``, no node is
        reached), no retry, at most ``timeout`` seconds to connect and to read."""
        try:
            self.request("GET", "version", retries=0, timeout=timeout)
        except XcatError:
            return False
        return True

    # -- dsh ---------------------------------------------------------------------------------------
    def dsh(self, node: str, command: str | Sequence[str], *, idempotent: bool = False,
            check: bool = False) -> CommandResult:
        """Run a shell command on an xCAT node (``PUT nodes/<node>/dsh``).

        ``command`` is shell text or an argument vector (shell-quoted with
        :func:`xcat.smcli.render`). Returns a :class:`CommandResult`; with
        ``check=True`` a failure raises :class:`xcat.errors.CommandError`
        (:class:`xcat.errors.NodeUnreachableError` when the node could not be reached).
        """
        node = zvm_names.xcat_node(node)
        if not isinstance(command, str):
            from xcat.smcli import render
            command = render(command)
        if not command.strip():
            raise ValueError("command: empty")
        if "\x00" in command:
            raise ValueError("command: contains a NUL character")
        envelope = self.request("PUT", ("nodes", node, "dsh"), body=[f"command={command}"],
                                idempotent=idempotent)
        result = command_result(node, command, envelope)
        return result.check() if check else result


def _strip_html(text: str) -> str:
    return re.sub(r"<[^>]+>", " ", text)
