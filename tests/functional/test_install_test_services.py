"""scripts/install-test-services.sh stops only a service its own install started, in bounded time.

The real script runs in a private mount namespace where one of its probes finds
nothing (an empty folder mounted over it), so it believes that package is
missing; ``apt-get`` and ``service`` are stand-ins on PATH that record their calls
(installing a server package "starts" its service, as Debian's postinst does).
Nothing on the machine is installed, started or stopped.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from tests.fixtures.procs import REPO

SCRIPT = REPO / "scripts/install-test-services.sh"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                reason="needs root and unshare (a private mount namespace)")

APT_GET = """\
#!/bin/sh
echo "apt-get $*" >> "$SHIM_STATE/calls"
[ "$1" = install ] || exit 0
for pkg in "$@"; do
    case "$pkg" in
        postgresql) touch "$SHIM_STATE/running-postgresql" ;;
        mariadb-server) touch "$SHIM_STATE/running-mariadb" ;;
        rabbitmq-server) touch "$SHIM_STATE/running-rabbitmq-server" ;;
    esac
done
"""
SERVICE = """\
#!/bin/sh
echo "service $*" >> "$SHIM_STATE/calls"
case "$2" in
    status) [ -f "$SHIM_STATE/running-$1" ] ;;
    stop) [ -f "$SHIM_STATE/hang" ] && exec sleep 600; rm -f "$SHIM_STATE/running-$1" ;;
esac
"""


def run_script(tmp_path: Path, hide: str, running: tuple[str, ...] = (), hang: bool = False,
               stop_seconds: int = 60) -> tuple[subprocess.CompletedProcess, list[str], float]:
    """Run the script with ``hide`` (a folder one probe looks at) empty; returns the result,
    the recorded calls other than status queries, and the seconds it took."""
    if not Path(hide).is_dir():
        pytest.skip(f"{hide} does not exist here, the probe already finds nothing")
    shims, state, empty = tmp_path / "shims", tmp_path / "state", tmp_path / "empty"
    for folder in (shims, state, empty):
        folder.mkdir()
    for name, text in (("apt-get", APT_GET), ("service", SERVICE)):
        (shims / name).write_text(textwrap.dedent(text))
        (shims / name).chmod(0o755)
    for service in running:
        (state / f"running-{service}").touch()
    if hang:
        (state / "hang").touch()
    env = {**os.environ, "PATH": f"{shims}:{os.environ['PATH']}", "SHIM_STATE": str(state),
           "QZVM_STOP_SECONDS": str(stop_seconds)}
    started = time.monotonic()
    process = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                f'mount --bind "{empty}" "{hide}" && exec "{SCRIPT}"'],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the script and whatever it left running
        process.communicate(timeout=10)
        raise AssertionError("the script did not finish within 60 s") from None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    seconds = time.monotonic() - started
    calls = (state / "calls").read_text().splitlines() if (state / "calls").exists() else []
    return result, [c for c in calls if not c.endswith(" status")], seconds


def test_only_the_service_the_install_started_is_stopped(tmp_path):
    result, calls, _ = run_script(tmp_path, "/usr/lib/postgresql",
                                  running=("mariadb", "rabbitmq-server"))
    assert result.returncode == 0, result.stderr
    assert calls == ["apt-get update -q",
                     "apt-get install -y -q --no-install-recommends postgresql",
                     "service postgresql stop"]


def test_a_service_running_before_the_install_is_left_running(tmp_path):
    result, calls, _ = run_script(tmp_path, "/usr/lib/postgresql",
                                  running=("postgresql", "mariadb", "rabbitmq-server"))
    assert result.returncode == 0, result.stderr
    assert not [c for c in calls if c.startswith("service")]


def test_installing_only_build_packages_stops_no_service(tmp_path):
    result, calls, _ = run_script(tmp_path, "/usr/include/mariadb",
                                  running=("postgresql", "mariadb", "rabbitmq-server"))
    assert result.returncode == 0, result.stderr
    assert calls == ["apt-get update -q",
                     "apt-get install -y -q --no-install-recommends libmariadb-dev"]


def test_a_stop_that_hangs_is_given_up_after_the_time_limit(tmp_path):
    result, calls, seconds = run_script(tmp_path, "/usr/lib/postgresql", hang=True,
                                        stop_seconds=2)
    assert result.returncode == 0, result.stderr
    assert "service postgresql stop" in calls
    assert "could not stop postgresql within 2 s" in result.stderr
    assert seconds < 30
