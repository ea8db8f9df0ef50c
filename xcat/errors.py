"""Typed errors of the xCAT client layer.

Every error carries the facts an operator needs (which server, which request,
which node, which SMAPI function, the status or return codes and a short
excerpt of what came back) and never a password: messages are built from
fields the client controls, and anything that came from the outside is
passed through :func:`scrub` with the client's secrets before it is stored.

Hierarchy::

    XcatError
     ├─ XcatConnectionError        no HTTP answer: refused, reset, DNS, timeout
     │   ├─ XcatTimeoutError       connect or read timeout
     │   └─ XcatTLSError           handshake or certificate verification failed
     ├─ XcatAuthError              401, or 403 with "Permission denied"/"Authentication failure"
     ├─ XcatRequestError           any other HTTP failure, or xcatd errors in a 200 body
     │   └─ XcatResponseError      the body is not the JSON envelope it should be
     ├─ CommandError               a dsh command exited non-zero (or could not run)
     │   └─ NodeUnreachableError   xCAT could not reach the node (ssh exit 255)
     └─ SmapiError                 smcli reported a SMAPI return/reason code
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

EXCERPT_CHARS = 300


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove every secret (and its URL-encoded forms) from ``text``."""
    from urllib.parse import quote, quote_plus

    for secret in secrets:
        if not secret:
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, "***")
    return text


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A one-line, bounded excerpt of a body for an error message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


class XcatError(Exception):
    """Base class of every error raised by the xCAT client layer."""


class XcatConnectionError(XcatError):
    """The xCAT management node could not be reached or dropped the connection."""

    def __init__(self, server: str, method: str, path: str, reason: str,
                 request_sent: bool = True):
        self.server = server
        self.method = method
        self.path = path
        self.reason = reason
        #: False when the connection could not be opened, so nothing reached the server.
        self.request_sent = request_sent
        super().__init__(f"xCAT {server}: {method} {path} failed: {reason}")


class XcatTimeoutError(XcatConnectionError):
    """Connect or read timeout talking to the xCAT management node."""


class XcatTLSError(XcatConnectionError):
    """TLS handshake or certificate verification with the xCAT management node failed."""


class XcatAuthError(XcatError):
    """xCAT rejected the credentials (HTTP 401, or 403 saying so)."""

    def __init__(self, server: str, method: str, path: str, status: int, body_excerpt: str,
                 username: str):
        self.server = server
        self.method = method
        self.path = path
        self.status = status
        self.body_excerpt = body_excerpt
        self.username = username
        super().__init__(
            f"xCAT {server}: {method} {path}: authentication failed for user {username!r} "
            f"(HTTP {status}: {body_excerpt or 'no body'}); check the xCAT user name and password "
            f"and the xCAT policy table")


class XcatRequestError(XcatError):
    """An HTTP failure status, or xcatd error messages in an otherwise successful reply."""

    def __init__(self, server: str, method: str, path: str, status: int, body_excerpt: str,
                 errors: Sequence[str] = ()):
        self.server = server
        self.method = method
        self.path = path
        self.status = status
        self.body_excerpt = body_excerpt
        self.errors = list(errors)
        detail = "; ".join(self.errors) if self.errors else (body_excerpt or "no body")
        super().__init__(f"xCAT {server}: {method} {path} failed (HTTP {status}): {detail}")


class XcatResponseError(XcatRequestError):
    """The body is not the xCAT JSON envelope (not JSON, truncated, wrong shape)."""

    def __init__(self, server: str, method: str, path: str, status: int, body_excerpt: str,
                 problem: str):
        self.problem = problem
        super().__init__(server, method, path, status, body_excerpt, [problem])


class CommandError(XcatError):
    """A command run on a node through dsh failed."""

    def __init__(self, node: str, command: str, exit_status: int | None,
                 stdout: Sequence[str] = (), stderr: Sequence[str] = (), reason: str = ""):
        self.node = node
        self.command = command
        self.exit_status = exit_status
        self.stdout = list(stdout)
        self.stderr = list(stderr)
        self.reason = reason
        tail = excerpt(" | ".join(list(self.stderr) or list(self.stdout)[-3:]), 200)
        status = "unknown status" if exit_status is None else f"exit status {exit_status}"
        what = reason or status
        super().__init__(f"command on node {node} failed ({what}): {excerpt(command, 120)}"
                         + (f": {tail}" if tail else ""))


class NodeUnreachableError(CommandError):
    """xCAT could not run the command on the node at all (ssh failed, exit 255)."""


class SmapiError(XcatError):
    """smcli reported a SMAPI failure: return code, reason code and description."""

    def __init__(self, function: str, rc: int, rs: int | None, description: str,
                 target: str | None = None, node: str | None = None):
        self.function = function
        self.rc = rc
        self.rs = rs
        self.description = description
        self.target = target
        self.node = node
        where = f" for {target}" if target else ""
        on = f" on {node}" if node else ""
        rs_text = "-" if rs is None else str(rs)
        super().__init__(f"SMAPI {function}{where}{on} failed: rc={rc} rs={rs_text} {description}")

    @property
    def code(self) -> tuple[int, int | None]:
        return (self.rc, self.rs)
