"""A consuming connection in its own thread that survives broker restarts.

:class:`ConsumerLoop` connects, declares its queues (built fresh by a
function on every connect, so non-durable queues lost in a broker restart
come back), consumes, and on any connection or channel error closes
everything, waits (``Transport.backoff``) and starts over.  Messages are
acknowledged on receipt (as Quantum did) and handed to ``on_message`` with
the decoded body; a body kombu cannot decode is logged and dropped.

On the embedded transport a consumer sleeps on a doorbell that a publisher rings
(``doorbell``), and looks at its queues when rung or after ``RING_FALLBACK``
(``polling_interval`` without a doorbell). A look is a listing of the queues'
directories (``Channel.pending``), and kombu is asked for a message only when
one is there: its own empty poll is a cycle over the channels, a claim attempt
and the timeout exception of ``drain_events``, twice an interval. A consumer
whose messages need no quick answer (an agent's notifications) may give a
longer ``polling_interval`` for when it has no doorbell. (An RPC client's
replies on the embedded transport are read by its callers,
:mod:`embedded_replies`, not by a consumer.)
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import kombu

from quantum_zvm.rpc.doorbell import Bell
from quantum_zvm.rpc.transport import Transport

LOG = logging.getLogger(__name__)

DRAIN_TIMEOUT = 0.2
HEARTBEAT = 30
# seconds a consumer with a doorbell waits for a ring before it looks anyway
RING_FALLBACK = 0.2


class ConsumerLoop:
    """Consume the queues ``make_queues()`` returns and call ``on_message(body)``.

    ``on_message`` runs on the consumer thread; it must be quick (hand work
    to a pool) and must not raise (exceptions are logged and swallowed).
    ``polling_interval``: the embedded transport's seconds between looks at the
    queues without a doorbell, if not the transport's (see the module docstring).
    """

    def __init__(self, transport: Transport, make_queues: Callable[[], Sequence[kombu.Queue]],
                 on_message: Callable[[Any], None], name: str,
                 polling_interval: float | None = None):
        self.transport = transport
        self.polling_interval = polling_interval or transport.polling_interval
        self.make_queues = make_queues
        self.on_message = on_message
        self.name = name
        self.ready = threading.Event()
        self.connects = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bell: Bell | None = None  # the embedded channel's doorbell, while consuming

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until the queues are declared and consumed (True) or ``timeout`` passes."""
        return self.ready.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        bell = self._bell
        if bell is not None:  # it may wait RING_FALLBACK for a ring
            bell.ring()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            conn = self.transport.connection(heartbeat=0 if self.transport.embedded else HEARTBEAT,
                                             polling_interval=self.polling_interval)
            try:
                self.transport.connect(conn)
                channel = conn.channel()
                queues = [q.bind(channel) for q in self.make_queues()]
                for queue in queues:
                    queue.declare()
                consumer = kombu.Consumer(channel, queues, callbacks=[self._receive],
                                          accept=["json"], on_decode_error=self._decode_error)
                consumer.consume()
                self.connects += 1
                if attempt:
                    LOG.info("%s: reconnected to %s", self.name, self.transport.describe())
                attempt = 0
                self.ready.set()
                # with a look before each drain, drain one polling interval at a
                # time: a message another consumer took costs one interval
                look = self._look(channel, queues)
                self._bell = channel.bell([q.name for q in queues]) if look else None
                drain_timeout = DRAIN_TIMEOUT if look is None else self.polling_interval
                while not self._stop.is_set():
                    if look is not None and not look():
                        self._idle()
                        continue
                    try:
                        conn.drain_events(timeout=drain_timeout)
                    except TimeoutError:
                        if conn.heartbeat:
                            conn.heartbeat_check()
            except Exception as exc:  # noqa: BLE001 - any failure means reconnect
                self.ready.clear()
                if self._stop.is_set():
                    break
                delay = self.transport.backoff.delay(attempt)
                attempt += 1
                LOG.warning("%s: connection to %s failed (%s: %s); retrying in %.1fs",
                            self.name, self.transport.describe(), type(exc).__name__, exc,
                            delay)
                self._stop.wait(delay)
            finally:
                self.ready.clear()
                self._bell = None
                _close_quietly(conn)

    def _idle(self) -> None:
        """Wait for the next look at the queues: a ring of the doorbell (or
        ``RING_FALLBACK``), or ``polling_interval`` without one."""
        bell = self._bell
        if bell is not None:
            bell.wait(RING_FALLBACK)
        else:
            self._stop.wait(self.polling_interval)

    def _look(self, channel: Any, queues: Sequence[kombu.Queue]) -> Callable[[], bool] | None:
        """On the embedded transport, whether a message is waiting in ``queues``
        (a directory listing each); None on a broker, which pushes messages."""
        if not self.transport.embedded:
            return None
        names = [queue.name for queue in queues]
        return lambda: channel.pending(names)

    def _receive(self, body: Any, message: kombu.Message) -> None:
        message.ack()
        try:
            self.on_message(body)
        except Exception:  # noqa: BLE001 - a bad message must not stop the consumer
            LOG.exception("%s: error handling a message", self.name)

    def _decode_error(self, message: kombu.Message, exc: Exception) -> None:
        LOG.warning("%s: dropping a message that cannot be decoded (%s, content type %r)",
                    self.name, exc, message.content_type)
        message.ack()


def _close_quietly(conn: kombu.Connection) -> None:
    try:
        conn.release()
    except Exception:  # noqa: BLE001 - the connection is already broken
        LOG.debug("error closing a broken connection", exc_info=True)
