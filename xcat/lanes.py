"""Commands of independent guests in concurrent dsh requests: one lane per SMAPI worker.

A z/VM system's SMAPI server hands requests to several worker servers that run
side by side (VSMWORK1, VSMWORK2 and VSMWORK3 in a standard z/VM 6 install:
IBM "z/VM Systems Management Application Programming" SC24-6234, "Worker
Servers"; xcat-core ``xCAT-server/lib/xcat/plugins/zvm.pm`` restarts them with
``--resetsmapi``), and every smcli process on the zHCP is one SMAPI request.  A
dsh request runs its script's commands one after another, so a client that
keeps one request in flight uses one worker.  Directory changes still queue for
DirMaint, one at a time, whatever the number of lanes.

- :func:`partition` (pure) puts command indexes into at most ``count`` lanes:
  commands that share a key (a guest's userid, a port, a vswitch port number)
  are in the same lane, in their original order, so everything one guest
  needs happens in the order it was planned; lanes are balanced by the
  commands' expected seconds (largest group first, to the lightest lane).
- :func:`run_lanes` runs every lane with :func:`xcat.batch.run_batches` (each
  request still bounded in bytes and expected duration) in threads of its
  own, and puts the outcomes back by command index.  A lane that stops early
  does not stop the others: its later commands have no outcome, those of a
  batch that may have run are listed in :attr:`LaneRun.unknown`.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from xcat.batch import (
    BatchOutcomeUnknown,
    BatchRun,
    CommandOutcome,
    Guard,
    SecondsEstimate,
    check_commands,
    run_batches,
)
from xcat.errors import XcatError


def partition(keys: Sequence[Iterable[Hashable]], weights: Sequence[float],
              count: int) -> list[list[int]]:
    """Command indexes grouped into at most ``count`` non-empty lanes (see the
    module docstring); ``keys[i]`` and ``weights[i]`` belong to command ``i``."""
    if count < 1:
        raise ValueError("count: must be >= 1")
    if len(keys) != len(weights):
        raise ValueError("weights: one per command")
    parent = list(range(len(keys)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[Hashable, int] = {}
    for index, command_keys in enumerate(keys):
        for key in command_keys:
            if key in owner:
                parent[root(index)] = root(owner[key])
            else:
                owner[key] = index
    groups: dict[int, list[int]] = {}
    for index in range(len(keys)):
        groups.setdefault(root(index), []).append(index)
    lanes: list[list[int]] = [[] for _ in range(min(count, len(groups)))]
    load = [0.0] * len(lanes)
    heaviest_first = sorted(groups.values(),
                            key=lambda group: (-sum(weights[i] for i in group), group[0]))
    for group in heaviest_first:
        lightest = min(range(len(lanes)), key=lambda lane: (load[lane], len(lanes[lane]), lane))
        lanes[lightest] += group
        load[lightest] += sum(weights[i] for i in group)
    return [sorted(lane) for lane in lanes]


@dataclass
class LaneRun:
    """The outcomes of :func:`run_lanes` by command index (None: no outcome), the
    indexes whose batch may have run, and the errors that stopped lanes."""

    outcomes: list[CommandOutcome | None]
    unknown: frozenset[int] = frozenset()
    errors: list[XcatError] = field(default_factory=list)

    @property
    def outcome_unknown(self) -> BatchOutcomeUnknown | None:
        """The stopping error of a lane whose last batch may have run (the one
        expected to run longest, so that waiting for it covers the others)."""
        unknown = [e for e in self.errors if isinstance(e, BatchOutcomeUnknown)]
        return max(unknown, key=lambda e: e.seconds or 0.0, default=None)

    @property
    def failure(self) -> XcatError | None:
        """The first stopping error of a lane whose batches are known not to have run."""
        return next((e for e in self.errors if not isinstance(e, BatchOutcomeUnknown)), None)


def run_lanes(client, node: str, commands: Sequence[Sequence[str]],
              lanes: Sequence[Sequence[int]], *, guards: Sequence[Guard] | None = None,
              batch_size: int, expected_seconds: SecondsEstimate | None = None,
              max_seconds: float | None = None, idempotent: bool = False) -> LaneRun:
    """Run each lane's commands (indexes into ``commands``) as one sequence of dsh
    requests, the lanes side by side; invalid commands raise ValueError first.
    ``idempotent`` as for :func:`xcat.batch.run_batch` (queries only)."""
    rendered = check_commands(commands, guards)

    def run(lane: Sequence[int]) -> BatchRun:
        return run_batches(client, node, [commands[i] for i in lane],
                           guards=None if guards is None else [guards[i] for i in lane],
                           batch_size=batch_size, expected_seconds=expected_seconds,
                           max_seconds=max_seconds, idempotent=idempotent,
                           rendered=[rendered[i] for i in lane])

    if len(lanes) <= 1:
        runs = [run(lane) for lane in lanes]
    else:
        with concurrent.futures.ThreadPoolExecutor(len(lanes),
                                                   thread_name_prefix=f"dsh-{node}") as pool:
            runs = list(pool.map(run, lanes))
    result = LaneRun(outcomes=[None] * len(commands))
    unknown: set[int] = set()
    for lane, lane_run in zip(lanes, runs, strict=True):
        for outcome in lane_run.outcomes:
            result.outcomes[lane[outcome.index]] = dataclasses.replace(
                outcome, index=lane[outcome.index])
        if lane_run.error is not None:
            result.errors.append(lane_run.error)
            if isinstance(lane_run.error, BatchOutcomeUnknown):
                unknown.update(lane[i] for i in lane_run.error.unknown)
    result.unknown = frozenset(unknown)
    return result
