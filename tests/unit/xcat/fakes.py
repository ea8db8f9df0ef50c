"""A recording stand-in for XcatClient in pure unit tests of request building.

Functional tests use the real client against a real server; these fakes only
check what the layer above the client would send, and that invalid input
sends nothing.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field

from xcat.envelope import CommandResult, Envelope, command_result, parse_envelope


@dataclass
class RecordingClient:
    server: str = "xcat.test"
    replies: list[Envelope] = field(default_factory=list)
    sent: list[tuple] = field(default_factory=list)

    def request(self, method, path, params=None, body=None, *, idempotent=None, kind=None):
        self.sent.append((method, tuple(path) if not isinstance(path, str) else path,
                          list(params or []), body))
        if self.replies:
            return self.replies.pop(0)
        return parse_envelope(200, '{"data": []}')

    def dsh(self, node, command, *, idempotent=False, check=False):
        self.sent.append(("dsh", node, command))
        raise AssertionError("dsh not expected")


class LocalShellClient:
    """Runs dsh scripts in a local /bin/sh (or, with ``simulated``, in the
    simulator's shell) and answers like xCAT (prefixed lines).

    Used to check the batch marker protocol against a real shell, and that
    the simulator's shell runs the same scripts the same way.
    """

    def __init__(self, simulated: bool = False):
        self.scripts: list[str] = []
        self.simulated = simulated

    def _run(self, command: str) -> tuple[str, str, int]:
        if self.simulated:
            from xcat.simulator.shell import Host, Shell
            out = Shell(Host(node="zhcp1")).run(command)
            return out.stdout, out.stderr, out.status
        proc = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True,
                              timeout=30)
        return proc.stdout, proc.stderr, proc.returncode

    def dsh(self, node, command, *, idempotent=False, check=False) -> CommandResult:
        self.scripts.append(command)
        stdout, stderr, returncode = self._run(command)

        def chunk(text):
            if not text:
                return None
            return "\n".join(f"{node}: {line}" for line in text.rstrip("\n").split("\n"))
        messages = []
        out, err = chunk(stdout), chunk(stderr)
        if out is not None:
            messages.append({"data": [out]})
        if err is not None:
            messages.append({"error": [err], "NoErrorPrefix": ["1"], "errorcode": ["0"]})
        messages.append({"errorcode": ["0" if returncode == 0 else "1"]})
        return command_result(node, command, Envelope(200, tuple(messages)))
