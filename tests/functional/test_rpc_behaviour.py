"""Client and server behaviour, on the embedded transport and on a real RabbitMQ."""
import threading
import time

import kombu
import pytest

from quantum_zvm.common import exceptions
from quantum_zvm.common.context import Context
from quantum_zvm.rpc import errors, wire
from quantum_zvm.rpc.client import RpcClient, topic_exchange
from quantum_zvm.rpc.server import RpcServer
from quantum_zvm.rpc.transport import Backoff, Transport, embedded_settings, parse_transport_url
from tests.fixtures.procs import wait_for

FAST = Backoff(start=0.2, step=0.3, maximum=1.0)


class Endpoint:
    RPC_API_VERSION = "1.1"

    def __init__(self, name="e"):
        self.name = name
        self.calls = []
        self.lock = threading.Lock()

    def echo(self, ctx, value):
        return value

    def whoami(self, ctx):
        return {"tenant_id": ctx.tenant_id, "is_admin": ctx.is_admin, "server": self.name}

    def note(self, ctx, value):
        with self.lock:
            self.calls.append(value)

    def missing_port(self, ctx, port_id):
        raise exceptions.PortNotFound(port_id=port_id)

    def crash(self, ctx):
        raise RuntimeError("internal detail")

    def unserialisable(self, ctx):
        return object()


@pytest.fixture(params=["embedded", pytest.param("rabbit", marks=pytest.mark.rabbitmq)])
def transport(request, tmp_path):
    if request.param == "embedded":
        return Transport(embedded_settings(str(tmp_path), str(tmp_path / "rpc")), backoff=FAST)
    broker = request.getfixturevalue("rabbitmq")
    return Transport(parse_transport_url(broker.url), backoff=FAST)


@pytest.fixture
def topic():
    return f"t-{wire.new_id()[:8]}"


@pytest.fixture
def serve(transport):
    servers = []

    def start(topics, endpoints, **kwargs):
        server = RpcServer(transport, topics, endpoints, **kwargs).start()
        servers.append(server)
        assert server.wait_ready(20)
        return server
    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def client(transport):
    c = RpcClient(transport, timeout=10)
    yield c
    c.close()


def _publish_raw(transport, routing_key, body, **kwargs):
    with transport.connection() as conn:
        transport.connect(conn)
        producer = kombu.Producer(conn.channel())
        producer.publish(body, exchange=topic_exchange(transport.exchange), routing_key=routing_key,
                         declare=[topic_exchange(transport.exchange)], **kwargs)


def test_call_returns_results_and_carries_the_context(serve, client, topic):
    serve([topic], [Endpoint()])
    assert client.call(None, topic, "echo", {"value": {"a": [1, None]}}) == {"a": [1, None]}
    assert client.call(None, topic, "echo", {"value": None}) is None
    assert client.call(None, topic, "echo", {"value": 0}) == 0
    who = client.call(Context(tenant_id="t1", roles=["member"]), topic, "whoami")
    assert who["tenant_id"] == "t1" and who["is_admin"] is False
    assert client.call(None, topic, "whoami")["is_admin"] is True


def test_remote_errors_are_raised_at_the_caller(serve, client, topic):
    serve([topic], [Endpoint()])
    with pytest.raises(exceptions.PortNotFound, match="Port p1 could not be found"):
        client.call(None, topic, "missing_port", {"port_id": "p1"})
    with pytest.raises(RuntimeError, match="internal detail") as info:
        client.call(None, topic, "crash")
    assert "test_rpc_behaviour.py" in info.value.remote_traceback
    with pytest.raises(AttributeError, match="No such RPC function 'nope'"):
        client.call(None, topic, "nope")
    with pytest.raises(errors.UnsupportedRpcVersion):
        client.call(None, topic, "echo", {"value": 1}, version="1.2")
    with pytest.raises(TypeError):
        client.call(None, topic, "unserialisable")
    assert client.call(None, topic, "echo", {"value": "still alive"}) == "still alive"


def test_call_without_a_server_times_out(client, topic):
    start = time.monotonic()
    with pytest.raises(errors.RpcTimeout):
        client.call(None, topic, "echo", {"value": 1}, timeout=1)
    assert time.monotonic() - start < 5


def test_cast_reaches_one_shared_server_and_fanout_reaches_all(serve, client, topic):
    a, b = Endpoint("a"), Endpoint("b")
    serve([topic], [a], fanout=True)
    serve([topic], [b], fanout=True)
    for i in range(6):
        client.cast(None, topic, "note", {"value": f"cast{i}"})
    client.fanout_cast(None, topic, "note", {"value": "fan"})
    wait_for(lambda: len(a.calls) + len(b.calls) == 8, timeout=10, what="messages")
    time.sleep(0.3)
    assert "fan" in a.calls and "fan" in b.calls
    assert sorted(c for c in a.calls + b.calls if c != "fan") == [f"cast{i}" for i in range(6)]


def test_host_queue_reaches_only_that_server(serve, client, topic):
    a, b = Endpoint("a"), Endpoint("b")
    serve([topic], [a], host="hosta")
    serve([topic], [b], host="hostb")
    assert client.call(None, f"{topic}.hostb", "whoami")["server"] == "b"
    client.cast(None, f"{topic}.hosta", "note", {"value": "for-a"})
    wait_for(lambda: a.calls, timeout=10, what="cast to host a")
    assert b.calls == []


def test_fanout_only_server_ignores_the_shared_queue(serve, client, topic):
    e = Endpoint()
    serve([topic], [e], fanout=True, shared=False)
    client.fanout_cast(None, topic, "note", {"value": "fan"})
    with pytest.raises(errors.RpcTimeout):
        client.call(None, topic, "echo", {"value": 1}, timeout=0.5)
    assert e.calls == ["fan"]


def test_malformed_and_duplicate_messages_are_dropped(serve, client, topic, transport):
    e = Endpoint()
    serve([topic], [e])
    _publish_raw(transport, topic, b"{not json", content_type="application/json",
                 content_encoding="utf-8")
    _publish_raw(transport, topic, [1, 2], serializer="json")
    _publish_raw(transport, topic, {"oslo.version": "9.0", "oslo.message": "{}"},
                 serializer="json")
    _publish_raw(transport, topic, {"args": {}}, serializer="json")
    _publish_raw(transport, topic, {"x": 1}, serializer="pickle")
    cast = wire.request("note", {"value": "once"}, context={})
    _publish_raw(transport, topic, wire.serialize(cast), serializer="json")
    _publish_raw(transport, topic, wire.serialize(cast), serializer="json")
    assert client.call(None, topic, "echo", {"value": "ok"}) == "ok"
    time.sleep(0.3)
    assert e.calls == ["once"]


def test_call_without_method_gets_a_failure_instead_of_a_timeout(serve, client, topic):
    serve([topic], [Endpoint()])
    with pytest.raises(errors.MalformedMessage, match="No method"):
        client.call(None, topic, "", timeout=5)


def test_concurrent_calls_from_many_threads(serve, client, topic):
    serve([topic], [Endpoint()])
    results = {}

    def worker(n):
        results[n] = client.call(None, topic, "echo", {"value": n})
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {n: n for n in range(20)}
