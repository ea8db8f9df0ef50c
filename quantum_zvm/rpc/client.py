"""RPC client: ``call`` (with reply), ``cast`` and ``fanout_cast`` (fire and forget).

Requests go to the control exchange with routing key = topic (call, cast)
or to the ``<topic>_fanout`` exchange (fanout_cast), enveloped (§5.3).

Replies (recipe §5.6 step 2): each client owns one ``reply_<hex>`` queue,
declared before the first call; on a broker a background thread consumes it,
on the embedded transport the waiting callers read it themselves
(:mod:`embedded_replies`).  Every call carries ``_msg_id`` and ``_reply_q``.
On a broker the queue is reached through the default exchange (modern servers
and ours) and is also bound to a direct exchange of the same name (2013
servers using ``_reply_q``).  Every call asks for its reply in one frame
(``wire.ONE_REPLY_FRAME``: servers that do not know the key answer as they
always do).  Frames are read by :class:`wire.ReplyReader`; a remote exception
is raised at the caller (re-created for allowed modules, else
:class:`errors.RemoteError`); no complete reply within the timeout raises
:class:`errors.RpcTimeout`.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import kombu

from quantum_zvm.common.context import Context, get_admin_context
from quantum_zvm.rpc import errors, wire
from quantum_zvm.rpc.consumer import ConsumerLoop
from quantum_zvm.rpc.embedded_replies import EmbeddedReplies
from quantum_zvm.rpc.publisher import Publisher
from quantum_zvm.rpc.transport import Transport

LOG = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0
ContextLike = Context | Mapping[str, Any] | None


def context_dict(ctx: ContextLike) -> dict[str, Any]:
    """The context as packed into requests; ``None`` is the admin context agents use."""
    if ctx is None:
        ctx = get_admin_context()
    if isinstance(ctx, Context):
        return ctx.to_dict()
    return dict(ctx)


def topic_exchange(name: str) -> kombu.Exchange:
    """The control exchange: topic, non-durable, not auto-delete (§5.1)."""
    return kombu.Exchange(name, type="topic", durable=False, auto_delete=False)


def fanout_exchange(topic: str) -> kombu.Exchange:
    """``<topic>_fanout``: fanout, non-durable, auto-delete (§5.1)."""
    return kombu.Exchange(f"{topic}_fanout", type="fanout", durable=False, auto_delete=True)


class RpcClient:
    """Sends requests on ``transport``; one instance is safe to share between threads.

    ``timeout`` is the default call timeout (``rpc_response_timeout``); casts
    give up with :class:`errors.RpcConnectionError` when the broker stays
    unreachable that long.
    """

    def __init__(self, transport: Transport, timeout: float = DEFAULT_TIMEOUT,
                 allowed_exception_modules: Iterable[str] = wire.DEFAULT_ALLOWED_EXCEPTION_MODULES):
        self.transport = transport
        self.timeout = timeout
        self.allowed_exception_modules = tuple(allowed_exception_modules)
        self.reply_q = f"reply_{wire.new_id()}"
        self._publisher = Publisher(transport, name="rpc-client")
        self._exchange = topic_exchange(transport.exchange)
        self._waiters: dict[str, queue.Queue] = {}
        self._lock = threading.Lock()
        self._duplicates = wire.DuplicateFilter()
        self._listener: ConsumerLoop | None = None
        self._embedded_replies: EmbeddedReplies | None = None

    # -- public API ----------------------------------------------------------

    def call(self, ctx: ContextLike, topic: str, method: str, args: Mapping[str, Any] | None = None,
             *, version: str | None = wire.DEFAULT_RPC_VERSION,
             timeout: float | None = None) -> Any:
        """Invoke ``method(**args)`` on a server of ``topic`` and return its result."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        self._ensure_reply_queue(timeout)
        msg_id = wire.new_id()
        message = wire.request(method, args or {}, context=context_dict(ctx), version=version,
                               msg_id=msg_id, reply_q=self.reply_q, one_reply_frame=True)
        reader = wire.ReplyReader(self.allowed_exception_modules)
        inbox: queue.Queue = queue.Queue()
        with self._lock:
            self._waiters[msg_id] = inbox
        try:
            self._publisher.publish(wire.serialize(message), self._exchange, topic,
                                    timeout=max(deadline - time.monotonic(), 0.1),
                                    expiration=timeout,
                                    headers={"ttl": int(timeout * 1000)})
            while True:
                try:
                    frame = self._next_frame(inbox, deadline)
                except queue.Empty:
                    raise errors.RpcTimeout(
                        f"timed out after {timeout:g}s waiting for a reply to {method} "
                        f"on topic {topic} (exchange {self.transport.exchange}, "
                        f"{self.transport.describe()})") from None
                if reader.feed(frame):
                    return reader.outcome()
        finally:
            with self._lock:
                self._waiters.pop(msg_id, None)

    def cast(self, ctx: ContextLike, topic: str, method: str,
             args: Mapping[str, Any] | None = None, *,
             version: str | None = wire.DEFAULT_RPC_VERSION) -> None:
        """Send ``method(**args)`` to one server of ``topic`` without waiting."""
        message = wire.request(method, args or {}, context=context_dict(ctx), version=version)
        self._publisher.publish(wire.serialize(message), self._exchange, topic,
                                timeout=self.timeout)

    def fanout_cast(self, ctx: ContextLike, topic: str, method: str,
                    args: Mapping[str, Any] | None = None, *,
                    version: str | None = wire.DEFAULT_RPC_VERSION) -> None:
        """Send ``method(**args)`` to every consumer of ``<topic>_fanout``."""
        message = wire.request(method, args or {}, context=context_dict(ctx), version=version)
        self._publisher.publish(wire.serialize(message), fanout_exchange(topic), topic,
                                timeout=self.timeout)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._embedded_replies is not None:
            self._embedded_replies.close()
            self._embedded_replies = None
        self._publisher.close()

    # -- replies -------------------------------------------------------------

    def _next_frame(self, inbox: queue.Queue, deadline: float) -> Any:
        """The next reply frame of a call (``queue.Empty`` after ``deadline``): read by
        this caller on the embedded transport, handed over by the listener on a broker."""
        if self._embedded_replies is not None:
            return self._embedded_replies.next_frame(inbox, deadline)
        return inbox.get(timeout=max(deadline - time.monotonic(), 0))

    def _reply_queues(self) -> list[kombu.Queue]:
        # Default-exchange delivery needs no binding; the same-named direct
        # exchange is for 2013 servers that reply through it.
        exchange = kombu.Exchange(self.reply_q, type="direct", durable=False, auto_delete=True)
        return [kombu.Queue(self.reply_q, exchange, routing_key=self.reply_q, durable=False,
                            auto_delete=True)]

    def _ensure_reply_queue(self, timeout: float) -> None:
        """The reply queue declared (before the first request can be answered), and on a
        broker consumed by the listener thread."""
        if self.transport.embedded:
            with self._lock:
                if self._embedded_replies is None:
                    try:
                        self._embedded_replies = EmbeddedReplies(self.transport, self.reply_q,
                                                                 self._on_reply)
                    except OSError as exc:
                        raise errors.RpcConnectionError(
                            f"cannot declare the reply queue in {self.transport.describe()}: "
                            f"{exc}") from exc
            return
        with self._lock:
            if self._listener is None:
                self._listener = ConsumerLoop(self.transport, self._reply_queues,
                                              self._on_reply, name=f"rpc-replies-{self.reply_q}")
                self._listener.start()
        if not self._listener.wait_ready(timeout):
            raise errors.RpcConnectionError(
                f"cannot consume replies from {self.transport.describe()} within {timeout:g}s")

    def _on_reply(self, body: Any) -> None:
        try:
            frame = wire.deserialize(body)
        except errors.MalformedMessage as exc:
            LOG.warning("dropping a malformed reply: %s", exc)
            return
        if self._duplicates.seen(frame.get("_unique_id")):
            LOG.debug("dropping a duplicate reply %s", frame.get("_unique_id"))
            return
        msg_id = frame.get("_msg_id")
        with self._lock:
            inbox = self._waiters.get(msg_id) if isinstance(msg_id, str) else None
        if inbox is None:
            LOG.debug("dropping a reply for unknown or finished call %s", msg_id)
            return
        inbox.put(frame)
