"""A table dump's reply parsed from the last one (xcat.dump_splice, and parse_envelope's
``like``): the lines are always those of parsing the body whole, and where the body
is plain (one message, no escaped backslash) the lines that did not change are the
last dump's own strings."""
from __future__ import annotations

import json

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from xcat import dump_splice
from xcat.envelope import parse_envelope

# characters that matter to JSON and to the splice's search, and some that do not
TRICKY = st.sampled_from(['"', ",", "]", "[", "{", "}", ":", " ", "\n", "\t", "\\", "/",
                          "é", "\u2028", "data", "#"])
PLAIN = st.sampled_from(list("abcxyz019,;:=_-. ") + ['\"'])
HEADER = "#node,interface,port,switch,comments,disable"


def body_of(lines: list[str], style: int) -> bytes:
    """A tabdump reply, as xCAT (Perl's JSON) or another writer may format it."""
    doc = {"data": [{"data": lines}]}
    if style == 0:
        return orjson.dumps(doc)
    if style == 1:
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    if style == 2:
        return json.dumps(doc).encode()                       # ", " and ": ", ASCII
    return json.dumps(doc, indent=1).encode()                 # a line per value


@st.composite
def edited(draw, alphabet):
    """A table's lines and the same table after a few rows were added, removed or
    changed anywhere (the header too, now and then)."""
    line = st.lists(alphabet, max_size=8).map("".join)
    old = [HEADER, *draw(st.lists(line, max_size=30))]
    new = list(old)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(new)))
        kind = draw(st.sampled_from(["add", "remove", "change"]))
        if kind == "add" or where == len(new):
            new.insert(where, draw(line))
        elif kind == "remove" and len(new) > 1:
            del new[where]
        else:
            new[where] = draw(line)
    return old, new


@settings(max_examples=400, deadline=None)
@given(edited(TRICKY), st.integers(0, 3))
def test_the_lines_are_those_of_the_whole_body_whatever_changed(change, style):
    old, new = change
    last = parse_envelope(200, body_of(old, style))
    got = parse_envelope(200, body_of(new, style), like=last)
    assert got.stdout_chunks == new
    assert got == parse_envelope(200, body_of(new, style))


@settings(max_examples=300, deadline=None)
@given(edited(PLAIN), st.integers(0, 3))
def test_a_plain_body_is_parsed_only_where_it_differs(change, style):
    """Lines without backslashes (a tabdump's quotes are escaped as \\"): the splice
    always answers, and the lines before the first that differs are the last dump's
    strings themselves."""
    old, new = change
    old_body, new_body = body_of(old, style), body_of(new, style)
    old_lines = orjson.loads(old_body)["data"][0]["data"]
    span = dump_splice.locate(old_body, old_lines)
    assert span is not None
    result = dump_splice.splice(old_body, old_lines, span, new_body)
    if new_body == old_body:
        return   # the same body is given back whole (parse_envelope's ``like``)
    assert result is not None
    edit, new_span = result
    assert edit.base is old_lines
    kept_after = len(old) - edit.kept_after
    assert edit.removed == old[edit.kept_before:kept_after]
    assert edit.added == new[edit.kept_before:len(new) - edit.kept_after]
    assert old[:edit.kept_before] == new[:edit.kept_before]
    assert old[kept_after:] == new[len(new) - edit.kept_after:]
    assert new_span == dump_splice.locate(new_body, new)
    lines = dump_splice.Lines(new_body, new_span, len(new))
    assert lines[0] == new[0] and lines._strings is None   # the header alone is parsed
    assert len(lines) == len(new) and list(lines) == new and lines == new


def test_a_row_added_at_the_end_parses_that_row_only():
    old = [HEADER] + [f'\"b{i:07d}\",\"1000\",\"port-{i}\",,\"zhcp1\",' for i in range(1000)]
    new = [*old, '\"b9999999\",\"1000\",\"port-new\",,\"zhcp1\",']
    last = parse_envelope(200, body_of(old, 0))
    got = parse_envelope(200, body_of(new, 0), like=last)
    assert got.lines_edit is not None
    edit = got.lines_edit
    # the new row, and at most the row before it (whose closing quote the change follows)
    assert edit.added[-1] == new[-1] and edit.removed == edit.added[:-1]
    assert len(edit.added) <= 2 and edit.kept_after == 0
    assert edit.kept_before + len(edit.removed) == len(old)
    assert got.stdout_chunks == new


def test_the_same_body_gives_back_the_last_envelope():
    body = body_of([HEADER, '\"a\",\"1\"'], 0)
    last = parse_envelope(200, body)
    assert parse_envelope(200, bytes(bytearray(body)), like=last) is last
    assert parse_envelope(201, body, like=last) is not last


def test_bodies_of_another_shape_are_parsed_whole():
    lines = [HEADER, '\"a\",\"1\"']
    for doc in ({"data": [{"data": lines}, {"errorcode": ["0"]}]},
                {"data": [{"data": lines, "errorcode": ["0"]}]},
                {"data": [{"data": [HEADER, 'a\\b']}]},
                {"data": [{"data": []}]},
                {"data": [{"data": lines}], "more": [{"data": ["x"]}]}):
        body = orjson.dumps(doc)
        assert parse_envelope(200, body).lines_span is None


def test_a_change_outside_the_lines_array_is_parsed_whole():
    lines = [HEADER, '\"a\",\"1\"']
    last = parse_envelope(200, orjson.dumps({"data": [{"data": lines}]}))
    other = orjson.dumps({"data": [{"data": lines}, {"errorcode": ["1"]}]})
    span = dump_splice.locate(last.body, lines)
    assert span is not None
    assert dump_splice.splice(last.body, lines, span, other) is None
    got = parse_envelope(200, other, like=last)
    assert got.stdout_chunks == lines and got.exit_status == 1


def test_common_prefix_and_suffix_across_steps():
    a = bytes(range(256)) * 4000   # past 3 steps
    for at in (0, 1, dump_splice.STEP - 1, dump_splice.STEP, 3 * dump_splice.STEP + 7,
               len(a) - 1):
        b = a[:at] + bytes([a[at] ^ 1]) + a[at + 1:]
        assert dump_splice.common_prefix(a, b) == at
        assert dump_splice.common_suffix(a, b, len(a) - at) == len(a) - at - 1
    copy = bytes(bytearray(a))
    assert dump_splice.common_prefix(a, copy) == len(a)
    assert dump_splice.common_suffix(a, copy, 10) == 10


@settings(max_examples=200, deadline=None)
@given(edited(PLAIN), st.data(), st.integers(0, 3), st.booleans())
def test_a_dump_spliced_from_a_spliced_dump_says_what_changed(change, data, style, read):
    """Dumps read one after another as edits: the lines an edit removes are those of
    the dump before it, whether its lines were made into strings (``read``) or are
    parsed from its body, and each dump's lines are those of parsing it whole."""
    first, second = change
    third = list(second)
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.integers(1, len(third)))
        third.insert(where, data.draw(st.lists(PLAIN, max_size=8).map("".join)))
    envelope = parse_envelope(200, body_of(first, style))
    for old, new in ((first, second), (second, third)):
        if read:
            assert list(envelope.dump_lines) == old
        spliced = parse_envelope(200, body_of(new, style), like=envelope)
        if new == old:
            assert spliced is envelope
            continue
        edit = spliced.lines_edit
        assert edit is not None and edit.base is envelope.dump_lines
        assert edit.removed == old[edit.kept_before:len(old) - edit.kept_after]
        assert edit.added == new[edit.kept_before:len(new) - edit.kept_after]
        assert spliced.dump_lines == new and spliced.stdout_chunks == new
        envelope = spliced
