"""A cycle that judges only what changed still judges every port whose inputs
changed: here a port whose details the plugin's first answer lacked (an item
without a port id is left out of a reply), asked again and answered in a later
cycle that another port's hand-off starts.  The agent runs in this process,
against a real simulator and server."""
from __future__ import annotations

import time

from tests.fixtures.agent import LosesOneAnswer, agent_in_process, is_active


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


def test_the_details_of_a_port_handed_back_are_forgotten(zvm_stack):
    """A port whose row is gone keeps its details while its binding is undone (the
    undo needs them), then a later cycle forgets them, although it judges only the
    rows that changed then (not the one gone before)."""
    stack = zvm_stack(start_agent=False)
    net = stack.network("handed-back", "vlan", "VSW1", 142)
    first, second = stack.port(net["id"]), stack.port(net["id"])
    stack.guest("LINUX07")
    stack.guest("LINUX08")
    with agent_in_process(stack.agent_ini) as agent:
        agent.cycle()
        stack.hand_off("LINUX07", first["id"])
        agent.cycle()
        assert is_active(agent, first["id"]) and first["id"] in agent.details

        stack.remove_row(first["id"])
        summary = agent.cycle()                        # undone: no binding is left
        assert not summary.errors and first["id"] not in agent.observed.bindings
        assert "LINUX07" not in stack.model()["vswitches"]["VSW1"]["grants"]

        stack.hand_off("LINUX08", second["id"])        # a cycle of another row's change
        summary = agent.cycle()
        assert summary.scoped and is_active(agent, second["id"])
        assert first["id"] not in agent.details and second["id"] in agent.details

        # a refused port has no binding: its details go with its row, at once
        refused = stack.port(net["id"])
        stack.guest("LINUX09", vdevs=("2000",))
        stack.hand_off("LINUX09", refused["id"])
        agent.cycle()
        assert agent.observed.reported[refused["id"]].status == "ERROR"
        assert refused["id"] not in agent.observed.bindings and refused["id"] in agent.details
        stack.remove_row(refused["id"])
        assert agent.cycle().scoped and refused["id"] not in agent.details


def test_a_port_refused_for_a_node_xcat_lacks_goes_active_once_the_node_is_defined(zvm_stack):
    """A row handed over before xCAT knows its node is refused (ERROR); the node is
    looked for again after polling_interval (3 s here: a slow cycle cannot make the
    next one due), doubling while it stays missing, with nothing else changing; a
    cycle before that is one request.  A missing node whose row went is no longer
    looked for."""
    stack = zvm_stack(start_agent=False)
    net = stack.network("node-later", "vlan", "VSW1", 143)
    port, gone = stack.port(net["id"]), stack.port(net["id"])
    with agent_in_process(stack.agent_ini) as agent:
        agent.polling_interval = 3.0
        agent.cycle()
        stack.hand_off_node("later01", port["id"])
        stack.hand_off_node("gone01", gone["id"])
        agent.cycle()
        assert agent.observed.reported[port["id"]].status == "ERROR"
        assert agent.nodes_missing == {"later01", "gone01"}
        summary = agent.cycle()                        # the look-up is not due yet
        assert summary.idle and summary.xcat_requests == 1
        stack.remove_row(gone["id"])
        agent.cycle()

        stack.guest_node("LATER01", "later01")         # xCAT defines the node
        deadline = time.monotonic() + 15
        while not is_active(agent, port["id"]) and time.monotonic() < deadline:
            summary = agent.cycle()
            assert not summary.errors, summary.errors
            time.sleep(0.2)
        assert is_active(agent, port["id"])
        assert stack.model()["vswitches"]["VSW1"]["grants"]["LATER01"]["vlans"] == ["143"]
        assert not agent.nodes_missing
