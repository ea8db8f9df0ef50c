"""HTTP/1.1 messages as bytes (RFC 9112): a request rendered, and a response's head
parsed and its body's framing decided.  Pure functions; the socket work is
:mod:`xcat.http_pool`'s.

The rules are RFC 9112's for a client, strict where leniency could mislead it
about where one answer ends and the next begins on a kept-alive connection:

- a body is delimited (§6.3) by nothing for an answer to HEAD and for 1xx,
  204 and 304; by chunks when ``chunked`` is the last transfer coding; by
  ``Content-Length`` when there is no ``Transfer-Encoding`` (several values
  must agree, or the answer is refused); otherwise by the connection's close;
- a header line must be ``name: value`` with a token for a name; a folded
  line (obs-fold) or a malformed one is refused (§5.2 allows either);
- the connection is kept after the answer (§9.3) unless it says ``close``, is
  HTTP/1.0 without ``keep-alive``, or its body ends with the connection.

A refused answer is a :class:`ProtocolError`; the pool closes that connection.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

MAX_HEAD_BYTES: Final = 65536      # status line and headers of one answer
MAX_HEADERS: Final = 100           # http.client's limit too
MAX_CHUNK_LINE: Final = 4096       # a chunk's size line, extensions included
# The largest body read: a switch table of 10,000 rows is about 1 MB, and a
# promised length or a stream beyond this is refused before it is allocated.
MAX_BODY_BYTES: Final = 256 << 20
MAX_INTERIM: Final = 10            # 1xx answers passed over before the final one

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"     # a field name (RFC 9110 §5.1)
_FIELD_NAME = re.compile(rf"\A{_TOKEN}\Z")
_STATUS_LINE = re.compile(rb"\AHTTP/1\.([01]) ([1-9][0-9]{2})(?: [^\r\n]*)?\Z")
_HEADER_LINE = re.compile(rf"\A({_TOKEN}):[ \t]*(.*?)[ \t]*\Z".encode(), re.S)
_CHUNK_SIZE = re.compile(rb"\A([0-9A-Fa-f]{1,15})[ \t]*(?:;[^\r\n]*)?\Z")
_DIGITS = re.compile(r"\A[0-9]{1,18}\Z")
_NOT_IN_TARGET = re.compile(r"[\x00-\x20\x7f]")
_NOT_IN_FIELD = re.compile(r"[\x00-\x1f\x7f]")

NO_BODY: Final = "none"
BY_LENGTH: Final = "length"
CHUNKED: Final = "chunked"
TO_CLOSE: Final = "close"


class ProtocolError(Exception):
    """An answer a client must not trust: it is not HTTP/1.x, or its framing is
    ambiguous."""


@dataclass(frozen=True)
class ResponseHead:
    """A response's status line and headers (names in lower case; a repeated
    header's values joined with ``", "``, as RFC 9110 §5.3 combines them)."""

    minor_version: int
    status: int
    headers: dict[str, str]

    def tokens(self, name: str) -> list[str]:
        """The comma-separated values of a header, in lower case."""
        return [token.strip().lower() for token in self.headers.get(name, "").split(",")
                if token.strip()]


@dataclass(frozen=True)
class Framing:
    """How the body of an answer ends: ``kind`` is one of NO_BODY, BY_LENGTH
    (``length`` bytes), CHUNKED or TO_CLOSE."""

    kind: str
    length: int = 0


def check_body_size(size: int, what: str) -> None:
    """ProtocolError when a body of ``size`` bytes (promised, or read so far) is more
    than :data:`MAX_BODY_BYTES`: refused before it is allocated or read further."""
    if size > MAX_BODY_BYTES:
        raise ProtocolError(f"{what}: more than {MAX_BODY_BYTES} bytes")


def valid_field_value(value: str) -> bool:
    """Whether a header may carry ``value`` as it is: no control character (CR or LF
    would end its line, and a server trims tabs at its ends)."""
    return _NOT_IN_FIELD.search(value) is None


def render_request(method: str, target: str, host: str, headers: dict[str, str],
                   body: bytes | None) -> bytes:
    """The bytes of a request: its line, ``Host``, ``Accept-Encoding: identity``, the
    given headers, ``Content-Length`` when there is a body, then the body.  Header
    values are Latin-1 (as ``http.client`` sends them); ValueError for a target or a
    header that would break the message's lines."""
    if _NOT_IN_TARGET.search(target) or _NOT_IN_TARGET.search(method):
        raise ValueError(f"request line: control character or space in {method!r} {target!r}")
    fields = {"Host": host, "Accept-Encoding": "identity", **headers}
    if body is not None:
        fields["Content-Length"] = str(len(body))
    lines = [f"{method} {target} HTTP/1.1"]
    for name, value in fields.items():
        if not _FIELD_NAME.match(name) or not valid_field_value(value):
            raise ValueError(f"header {name!r}: not a valid field")
        lines.append(f"{name}: {value}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if body is None else head + body


def parse_head(head: bytes) -> ResponseHead:
    """The status and headers of one answer's head (its bytes before the empty
    line; lines end with CRLF, or LF alone as RFC 9112 §2.2 lets a client accept)."""
    lines = head.split(b"\n")
    status = _STATUS_LINE.match(lines[0].rstrip(b"\r"))
    if status is None:
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    if len(lines) - 1 > MAX_HEADERS:
        raise ProtocolError(f"more than {MAX_HEADERS} header lines")
    headers: dict[str, str] = {}
    for raw in lines[1:]:
        line = raw.rstrip(b"\r")
        field = _HEADER_LINE.match(line)
        if field is None:
            raise ProtocolError(f"malformed or folded header line: {line[:80]!r}")
        name = field.group(1).decode("ascii").lower()
        value = field.group(2).decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return ResponseHead(int(status.group(1)), int(status.group(2)), headers)


def framing(head: ResponseHead, method: str) -> Framing:
    """How the body of ``head``, an answer to ``method``, is delimited (RFC 9112 §6.3)."""
    if method == "HEAD" or head.status < 200 or head.status in (204, 304):
        return Framing(NO_BODY)
    if "transfer-encoding" in head.headers:
        codings = head.tokens("transfer-encoding")
        return Framing(CHUNKED if codings and codings[-1] == "chunked" else TO_CLOSE)
    if "content-length" in head.headers:
        values = {value.strip() for value in head.headers["content-length"].split(",")}
        if len(values) != 1 or not _DIGITS.match(next(iter(values))):
            raise ProtocolError(f"Content-Length: {head.headers['content-length'][:80]!r}")
        length = int(values.pop())
        check_body_size(length, f"Content-Length {length}")
        return Framing(BY_LENGTH, length)
    return Framing(TO_CLOSE)


def keeps_alive(head: ResponseHead, body: Framing) -> bool:
    """Whether the connection may carry another request after this answer."""
    connection = head.tokens("connection")
    if "close" in connection or body.kind == TO_CLOSE:
        return False
    return head.minor_version == 1 or "keep-alive" in connection


def chunk_size(line: bytes) -> int:
    """The size of the chunk a chunk-size line (without its CRLF) announces."""
    match = _CHUNK_SIZE.match(line.rstrip(b"\r"))
    if match is None:
        raise ProtocolError(f"malformed chunk size line: {line[:80]!r}")
    return int(match.group(1), 16)
