"""The agent loop parts that keep it alive: the heartbeat and the recovery probe.

The Agent runs against in-memory stand-ins of the xCAT client and the plugin;
end-to-end behaviour with real processes is in tests/e2e/test_agent_faults.py.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from quantum_zvm.agent.daemon import Agent
from quantum_zvm.common import exceptions

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
    """Refuses the first ``refusals`` heartbeats as the server refuses an oversized one."""
    refusals: int = 0
    reports: list[dict[str, Any]] = field(default_factory=list)

    def report_state(self, state: dict[str, Any]) -> None:
        if self.refusals:
            self.refusals -= 1
            raise exceptions.InvalidInput(error_message="agent configurations exceed 4095 "
                                                        "characters")
        self.reports.append(state)


def make_agent(api: FakePluginApi | None = None, client: Any = None) -> Agent:
    conf = make_conf(["VSW1:100:199", "FLATSW"])
    for name, value in (("xcat_zhcp_nodename", "zhcp1"), ("host", "zvmhost1")):
        conf.set_override(name, value, group="AGENT")
    return Agent(conf, client or FakeClient(), None, api or FakePluginApi())


def test_heartbeat_loop_outlives_refused_reports():
    api = FakePluginApi(refusals=3)
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
