"""A client's reply queue on the embedded transport, read by the callers themselves.

On a broker, replies are pushed to a consumer, so a client keeps a listener thread
(:class:`~quantum_zvm.rpc.consumer.ConsumerLoop`) that hands each reply to the
caller waiting for it. On the embedded transport a reply is a file in the client's
queue directory, and the queue's doorbell rings when one is queued
(:mod:`~quantum_zvm.rpc.doorbell`), so the caller waiting for it reads it: no
second thread wakes, goes through kombu's consumer machinery and wakes the caller
in turn (``benchmarks/bench_rpc.py`` reports a call's CPU).

One caller reads at a time; the others wait on a condition. The reader waits for
the doorbell (at most ``RING_FALLBACK``), then takes every reply one listing of the
queue shows and hands each to ``on_reply``, which gives it to whoever waits for it,
and wakes the waiters (whose reply it may have taken); then it steps down, so that
another can read. It looks after the doorbell, not before: a reply is queued
before its ring is sent and a ring waits in the bell's socket until taken, so a
reply is there when the ring that announces it is taken, or was taken (and handed
over) by the caller who took that ring. A call lists its queue once
(``tests/functional/test_rpc_embedded.py``), not also before the reply could have
come and again to find the queue empty.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import kombu
from kombu.exceptions import ContentDisallowed, DecodeError
from kombu.serialization import prepare_accept_content

from quantum_zvm.rpc import consumer
from quantum_zvm.rpc.transport import Transport

LOG = logging.getLogger(__name__)
ACCEPT = prepare_accept_content(["json"])   # what kombu's Queue.get(accept=...) would take


class EmbeddedReplies:
    """The reply queue ``name`` (auto-delete, declared here) on the embedded
    ``transport``; ``on_reply(body)`` gets each decoded reply."""

    def __init__(self, transport: Transport, name: str, on_reply: Callable[[Any], None]):
        self.transport = transport
        self.on_reply = on_reply
        self._conn = transport.connection()
        transport.connect(self._conn)
        channel = self._channel = self._conn.channel()   # an embedded.Channel
        self._queue = kombu.Queue(name, durable=False, auto_delete=True)(channel)
        self._queue.declare()
        self._bell = channel.bell([name])
        self._condition = threading.Condition()
        self._reading = False

    def next_frame(self, inbox: queue.Queue, deadline: float) -> Any:
        """The next frame ``on_reply`` put in ``inbox``, reading the queue while no
        other caller does; ``queue.Empty`` once ``deadline`` (monotonic) passed."""
        while True:
            try:
                return inbox.get_nowait()
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise queue.Empty
            with self._condition:
                if self._reading:
                    self._condition.wait(remaining)
                    continue
                if not inbox.empty():  # handed over by the reader that just stepped down
                    continue
                self._reading = True
            try:
                self._wait(min(remaining, consumer.RING_FALLBACK))
                self._read()
                with self._condition:  # the replies handed to others: their callers go on
                    self._condition.notify_all()
            finally:
                with self._condition:
                    self._reading = False
                    self._condition.notify_all()

    def close(self) -> None:
        """Close the connection: the auto-delete queue goes with its channel."""
        try:
            self._conn.release()
        except Exception:  # noqa: BLE001 - closing at shutdown, nothing left to do
            LOG.debug("error closing the reply queue's connection", exc_info=True)

    def _read(self) -> None:
        """Hand every queued reply to ``on_reply``; one kombu cannot decode is dropped."""
        channel = self._channel
        for raw in channel.take_all(self._queue.name):
            try:  # a body that is not in its stated encoding fails the Message itself
                message = channel.Message(raw, channel=channel)
                message.accept = ACCEPT
                body = message.payload
            except (DecodeError, ContentDisallowed, ValueError) as exc:
                LOG.warning("dropping a reply that cannot be decoded (%s, content type %r)",
                            exc, raw.get("content-type"))
                continue
            self.on_reply(body)

    def _wait(self, seconds: float) -> None:
        if self._bell is not None:
            self._bell.wait(seconds)
        else:
            time.sleep(min(seconds, self.transport.polling_interval))
