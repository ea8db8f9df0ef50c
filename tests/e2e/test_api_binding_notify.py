"""Ports bound through the API reach a running agent without a resync."""
from __future__ import annotations

import pytest

from tests.fixtures.agent import HOST
from tests.fixtures.procs import wait_for

pytestmark = pytest.mark.slow


def test_bound_port_created_then_deleted_while_the_agent_runs(zvm_stack):
    stack = zvm_stack()
    net = stack.network("flat", "flat", "FLATSW")
    wait_for(lambda: any(a["alive"] for a in stack.get("/agents")["agents"]), timeout=30,
             what="the agent's first report")
    port = stack.port(net["id"], **{"binding:host_id": HOST,
                                    "binding:profile": {"zvm_userid": "LINUX05"}})
    stack.wait_status(port["id"], timeout=30)
    nicdefs = stack.model()["guests"]["LINUX05"]["nicdefs"]
    assert nicdefs["1000"]["macid"] == port["mac_address"].replace(":", "")[6:].upper()

    stack.delete(f"/ports/{port['id']}")
    wait_for(lambda: "1000" not in stack.model()["guests"]["LINUX05"]["nicdefs"], timeout=30,
             what="the agent to remove the deleted port's NIC")
    wait_for(lambda: port["id"] not in {r["port"] for r in stack.rows("switch")}, timeout=30,
             what="the deleted port's switch row removed")
