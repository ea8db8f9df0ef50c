"""The pure steps of XcatClient: settings checks, request encoding and which failed
attempts may be repeated."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xcat import client
from xcat.errors import (
    XcatAuthError,
    XcatConnectionError,
    XcatRequestError,
    XcatResponseError,
    XcatTimeoutError,
    XcatTLSError,
)


def test_credentials_in_headers_must_be_latin1_without_control_characters():
    client._check_credentials("admin", "pässwörd", in_query=False)
    for bad in ("", "a\nb", "ÿ\u0100"):
        with pytest.raises(ValueError, match="^password: "):
            client._check_credentials("admin", bad, in_query=False)
        with pytest.raises(ValueError, match="^username: "):
            client._check_credentials(bad, "secret", in_query=False)


def test_credentials_in_the_query_may_be_any_non_empty_text():
    client._check_credentials("admin", "a\nb\u0100", in_query=True)
    with pytest.raises(ValueError, match="^username: must be a non-empty string"):
        client._check_credentials("", "", in_query=True)
    with pytest.raises(ValueError, match="^password: must be a non-empty string"):
        client._check_credentials("admin", None, in_query=True)


@pytest.mark.parametrize("verify", [True, False, "/etc/ca.pem"])
def test_verify_accepted(verify):
    client._check_verify(verify)


@pytest.mark.parametrize("verify", [None, 1, 0, b"/etc/ca.pem"])
def test_verify_refused(verify):
    with pytest.raises(ValueError, match="^verify: "):
        client._check_verify(verify)


@given(st.floats(min_value=0.001, max_value=1e6) | st.integers(1, 10**6))
def test_one_number_is_both_timeouts(seconds):
    assert client._timeout_pair(seconds) == (float(seconds), float(seconds))


def test_timeout_pairs():
    assert client._timeout_pair((1.5, 30)) == (1.5, 30)
    for bad in (0, -1, (1.0, 0), (1.0,), (1.0, 2.0, 3.0)):
        with pytest.raises(ValueError, match="^timeout: "):
            client._timeout_pair(bad)


def test_retry_settings():
    client._check_retry_settings(0, 0.0, 0.0, 1)
    for bad in ({"retries": -1}, {"backoff": -0.1}, {"backoff_max": -1}, {"pool_size": 0}):
        settings = {"retries": 3, "backoff": 0.5, "backoff_max": 10.0, "pool_size": 4} | bad
        with pytest.raises(ValueError, match="pool_size >= 1"):
            client._check_retry_settings(**settings)


def test_methods():
    assert [client._check_method(m) for m in ("get", "Put", "POST", "delete")] == [
        "GET", "PUT", "POST", "DELETE"]
    for bad in ("PATCH", "HEAD", ""):
        with pytest.raises(ValueError, match="^method: unsupported"):
            client._check_method(bad)


def test_query_items():
    assert client._query_items(None) == [("format", "json")]
    assert client._query_items({}) == [("format", "json")]
    assert client._query_items({"col": "node", "attribute": ["a", "b"], "n": 3}) == [
        ("col", "node"), ("attribute", "a"), ("attribute", "b"), ("n", "3"), ("format", "json")]
    assert client._query_items([("a", "1"), ("a", ("2", 3))]) == [
        ("a", "1"), ("a", "2"), ("a", "3"), ("format", "json")]


@given(st.dictionaries(st.text(min_size=1), st.text() | st.lists(st.text(), max_size=3)))
def test_query_items_keep_every_value_in_order(params):
    expected = [(k, v) for k, vs in params.items()
                for v in (vs if isinstance(vs, list) else [vs])]
    assert client._query_items(params) == expected + [("format", "json")]


@given(st.lists(st.text()))
def test_json_body(body):
    data, headers = client._json_body(body)
    assert json.loads(data.decode("utf-8")) == body
    assert headers == {"Content-Type": "text/plain"}


def test_no_body_and_refused_bodies():
    assert client._json_body(None) == (None, {})
    for bad in ("text", b"bytes", ["a", 1]):
        with pytest.raises(ValueError, match="^body: must be a list of strings"):
            client._json_body(bad)


def connection_error(cls=XcatConnectionError, sent=True):
    return cls("mn", "PUT", "nodes/zhcp/dsh", "reset", request_sent=sent)


def request_error(status, cls=XcatRequestError):
    if cls is XcatResponseError:
        return cls("mn", "GET", "tables/switch", status, "", "not JSON")
    return cls("mn", "GET", "tables/switch", status, "")


@pytest.mark.parametrize("exc, idempotent, retryable", [
    (connection_error(sent=False), False, True),
    (connection_error(sent=True), False, False),
    (connection_error(sent=True), True, True),
    (connection_error(XcatTimeoutError, sent=True), True, True),
    (connection_error(XcatTimeoutError, sent=True), False, False),
    (connection_error(XcatTLSError, sent=False), True, False),
    (request_error(503), True, True),
    (request_error(502), False, False),
    (request_error(500), True, False),
    (request_error(200, XcatResponseError), True, False),
    (XcatAuthError("mn", "GET", "version", 401, "", "admin"), True, False),
])
def test_retryable(exc, idempotent, retryable):
    assert client._retryable(exc, idempotent) is retryable
