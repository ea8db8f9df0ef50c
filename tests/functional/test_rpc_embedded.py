"""The embedded transport between real processes (no broker)."""
import os
import sys
import time
from pathlib import Path

import pytest

from quantum_zvm.rpc import errors
from quantum_zvm.rpc.client import RpcClient
from quantum_zvm.rpc.transport import Transport, embedded_settings
from tests.fixtures.procs import Process, wait_for


@pytest.fixture
def rpc_dir(tmp_path):
    return tmp_path / "rpc"


@pytest.fixture
def peers(tmp_path, rpc_dir):
    started = []

    def start(topic, *flags):
        proc = Process([sys.executable, "-m", "tests.functional.rpc_peer",
                        f"embedded://{rpc_dir}", topic, *flags],
                       tmp_path / f"peer{len(started)}.log",
                       env={"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
                       cwd=tmp_path)
        started.append(proc)
        wait_for(lambda: "ready" in proc.output() or not proc.alive(), timeout=30,
                 what="peer to consume")
        assert proc.alive(), proc.output()
        return proc
    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def client(rpc_dir):
    c = RpcClient(Transport(embedded_settings(".", str(rpc_dir))), timeout=10)
    yield c
    c.close()


def _notes(tmp_path, topic, proc):
    path = tmp_path / f"{topic}.{proc.proc.pid}.notes"
    return path.read_text().split() if path.exists() else []


def test_call_cast_and_fanout_between_processes(peers, client, tmp_path):
    first = peers("emb", "--fanout")
    second = peers("emb", "--fanout")
    pids = {client.call(None, "emb", "pid") for _ in range(12)}
    assert pids <= {first.proc.pid, second.proc.pid} and os.getpid() not in pids
    assert client.call(None, "emb", "echo", {"value": {"k": [1, 2]}}) == {"k": [1, 2]}
    client.fanout_cast(None, "emb", "note", {"value": "fan"})
    for n in range(10):
        client.cast(None, "emb", "note", {"value": f"c{n}"})
    wait_for(lambda: len(_notes(tmp_path, "emb", first) + _notes(tmp_path, "emb", second)) == 12,
             timeout=15, what="casts and fanout to arrive")
    one, two = _notes(tmp_path, "emb", first), _notes(tmp_path, "emb", second)
    assert "fan" in one and "fan" in two
    assert sorted(n for n in one + two if n != "fan") == sorted(f"c{n}" for n in range(10))


def test_a_killed_consumers_fanout_queue_is_swept(peers, client, rpc_dir, tmp_path):
    victim = peers("sweep", "--fanout", "--no-shared")
    queues = lambda: sorted(p.name for p in (rpc_dir / "queues").iterdir()  # noqa: E731
                            if p.name.startswith("sweep_fanout_"))
    assert len(queues()) == 1
    victim.kill()
    # A new connection sweeps the auto-delete queues of dead processes.
    fresh = RpcClient(Transport(embedded_settings(".", str(rpc_dir))), timeout=5)
    try:
        fresh.fanout_cast(None, "sweep", "note", {"value": "nobody"})
    finally:
        fresh.close()
    assert queues() == []
    bindings = (rpc_dir / "control" / "sweep_fanout.exchange").read_text()
    assert "sweep_fanout_" not in bindings


def test_clean_stop_removes_fanout_and_reply_queues(peers, client, rpc_dir, tmp_path):
    peer = peers("clean", "--fanout")
    assert client.call(None, "clean", "echo", {"value": 1}) == 1
    peer.stop()
    client.close()
    names = sorted(p.name for p in (rpc_dir / "queues").iterdir())
    assert names == ["clean"]  # the shared topic queue stays, like on a broker
    assert list((rpc_dir / "owners").iterdir()) == []


def test_our_call_is_answered_in_one_message_and_a_2013_call_in_two(peers, client, rpc_dir,
                                                                    monkeypatch):
    """The reply to our call is one message (result and ``ending`` together, as our
    caller asks, ``_one_reply_frame``); a request that does not ask, as a 2013 caller's,
    gets a data frame and a terminator (the peer is another process: the messages are
    counted as the caller claims them)."""
    from quantum_zvm.rpc import embedded, wire
    peers("frames")
    claimed: list[str] = []
    take_all = embedded.Channel.take_all

    def counted(self, queue):
        messages = take_all(self, queue)
        claimed.extend([queue] * len(messages))
        return messages
    monkeypatch.setattr(embedded.Channel, "take_all", counted)
    assert client.call(None, "frames", "echo", {"value": {"k": 1}}) == {"k": 1}
    assert claimed == [client.reply_q]
    request = wire.request
    monkeypatch.setattr(wire, "request", lambda *a, **kw: request(
        *a, **{**kw, "one_reply_frame": False}))
    assert client.call(None, "frames", "echo", {"value": 3}) == 3
    assert claimed == [client.reply_q] * 3
    assert list((rpc_dir / "queues" / client.reply_q).iterdir()) == []


def test_a_caller_reads_its_own_reply_with_no_listener_thread(peers, client):
    """On the embedded transport the calling thread waits on its reply queue's doorbell
    and reads the reply itself: no listener thread wakes and hands it over."""
    import threading
    peers("self-read")
    before = set(threading.enumerate())
    assert [client.call(None, "self-read", "echo", {"value": n}) for n in range(3)] == [0, 1, 2]
    assert [t.name for t in set(threading.enumerate()) - before] == []


def test_a_call_lists_its_reply_queue_once(peers, client, monkeypatch):
    """The caller waits on its reply queue's doorbell before it looks, and takes every
    reply the one listing shows: a call lists the queue once, not before the reply
    could have come and again after taking it to find the queue empty."""
    peers("listed")
    assert client.call(None, "listed", "echo", {"value": 0}) == 0
    listings: list[str] = []
    listdir = os.listdir

    def counted(path="."):
        if os.path.basename(os.fspath(path)) == client.reply_q:
            listings.append(os.fspath(path))
        return listdir(path)
    # every listing in this process (the reply's ring, in the peer's, is not one)
    monkeypatch.setattr(os, "listdir", counted)
    assert [client.call(None, "listed", "echo", {"value": n}) for n in range(5)] == \
        list(range(5))
    assert len(listings) == 5


def test_callers_of_one_client_take_turns_reading_and_each_gets_its_own_replies(peers, client):
    """Eight threads make 25 calls each through one client: one of them reads the
    reply queue at a time and hands the others their replies."""
    import threading
    peers("turns")
    peers("turns")
    got: dict[int, list] = {}

    def caller(n):
        got[n] = [client.call(None, "turns", "echo", {"value": [n, k]}) for k in range(25)]
    threads = [threading.Thread(target=caller, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert got == {n: [[n, k] for k in range(25)] for n in range(8)}


def test_call_to_a_topic_nobody_serves_times_out(client, rpc_dir):
    with pytest.raises(errors.RpcTimeout) as info:
        client.call(None, "nobody", "echo", {"value": 1}, timeout=0.5)
    # the message names what the caller used: method, topic, exchange and transport
    assert str(info.value) == (f"timed out after 0.5s waiting for a reply to echo on topic "
                               f"nobody (exchange quantum, embedded transport in {rpc_dir})")


def test_replies_are_read_only_while_a_call_waits(peers, client, rpc_dir):
    """The reply queue is a directory its callers read while they wait; with no call
    waiting it is not read, and the next call reads it (and drops the stray reply)."""
    peers("idle", "--fanout")
    assert client.call(None, "idle", "echo", {"value": 1}) == 1
    time.sleep(0.2)
    reply_dir = rpc_dir / "queues" / client.reply_q
    stray = {"_msg_id": "no-such-call", "result": 2, "failure": None, "ending": True}
    client._publisher.publish(stray, None, client.reply_q, timeout=5)
    time.sleep(0.5)  # a listener polling while idle takes it in 5 ms
    assert [p.suffix for p in reply_dir.iterdir()] == [".msg"]
    assert client.call(None, "idle", "echo", {"value": 3}) == 3
    assert list(reply_dir.iterdir()) == []  # read with the call's reply, and dropped


def test_idle_consumers_sleep_on_a_doorbell_that_each_message_rings(rpc_dir, client,
                                                                    monkeypatch):
    """A server's and an agent's consumers wait on a doorbell between looks at their
    queues (a look is a directory listing; kombu is asked only for a message that is
    there): idle, they look once a RING_FALLBACK, here 30 s, so not at all in a second;
    a port_update and a call still arrive at once, and stopping wakes them."""
    from quantum_zvm.rpc import consumer, embedded
    from quantum_zvm.rpc.agent_api import NOTIFICATION_TOPICS, start_notification_consumer
    from quantum_zvm.rpc.server import RpcServer

    monkeypatch.setattr(consumer, "RING_FALLBACK", 30.0)
    looks: dict[str, int] = {}
    polls: dict[str, int] = {}
    pending, get = embedded.Channel.pending, embedded.Channel._get

    def counted_look(self, queues):
        for queue in queues:
            looks[queue] = looks.get(queue, 0) + 1
        return pending(self, queues)

    def counted_poll(self, queue, timeout=None):
        polls[queue] = polls.get(queue, 0) + 1
        return get(self, queue, timeout)
    monkeypatch.setattr(embedded.Channel, "pending", counted_look)
    monkeypatch.setattr(embedded.Channel, "_get", counted_poll)

    class Agent:
        def __init__(self):
            self.ports = []

        def port_update(self, ctx, port=None, **_kw):
            self.ports.append(port["id"])

    class Echo:
        def echo(self, ctx, value):
            return value

    agent = Agent()
    transport = Transport(embedded_settings(".", str(rpc_dir)))
    notifications = start_notification_consumer(transport, agent)
    server = RpcServer(transport, ["rung"], [Echo()], name="rung").start()
    try:
        assert notifications.wait_ready(10) and server.wait_ready(10)
        time.sleep(0.2)   # the first look of each, right after it consumed
        looks.clear()
        time.sleep(1.0)
        assert looks == {} and polls == {}
        client.fanout_cast(None, NOTIFICATION_TOPICS[0], "port_update",
                           {"port": {"id": "p1"}, "network_type": "vlan",
                            "segmentation_id": 7, "physical_network": "VSW1"})
        wait_for(lambda: agent.ports == ["p1"], timeout=5, what="the port_update")
        assert client.call(None, "rung", "echo", {"value": 4}, timeout=5) == 4
        assert polls.get("rung", 0) >= 1
    finally:
        stopping = time.monotonic()
        notifications.stop()
        server.stop()
        assert time.monotonic() - stopping < 10   # not a RING_FALLBACK each


@pytest.mark.parametrize("queue", ["../escape", "a/b", "..", ""])
def test_a_message_for_a_queue_name_that_is_no_file_name_is_dropped(rpc_dir, queue):
    """A reply queue's name comes from the caller's message: one that is not a plain
    file name is unroutable, as on a broker: the message is dropped, nothing is
    written, and the publisher is not told to retry."""
    conn = Transport(embedded_settings(".", str(rpc_dir))).connection()
    try:
        conn.channel()._put(queue, {"body": "x"})
    finally:
        conn.release()
    assert not (rpc_dir / "escape").exists() and not (rpc_dir / "queues" / "a").exists()
    assert list((rpc_dir / "tmp").iterdir()) == []


def test_a_call_with_a_hostile_reply_queue_does_not_hold_the_server(rpc_dir, client):
    """The server's only worker answers a call whose _reply_q is ``../escape`` at once
    (the reply is dropped), so the next call is answered: a retried reply would hold
    the worker for the reply timeout (30 s)."""
    from quantum_zvm.rpc import wire
    from quantum_zvm.rpc.client import topic_exchange
    from quantum_zvm.rpc.server import RpcServer

    class Echo:
        def echo(self, ctx, value):
            return value

    transport = Transport(embedded_settings(".", str(rpc_dir)))
    server = RpcServer(transport, ["hostile"], [Echo()], workers=1, name="hostile").start()
    try:
        assert server.wait_ready(10)
        hostile = wire.request("echo", {"value": 1}, context={}, msg_id=wire.new_id(),
                               reply_q="../escape")
        client._publisher.publish(wire.serialize(hostile), topic_exchange(transport.exchange),
                                  "hostile", timeout=5)
        started = time.monotonic()
        assert client.call(None, "hostile", "echo", {"value": 2}, timeout=10) == 2
        assert time.monotonic() - started < 5
    finally:
        server.stop()
    assert not (rpc_dir / "escape").exists()


def test_a_reply_the_reader_takes_for_another_caller_reaches_it_at_once(rpc_dir, client,
                                                                          monkeypatch):
    """The caller reading the reply queue hands another caller the reply it took at
    once, not when its own reply comes: a quick call made while a slow one's caller
    reads returns while the slow call is still being answered (the doorbell's
    fallback is 30 s here, so nothing else would wake the waiting caller)."""
    import threading

    from quantum_zvm.rpc import consumer
    from quantum_zvm.rpc.server import RpcServer

    monkeypatch.setattr(consumer, "RING_FALLBACK", 30.0)
    release, slow_done = threading.Event(), threading.Event()

    class Endpoint:
        def echo(self, ctx, value):
            return value

        def slow(self, ctx):
            release.wait(10)
            slow_done.set()
            return "slow"

    server = RpcServer(Transport(embedded_settings(".", str(rpc_dir))), ["handover"],
                       [Endpoint()], name="handover").start()
    slow_result: list[str] = []
    try:
        assert server.wait_ready(10)
        assert client.call(None, "handover", "echo", {"value": 0}) == 0
        slow_caller = threading.Thread(target=lambda: slow_result.append(
            client.call(None, "handover", "slow")))
        slow_caller.start()
        wait_for(lambda: client._embedded_replies._reading, timeout=5,
                 what="the slow call's caller to read the reply queue")
        assert client.call(None, "handover", "echo", {"value": 1}, timeout=20) == 1
        assert not slow_done.is_set()
        release.set()
        slow_caller.join(10)
        assert slow_result == ["slow"]
    finally:
        release.set()
        server.stop()
