"""A cycle that judges only what changed still judges every port whose inputs
changed: here a port whose details the plugin's first answer lacked (an item
without a port id is left out of a reply), asked again and answered in a later
cycle that another port's hand-off starts.  The agent runs in this process,
against a real simulator and server."""
from __future__ import annotations

from typing import Any

from tests.fixtures.agent import agent_in_process, is_active


class LosesOneAnswer:
    """The plugin API, but the first details answer loses the item of ``lost``."""

    def __init__(self, api: Any, lost: list[str]):
        self.api = api
        self.lost = lost

    def __getattr__(self, name: str) -> Any:
        return getattr(self.api, name)

    def get_devices_details_list(self, devices: list[str]) -> list:
        reply = self.api.get_devices_details_list(devices)
        if self.lost:
            lost = self.lost.pop()
            reply = [item for item in reply if item.get("device") != lost]
        return reply


def test_a_port_whose_details_come_in_a_later_cycle_is_planned_then(zvm_stack):
    stack = zvm_stack(start_agent=False)
    net = stack.network("late-details", "vlan", "VSW1", 141)
    first, second = stack.port(net["id"]), stack.port(net["id"])
    stack.guest("LINUX07")
    stack.guest("LINUX08")
    lost = [first["id"]]
    with agent_in_process(stack.agent_ini, lambda api: LosesOneAnswer(api, lost)) as agent:
        agent.cycle()                                  # start-up: nothing handed over yet
        stack.hand_off("LINUX07", first["id"])
        summary = agent.cycle()
        assert not summary.idle and not lost and not is_active(agent, first["id"])

        stack.hand_off("LINUX08", second["id"])        # another change starts a cycle
        summary = agent.cycle()
        assert summary.scoped and not summary.errors
        assert is_active(agent, second["id"])
        assert is_active(agent, first["id"])           # its details came with this cycle
        grants = stack.model()["vswitches"]["VSW1"]["grants"]
        assert grants["LINUX07"]["vlans"] == ["141"] == grants["LINUX08"]["vlans"]

        # one more hand-off: the ports that did not change keep their verdicts (the
        # desired state is the last one with the changed ports judged again)
        third = stack.port(net["id"])
        stack.guest("LINUX09")
        assert agent.cycle().idle  # the dump shows only the rows the agent wrote
        kept = agent.last_build[0].ports[second["id"]]
        stack.hand_off("LINUX09", third["id"])
        summary = agent.cycle()
        assert summary.scoped and is_active(agent, third["id"])
        assert agent.last_build[0].ports[second["id"]] is kept
