"""A thread-safe publishing connection that reconnects and retries within a deadline.

Exchanges are declared before use: the control exchange once per
connection, auto-delete (fanout) exchanges before every publish, because
RabbitMQ removes them when their last queue goes and publishing to a
missing exchange silently closes the channel.  The default exchange (``""``,
used for replies) is never declared.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

import kombu
from kombu.exceptions import KombuError

from quantum_zvm.rpc import errors
from quantum_zvm.rpc.transport import Transport

LOG = logging.getLogger(__name__)


class Publisher:
    """Publishes JSON bodies; :meth:`publish` raises :class:`errors.RpcConnectionError`
    when the broker stays unreachable for ``timeout`` seconds."""

    def __init__(self, transport: Transport, name: str = "publisher"):
        self.transport = transport
        self.name = name
        self._lock = threading.Lock()
        self._conn: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None
        self._declared: set[str] = set()

    def publish(self, body: Any, exchange: kombu.Exchange | None, routing_key: str, *,
                timeout: float, expiration: float | None = None,
                headers: dict[str, Any] | None = None) -> None:
        deadline = time.monotonic() + timeout
        attempt = 0
        with self._lock:
            while True:
                try:
                    producer = self._ensure()
                    if exchange is not None and exchange.name and (
                            exchange.auto_delete or exchange.name not in self._declared):
                        exchange(producer.channel).declare()
                        self._declared.add(exchange.name)
                    producer.publish(body, exchange=exchange.name if exchange is not None else "",
                                     routing_key=routing_key, serializer="json",
                                     expiration=expiration, headers=headers or {},
                                     retry=False)
                    return
                except self._retryable_errors() as exc:
                    self._reset()
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise errors.RpcConnectionError(
                            f"cannot publish to {self.transport.describe()}: "
                            f"{type(exc).__name__}: {exc}") from None
                    delay = min(self.transport.backoff.delay(attempt), remaining)
                    attempt += 1
                    LOG.warning("%s: publishing failed (%s: %s); retrying in %.1fs",
                                self.name, type(exc).__name__, exc, delay)
                    time.sleep(delay)

    def _retryable_errors(self) -> tuple[type[BaseException], ...]:
        """What a publish retries on: socket and kombu errors and the transport's own."""
        conn = self._conn or self.transport.connection()
        return (OSError, KombuError, *conn.connection_errors, *conn.channel_errors)

    def _ensure(self) -> kombu.Producer:
        if self._producer is None:
            self._conn = self.transport.connection()
            self.transport.connect(self._conn)
            self._producer = kombu.Producer(self._conn.channel(), auto_declare=False)
        return self._producer

    def _reset(self) -> None:
        self._declared.clear()
        self._producer = None
        if self._conn is not None:
            try:
                self._conn.release()
            except Exception:  # noqa: BLE001 - already broken
                LOG.debug("error closing a broken connection", exc_info=True)
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self._reset()
