"""eventlet's HTTP protocol, answering the requests it refuses itself with a NeutronError.

``eventlet.wsgi`` refuses some requests before the WSGI application sees
them, with a bare status line and an empty body: a request line of 8 KB or
more (414), a header line of 8 KB or more or over 64 KB of headers (400), a
``Content-Length`` that is not a non-negative integer or comes with
``Transfer-Encoding`` (400); the standard library's parser refuses a
malformed request line, an unknown HTTP version or over 100 headers with an
HTML page.  :class:`HttpProtocol` gives each the API's
``{"NeutronError": {"type", "message", "detail"}}`` body, with the same
status (but 400 for an unsupported HTTP version, not 505), and closes the
connection as eventlet does.

Importing this module imports eventlet (not monkey patching):
``quantum_zvm.server`` imports it when it starts serving.
"""
from __future__ import annotations

import http
from collections.abc import Mapping

import eventlet.wsgi

from quantum_zvm.api import faults


def raw_error(status: int, message: str) -> bytes:
    """A whole HTTP/1.1 error response with a NeutronError body, closing the connection."""
    status = int(status)
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    body = faults.error_body(status, message)
    head = (f"HTTP/1.1 {status} {reason}\r\n"
            "Content-Type: application/json; charset=UTF-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode("latin-1") + body


def framing_problem(headers: Mapping[str, str]) -> str | None:
    """Why eventlet would refuse the body framing of a request, or None (its own rules)."""
    length = headers.get("content-length")
    if length is None:
        return None
    try:
        if int(length) < 0:
            raise ValueError(length)
    except ValueError:
        return f"Content-Length {length!r} is not a non-negative integer"
    if headers.get("transfer-encoding") is not None:
        return "Content-Length and Transfer-Encoding are not allowed together"
    return None


class HttpProtocol(eventlet.wsgi.HttpProtocol):
    """See the module docstring."""

    def _read_request_line(self):  # eventlet's hook: the line is cut at url_length_limit
        line = super()._read_request_line()
        limit = self.server.url_length_limit
        if len(line) >= limit:
            self._refuse(414, f"The request line is longer than {limit - 1} bytes")
            return b""  # eventlet then closes the connection
        return line

    def parse_request(self) -> bool:
        try:
            parsed = super().parse_request()
        except eventlet.wsgi.HeaderLineTooLong:
            self._refuse(400, f"A header line is longer than "
                              f"{eventlet.wsgi.MAX_HEADER_LINE - 1} bytes")
            return False
        except eventlet.wsgi.HeadersTooLarge:
            self._refuse(400, f"The headers are larger than "
                              f"{eventlet.wsgi.MAX_TOTAL_HEADER_SIZE} bytes")
            return False
        if parsed and (problem := framing_problem(self.headers)):
            self._refuse(400, problem)
            return False
        return parsed

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """The standard library's refusals (request line, HTTP version, header count).

        Each is the client's fault, so its 505 (an HTTP version other than 1.x)
        is a 400 here: a 5xx stays the sign of a server fault.
        """
        message = message or http.HTTPStatus(code).phrase
        self._refuse(code if code < 500 else 400, message)

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True
        self.wfile.write(raw_error(status, message))
