"""The agent's loop parts that keep it alive: heartbeat, retry state, recovery probe.

The Agent runs against in-memory stand-ins of the xCAT client and the plugin;
end-to-end behaviour with real processes is in tests/e2e/test_agent_faults.py.
"""
from __future__ import annotations

import threading
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
    counters: Counters = field(default_factory=Counters)


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
