"""RPC server: topic and fanout consumers dispatching to endpoints.

An :class:`RpcServer` consumes

- the shared topic queue ``<topic>`` on the control exchange (several
  servers share its load),
- with ``host``: the queue ``<topic>.<host>`` (messages for this server only),
- with ``fanout=True``: its own auto-delete queue ``<topic>_fanout_<hex>``
  on the ``<topic>_fanout`` exchange (every server gets a copy),

for each topic given, with flags identical to Quantum's and oslo.messaging's
(non-durable, non-auto-delete topic queues; auto-delete fanout).  Set
``shared=False`` to consume only the fanout queue (an L2 agent's notifier
topics).

Each message is acknowledged on receipt, de-duplicated on ``_unique_id``,
and handled in a worker thread: the ``_context_*`` keys become a
:class:`Context`, :class:`Dispatcher` finds the method, and a call
(``_msg_id`` present) gets the reply frames of :func:`wire.reply_frames`
through the default exchange, routed by ``_reply_q`` or, for 2013 callers
without one, by ``_msg_id``.  Errors become failure replies; malformed
messages are logged and dropped (a malformed *call* still gets a failure so
the caller does not wait for its timeout).  The consumer reconnects with
backoff and redeclares its queues after a broker restart.
"""
from __future__ import annotations

import concurrent.futures
import logging
import sys
from collections.abc import Sequence
from typing import Any

import kombu

from quantum_zvm.common.context import Context
from quantum_zvm.common.exceptions import QuantumException
from quantum_zvm.rpc import errors, wire
from quantum_zvm.rpc.client import fanout_exchange, topic_exchange
from quantum_zvm.rpc.consumer import ConsumerLoop
from quantum_zvm.rpc.dispatcher import Dispatcher
from quantum_zvm.rpc.publisher import Publisher
from quantum_zvm.rpc.transport import Transport

LOG = logging.getLogger(__name__)

REPLY_TIMEOUT = 30.0


class RpcServer:
    """Serves ``endpoints`` on ``topics``; :meth:`start` returns at once, :meth:`stop` waits."""

    def __init__(self, transport: Transport, topics: Sequence[str], endpoints: Sequence[object],
                 *, host: str | None = None, fanout: bool = False, shared: bool = True,
                 workers: int = 64, name: str = "rpc-server",
                 polling_interval: float | None = None):
        self.transport = transport
        self.topics = list(topics)
        self.host = host
        self.fanout = fanout
        self.shared = shared
        self.name = name
        self.dispatcher = Dispatcher(endpoints)
        self._duplicates = wire.DuplicateFilter()
        self._publisher = Publisher(transport, name=f"{name}-replies")
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers,
                                                           thread_name_prefix=name)
        self._fanout_suffix = wire.new_id()
        self._loop = ConsumerLoop(transport, self._queues, self._on_message, name=name,
                                  polling_interval=polling_interval)

    def start(self) -> RpcServer:
        self._loop.start()
        return self

    def wait_ready(self, timeout: float | None = None) -> bool:
        """True once the queues are declared and consumed."""
        return self._loop.wait_ready(timeout)

    @property
    def connects(self) -> int:
        """How many times the consumer has (re)connected."""
        return self._loop.connects

    def stop(self) -> None:
        self._loop.stop()
        self._pool.shutdown(wait=True)
        self._publisher.close()

    # -- queues --------------------------------------------------------------

    def _queues(self) -> list[kombu.Queue]:
        exchange = topic_exchange(self.transport.exchange)
        queues: list[kombu.Queue] = []
        for topic in self.topics:
            names = [topic, f"{topic}.{self.host}"] if self.host else [topic]
            if self.shared:
                queues.extend(kombu.Queue(name, exchange, routing_key=name, durable=False,
                                          auto_delete=False, exclusive=False) for name in names)
            if self.fanout:
                queues.append(kombu.Queue(f"{topic}_fanout_{self._fanout_suffix}",
                                          fanout_exchange(topic), routing_key=topic,
                                          durable=False, auto_delete=True))
        return queues

    # -- messages ------------------------------------------------------------

    def _on_message(self, body: Any) -> None:
        try:
            message = wire.deserialize(body)
        except errors.MalformedMessage as exc:
            LOG.warning("%s: dropping a malformed message: %s", self.name, exc)
            return
        if self._duplicates.seen(message.get("_unique_id")):
            LOG.info("%s: dropping duplicate message %s", self.name, message.get("_unique_id"))
            return
        self._pool.submit(self._handle, message)

    def _handle(self, message: dict[str, Any]) -> None:
        context_values, message = wire.unpack_context(message)
        method = message.get("method")
        args = message.get("args", {})
        address = _reply_address(message)
        if not isinstance(method, str) or not method or not isinstance(args, dict):
            LOG.warning("%s: dropping a message without a method or with non-dict args: %.200r",
                        self.name, message)
            if address:
                self._reply(*address, failure=wire.serialize_exception(
                    errors.MalformedMessage("No method for message: "
                                            f"{str(message)[:200]}")))
            return
        try:
            context = Context.from_dict(context_values)
            result = self.dispatcher.dispatch(context, message.get("version"), method, args)
            if address:
                self._reply(*address, result=result,
                            one_frame=message.get(wire.ONE_REPLY_FRAME) is True)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller
            expected = isinstance(exc, (QuantumException, errors.RpcError, AttributeError))
            (LOG.info if expected else LOG.exception)(
                "%s: %s failed: %s: %s", self.name, method, type(exc).__name__, exc)
            if address:
                self._reply(*address, failure=wire.serialize_exception(exc, sys.exc_info()[2]))

    def _reply(self, msg_id: str, reply_to: str, result: Any = None,
               failure: str | None = None, one_frame: bool = False) -> None:
        try:
            for frame in wire.reply_frames(msg_id, result=result, failure=failure,
                                           one_frame=one_frame):
                self._publisher.publish(wire.serialize(frame), None, reply_to,
                                        timeout=REPLY_TIMEOUT)
        except errors.RpcConnectionError as exc:
            LOG.error("%s: reply to %s lost: %s", self.name, msg_id, exc)


def _reply_address(message: dict[str, Any]) -> tuple[str, str] | None:
    """``(msg_id, reply queue)`` of a call (the queue is ``_reply_q``, else the msg id);
    None for a cast or a message whose ids are not strings: nothing is answered."""
    msg_id = message.get("_msg_id")
    reply_to = message.get("_reply_q") or msg_id
    if isinstance(msg_id, str) and msg_id and isinstance(reply_to, str):
        return msg_id, reply_to
    return None
