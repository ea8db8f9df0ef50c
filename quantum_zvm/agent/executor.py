"""Run a plan (and the agent's queries) against z/VM through xCAT, batched.

- z/VM operations become smcli command lines (:mod:`xcat.smcli` builders)
  shipped in as few dsh requests as ``batch_size`` allows
  (:func:`xcat.batch.run_batch`); every command's result is checked and
  classified (:mod:`xcat.outcomes`): already-done counts as success, a live
  operation on a logged-off guest is expected (the directory change applies
  at its next logon).
- Each command is guarded by the ports it serves (:func:`guard_for`): once a
  step of a port failed, its later constructive steps (define, grant, port,
  couple) are skipped in the same script, so a failed directory couple is
  never followed by a live couple; undo steps always run.  A port whose
  steps were skipped although none failed (a step exited non-zero with an
  already-done code) is ``incomplete``: not reported, planned again.
- xCAT rows of the ports whose operations all succeeded are written
  afterwards as ``tabch`` lines of one dsh script on the xCAT MN node (the
  v1 REST API writes one row per PUT).
- Reports: the planned outcome of every port, or ERROR with the SMAPI
  rc/rs of the operation that failed.

- Duration: a dsh request answers only when every command is done, and the
  xCAT MN's Apache ends a request after its ``Timeout`` (60 s by default)
  while the commands go on; so a batch also ends before its estimate
  (``call_seconds`` per smcli call, ``dirmaint_seconds`` per directory call,
  times the number of lanes: DirMaint serves the lanes one call at a time)
  exceeds ``request_seconds``.
- Unknown outcome: when a batch request of a plan fails after it may have
  run (:class:`xcat.batch.BatchOutcomeUnknown`: Apache's 504, a read
  timeout...), nothing is re-run.  Its constructive operations are recorded
  as done (so they are undone if no port needs them) and its undo
  operations as failed (so they are undone again if they did not happen),
  its ports are not reported, and :meth:`Executor.execute` hands the error
  back in ``Execution.unknown``: the daemon waits for the request to end,
  then resyncs from what z/VM shows.

- Lanes: the commands of independent guests go out as concurrent dsh requests,
  one lane per SMAPI worker (``workers``, :mod:`xcat.lanes`); a guest's
  commands (and those of a vswitch port number) stay in one lane, in plan
  order, so per guest nothing changes but the request they travel in.  A
  lane that stops early leaves the others' results standing: operations it
  never sent are planned again, those of a request that may have run are
  recorded as above, and the error is handed back (``Execution.unknown``,
  ``Execution.failure``).

Queries (vswitches and guest directories) are spread over the lanes too.
Failures of a whole request (HTTP, xCAT, zHCP unreachable) raise
:class:`xcat.errors.XcatError`; the daemon backs off and resyncs.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from quantum_zvm.agent import observed as obs
from quantum_zvm.agent.model import (
    CONSTRUCTIVE_OPS,
    STATUS_ERROR,
    TRUNK,
    AddRows,
    CoupleDirectory,
    CoupleLive,
    DefineNic,
    DefineNicLive,
    DeleteNic,
    DeleteNicLive,
    DeleteRows,
    GrantOp,
    ObservedGuest,
    ObservedVswitch,
    Op,
    Outcome,
    Plan,
    RemovePort,
    Report,
    Revoke,
    SetPort,
    UncoupleDirectory,
    UncoupleLive,
    WriteSwitchRow,
)
from quantum_zvm.agent.planner import Result
from quantum_zvm.common import constants
from xcat import batch, smcli, smcli_parsers, tables, zvm_names
from xcat.batch import CommandOutcome, Guard
from xcat.errors import SmapiError, XcatError, XcatRequestError
from xcat.lanes import LaneRun, partition, run_lanes
from xcat.outcomes import Outcome as CmdOutcome

LOG = logging.getLogger(__name__)

# Connect_Vswitch on a device the running guest does not have.
_NO_DIRECTORY_ENTRY = (400, 4)  # Image_Query_DM: image definition not found
_NO_SUCH_DEVICE = (204, 8)
_COMMAND_NOT_FOUND = 127

class _RestRow:
    """One tabch line written through ``PUT tables/<t>`` instead (same outcome API)."""

    def __init__(self, client, argv: list[str]):
        self.argv = argv
        self.error: str | None = None
        table = argv[-1] if argv[1] == "-d" else argv[2].split(".", 1)[0]
        try:
            if argv[1] == "-d":
                tables.tabch_delete(client, table, [_key_map(argv[2])])
            else:
                values = dict(word.split("=", 1) for word in argv[2:])
                tables.tabch_upsert(client, table, [(
                    _key_map(argv[1]), {k.split(".", 1)[1]: v for k, v in values.items()})])
        except XcatError as exc:
            if not isinstance(exc, XcatRequestError):
                raise
            self.error = str(exc)

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe(self) -> str:
        return self.error or "ok"


def _key_map(spec: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in spec.split(","))


def vlan_chunks(vlans: Sequence[int]) -> list[list[tuple[int, int]]]:
    """Split a VLAN set into groups one Set_Extended call can carry
    (at most 4 single VLANs, or at most 2 items when one is a range)."""
    spans: list[list[int]] = []
    for vlan in sorted(set(vlans)):
        if spans and vlan == spans[-1][1] + 1:
            spans[-1][1] = vlan
        else:
            spans.append([vlan, vlan])
    chunks: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for low, high in spans:
        candidate = current + [(low, high)]
        has_range = any(a != b for a, b in candidate)
        if len(candidate) > (smcli.MAX_VLAN_RANGES if has_range else smcli.MAX_SINGLE_VLANS):
            chunks.append(current)
            current = [(low, high)]
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def commands_for(op: Op) -> list[list[str]]:
    """The smcli argument vectors of one z/VM operation (validated by the builders)."""
    if isinstance(op, UncoupleLive):
        return [smcli.adapter_disconnect(op.userid, op.vdev)]
    if isinstance(op, UncoupleDirectory):
        return [smcli.adapter_disconnect_dm(op.userid, op.vdev)]
    if isinstance(op, DeleteNicLive):
        return [smcli.adapter_delete(op.userid, op.vdev)]
    if isinstance(op, DeleteNic):
        return [smcli.adapter_delete_dm(op.userid, op.vdev)]
    if isinstance(op, Revoke):
        return [smcli.vswitch_revoke(op.vswitch, op.userid, persist=True)]
    if isinstance(op, DefineNic):
        return [smcli.adapter_create_dm(op.userid, op.vdev, macid=op.macid)]
    if isinstance(op, DefineNicLive):
        return [smcli.adapter_create(op.userid, op.vdev)]
    if isinstance(op, GrantOp):
        if not op.vlans:
            return [smcli.vswitch_grant(op.vswitch, op.userid, port_type=op.porttype,
                                        persist=True)]
        if op.porttype != TRUNK:
            return [smcli.vswitch_grant(op.vswitch, op.userid, vlans=list(op.vlans),
                                        port_type=op.porttype, persist=True)]
        # a TRUNK grant adds VLANs, so a large set goes in several calls
        return [smcli.vswitch_grant(op.vswitch, op.userid, vlans=chunk, port_type=TRUNK,
                                    persist=True) for chunk in vlan_chunks(op.vlans)]
    if isinstance(op, RemovePort):
        return [smcli.vswitch_remove_port(op.userid, op.vswitch, op.portnum, persist=True)]
    if isinstance(op, SetPort):
        return [smcli.vswitch_set_port(op.vswitch, op.portnum, op.userid,
                                       vlans=list(op.vlans) or None, port_type=op.porttype,
                                       persist=True)]
    if isinstance(op, CoupleDirectory):
        if op.portnum is not None:
            # Connect_Vswitch_DM cannot name a port: update the NICDEF (merged by vdev)
            return [smcli.image_definition_update_dm(op.userid, [smcli.NicDef(
                op.vdev, lan_owner="SYSTEM", lan_name=op.vswitch, port_number=op.portnum)])]
        return [smcli.adapter_connect_vswitch_dm(op.userid, op.vdev, op.vswitch)]
    if isinstance(op, CoupleLive):
        if op.portnum is not None:
            return [smcli.adapter_connect_vswitch_extended(op.userid, op.vdev, op.vswitch,
                                                          port=op.portnum)]
        return [smcli.adapter_connect_vswitch(op.userid, op.vdev, op.vswitch)]
    raise TypeError(f"not a z/VM operation: {op!r}")


def guard_for(op: Op) -> Guard:
    """The batch guard of an operation's commands: keyed by the ports it serves,
    skippable when it is constructive."""
    return Guard(tuple(op.ports), isinstance(op, CONSTRUCTIVE_OPS))


def classify(op: Op, outcomes: Sequence[CommandOutcome]) -> tuple[str, str | None]:
    """(:class:`Result`, error text) of an operation from its commands' outcomes."""
    for outcome in outcomes:
        if outcome.outcome is CmdOutcome.INACTIVE:
            return Result.LOGGED_OFF, None
        if outcome.outcome is CmdOutcome.SKIPPED:
            return Result.SKIPPED, None
        if outcome.ok:
            continue
        error = outcome.error
        if isinstance(op, CoupleLive) and error is not None and error.code == _NO_SUCH_DEVICE:
            return Result.NO_LIVE_NIC, None
        return Result.FAILED, describe_failure(op, outcome)
    return Result.OK, None


def unknown_result(op: Op, may_have_run: bool) -> str:
    """The result recorded for an operation whose commands' outcome is not all
    known: one that may have run (in part) counts, if constructive, as done (the
    agent's records keep it, to be undone if no port needs it), if an undo, as
    failed (its records stay, to be undone again if it did not happen); one
    never sent as skipped."""
    if not may_have_run:
        return Result.SKIPPED
    return Result.OK if isinstance(op, CONSTRUCTIVE_OPS) else Result.FAILED


def lane_keys(op: Op) -> set[tuple]:
    """What ties an operation's commands to others (:func:`xcat.lanes.partition`):
    its guest, the ports it serves and the vswitch port number it uses."""
    keys: set[tuple] = {("userid", getattr(op, "userid", None))}
    keys.update(("port", port) for port in op.ports)
    portnum = getattr(op, "portnum", None)
    if portnum is not None:
        keys.add(("vswitch port", getattr(op, "vswitch", None), portnum))
    return keys


def describe_failure(op: Op, outcome: CommandOutcome) -> str:
    """The reason shown on the port: what was attempted and SMAPI's rc/rs."""
    error = outcome.error
    what = op.describe()
    if isinstance(error, SmapiError):
        rs = "-" if error.rs is None else error.rs
        return (f"{error.function} failed for {what}: SMAPI rc {error.rc} rs {rs}: "
                f"{error.description}")
    return f"{what}: {outcome.describe()}"


@dataclass
class Execution:
    """What running a plan did."""
    results: dict[Op, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)      # port id -> reason
    reports: list[Report] = field(default_factory=list)
    smcli_calls: int = 0
    rows_written: int = 0
    transient: str | None = None        # xCAT failed writing rows; retried next cycle
    transient_ports: set[str] = field(default_factory=set)
    incomplete: set[str] = field(default_factory=set)   # steps skipped, none failed
    unknown: batch.BatchOutcomeUnknown | None = None    # a batch that may have run
    failure: XcatError | None = None    # a lane stopped; its later commands never ran

    @property
    def failed_ports(self) -> set[str]:
        return set(self.errors)


def expected_call_seconds(argv: Sequence[str], call_seconds: float,
                          dirmaint_seconds: float) -> float:
    """The expected duration of one command: directory functions go through
    DirMaint, anything else is priced as a SMAPI call."""
    function = smcli.function_of(argv)
    return dirmaint_seconds if function and smcli.goes_through_dirmaint(function) \
        else call_seconds


class Executor:
    """Talks to one zHCP (and the xCAT tables) for the agent."""

    def __init__(self, client, zhcp_node: str, zhcp_userid: str, mn_node: str, *,
                 batch_size: int = 1000,
                 request_seconds: float | None = constants.DSH_REQUEST_SECONDS,
                 call_seconds: float = constants.SMCLI_CALL_SECONDS,
                 dirmaint_seconds: float = constants.DIRMAINT_CALL_SECONDS,
                 workers: int = 1):
        self.client = client
        self.workers = workers
        self.zhcp_node = zhcp_node
        self.mn_node = mn_node
        self.tabch_on_mn = True
        self.zhcp_userid = zhcp_userid
        self.batch_size = batch_size
        self.call_seconds = call_seconds
        self.dirmaint_seconds = dirmaint_seconds
        self.limits = {"batch_size": batch_size, "max_seconds": request_seconds,
                       "expected_seconds": self.pricing(1)}

    def pricing(self, lanes: int):
        """The expected seconds of a command in one of ``lanes`` concurrent requests:
        DirMaint takes one directory call at a time, so a lane's directory call may
        wait for one of every other lane's first."""
        return functools.partial(expected_call_seconds, call_seconds=self.call_seconds,
                                 dirmaint_seconds=self.dirmaint_seconds * lanes)

    # ------------------------------------------------------------------ queries
    def observe(self, vswitches: Iterable[str] = (), guests: Iterable[str] = (),
                all_vswitches: bool = False
                ) -> tuple[dict[str, ObservedVswitch], list[ObservedGuest], dict[str, str]]:
        """Read vswitches and guest directories (in one dsh request per lane).

        Returns (vswitch states by name, guests read, problems by userid or
        vswitch).  A vswitch that does not exist is simply absent.
        """
        names = sorted(set(vswitches))
        problems: dict[str, str] = {}
        userids = []
        for userid in sorted(set(guests)):
            try:
                userids.append(zvm_names.userid(userid))
            except ValueError as exc:
                problems[str(userid)] = str(exc)
        commands: list[list[str]] = []
        if all_vswitches or names:  # one query answers for every vswitch
            commands.append(smcli.vswitch_query_extended(self.zhcp_userid, "*"))
        commands += [smcli.image_query_dm(u) for u in userids]
        if not commands:
            return {}, [], problems
        outcomes = self._query(commands)
        states: dict[str, ObservedVswitch] = {}
        vswitch_outcomes = outcomes[:len(commands) - len(userids)]
        for outcome in vswitch_outcomes:
            if outcome.error is not None and outcome.error.code == (212, 40):
                continue  # no such vswitch (or none at all for "*")
            if not (outcome.ok or smcli_parsers.query_extended_complete(
                    outcome.exit_status, outcome.stdout_lines)):
                problems["vswitches"] = outcome.describe()
                continue
            for info in smcli_parsers.parse_vswitch_query_extended(outcome.stdout_lines):
                state = obs.vswitch_state(info)
                if all_vswitches or state.name in names:
                    states[state.name] = state
        read: list[ObservedGuest] = []
        for userid, outcome in zip(userids, outcomes[len(vswitch_outcomes):], strict=True):
            if outcome.error is not None and outcome.error.code == _NO_DIRECTORY_ENTRY:
                # No such guest: nothing of it can be coupled; knowing that ends the reads.
                problems[userid] = outcome.describe()
                read.append(obs.guest_directory(smcli_parsers.DirectoryEntry(userid)))
                continue
            if not outcome.ok:
                problems[userid] = outcome.describe()
                continue
            entry = smcli_parsers.parse_image_query_dm(outcome.stdout_lines)
            read.append(obs.guest_directory(entry))
        return states, read, problems

    def _query(self, commands: list[list[str]]) -> list[CommandOutcome]:
        """Run independent queries spread over the lanes; a request that fails
        (after the client's retries) fails them all."""
        ran = self._in_lanes(commands, [{index} for index in range(len(commands))],
                             idempotent=True)
        if ran.errors:
            raise ran.errors[0]
        return [outcome for outcome in ran.outcomes if outcome is not None]

    def _in_lanes(self, commands: list[list[str]], keys: Sequence[set], *,
                  guards: list[Guard] | None = None, idempotent: bool = False) -> LaneRun:
        """Run ``commands`` on the zHCP in up to ``workers`` concurrent lanes, commands
        sharing a key in one lane (:mod:`xcat.lanes`), priced for the lanes in use."""
        expected = self.limits["expected_seconds"]
        lanes = partition(keys, [expected(argv) for argv in commands], self.workers)
        return run_lanes(self.client, self.zhcp_node, commands, lanes, guards=guards,
                         idempotent=idempotent,
                         **{**self.limits, "expected_seconds": self.pricing(len(lanes))})

    def run_commands(self, commands: Sequence[Sequence[str]], node: str | None = None,
                     idempotent: bool = False) -> list[CommandOutcome]:
        """Run arbitrary builder vectors on the zHCP (or ``node``) in one batch."""
        return batch.run_batch(self.client, node or self.zhcp_node, commands,
                               idempotent=idempotent, **self.limits)

    # ------------------------------------------------------------------ plans
    def execute(self, plan: Plan) -> Execution:
        """Run ``plan``: z/VM operations, then rows of successful ports, then the
        reports to send (returned, not sent)."""
        run = Execution()
        zvm_ops = plan.zvm_ops
        commands: list[list[str]] = []
        guards: list[Guard] = []
        spans: list[tuple[Op, int, int]] = []
        for op in zvm_ops:
            try:
                vectors = commands_for(op)
            except ValueError as exc:  # a value no builder accepts never reaches z/VM
                run.results[op] = Result.FAILED
                for port in op.ports:
                    run.errors.setdefault(port, f"{op.describe()}: {exc}")
                continue
            spans.append((op, len(commands), len(vectors)))
            commands += vectors
            guards += [guard_for(op)] * len(vectors)
        if commands:
            self._run_commands(commands, guards, spans, run)
        self._write_rows(plan, run)
        for report in plan.reports:
            if report.port_id in run.transient_ports | run.incomplete \
                    and report.port_id not in run.errors:
                continue
            if report.port_id in run.errors:
                outcome = Outcome(STATUS_ERROR, error=run.errors[report.port_id])
                run.reports.append(Report(report.port_id, outcome, ports=report.ports))
            else:
                run.reports.append(report)
        reported = {r.port_id for r in run.reports}
        for port, error in run.errors.items():
            if port not in reported:
                run.reports.append(Report(port, Outcome(STATUS_ERROR, error=error),
                                          ports=(port,)))
        return run

    def _run_commands(self, commands: list[list[str]], guards: list[Guard],
                      spans: list[tuple[Op, int, int]], run: Execution) -> None:
        """Run the plan's commands in lanes and record each operation's result."""
        keys: list[set[tuple]] = [set()] * len(commands)
        for op, start, count in spans:
            keys[start:start + count] = [lane_keys(op)] * count
        ran = self._in_lanes(commands, keys, guards=guards)
        run.unknown, run.failure = ran.outcome_unknown, ran.failure
        if run.unknown is not None:
            LOG.warning("%s; z/VM will be read again", run.unknown)
        if run.failure is not None:
            LOG.warning("commands not sent: %s", run.failure)
        run.smcli_calls = sum(1 for o in ran.outcomes
                              if o is not None and o.outcome is not CmdOutcome.SKIPPED)
        for op, start, count in spans:
            outcomes = ran.outcomes[start:start + count]
            if None in outcomes:
                sent = any(o is not None and o.outcome is not CmdOutcome.SKIPPED
                           for o in outcomes)
                run.results[op] = unknown_result(
                    op, sent or not ran.unknown.isdisjoint(range(start, start + count)))
                run.incomplete.update(op.ports)
                continue
            result, error = classify(op, [o for o in outcomes if o is not None])
            run.results[op] = result
            if result == Result.FAILED:
                assert error is not None, "classify describes every failure"
                LOG.warning("%s", error)
                for port in op.ports:
                    run.errors.setdefault(port, error)
            elif result == Result.SKIPPED:
                run.incomplete.update(op.ports)
        run.incomplete -= run.failed_ports

    def _write_rows(self, plan: Plan, run: Execution) -> None:
        """Write the rows of ports whose z/VM operations succeeded: every row as one
        ``tabch`` line of one dsh script on the xCAT MN node (one request)."""
        lines: list[tuple[Op, list[str]]] = []
        failed = run.failed_ports | run.incomplete
        writable = []
        for op in plan.row_ops:
            if failed.isdisjoint(op.ports):
                writable.append(op)
            else:
                run.results[op] = Result.FAILED
        try:
            macs = self._mac_rows(writable)
        except XcatError as exc:
            self._rows_transient(run, writable, exc)
            return
        row_ops = []
        for op in writable:
            try:
                argvs = self._row_commands(op, macs)
            except ValueError as exc:  # an untrusted value no tabch line may carry
                LOG.warning("xCAT rows not written: %s", exc)
                run.results[op] = Result.FAILED
                for port in op.ports:
                    run.errors.setdefault(port, f"xCAT rows of port {port}: {exc}")
                continue
            row_ops.append(op)
            lines += [(op, argv) for argv in argvs]
        if not lines:
            return
        try:
            outcomes = self._tabch(lines)
        except XcatError as exc:
            self._rows_transient(run, row_ops, exc)
            return
        run.rows_written = sum(1 for outcome in outcomes if outcome.ok)
        for op in row_ops:
            run.results.setdefault(op, Result.OK)
        for (op, _), outcome in zip(lines, outcomes, strict=True):
            if not outcome.ok:
                run.results[op] = Result.FAILED
                for port in op.ports:
                    run.errors.setdefault(port, f"xCAT rows of port {port}: "
                                                f"{outcome.describe()}")

    @staticmethod
    def _rows_transient(run: Execution, ops: Sequence[Op], exc: XcatError) -> None:
        """xCAT failed as a whole while rows were read or written: retried next cycle."""
        LOG.warning("writing xCAT rows failed: %s", exc)
        run.transient = str(exc)
        for op in ops:
            run.transient_ports.update(op.ports)
            run.results[op] = Result.FAILED

    def _mac_rows(self, ops: Sequence[Op]) -> dict[str, tables.MacRow]:
        """The ``mac`` rows the ops change (one GET), by node: a node's NICs share
        its one row, so a MAC is added or taken out of the row as it stands."""
        if not any(isinstance(op, (AddRows, DeleteRows)) and op.node for op in ops):
            return {}
        return tables.mac_rows_by_node(self.client)

    def _tabch(self, lines: list[tuple[Op, list[str]]]) -> list:
        """Run tabch lines on the MN in one request; where the MN has no tabch
        command, fall back (once and for all) to one REST PUT per row."""
        argvs = [argv for _, argv in lines]
        if self.tabch_on_mn:
            outcomes = tables.run_tabch_script(self.client, self.mn_node, argvs,
                                               batch_size=self.batch_size)
            if not outcomes or outcomes[0].exit_status != _COMMAND_NOT_FOUND:
                return outcomes
            LOG.warning("%s has no %s; writing xCAT rows with one REST request each",
                        self.mn_node, tables.TABCH)
            self.tabch_on_mn = False
        return [_RestRow(self.client, argv) for argv in argvs]

    def _row_commands(self, op: Op, macs: dict[str, tables.MacRow]) -> list[list[str]]:
        """The tabch lines of a row operation.  A ``mac`` line writes the node's whole
        row (keyed by node, as xCAT keys it) and ``macs`` is moved on to it, so the
        next operation on the same node's NICs starts from there."""
        if isinstance(op, WriteSwitchRow):
            return [tables.tabch_upsert_argv("switch", {"port": op.port_id},
                                             {"switch": op.vswitch, "vlan": op.vlan})]
        if isinstance(op, AddRows):
            values = {**tables.with_nic_mac(macs.get(op.node), op.node, op.vdev, op.mac),
                      "comments": self.zhcp_node}
            argvs = [tables.tabch_upsert_argv("mac", {"node": op.node}, values),
                     tables.tabch_upsert_argv("switch", {"port": op.port_id},
                                              {"node": op.node, "interface": op.vdev,
                                               "comments": self.zhcp_node,
                                               "switch": op.vswitch, "vlan": op.vlan})]
            macs[op.node] = tables.MacRow(node=op.node, **values)
            return argvs
        if isinstance(op, DeleteRows):
            argvs = [tables.tabch_delete_argv("switch", {"port": op.port_id})]
            if op.node and op.node in macs:
                argvs.append(_mac_row_without(macs, op.node, op.vdev))
            return argvs
        raise TypeError(f"not a row operation: {op!r}")


def _mac_row_without(macs: dict[str, tables.MacRow], node: str, vdev: str) -> list[str]:
    """The tabch line that takes NIC ``vdev``'s MAC out of the node's ``mac`` row
    (deleting the row with its last MAC); ``macs`` is moved on to the result."""
    row = macs[node]
    values = tables.without_nic_mac(row, vdev)
    if values is None:
        del macs[node]
        return tables.tabch_delete_argv("mac", {"node": node})
    macs[node] = tables.MacRow(node=node, comments=row.comments, disable=row.disable, **values)
    return tables.tabch_upsert_argv("mac", {"node": node}, values)
