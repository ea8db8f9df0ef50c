"""Every command says what it is: ``--version``, a one-line description in ``--help``, and a
help text for each option (real processes of the installed console scripts)."""
from __future__ import annotations

import re
import subprocess

import pytest

import quantum_zvm
from tests.fixtures.procs import command
from tests.unit.test_launchers import SCRIPTS

# quantum-zvm-rootwrap is oslo.rootwrap's command (no options, no --help).
COMMANDS = sorted(set(SCRIPTS) - {"quantum-zvm-rootwrap"})


def run(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([command(name), *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", COMMANDS)
def test_version(name):
    result = run(name, "--version")
    assert result.returncode == 0, result.stderr
    assert (result.stdout + result.stderr).strip() == f"{name} {quantum_zvm.__version__}"


def options_without_help(help_text: str) -> list[str]:
    """Options of an argparse help listed without a help text."""
    lines = help_text.splitlines()
    missing = []
    for number, line in enumerate(lines):
        if not line.startswith("  -"):
            continue
        parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        following = lines[number + 1] if number + 1 < len(lines) else ""
        continued = following.startswith("   ") and not following.strip().startswith("-")
        if len(parts) == 1 and not continued:
            missing.append(parts[0])
    return missing


SUBCOMMANDS = [("quantum-zvm-nic", "attach"), ("quantum-zvm-nic", "detach"),
               ("quantum-zvm-nic", "list"), ("quantum-zvm-db-manage", "upgrade")]


@pytest.mark.parametrize("argv", [(name,) for name in COMMANDS] + SUBCOMMANDS,
                         ids=lambda argv: " ".join(argv))
def test_help_has_a_description_and_every_option_a_help_text(argv):
    result = run(*argv, "--help")
    assert result.returncode == 0, result.stderr
    paragraphs = result.stdout.split("\n\n")
    assert paragraphs[0].startswith("usage:")
    description = paragraphs[1].strip()
    assert not description.startswith(("options:", "positional", "commands")), result.stdout
    assert options_without_help(result.stdout) == []
