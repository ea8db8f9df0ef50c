import json

import pytest

from xcat.envelope import (CommandResult, Envelope, command_result, parse_envelope, split_chunks,
                           strip_prefix)
from xcat.errors import CommandError, NodeUnreachableError

# Reference xcat-rest-api.md §3: raw v1 envelope with stderr (reconstructed from nova tests).
RAW_WITH_STDERR = {"data": [
    {"data": ["song017c: Filesystem     Size  Used Avail Use% Mounted on\n"
              "song017c: /dev/dasda1     3.0G  1.7G  1.2G  60% /"]},
    {"errorcode": ["0"], "NoErrorPrefix": ["1"],
     "error": ["song017c: @@@@@@@@...\n",
               "song017c: @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!@\n"]},
    {"errorcode": ["1"]}]}


def test_flattened_form_matches_the_drivers():
    env = parse_envelope(200, json.dumps(RAW_WITH_STDERR))
    flat = env.flattened()
    assert flat["data"][0][0].startswith("song017c: Filesystem")
    assert flat["errorcode"] == [["0"], ["1"]]
    assert len(flat["error"][0]) == 2
    assert flat["info"] == [] and flat["node"] == []


def test_exit_status_is_the_final_errorcode_not_the_stderr_message():
    env = parse_envelope(200, json.dumps(RAW_WITH_STDERR))
    assert env.exit_status == 1
    result = command_result("song017c", "df -h", env)
    assert result.stdout_lines == ["Filesystem     Size  Used Avail Use% Mounted on",
                                   "/dev/dasda1     3.0G  1.7G  1.2G  60% /"]
    assert result.stderr_lines[1] == "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!@"
    assert result.errors == []
    assert not result.ok


def test_multi_chunk_output_is_joined_in_order():
    env = Envelope(200, ({"data": ["zhcp: a\nzhcp: b", "zhcp: c"]}, {"errorcode": ["0"]}))
    result = command_result("zhcp", "x", env)
    assert result.stdout_lines == ["a", "b", "c"]
    assert result.ok


def test_prefix_stripped_exactly_once():
    assert strip_prefix(["zhcp: zhcp: x", "zhcp:", " Real device: 0000", "zhcpx: y"], "zhcp") == \
        ["zhcp: x", "", " Real device: 0000", "zhcpx: y"]


def test_indentation_after_prefix_is_kept():
    lines = split_chunks(["zhcp: VSWITCH:  Name: L3PUB001\nzhcp:   Real device: 6263\n"])
    assert strip_prefix(lines, "zhcp") == ["VSWITCH:  Name: L3PUB001", "  Real device: 6263"]


def test_values_are_normalised():
    env = parse_envelope(200, '{"data":[{"data":[null, 5]},{"errorcode":0}]}')
    assert env.data == [["", "5"]]
    assert env.exit_status == 0


@pytest.mark.parametrize("body, problem", [
    ("", "empty"), ("<p>Authentication failure</p>", "not JSON"), ("[1,2]", "envelope"),
    ('{"data": 5}', "not a list"), ('{"data": [5]}', "neither"), (b"\xff\xfe", "UTF-8"),
    ('{"data": [{"data": ["x"]}', "not JSON"),
])
def test_malformed_bodies_are_rejected(body, problem):
    with pytest.raises(ValueError, match=problem):
        parse_envelope(200, body)


def test_check_raises_command_error_with_node_status_and_output():
    result = CommandResult("zhcp", "smcli X", 1, ["Failed"], ["oops"])
    with pytest.raises(CommandError) as info:
        result.check()
    assert info.value.node == "zhcp" and info.value.exit_status == 1
    assert info.value.stderr == ["oops"] and "zhcp" in str(info.value)
    assert not isinstance(info.value, NodeUnreachableError)


def test_check_recognises_an_unreachable_node():
    env = Envelope(200, ({"error": ["zhcp: ssh: connect to host zhcp port 22: No route to host"],
                          "errorcode": ["1"]},))
    result = command_result("zhcp", "true", env)
    assert result.unreachable
    with pytest.raises(NodeUnreachableError):
        result.check()


def test_success_passes_check():
    result = command_result("zhcp", "true", Envelope(200, ({"errorcode": ["0"]},)))
    assert result.check() is result and result.stdout_lines == []


def xdsh_chunks(node, text, size=4096):
    """xdsh's chunking as the reference describes it (pieces of <= 4096 bytes)."""
    data = text.encode()
    out = []
    for start in range(0, len(data), size):
        lines = data[start:start + size].decode().split("\n")
        if lines[-1] == "":
            lines.pop()
        out.append("\n".join(f"{node}: {line}" for line in lines))
    return out


@pytest.mark.parametrize("line_length", [10, 99, 4095, 4096, 5000])
def test_lines_split_across_4k_pieces_are_rejoined(line_length):
    from xcat.envelope import output_lines
    lines = [f"{i:05d}" + "x" * (line_length - 5) for i in range(600 if line_length < 100 else 60)]
    chunks = xdsh_chunks("zhcp", "\n".join(lines) + "\n")
    assert len(chunks) > 1
    assert output_lines(chunks, "zhcp") == lines
