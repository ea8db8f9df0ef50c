import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.xcat.fakes import LocalShellClient
from xcat import batch, smcli
from xcat.batch import build_script, interpret, run_batch, split_output
from xcat.errors import CommandError
from xcat.outcomes import Outcome, classify


def rendered(commands):
    return [smcli.render(argv) for argv in commands]


def test_script_layout():
    script = build_script(rendered([["echo", "a b"], smcli.system_info_query()]), "TOK")
    assert script.split("\n") == ["echo 'a b'", 'echo "TOK:0:$?"',
                                  "/opt/zhcp/bin/smcli System_Info_Query", 'echo "TOK:1:$?"']


def test_split_output_ignores_lookalike_markers_and_keeps_partial_lines():
    lines = ["out", "TOK:1:0", "OTHER:0:0", "tailTOK:0:0", "TOK:1:7"]
    finished, leftover = split_output(lines, "TOK", 3)
    assert finished == [(0, ["out", "TOK:1:0", "OTHER:0:0", "tail"]), (7, [])]
    assert leftover == []


def test_split_output_takes_the_index_as_written_and_stops_at_count():
    lines = ["TOK:00:0", "TOK:0:1000", "TOK:0:2", "TOK:1:0", "TOK:2:0"]
    finished, leftover = split_output(lines, "TOK", 2)
    assert finished == [(2, ["TOK:00:0", "TOK:0:1000"]), (0, [])]
    assert leftover == ["TOK:2:0"]


def test_split_output_leftover_belongs_to_the_unfinished_command():
    finished, leftover = split_output(["TOK:0:0", "partial"], "TOK", 2)
    assert finished == [(0, [])] and leftover == ["partial"]


def test_runs_in_a_real_shell_with_hostile_output():
    client = LocalShellClient()
    commands = [
        ["printf", "%s\\n", "QZVMdeadbeef:0:0"],           # marker-like text, other token
        ["sh", "-c", "printf 'no newline'; exit 3"],       # unterminated line, exit 3
        ["printf", "%s\\n", "line1", "line2"],
        ["sh", "-c", "echo err >&2; exit 1"],
        ["true"],
    ]
    outcomes = run_batch(client, "zhcp", commands, batch_size=2)
    assert len(client.scripts) == 3
    assert [o.exit_status for o in outcomes] == [0, 3, 0, 1, 0]
    assert outcomes[0].stdout_lines == ["QZVMdeadbeef:0:0"]
    assert outcomes[1].stdout_lines == ["no newline"]
    assert outcomes[2].stdout_lines == ["line1", "line2"]
    assert [o.outcome for o in outcomes] == [Outcome.OK, Outcome.FAILED, Outcome.OK,
                                             Outcome.FAILED, Outcome.OK]
    assert outcomes[3].batch_stderr == ["err"] and outcomes[2].batch_stderr == []
    assert [o.index for o in outcomes] == list(range(5))


def test_a_command_that_prints_the_real_marker_for_another_index_cannot_confuse_it():
    client = LocalShellClient()
    original = batch.make_token
    batch.make_token = lambda: "QZVMfixed"
    try:
        outcomes = run_batch(client, "zhcp", [["printf", "%s\\n", "QZVMfixed:1:0"], ["false"]])
    finally:
        batch.make_token = original
    assert outcomes[0].stdout_lines == ["QZVMfixed:1:0"]
    assert outcomes[1].exit_status == 1


def test_cut_short_batch_marks_rest_not_run():
    client = LocalShellClient()
    outcomes = run_batch(client, "zhcp", [["true"], ["sh", "-c", "echo half; exit 0"]] +
                         [["sh", "-c", "kill -9 $PPID"], ["true"]])
    assert outcomes[0].ok and outcomes[1].stdout_lines == ["half"]
    assert outcomes[2].outcome is Outcome.NOT_RUN and outcomes[2].exit_status is None
    assert outcomes[3].outcome is Outcome.NOT_RUN and not outcomes[3].ok


def test_invalid_command_sends_nothing():
    client = LocalShellClient()
    with pytest.raises(ValueError):
        run_batch(client, "zhcp", [["true"], ["echo", "a\nrm -rf /"]])
    assert client.scripts == []


def test_interpret_failure_blocks_and_already_done():
    argv = smcli.adapter_connect_vswitch("linux01", "1000", "vsw1")
    done = interpret(0, argv, 1, ["Connecting ... Failed", "  Return Code: 204",
                                  "  Reason Code: 20", "  Description: already connected"], [])
    assert done.outcome is Outcome.ALREADY_DONE and done.ok and done.error is None
    inactive = interpret(1, argv, 1, ["Failed", "Return Code: 200", "Reason Code: 12",
                                      "Description: Image not active"], ["x"])
    assert inactive.outcome is Outcome.INACTIVE and not inactive.ok
    assert inactive.error.target == "LINUX01" and inactive.error.code == (200, 12)
    assert inactive.batch_stderr == ["x"]
    failed = interpret(2, argv, 1, ["Failed", "Return Code: 212", "Reason Code: 8",
                                    "Description: Image not authorized to connect"], [])
    assert failed.outcome is Outcome.FAILED and "rc=212 rs=8" in failed.describe()
    offline = interpret(3, smcli.adapter_connect_vswitch_dm("linux01", "1000", "vsw1"), 1,
                        ["Failed", "Return Code: 0", "Reason Code: 8", "Description: x"], [])
    assert offline.outcome is Outcome.OK


@pytest.mark.parametrize("function, rc, rs, outcome", [
    ("Virtual_Network_Adapter_Disconnect", 204, 48, Outcome.ALREADY_DONE),
    ("Virtual_Network_Adapter_Disconnect_DM", 212, 32, Outcome.ALREADY_DONE),
    ("Virtual_Network_Adapter_Delete_DM", 404, 8, Outcome.ALREADY_DONE),
    ("Virtual_Network_Adapter_Create_DM", 404, 4, Outcome.ALREADY_DONE),
    ("Virtual_Network_Vswitch_Create", 212, 36, Outcome.ALREADY_DONE),
    ("Virtual_Network_Vswitch_Set_Extended", 212, 40, Outcome.FAILED),
    ("Virtual_Network_Vswitch_Set_Extended", 396, 2846, Outcome.FAILED),
    ("Virtual_Network_Adapter_Connect_Vswitch_DM", 200, 12, Outcome.FAILED),
    ("Image_Query_Activate_Time", 200, 12, Outcome.INACTIVE),
    ("Image_Definition_Update_DM", 592, 0, Outcome.OK),
    ("Virtual_Network_Adapter_Connect_Vswitch", 204, 20, Outcome.ALREADY_DONE),
    ("Virtual_Network_Adapter_Disconnect", 204, 20, Outcome.FAILED),
])
def test_classify(function, rc, rs, outcome):
    assert classify(function, rc, rs) is outcome


def test_batch_that_never_ran_raises():
    class Unreachable(LocalShellClient):
        def dsh(self, node, command, *, idempotent=False, check=False):
            from xcat.envelope import Envelope, command_result
            return command_result(node, command, Envelope(200, (
                {"error": [f"{node}: ssh: connect to host {node} port 22: No route to host"],
                 "errorcode": ["1"]},)))
    from xcat.errors import NodeUnreachableError
    with pytest.raises(NodeUnreachableError):
        run_batch(Unreachable(), "zhcp", [["true"]])
    assert issubclass(NodeUnreachableError, CommandError)


def test_each_command_is_rendered_once_whatever_the_batches(monkeypatch):
    rendered = []

    def counting(argv):
        rendered.append(tuple(argv))
        return real_render(argv)
    real_render = smcli.render
    monkeypatch.setattr(smcli, "render", counting)
    commands = [["echo", str(i)] for i in range(7)]
    outcomes = run_batch(LocalShellClient(), "zhcp", commands, batch_size=3)
    assert [o.stdout_lines for o in outcomes] == [[str(i)] for i in range(7)]
    assert sorted(rendered) == sorted(tuple(c) for c in commands)


MARKER_PIECES = st.sampled_from(["TOK", "TOK:", ":", "0", "1", "07", "255", "1000", "S", "x",
                                 " ", "\u0663", "OK"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(MARKER_PIECES, max_size=6).map("".join), max_size=8),
       st.integers(min_value=1, max_value=4))
def test_split_output_finds_the_markers_a_pattern_finds(lines, count):
    """Oracle: a marker is "<token>:<digits>:<1 to 3 digits or S>" ending the line,
    found after the token's first occurrence that starts one (ASCII digits)."""
    pattern = re.compile(r"TOK:([0-9]+):([0-9]{1,3}|S)\Z")
    finished, buffer, expected = [], [], "0"
    for line in lines:
        match = pattern.search(line) if len(finished) < count else None
        if match and match.group(1) == expected:
            buffer += [line[:match.start()]] if match.start() else []
            status = match.group(2)
            finished.append((None if status == "S" else int(status), buffer))
            buffer, expected = [], str(len(finished))
        else:
            buffer.append(line)
    assert split_output(lines, "TOK", count) == (finished, buffer)
