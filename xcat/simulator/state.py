"""``--state FILE``: the whole simulated host persisted across restarts.

The file is JSON (model, tables, node files).  It is written after every
request that changed something, crash-safe: a temporary file in the same
directory is written and fsynced, then renamed over the old one (and the
directory fsynced), so a crash leaves either the old or the new state.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xcat.simulator.core import Simulator

FORMAT = 1


class StateError(ValueError):
    """A state file that cannot be read back."""


class StateStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.lock = threading.Lock()
        self.saved_version: int | None = None

    def load_into(self, sim: Simulator) -> bool:
        """Load the file into ``sim``; False when there is no file yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StateError(f"{self.path}: cannot read: {exc.strerror}") from None
        try:
            data: dict[str, Any] = json.loads(text)
            if data.get("format") != FORMAT:
                raise StateError(f"{self.path}: unknown state format {data.get('format')!r}")
            sim.load_state(data["state"])
        except (ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, StateError):
                raise
            raise StateError(f"{self.path}: not a simulator state file ({exc})") from None
        self.saved_version = sim.version
        return True

    def save(self, sim: Simulator) -> None:
        with self.lock:
            version = sim.version
            payload = json.dumps({"format": FORMAT, "state": sim.state()}, sort_keys=True)
            directory = self.path.parent
            directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(payload)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
            self.saved_version = version

    def save_if_changed(self, sim: Simulator) -> None:
        if sim.version != self.saved_version:
            self.save(sim)
