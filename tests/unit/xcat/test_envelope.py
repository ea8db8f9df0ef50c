import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xcat.envelope import (
    CommandResult,
    Envelope,
    command_result,
    output_lines,
    parse_envelope,
    split_chunks,
    strip_prefix,
)
from xcat.errors import CommandError, NodeUnreachableError
from xcat.simulator import dshcore

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


def test_every_kind_of_value_is_normalised_as_before_a_string_one():
    # strings pass as they are; JSON's other values become text (true stays JSON's)
    env = parse_envelope(200, '{"data":[{"data":["a", 1.5, true, [1, "b"], {"k": 1}, null]},'
                              '{"data":"single"}]}')
    assert env.data == [["a", "1.5", "true", '[1, "b"]', {"k": 1}, ""], ["single"]]


JSON_VALUES = st.one_of(st.text(max_size=3), st.integers(), st.none(), st.booleans(),
                        st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))


@given(st.lists(st.one_of(st.lists(JSON_VALUES, max_size=4), JSON_VALUES), max_size=4))
def test_the_data_strings_are_every_string_of_every_data_message_in_order(values):
    """Whether a message's data are all strings (kept as parsed) or not (normalised one
    by one), the strings come out as a walk of the normalised values finds them."""
    env = parse_envelope(200, json.dumps({"data": [{"data": v} for v in values]}))
    walked = [item for chunk in env.data for item in chunk if isinstance(item, str)]
    assert env.stdout_chunks == walked


def test_data_not_checked_by_the_parser_is_tested_for_strings():
    """Only the lists the parser found to be strings are taken without a test."""
    env = Envelope(200, ({"data": ["a", {"k": 1}, "b"]}, {"data": ["c"]}))
    assert env.stdout_chunks == ["a", "b", "c"]


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


def test_a_chunk_of_exactly_4096_bytes_is_not_glued_to_the_next():
    # DSHCore can send a chunk whose text is 4,096 bytes (a held-back line plus the
    # next read up to its last newline); its last line is still complete.
    chunks = ["zhcp: " + "A" * 99, "zhcp: " + "B" * 4096, "zhcp: " + "C" * 4000]
    assert output_lines(chunks, "zhcp") == ["A" * 99, "B" * 4096, "C" * 4000]


def test_the_empty_string_of_a_marker_only_read_is_no_line():
    assert output_lines(["zhcp: a\nzhcp: b", "zhcp: ", ""], "zhcp") == ["a", "b", ""]


# Lines as zHCP prints them: ASCII, blanks, batch markers, non-ASCII, and long lines.
_LINE = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=120),
    st.text(st.sampled_from("xy:-"), min_size=3000, max_size=9000),
    st.just(""),
)


def _reads(data: bytes, sizes: list[int]) -> list[bytes]:
    """``data`` cut as sysread may return it: pieces of 1..4096 bytes."""
    reads, start, index = [], 0, 0
    while start < len(data):
        size = sizes[index % len(sizes)]
        reads.append(data[start:start + size])
        start, index = start + size, index + 1
    return reads


def _dsh_chunks(lines: list[str], sizes: list[int]) -> list[str]:
    data = "".join(line + "\n" for line in lines).encode() + dshcore.target_rc_marker(0)
    return dshcore.buffered_chunks("zhcp: ", _reads(data, sizes))


# Long lines make big examples; on a loaded machine generation is slow, not wrong.
_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large]
_SIZES = st.lists(st.integers(1, dshcore.READ_SIZE), min_size=1, max_size=8)


@settings(max_examples=120, deadline=None, suppress_health_check=_SLOW_IS_FINE)
@given(st.lists(_LINE.filter(bool), max_size=25), _SIZES)
def test_any_output_split_into_dshcore_chunks_parses_back_to_its_lines(lines, sizes):
    assert output_lines(_dsh_chunks(lines, sizes), "zhcp") == lines


@settings(max_examples=120, deadline=None, suppress_health_check=_SLOW_IS_FINE)
@given(st.lists(_LINE, max_size=25), _SIZES)
def test_with_blank_lines_only_blank_lines_that_end_a_read_can_go_missing(lines, sizes):
    parsed = output_lines(_dsh_chunks(lines, sizes), "zhcp")
    assert [line for line in parsed if line] == [line for line in lines if line]
    remaining = iter(lines)
    assert all(any(line == candidate for candidate in remaining) for line in parsed)


@settings(max_examples=50, deadline=None, suppress_health_check=_SLOW_IS_FINE)
@given(st.lists(_LINE.filter(bool), min_size=1, max_size=25))
def test_the_simulator_reply_parses_back_to_the_lines(lines):
    text = "\n".join(lines) + "\n"
    assert output_lines(dshcore.stdout_chunks("zhcp", text, 1), "zhcp") == lines
