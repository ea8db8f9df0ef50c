"""What a cycle reads when one thing changed: with many nodes in the xCAT ``zvm``
table, a port handed over on one new guest costs a look-up of that guest's row,
not a dump of the whole table."""
from __future__ import annotations

import pytest

from tests.fixtures.procs import wait_for

pytestmark = pytest.mark.slow

OTHER_NODES = 3000


def network_with_an_active_port(stack, name: str, vlan: int,
                                vdevs: tuple[str, ...] = ("1000",)) -> dict:
    """A VLAN network with one port ACTIVE on LINUX07's NIC 1000: the agent has run and
    knows the nodes of the ``zvm`` table as they are now."""
    net = stack.network(name, "vlan", "VSW1", vlan)
    stack.guest("LINUX07", vdevs)
    port = stack.port(net["id"])
    stack.hand_off("LINUX07", port["id"])
    stack.wait_status(port["id"])
    return net


def test_one_new_node_is_looked_up_not_the_whole_zvm_table(zvm_stack):
    stack = zvm_stack()
    net = network_with_an_active_port(stack, "inc", 130)
    stack.sim.control.insert_rows("zvm", [
        {"node": f"other{i}", "userid": f"OTH{i:05d}", "hcp": "zhcp9"}
        for i in range(OTHER_NODES)])
    dump = stack.sim.xcat("GET", "tables/zvm")
    assert dump.status_code == 200 and len(dump.content) > 100_000

    stack.guest("LINUX08")
    second = stack.port(net["id"])
    wait_for(lambda: stack.idle_requests(1.0, settle=0.5)[0] == {}, timeout=30,
             what="the agent idle")
    stack.sim.control.reset_counters()
    stack.hand_off("LINUX08", second["id"])
    stack.wait_status(second["id"])
    counters = stack.sim.control.counters()
    # one request for LINUX08's row (a gettab of node linux08), far less than a dump
    assert counters["rest"]["by_key"].get("GET tables/zvm") == 1
    assert counters["bytes"]["out"] < len(dump.content) / 2
    grants = stack.model()["vswitches"]["VSW1"]["grants"]
    assert grants["LINUX08"]["vlans"] == ["130"]


def test_a_port_whose_node_gets_its_zvm_row_later_goes_active(zvm_stack):
    """A row handed over before xCAT knows its node is refused (ERROR, no NIC touched);
    once the node's ``zvm`` row exists, the next cycle that runs (here: a port handed
    over on a known guest's second NIC) looks the node up and plans its port too."""
    stack = zvm_stack()
    net = network_with_an_active_port(stack, "late", 131, ("1000", "1001"))
    late = stack.port(net["id"])
    stack.hand_off_node("late01", late["id"])
    stack.wait_status(late["id"], "ERROR")
    assert "LATE01" not in stack.model()["vswitches"]["VSW1"]["grants"]
    stack.guest_node("LATE01", "late01")
    other = stack.port(net["id"])
    stack.sim.control.reset_counters()
    stack.hand_off("LINUX07", other["id"], "1001")
    stack.wait_status(other["id"])
    stack.wait_status(late["id"])
    assert stack.model()["vswitches"]["VSW1"]["grants"]["LATE01"]["vlans"] == ["131"]
    assert stack.sim.control.counters()["rest"]["by_key"].get("GET tables/zvm") == 1


def test_a_looked_up_node_with_an_empty_hcp_is_judged_as_the_whole_table_judges_it(
        zvm_stack):
    """A look-up cannot tell a NULL ``hcp`` from an empty one (gettab prints both as
    nothing), and a dump judges them differently once the zHCP's own row names its hcp:
    an empty one is another host's.  So such a node is judged from the whole table."""
    stack = zvm_stack()
    net = network_with_an_active_port(stack, "nohcp", 132)
    stack.sim.control.insert_rows("zvm", [{"node": "nohcp1", "userid": "NOHCP1", "hcp": ""}])
    port = stack.port(net["id"])
    stack.hand_off_node("nohcp1", port["id"])
    details = stack.wait_status(port["id"], "ERROR")
    assert "managed by zHCP" in details["binding:vif_details"]["error"]
    assert "NOHCP1" not in stack.model()["vswitches"]["VSW1"]["grants"]


def test_the_agents_own_switch_row_write_is_not_a_change(zvm_stack):
    """The agent writes a handed-off port's vswitch and VLAN into its switch row; the
    next dump shows that write, and the cycle that reads it stays idle (no plan, no
    call to the plugin): only the cycle that attached the port logs."""
    stack = zvm_stack()
    net = network_with_an_active_port(stack, "own", 133)
    stack.guest("LINUX08")
    port = stack.port(net["id"])
    wait_for(lambda: stack.idle_requests(1.0, settle=0.5)[0] == {}, timeout=30,
             what="the agent idle")
    logged = len(stack.agent_log())
    stack.hand_off("LINUX08", port["id"])
    stack.wait_status(port["id"])
    wait_for(lambda: stack.idle_requests(1.0, settle=0.5)[0] == {}, timeout=30,
             what="the agent idle again")
    row = next(r for r in stack.rows("switch") if r["port"] == port["id"])
    assert (row["switch"], row["vlan"]) == ("VSW1", "133")
    cycles = [line for line in stack.agent_log()[logged:].splitlines() if " cycle: " in line]
    assert len(cycles) == 1, cycles
