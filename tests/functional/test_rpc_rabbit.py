"""RabbitMQ-only behaviour: host failover, broker restarts, exchange and queue flags."""
import kombu
import pytest

from quantum_zvm.rpc import wire
from quantum_zvm.rpc.client import RpcClient
from quantum_zvm.rpc.server import RpcServer
from quantum_zvm.rpc.transport import Backoff, Transport, parse_transport_url
from tests.fixtures.procs import free_port, wait_for

pytestmark = pytest.mark.rabbitmq

FAST = Backoff(start=0.2, step=0.3, maximum=1.0)


class Endpoint:
    def __init__(self):
        self.notes = []

    def echo(self, ctx, value):
        return value

    def note(self, ctx, value):
        self.notes.append(value)


def test_failover_skips_a_dead_host(rabbitmq):
    dead = free_port()
    url = f"rabbit://guest:guest@127.0.0.1:{dead},guest:guest@127.0.0.1:{rabbitmq.port}/"
    transport = Transport(parse_transport_url(url), backoff=FAST)
    topic = f"fo-{wire.new_id()[:8]}"
    server = RpcServer(transport, [topic], [Endpoint()]).start()
    client = RpcClient(transport, timeout=10)
    try:
        assert server.wait_ready(20)
        assert client.call(None, topic, "echo", {"value": "via second host"}) == "via second host"
    finally:
        client.close()
        server.stop()


def test_server_client_and_fanout_consumer_survive_a_broker_restart(rabbitmq):
    transport = Transport(parse_transport_url(rabbitmq.url), backoff=FAST)
    topic = f"rs-{wire.new_id()[:8]}"
    endpoint, fan = Endpoint(), Endpoint()
    server = RpcServer(transport, [topic], [endpoint]).start()
    listener = RpcServer(transport, [f"{topic}-fan"], [fan], fanout=True, shared=False).start()
    client = RpcClient(transport, timeout=20)
    try:
        assert server.wait_ready(20) and listener.wait_ready(20)
        assert client.call(None, topic, "echo", {"value": 1}) == 1
        rabbitmq.restart()
        wait_for(lambda: server.connects >= 2 and listener.connects >= 2, timeout=30,
                 what="consumers to reconnect")
        # The call waits for the client's reply consumer to come back, then succeeds.
        assert client.call(None, topic, "echo", {"value": 2}) == 2
        client.fanout_cast(None, f"{topic}-fan", "note", {"value": "after restart"})
        client.cast(None, topic, "note", {"value": "cast after restart"})
        wait_for(lambda: fan.notes and endpoint.notes, timeout=10, what="casts after restart")
        assert fan.notes == ["after restart"] and endpoint.notes == ["cast after restart"]
    finally:
        client.close()
        listener.stop()
        server.stop()


def test_declarations_match_quantum_and_oslo_flags(rabbitmq):
    """Redeclaring with other flags would fail (PRECONDITION_FAILED): use the peers' flags."""
    transport = Transport(parse_transport_url(rabbitmq.url), backoff=FAST)
    topic = f"fl-{wire.new_id()[:8]}"
    server = RpcServer(transport, [topic], [Endpoint()], fanout=True).start()
    try:
        assert server.wait_ready(20)
        with transport.connection() as conn:
            channel = conn.channel()
            # The flags Grizzly's and oslo.messaging's kombu drivers declare with.
            kombu.Exchange(transport.exchange, "topic", durable=False,
                           auto_delete=False)(channel).declare()
            kombu.Exchange(f"{topic}_fanout", "fanout", durable=False,
                           auto_delete=True)(channel).declare()
            kombu.Queue(topic, kombu.Exchange(transport.exchange, "topic", durable=False),
                        routing_key=topic, durable=False, auto_delete=False)(channel).declare()
            name, messages, consumers = channel.queue_declare(topic, passive=True)
            assert consumers == 1
    finally:
        server.stop()
