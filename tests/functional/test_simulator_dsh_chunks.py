"""dsh replies are chunked as xCAT's DSHCore chunks them (perl-xCAT DSHCore.pm
pipe_handler_buffer, xcat2/xcat-core 7733d16f8de0): whole lines per 4 KiB read,
blank lines at the end of a read lost, the xdsh exit-status marker removed."""
from __future__ import annotations


def _echo_script(lines: list[str]) -> str:
    return "\n".join(f"echo {line}" if line else "echo" for line in lines)


def test_a_blank_line_that_ends_a_read_is_lost(simulator):
    # The first read is 4,095 bytes of "x...\n" plus the blank line's "\n": Perl's
    # split drops the trailing empty field, so the blank line never reaches the reply.
    reply = simulator.dsh("zhcp1", _echo_script(["x" * 4094, "", "after"]))
    chunks = reply["data"][0]["data"]
    assert chunks == ["zhcp1: " + "x" * 4094, "zhcp1: after"]


def test_output_of_whole_reads_leaves_an_empty_string_for_the_marker_read(simulator):
    # Two reads of output exactly; the third read holds only ":DSH_TARGET_RC=0:".
    reply = simulator.dsh("zhcp1", _echo_script(["y" * 4095, "z" * 4095]))
    assert reply["data"][0]["data"] == ["zhcp1: " + "y" * 4095, "zhcp1: " + "z" * 4095, ""]
    assert reply["data"][-1] == {"errorcode": ["0"]}


def test_a_last_line_without_newline_is_completed_by_the_marker(simulator):
    reply = simulator.dsh("zhcp1", "echo first; echo -n last")
    assert reply["data"][0]["data"] == ["zhcp1: first\nzhcp1: last"]
