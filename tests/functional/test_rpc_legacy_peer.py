"""2013 (Grizzly/Havana openstack.common.rpc) peers over RabbitMQ (reference §5.2–§5.4).

The peers here are written with raw kombu and follow the 2013 code paths:
a Grizzly caller sends bare JSON with ``_msg_id`` and no ``_reply_q`` and
waits on a per-call queue named ``<msg_id>`` bound to a direct exchange of
that name, reading frames the way Grizzly's MulticallWaiter did (an ``ending``
frame is a pure terminator, its result ignored); a Havana server answers
``_reply_q`` through a direct exchange named after it, with data frames
followed by a terminator, and failures without ``ending``.
"""
import contextlib
import json
import threading

import kombu
import pytest

from quantum_zvm.common import exceptions
from quantum_zvm.rpc import wire
from quantum_zvm.rpc.client import RpcClient, topic_exchange
from quantum_zvm.rpc.server import RpcServer
from quantum_zvm.rpc.transport import Backoff, Transport, parse_transport_url

pytestmark = pytest.mark.rabbitmq


class Endpoint:
    def echo(self, ctx, value):
        return value

    def missing(self, ctx, port_id):
        raise exceptions.PortNotFound(port_id=port_id)


@pytest.fixture
def transport(rabbitmq):
    return Transport(parse_transport_url(rabbitmq.url), exchange=f"legacy-{wire.new_id()[:8]}",
                     backoff=Backoff(0.2, 0.3, 1.0))


class GrizzlyFailure(Exception):
    pass


def grizzly_call(transport, topic, method, args, timeout=10):
    """A call as Grizzly's amqp.multicall made it; returns (result, frames)."""
    msg_id = wire.new_id()
    request = {"method": method, "args": args, "version": "1.0", "_msg_id": msg_id,
               "_unique_id": wire.new_id(), **wire.pack_context({"is_admin": True,
                                                                 "roles": ["admin"]})}
    frames = []
    with transport.connection() as conn:
        channel = conn.channel()
        reply_exchange = kombu.Exchange(msg_id, "direct", durable=False, auto_delete=True)
        queue = kombu.Queue(msg_id, reply_exchange, routing_key=msg_id, durable=False,
                            auto_delete=True, exclusive=False)(channel)
        queue.declare()
        with kombu.Consumer(channel, [queue], callbacks=[lambda body, m: (frames.append(body),
                                                                          m.ack())]):
            kombu.Producer(channel).publish(request, exchange=topic_exchange(transport.exchange),
                                            routing_key=topic, serializer="json",
                                            declare=[topic_exchange(transport.exchange)])
            result, seen = None, set()
            while True:
                while not frames:
                    try:
                        conn.drain_events(timeout=timeout)
                    except TimeoutError:
                        raise AssertionError("no reply") from None
                data = wire.deserialize(frames.pop(0))
                assert data["_unique_id"] not in seen
                seen.add(data["_unique_id"])
                if data["failure"]:
                    raise GrizzlyFailure(json.loads(data["failure"]))
                if data.get("ending"):
                    return result, seen
                result = data["result"]


@pytest.fixture
def our_server(transport):
    topic = f"lg-{wire.new_id()[:8]}"
    server = RpcServer(transport, [topic], [Endpoint()]).start()
    assert server.wait_ready(20)
    yield topic
    server.stop()


def test_grizzly_caller_gets_results_through_its_per_call_queue(transport, our_server):
    result, frames = grizzly_call(transport, our_server, "echo", {"value": {"a": 1}})
    assert result == {"a": 1} and len(frames) == 2        # data frame + terminator
    result, frames = grizzly_call(transport, our_server, "echo", {"value": None})
    assert result is None and len(frames) == 1           # terminator only
    with pytest.raises(GrizzlyFailure) as info:
        grizzly_call(transport, our_server, "missing", {"port_id": "p7"})
    failure = info.value.args[0]
    assert failure["class"] == "PortNotFound" and failure["kwargs"] == {"port_id": "p7"}
    assert failure["message"] == "Port p7 could not be found"


class HavanaServer:
    """Consumes a topic queue and replies as Havana's amqp.py did."""

    def __init__(self, transport, topic):
        self.transport = transport
        self.topic = topic
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.requests = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        assert self.ready.wait(20)

    def frames_for(self, method, args):
        if method == "echo":
            return [{"result": args["value"], "failure": None}]
        if method == "multi":   # a generator method: one data frame per item
            return [{"result": 1, "failure": None}, {"result": 2, "failure": None}]
        if method == "null_data":
            return [{"result": None, "failure": None}]
        failure = json.dumps({"class": "PortNotFound", "module": "quantum_zvm.common.exceptions",
                              "message": "Port px could not be found", "tb": [],
                              "args": [], "kwargs": {"port_id": "px"}})
        return [{"result": None, "failure": failure}]          # no terminator after a failure

    def run(self):
        with self.transport.connection() as conn:
            channel = conn.channel()
            queue = kombu.Queue(self.topic, topic_exchange(self.transport.exchange),
                                routing_key=self.topic, durable=False, auto_delete=False)(channel)
            queue.declare()

            def handle(body, message):
                message.ack()
                request = wire.deserialize(body)
                self.requests.append(request)
                reply_q = request["_reply_q"]
                frames = self.frames_for(request["method"], request["args"])
                if not frames[-1]["failure"]:
                    frames.append({"result": None, "failure": None, "ending": True})
                exchange = kombu.Exchange(reply_q, "direct", durable=False, auto_delete=True)
                for frame in frames:
                    frame.update(_msg_id=request["_msg_id"], _unique_id=wire.new_id())
                    kombu.Producer(channel).publish(wire.serialize(frame), exchange=exchange,
                                                    routing_key=reply_q, serializer="json",
                                                    declare=[exchange])
            with kombu.Consumer(channel, [queue], callbacks=[handle]):
                self.ready.set()
                while not self.stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        conn.drain_events(timeout=0.2)

    def close(self):
        self.stop.set()
        self.thread.join(10)


def test_our_client_reads_havana_replies_from_the_direct_exchange(transport):
    topic = f"hv-{wire.new_id()[:8]}"
    server = HavanaServer(transport, topic)
    client = RpcClient(transport, timeout=10)
    try:
        assert client.call(None, topic, "echo", {"value": [1, "x"]}) == [1, "x"]
        assert client.call(None, topic, "multi") == 2           # the last value, as multicall
        assert client.call(None, topic, "null_data") is None    # not taken for a heartbeat
        with pytest.raises(exceptions.PortNotFound, match="Port px could not be found"):
            client.call(None, topic, "fail", timeout=5)         # failure without ending
        request = server.requests[0]
        assert request["_reply_q"] == client.reply_q and request["version"] == "1.0"
        assert request["_context_is_admin"] is True and len(request["_msg_id"]) == 32
    finally:
        client.close()
        server.close()
