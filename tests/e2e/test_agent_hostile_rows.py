"""Hostile values in the xCAT tables the agent reads (``switch`` and ``zvm``).

xCAT table contents are untrusted input: another tool (or a person) may put
anything there.  Each hostile value goes in the node, the interface and the
port column of a ``switch`` row handed to this zHCP, and in the userid of a
``zvm`` row whose node has such a row; every row names a real port except
the hostile port ids.  Then: the agent neither dies nor logs a traceback,
the well-formed port still goes ACTIVE, every hostile row's port is ERROR
with a reason, no value ever became a shell word on the zHCP or the MN (the
simulator counts every command a dsh script ran), z/VM holds exactly what
the database says, and once the ports are deleted nothing is left on the
vswitch or in the agent's records.
"""
from __future__ import annotations

import re

import pytest

from tests.fixtures.agent import HOST, ZHCP
from tests.fixtures.procs import wait_for
from tests.unit.xcat.test_injection import HOSTILE
from xcat import smcli, tables

pytestmark = pytest.mark.slow

assert len(HOSTILE) >= 40
SHELL_WORDS_ALLOWED = {smcli.SMCLI, smcli.VMCP, tables.TABCH, "echo", "["}
SMAPI_NAME = re.compile(r"[A-Z][A-Za-z]*(_[A-Za-z]+)*\Z")


def vsw1_grants(stack) -> dict:
    return (stack.model()["vswitches"].get("VSW1") or {"grants": {}})["grants"]


def hostile_rows(real_port) -> tuple[list[dict], list[dict]]:
    """(switch rows, zvm rows) with every hostile value in every column read."""
    switch, zvm = [], []
    for i, value in enumerate(HOSTILE):
        switch += [
            {"comments": ZHCP, "node": value, "interface": "1000", "port": real_port()},
            {"comments": ZHCP, "node": "linux02", "interface": value, "port": real_port()},
            {"comments": ZHCP, "node": "linux02", "interface": "1003", "port": value},
            {"comments": ZHCP, "node": f"evil{i}", "interface": "1000", "port": real_port()},
        ]
        zvm.append({"node": f"evil{i}", "userid": value, "hcp": ZHCP})
    return switch, zvm


def test_hostile_xcat_rows_never_reach_a_shell_and_leave_nothing(zvm_stack):
    stack = zvm_stack(start_agent=False)
    net = stack.network("hostile", "vlan", "VSW1", 120)
    good = stack.port(net["id"])
    stack.guest("LINUX09")
    stack.hand_off("LINUX09", good["id"])
    refused: list[str] = []

    def real_port() -> str:
        refused.append(stack.port(net["id"])["id"])
        return refused[-1]
    switch, zvm = hostile_rows(real_port)
    stack.sim.control.insert_rows("zvm", zvm)
    stack.sim.control.insert_rows("switch", switch)
    stack.sim.control.reset_counters()
    stack.start_agent()

    stack.wait_status(good["id"])
    for port_id in refused:
        stack.wait_status(port_id, "ERROR")
    in_error = {p["id"] for p in stack.get("/ports")["ports"] if p["status"] == "ERROR"}
    assert in_error == set(refused)     # the good port is not among them, nor any other
    log = stack.agent_log()
    assert "Traceback" not in log and stack.agent.alive()
    counters = stack.sim.control.counters()
    assert set(counters["commands"]) <= SHELL_WORDS_ALLOWED, counters["commands"]
    assert all(SMAPI_NAME.match(f) for f in counters["smcli"]["by_function"])
    # z/VM equals the database: only the ACTIVE port's guest is on VSW1, in VLAN 120
    assert list(vsw1_grants(stack)) == ["LINUX09"]
    assert vsw1_grants(stack)["LINUX09"]["vlans"] == ["120"]
    assert stack.model()["guests"]["LINUX09"]["active_nics"]["1000"]["coupled_to"] == "VSW1"
    agents = stack.get("/agents")["agents"]
    assert [a["alive"] for a in agents if a["host"] == HOST] == [True]

    for port_id in [good["id"], *refused]:
        stack.delete(f"/ports/{port_id}")
    wait_for(lambda: not vsw1_grants(stack), timeout=30, what="VSW1 without grants")
    wait_for(lambda: not stack.agent_records()["bindings"], timeout=30,
             what="the agent's records empty")
    assert stack.model()["guests"]["LINUX09"]["active_nics"]["1000"]["coupled_to"] is None
    assert "Traceback" not in stack.agent_log()
