"""The NeutronError answers of requests eventlet refuses before the application sees them
(the requests themselves: tests/functional/test_api_hostile_input.py)."""
import json

import pytest

from quantum_zvm.api.protocol import framing_problem, raw_error


def test_raw_error_is_a_whole_response_with_a_neutron_error_body():
    head, _, body = raw_error(414, "The request line is longer than 8191 bytes").partition(
        b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 414 Request-URI Too Long"
    assert "Connection: close" in lines and f"Content-Length: {len(body)}" in lines
    assert "Content-Type: application/json; charset=UTF-8" in lines
    assert json.loads(body) == {"NeutronError": {
        "type": "HTTPRequestURITooLong", "message": "The request line is longer than 8191 bytes",
        "detail": ""}}


@pytest.mark.parametrize("headers, problem", [
    ({}, None), ({"content-length": "12"}, None), ({"transfer-encoding": "chunked"}, None),
    ({"content-length": "-1"}, "is not a non-negative integer"),
    ({"content-length": "ten"}, "is not a non-negative integer"),
    ({"content-length": "3", "transfer-encoding": "chunked"}, "are not allowed together")])
def test_framing_problems_are_eventlets(headers, problem):
    found = framing_problem(headers)
    assert found is None if problem is None else problem in found
