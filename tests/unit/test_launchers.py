"""bin/ launchers: one per console script, each runs its command from a checkout."""
import re
import subprocess
import sys

import pytest

from tests.fixtures.procs import REPO

SCRIPTS = dict(re.findall(r'"([\w-]+) = ([\w.]+:\w+)"',
                          (REPO / "setup.py").read_text().split('"oslo.config.opts"')[0]))


def test_a_launcher_per_console_script():
    assert sorted(p.name for p in (REPO / "bin").iterdir()) == sorted(SCRIPTS)


def run(name, *args):
    return subprocess.run([sys.executable, str(REPO / "bin" / name), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", sorted(set(SCRIPTS) - {"quantum-zvm-rootwrap"}))
def test_launcher_runs_the_command(name):
    module, func = SCRIPTS[name].split(":")
    assert f"from {module} import {func}" in (REPO / "bin" / name).read_text()
    result = run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout.lower()


def test_rootwrap_launcher_is_oslo_rootwrap():
    result = run("quantum-zvm-rootwrap")
    assert result.returncode != 0
    assert "No command specified" in result.stderr
