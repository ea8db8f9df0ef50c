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

**Size.** xdsh hands the whole script to ssh as ONE exec argument, after
``export NODE=<node>; `` and its locale pre-command and before its
``DSH_TARGET_RC`` post-command; Linux refuses an argument of 131,072 bytes
(MAX_ARG_STRLEN, with its NUL) and then nothing runs.  A batch ends before
its script (markers and guard lines included, measured on the script
actually built) exceeds :data:`MAX_SCRIPT_BYTES`, which leaves
:data:`XDSH_MARGIN` bytes for what xdsh adds, whatever ``batch_size`` says.

**Duration.** The xCAT MN's web tier answers only when xcatd is done, and
Apache ends a request after its ``Timeout`` (60 s by default) while the
commands go on.  With ``expected_seconds`` (a per-command estimate) and
``max_seconds``, a batch also ends before its estimated duration exceeds
``max_seconds`` (a batch holds at least one command).

**Unknown outcome.** When a non-idempotent batch request fails after it may
have reached the xCAT MN (a timeout, a reset once sent, HTTP 5xx such as
Apache's 504, an unreadable reply), its commands may have run, may still be
running, or not: :class:`BatchOutcomeUnknown` carries the outcomes of the
earlier batches, the indexes of the unknown one, and its estimated duration.
Nothing is retried: the caller must wait and re-read the state.

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

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xcat import smcli
from xcat.errors import (
    CommandError,
    NodeUnreachableError,
    SmapiError,
    XcatConnectionError,
    XcatError,
    XcatRequestError,
)
from xcat.outcomes import Outcome, classify
from xcat.smcli_parsers import parse_failure

DEFAULT_BATCH_SIZE = 500
SKIPPED_STATUS = "S"
# Linux include/uapi/linux/binfmts.h: the longest exec argument, its NUL included.
MAX_ARG_STRLEN = 131072
# What xdsh adds around the script (perl-xCAT/xCAT/DSHCLI.pm, xcat-core tag 2.8.3,
# ccb66ff79: "export NODE=<node>; ", the locale pre-command (~400 bytes), an
# optional "export PATH=<DSH_PATH>;" and the ~70-byte post-command), with room to spare.
XDSH_MARGIN = 8192
MAX_SCRIPT_BYTES = MAX_ARG_STRLEN - XDSH_MARGIN

SecondsEstimate = Callable[[Sequence[str]], float]


class BatchOutcomeUnknown(XcatError):
    """A batch request failed after it may have reached the xCAT MN: the commands
    at ``unknown`` may have run (or still be running, for about ``seconds``)."""

    def __init__(self, node: str, outcomes: list[CommandOutcome], unknown: range,
                 seconds: float | None, cause: XcatError):
        self.node = node
        self.outcomes = outcomes
        self.unknown = unknown
        self.seconds = seconds
        self.cause = cause
        super().__init__(f"{node}: outcome of commands {unknown.start}-{unknown.stop - 1} "
                         f"unknown (not re-run): {cause}")


def may_have_run(exc: XcatError) -> bool:
    """Whether a failed request may have reached xcatd (so its commands may have run)."""
    if isinstance(exc, XcatConnectionError):
        return exc.request_sent
    # a 4xx (auth, unknown node, bad request) is refused before xdsh runs; a 5xx or an
    # unreadable 200 may come after it ran
    return isinstance(exc, XcatRequestError) and not 400 <= exc.status < 500


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


def build_script(lines: Sequence[str], token: str, guards: Sequence[Guard] | None = None,
                 marked: Sequence[str] = ()) -> str:
    """The shell script of one batch of commands rendered by :func:`smcli.render` (see
    the module docstring); ``marked`` keys start marked (they failed in an earlier
    batch of the same call)."""
    if guards is None:
        return "\n".join(f'{line}\necho "{token}:{index}:$?"'
                          for index, line in enumerate(lines))
    names: dict[str, str] = {}
    for guard in guards:
        for key in guard.keys:
            names.setdefault(key, f"K{len(names)}")
    preset = [f"{names[key]}=1" for key in dict.fromkeys(marked) if key in names]
    script = []
    if preset:
        script.append(" ".join(preset))
    for index, (line, guard) in enumerate(zip(lines, guards, strict=True)):
        script += _guarded_lines(line, f"{token}:{index}",
                                 [names[key] for key in guard.keys], guard.skippable)
    return "\n".join(script)


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
    expected = "0"
    for line in lines:
        if len(finished) < count and token in line:
            marker = _marker(line, token)
            if marker is not None and marker[1] == expected:
                partial, _, status = marker
                if partial:
                    buffer.append(partial)
                finished.append((None if status == SKIPPED_STATUS else int(status), buffer))
                buffer = []
                expected = str(len(finished))
                continue
        buffer.append(line)
    return finished, buffer


def _marker(line: str, token: str) -> tuple[str, str, str] | None:
    """``(text before, index, exit status)`` of the marker ``<token>:<index>:<status>``
    that ends ``line`` (status: up to 3 digits, or the skipped mark), else None.
    The marker is after the token's last occurrence: the token (letters and hex)
    cannot occur in ``<digits>:<digits>``.  The index is returned as written, so
    that "07" is not taken for 7."""
    before, found, tail = line.rpartition(token + ":")
    if not found:
        return None
    index, colon, status = tail.partition(":")
    if not (colon and _ascii_digits(index)
            and (status == SKIPPED_STATUS or (_ascii_digits(status) and len(status) <= 3))):
        return None
    return before, index, status


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


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
        result.outcome = classify(function, rc, rs, argv)
        if result.outcome.succeeded:
            result.error = None
    elif exit_status == 0:
        result.outcome = Outcome.OK
    else:
        result.outcome = Outcome.FAILED
    if not result.ok:
        result.batch_stderr = list(stderr)
    return result


def script_fits(script: str) -> bool:
    """Whether xdsh can run ``script`` with room for what it adds (see the module docstring)."""
    return len(script.encode("utf-8", errors="surrogateescape")) <= MAX_SCRIPT_BYTES


def seconds_limit(vectors: Sequence[Sequence[str]], start: int, stop: int,
                  expected_seconds: SecondsEstimate | None,
                  max_seconds: float | None) -> int:
    """The end of the longest run of commands from ``start`` (before ``stop``, at least
    one) whose estimated duration stays within ``max_seconds``."""
    if expected_seconds is None or max_seconds is None:
        return stop
    total = 0.0
    for end in range(start, stop):
        total += expected_seconds(vectors[end])
        if total > max_seconds and end > start:
            return end
    return stop


def next_batch(lines: Sequence[str], guards: Sequence[Guard] | None,
               start: int, stop: int, token: str, marked: Sequence[str]) -> tuple[int, str]:
    """``(end, script)`` of the longest batch of the rendered commands ``lines[start:end]``
    (``end <= stop``) whose script fits; the script's size grows with ``end``, so a
    binary search on the scripts actually built finds it."""
    def script(end: int) -> str:
        return build_script(lines[start:end], token,
                            None if guards is None else guards[start:end], marked)
    candidate = script(stop)
    if script_fits(candidate):
        return stop, candidate
    fits, best = start + 1, candidate if stop == start + 1 else script(start + 1)
    if not script_fits(best):
        raise ValueError(f"command {start}: too long for one dsh request "
                         f"({MAX_SCRIPT_BYTES} bytes)")
    too_long = stop
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        text = script(middle)
        if script_fits(text):
            fits, best = middle, text
        else:
            too_long = middle
    return fits, best


def check_commands(commands: Sequence[Sequence[str]],
                   guards: Sequence[Guard] | None = None) -> list[str]:
    """The commands rendered (:func:`smcli.render`, once each); raise ValueError for a
    command no builder accepts or no dsh request can carry, before anything is sent."""
    lines = [smcli.render(argv) for argv in commands]
    probe = make_token()
    for index in range(len(lines)):
        next_batch(lines, guards, index, index + 1, probe, ())
    return lines


@dataclass
class BatchRun:
    """What :func:`run_batches` got: the outcomes of the commands whose batches
    answered, in order, and the error that stopped it (None when all answered):
    a :class:`BatchOutcomeUnknown` when the stopping batch may have run."""

    outcomes: list[CommandOutcome]
    error: XcatError | None = None


def run_batch(client, node: str, commands: Sequence[Sequence[str]], *,
              batch_size: int = DEFAULT_BATCH_SIZE, idempotent: bool = False,
              guards: Sequence[Guard] | None = None,
              expected_seconds: SecondsEstimate | None = None,
              max_seconds: float | None = None) -> list[CommandOutcome]:
    """Run ``commands`` on ``node`` in as few dsh requests as ``batch_size``, the
    script size and ``max_seconds`` allow (see the module docstring); the error
    of a batch that did not answer is raised."""
    run = run_batches(client, node, commands, batch_size=batch_size, idempotent=idempotent,
                      guards=guards, expected_seconds=expected_seconds,
                      max_seconds=max_seconds)
    if run.error is not None:
        raise run.error
    return run.outcomes


def run_batches(client, node: str, commands: Sequence[Sequence[str]], *,
                batch_size: int = DEFAULT_BATCH_SIZE, idempotent: bool = False,
                guards: Sequence[Guard] | None = None,
                expected_seconds: SecondsEstimate | None = None,
                max_seconds: float | None = None,
                rendered: Sequence[str] | None = None) -> BatchRun:
    """:func:`run_batch`, but the outcomes of the batches that answered are kept
    when a later one fails (the caller records what ran); invalid commands still
    raise ValueError before anything is sent (``rendered``: the commands as the
    caller's :func:`check_commands` rendered them, already checked)."""
    if batch_size < 1:
        raise ValueError("batch_size: must be >= 1")
    if guards is not None and len(guards) != len(commands):
        raise ValueError("guards: one per command")
    vectors = [list(argv) for argv in commands]
    scripted = check_commands(vectors, guards) if rendered is None else rendered
    outcomes: list[CommandOutcome] = []
    start = 0
    while start < len(vectors):
        token = make_token()
        stop = seconds_limit(vectors, start, min(len(vectors), start + batch_size),
                             expected_seconds, max_seconds)
        end, script = next_batch(scripted, guards, start, stop, token,
                                 _marked_keys(outcomes, guards))
        chunk = vectors[start:end]
        try:
            result = client.dsh(node, script, idempotent=idempotent)
        except XcatError as exc:
            if idempotent or not may_have_run(exc):
                return BatchRun(outcomes, exc)
            seconds = None if expected_seconds is None else sum(
                expected_seconds(argv) for argv in chunk)
            unknown = BatchOutcomeUnknown(node, outcomes, range(start, end), seconds, exc)
            unknown.__cause__ = exc
            return BatchRun(outcomes, unknown)
        finished, leftover = split_output(result.stdout_lines, token, len(chunk))
        if not finished and result.exit_status not in (0, None):
            error_class = NodeUnreachableError if result.unreachable else CommandError
            return BatchRun(outcomes, error_class(
                node, f"batch of {len(chunk)} commands", result.exit_status,
                result.stdout_lines, result.stderr_lines + result.errors,
                reason="node unreachable" if result.unreachable
                else "the batch script did not run"))
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
        start = end
    return BatchRun(outcomes)


def _marked_keys(outcomes: Sequence[CommandOutcome],
                 guards: Sequence[Guard] | None) -> list[str]:
    """Keys that earlier batches marked: a command exited non-zero or its result
    was lost (it may have failed)."""
    if guards is None:
        return []
    # Outcomes cover only the commands run so far, guards every command.
    return [key for outcome, guard in zip(outcomes, guards, strict=False)
            if outcome.exit_status != 0 and outcome.outcome is not Outcome.SKIPPED
            for key in guard.keys]
