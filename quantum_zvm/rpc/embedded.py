"""The embedded (broker-less) kombu transport: processes on one host share a directory.

It is kombu's virtual transport with the storage of kombu's ``filesystem``
transport (exchange bindings in ``control/<exchange>.exchange`` JSON files,
one file per message), reworked where the stock version is unsafe between
processes:

- a message is written to ``tmp/`` and renamed into ``queues/<queue>/``, so a
  reader never sees half a message;
- a reader claims a message by renaming it into ``tmp/`` (atomic on one file
  system, so two consumers of one queue never both get it) and only then
  reads and deletes it;
- binding tables are read-modified-written under an exclusive ``flock``;
- each queue has its own directory, so a poll lists only that queue;
- publishing to a queue that does not exist, or to a name that cannot be one
  (a caller's ``_reply_q`` such as ``../x``), drops the message, as a broker
  drops an unroutable one: a server never retries such a reply;
- auto-delete queues (fanout and reply queues) are deleted when their
  channel closes, and those of processes that died are swept (queue,
  bindings and pending messages) by the next process that connects or
  fanout-publishes; the owner of such a queue is recorded in
  ``owners/<queue>`` as a process id;
- a consumer waits on a doorbell (:mod:`doorbell`, ``bells/<queue>/``) that
  every message queued for it rings, and looks at its directories (a listing,
  :meth:`Channel.pending`; kombu is asked for a message only when one is
  there) when rung, and at least every ``consumer.RING_FALLBACK``.

Limits: one host (the directory must be local; NFS locking and renames are
not relied on); a consumer without a doorbell (no abstract sockets) polls the
directory (``polling_interval``, default 5 ms), so its latency is a few
milliseconds and it costs a listing per interval; no per-message TTL; no
persistence guarantee across a crash beyond what the file system gives; pending
messages of a shared topic queue wait for the next consumer, as on a
broker.  Directory layout: ``control/``, ``queues/``, ``owners/``, ``tmp/``,
``bells/``.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, virtual
from kombu.utils.json import dumps, loads

from quantum_zvm.rpc import doorbell

LOG = logging.getLogger(__name__)

QUEUE_NAME_RE = re.compile(r"\A[A-Za-z0-9._@-]+\Z")
SWEEP_INTERVAL = 10.0
STALE_TMP_AGE = 300.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_new(path: str, data: bytes) -> None:
    """Create ``path`` with ``data`` (a message: file descriptors, not Python's
    buffered file objects, which cost more than the write)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _read_whole(path: str, lock: bool = False) -> bytes:
    """The bytes of ``path`` (``lock``: read under a shared ``flock``, as a binding table
    is, which a writer rewrites in place under an exclusive one)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if lock:
            fcntl.flock(fd, fcntl.LOCK_SH)
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _binding_rows(data: bytes, path: Path) -> list[Any]:
    """The rows of a binding table file's ``data`` (empty: none); ChannelError naming
    the file when it is not a JSON list of ``[routing key, pattern, queue]`` strings
    (a file any process with the directory could have written)."""
    if not data:
        return []
    try:
        rows = loads(data)
    except ValueError as exc:
        raise ChannelError(f"{path}: not a binding table ({exc})") from None
    if not isinstance(rows, list) or not all(
            isinstance(row, list) and len(row) == 3 and all(isinstance(v, str) for v in row)
            for row in rows):
        raise ChannelError(f"{path}: not a binding table (a list of [routing key, "
                           f"pattern, queue] strings)")
    return [filesystem.exchange_queue_t(*row) for row in rows]


def _is_message(payload: Any) -> bool:
    """Whether a message file holds what kombu's virtual ``Message`` is built from
    (a file any local process could have written: anything else is dropped)."""
    return (isinstance(payload, dict) and isinstance(payload.get("properties"), dict)
            and "delivery_tag" in payload["properties"])


class Channel(filesystem.Channel):
    """Filesystem channel with atomic claims, per-queue directories and auto-delete."""

    def __init__(self, connection: Any, **kwargs: Any):
        super().__init__(connection, **kwargs)
        self.root = Path(self.transport_options["directory"])
        for sub in ("control", "queues", "owners", "tmp", "bells"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._auto_delete: set[str] = set()
        self._queues = str(self.root / "queues")
        self._tmp = str(self.root / "tmp")
        self._bells = str(self.root / "bells")
        self._held_bells: list[doorbell.Bell] = []
        self._exchange_files: dict[str, Path] = {}
        # each exchange's binding table as last read: its file's bytes and their rows
        self._tables: dict[str, tuple[bytes, tuple[Any, ...]]] = {}
        self._ringer: socket.socket | None = None
        self._last_sweep = 0.0
        self.sweep()

    # -- layout ---------------------------------------------------------------

    @property
    def control_folder(self) -> Path:
        return self.root / "control"

    def _queue_path(self, queue: str) -> str:
        """The directory of ``queue``, as text (every poll and publish asks for it: no
        pathlib); ChannelError for a name that is not a plain file name."""
        if not isinstance(queue, str) or not QUEUE_NAME_RE.match(queue) or not queue.strip("."):
            raise ChannelError(f"Invalid queue name: {queue!r}")
        return os.path.join(self._queues, queue)

    def _queue_dir(self, queue: str) -> Path:
        return Path(self._queue_path(queue))

    def _exchange_file(self, exchange: str) -> Path:
        """kombu's checked path of ``exchange``'s binding table, kept per name (each
        publish to an exchange asks for it, and pathlib takes longer than the read)."""
        path = self._exchange_files.get(exchange)
        if path is None:
            path = self._exchange_files[exchange] = super()._exchange_file(exchange)
        return path

    # -- binding tables ------------------------------------------------------

    def get_table(self, exchange: str) -> list:
        """The bindings of ``exchange``, read from its file on every call (another
        process may have changed them); parsed only when its bytes differ from the last
        read's. A new list each time: kombu's ``queue_unbind`` changes the one it gets."""
        path = self._exchange_file(exchange)
        try:
            data = _read_whole(str(path), lock=True)
        except FileNotFoundError:
            return []
        last = self._tables.get(exchange)
        if last is None or last[0] != data:
            last = self._tables[exchange] = (data, tuple(_binding_rows(data, path)))
        return list(last[1])

    def _update_table(self, path: Path, change: Callable[[list], list]) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "rb+", buffering=0) as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            rows = _binding_rows(fh.read(), path)
            new_rows = change(rows)
            if new_rows != rows:
                fh.seek(0)
                fh.write(dumps(new_rows).encode())
                fh.truncate()

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        row = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        self._update_table(self._exchange_file(exchange),
                           lambda rows: rows if row in rows else [row, *rows])

    def queue_bind(self, queue: str, exchange: str | None = None, routing_key: str = "",
                   arguments: Any = None, **kwargs: Any) -> None:
        # The per-process binding cache may be stale (another process swept the
        # binding, or another directory was used): always write the shared table.
        super().queue_bind(queue, exchange, routing_key, arguments, **kwargs)
        exchange = exchange or "amq.direct"
        self._queue_bind(exchange, *self.typeof(exchange).prepare_bind(
            queue, exchange, routing_key, arguments))

    def _unbind_everywhere(self, queue: str) -> None:
        for path in self.control_folder.glob("*.exchange"):
            self._update_table(path, lambda rows: [r for r in rows if r.queue != queue])

    # -- queues --------------------------------------------------------------

    def _new_queue(self, queue: str, **kwargs: Any) -> None:
        self._queue_dir(queue).mkdir(exist_ok=True)
        if kwargs.get("auto_delete") or kwargs.get("exclusive"):
            (self.root / "owners" / queue).write_text(str(os.getpid()))
            self._auto_delete.add(queue)

    def _has_queue(self, queue: str, **kwargs: Any) -> bool:
        return self._queue_dir(queue).is_dir()

    # kombu names the message ``payload`` in filesystem.Channel, our base, and ``message``
    # in AbstractChannel, and passes it by position: no name satisfies both.
    def _put(  # type: ignore[override]  # kombu's two names for the message, see above
            self, queue: str, payload: Any, **kwargs: Any) -> None:
        # text paths, not pathlib, and one name for the written and the queued file:
        # a call publishes one message and reads two, each a few file operations
        try:
            qdir = self._queue_path(queue)
        except ChannelError:  # a caller's _reply_q: unroutable, as on a broker
            LOG.warning("dropping a message for %r: not a queue name", queue)
            return
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex}"
        tmp = os.path.join(self._tmp, f"{name}.put")
        _write_new(tmp, dumps(payload).encode())
        try:
            os.rename(tmp, os.path.join(qdir, f"{name}.msg"))
        except FileNotFoundError:  # no such queue (any more)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            LOG.debug("dropping a message for missing queue %s", queue)
            return
        if self._ringer is None:
            self._ringer = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._ringer.setblocking(False)
        doorbell.ring(self._bells, queue, self._ringer)

    def _put_fanout(self, exchange: str, payload: Any, routing_key: str, **kwargs: Any) -> None:
        if time.monotonic() - self._last_sweep > SWEEP_INTERVAL:
            self.sweep()
        for row in self.get_table(exchange):
            self._put(row.queue, payload, **kwargs)

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        """The oldest message of ``queue`` (kombu's signature; a directory read never waits)."""
        for payload in self._claimed(queue, first_only=True):
            return payload
        raise Empty()

    def take_all(self, queue: str) -> list[Any]:
        """Every message ``queue`` holds, oldest first, claimed after one listing (a
        caller reading its reply queue: see :mod:`embedded_replies`)."""
        return list(self._claimed(queue, first_only=False))

    def _claimed(self, queue: str, first_only: bool) -> Iterator[Any]:
        """The messages of one listing of ``queue``, oldest first, each claimed (renamed
        away: another consumer never gets it) and read; unreadable ones, and those that
        are no kombu message, are dropped."""
        qdir = self._queue_path(queue)
        try:
            names = os.listdir(qdir)
        except FileNotFoundError:
            return
        for name in sorted(names):
            if not name.endswith(".msg"):
                continue
            claimed = os.path.join(self._tmp, f"{name}.claimed")  # the name is unique
            try:
                os.rename(os.path.join(qdir, name), claimed)
            except FileNotFoundError:
                continue  # another consumer claimed it first
            try:
                data = _read_whole(claimed)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(claimed)
            try:
                payload = loads(data)
            except ValueError:
                payload = None
            if not _is_message(payload):
                LOG.warning("dropping an unreadable message file in queue %s", queue)
                continue
            yield payload
            if first_only:
                return

    def _purge(self, queue: str) -> int:
        count = 0
        try:
            names = os.listdir(self._queue_dir(queue))
        except FileNotFoundError:
            return 0
        for name in names:
            try:
                os.unlink(self._queue_dir(queue) / name)
                count += 1
            except FileNotFoundError:
                pass
        return count

    def bell(self, queues: Sequence[str]) -> doorbell.Bell | None:
        """A doorbell rung by every message queued in ``queues`` (:mod:`doorbell`),
        closed with this channel; None where the system has none."""
        for queue in queues:
            self._queue_path(queue)  # ChannelError for a name that is no file name
        try:
            bell = doorbell.Bell(self._bells, queues)
        except OSError as exc:
            LOG.info("no doorbell for %s (%s): the queues are looked at every polling "
                     "interval", ", ".join(queues), exc)
            return None
        self._held_bells.append(bell)
        return bell

    def pending(self, queues: Iterable[str]) -> bool:
        """Whether one of ``queues`` holds a message: a listing of each directory,
        which a consumer makes before it asks kombu for a message (see
        ``ConsumerLoop``)."""
        return any(self._size(queue) for queue in queues)

    def _size(self, queue: str) -> int:
        try:
            return sum(1 for n in os.listdir(self._queue_path(queue)) if n.endswith(".msg"))
        except FileNotFoundError:
            return 0

    def queue_delete(self, queue: str, if_unused: bool = False, if_empty: bool = False,
                     **kwargs: Any) -> None:
        if if_empty and self._size(queue):
            return
        super().queue_delete(queue, if_unused=if_unused, if_empty=if_empty, **kwargs)
        self._remove_queue(queue)
        self._auto_delete.discard(queue)

    def _remove_queue(self, queue: str) -> None:
        self._unbind_everywhere(queue)
        shutil.rmtree(self._queue_dir(queue), ignore_errors=True)   # checks the name
        shutil.rmtree(os.path.join(self._bells, queue), ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.root / "owners" / queue)

    def close(self) -> None:
        if not self.closed:
            for bell in self._held_bells:
                bell.close()
            self._held_bells = []
            if self._ringer is not None:
                self._ringer.close()
                self._ringer = None
            for queue in list(self._auto_delete):
                try:
                    self.queue_delete(queue)
                except (OSError, ChannelError) as exc:
                    LOG.warning("could not delete queue %s: %s", queue, exc)
        super().close()

    # -- housekeeping --------------------------------------------------------

    def sweep(self) -> None:
        """Delete auto-delete queues and doorbells of dead processes, and stale
        temporary files."""
        self._last_sweep = time.monotonic()
        doorbell.sweep(self._bells, _pid_alive)
        for owner in (self.root / "owners").iterdir():
            try:
                pid = int(owner.read_text().strip() or 0)
            except (OSError, ValueError):
                continue
            if pid and not _pid_alive(pid):
                LOG.info("removing queue %s of exited process %d", owner.name, pid)
                try:
                    self._remove_queue(owner.name)
                except (OSError, ChannelError) as exc:
                    if getattr(exc, "errno", None) != errno.ENOENT:
                        LOG.warning("could not remove queue %s: %s", owner.name, exc)
        cutoff = time.time() - STALE_TMP_AGE
        for path in (self.root / "tmp").iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except FileNotFoundError:
                pass


class Transport(virtual.Transport):
    """kombu transport class for :class:`Channel` (``transport_options['directory']``)."""

    Channel = Channel
    implements = virtual.Transport.implements.extend(
        asynchronous=False, exchange_type=frozenset(["direct", "topic", "fanout"]))
    # No port, 0 as in kombu's own filesystem transport; kombu's base class leaves
    # default_port unannotated, so a type checker takes it for always None.
    default_port = 0  # type: ignore[assignment]  # kombu's base infers None, see above
    driver_type = "embedded"
    driver_name = "embedded"
    # Exchange declarations are kept per process and directory; bindings live
    # in the directory.
    _states: dict[str, virtual.BrokerState] = {}

    def __init__(self, client: Any, **kwargs: Any):
        super().__init__(client, **kwargs)
        directory = os.path.abspath(client.transport_options["directory"])
        self.state = self._states.setdefault(directory, virtual.BrokerState())

    def driver_version(self) -> str:
        return "1"
