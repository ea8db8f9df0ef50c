"""Wire format: envelope, requests, reply framing, failures, duplicates, versions."""
import datetime
import json
import uuid

import pytest

from quantum_zvm.common import exceptions
from quantum_zvm.rpc import errors, wire


def test_serialize_wraps_the_message_as_a_json_string_in_the_2_0_envelope():
    body = wire.serialize({"method": "m", "args": {"a": 1}})
    assert body["oslo.version"] == "2.0"
    assert json.loads(body["oslo.message"]) == {"method": "m", "args": {"a": 1}}


@pytest.mark.parametrize("body", [
    {"oslo.version": "2.0", "oslo.message": json.dumps({"method": "m"})},
    {"method": "m"},
    json.dumps({"method": "m"}),
    json.dumps({"method": "m"}).encode(),
    json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps({"method": "m"})}),
])
def test_deserialize_accepts_enveloped_and_bare_bodies(body):
    assert wire.deserialize(body) == {"method": "m"}


@pytest.mark.parametrize("body", ["[1, 2]", "not json", b"\xff\xfe", 42,
                                  {"oslo.version": "2.0", "oslo.message": "[]"},
                                  {"oslo.version": "2.0", "oslo.message": "{bad"}])
def test_deserialize_rejects_what_is_not_a_message(body):
    with pytest.raises(errors.MalformedMessage):
        wire.deserialize(body)


@pytest.mark.parametrize("version", ["3.0", "2.1", "x.y"])
def test_deserialize_rejects_unknown_envelope_versions(version):
    with pytest.raises(errors.UnsupportedEnvelopeVersion):
        wire.deserialize({"oslo.version": version, "oslo.message": "{}"})


def test_request_of_a_call_has_ids_reply_queue_and_flat_context_keys():
    ctx = {"user_id": None, "is_admin": True, "roles": ["admin"],
           "timestamp": datetime.datetime(2013, 4, 2, 10, 11, 12, 123456)}
    msg = wire.request("get_device_details", {"device": "d1", "agent_id": "zvm1"},
                       context=ctx, version="1.0", msg_id="abc", reply_q="reply_x")
    assert msg["method"] == "get_device_details"
    assert msg["args"] == {"device": "d1", "agent_id": "zvm1"}
    assert msg["version"] == "1.0" and msg["_msg_id"] == "abc" and msg["_reply_q"] == "reply_x"
    assert len(msg["_unique_id"]) == 32
    assert msg["_context_is_admin"] is True and msg["_context_user_id"] is None
    assert msg["_context_roles"] == ["admin"]
    assert msg["_context_timestamp"] == "2013-04-02T10:11:12.123456"
    json.dumps(msg)


def test_casts_have_no_msg_id_nor_reply_queue_and_unique_ids_differ():
    first = wire.request("m", {}, context={})
    second = wire.request("m", {}, context={})
    assert "_msg_id" not in first and "_reply_q" not in first
    assert first["_unique_id"] != second["_unique_id"]


def test_unpack_context_splits_context_keys_and_tolerates_extra_ones():
    ctx, rest = wire.unpack_context({"method": "m", "_context_tenant_id": "t",
                                     "_context_auth_token": "x", "_unique_id": "u"})
    assert ctx == {"tenant_id": "t", "auth_token": "x"}
    assert rest == {"method": "m", "_unique_id": "u"}


def test_to_primitive_converts_datetimes_sets_uuids_and_refuses_objects():
    value = {"when": datetime.datetime(2020, 1, 2, 3, 4, 5), "ids": (1, 2),
             "u": uuid.UUID(int=1), 3: {"x"}}
    assert wire.to_primitive(value) == {"when": "2020-01-02T03:04:05.000000", "ids": [1, 2],
                                        "u": "00000000-0000-0000-0000-000000000001",
                                        "3": ["x"]}
    with pytest.raises(TypeError):
        wire.to_primitive({"x": object()})


# --------------------------------------------------------------------------- replies

def test_reply_frames_null_result_is_one_terminator():
    (frame,) = wire.reply_frames("m1", result=None)
    assert frame["result"] is None and frame["failure"] is None and frame["ending"] is True
    assert frame["_msg_id"] == "m1" and frame["_unique_id"]


def test_reply_frames_result_is_data_then_terminator():
    data, end = wire.reply_frames("m1", result={"a": 1})
    assert data["result"] == {"a": 1} and "ending" not in data and data["failure"] is None
    assert end["ending"] is True and end["result"] is None
    assert data["_unique_id"] != end["_unique_id"]
    assert data["_msg_id"] == end["_msg_id"] == "m1"


@pytest.mark.parametrize("result", [None, 0, "", [], {"a": 1}])
def test_a_caller_that_asks_for_one_frame_gets_its_result_with_ending(result):
    """Our callers read a result from its ``ending`` frame (as oslo.messaging's do) and
    say so (``_one_reply_frame``): one reply message, not a data frame and a
    terminator, which 2013 callers, who ignore an ``ending`` frame's result, still get."""
    request = wire.request("echo", {}, context={}, msg_id="m1", reply_q="r",
                           one_reply_frame=True)
    assert request[wire.ONE_REPLY_FRAME] is True
    assert wire.ONE_REPLY_FRAME not in wire.request("echo", {}, context={}, msg_id="m1",
                                                    reply_q="r")
    (frame,) = wire.reply_frames("m1", result=result, one_frame=True)
    assert frame["result"] == result and frame["ending"] is True and frame["failure"] is None
    assert _read([frame]) == result


def test_reply_frames_failure_is_one_frame_with_ending():
    (frame,) = wire.reply_frames("m1", failure="{}")
    assert frame["failure"] == "{}" and frame["ending"] is True


def _read(frames):
    reader = wire.ReplyReader()
    for frame in frames:
        if reader.feed(frame):
            return reader.outcome()
    raise AssertionError("reply not complete")


@pytest.mark.parametrize("result", [None, 0, "", [], {"a": 1}, [1, 2]])
def test_reader_round_trips_our_framing(result):
    assert _read(wire.reply_frames("m", result=result)) == result


def test_reader_accepts_modern_single_frame_with_ending_and_result():
    assert _read([{"result": {"x": 1}, "failure": None, "ending": True}]) == {"x": 1}


def test_reader_ignores_heartbeats_and_keeps_2013_data_frames():
    frames = [{"result": None, "failure": None, "ending": False},
              {"result": 5, "failure": None},
              {"result": None, "failure": None, "ending": False},
              {"result": None, "failure": None, "ending": True}]
    assert _read(frames) == 5


def test_reader_2013_multicall_returns_the_last_value():
    assert _read([{"result": 1, "failure": None}, {"result": 2, "failure": None},
                  {"result": None, "failure": None, "ending": True}]) == 2


def test_reader_failure_without_ending_completes_the_call():
    failure = wire.serialize_exception(exceptions.PortNotFound(port_id="p9"))
    reader = wire.ReplyReader()
    assert reader.feed({"result": None, "failure": failure}) is True
    with pytest.raises(exceptions.PortNotFound) as info:
        reader.outcome()
    assert str(info.value) == "Port p9 could not be found"
    assert type(info.value).__name__ == "PortNotFound_Remote"


# --------------------------------------------------------------------------- failures

def test_failure_json_has_the_2013_keys():
    try:
        raise exceptions.NetworkNotFound(net_id="n1")
    except exceptions.NetworkNotFound as exc:
        data = json.loads(wire.serialize_exception(exc, exc.__traceback__))
    assert data["class"] == "NetworkNotFound"
    assert data["module"] == "quantum_zvm.common.exceptions"
    assert data["message"] == "Network n1 could not be found"
    assert data["kwargs"] == {"net_id": "n1"} and data["args"] == []
    assert any("NetworkNotFound" in line for line in data["tb"])


def test_builtin_exceptions_are_recreated():
    exc = wire.deserialize_failure(wire.serialize_exception(ValueError("bad value")))
    assert isinstance(exc, ValueError) and str(exc) == "bad value"


def test_exceptions_of_other_modules_become_remote_errors():
    failure = json.dumps({"class": "Evil", "module": "os", "message": "m", "tb": ["t\n"],
                          "args": [], "kwargs": {}})
    exc = wire.deserialize_failure(failure)
    assert isinstance(exc, errors.RemoteError)
    assert exc.exc_type == "Evil" and exc.value == "m" and exc.traceback == "t\n"


def test_unknown_class_in_allowed_module_and_garbage_become_remote_errors():
    failure = json.dumps({"class": "NoSuchError", "module": "quantum_zvm.common.exceptions",
                          "message": "m"})
    assert isinstance(wire.deserialize_failure(failure), errors.RemoteError)
    assert isinstance(wire.deserialize_failure("not json"), errors.RemoteError)


# --------------------------------------------------------------------------- misc

def test_duplicate_filter_remembers_a_bounded_window():
    dup = wire.DuplicateFilter(size=2)
    assert not dup.seen("a") and dup.seen("a")
    assert not dup.seen("b") and not dup.seen("c")
    assert not dup.seen("a")  # fell out of the window
    assert not dup.seen(None) and not dup.seen(None)


@pytest.mark.parametrize("requested, implemented, ok", [
    (None, "1.0", True), ("1.0", "1.1", True), ("1.1", "1.1", True), ("1.2", "1.1", False),
    ("2.0", "1.1", False), ("1", "1.0", True), ("", "1.0", True)])
def test_version_compatibility(requested, implemented, ok):
    assert wire.version_compatible(requested, implemented) is ok
