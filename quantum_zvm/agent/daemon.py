"""The agent's loop: one reconcile cycle every ``polling_interval`` (at once
on a notification), the heartbeat, notification handling and fault recovery.

A cycle:

1. ``tabdump switch`` (the only request of a quiet cycle: when the rows are
   unchanged, nothing was notified and no retry is due, the cycle ends).
2. Device details of new or notified ports from the plugin (one call), the
   ``zvm`` table when an unknown node appears.  In z/VM mode a notified port's
   details also say whether it is bound to this host through the API now; the
   whole list of such ports (``get_ports_bound_to_host``) is asked at a full
   resync and every :data:`BOUND_REFRESH_SECONDS`, which repairs a
   notification missed.
3. desired state → :func:`planner.plan` → reads if asked → :class:`Executor`
   → reports to the plugin (one ``record_zvm_bindings``) → plan again while
   operations were deferred.

Faults: an xCAT or RPC failure ends the cycle; the loop backs off
(doubling up to :data:`MAX_BACKOFF`; when the xCAT MN did not answer, a cheap
probe every few seconds ends the wait as soon as it answers again) and the
first cycle after recovery is a full resync (tables, details, vswitches and
directories read again, everything reported again).  A batch whose request
may have run without an answer (Apache's 504 after its Timeout) is never
replayed: the back-off lasts at least the request's estimated duration, then
the full resync plans from what z/VM shows.  A new IPL time
re-reads the vswitches and re-applies every binding in one batched pass; a
new xCAT MN activation time redoes the management NIC.  Operations that
failed for a port are retried with a per-port backoff (forgotten when the
port is gone).  What the agent applied is kept in a state file, so a port
removed while the agent was down is still undone.  The heartbeat outlives
any failure of a report, and a report always fits the server's limits.

Modes: against quantum-zvm-server the agent uses the z/VM calls
(``get_ports_bound_to_host``, ``record_zvm_bindings``).  A server that answers
them "unknown method" (neutron ML2, a Quantum OVS plugin) puts the agent in
*plain mode*, on the standard L2 agent API only: NICs come from xCAT switch
rows alone (ports bound through the API with ``binding:profile zvm_userid`` are
invisible to it, and the NICs the agent defined for such ports are removed),
outcomes go out in one ``update_device_list`` (``update_device_up``/``_down`` per
port to a plugin without it; an error is
reported DOWN, logged and listed in ``configurations.errors``).  The mode is
probed on every full resync (start-up, recovery from any failure, a plugin
found again by the heartbeat), and a z/VM call answered "unknown" switches at
once; ``configurations.rpc_mode`` says which one is in use.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import threading
import time
from collections.abc import Collection, ItemsView, Iterable, KeysView, Mapping, Sequence
from pathlib import Path
from typing import Any

from quantum_zvm.agent import desired as desired_mod
from quantum_zvm.agent import dhcp as dhcp_mod
from quantum_zvm.agent import heartbeat, read_ahead, records, startup, table_diff
from quantum_zvm.agent import observed as obs
from quantum_zvm.agent import scope as scope_mod
from quantum_zvm.agent.executor import Executor
from quantum_zvm.agent.model import (
    RELEASED,
    STATUS_ACTIVE,
    STATUS_ERROR,
    UNDO_OPS,
    DesiredState,
    Observed,
    ObservedGuest,
    Outcome,
    Plan,
    Report,
    SwitchRow,
    VswitchSpec,
)
from quantum_zvm.agent.persistent import as_map, replaced
from quantum_zvm.agent.planner import apply, plan
from quantum_zvm.common import constants
from quantum_zvm.rpc.errors import RpcError, unknown_method
from xcat import tables
from xcat.batch import BatchOutcomeUnknown
from xcat.errors import XcatError

LOG = logging.getLogger(__name__)

MAX_BACKOFF = 60.0
PROBE_SECONDS = 2.0
PORT_RETRY_MAX = 300.0
DHCP_REFRESH_SECONDS = 60.0
# every port bound to this host through the API asked again, and everything judged:
# a notification missed (a port bound or unbound unseen) lasts at most this long
BOUND_REFRESH_SECONDS = 300.0
MAX_PASSES = 4

FULL = "full"        # everything read again and reported again
IPL = "ipl"          # vswitches read again, live state forgotten

MODE_ZVM = "zvm"     # the plugin has the z/VM calls
MODE_PLAIN = "plain"  # the standard L2 agent API only


@dataclasses.dataclass(frozen=True)
class Refresh:
    """The periodic refreshes the heartbeat loop asked of a cycle (taken with the
    notifications when the cycle begins, so one asked meanwhile waits for the next)."""
    bound: bool = False   # every port bound to this host through the API asked again
    dhcp: bool = False    # which networks have DHCP asked again


@dataclasses.dataclass
class CycleSummary:
    """What one cycle did (logged, printed by ``--once``, used by tests)."""
    idle: bool = True
    resync: str | None = None
    ports: int = 0
    rejected: int = 0
    operations: int = 0
    smcli_calls: int = 0
    reports: int = 0
    errors: dict[str, str] = dataclasses.field(default_factory=dict)
    deferred: int = 0
    scoped: bool = False        # planned only the guests of the ports that changed
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    xcat_requests: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Agent:
    """One z/VM agent (one zHCP).  ``cycle()`` is synchronous; ``run()`` loops."""

    # notifications up to neutron's binding_activate/deactivate (agent API 1.5)
    RPC_API_VERSION = "1.5"

    def __init__(self, conf, client, rpc_client, plugin_api, *, state_file: Path | None = None,
                 system_check_seconds: float = 30.0):
        from quantum_zvm.common import config

        agent = conf.AGENT
        self.conf = conf
        self.client = client
        self.rpc = rpc_client
        self.api = plugin_api
        self.zhcp_node = agent.xcat_zhcp_nodename
        self.peers = frozenset(agent.ssi_zhcp_nodes)
        self.host = agent.host
        self.polling_interval = float(agent.polling_interval)
        self.report_interval = float(agent.report_interval)
        self.batch_size = agent.smcli_batch_size
        self.request_seconds = agent.dsh_request_seconds
        self.call_seconds = agent.smcli_call_seconds
        self.dirmaint_seconds = agent.dirmaint_call_seconds
        self.smapi_workers = agent.smapi_workers
        self.read_ahead_directories = agent.read_ahead_directories
        self.mgt = (agent.xcat_mgt_ip, agent.xcat_mgt_mask) if agent.xcat_mgt_ip else None
        self.dhcp_userid = agent.dhcp_userid.upper() if agent.dhcp_userid else None
        self.specs = {name: VswitchSpec(name, tuple(ranges),
                                        tuple(config.vswitch_rdevs(conf, name)))
                      for name, ranges in config.vswitch_mappings(conf).items()}
        self.system_check_seconds = system_check_seconds

        self.identity: startup.Identity | None = None
        self.admin: set[str] = set()
        self.executor: Executor | None = None
        self.store = records.Store(state_file, self.zhcp_node)
        self.observed = self.store.load()
        self.details: dict[str, Mapping[str, Any]] = {}
        self.undetailed: set[str] = set()  # rows the plugin's last answer gave no details
        # ports that lost their binding or their API binding to this host since the
        # details were last swept (None: any port may have; see _drop_unneeded_details)
        self.unanchored: set[str] | None = None
        # ports bound to this host through the API; a new set when it changes (the
        # desired state's build compares the last one's by identity), in no order
        # (the planner orders ports by their order and id)
        self.bound: frozenset[str] = frozenset()
        self.nodes = desired_mod.Nodes()
        self.user_prefix: str | None = None
        self.ipl_time: str | None = None
        self.mn_activation: str | None = None
        self.dhcp = dhcp_mod.DhcpNetworks(rpc_client, self.host) if self.dhcp_userid else None

        self.lock = threading.RLock()
        self.read_ahead_pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.resync: str | None = FULL
        self.relocating = False  # ports of guests moving between SSI members
        self.dirty_ports: set[str] = set()
        self.dirty_networks: set[str] = set()
        self.switch_lines: Sequence[str] | None = None   # the switch table last reconciled
        self.switch_dump: tables.Dump | None = None  # the switch table last read
        self.rowset: desired_mod.RowSet | None = None  # its rows of this zHCP and peers
        self.last_build: tuple[DesiredState, desired_mod.Inputs] | None = None
        # ports attached through the API since then, or no longer
        self.bindings_touched: set[str] = set()
        self.nodes_missing: set[str] = set()     # nodes of rows the zvm table lacks
        self.nodes_recheck_at = 0.0              # when they are looked for again
        self.nodes_rechecks = 0                  # look-ups in a row that did not find them
        # directories of new nodes' guests read while the nodes were looked up
        self.directories_ahead: dict[str, ObservedGuest] = {}
        self.switch_table = tables.RowCache("switch")
        self.zvm_table = tables.RowCache("zvm")
        self.zvm_lines: list[str] = []
        self.row_verdicts = desired_mod.Verdicts()       # switch rows checked
        self.node_verdicts = desired_mod.Verdicts()      # zvm rows checked
        self.network_verdicts = desired_mod.Verdicts()   # networks of port details
        self.row_ports = desired_mod.Verdicts()          # the port of each switch row
        self.retry_at: dict[str, float] = {}
        self.failures: dict[str, int] = {}
        self.next_system_check = 0.0
        self.errors: dict[str, str] = {}        # agent-level problems, for report_state
        self.last_cycle_seconds = 0.0
        self.rpc_failed = False
        self.started_reporting = False
        self.replan = False
        # asked by the heartbeat loop, under the lock; a cycle takes them (Refresh)
        self.dhcp_refresh_due = False
        self.bound_refresh_due = False          # ask every API-bound port (z/VM mode)
        self.mode: str | None = None            # MODE_ZVM or MODE_PLAIN once probed
        self.device_list_calls = True           # False once the plugin lacked them

    @property
    def plain(self) -> bool:
        return self.mode == MODE_PLAIN

    # ================================================================ notifications
    def port_update(self, ctx, port=None, network_type=None, segmentation_id=None,
                    physical_network=None, **_kw) -> None:
        port_id = desired_mod.port_id((port or {}).get("id"))
        if port_id:
            with self.lock:
                self.dirty_ports.add(port_id)
            self.wakeup.set()

    def network_delete(self, ctx, network_id=None, **_kw) -> None:
        if network_id:
            with self.lock:
                self.dirty_networks.add(str(network_id))
            self.wakeup.set()

    def port_delete(self, ctx, port_id=None, **_kw) -> None:
        """neutron's announcement of a deleted port: its details are asked again (the
        answer, "unknown device", undoes it)."""
        self._port_changed(port_id)

    def network_update(self, ctx, network=None, **_kw) -> None:
        self.network_delete(ctx, network_id=(network or {}).get("id"))

    def binding_activate(self, ctx, port_id=None, host=None, **_kw) -> None:
        self._port_changed(port_id)

    def binding_deactivate(self, ctx, port_id=None, host=None, network_id=None, **_kw) -> None:
        self._port_changed(port_id)

    def _port_changed(self, value: object) -> None:
        port_id = desired_mod.port_id(value)
        if port_id:
            with self.lock:
                self.dirty_ports.add(port_id)
            self.wakeup.set()

    # ================================================================ start-up
    def start(self) -> None:
        """Resolve names, ensure the vswitches (xCAT must answer)."""
        self.identity = startup.resolve(self.client, self.zhcp_node)
        self.executor = Executor(self.client, self.zhcp_node, self.identity.zhcp_userid,
                                 self.identity.mn_node, batch_size=self.batch_size,
                                 request_seconds=self.request_seconds,
                                 call_seconds=self.call_seconds,
                                 dirmaint_seconds=self.dirmaint_seconds,
                                 workers=self.smapi_workers)
        self.admin = startup.admin_vswitches(self.executor, self.identity.mn_node)
        vswitches, problems = startup.ensure_vswitches(self.executor, self.specs, self.admin)
        self._set_error("vswitches", "; ".join(problems))
        self.observed = obs.with_vswitches(self.observed, vswitches)
        LOG.info("zHCP %s (userid %s), xCAT MN %s (%s); vswitches %s", self.zhcp_node,
                 self.identity.zhcp_userid, self.identity.mn_node, self.identity.mn_userid,
                 ", ".join(f"{n}{'(VLAN-aware)' if v.vlan_aware else '(flat)'}"
                           for n, v in sorted(vswitches.items())))

    def _started(self) -> tuple[startup.Identity, Executor]:
        """The names and the executor of :meth:`start` (every cycle starts with it)."""
        if self.identity is None or self.executor is None:
            raise startup.StartupError("the agent has not resolved its names yet")
        return self.identity, self.executor

    def _set_error(self, key: str, text: str | None) -> None:
        if text:
            if self.errors.get(key) != text:
                LOG.error("%s", text)
            self.errors[key] = text
        else:
            self.errors.pop(key, None)

    def _system_check(self, now: float) -> None:
        """IPL and xCAT MN restart detection (and the USER PREFIX)."""
        identity, executor = self._started()
        state = startup.system_check(executor, identity.mn_userid)
        self.next_system_check = now + self.system_check_seconds
        if state.user_prefix:
            self.user_prefix = state.user_prefix
        if state.ipl_time and self.ipl_time and state.ipl_time != self.ipl_time:
            LOG.warning("z/VM was IPLed at %s: re-applying every binding", state.ipl_time)
            if self.resync != FULL:
                self.resync = IPL
        if state.ipl_time:
            self.ipl_time = state.ipl_time
        restarted = state.mn_activation != self.mn_activation
        self.mn_activation = state.mn_activation
        if restarted and self.mgt:
            self._management_nic(*self.mgt)

    def _management_nic(self, ip: str, mask: str) -> None:
        flat = sorted(n for n, s in self.specs.items() if not s.vlan_aware)
        if not flat:
            self._set_error("management_nic", "xcat_mgt_ip is set but no flat vswitch is "
                                              "mapped for the xCAT MN management NIC")
            return
        identity, executor = self._started()
        try:
            done = startup.ensure_management_nic(executor, identity.mn_node, identity.mn_userid,
                                                 flat[0], ip, mask)
            LOG.info("xCAT MN management NIC %s: %s", startup.MGT_VDEV, done)
            self._set_error("management_nic", None)
        except startup.StartupError as exc:
            self._set_error("management_nic", str(exc))

    # ================================================================ the cycle
    def cycle(self) -> CycleSummary:
        """One reconcile cycle; raises XcatError/RpcError (the caller backs off)."""
        started, cpu = time.monotonic(), time.process_time()
        requests = self.client.counters.requests
        summary = CycleSummary()
        try:
            self._cycle(summary, started)
        finally:
            summary.seconds = round(time.monotonic() - started, 6)
            summary.cpu_seconds = round(time.process_time() - cpu, 6)
            summary.xcat_requests = self.client.counters.requests - requests
            self.last_cycle_seconds = summary.seconds
        return summary

    def _cycle(self, summary: CycleSummary, now: float) -> None:
        if self.identity is None:
            self.start()
        if now >= self.next_system_check or self.resync == FULL:
            self._system_check(now)
        self.switch_dump = tables.read_table(self.client, "switch", self.switch_dump)
        lines = self.switch_dump.lines
        with self.lock:
            dirty_ports, self.dirty_ports = self.dirty_ports, set()
            dirty_networks, self.dirty_networks = self.dirty_networks, set()
            due = Refresh(bound=self.bound_refresh_due, dhcp=self.dhcp_refresh_due)
            self.bound_refresh_due = self.dhcp_refresh_due = False
        resync = self.resync
        # None: everything is planned (a resync, deferred work, a DHCP or bound-port
        # refresh, or a dump that cannot be compared with the last), so what changed
        # is not asked
        change = None if resync or self.replan or due.bound or due.dhcp \
            else table_diff.diff(self.switch_lines, lines,
                                 self.switch_dump.edit_from(self.switch_lines))
        if change is not None and self._quiet(change, bool(dirty_ports or dirty_networks), now):
            if not change.empty:  # the agent's own writes: the rows follow the table
                self.rowset = self._rows_of(lines, change)[0]
            self.switch_lines = lines
            return
        summary.idle = False
        summary.resync = resync
        try:
            rowset, row_changes = self._rows_of(lines, change)
            # a guest's move found by _moved_nodes asks to plan everything (self.replan)
            changed = None if change is None or self.replan else change.ports
            self._reconcile(rowset, row_changes, resync, dirty_ports, dirty_networks, summary,
                            now, changed, due)
        except BaseException:
            with self.lock:  # what was asked of a failed cycle is asked of the next
                self.dirty_ports |= dirty_ports
                self.dirty_networks |= dirty_networks
                self.bound_refresh_due |= due.bound
                self.dhcp_refresh_due |= due.dhcp
            self.last_build = None  # the next cycle judges every port
            raise
        self.switch_lines = lines
        self.rowset = rowset
        if self.resync == resync:
            self.resync = None

    def _quiet(self, change: table_diff.Diff, notified: bool, now: float) -> bool:
        """Whether the cycle has nothing to do: the table is as the last plan left it,
        nothing was notified, no port's retry and no look-up of missing nodes is due,
        and no guest moved between SSI members."""
        return (not notified and all(at > now for at in self.retry_at.values())
                and not self._nodes_recheck_due(now)
                and table_diff.as_planned(change, self.observed.rows)
                and not self._moved_nodes())

    def _rows_of(self, lines: Sequence[str], change: table_diff.Diff | None
                 ) -> tuple[desired_mod.RowSet, set[str] | None]:
        """The rows of this dump, from the last dump's and ``change`` when they can be,
        else from every line; and the ports whose rows may differ (None: any)."""
        rowset = None if change is None else self._rows_changed(change)
        if rowset is not None and change is not None:
            return rowset, change.ports
        return desired_mod.switch_rows(self.switch_table.rows_of(lines), self.zhcp_node,
                                       self.row_verdicts, self.peers, self.rowset), None

    def _rows_changed(self, change: table_diff.Diff) -> desired_mod.RowSet | None:
        """The rows of the last dump changed by ``change`` (None: walk the whole dump)."""
        if self.rowset is None:
            return None
        return desired_mod.rows_changed(self.rowset, change.removed, change.added,
                                        self.zhcp_node, self.peers)

    def _reconcile(self, rowset: desired_mod.RowSet, row_changes: set[str] | None, resync,
                   dirty_ports, dirty_networks, summary, now, changed: set[str] | None,
                   due: Refresh) -> None:
        """Plan and run until z/VM matches; ``changed``: the ports whose rows changed
        (only their guests, and those of notified and due ports, are planned), or
        None to plan everything (as it is when a refresh is ``due``); ``row_changes``:
        the ports whose rows may differ from the last cycle's (None: any)."""
        for reason in rowset.invalid:
            LOG.warning("ignored: %s", reason)
        nodes, missing = self.nodes, self.nodes_missing
        looked_up = self._refresh_details(rowset, row_changes, resync, dirty_ports,
                                          dirty_networks, self._nodes_recheck_due(now),
                                          due.bound)
        self._schedule_nodes_recheck(missing, now)
        if changed is not None and self.nodes is not nodes:
            if looked_up is not None:  # the only node added, none changed
                # only a changed row can name a node not seen before, or one the
                # zvm table lacked (named by any row)
                among = _among(rowset.rows, None if looked_up in missing else row_changes)
                of_new_nodes: set[str] | None = {
                    port for port, row in among.items() if row.node == looked_up}
            else:
                of_new_nodes = _ports_of_new_nodes(nodes, self.nodes, rowset.rows)
            changed = None if of_new_nodes is None else changed | of_new_nodes
        self._refresh_observed(rowset, resync, row_changes)
        if changed is not None:
            changed |= dirty_ports | {p for p, at in self.retry_at.items() if at <= now}
        want = self._desired(rowset, resync, changed, due.dhcp)
        self.relocating = bool(want.away or want.leaving)
        summary.ports = len(want.ports)
        summary.rejected = len(want.rejected)
        self.replan = False
        if not self._converge(want, changed, summary, now):
            self.replan = True  # deferred work left: plan again next cycle

    def _refresh_observed(self, rowset: desired_mod.RowSet, resync: str | None,
                          row_changes: set[str] | None) -> None:
        """The observed state with this cycle's rows, the directories of guests whose
        rows name new NICs marked unsure, then those read ahead this cycle (read after
        this dump, they are known again), and what a resync reads again."""
        self.observed = obs.directories_unsure(self.observed,
                                               self._new_nic_guests(rowset, row_changes))
        ahead, self.directories_ahead = self.directories_ahead, {}
        if ahead:  # read after this dump, so known again: as a read the plan would ask for
            self.observed = obs.with_guests(self.observed, ahead.values())
        self.observed = self.observed.replace(rows=rowset.rows)
        if resync == FULL:
            self.observed = self.observed.replace(reported={})
        if resync in (FULL, IPL):
            self._observe_all(resync)

    def _desired(self, rowset: desired_mod.RowSet, resync: str | None,
                 changed: set[str] | None, dhcp_due: bool) -> DesiredState:
        """The desired state of this cycle (the DHCP guest's VLANs asked again on a full
        resync or when ``dhcp_due``): the last one with the ``changed`` ports and those
        whose binding changed judged again, or everything judged (``changed`` None)."""
        dhcp_vlans = self._dhcp_vlans(rowset, resync == FULL or dhcp_due)
        inputs = desired_mod.Inputs(
            rowset, self.nodes, self.details, self.bound, self.specs, self.host,
            self.zhcp_node, self.observed.bindings, self.user_prefix, self.dhcp_userid,
            dhcp_vlans, self.network_verdicts, self.peers, self.row_ports)
        since = None
        if changed is not None and self.last_build is not None:
            since = desired_mod.Since(*self.last_build, changed | self.bindings_touched)
        want = desired_mod.build(inputs, since)
        self.last_build, self.bindings_touched = (want, inputs), set()
        return want

    def _converge(self, want: DesiredState, changed: set[str] | None, summary: CycleSummary,
                  now: float) -> bool:
        """Plan, read and execute for up to :data:`MAX_PASSES` passes; True when the
        last plan left nothing deferred, unread or incomplete."""
        for _ in range(MAX_PASSES):
            step, scope, cut = self._plan(want, changed)
            summary.scoped = scope is not None
            self._prune_retries((want.ports, _planned_ports(step)), changed)
            unreadable = self._read_directories(step.reads)
            step = self._hold_back(step, now)
            summary.deferred = len(step.deferred)
            incomplete = self._run(step, summary, now, scope, cut)
            if not step.deferred and not step.reads and not incomplete:
                return True
            if unreadable or not (step.ops or step.reads):
                return False
        return False

    def _plan(self, want: DesiredState, changed: set[str] | None
              ) -> tuple[Plan, frozenset[str] | None, Observed]:
        """The plan of everything (``changed`` None, or a port-based vswitch is managed),
        else of the guests the ``changed`` ports touch; those guests (the scope, None
        for everything) and the observed state planned over."""
        if changed is not None:
            touched = scope_mod.touched_userids(want, self.observed, changed)
            cut = scope_mod.restrict(want, self.observed, touched, changed)
            if cut is not None:
                scoped_want, scoped_observed, scope = cut
                return plan(scoped_want, scoped_observed), scope, scoped_observed
        return plan(want, self.observed), None, self.observed

    def _read_directories(self, userids: frozenset[str]) -> bool:
        """Read the directories a plan asked for; True when one could not be read."""
        if not userids:
            return False
        _, executor = self._started()
        _, guests, problems = executor.observe(guests=userids)
        self.observed = obs.with_guests(self.observed, guests)
        for userid, problem in problems.items():
            LOG.warning("cannot read the directory of %s: %s", userid, problem)
        return bool(problems)

    def _run(self, step: Plan, summary: CycleSummary, now: float,
             scope: frozenset[str] | None, cut: Observed) -> set[str]:
        """Execute ``step`` over the observed state of ``scope`` (``cut``, with the
        directories read since) or all of it when it has operations or changes the
        binding records; returns the ports to plan again at once (see :meth:`_execute`)."""
        guests = self.observed.guests
        planned_over = self.observed if scope is None else cut.replace(
            guests={u: guests[u] for u in scope if u in guests})
        if step.ops or step.bindings.keys() != planned_over.bindings.keys():
            # a record with nothing left to undo is dropped by applying the plan
            return self._execute(step, summary, now, planned_over, scope)
        return set()

    # ---------------------------------------------------------------- inputs
    def _refresh_details(self, rowset: desired_mod.RowSet, row_changes: set[str] | None,
                         resync: str | None, dirty_ports: set[str],
                         dirty_networks: set[str], recheck: bool,
                         bound_due: bool) -> str | None:
        """The nodes and the plugin's details of this cycle's ports: those of notified
        ports (``dirty_ports``, which gains the ports of ``dirty_networks`` and every
        port asked) are asked again, a full resync asks every one again.  The ports
        bound to this host through the API are asked whole at a full resync and when
        the periodic refresh is due (``bound_due``: everything is planned then), else
        changed by the notified ports' details alone (:meth:`_rebind`).  Returns the
        node a look-up added (see :meth:`_refresh_nodes`; ``recheck``: the nodes the
        ``zvm`` table lacked are due to be looked for)."""
        looked_up = self._refresh_nodes(rowset, row_changes, resync, recheck)
        self._forget_details(resync, dirty_ports, dirty_networks)
        whole = resync == FULL or bound_due
        if whole:
            bound = self._bound_ports()
            self._unanchor(self.bound - bound.keys())
            self.bound = frozenset(bound)
            self.details.update(bound)
        self._fetch_details(rowset, dirty_ports, row_changes)
        if not whole and dirty_ports and self.mode == MODE_ZVM:
            self._rebind(dirty_ports)
        self._drop_unneeded_details(rowset, row_changes)
        return looked_up

    def _rebind(self, ports: Collection[str]) -> None:
        """Which of ``ports``, whose details were just asked, are bound to this host
        through the API now (a port the plugin does not know is not): ``bound`` gains
        and loses those alone, and stays the same set when none changed
        (:func:`desired.build` judges again only ports whose membership changed,
        which are among the notified).  A port the answer left out keeps its
        membership and is asked again (``undetailed``).  The details of those not
        bound may go (:meth:`_drop_unneeded_details`)."""
        answered = [p for p in ports if p in self.details]
        now_bound = {p for p in answered if desired_mod.api_bound(self.details[p], self.host)}
        gone = {p for p in answered if p in self.bound and p not in now_bound}
        new = now_bound - self.bound
        self._unanchor(p for p in answered if p not in now_bound)
        if gone or new:
            self.bound = (self.bound - gone) | new

    def _drop_unneeded_details(self, rowset: desired_mod.RowSet,
                               row_changes: set[str] | None) -> None:
        """Forget the details of ports with no row, no API binding to this host and no
        binding record.  Only a port whose row changed (``row_changes``; None: any) or
        that is :attr:`unanchored` can have lost all three since the last sweep."""
        candidates: Collection[str] = self.details.keys()
        if row_changes is not None and self.unanchored is not None:
            candidates = (row_changes | self.unanchored) & self.details.keys()
        bound, bindings = self.bound, self.observed.bindings
        for port in [p for p in candidates
                     if p not in rowset.rows and p not in bound and p not in bindings]:
            del self.details[port]
        self.unanchored = set()

    def _unanchor(self, ports: Iterable[str] | None) -> None:
        """Note ports whose details may no longer be needed (None: any port)."""
        if ports is None or self.unanchored is None:
            self.unanchored = None
        else:
            self.unanchored.update(ports)

    def _refresh_nodes(self, rowset: desired_mod.RowSet, row_changes: set[str] | None,
                       resync: str | None, recheck: bool = False) -> str | None:
        """Read the ``zvm`` table again on a full resync, when rows name nodes not seen
        yet, while no node is known, and while a guest relocates (its node's ``hcp``
        changes when it has moved).  One new node (a guest's first port) is looked up
        alone: its row, not a dump of every node's (see :meth:`_look_up_node`); that
        node is returned (else None).  Only the rows of ``row_changes`` (None: all)
        can name a node not seen before; those the table lacked stay unknown, and are
        looked for in every cycle that runs (``recheck``: one that runs for them, which
        first drops those no row names any more).  Meanwhile
        the directories of the guests the new nodes of this zHCP's rows would be are
        read (:mod:`read_ahead`); those the rows confirm wait in ``directories_ahead``."""
        named_here = {row.node for row in _among(rowset.rows, row_changes).values()}
        named = named_here | {row.node for row in _among(rowset.peer_rows, row_changes).values()}
        if row_changes is not None and recheck:
            named |= self.nodes_missing & {row.node for rows in (rowset.rows, rowset.peer_rows)
                                           for row in rows.values()}
        elif row_changes is not None:
            named |= self.nodes_missing
        unknown_nodes = {node for node in named
                         if node not in self.nodes.userids and node not in self.nodes.bad}
        missing_before = self.nodes_missing
        self.directories_ahead = {}
        guessed = {} if resync == FULL or not self.read_ahead_directories else \
            read_ahead.guesses((unknown_nodes & named_here) - missing_before, self.observed.guests)
        if not guessed:
            return self._look_up_nodes(unknown_nodes, resync)
        if self.read_ahead_pool is None:  # one thread kept, not one started a cycle
            self.read_ahead_pool = concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix="read-ahead")
        reading = self.read_ahead_pool.submit(self._read_guesses, guessed.values())
        try:
            return self._look_up_nodes(unknown_nodes, resync)
        finally:
            self.directories_ahead = read_ahead.confirmed(guessed, reading.result(), self.nodes)
            self._log_wrong_guesses(guessed)

    def _look_up_nodes(self, unknown_nodes: set[str], resync: str | None) -> str | None:
        """Add ``unknown_nodes`` from the ``zvm`` table: one node by its own row, else
        the whole table (see :meth:`_refresh_nodes`); those still unknown are
        :attr:`nodes_missing`."""
        looked_up = None
        if resync != FULL and self.nodes.userids and len(unknown_nodes) == 1:
            (node,) = unknown_nodes
            if self._look_up_node(node):
                looked_up = node
        if looked_up is None and (resync == FULL or unknown_nodes or not self.nodes.userids):
            self._read_nodes(tables.tabdump_lines(self.client, "zvm"))
        self.nodes_missing = {node for node in unknown_nodes
                              if node not in self.nodes.userids and node not in self.nodes.bad}
        return looked_up

    def _retry_delay(self, doublings: int) -> float:
        """Seconds until something that keeps failing is tried again (a port's
        operations, a look-up of missing nodes): ``polling_interval`` doubled
        ``doublings`` times, at most :data:`PORT_RETRY_MAX`."""
        return min(PORT_RETRY_MAX, self.polling_interval * 2 ** doublings)

    def _nodes_recheck_due(self, now: float) -> bool:
        return bool(self.nodes_missing) and now >= self.nodes_recheck_at

    def _schedule_nodes_recheck(self, missing_before: set[str], now: float) -> None:
        """Look for the nodes the ``zvm`` table lacks again after ``polling_interval``,
        doubling up to :data:`PORT_RETRY_MAX` while they stay missing (a node missed
        for the first time starts over): xCAT may define a node after nova-zvm wrote
        its switch row, and its ports, refused meanwhile, are planned once it does,
        although nothing else changes."""
        if not self.nodes_missing or not self.nodes_missing <= missing_before:
            self.nodes_rechecks = 0
        if self.nodes_missing:
            self.nodes_recheck_at = now + self._retry_delay(self.nodes_rechecks)
            self.nodes_rechecks += 1

    def _read_guesses(self, userids: Collection[str]) -> list[ObservedGuest]:
        """The directories of guessed userids (see :mod:`read_ahead`); none when the
        request fails: the plan reads what it needs after the look-up."""
        _, executor = self._started()
        try:
            return executor.observe(guests=userids)[1]
        except XcatError as exc:
            LOG.info("directories read ahead: %s (read after the node look-up)", exc)
            return []

    def _log_wrong_guesses(self, guessed: Mapping[str, str]) -> None:
        for node, guess in guessed.items():
            userid = self.nodes.userids.get(node)
            if userid is not None and userid != guess:
                LOG.info("node %s is guest %s, not %s: its directory read ahead was dropped "
                         "(read_ahead_directories = false where node names are not userids)",
                         node, userid, guess)

    def _look_up_node(self, node: str) -> bool:
        """Add ``node`` from its own ``zvm`` row (``gettab node=<node> zvm.userid
        zvm.hcp``: one request whatever the table's size); False when that cannot
        say it all, and the whole table is read then, as before, and judged row by
        row: the node is this zHCP's own (its ``hcp`` decides every other's), the
        look-up found no userid (no enabled row, or an empty one), or no ``hcp``
        while this zHCP's names one (gettab prints a NULL and an empty ``hcp`` alike,
        and a dump tells them apart: an empty one is another host's)."""
        if node == self.zhcp_node:
            return False
        row = tables.gettab(self.client, "zvm", "node", node, ("userid", "hcp"))
        if not isinstance(row, Mapping) or row.get("userid") is None:
            return False
        if row.get("hcp") is None and self.nodes.own_hcp is not None:
            return False
        self.nodes = desired_mod.with_node(self.nodes, node, str(row["userid"]), row.get("hcp"))
        return True

    def _read_nodes(self, lines: list[str]) -> None:
        self.zvm_lines = lines
        self.nodes = desired_mod.zvm_nodes(self.zvm_table.rows_of(lines), self.zhcp_node,
                                           self.node_verdicts)

    def _moved_nodes(self) -> bool:
        """While a guest of this agent's ports moves between SSI members: whether the
        ``zvm`` table changed (xCAT sets the node's ``hcp`` once the move is done); the
        nodes are read again then.  One more REST request per cycle, only meanwhile."""
        if not self.relocating:
            return False
        lines = tables.tabdump_lines(self.client, "zvm")
        if lines == self.zvm_lines:
            return False
        self._read_nodes(lines)
        self.replan = True  # plan everything: which ports a node's move touches is not known
        return True

    def _forget_details(self, resync: str | None, dirty_ports: set[str],
                        dirty_networks: set[str]) -> None:
        """Drop the details of notified ports and of the ports of notified networks
        (adding those to ``dirty_ports``), or all of them on a full resync."""
        for network_id in dirty_networks:
            for port, details in list(self.details.items()):
                if details.get("network_id") == network_id:
                    dirty_ports.add(port)
            if self.dhcp:
                self.dhcp.forget(network_id)
        if resync == FULL:
            self.details = {}
        for port in dirty_ports:  # never planned from details the plugin may no longer have
            self.details.pop(port, None)

    def _fetch_details(self, rowset: desired_mod.RowSet, dirty_ports: set[str],
                       row_changes: set[str] | None) -> None:
        """Ask the plugin for the details of rows not known yet and of notified ports;
        the ports asked join ``dirty_ports`` (their details changed: they are judged
        and planned again).  Rows not known yet are among ``row_changes`` (None: any
        row) and the rows the plugin's last answer left out (``undetailed``)."""
        among = None if row_changes is None else row_changes | dirty_ports | self.undetailed
        wanted = desired_mod.ports_needing_details(rowset, self.details, dirty_ports, among)
        # in z/VM mode a notified port's details also say whether it is bound here now;
        # a bound port the last answer left out is asked again, as a row's is
        wanted += [p for p in sorted(dirty_ports | (self.undetailed & self.bound))
                   if p not in wanted
                   and (p in self.observed.bindings or self.mode == MODE_ZVM)]
        if not wanted:
            self.undetailed = set()
            return
        dirty_ports.update(wanted)
        self.details.update(self._details(self.api.get_devices_details_list(wanted),
                                          "device", "get_devices_details_list"))
        self.undetailed = {p for p in wanted if p not in self.details}
        if self.plain:
            # neutron sets a port BUILD when an agent asks its details (ML2's
            # get_device_details): report it again
            self.observed = self.observed.replace(
                reported=replaced(self.observed.reported, wanted, {}))

    def _bound_ports(self) -> dict[str, Mapping[str, Any]]:
        """Ports bound to this host through the API; probes the mode: a plugin without
        ``get_ports_bound_to_host`` puts the agent in plain mode (no such ports)."""
        try:
            reply = self.api.get_ports_bound_to_host()
        except Exception as exc:  # noqa: BLE001 - re-raised unless 'no such method'
            if not unknown_method(exc):
                raise
            self._set_mode(MODE_PLAIN, exc)
            return {}
        self._set_mode(MODE_ZVM)
        return self._details(reply, "port_id", "get_ports_bound_to_host")

    def _set_mode(self, mode: str, why: BaseException | None = None) -> None:
        if mode == self.mode:
            return
        if mode == MODE_PLAIN:
            LOG.warning("the plugin lacks the z/VM RPC calls (%s): plain mode, standard L2 "
                        "agent API only; NICs are taken from xCAT switch rows, ports bound "
                        "with binding:profile zvm_userid are not attached", why)
            self.bound = frozenset()
            self._unanchor(None)
        else:
            LOG.info("the plugin serves the z/VM RPC calls: z/VM mode")
        self.mode = mode

    def _new_nic_guests(self, rowset: desired_mod.RowSet,
                        row_changes: set[str] | None) -> set[str]:
        """Guests of rows that are new or name another NIC than before (a row kept from
        the last cycle is the same object: :class:`desired.Verdicts`); only the rows of
        ``row_changes`` can be (None: any)."""
        before, userids = self.observed.rows, self.nodes.userids
        changed = [(before.get(port), row) for port, row in _among(rowset.rows, row_changes).items()
                   if before.get(port) is not row]
        return {userids[row.node] for old, row in changed if row.node in userids
                and (old is None or (old.node, old.vdev) != (row.node, row.vdev))}

    @staticmethod
    def _details(reply, key: str, method: str) -> dict[str, Mapping[str, Any]]:
        details, problems = desired_mod.details_by_port(reply, key, method)
        for problem in problems:
            LOG.warning("%s", problem)
        return details

    def _observe_all(self, resync: str) -> None:
        """Read z/VM again: vswitches (re-created when an IPL lost them) and, for a
        full resync, the directories of every guest concerned."""
        if resync == IPL:
            self.observed = obs.after_ipl(self.observed)
        _, executor = self._started()
        vswitches, problems = startup.ensure_vswitches(executor, self.specs, self.admin)
        self._set_error("vswitches", "; ".join(problems))
        self.observed = obs.with_vswitches(self.observed.replace(vswitches={}), vswitches)
        if resync != FULL:
            return  # directories survive an IPL
        guests: set[str] = {b.userid for b in self.observed.bindings.values()}
        guests |= {self.nodes.userids[row.node] for row in self.observed.rows.values()
                   if row.node in self.nodes.userids}
        guests |= {str((self.details.get(p, {}).get("binding:profile") or {}).get(
            constants.PROFILE_USERID, "")).upper() for p in self.bound} - {""}
        _, read, unreadable = executor.observe(guests=guests)
        self.observed = obs.with_guests(self.observed, read)
        for userid, problem in unreadable.items():
            LOG.warning("cannot read the directory of %s: %s", userid, problem)

    def _dhcp_vlans(self, rowset: desired_mod.RowSet, everything: bool
                    ) -> Mapping[str, frozenset[int]] | None:
        """VLANs the DHCP guest needs, from the networks of the ports handed to this agent
        (by its rows or bound through the API)."""
        if self.dhcp is None:
            return None
        rows, bound = rowset.rows, self.bound
        networks = dhcp_mod.networks_of(d for p, d in self.details.items()
                                        if p in rows or p in bound)
        with_dhcp = self.dhcp.refresh([n.network_id for n in networks], everything)
        return dhcp_mod.dhcp_vlans(networks, with_dhcp, self.specs)

    # ---------------------------------------------------------------- execution
    def _prune_retries(self, live: tuple[Collection[str], ...], changed: set[str] | None
                       ) -> None:
        """Forget the retry state of ports the agent no longer acts on (in none of the
        ``live`` collections: deleted, unbound, undone, nothing left to undo): a retry
        that falls due for a port that is gone would make every cycle a busy one.  A
        cycle that planned only the ``changed`` ports' guests judges only those ports
        (a due retry is one of them)."""
        def keep(port: str) -> bool:
            return any(port in ports for ports in live) or (
                changed is not None and port not in changed)
        self.retry_at = {p: at for p, at in self.retry_at.items() if keep(p)}
        self.failures = {p: n for p, n in self.failures.items() if keep(p)}

    def _hold_back(self, step: Plan, now: float) -> Plan:
        """Drop operations (and reports) of ports waiting for their retry time; undo
        operations are never held (what no port needs goes at once)."""
        held = {p for p, at in self.retry_at.items() if at > now}
        if not held:
            return step
        ops = tuple(op for op in step.ops
                    if not op.ports or not set(op.ports) <= held or isinstance(op, UNDO_OPS))
        return dataclasses.replace(step, ops=ops)

    def _execute(self, step: Plan, summary: CycleSummary, now: float, over: Observed,
                 scope: frozenset[str] | None) -> set[str]:
        """Run ``step``, planned over ``over`` (the guests of ``scope`` in the observed
        state, or all of it); returns the ports whose steps were skipped although
        none failed (planned again at once)."""
        _, executor = self._started()
        run = executor.execute(step)
        summary.operations += len(step.ops)
        summary.smcli_calls += run.smcli_calls
        without_reports = dataclasses.replace(
            step, ops=tuple(op for op in step.ops if not isinstance(op, Report)))
        after = apply(over, without_reports, run.results)
        if scope is None:
            self.observed = after
            self.last_build = None  # every binding may have changed: judge every port again
            self._unanchor(None)
        else:
            self._unanchor(over.bindings.keys() - after.bindings.keys())
            self.observed = scope_mod.merge(self.observed, over, after, scope)
            self.bindings_touched.update(
                p for p in over.bindings.keys() | after.bindings.keys()
                if desired_mod.attached_through_api(over.bindings.get(p))
                != desired_mod.attached_through_api(after.bindings.get(p)))
        self.store.record(over, after, self.observed)
        for port, error in run.errors.items():
            count = self.failures.get(port, 0) + 1
            self.failures[port] = count
            self.retry_at[port] = now + self._retry_delay(count)
            summary.errors[port] = error
        for report in run.reports:
            if report.port_id not in run.errors:
                self.failures.pop(report.port_id, None)
                self.retry_at.pop(report.port_id, None)
        self._send_reports(run.reports)
        summary.reports += len(run.reports)
        if run.unknown is not None:
            raise run.unknown  # recorded as maybe done: resync, never replay
        if run.failure is not None:
            raise run.failure  # what ran is recorded; the rest is planned again
        if run.transient:
            raise XcatError(run.transient)
        return run.incomplete

    def _send_reports(self, reports: list[Report]) -> None:
        reports = [r for r in reports if not self._deleted_release(r)]
        if not reports:
            return
        recorded = None
        if not self.plain:
            try:
                recorded = self.api.record_zvm_bindings(
                    [self._entry(r.port_id, r.outcome) for r in reports])
            except Exception as exc:  # noqa: BLE001 - re-raised unless 'no such method'
                if not unknown_method(exc):
                    raise
                self._set_mode(MODE_PLAIN, exc)
                self.resync = FULL  # API-bound ports cannot be known any more
        if recorded is None:
            recorded = self._report_plain(reports)
        reported = as_map(self.observed.reported).mutate()
        for report in reports:
            if not recorded.get(report.port_id, False):
                LOG.info("port %s: the plugin did not record %s (port deleted?)",
                         report.port_id, report.outcome.status)
            reported[report.port_id] = report.outcome
        self.observed = self.observed.replace(reported=reported.finish())

    def _deleted_release(self, report: Report) -> bool:
        """A release (DOWN, nothing applied) of a port the plugin no longer has: its
        details came back without a network (nothing to tell)."""
        details = self.details.get(report.port_id)
        return (report.outcome == RELEASED and details is not None
                and "network_id" not in details)

    def _report_plain(self, reports: list[Report]) -> dict[str, bool]:
        """Outcomes on the standard L2 agent API: ACTIVE is up, DOWN and ERROR down (the
        API has no error status: the reason is logged and listed in
        ``configurations.errors``); all in one ``update_device_list``, or one call a port
        on a server without it (the Quantum-era plugins)."""
        up = [r.port_id for r in reports if r.outcome.status == STATUS_ACTIVE]
        down = [r.port_id for r in reports if r.outcome.status != STATUS_ACTIVE]
        for report in reports:
            if report.outcome.status == STATUS_ERROR:
                LOG.warning("port %s: %s (reported DOWN)", report.port_id, report.outcome.error)
        if self.device_list_calls:
            try:
                reply = self.api.update_device_list(up, down)
            except Exception as exc:  # noqa: BLE001 - re-raised unless 'no such method'
                if not unknown_method(exc):
                    raise
                self.device_list_calls = False
            else:
                recorded = dict.fromkeys(reply.get("devices_up", ()), True)
                recorded.update((str(item["device"]), _exists(item))
                                for item in reply.get("devices_down", ())
                                if isinstance(item, Mapping) and "device" in item)
                return recorded
        for port in up:
            self.api.update_device_up(port)
        return {**dict.fromkeys(up, True),
                **{port: _exists(self.api.update_device_down(port)) for port in down}}

    def _entry(self, port_id: str, outcome: Outcome) -> dict[str, Any]:
        entry = {"port_id": port_id, "status": outcome.status, "zhcp_node": self.zhcp_node}
        if outcome.status == STATUS_ERROR:
            entry["error"] = outcome.error
        else:
            entry.update(userid=outcome.userid, vdev=outcome.vdev, vswitch=outcome.vswitch,
                         vlan=outcome.vlan, port_type=outcome.porttype)
        return entry

    # ================================================================ heartbeat
    def agent_state(self) -> dict[str, Any]:
        """The state report: configurations bounded by :func:`heartbeat.configurations`."""
        mappings = {name: [f"{lo}:{hi}" for lo, hi in spec.vlan_ranges]
                    for name, spec in sorted(self.specs.items())}
        reasons = sorted(self.errors.values()) + sorted(
            f"port {p}: {o.error}" for p, o in self.observed.reported.items()
            if o.status == STATUS_ERROR)
        base = {"vswitch_mappings": mappings, "zhcp_node": self.zhcp_node,
                "rpc_mode": self.mode or "unknown",
                "devices": len(self.observed.bindings),
                "last_cycle_seconds": round(self.last_cycle_seconds, 3)}
        state = {"binary": constants.AGENT_BINARY_ZVM, "host": self.host, "topic": "N/A",
                 "agent_type": constants.AGENT_TYPE_ZVM,
                 "configurations": heartbeat.configurations(base, reasons)}
        if not self.started_reporting:
            state["start_flag"] = True
        return state

    def report_state(self) -> bool:
        """Send one heartbeat; a success after RPC failures asks for a full resync."""
        try:
            status = self.api.report_state(self.agent_state())
        except (RpcError, OSError) as exc:
            if not self.rpc_failed:
                LOG.warning("heartbeat to the plugin failed: %s", exc)
            self.rpc_failed = True
            return False
        if self.rpc_failed:
            LOG.info("plugin reachable again: full resync")
        elif self.started_reporting and status in (constants.AGENT_NEW, constants.AGENT_REVIVED):
            # another server (or database) took over, or this agent was taken for dead
            # (the OVS agent does a full sync on "revived" too): its ports, and whether it
            # has the z/VM calls, may have changed unseen
            LOG.info("the plugin reports this agent %s: full resync", status)
        else:
            self.started_reporting = True
            return True
        self.started_reporting = True
        self.rpc_failed = False
        self.resync = FULL
        self.wakeup.set()
        return True

    def heartbeat_loop(self) -> None:
        """Report every ``report_interval`` until :meth:`stop`, whatever a report raises."""
        next_dhcp = time.monotonic() + DHCP_REFRESH_SECONDS
        next_bound = time.monotonic() + BOUND_REFRESH_SECONDS
        while not self.stopping.is_set():
            try:
                self.report_state()
            except Exception:  # noqa: BLE001 - a dead heartbeat shows the agent dead for good
                LOG.exception("heartbeat refused or failed; the next one in %.0fs",
                              self.report_interval)
            if self.dhcp is not None and time.monotonic() >= next_dhcp:
                # subnets gaining or losing DHCP are not notified: ask again now and then
                next_dhcp = time.monotonic() + DHCP_REFRESH_SECONDS
                with self.lock:
                    self.dhcp_refresh_due = True
                self.wakeup.set()
            if time.monotonic() >= next_bound:
                # a notification missed leaves a port bound or unbound unseen: ask all
                next_bound = time.monotonic() + BOUND_REFRESH_SECONDS
                if self.mode == MODE_ZVM:
                    with self.lock:
                        self.bound_refresh_due = True
                    self.wakeup.set()
            self.stopping.wait(self.report_interval)

    # ================================================================ the loop
    def run(self) -> None:
        """Cycle until :meth:`stop`; failures back off and end in a full resync."""
        backoff = 0.0
        while not self.stopping.is_set():
            try:
                summary = self.cycle()
                if not summary.idle:
                    LOG.info("cycle: %s", _brief(summary))
                if backoff:
                    LOG.info("xCAT and the plugin answer again: full resync done")
                backoff = 0.0
            except Exception as exc:  # noqa: BLE001 - the agent must outlive any failure
                backoff = min(MAX_BACKOFF, max(self.polling_interval, backoff * 2 or
                                               self.polling_interval))
                expected = isinstance(exc, (XcatError, RpcError, OSError, startup.StartupError))
                LOG.log(logging.WARNING if expected else logging.ERROR,
                        "cycle failed (%s: %s); retrying in %.0fs", type(exc).__name__, exc,
                        backoff, exc_info=not expected)
                self.resync = FULL
                if isinstance(exc, BatchOutcomeUnknown) and exc.seconds:
                    backoff = max(backoff, exc.seconds)  # let the request end before re-reading
                if isinstance(exc, startup.StartupError):
                    self.identity = None
                self._back_off(backoff)
            else:
                self.wakeup.wait(self.polling_interval)
            self.wakeup.clear()
        if self.read_ahead_pool is not None:  # a cycle run after this starts another
            self.read_ahead_pool.shutdown()
            self.read_ahead_pool = None

    def _back_off(self, seconds: float) -> None:
        """Wait ``seconds`` after a failed cycle, or until woken.  When the xCAT MN does
        not answer a probe right away, probe it again every :data:`PROBE_SECONDS` (or
        polling interval) and end the wait as soon as it answers."""
        deadline = time.monotonic() + seconds
        down = not self.client.probe()  # else the failure is elsewhere: the back-off stands
        step = min(self.polling_interval, PROBE_SECONDS) if down else seconds
        while not self.wakeup.wait(max(0.0, min(step, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                return
            if self.client.probe():
                LOG.info("the xCAT MN answers again: resuming now")
                return

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()


def _ports_of_new_nodes(before: desired_mod.Nodes, after: desired_mod.Nodes,
                        rows: Mapping[str, Any]) -> set[str] | None:
    """The ports of rows on nodes the ``zvm`` table gained; None when a node known
    before maps to another userid now, or is gone (then everything is planned)."""
    if not (ItemsView(before.userids) <= ItemsView(after.userids) and {
            (userid, node) for node, userid in before.userids.items()}
            <= ItemsView(after.by_userid)):
        return None
    new = KeysView(after.userids) - KeysView(before.userids)
    new |= KeysView(after.bad) - KeysView(before.bad)
    return {port for port, row in rows.items() if row.node in new} if new else set()


def _among(rows: Mapping[str, SwitchRow], ports: Collection[str] | None
           ) -> Mapping[str, SwitchRow]:
    """The ``rows`` of these ``ports`` (None: all of them)."""
    if ports is None:
        return rows
    return {port: rows[port] for port in ports if port in rows}


def _exists(reply: Any) -> bool:
    """Whether the plugin knew a port it was told is down (``{"device", "exists"}``; a
    reply of another shape counts as known)."""
    return bool(reply.get("exists", True)) if isinstance(reply, Mapping) else True


def _planned_ports(step: Plan) -> set[str]:
    """Ports a plan still has work for: those its operations serve and the deferred."""
    return {port for op in step.ops for port in op.ports} | set(step.deferred)


def _brief(summary: CycleSummary) -> str:
    parts = [f"{summary.ports} ports", f"{summary.operations} operations",
             f"{summary.smcli_calls} smcli", f"{summary.xcat_requests} xCAT requests",
             f"{summary.seconds:.2f}s"]
    if summary.resync:
        parts.insert(0, f"{summary.resync} resync")
    if summary.errors:
        parts.append(f"{len(summary.errors)} errors")
    if summary.deferred:
        parts.append(f"{summary.deferred} deferred")
    if summary.scoped:
        parts.append("scoped to the changed ports")
    return ", ".join(parts)
