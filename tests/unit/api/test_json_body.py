"""The API's JSON bodies: what ``router._json`` writes for every kind of value it is given."""
import datetime
import json

import pytest

from quantum_zvm.api import router


def body(value):
    response = router._json(200, value)
    assert response.content_type == "application/json"
    return response.body


def test_compact_and_in_order():
    assert body({"b": 1, "a": [True, None, 1.5, "x"]}) == b'{"b":1,"a":[true,null,1.5,"x"]}'


def test_datetime_as_neutron_agents_show_it():
    """neutron's agent view shows heartbeat_timestamp as ``%Y-%m-%d %H:%M:%S``."""
    stamp = datetime.datetime(2026, 12, 3, 14, 5, 6, 789000)
    assert json.loads(body({"heartbeat_timestamp": stamp})) == {
        "heartbeat_timestamp": "2026-12-03 14:05:06"}


def test_sets_and_tuples_are_lists():
    assert json.loads(body({"s": frozenset({"a"}), "t": ("x", 1)})) == {"s": ["a"], "t": ["x", 1]}


def test_non_ascii_is_utf8():
    """Written as UTF-8 bytes by orjson, not as the standard encoder's \\u escapes."""
    data = body({"name": "Zürich ✓"})
    assert json.loads(data.decode("utf-8")) == {"name": "Zürich ✓"}
    assert "Zürich ✓".encode() in data


@pytest.mark.parametrize("value", ["\ud800 lone surrogate", 2 ** 70])
def test_what_the_fast_encoder_refuses_is_still_written(value):
    """A lone surrogate (not UTF-8) or an integer beyond 64 bits is written by the standard
    encoder (escaped), as before, instead of failing the request."""
    assert json.loads(body({"v": value})) == {"v": value}


def test_an_unknown_type_is_refused():
    with pytest.raises(TypeError):
        router._json(200, {"v": object()})


def test_none_body():
    assert body(None) == b"null"
