"""The agent loop parts that keep it alive: the heartbeat and the recovery probe.

The Agent runs against in-memory stand-ins of the xCAT client and the plugin;
end-to-end behaviour with real processes is in tests/e2e/test_agent_faults.py.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantum_zvm.agent import daemon
from quantum_zvm.agent.daemon import FULL, MODE_PLAIN, MODE_ZVM, Agent
from quantum_zvm.common import exceptions
from quantum_zvm.rpc.errors import RpcTimeout
from tests.fixtures.plugin import make_conf
from tests.fixtures.procs import wait_for


@dataclass
class Counters:
    requests: int = 0


@dataclass
class FakeClient:
    """Answers probes from ``answers`` (then True)."""
    answers: list[bool] = field(default_factory=list)
    probes: int = 0
    counters: Counters = field(default_factory=Counters)

    def probe(self) -> bool:
        self.probes += 1
        return self.answers.pop(0) if self.answers else True


@dataclass
class FakePluginApi:
    """Answers heartbeats from ``answers`` (a status, or an exception it raises), then
    "alive"; keeps the states it took."""
    answers: list[str | Exception] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)

    def report_state(self, state: dict[str, Any]) -> str:
        answer = self.answers.pop(0) if self.answers else "alive"
        if isinstance(answer, Exception):
            raise answer
        self.reports.append(state)
        return answer


# the server refuses an oversized report so
REFUSED = exceptions.InvalidInput(error_message="agent configurations exceed 4095 characters")


def make_agent(api: FakePluginApi | None = None, client: Any = None) -> Agent:
    conf = make_conf(["VSW1:100:199", "FLATSW"])
    for name, value in (("xcat_zhcp_nodename", "zhcp1"), ("host", "zvmhost1")):
        conf.set_override(name, value, group="AGENT")
    return Agent(conf, client or FakeClient(), None, api or FakePluginApi())


def test_heartbeat_loop_outlives_refused_reports():
    api = FakePluginApi(answers=[REFUSED] * 3)
    agent = make_agent(api)
    agent.report_interval = 0.01
    thread = threading.Thread(target=agent.heartbeat_loop, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(api.reports) >= 2, timeout=10, what="reports after refusals")
        assert thread.is_alive()
    finally:
        agent.stop()
        thread.join(timeout=5)
    assert api.reports[0]["start_flag"] and "start_flag" not in api.reports[1]


@pytest.mark.parametrize("mode, due", [(MODE_ZVM, True), (MODE_PLAIN, False), (None, False)])
def test_the_heartbeat_loop_asks_for_the_bound_ports_when_the_refresh_falls_due(
        monkeypatch, mode, due):
    """Every BOUND_REFRESH_SECONDS the ports bound through the API are asked whole (a
    notification missed); only in z/VM mode, the only one that has such ports."""
    monkeypatch.setattr(daemon, "BOUND_REFRESH_SECONDS", 0.05)
    api = FakePluginApi()
    agent = make_agent(api)
    agent.mode = mode
    agent.report_interval = 0.01
    thread = threading.Thread(target=agent.heartbeat_loop, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(api.reports) >= 10, timeout=10, what="reports past the refresh")
        assert agent.bound_refresh_due is due and agent.wakeup.is_set() is due
    finally:
        agent.stop()
        thread.join(timeout=5)


def test_a_heartbeat_asks_for_a_full_resync_when_the_plugin_changed_unseen():
    """"new" or "revived" after the first report (another server or database took over,
    or the agent was taken for dead) and the first answer after failed reports resync;
    "alive" and the first report's own "new" do not."""
    answers: list[str | Exception] = ["new", "alive", "revived", "alive", "new",
                                      RpcTimeout("timed out after 3s"), "alive", "alive"]
    expected = [None, None, FULL, None, FULL, None, FULL, None]
    agent = make_agent(FakePluginApi(list(answers)))
    resyncs = []
    for _ in answers:
        agent.resync = None
        agent.report_state()
        resyncs.append(agent.resync)
    assert resyncs == expected


def timed_back_off(agent: Agent, seconds: float) -> float:
    started = time.monotonic()
    agent._back_off(seconds)
    return time.monotonic() - started


def test_back_off_ends_when_the_mn_that_did_not_answer_answers_again():
    client = FakeClient(answers=[False, False, False])
    agent = make_agent(client=client)
    agent.polling_interval = 0.05
    assert timed_back_off(agent, 60) < 5
    assert client.probes == 4  # the first after the failure, then every polling interval


def test_back_off_stands_when_the_mn_answered_at_once():
    client = FakeClient()
    agent = make_agent(client=client)
    agent.polling_interval = 0.05
    assert timed_back_off(agent, 0.5) >= 0.5
    assert client.probes == 1  # the failure was elsewhere: no more probes


def test_back_off_ends_when_woken_and_probes_at_most_every_probe_seconds():
    client = FakeClient(answers=[False] * 100)
    agent = make_agent(client=client)
    agent.polling_interval = 30
    threading.Timer(0.3, agent.wakeup.set).start()
    assert timed_back_off(agent, 60) < 5
    assert client.probes == 1  # PROBE_SECONDS (2 s) had not passed


@dataclass
class PlainPluginApi:
    """The standard L2 agent calls, with or without neutron's ``update_device_list``."""
    has_device_list: bool = True
    calls: list[tuple] = field(default_factory=list)

    def update_device_list(self, up, down):
        self.calls.append(("list", tuple(up), tuple(down)))
        if not self.has_device_list:
            import json as json_mod

            from quantum_zvm.rpc import wire
            raise wire.deserialize_failure(json_mod.dumps(
                {"class": "AttributeError", "module": "builtins", "tb": [],
                 "message": "No such RPC function 'update_device_list'",
                 "args": ["No such RPC function 'update_device_list'"]}))
        return {"devices_up": list(up), "failed_devices_up": [], "failed_devices_down": [],
                "devices_down": [{"device": d, "exists": d != "gone"} for d in down]}

    def update_device_up(self, device):
        self.calls.append(("up", device))

    def update_device_down(self, device):
        self.calls.append(("down", device))
        return {"device": device, "exists": device != "gone"}


def plain_reports():
    from quantum_zvm.agent.model import Outcome, Report
    return [Report("p1", Outcome("ACTIVE")), Report("p2", Outcome("DOWN")),
            Report("gone", Outcome("ERROR", error="refused"))]


def test_plain_outcomes_go_in_one_device_list_call():
    api = PlainPluginApi()
    recorded = make_agent(api)._report_plain(plain_reports())
    assert api.calls == [("list", ("p1",), ("p2", "gone"))]
    assert recorded == {"p1": True, "p2": True, "gone": False}


def test_plain_outcomes_go_one_call_a_port_to_a_plugin_without_device_lists():
    api = PlainPluginApi(has_device_list=False)
    agent = make_agent(api)
    first = agent._report_plain(plain_reports())
    again = agent._report_plain(plain_reports())
    assert api.calls.count(("list", ("p1",), ("p2", "gone"))) == 1   # asked once only
    assert api.calls[1:4] == [("up", "p1"), ("down", "p2"), ("down", "gone")]
    assert first == again == {"p1": True, "p2": True, "gone": False}


def test_a_quantum_era_plugin_without_the_zvm_calls_puts_the_agent_in_plain_mode():
    # Grizzly answers "No such RPC function" as a builtins AttributeError, not an RpcError
    from quantum_zvm.rpc import wire

    class GrizzlyApi(PlainPluginApi):
        def get_ports_bound_to_host(self):
            raise wire.deserialize_failure(
                '{"class": "AttributeError", "module": "builtins", "tb": [], "message": '
                '"No such RPC function \'get_ports_bound_to_host\'", "args": []}')
    agent = make_agent(GrizzlyApi())
    assert agent._bound_ports() == {} and agent.plain


NODE_ROW = st.fixed_dictionaries({
    "node": st.sampled_from(["a", "b", "c", "bad node"]),
    "userid": st.sampled_from(["A", "B", "C", ""]),
    "hcp": st.sampled_from([None, "h1", "h2"])})


@given(before=st.lists(NODE_ROW, max_size=4), after=st.lists(NODE_ROW, max_size=5))
def test_the_ports_of_new_nodes_are_those_of_rows_on_nodes_gained(before, after):
    """Everything is planned (None) once a node known before maps to another userid or
    its userid to another node; else the ports of rows on nodes the table gained."""
    from quantum_zvm.agent import desired
    from quantum_zvm.agent.daemon import _ports_of_new_nodes
    from quantum_zvm.agent.model import SwitchRow

    old, new = desired.zvm_nodes(before, "a"), desired.zvm_nodes(after, "a")
    rows = {f"p-{node}": SwitchRow(node, "1000", None, None)
            for node in ("a", "b", "c", "bad node")}
    moved = any(new.userids.get(node) != userid or new.by_userid.get(userid) != node
                for node, userid in old.userids.items())
    gained = (set(new.userids) - set(old.userids)) | (set(new.bad) - set(old.bad))
    expected = None if moved else {port for port, row in rows.items() if row.node in gained}
    assert _ports_of_new_nodes(old, new, rows) == expected


def test_nodes_the_zvm_table_lacks_are_looked_for_again_later_and_later():
    """After polling_interval, doubling while the same nodes stay missing, up to
    PORT_RETRY_MAX; a node missed for the first time starts over; none: nothing due."""
    agent = make_agent()
    agent.polling_interval = 2.0
    due = []
    for missing_before, missing in [(set(), {"a"}), ({"a"}, {"a"}), ({"a"}, {"a"}),
                                    ({"a"}, {"a", "b"}), ({"a", "b"}, {"b"})]:
        agent.nodes_missing = missing
        agent._schedule_nodes_recheck(missing_before, 100.0)
        due.append(agent.nodes_recheck_at - 100.0)
    assert due == [2.0, 4.0, 8.0, 2.0, 4.0]
    assert agent._nodes_recheck_due(104.0) and not agent._nodes_recheck_due(103.9)
    agent.nodes_rechecks = 20
    agent._schedule_nodes_recheck({"b"}, 100.0)
    assert agent.nodes_recheck_at - 100.0 == daemon.PORT_RETRY_MAX
    agent.nodes_missing = set()
    agent._schedule_nodes_recheck({"b"}, 100.0)
    assert not agent._nodes_recheck_due(10_000.0) and agent.nodes_rechecks == 0
