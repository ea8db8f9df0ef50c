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
    """Runs dsh scripts in a local /bin/sh and answers like xCAT (prefixed lines).

    Used to check the batch marker protocol against a real shell.
    """

    def __init__(self):
        self.scripts: list[str] = []

    def dsh(self, node, command, *, idempotent=False, check=False) -> CommandResult:
        self.scripts.append(command)
        proc = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True,
                              timeout=30)
        def chunk(text):
            if not text:
                return None
            return "\n".join(f"{node}: {line}" for line in text.rstrip("\n").split("\n"))
        messages = []
        out, err = chunk(proc.stdout), chunk(proc.stderr)
        if out is not None:
            messages.append({"data": [out]})
        if err is not None:
            messages.append({"error": [err], "NoErrorPrefix": ["1"], "errorcode": ["0"]})
        messages.append({"errorcode": ["0" if proc.returncode == 0 else "1"]})
        return command_result(node, command, Envelope(200, tuple(messages)))
