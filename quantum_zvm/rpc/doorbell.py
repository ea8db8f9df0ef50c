"""Doorbells of the embedded transport: a consumer sleeps until a message is queued.

A consumer of the embedded transport looked at its queues' directories every
polling interval (5 ms for a server): each look woke its thread, so an idle
server's consumer spent 12.7–17.4 ms of CPU a second, and a call waited for the
server's next look and then for its own listener's (5.5 ms at the median;
``bench_rpc.py``'s ``idle`` and ``call`` figures, three runs on 2026-12-05 at
``8a28a46``, the commit before the doorbell).

Each consumer now binds a datagram socket in Linux's abstract socket namespace
(no file to leave behind; it goes with its process) and leaves the socket's name
as an empty file in ``bells/<queue>/`` for every queue it reads. A publisher that
has queued a message sends one byte to each name there, and the consumer, waiting
in ``select`` for a ring, looks at once. A ring is a hint, never the message: one
that is lost (a full socket buffer, a consumer in another network namespace, a
system without abstract sockets, a publisher of an earlier version) costs that
consumer at most its fallback wait (``consumer.RING_FALLBACK``) before its next
look. Any local process can ring a bell; a ring only makes the consumer look.
"""
from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import uuid
from collections.abc import Callable, Sequence

LOG = logging.getLogger(__name__)

ADDRESS_PREFIX = b"\0quantum-zvm-bell-"


def _address(name: str) -> bytes:
    return ADDRESS_PREFIX + name.encode()


class Bell:
    """One consumer's doorbell for ``queues`` (names already checked to be plain file
    names), registered in ``directory`` (``bells/``); OSError when the system has no
    abstract sockets."""

    def __init__(self, directory: str, queues: Sequence[str]):
        self.name = f"{os.getpid()}-{uuid.uuid4().hex[:16]}"
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._sock.bind(_address(self.name))
            self._sock.setblocking(False)
        except OSError:
            self._sock.close()
            raise
        self._entries: list[str] = []
        for queue in queues:
            folder = os.path.join(directory, queue)
            os.makedirs(folder, exist_ok=True)
            entry = os.path.join(folder, self.name)
            with open(entry, "wb"):
                pass
            self._entries.append(entry)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a ring; True when there was one (every ring
        waiting is taken, so one look answers them all)."""
        if self._sock.fileno() < 0:
            return False
        ready, _, _ = select.select([self._sock], [], [], timeout)
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError, OSError):
            while self._sock.recv(64):
                pass
        return True

    def ring(self) -> None:
        """Wake the consumer waiting on this bell (from another thread: it is stopping)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            with contextlib.suppress(OSError):
                sender.sendto(b"!", _address(self.name))

    def close(self) -> None:
        for entry in self._entries:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry)
        self._entries = []
        self._sock.close()


def ring(directory: str, queue: str, sender: socket.socket) -> None:
    """Ring every bell registered for ``queue`` in ``directory`` (``sender``: a
    non-blocking datagram socket): a bell nobody holds any more, or whose socket is
    full, is passed over."""
    try:
        names = os.listdir(os.path.join(directory, queue))
    except FileNotFoundError:
        return
    for name in names:
        try:
            sender.sendto(b"!", _address(name))
        except OSError:  # gone (its process died: swept later), or full: it will look
            continue


def sweep(directory: str, alive: Callable[[int], bool]) -> None:
    """Remove the bells of processes that are gone (a bell's name starts with its pid)."""
    try:
        queues = os.listdir(directory)
    except FileNotFoundError:
        return
    for queue in queues:
        folder = os.path.join(directory, queue)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            for name in os.listdir(folder):
                pid = name.split("-", 1)[0]
                if pid.isdigit() and not alive(int(pid)):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(os.path.join(folder, name))
