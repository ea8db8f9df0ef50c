"""A client's reply queue on the embedded transport, read by the callers themselves.

On a broker, replies are pushed to a consumer, so a client keeps a listener thread
(:class:`~quantum_zvm.rpc.consumer.ConsumerLoop`) that hands each reply to the
caller waiting for it. On the embedded transport a reply is a file in the client's
queue directory, and the queue's doorbell rings when one is queued
(:mod:`~quantum_zvm.rpc.doorbell`), so the caller waiting for it reads it: no
second thread wakes, goes through kombu's consumer machinery and wakes the caller
in turn (``benchmarks/bench_rpc.py`` reports a call's CPU).

One caller reads at a time; the others wait on a condition. The reader takes every
reply that is queued and hands each to ``on_reply``, which gives it to whoever
waits for it, and wakes the waiters (whose reply it may have taken); then it waits
for the doorbell (at most ``RING_FALLBACK``) unless its own reply came, and steps
down, so that another can read.
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

from quantum_zvm.rpc import consumer
from quantum_zvm.rpc.transport import Transport

LOG = logging.getLogger(__name__)


class EmbeddedReplies:
    """The reply queue ``name`` (auto-delete, declared here) on the embedded
    ``transport``; ``on_reply(body)`` gets each decoded reply."""

    def __init__(self, transport: Transport, name: str, on_reply: Callable[[Any], None]):
        self.transport = transport
        self.on_reply = on_reply
        self._conn = transport.connection()
        transport.connect(self._conn)
        channel = self._conn.channel()
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
                self._reading = True
            try:
                self._read()
                with self._condition:  # the replies handed to others: their callers go on
                    self._condition.notify_all()
                if inbox.empty():
                    self._wait(min(remaining, consumer.RING_FALLBACK))
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
        while True:
            message = self._queue.get(no_ack=True, accept=["json"])
            if message is None:
                return
            try:
                body = message.payload
            except (DecodeError, ContentDisallowed) as exc:
                LOG.warning("dropping a reply that cannot be decoded (%s, content type %r)",
                            exc, message.content_type)
                continue
            self.on_reply(body)

    def _wait(self, seconds: float) -> None:
        if self._bell is not None:
            self._bell.wait(seconds)
        else:
            time.sleep(min(seconds, self.transport.polling_interval))
