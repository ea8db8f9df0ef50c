"""A new guest's directory is read while its node's ``zvm`` row is looked up: the
guess is the node's name in upper case (nova-zvm names nodes after their userids),
and a read is kept only when the row names that userid.  The agent runs in this
process, against a real simulator (each REST request takes 0.2 s, so two requests
sent side by side are seen in flight at once) and server."""
from __future__ import annotations

from tests.fixtures.agent import in_process_agent

LATENCY = {"rest_latency": {"fixed": 0.2, "jitter": 0}, "smcli_latency": 0}


def is_active(agent, port_id: str) -> bool:
    return getattr(agent.observed.reported.get(port_id), "status", None) == "ACTIVE"


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
    net = stack.network("ahead", "vlan", "VSW1", 151)
    port = stack.port(net["id"])
    agent, _, rpc, _ = in_process_agent(stack.agent_ini)
    try:
        agent.cycle()                                  # start-up: nothing handed over yet
        stack.guest("LINUX07")                         # a new node (nova-zvm: mkdef, mkvm)
        counters = hand_off_and_converge(stack, agent, "linux07", port["id"])
        assert is_active(agent, port["id"])
        # the zvm row and the directory in flight at once, the directory read once
        assert counters["rest"]["peak_in_flight"] == 2
        assert counters["smcli"]["by_function"]["Image_Query_DM"] == 1
        assert stack.model()["vswitches"]["VSW1"]["grants"]["LINUX07"]["vlans"] == ["151"]
    finally:
        rpc.close()


def test_without_read_ahead_the_directory_waits_for_the_node(zvm_stack):
    stack = zvm_stack(start_agent=False, ini="read_ahead_directories = false\n")
    net = stack.network("behind", "vlan", "VSW1", 152)
    port = stack.port(net["id"])
    agent, _, rpc, _ = in_process_agent(stack.agent_ini)
    try:
        agent.cycle()
        stack.guest("LINUX07")
        counters = hand_off_and_converge(stack, agent, "linux07", port["id"])
        assert is_active(agent, port["id"])
        assert counters["rest"]["peak_in_flight"] == 1
        assert counters["smcli"]["by_function"]["Image_Query_DM"] == 1
    finally:
        rpc.close()


def test_a_read_the_zvm_row_does_not_confirm_is_dropped(zvm_stack):
    # node linux08 is guest LINUX09; a guest LINUX08 exists too (another node's):
    # its directory is read by the guess, then dropped, and LINUX09's is read
    stack = zvm_stack(start_agent=False)
    net = stack.network("decoy", "vlan", "VSW1", 153)
    port = stack.port(net["id"])
    agent, _, rpc, _ = in_process_agent(stack.agent_ini)
    try:
        agent.cycle()
        stack.guest_node("LINUX08", "other08")
        stack.guest_node("LINUX09", "linux08")
        counters = hand_off_and_converge(stack, agent, "linux08", port["id"])
        assert is_active(agent, port["id"])
        assert counters["smcli"]["by_function"]["Image_Query_DM"] == 2
        assert "LINUX08" not in agent.observed.guests
        grants = stack.model()["vswitches"]["VSW1"]["grants"]
        assert grants["LINUX09"]["vlans"] == ["153"] and "LINUX08" not in grants
        assert agent.observed.bindings[port["id"]].userid == "LINUX09"
    finally:
        rpc.close()


def test_a_read_ahead_that_fails_is_read_again_after_the_look_up(zvm_stack):
    # the first directory request fails (HTTP 500: not retried): nothing is kept, the
    # cycle goes on and the plan reads the guest's directory before granting
    stack = zvm_stack(start_agent=False)
    net = stack.network("failed-ahead", "vlan", "VSW1", 154)
    port = stack.port(net["id"])
    agent, _, rpc, _ = in_process_agent(stack.agent_ini)
    try:
        agent.cycle()
        stack.guest("LINUX07")
        stack.sim.control.fault("http_error", status=500, count=1,
                                match={"function": "Image_Query_DM"})
        counters = hand_off_and_converge(stack, agent, "linux07", port["id"])
        assert is_active(agent, port["id"])
        assert counters["rest"]["by_status"]["500"] == 1
        assert counters["smcli"]["by_function"]["Image_Query_DM"] == 1   # the second one
        assert stack.model()["vswitches"]["VSW1"]["grants"]["LINUX07"]["vlans"] == ["154"]
    finally:
        rpc.close()
