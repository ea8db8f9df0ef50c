"""Which broker to talk to, and kombu connections to it.

Precedence (first that applies):

1. ``transport_url``: ``rabbit://user:pass@h1:5672,user:pass@h2:5672/vhost``
   (``amqp://`` is the same; several hosts fail over round-robin; user and
   password are percent-decoded; a host without credentials uses
   guest/guest) or ``embedded://`` / ``embedded:///some/dir``.
2. legacy ``rabbit_hosts`` (``host:port`` list) or ``rabbit_host`` +
   ``rabbit_port``, with ``rabbit_userid``, ``rabbit_password`` and
   ``rabbit_virtual_host``.
3. otherwise the embedded transport in ``<state_path>/rpc``: no broker,
   processes on one host exchange messages through that directory
   (see :mod:`quantum_zvm.rpc.embedded` for its limits).

:func:`settings_from_conf` and :func:`parse_transport_url` are pure; a
:class:`Transport` makes connections and knows the control exchange.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import kombu

DEFAULT_PORT = 5672
DEFAULT_USER = "guest"
DEFAULT_PASSWORD = "guest"
EMBEDDED_DIRNAME = "rpc"


class TransportConfigError(ValueError):
    """A transport setting that cannot be used; the text names the option."""


@dataclasses.dataclass(frozen=True)
class BrokerHost:
    hostname: str
    port: int = DEFAULT_PORT
    userid: str = DEFAULT_USER
    password: str = dataclasses.field(default=DEFAULT_PASSWORD, repr=False)


@dataclasses.dataclass(frozen=True)
class TransportSettings:
    """Where messages go: ``kind`` is ``rabbit`` (``hosts``) or ``embedded`` (``directory``)."""
    kind: str
    hosts: tuple[BrokerHost, ...] = ()
    virtual_host: str = "/"
    directory: str | None = None

    @property
    def embedded(self) -> bool:
        return self.kind == "embedded"

    def describe(self) -> str:
        """A log-safe description (no passwords)."""
        if self.embedded:
            return f"embedded transport in {self.directory}"
        hosts = ",".join(f"{h.userid}@{_netloc(h.hostname, h.port)}" for h in self.hosts)
        return f"rabbit://{hosts}/{self.virtual_host}"


def _netloc(hostname: str, port: int) -> str:
    host = f"[{hostname}]" if ":" in hostname else hostname
    return f"{host}:{port}"


def _split_hostport(text: str, default_port: int, option: str) -> tuple[str, int]:
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host:
        raise TransportConfigError(f"{option}: empty host in {text!r}")
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise TransportConfigError(f"{option}: bad port {port_text!r} in {text!r}")
        return host, int(port_text)
    return host, default_port


def parse_transport_url(url: str, state_path: str = ".") -> TransportSettings:
    """Parse a ``transport_url`` value (see the module docstring)."""
    option = "[DEFAULT] transport_url"
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "embedded":
        directory = unquote(parts.path) if parts.path not in ("", "/") else None
        return embedded_settings(state_path, directory)
    if scheme not in ("rabbit", "amqp"):
        raise TransportConfigError(
            f"{option}: unsupported scheme {parts.scheme!r} (use rabbit://, amqp:// or embedded://)")
    netloc = url.strip().split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
    hosts = []
    for item in netloc.split(","):
        creds, at, hostport = item.rpartition("@")
        if not hostport:
            raise TransportConfigError(f"{option}: a host is missing")
        userid, password = DEFAULT_USER, DEFAULT_PASSWORD
        if at:
            user_text, colon, pass_text = creds.partition(":")
            userid = unquote(user_text) or DEFAULT_USER
            password = unquote(pass_text) if colon else DEFAULT_PASSWORD
        hostname, port = _split_hostport(hostport, DEFAULT_PORT, option)
        hosts.append(BrokerHost(hostname, port, userid, password))
    vhost = unquote(parts.path[1:]) if parts.path.startswith("/") else ""
    return TransportSettings("rabbit", tuple(hosts), vhost or "/")


def embedded_settings(state_path: str, directory: str | None = None) -> TransportSettings:
    path = directory or os.path.join(state_path, EMBEDDED_DIRNAME)
    return TransportSettings("embedded", directory=os.path.abspath(path))


def settings_from_conf(conf: Any) -> TransportSettings:
    """The transport the loaded configuration asks for (precedence in the module docstring)."""
    if conf.transport_url:
        return parse_transport_url(conf.transport_url, conf.state_path)
    userid = conf.rabbit_userid or DEFAULT_USER
    password = conf.rabbit_password if conf.rabbit_password is not None else DEFAULT_PASSWORD
    vhost = conf.rabbit_virtual_host or "/"
    if conf.rabbit_hosts:
        hosts = tuple(BrokerHost(*_split_hostport(item, conf.rabbit_port,
                                                  "[DEFAULT] rabbit_hosts"), userid, password)
                      for item in conf.rabbit_hosts if item.strip())
        return TransportSettings("rabbit", hosts, vhost)
    if conf.rabbit_host:
        host, port = _split_hostport(conf.rabbit_host, conf.rabbit_port, "[DEFAULT] rabbit_host")
        return TransportSettings("rabbit", (BrokerHost(host, port, userid, password),), vhost)
    return embedded_settings(conf.state_path)


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Reconnect delays: ``start``, then growing by ``step`` up to ``maximum`` seconds."""
    start: float = 1.0
    step: float = 2.0
    maximum: float = 30.0

    def delay(self, attempt: int) -> float:
        """The delay before reconnect attempt ``attempt`` (0-based)."""
        return min(self.start + self.step * attempt, self.maximum)


class Transport:
    """Makes kombu connections for one :class:`TransportSettings`.

    ``exchange`` is the control exchange (``control_exchange``, default
    ``quantum``).  ``polling_interval`` only matters for the embedded
    transport (seconds between looks at its directory).
    """

    def __init__(self, settings: TransportSettings, exchange: str = "quantum",
                 backoff: Backoff = Backoff(), connect_timeout: float = 5.0,
                 polling_interval: float = 0.005):
        self.settings = settings
        self.exchange = exchange
        self.backoff = backoff
        self.connect_timeout = connect_timeout
        self.polling_interval = polling_interval

    @classmethod
    def from_conf(cls, conf: Any, **kwargs: Any) -> Transport:
        return cls(settings_from_conf(conf), exchange=conf.control_exchange, **kwargs)

    @property
    def embedded(self) -> bool:
        return self.settings.embedded

    def connection(self, heartbeat: int = 0,
                   polling_interval: float | None = None) -> kombu.Connection:
        """A new, not yet connected, kombu connection (``polling_interval``: this
        connection's, instead of the transport's; embedded only)."""
        if self.settings.embedded:
            from quantum_zvm.rpc import embedded  # kombu transport class, loaded on use
            return kombu.Connection(
                transport=embedded.Transport,
                transport_options={"directory": self.settings.directory,
                                   "polling_interval": polling_interval
                                   or self.polling_interval})
        vhost = quote(self.settings.virtual_host, safe="")
        urls = [f"amqp://{quote(h.userid, safe='')}:{quote(h.password, safe='')}@"
                f"{_netloc(h.hostname, h.port)}/{vhost}" for h in self.settings.hosts]
        return kombu.Connection(";".join(urls), failover_strategy="round-robin",
                                connect_timeout=self.connect_timeout, heartbeat=heartbeat,
                                transport_options={"confirm_publish": False})

    def connect(self, conn: kombu.Connection) -> kombu.Connection:
        """Connect ``conn``, trying each broker host once; raises the last error."""
        if self.settings.embedded:
            conn.connect()
            return conn
        return conn.ensure_connection(max_retries=len(self.settings.hosts), interval_start=0,
                                      interval_step=0, interval_max=0)

    def describe(self) -> str:
        return self.settings.describe()
