"""The demo's child processes: start them with their output in a log file, stop them all.

Each long-running service gets its own session (so a Ctrl-C in the terminal
reaches only the demo, which then stops the services in order) and, unless it
is meant to outlive the demo (``--keep-running``), asks the kernel to send it
SIGTERM when the demo dies, so even a demo killed with SIGKILL leaves nothing
behind.  Services left running are recorded in the state directory;
:func:`stop_recorded` stops them later, checking each pid still runs the
recorded command line before signalling it.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

RECORD = "services.json"
STOP_TIMEOUT = 15.0
_PR_SET_PDEATHSIG = 1


class CommandError(Exception):
    """A command is missing or exited with an error; ``output`` holds what it printed."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


def command_path(name: str) -> str:
    """The console script ``name`` of this installation (next to the running Python first)."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise CommandError(f"{name} is not installed (pip install -e . in the project)")
    return found


def _load_prctl():
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl() if sys.platform == "linux" else None  # resolved before any fork


def die_with_parent() -> None:
    """``preexec_fn`` of a child process: it gets SIGTERM when its parent exits (Linux)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def run_command(argv: Sequence[str], log_path: Path, timeout: float = 120.0) -> str:
    """Run a short command to completion; its output goes to ``log_path`` and is returned.

    Raises :class:`CommandError` (with the output) when it exits non-zero.
    """
    with open(log_path, "ab") as log:
        log.write(f"$ {' '.join(argv)}\n".encode())
    completed = subprocess.run(list(argv), capture_output=True, timeout=timeout, check=False)
    out = completed.stdout.decode(errors="replace")
    err = completed.stderr.decode(errors="replace")
    with open(log_path, "ab") as log:
        log.write((out + err).encode())
    if completed.returncode != 0:
        raise CommandError(f"{Path(argv[0]).name} exited with status {completed.returncode}",
                           (err or out).strip())
    return out


@dataclass
class Service:
    """One long-running child process with its output in ``log_path``."""

    name: str
    argv: list[str]
    log_path: Path
    outlive_demo: bool = False
    proc: subprocess.Popen | None = field(default=None, init=False)

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=None if self.outlive_demo or _PRCTL is None else die_with_parent)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_status(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM to the service's process group, SIGKILL after ``timeout``; the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        return self.proc.returncode


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group has exited already
        os.killpg(pid, sig)


class Services:
    """The services of one demo run, stopped in reverse start order."""

    def __init__(self, state_dir: Path, outlive_demo: bool = False):
        self.state_dir = state_dir
        self.outlive_demo = outlive_demo
        self.started: list[Service] = []

    def start(self, name: str, argv: Sequence[str]) -> Service:
        service = Service(name, list(argv), self.state_dir / f"{name}.log", self.outlive_demo)
        service.start()
        self.started.append(service)
        return service

    def get(self, name: str) -> Service | None:
        return next((s for s in self.started if s.name == name), None)

    def stop_all(self) -> dict[str, int | None]:
        """Stop every service (the last started first); their exit statuses by name."""
        statuses = {}
        for service in reversed(self.started):
            statuses[service.name] = service.stop()
        return statuses

    def record(self) -> Path:
        """Write the running services (pid and command line) for :func:`stop_recorded`."""
        path = self.state_dir / RECORD
        path.write_text(json.dumps({"services": [
            {"name": s.name, "pid": s.pid, "argv": s.argv} for s in self.started if s.alive()],
        }, indent=1))
        return path


def _runs(pid: int, argv: list[str]) -> bool:
    """Whether ``pid`` is alive and runs ``argv`` (so a reused pid is never signalled).

    The command line may start with the script's interpreter (``#!`` line).
    """
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
    except OSError:
        return False  # gone (or no /proc: nothing can be checked, nothing is signalled)
    return len(cmdline) >= len(argv) and cmdline[-len(argv):] == [os.fsencode(a) for a in argv]


def stop_recorded(state_dir: Path, timeout: float = STOP_TIMEOUT) -> list[str]:
    """Stop the services :meth:`Services.record` wrote down; the names of those stopped.

    Raises ``FileNotFoundError`` when ``state_dir`` holds no record.
    """
    data = json.loads((state_dir / RECORD).read_text())
    running = [s for s in reversed(data["services"]) if _runs(s["pid"], s["argv"])]
    for entry in running:
        _signal_group(entry["pid"], signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _runs(entry["pid"], entry["argv"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _runs(entry["pid"], entry["argv"]):
            _signal_group(entry["pid"], signal.SIGKILL)
    return [entry["name"] for entry in running]
