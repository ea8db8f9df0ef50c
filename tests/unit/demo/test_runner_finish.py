"""The demo's runner before and after its steps: what a step set up is there or a clear
error, and the end of a demo that failed before any service started."""
from __future__ import annotations

import io

import pytest

from quantum_zvm.demo.runner import Demo, StepFailed, _set_up


def test_set_up_gives_the_value_or_names_what_is_missing():
    assert _set_up(0, "the port") == 0
    with pytest.raises(RuntimeError, match="the port is used before the step that sets it up"):
        _set_up(None, "the port")


def test_resources_of_later_steps_are_a_clear_error_before_those_steps():
    demo = Demo(out=io.StringIO())
    for name, what in [("state_dir", "the state directory"), ("services", "the services"),
                       ("sim", "the simulator's control plane"), ("api", "the REST API client")]:
        with pytest.raises(RuntimeError, match=f"{what} is used before"):
            getattr(demo, name)


def test_finish_of_a_failure_before_the_state_directory_reports_it_and_stops_nothing():
    out = io.StringIO()
    Demo(out=out).finish(1, StepFailed("Create a temporary state directory", "disk full",
                                       ("openssl",)))
    assert out.getvalue() == ("\nThe demo failed at step: Create a temporary state directory\n"
                              "  disk full\n")


def test_finish_of_a_failed_step_prints_the_log_tail_and_keeps_the_state_directory(tmp_path):
    out = io.StringIO()
    demo = Demo(out=out)
    demo._state_dir = tmp_path
    (tmp_path / "agent.log").write_text("".join(f"line {i}\n" for i in range(30)))
    demo.finish(1, StepFailed("Start quantum-zvm-agent", "timed out", ("agent", "server")))
    text = out.getvalue()
    assert "The demo failed at step: Start quantum-zvm-agent\n  timed out" in text
    assert f"--- last lines of {tmp_path / 'agent.log'} ---\nline 5\n" in text
    assert "line 4\n" not in text and "server.log" not in text
    assert tmp_path.exists()
