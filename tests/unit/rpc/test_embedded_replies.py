"""A reply queue read by its callers (quantum_zvm.rpc.embedded_replies), in one process."""
import queue
import time

import kombu
import pytest

from quantum_zvm.rpc import consumer
from quantum_zvm.rpc.embedded_replies import EmbeddedReplies
from quantum_zvm.rpc.transport import Transport, embedded_settings


class HandedOverAfterTheLook(queue.Queue):
    """An inbox the reader fills just after its caller looked at it and found it empty
    (the reader then steps down, and the caller becomes the reader)."""

    def __init__(self):
        super().__init__()
        self.looked = False

    def get_nowait(self):
        if not self.looked:
            self.looked = True
            self.put({"handed": "over"})
            raise queue.Empty
        return super().get_nowait()


def test_a_reply_handed_over_before_the_caller_reads_is_returned_at_once(tmp_path,
                                                                          monkeypatch):
    """Its ring was taken by the reader that handed it over: the caller must not wait
    for another (the fallback is 30 s here)."""
    monkeypatch.setattr(consumer, "RING_FALLBACK", 30.0)
    replies = EmbeddedReplies(Transport(embedded_settings(".", str(tmp_path))), "reply_x",
                              lambda body: None)
    try:
        started = time.monotonic()
        assert replies.next_frame(HandedOverAfterTheLook(), started + 5) == {"handed": "over"}
        assert time.monotonic() - started < 1
    finally:
        replies.close()


@pytest.fixture
def reply_queue(tmp_path):
    """A reply queue ``reply_y`` read by :class:`EmbeddedReplies`, the bodies it hands
    on, and a producer on another connection: ``(replies, got, producer)``."""
    transport = Transport(embedded_settings(".", str(tmp_path)))
    got: list = []
    replies = EmbeddedReplies(transport, "reply_y", got.append)
    conn = transport.connection()
    conn.connect()
    try:
        yield replies, got, kombu.Producer(conn.channel())
    finally:
        conn.release()
        replies.close()


def test_every_queued_reply_is_taken_and_handed_on(reply_queue, tmp_path):
    replies, got, producer = reply_queue
    for n in range(3):
        producer.publish({"n": n}, routing_key="reply_y", serializer="json")
    with pytest.raises(queue.Empty):   # none was for this inbox
        replies.next_frame(queue.Queue(), time.monotonic() + 0.5)
    assert got == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert list((tmp_path / "queues" / "reply_y").iterdir()) == []


def test_a_reply_file_that_is_no_kombu_message_is_dropped_and_the_others_are_read(
        reply_queue, tmp_path):
    """Files any local process could leave in a reply queue: JSON that is not a
    message, a message without its properties, a body that is not base64. Each is
    dropped with a warning; the replies queued with them still reach their callers."""
    replies, got, producer = reply_queue
    queue_dir = tmp_path / "queues" / "reply_y"
    bad = ['[1, 2]', '{"body": "e30="}',
           '{"body": "not base64!", "properties": {"delivery_tag": "t", '
           '"body_encoding": "base64"}, "content-type": "application/json"}']
    for n, text in enumerate(bad):
        (queue_dir / f"{n:020d}-bad.msg").write_text(text)
    producer.publish({"n": 1}, routing_key="reply_y", serializer="json")
    with pytest.raises(queue.Empty):
        replies.next_frame(queue.Queue(), time.monotonic() + 0.5)
    assert got == [{"n": 1}]
    assert list(queue_dir.iterdir()) == []
