"""Many zHCP commands in one dsh request, each with its own exit status and output.

``run_batch(client, node, commands, *, batch_size=500, idempotent=False) -> list[CommandOutcome]``

Each batch is one shell script sent in one ``PUT nodes/<node>/dsh``::

    <command 0>
    echo "<token>:0:$?"
    <command 1>
    echo "<token>:1:$?"

``<token>`` is fresh and random for every batch, so no command can print it;
a marker is accepted only with the expected next index, so text that merely
looks like a marker (another token, a wrong index) stays in the command's
output. The marker may end a line the command left unterminated; that partial
line is kept as the command's last output line.

Every command is an argument vector from :mod:`xcat.smcli` (rendered with
:func:`xcat.smcli.render`). The result has one :class:`CommandOutcome` per
command, in order: exit status, output lines, the SMAPI error of a failure
block and its :class:`xcat.outcomes.Outcome`. Commands whose marker never
came back (the script was cut short) are ``NOT_RUN`` with ``exit_status``
None. A batch that xCAT could not run at all raises
:class:`xcat.errors.NodeUnreachableError` or :class:`xcat.errors.CommandError`;
HTTP failures raise the client's errors. Stderr cannot be attributed to one
command, so every failed outcome carries the batch's stderr lines.

``idempotent=True`` lets the client retry a batch whose request may have
reached the server (only pass it when every command is idempotent).

``guards`` (one :class:`Guard` per command) tie commands to keys, the ports
they serve: a command that fails (non-zero exit status) marks its keys, and
a ``skippable`` command whose keys are all marked is not run (outcome
``SKIPPED``, marker status ``S``), so a port's later steps never run after
an earlier step of it failed, within one script and across the batches of
one call.  The script keeps one shell variable per key::

    r=S; [ -z "$K0" ] && r=
    [ -z "$r" ] && <command 1>
    s=$?; [ -n "$r" ] && s=S; echo "<token>:1:$s"; [ "$s" = 0 ] || K0=1

Exit status is all the shell sees, so a command that fails with status 0
marks nothing (its outcome is still FAILED), and one that exits non-zero
but succeeded (an already-done SMAPI code, 0/8) marks its keys: the later
steps are then skipped and planned again by the caller.  :func:`skips` is
the same rule as a pure function.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Sequence

from xcat import smcli
from xcat.errors import CommandError, NodeUnreachableError, SmapiError
from xcat.outcomes import Outcome, classify
from xcat.smcli_parsers import parse_failure

DEFAULT_BATCH_SIZE = 500
SKIPPED_STATUS = "S"


@dataclass(frozen=True)
class Guard:
    """How one command depends on the commands before it (see the module docstring)."""

    keys: tuple[str, ...] = ()
    skippable: bool = False


def skips(guards: Sequence[Guard], failing: set[int]) -> set[int]:
    """The indexes of commands a guarded script skips when the commands at
    ``failing`` (those that run) exit non-zero."""
    marked: set[str] = set()
    skipped: set[int] = set()
    for index, guard in enumerate(guards):
        if guard.skippable and guard.keys and marked.issuperset(guard.keys):
            skipped.add(index)
        elif index in failing:
            marked.update(guard.keys)
    return skipped


@dataclass
class CommandOutcome:
    """The result of one command of a batch."""

    index: int
    argv: tuple[str, ...]
    exit_status: int | None
    stdout_lines: list[str] = field(default_factory=list)
    outcome: Outcome = Outcome.NOT_RUN
    error: SmapiError | None = None
    batch_stderr: list[str] = field(default_factory=list)

    @property
    def function(self) -> str | None:
        return smcli.function_of(self.argv)

    @property
    def command(self) -> str:
        return smcli.render(self.argv)

    @property
    def ok(self) -> bool:
        """True for OK and ALREADY_DONE."""
        return self.outcome.succeeded

    def describe(self) -> str:
        """A one-line summary for logs and error reports."""
        if self.error is not None:
            return str(self.error)
        if self.outcome is Outcome.NOT_RUN:
            return f"{self.function or self.argv[0]}: result lost (batch cut short)"
        tail = " | ".join(self.stdout_lines[-3:] + self.batch_stderr[-2:])
        return f"{self.function or self.argv[0]}: exit status {self.exit_status}" + (
            f": {tail}" if tail else "")


def make_token() -> str:
    return "QZVM" + secrets.token_hex(12)


def build_script(commands: Sequence[Sequence[str]], token: str,
                 guards: Sequence[Guard] | None = None,
                 marked: Sequence[str] = ()) -> str:
    """The shell script of one batch (see the module docstring); ``marked``
    keys start marked (they failed in an earlier batch of the same call)."""
    if guards is None:
        return "\n".join(f'{smcli.render(argv)}\necho "{token}:{index}:$?"'
                          for index, argv in enumerate(commands))
    names: dict[str, str] = {}
    for guard in guards:
        for key in guard.keys:
            names.setdefault(key, f"K{len(names)}")
    lines = []
    preset = [f"{names[key]}=1" for key in dict.fromkeys(marked) if key in names]
    if preset:
        lines.append(" ".join(preset))
    for index, (argv, guard) in enumerate(zip(commands, guards, strict=True)):
        lines += _guarded_lines(smcli.render(argv), f"{token}:{index}",
                                [names[key] for key in guard.keys], guard.skippable)
    return "\n".join(lines)


def _guarded_lines(command: str, marker: str, variables: list[str],
                   skippable: bool) -> list[str]:
    if not variables:
        return [command, f'echo "{marker}:$?"']
    mark = "[ \"$s\" = 0 ] || " + " ".join(f"{v}=1" for v in variables)
    if not skippable:
        return [command, f's=$?; echo "{marker}:$s"; {mark}']
    unmarked = "; ".join(f'[ -z "${v}" ] && r=' for v in variables)
    return [f"r={SKIPPED_STATUS}; {unmarked}",
            f'[ -z "$r" ] && {command}',
            f's=$?; [ -n "$r" ] && s={SKIPPED_STATUS}; echo "{marker}:$s"; {mark}']


def split_output(lines: list[str], token: str,
                 count: int) -> tuple[list[tuple[int | None, list[str]]], list[str]]:
    """Split a batch's stdout by markers.

    Returns ``([(exit_status, lines) for each finished command], leftover)``
    where ``leftover`` is output after the last marker (from the command that
    did not finish); the exit status of a skipped command is None.
    """
    finished: list[tuple[int | None, list[str]]] = []
    buffer: list[str] = []
    # One pattern for the whole batch: any index is captured, then compared with
    # the expected one as text (so "07" is not 7). A marker can only end a line
    # and the token (letters and hex) cannot occur inside "<digits>:<digits>",
    # so a line has at most one candidate: the same lines match as with one
    # pattern per expected index, without compiling a pattern per command.
    marker = re.compile(re.escape(f"{token}:") + r"(\d+):(\d{1,3}|" + SKIPPED_STATUS + ")$")
    expected = "0"
    for line in lines:
        if len(finished) < count and token in line:
            match = marker.search(line)
            if match and match.group(1) == expected:
                partial = line[:match.start()]
                if partial:
                    buffer.append(partial)
                status = match.group(2)
                finished.append((None if status == SKIPPED_STATUS else int(status), buffer))
                buffer = []
                expected = str(len(finished))
                continue
        buffer.append(line)
    return finished, buffer


def interpret(index: int, argv: Sequence[str], exit_status: int | None,
              lines: list[str], stderr: list[str], node: str | None = None, *,
              skipped: bool = False) -> CommandOutcome:
    """Build the outcome of one command from its exit status and output."""
    result = CommandOutcome(index=index, argv=tuple(argv), exit_status=exit_status,
                            stdout_lines=lines)
    if skipped:
        result.outcome = Outcome.SKIPPED
        return result
    if exit_status is None:
        result.outcome = Outcome.NOT_RUN
        result.batch_stderr = list(stderr)
        return result
    function = smcli.function_of(argv)
    failure = parse_failure(lines) if function else None
    if failure is not None:
        rc, rs, description = failure
        target = argv[argv.index("-T") + 1] if "-T" in argv[:-1] else None
        result.error = SmapiError(function or argv[0], rc, rs, description, target=target,
                                  node=node)
        result.outcome = classify(function, rc, rs)
        if result.outcome.succeeded:
            result.error = None
    elif exit_status == 0:
        result.outcome = Outcome.OK
    else:
        result.outcome = Outcome.FAILED
    if not result.ok:
        result.batch_stderr = list(stderr)
    return result


def run_batch(client, node: str, commands: Sequence[Sequence[str]], *,
              batch_size: int = DEFAULT_BATCH_SIZE, idempotent: bool = False,
              guards: Sequence[Guard] | None = None) -> list[CommandOutcome]:
    """Run ``commands`` on ``node`` in as few dsh requests as ``batch_size`` allows."""
    if batch_size < 1:
        raise ValueError("batch_size: must be >= 1")
    if guards is not None and len(guards) != len(commands):
        raise ValueError("guards: one per command")
    vectors = [list(argv) for argv in commands]
    for argv in vectors:
        smcli.render(argv)  # validate every command before sending anything
    outcomes: list[CommandOutcome] = []
    for start in range(0, len(vectors), batch_size):
        chunk = vectors[start:start + batch_size]
        token = make_token()
        chunk_guards = None if guards is None else guards[start:start + batch_size]
        script = build_script(chunk, token, chunk_guards,
                              marked=_marked_keys(outcomes, guards))
        result = client.dsh(node, script, idempotent=idempotent)
        finished, leftover = split_output(result.stdout_lines, token, len(chunk))
        if not finished and result.exit_status not in (0, None):
            if result.unreachable:
                raise NodeUnreachableError(node, f"batch of {len(chunk)} commands",
                                           result.exit_status, result.stdout_lines,
                                           result.stderr_lines + result.errors,
                                           reason="node unreachable")
            raise CommandError(node, f"batch of {len(chunk)} commands", result.exit_status,
                               result.stdout_lines, result.stderr_lines + result.errors,
                               reason="the batch script did not run")
        stderr = result.stderr_lines + result.errors
        for offset, argv in enumerate(chunk):
            index = start + offset
            if offset < len(finished):
                status, lines = finished[offset]
                outcomes.append(interpret(index, argv, status, lines, stderr, node,
                                          skipped=status is None))
            else:
                lines = leftover if offset == len(finished) else []
                outcomes.append(interpret(index, argv, None, lines, stderr, node))
    return outcomes


def _marked_keys(outcomes: Sequence[CommandOutcome],
                 guards: Sequence[Guard] | None) -> list[str]:
    """Keys that earlier batches marked: a command exited non-zero or its result
    was lost (it may have failed)."""
    if guards is None:
        return []
    return [key for outcome, guard in zip(outcomes, guards)
            if outcome.exit_status != 0 and outcome.outcome is not Outcome.SKIPPED
            for key in guard.keys]
