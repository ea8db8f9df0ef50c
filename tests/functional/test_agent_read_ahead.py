"""A new guest's directory is read while its node's ``zvm`` row is looked up: the
guess is the node's name in upper case (nova-zvm names nodes after their userids),
and a read is kept only when the row names that userid.  The agent runs in this
process, against a real simulator (each REST request takes 0.2 s, so two requests
sent side by side are seen in flight at once) and server."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tests.fixtures.agent import agent_in_process, is_active

LATENCY = {"rest_latency": {"fixed": 0.2, "jitter": 0}, "smcli_latency": 0}


@contextlib.contextmanager
def started_agent(stack, name: str, vlan: int) -> Iterator[tuple[Any, str]]:
    """The in-process agent past its start-up cycle (nothing handed over yet) and a
    port of a new VLAN network."""
    port = stack.port(stack.network(name, "vlan", "VSW1", vlan)["id"])
    with agent_in_process(stack.agent_ini) as agent:
        agent.cycle()
        yield agent, port["id"]


def hand_off_and_converge(stack, agent, node: str, port_id: str) -> dict:
    """The counters of the cycles after ``node``'s switch row appears, until the port
    is ACTIVE (at most 3)."""
    stack.hand_off_node(node, port_id)
    stack.sim.control.fault(**LATENCY)
    stack.sim.control.reset_counters()
    for _ in range(3):
        summary = agent.cycle()
        assert not summary.errors, summary.errors
        if is_active(agent, port_id):
            break
    counters = stack.sim.control.counters()
    stack.sim.control.fault(profile="zero")
    return counters


def test_a_new_guests_directory_is_read_while_its_node_is_looked_up(zvm_stack):
    stack = zvm_stack(start_agent=False)
    with started_agent(stack, "ahead", 151) as (agent, port_id):
        stack.guest("LINUX07")                         # a new node (nova-zvm: mkdef, mkvm)
        counters = hand_off_and_converge(stack, agent, "linux07", port_id)
        assert is_active(agent, port_id)
        # the zvm row and the directory in flight at once, the directory read once
        assert counters["rest"]["peak_in_flight"] == 2
        assert counters["smcli"]["by_function"]["Image_Query_DM"] == 1
        assert stack.model()["vswitches"]["VSW1"]["grants"]["LINUX07"]["vlans"] == ["151"]


def test_without_read_ahead_the_directory_waits_for_the_node(zvm_stack):
    stack = zvm_stack(start_agent=False, ini="read_ahead_directories = false\n")
    with started_agent(stack, "behind", 152) as (agent, port_id):
        stack.guest("LINUX07")
        counters = hand_off_and_converge(stack, agent, "linux07", port_id)
        assert is_active(agent, port_id)
        assert counters["rest"]["peak_in_flight"] == 1
        assert counters["smcli"]["by_function"]["Image_Query_DM"] == 1


def test_a_read_the_zvm_row_does_not_confirm_is_dropped(zvm_stack):
    # node linux08 is guest LINUX09; a guest LINUX08 exists too (another node's):
    # its directory is read by the guess, then dropped, and LINUX09's is read
    stack = zvm_stack(start_agent=False)
    with started_agent(stack, "decoy", 153) as (agent, port_id):
        stack.guest_node("LINUX08", "other08")
        stack.guest_node("LINUX09", "linux08")
        counters = hand_off_and_converge(stack, agent, "linux08", port_id)
        assert is_active(agent, port_id)
        assert counters["smcli"]["by_function"]["Image_Query_DM"] == 2
        assert "LINUX08" not in agent.observed.guests
        grants = stack.model()["vswitches"]["VSW1"]["grants"]
        assert grants["LINUX09"]["vlans"] == ["153"] and "LINUX08" not in grants
        assert agent.observed.bindings[port_id].userid == "LINUX09"


def test_a_read_ahead_that_fails_is_read_again_after_the_look_up(zvm_stack):
    # the first directory request fails (HTTP 500: not retried): nothing is kept, the
    # cycle goes on and the plan reads the guest's directory before granting
    stack = zvm_stack(start_agent=False)
    with started_agent(stack, "failed-ahead", 154) as (agent, port_id):
        stack.guest("LINUX07")
        stack.sim.control.fault("http_error", status=500, count=1,
                                match={"function": "Image_Query_DM"})
        counters = hand_off_and_converge(stack, agent, "linux07", port_id)
        assert is_active(agent, port_id)
        assert counters["rest"]["by_status"]["500"] == 1
        assert counters["smcli"]["by_function"]["Image_Query_DM"] == 1   # the second one
        assert stack.model()["vswitches"]["VSW1"]["grants"]["LINUX07"]["vlans"] == ["154"]


def test_a_directory_read_ahead_is_not_read_again_for_a_nic_it_lacks(zvm_stack):
    # the row names NIC 1000, which the directory read ahead does not define: the read
    # was made after the row appeared, so it is the answer (a directory known to be
    # unsure would be read again first)
    stack = zvm_stack(start_agent=False)
    with started_agent(stack, "no-nic", 155) as (agent, port_id):
        stack.guest("LINUX07", vdevs=())
        counters = hand_off_and_converge(stack, agent, "linux07", port_id)
        assert counters["smcli"]["by_function"] == {"Image_Query_DM": 1}
        outcome = agent.observed.reported[port_id]
        assert outcome.status == "ERROR"
        assert outcome.error == "NIC 1000 is not defined in the directory of LINUX07"


def test_a_cycle_after_the_loop_ended_reads_ahead_on_a_new_thread(zvm_stack):
    """The loop shuts its read-ahead thread down when it ends; a cycle run after that
    (as tests and tools run them) starts another instead of failing."""
    stack = zvm_stack(start_agent=False)
    with started_agent(stack, "again", 154) as (agent, port_id):
        stack.guest("LINUX07")
        hand_off_and_converge(stack, agent, "linux07", port_id)   # the thread started
        agent.stop()
        agent.run()                                                # ends at once
        agent.stopping.clear()
        second = stack.port(stack.network("again2", "vlan", "VSW1", 155)["id"])["id"]
        stack.guest("LINUX08")
        counters = hand_off_and_converge(stack, agent, "linux08", second)
        assert is_active(agent, second)
        assert counters["rest"]["peak_in_flight"] == 2
