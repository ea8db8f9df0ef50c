"""``quantum-zvm-agent`` as a command: configuration errors, --once against a simulator."""
from __future__ import annotations

import json
import subprocess
import textwrap

from tests.fixtures.procs import command, free_port


def run_agent(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([command("quantum-zvm-agent"), *args], capture_output=True, text=True,
                          timeout=timeout)


def ini(tmp_path, server: str, extra: str = "") -> str:
    path = tmp_path / "agent.ini"
    path.write_text(textwrap.dedent(f"""\
        [DEFAULT]
        state_path = {tmp_path}
        [AGENT]
        zvm_xcat_server = {server}
        zvm_xcat_username = root
        zvm_xcat_password = s3cretpw
        xcat_zhcp_nodename = zhcp1
        vswitch_mappings = VSW1:100:199,FLATSW
        host = zvmhost1
        """) + extra)
    return str(path)


def test_configuration_problems_exit_2_naming_the_option(tmp_path):
    result = run_agent("--config-file", ini(tmp_path, "http://127.0.0.1:1",
                                            "dhcp_userid = not a userid\n"))
    assert result.returncode == 2
    assert "[AGENT] dhcp_userid" in result.stderr


def test_once_with_xcat_unreachable_exits_1_without_leaking_the_password(tmp_path):
    result = run_agent("--config-file", ini(tmp_path, f"http://127.0.0.1:{free_port()}"),
                       "--once")
    assert result.returncode == 1
    assert "cycle failed" in result.stderr
    assert "s3cretpw" not in result.stderr + result.stdout


def test_the_agent_collects_garbage_less_often_than_cpython_by_default(tmp_path):
    """The agent's process sets the collector's thresholds (see main.GC_THRESHOLDS) and
    says so in its log."""
    from quantum_zvm.agent.main import GC_THRESHOLDS

    result = run_agent("--config-file", ini(tmp_path, f"http://127.0.0.1:{free_port()}"),
                       "--once")
    expected = "/".join(map(str, GC_THRESHOLDS))
    assert f"garbage collection: thresholds {expected}" in result.stderr


def test_once_runs_one_full_cycle_and_prints_a_summary(zvm_stack):
    stack = zvm_stack(start_agent=False)
    net = stack.network("blue", "vlan", "VSW1", 150)
    stack.guest("LINUX07", ("1000",))
    port = stack.port(net["id"])
    stack.hand_off("LINUX07", port["id"])
    result = run_agent("--config-file", str(stack.agent_ini), "--once")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["resync"] == "full" and summary["ports"] == 1
    assert summary["smcli_calls"] == 3 and not summary["errors"]
    assert summary["agent_errors"] == []
    assert stack.port_status(port["id"]) == "ACTIVE"
    vswitches = stack.model()["vswitches"]
    assert vswitches["VSW1"]["vlan_aware"] and not vswitches["FLATSW"]["vlan_aware"]
    assert vswitches["VSW1"]["persistent"] and vswitches["FLATSW"]["persistent"]
    # a second run finds nothing to change on z/VM
    again = json.loads(run_agent("--config-file", str(stack.agent_ini), "--once").stdout)
    assert again["smcli_calls"] == 0
