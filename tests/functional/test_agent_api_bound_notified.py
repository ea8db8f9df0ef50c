"""A notified port costs what changed, for ports bound through the API too: the agent
asks the plugin for the notified ports' details (which say whether each is bound to
this host now), not for every port bound to the host, and judges those ports only.
The whole list is asked at a full resync and when the periodic refresh falls due
(a notification missed). The agent runs in this process, against a real simulator
and server; a notification is the call the agent's consumer makes."""
from __future__ import annotations

from typing import Any

from tests.fixtures.agent import HOST, LosesOneAnswer, agent_in_process, is_active


class CountingApi:
    """The plugin API, with each call's method and port ids noted."""

    def __init__(self, api: Any):
        self.api = api
        self.calls: list[tuple[str, list[str]]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.api, name)

        def noted(*args: Any, **kwargs: Any) -> Any:
            devices = args[0] if name == "get_devices_details_list" else []
            self.calls.append((name, list(devices)))
            return method(*args, **kwargs)
        return noted

    def methods(self) -> list[str]:
        return [name for name, _ in self.calls]


def bound_port(stack, network_id: str, userid: str, host: str = HOST) -> dict:
    return stack.port(network_id, **{"binding:host_id": host,
                                     "binding:profile": {"zvm_userid": userid}})


def notified(agent, port: dict) -> None:
    agent.port_update(None, port={"id": port["id"]})


def cycle(agent) -> Any:
    summary = agent.cycle()
    assert not summary.errors, summary.errors
    return summary


def grants(stack) -> dict:
    return stack.model()["vswitches"]["VSW1"]["grants"]


def test_a_notified_api_port_costs_its_own_details_not_every_bound_ports(zvm_stack):
    stack = zvm_stack(start_agent=False)
    net = stack.network("api-bound", "vlan", "VSW1", 161)
    first, second = bound_port(stack, net["id"], "LINUX01"), bound_port(stack, net["id"],
                                                                       "LINUX02")
    api: CountingApi | None = None

    def counting(real: Any) -> CountingApi:
        nonlocal api
        api = CountingApi(real)
        return api
    with agent_in_process(stack.agent_ini, counting) as agent:
        assert api is not None
        cycle(agent)                                   # start-up: a full resync
        assert is_active(agent, first["id"]) and is_active(agent, second["id"])
        assert api.methods().count("get_ports_bound_to_host") == 1

        # a port bound to this host: its details say so; the others are not asked
        third = bound_port(stack, net["id"], "LINUX03")
        api.calls.clear()
        notified(agent, third)
        assert cycle(agent).scoped
        assert is_active(agent, third["id"])
        assert grants(stack)["LINUX03"]["vlans"] == ["161"]
        assert "get_ports_bound_to_host" not in api.methods()
        assert ("get_devices_details_list", [third["id"]]) in api.calls
        kept = agent.last_build[0].ports[first["id"]]

        # unbound through the API: detached, the others untouched
        stack.put(f"/ports/{third['id']}", {"port": {"binding:host_id": "",
                                                     "binding:profile": {}}})
        api.calls.clear()
        notified(agent, third)
        cycle(agent)
        assert "get_ports_bound_to_host" not in api.methods()
        assert "LINUX03" not in grants(stack)
        assert third["id"] not in agent.bound   # its details go once the undo is done
        assert is_active(agent, first["id"]) and is_active(agent, second["id"])
        assert agent.last_build[0].ports[first["id"]] is kept   # not judged again

        # another host's port: asked, then forgotten (and so are the unbound one's)
        elsewhere = bound_port(stack, net["id"], "LINUX04", host="zvmhost9")
        api.calls.clear()
        notified(agent, elsewhere)
        cycle(agent)
        assert api.methods() == ["get_devices_details_list"]
        assert elsewhere["id"] not in agent.details and "LINUX04" not in grants(stack)
        assert third["id"] not in agent.details


def a_binding_missed(stack: Any, agent: Any, net_id: str, first: dict) -> tuple[dict, dict]:
    """After the agent's first cycle (``first`` ACTIVE): a port bound to this host through
    the API that no notification reaches, and another port handed off by a switch row
    (a change that makes the next cycle a busy one)."""
    cycle(agent)
    assert is_active(agent, first["id"])
    missed = bound_port(stack, net_id, "LINUX02")   # no notification reaches it
    other = stack.port(net_id)
    stack.guest("LINUX07")
    stack.hand_off("LINUX07", other["id"])
    return missed, other


def test_a_missed_notification_is_repaired_by_the_periodic_refresh(zvm_stack):
    stack = zvm_stack(start_agent=False)
    net = stack.network("missed", "vlan", "VSW1", 162)
    first = bound_port(stack, net["id"], "LINUX01")
    with agent_in_process(stack.agent_ini) as agent:
        missed, other = a_binding_missed(stack, agent, net["id"], first)
        cycle(agent)
        assert is_active(agent, other["id"]) and not is_active(agent, missed["id"])

        agent.bound_refresh_due = True                     # as the heartbeat loop sets it
        summary = cycle(agent)
        assert not summary.scoped                          # everything judged again
        assert is_active(agent, missed["id"])
        assert grants(stack)["LINUX02"]["vlans"] == ["162"]
        assert not agent.bound_refresh_due


def test_a_refresh_asked_while_a_cycle_runs_is_left_for_the_next(zvm_stack):
    """The heartbeat loop asks for the refresh on its own thread, at any moment. One
    asked after a cycle began (here: while it looks up a new guest's node) is not
    done by that cycle, which plans only what changed, but by the next, which plans
    everything: a port whose binding was missed is attached then."""
    stack = zvm_stack(start_agent=False)
    net = stack.network("mid-cycle", "vlan", "VSW1", 163)
    first = bound_port(stack, net["id"], "LINUX01")
    with agent_in_process(stack.agent_ini) as agent:
        missed, other = a_binding_missed(stack, agent, net["id"], first)
        request = agent.client.request

        def asking_meanwhile(method: str, path: Any, *args: Any, **kwargs: Any) -> Any:
            if tuple(path) == ("tables", "zvm"):           # the new guest's node
                agent.bound_refresh_due = True              # as the heartbeat loop sets it
            return request(method, path, *args, **kwargs)
        agent.client.request = asking_meanwhile
        assert cycle(agent).scoped
        assert is_active(agent, other["id"]) and agent.bound_refresh_due
        agent.client.request = request

        assert not cycle(agent).scoped
        assert is_active(agent, missed["id"]) and not agent.bound_refresh_due
        assert grants(stack)["LINUX02"]["vlans"] == ["163"]


def test_a_bound_port_the_answer_left_out_stays_bound_and_is_asked_again(zvm_stack):
    """A notified port whose details the plugin's answer lacks (an item without a port
    id is left out) is not taken for unbound: it keeps its membership and is asked
    again by the next cycle that runs, as a row's port is."""
    stack = zvm_stack(start_agent=False)
    net = stack.network("left-out", "vlan", "VSW1", 164)
    first, second = bound_port(stack, net["id"], "LINUX01"), bound_port(stack, net["id"],
                                                                       "LINUX02")
    lost: list[str] = []
    api: CountingApi | None = None

    def counting(real: Any) -> CountingApi:
        nonlocal api
        api = CountingApi(LosesOneAnswer(real, lost))
        return api
    with agent_in_process(stack.agent_ini, counting) as agent:
        assert api is not None
        cycle(agent)
        assert is_active(agent, first["id"]) and is_active(agent, second["id"])

        lost.append(first["id"])
        notified(agent, first)
        cycle(agent)
        assert not lost and first["id"] in agent.bound and first["id"] in agent.undetailed

        api.calls.clear()
        notified(agent, second)                            # another cycle that runs
        cycle(agent)
        asked = [sorted(devices) for name, devices in api.calls
                 if name == "get_devices_details_list"]
        assert sorted([first["id"], second["id"]]) in asked   # in any order
        assert is_active(agent, first["id"]) and is_active(agent, second["id"])
        assert grants(stack)["LINUX01"]["vlans"] == ["164"]
