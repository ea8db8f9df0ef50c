"""The embedded transport's doorbells (quantum_zvm.rpc.doorbell): a ring wakes the bell
of each consumer of the queue, bells of processes that are gone are passed over and
swept, and a closed bell leaves nothing behind."""
from __future__ import annotations

import os
import socket
import threading

from quantum_zvm.rpc import doorbell


def _sender() -> socket.socket:
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sender.setblocking(False)
    return sender


def test_a_ring_wakes_every_bell_of_the_queue_and_no_other(tmp_path):
    first, second = doorbell.Bell(str(tmp_path), ["q"]), doorbell.Bell(str(tmp_path), ["q"])
    other = doorbell.Bell(str(tmp_path), ["other"])
    try:
        assert not first.wait(0)
        with _sender() as sender:
            for _ in range(3):
                doorbell.ring(str(tmp_path), "q", sender)
        assert first.wait(5) and second.wait(5)
        assert not first.wait(0)           # the three rings were taken by one wait
        assert not other.wait(0)
    finally:
        for bell in (first, second, other):
            bell.close()
    assert sorted(os.listdir(tmp_path / "q")) == [] and os.listdir(tmp_path / "other") == []


def test_a_bell_rung_from_another_thread_ends_a_long_wait(tmp_path):
    bell = doorbell.Bell(str(tmp_path), ["q"])
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(bell.wait(60)))
    waiter.start()
    bell.ring()
    waiter.join(10)
    bell.close()
    assert woke == [True]


def test_bells_of_gone_processes_are_passed_over_and_swept(tmp_path):
    (tmp_path / "q").mkdir()
    gone = tmp_path / "q" / "999999999-0123456789abcdef"    # no process has this pid
    gone.touch()
    live = doorbell.Bell(str(tmp_path), ["q"])
    try:
        with _sender() as sender:
            doorbell.ring(str(tmp_path), "q", sender)          # nobody holds "gone"
        assert live.wait(5)
        doorbell.sweep(str(tmp_path), lambda pid: pid == os.getpid())
        assert os.listdir(tmp_path / "q") == [live.name]
    finally:
        live.close()


def test_a_queue_without_bells_is_not_rung(tmp_path):
    """A queue nobody waits on has no bells directory: a ring and a sweep find
    nothing, raise nothing and create nothing."""
    with _sender() as sender:
        doorbell.ring(str(tmp_path), "nobody", sender)
    doorbell.sweep(str(tmp_path / "missing"), lambda pid: True)
    assert list(tmp_path.iterdir()) == []
