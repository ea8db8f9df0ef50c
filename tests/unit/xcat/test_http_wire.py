"""HTTP/1.1 framing (xcat.http_wire) and one connection's exchanges
(xcat.http_pool.Connection) over a real socket pair: whatever the framing and
however the bytes arrive, the body read is the body sent, the next answer on
the connection is read whole, and an ambiguous answer is refused."""
from __future__ import annotations

import socket
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xcat import http_wire
from xcat.http_pool import Connection
from xcat.http_wire import ProtocolError


def framed(body: bytes, style: str, chunk_sizes: list[int]) -> bytes:
    """An answer carrying ``body``: by Content-Length, chunked (in pieces of the
    given sizes, an extension and a trailer added) or ended by the close."""
    if style == "length":
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    if style == "close":
        return b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body
    pieces, rest = [], body
    for size in chunk_sizes:
        if not rest:
            break
        pieces.append(b"%x;ext=1\r\n" % len(rest[:size]) + rest[:size] + b"\r\n")
        rest = rest[size:]
    if rest:
        pieces.append(b"%X\r\n" % len(rest) + rest + b"\r\n")
    return (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(pieces)
            + b"0\r\nX-Trailer: t\r\n\r\n")


def exchange(replies: list[bytes], cuts: list[int], method: str = "GET"):
    """Each reply in turn, sent over a socket pair in pieces cut at ``cuts`` (and
    the pair closed after the last); the client's (status, body, keep) of each."""
    client_end, server_end = socket.socketpair()
    stream = b"".join(replies)
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})

    def send() -> None:
        for start, end in zip(points, points[1:], strict=False):
            server_end.sendall(stream[start:end])
        server_end.shutdown(socket.SHUT_WR)
        # drain the requests
        while server_end.recv(65536):
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    conn = Connection(client_end)
    client_end.settimeout(5)
    try:
        return [conn.exchange(b"GET / HTTP/1.1\r\n\r\n", method) for _ in replies]
    finally:
        conn.close()
        sender.join(5)
        server_end.close()


@settings(max_examples=150, deadline=None)
@given(bodies=st.lists(st.binary(max_size=3000), min_size=1, max_size=3),
       styles=st.lists(st.sampled_from(["length", "chunked"]), min_size=3, max_size=3),
       chunk_sizes=st.lists(st.integers(1, 700), max_size=6),
       cuts=st.lists(st.integers(0, 10_000), max_size=12),
       last_by_close=st.booleans())
def test_bodies_are_read_whole_however_they_arrive(bodies, styles, chunk_sizes, cuts,
                                                    last_by_close):
    kinds = [styles[i] for i in range(len(bodies))]
    if last_by_close:
        kinds[-1] = "close"
    replies = [framed(body, kind, chunk_sizes) for body, kind in zip(bodies, kinds, strict=True)]
    answers = exchange(replies, cuts)
    assert [body for _, body, _ in answers] == bodies
    assert [status for status, _, _ in answers] == [200] * len(bodies)
    assert [keep for _, _, keep in answers] == [kind != "close" for kind in kinds]


def test_an_interim_answer_is_passed_over_and_headless_answers_have_no_body():
    replies = [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
               b"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
               b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"]
    answers = exchange(replies[:2], [])
    assert answers == [(201, b"ok", True), (204, b"", True)]
    assert exchange(replies[2:], [], method="HEAD") == [(200, b"", True)]


@pytest.mark.parametrize("reply, error", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd", "Content-Length"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", "Content-Length"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n folded\r\n\r\nabc", "folded"),
    (b"HTTP/1.1 200 OK\r\nBad Name: 1\r\nContent-Length: 0\r\n\r\n", "header line"),
    (b"ICY 200 OK\r\n\r\n", "status line"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", "CRLF"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "after 3 of 10"),
    (b"HTTP/1.1 200 O", "closed the connection"),
])
def test_ambiguous_or_cut_answers_are_refused(reply, error):
    with pytest.raises(ProtocolError, match=error):
        exchange([reply], [])


def test_bodies_beyond_the_limit_are_refused_before_they_are_read(monkeypatch):
    """A promised length, chunks or a stream to the close beyond MAX_BODY_BYTES (here
    1,000) are refused: nothing is allocated for what a server only claims."""
    monkeypatch.setattr(http_wire, "MAX_BODY_BYTES", 1000)
    huge = b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999999999\r\n\r\n"
    with pytest.raises(ProtocolError, match="Content-Length 999999999999999999"):
        exchange([huge], [])
    with pytest.raises(ProtocolError, match="more than 1000 bytes"):
        exchange([framed(b"x" * 1500, "chunked", [600, 600])], [])
    with pytest.raises(ProtocolError, match="more than 1000 bytes"):
        exchange([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"fffffffffffffff\r\n"], [])
    with pytest.raises(ProtocolError, match="more than 1000 bytes"):
        exchange([framed(b"x" * 1500, "close", [])], [])
    assert exchange([framed(b"x" * 1000, "chunked", [600])], []) == [(200, b"x" * 1000, True)]


def test_endless_interim_answers_or_trailers_are_refused():
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" * (http_wire.MAX_INTERIM + 1)
    with pytest.raises(ProtocolError, match="interim"):
        exchange([interim + b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"], [])
    trailers = b"".join(b"X-T%d: t\r\n" % n for n in range(http_wire.MAX_HEADERS + 1))
    with pytest.raises(ProtocolError, match="trailer"):
        exchange([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
                  + trailers + b"\r\n"], [])


def test_a_head_larger_than_the_limit_is_refused():
    reply = b"HTTP/1.1 200 OK\r\nX: " + b"a" * (http_wire.MAX_HEAD_BYTES + 10) + b"\r\n\r\n"
    with pytest.raises(ProtocolError, match="within"):
        exchange([reply], [1000, 5000])


@pytest.mark.parametrize("head, kind, length", [
    ({"content-length": "12"}, http_wire.BY_LENGTH, 12),
    ({"content-length": "12, 12"}, http_wire.BY_LENGTH, 12),
    ({"transfer-encoding": "gzip, chunked", "content-length": "5"}, http_wire.CHUNKED, 0),
    ({"transfer-encoding": "chunked, gzip"}, http_wire.TO_CLOSE, 0),
    ({}, http_wire.TO_CLOSE, 0),
])
def test_framing_follows_rfc_9112_section_6_3(head, kind, length):
    framing = http_wire.framing(http_wire.ResponseHead(1, 200, head), "GET")
    assert (framing.kind, framing.length) == (kind, length)


@pytest.mark.parametrize("minor, connection, kind, keeps", [
    (1, None, http_wire.BY_LENGTH, True),
    (1, "Close", http_wire.BY_LENGTH, False),
    (1, None, http_wire.TO_CLOSE, False),
    (0, None, http_wire.BY_LENGTH, False),
    (0, "keep-alive", http_wire.BY_LENGTH, True),
])
def test_the_connection_is_kept_only_when_the_answer_allows(minor, connection, kind, keeps):
    headers = {} if connection is None else {"connection": connection}
    head = http_wire.ResponseHead(minor, 200, headers)
    assert http_wire.keeps_alive(head, http_wire.Framing(kind)) is keeps


def test_parse_head_joins_repeated_headers_and_lowers_names():
    head = http_wire.parse_head(b"HTTP/1.0 503 Service Unavailable\r\nVia: a\r\n"
                                b"VIA:b \r\nContent-Type: text/html")
    assert (head.minor_version, head.status) == (0, 503)
    assert head.headers == {"via": "a, b", "content-type": "text/html"}


def test_a_request_is_rendered_with_host_length_and_body():
    request = http_wire.render_request("PUT", "/xcatws/nodes/z/dsh?format=json", "mn:8443",
                                       {"password": "p&ss #w%rd+=?"}, b'["command=x"]')
    assert request == (b"PUT /xcatws/nodes/z/dsh?format=json HTTP/1.1\r\nHost: mn:8443\r\n"
                       b"Accept-Encoding: identity\r\npassword: p&ss #w%rd+=?\r\n"
                       b"Content-Length: 13\r\n\r\n[\"command=x\"]")


@pytest.mark.parametrize("target, headers", [
    ("/a b", {}), ("/a\r\nX: 1", {}), ("/a", {"X": "1\r\nInjected: 2"}),
    ("/a", {"Bad Name": "1"}), ("/a", {"X": "\x00"}),
])
def test_a_request_that_would_break_its_lines_is_refused(target, headers):
    with pytest.raises(ValueError):
        http_wire.render_request("GET", target, "mn", headers, None)
