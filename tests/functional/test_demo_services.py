"""The demo's process management with real processes: stop, record/stop later, parent death."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import pytest

from quantum_zvm.demo.services import CommandError, Services, run_command, stop_recorded
from tests.fixtures.procs import pid_alive, wait_for


def test_stop_all_stops_in_reverse_order_and_reports_statuses(tmp_path):
    services = Services(tmp_path)
    first = services.start("first", ["sleep", "60"])
    second = services.start("second", [sys.executable, "-c", "import time; time.sleep(60)"])
    assert first.alive() and second.alive()
    statuses = services.stop_all()
    assert list(statuses) == ["second", "first"]
    assert statuses == {"second": -signal.SIGTERM, "first": -signal.SIGTERM}
    assert (tmp_path / "first.log").exists()


def test_run_command_raises_with_the_output(tmp_path):
    log = tmp_path / "cmd.log"
    assert run_command([sys.executable, "-c", "print('hello')"], log) == "hello\n"
    with pytest.raises(CommandError) as info:
        run_command([sys.executable, "-c", "import sys; sys.exit('bad thing')"], log)
    assert "exited with status 1" in str(info.value) and info.value.output == "bad thing"
    assert "hello" in log.read_text() and "bad thing" in log.read_text()


def test_recorded_services_are_stopped_later_and_reused_pids_are_left_alone(tmp_path):
    services = Services(tmp_path, outlive_demo=True)
    service = services.start("sleeper", ["sleep", "60"])
    record = services.record()
    other = subprocess.Popen(["sleep", "61"])
    try:
        data = json.loads(record.read_text())
        # a record whose pid now runs something else is not signalled
        data["services"].append({"name": "stranger", "pid": other.pid, "argv": ["sleep", "60"]})
        record.write_text(json.dumps(data))
        assert stop_recorded(tmp_path) == ["sleeper"]
        service.proc.wait(10)
        assert not service.alive()
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_services_die_with_a_killed_demo_unless_they_outlive_it(tmp_path):
    script = textwrap.dedent(f"""\
        import sys, time
        from pathlib import Path
        from quantum_zvm.demo.services import Services
        tied = Services(Path({str(tmp_path)!r}))
        free = Services(Path({str(tmp_path)!r}), outlive_demo=True)
        print(tied.start("tied", ["sleep", "60"]).pid, free.start("free", ["sleep", "60"]).pid,
              flush=True)
        time.sleep(60)
        """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    tied, free = (int(p) for p in parent.stdout.readline().split())
    try:
        assert pid_alive(tied) and pid_alive(free)
        parent.kill()
        parent.wait()
        wait_for(lambda: not pid_alive(tied), timeout=10, what="the tied service to die")
        assert pid_alive(free)
    finally:
        for pid in (tied, free):
            if pid_alive(pid):
                subprocess.run(["kill", str(pid)], check=False)
