"""The embedded transport's storage rules (one process, several connections)."""
import threading

import kombu
import pytest

from quantum_zvm.rpc.transport import Transport, embedded_settings


def _conn(directory):
    conn = Transport(embedded_settings(".", str(directory))).connection()
    conn.connect()
    return conn


EXCHANGE = kombu.Exchange("ex", "topic", durable=False)


def _queue(name="q", **kwargs):
    return kombu.Queue(name, EXCHANGE, routing_key=name, durable=False, **kwargs)


def test_each_message_goes_to_exactly_one_of_two_competing_consumers(tmp_path):
    producer_conn = _conn(tmp_path)
    _queue()(producer_conn.channel()).declare()
    producer = kombu.Producer(producer_conn.channel(), exchange=EXCHANGE)
    for n in range(200):
        producer.publish({"n": n}, routing_key="q", serializer="json")
    got: list[int] = []
    lock = threading.Lock()

    def consume():
        conn = _conn(tmp_path)
        with kombu.Consumer(conn.channel(), [_queue()],
                            callbacks=[lambda body, m: (m.ack(), lock.acquire(),
                                                        got.append(body["n"]), lock.release())]):
            while True:
                try:
                    conn.drain_events(timeout=0.3)
                except TimeoutError:
                    return
    threads = [threading.Thread(target=consume) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(got) == list(range(200))


def test_unroutable_messages_and_unreadable_files_are_dropped(tmp_path):
    conn = _conn(tmp_path)
    channel = conn.channel()
    kombu.Producer(channel).publish({"x": 1}, exchange="", routing_key="nobody",
                                    serializer="json")
    assert not (tmp_path / "queues" / "nobody").exists()
    _queue()(channel).declare()
    (tmp_path / "queues" / "q" / "00000000000000000000-bad.msg").write_bytes(b"{broken")
    kombu.Producer(channel).publish({"ok": True}, exchange="", routing_key="q", serializer="json")
    message = _queue()(channel).get(no_ack=True)
    assert message.payload == {"ok": True}
    assert list((tmp_path / "queues" / "q").iterdir()) == []


def test_auto_delete_queues_go_with_their_channel_and_shared_ones_stay(tmp_path):
    conn = _conn(tmp_path)
    channel = conn.channel()
    fanout = kombu.Queue("f_fanout_1", kombu.Exchange("f_fanout", "fanout", durable=False,
                                                       auto_delete=True),
                         durable=False, auto_delete=True)(channel)
    fanout.declare()
    _queue()(channel).declare()
    assert (tmp_path / "owners" / "f_fanout_1").read_text().isdigit()
    assert "f_fanout_1" in (tmp_path / "control" / "f_fanout.exchange").read_text()
    channel.close()
    assert sorted(p.name for p in (tmp_path / "queues").iterdir()) == ["q"]
    assert "f_fanout_1" not in (tmp_path / "control" / "f_fanout.exchange").read_text()
    assert list((tmp_path / "owners").iterdir()) == []


def test_a_binding_table_is_parsed_again_only_when_another_process_changed_it(tmp_path,
                                                                             monkeypatch):
    """Every publish reads the exchange's bindings from its file (another process may
    have bound a queue since), and parses them only when the file's bytes changed."""
    from quantum_zvm.rpc import embedded
    publisher, other = _conn(tmp_path), _conn(tmp_path)
    _queue("a")(other.channel()).declare()
    parsed = []
    real_loads = embedded.loads
    monkeypatch.setattr(embedded, "loads", lambda data: parsed.append(data) or real_loads(data))
    producer = kombu.Producer(publisher.channel(), exchange=EXCHANGE)
    for n in range(5):
        producer.publish({"n": n}, routing_key="a", serializer="json")
    tables = [data for data in parsed if b'"a"' in data and b"{" not in data]
    assert len(tables) == 1
    _queue("b")(other.channel()).declare()   # bound by another connection
    producer.publish({"n": 5}, routing_key="b", serializer="json")
    message = _queue("b")(other.channel()).get(no_ack=True)
    assert message is not None and message.payload == {"n": 5}
    table = producer.channel.get_table("ex")
    table.clear()                             # kombu's queue_unbind changes what it gets
    assert {row.queue for row in producer.channel.get_table("ex")} == {"a", "b"}


def test_a_binding_table_that_is_not_one_is_a_channel_error_naming_its_file(tmp_path):
    """A binding table any process with the directory could have written: JSON that is
    not a list of [routing key, pattern, queue] is refused with the file's name, for a
    publish and for a binding alike, not a bare ValueError or TypeError."""
    from kombu.exceptions import ChannelError

    from quantum_zvm.rpc import embedded
    conn = _conn(tmp_path)
    channel = conn.channel()
    _queue("a")(channel).declare()
    table = tmp_path / "control" / "ex.exchange"
    for text in ('{"not": "a table"}', '[["a", "a"]]', '[["a", "a", 7]]', "[[", "3"):
        table.write_text(text)
        with pytest.raises(ChannelError, match=r"ex\.exchange.*not a binding table"):
            channel.get_table("ex")
        with pytest.raises(ChannelError, match=r"ex\.exchange.*not a binding table"):
            channel._queue_bind("ex", "b", "b", "b")
    table.write_text('[["a", "a", "a"]]')
    assert [tuple(row) for row in channel.get_table("ex")] == [("a", "a", "a")]
    assert isinstance(channel, embedded.Channel)
