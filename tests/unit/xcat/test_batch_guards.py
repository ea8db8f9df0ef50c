"""Batch guards: a port's later steps never run after an earlier step of it failed.

The same scripts run in a real /bin/sh and in the simulator's shell, and both
skip exactly what the pure rule :func:`xcat.batch.skips` says.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.xcat.fakes import LocalShellClient
from xcat.batch import Guard, build_script, run_batch, skips
from xcat.outcomes import Outcome

KEYS = ("port-a", "port-b", "port-c")


@st.composite
def guarded_batches(draw):
    count = draw(st.integers(1, 12))
    guards = [Guard(tuple(draw(st.sets(st.sampled_from(KEYS), max_size=2))), draw(st.booleans()))
              for _ in range(count)]
    failing = draw(st.sets(st.integers(0, count - 1)))
    return guards, failing


def _commands(count: int, failing: set[int]) -> list[list[str]]:
    return [["false"] if index in failing else ["echo", f"ran {index}"]
            for index in range(count)]


@pytest.mark.parametrize("simulated", [False, True], ids=["bin-sh", "simulator-shell"])
@settings(max_examples=60, deadline=None)
@given(batch=guarded_batches(), batch_size=st.integers(1, 12))
def test_shells_skip_what_the_rule_says(simulated, batch, batch_size):
    guards, failing = batch
    client = LocalShellClient(simulated=simulated)
    outcomes = run_batch(client, "zhcp1", _commands(len(guards), failing),
                         batch_size=batch_size, guards=guards)
    skipped = {o.index for o in outcomes if o.outcome is Outcome.SKIPPED}
    assert skipped == skips(guards, failing)
    for outcome in outcomes:
        if outcome.index in skipped:
            assert outcome.exit_status is None and not outcome.stdout_lines
        elif outcome.index in failing:
            assert outcome.exit_status == 1 and outcome.outcome is Outcome.FAILED
        else:
            assert outcome.ok and outcome.stdout_lines == [f"ran {outcome.index}"]


def test_a_failed_step_stops_the_later_steps_of_its_port_only():
    guards = [Guard(("a",)), Guard(("a",), True), Guard(("b",), True),
              Guard(("a", "b"), True), Guard((), True)]
    assert skips(guards, {0}) == {1}
    assert skips(guards, {0, 2}) == {1, 3}
    # undo steps (not skippable) always run, and their failure marks the port
    assert skips([Guard(("a",)), Guard(("a",)), Guard(("a",), True)], {0}) == {2}


def test_script_without_guards_is_unchanged():
    script = build_script(["true", "false"], "TOK")
    assert script == 'true\necho "TOK:0:$?"\nfalse\necho "TOK:1:$?"'


def test_keys_are_shell_variables_never_port_text():
    hostile = "p; rm -rf / #"
    script = build_script(["true"], "TOK", [Guard((hostile,), True)], marked=[hostile])
    assert hostile not in script
    assert script.splitlines()[0] == "K0=1"
